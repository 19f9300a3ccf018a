/* tests/bench/bench_domain.c - the domain layer's cost per name and its memory.
 *
 *   dnsoracle_bench_domain [DOMAINS [NAMES]]   (defaults 1,000,000 and 4,000,000)
 *
 * Observes NAMES distinct names spread over DOMAINS distinct registrable
 * domains (default settings: the table holds max_domains of them and evicts
 * the rest), on one thread, and prints the nanoseconds per name of
 * domain_observe() alone (the name parsing is timed separately and taken
 * off), the layer's stated bound and the process's resident memory. Figures
 * are printed, never asserted: the machine is shared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain.h"
#include "name.h"

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long s_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

/* The i-th name: a few hosts per domain, every 16th one data-like. */
static void s_name(unsigned long i, unsigned long domains, name_t *name, evidence_t *ev)
{
    char text[128];
    unsigned long d = (i * 2654435761UL) % domains;
    int n = i % 16 ? snprintf(text, sizeof text, "host%lu.site%lu.com", i % 97, d)
                   : snprintf(text, sizeof text, "q%lx8zk2m4v7w1p3r5t8.site%lu.net", i, d);
    name_parse(text, (size_t)n, name);
    *ev = i % 16 ? EVIDENCE_NONE : EVIDENCE_WEAK;
}

int main(int argc, char **argv)
{
    unsigned long domains = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    unsigned long names = argc > 2 ? strtoul(argv[2], NULL, 10) : 4000000;
    if (domains == 0 || names == 0) {
        fprintf(stderr, "usage: dnsoracle_bench_domain [DOMAINS [NAMES]]\n");
        return 2;
    }
    long rss0 = s_rss_kb();
    domain_settings_t s;
    domain_settings_default(&s);
    domain_t *d = domain_new(&s, NULL);
    if (!d) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    name_t name;
    evidence_t ev;
    double t0 = s_now();
    for (unsigned long i = 0; i < names; i++)
        s_name(i, domains, &name, &ev);
    double parse = s_now() - t0;
    t0 = s_now();
    unsigned long cuts = 0;
    for (unsigned long i = 0; i < names; i++) {
        s_name(i, domains, &name, &ev);
        domain_obs_t o = {&name,
                          name.nlabels - 2,
                          ev,
                          ev ? 120 : 25,
                          1,
                          1 + i % 50,
                          1767225600.0 + (double)i * 1e-3};
        cuts += domain_observe(d, &o, NULL) == DOMAIN_CUT_NOW;
    }
    double total = s_now() - t0;
    long rss1 = s_rss_kb();
    printf("domain layer: %lu names over %lu domains: %.0f ns per name (parsing taken off), "
           "%zu domains held, %lu cut\n",
           names, domains, (total - parse) / (double)names * 1e9, domain_count(d), cuts);
    printf("memory: bound %.1f MB (max_domains %u, max_names %u), resident %.1f MB\n",
           (double)domain_memory(d) / 1e6, s.max_domains, s.max_names,
           (double)(rss1 - rss0) / 1024.0);
    domain_destroy(&d);
    return 0;
}
