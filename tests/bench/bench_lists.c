/* tests/bench/bench_lists.c - the lists at a million entries.
 *
 *   dnsoracle_bench_lists [ENTRIES]      (default 1000000)
 *
 * Prints, for ENTRIES block entries "dN.bulk.test": the time to build them
 * on the oracle, to serialize them into 256 KiB snapshot chunks (with their
 * CRC-32) and to parse and apply those chunks as the hook does (one recursor
 * process, whatever its threads: lua/listsync.h), the memory one copy
 * takes (the process's resident size before and after), the cost of a
 * single change (a new version sharing the base: with a delta of 1,000
 * changes, and with the largest delta before a fold), and the cost of a
 * lookup per name, listed or not, before and after changes. No network: the
 * transfer itself is a loopback copy of the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lists.h"

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long s_rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return rss * 4;
}

/* ns per lookup over `n` names "www.dK.bulk.test" (K spread) or unlisted */
static double s_lookups(const lists_t *l, size_t entries, int listed, size_t n)
{
    char q[64];
    size_t hits = 0;
    double t0 = s_now();
    for (size_t i = 0; i < n; i++) {
        size_t k = (i * 7919) % entries + 1;
        int len = snprintf(q, sizeof q, listed ? "www.d%zu.bulk.test" : "www.d%zu.good.test", k);
        name_t name;
        if (name_parse(q, (size_t)len, &name) == 0)
            hits += lists_check(l, &name) != REASON_OK;
    }
    double ns = (s_now() - t0) / (double)n * 1e9;
    if (hits != (listed ? n : 0)) /* the figure is of wrong lookups */
        fprintf(stderr, "dnsoracle_bench_lists: %zu of %zu lookups wrong\n",
                listed ? n - hits : hits, n);
    return ns;
}

/* `count` single changes on *cur (a new version each, the previous freed
 * unless it is `keep`); returns us per change and the slowest in *max_us,
 * or -1 on no memory. */
static double s_changes(lists_t **cur, const lists_t *keep, int count, const char *prefix,
                        double *max_us)
{
    char d[64];
    double t0 = s_now();
    *max_us = 0;
    for (int i = 0; i < count; i++) {
        snprintf(d, sizeof d, "%s%d.new.test", prefix, i);
        list_change_t c = {true, LIST_BLOCK, d};
        double a = s_now();
        lists_t *next = lists_change(*cur, &c, 1);
        if (!next)
            return -1;
        if ((s_now() - a) * 1e6 > *max_us)
            *max_us = (s_now() - a) * 1e6;
        if (*cur != keep)
            lists_destroy(cur);
        *cur = next;
    }
    return (s_now() - t0) / count * 1e6;
}

/* Adds `n` entries to *cur's delta in one batch. Returns 0 or -1. */
static int s_big_delta(lists_t **cur, const lists_t *keep, size_t n)
{
    char(*d)[48] = malloc(n * sizeof *d); /* "z" + up to 20 digits + ".delta.test" */
    list_change_t *c = malloc(n * sizeof *c);
    lists_t *next = NULL;
    if (d && c) {
        for (size_t i = 0; i < n; i++) {
            snprintf(d[i], sizeof d[i], "z%zu.delta.test", i);
            c[i] = (list_change_t){true, LIST_BLOCK, d[i]};
        }
        next = lists_change(*cur, c, n);
    }
    free(d);
    free(c);
    if (!next)
        return -1;
    if (*cur != keep)
        lists_destroy(cur);
    *cur = next;
    return 0;
}

int main(int argc, char **argv)
{
    size_t entries = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    char d[64];
    long rss0 = s_rss_kb();
    double t0 = s_now();
    lists_t *l = lists_new();
    for (size_t i = 1; l && i <= entries; i++) {
        snprintf(d, sizeof d, "d%zu.bulk.test", i);
        lists_add(l, LIST_BLOCK, d);
    }
    double build = s_now() - t0;
    long rss1 = s_rss_kb();
    char *chunk = malloc(256 * 1024);
    lists_t *copy = lists_new();
    if (!l || !chunk || !copy)
        return 1;
    /* snapshot: serialize (oracle) and check and apply (hook), chunk by chunk */
    uint64_t cursor = 0;
    bool more = true;
    size_t chunks = 0, bytes = 0;
    double ser = 0, apply = 0;
    while (more) {
        double a = s_now();
        size_t len = lists_chunk(l, cursor, chunk, 256 * 1024, &cursor, &more);
        uint32_t crc = lists_crc32(0, chunk, len);
        double b = s_now();
        if (lists_crc32(0, chunk, len) != crc)
            return 1;
        for (char *line = chunk, *end = chunk + len; line < end;) {
            char *nl = memchr(line, '\n', (size_t)(end - line)), *sp = strchr(line, ' ');
            *nl = *sp = 0;
            lists_add(copy, (list_kind_t)lists_kind_parse(line), sp + 1);
            line = nl + 1;
        }
        apply += s_now() - b;
        ser += b - a;
        chunks++;
        bytes += len;
    }
    long rss2 = s_rss_kb();
    printf("entries %zu: build %.2f s, one copy %.1f MB resident\n", lists_total(copy), build,
           (double)(rss1 - rss0) / 1024);
    printf("snapshot: %zu chunks, %.1f MB; serialize+CRC %.2f s (oracle), check+apply %.2f s "
           "(hook, once per recursor process), copy %.1f MB\n",
           chunks, (double)bytes / 1e6, ser, apply, (double)(rss2 - rss1) / 1024);
    printf("lookup: %.0f ns listed, %.0f ns unlisted (name parse included)\n",
           s_lookups(copy, entries, 1, 1000000), s_lookups(copy, entries, 0, 1000000));
    /* single changes: each a new version sharing the base */
    lists_t *cur = copy;
    double slowest;
    double each = s_changes(&cur, copy, 1000, "x", &slowest);
    if (each < 0)
        return 1;
    /* the time is taken before the lookups run: a printf's arguments are
     * evaluated in no fixed order */
    printf("change: %.1f us each, the slowest %.0f us (1000 single changes, delta 1000), then "
           "lookup %.0f ns listed, %.0f ns unlisted\n",
           each, slowest, s_lookups(cur, entries, 1, 1000000), s_lookups(cur, entries, 0, 1000000));
    /* the same near the largest delta before a fold (lists.h) */
    size_t big = entries / 16 > 4096 + 2100 ? entries / 16 - 2100 : 0;
    if (big && s_big_delta(&cur, copy, big) == 0) {
        each = s_changes(&cur, copy, 1000, "y", &slowest);
        if (each < 0)
            return 1;
        printf("change: %.1f us each, the slowest %.0f us (1000 single changes on a delta of "
               "%zu)\n",
               each, slowest, big + 1000);
    }
    lists_destroy(&cur);
    lists_destroy(&copy);
    lists_destroy(&l);
    free(chunk);
    return 0;
}
