/* tests/bench/bench_engine.c - dnsoracle_bench_engine: engine speed on one core.
 *
 *   dnsoracle_bench_engine [-s SECONDS] FILE...
 *
 * Loads every name of the files into memory, then judges them over and over
 * on one thread for about SECONDS (default 3) and prints names per second and
 * nanoseconds per name. For a figure that survives a noisy machine it also
 * times name_parse() alone over the same names in the same run and prints the
 * ratio: the engine's cost in units of "parsing the name". The first pass is
 * reported apart, as it fills the per-thread PSL cache.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "name.h"

typedef struct {
    char **names;
    size_t *lens;
    size_t count, cap;
} s_names_t;

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int s_load(s_names_t *n, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] == '\n')
            len--;
        if (n->count == n->cap) {
            n->cap = n->cap ? n->cap * 2 : 4096;
            n->names = realloc(n->names, n->cap * sizeof *n->names);
            n->lens = realloc(n->lens, n->cap * sizeof *n->lens);
            if (!n->names || !n->lens) {
                fprintf(stderr, "out of memory\n");
                exit(2);
            }
        }
        n->names[n->count] = malloc((size_t)len + 1);
        memcpy(n->names[n->count], line, (size_t)len + 1);
        n->lens[n->count++] = (size_t)len;
    }
    free(line);
    fclose(f);
    return 0;
}

/* volatile sinks keep the compiler from dropping the work */
static volatile size_t s_sink;

static double s_run_parse(const s_names_t *n, size_t rounds)
{
    name_t name;
    double t0 = s_now();
    for (size_t r = 0; r < rounds; r++)
        for (size_t i = 0; i < n->count; i++)
            s_sink += (size_t)name_parse(n->names[i], n->lens[i], &name) + name.nlabels;
    return s_now() - t0;
}

static double s_run_engine(const engine_t *e, const s_names_t *n, size_t rounds, size_t *bad)
{
    verdict_t v;
    *bad = 0;
    double t0 = s_now();
    for (size_t r = 0; r < rounds; r++)
        for (size_t i = 0; i < n->count; i++)
            *bad += !engine_check(e, n->names[i], n->lens[i], &v);
    return s_now() - t0;
}

int main(int argc, char **argv)
{
    double seconds = 3;
    int opt;
    while ((opt = getopt(argc, argv, "s:h")) != -1) {
        if (opt == 's' && atof(optarg) > 0) {
            seconds = atof(optarg);
        } else {
            fprintf(stderr, "usage: dnsoracle_bench_engine [-s SECONDS] FILE...\n");
            return opt == 'h' ? 0 : 2;
        }
    }
    if (optind == argc) {
        fprintf(stderr, "usage: dnsoracle_bench_engine [-s SECONDS] FILE...\n");
        return 2;
    }
    s_names_t n = {0};
    for (int i = optind; i < argc; i++)
        if (s_load(&n, argv[i]) != 0)
            return 2;
    if (n.count == 0) {
        fprintf(stderr, "no names loaded\n");
        return 2;
    }
    engine_settings_t s;
    engine_settings_default(&s);
    char err[256];
    engine_t *e = engine_new(&s, err, sizeof err);
    if (!e) {
        fprintf(stderr, "engine: %s\n", err);
        return 2;
    }
    size_t bad;
    double cold = s_run_engine(e, &n, 1, &bad);
    /* Size the rounds so the engine part takes about `seconds`. */
    size_t rounds = (size_t)(seconds / (cold > 1e-6 ? cold : 1e-6));
    if (rounds < 1)
        rounds = 1;
    double t_engine = s_run_engine(e, &n, rounds, &bad);
    double t_parse = s_run_parse(&n, rounds);
    double total = (double)n.count * (double)rounds;
    printf("names:            %zu (%zu judged false)\n", n.count, bad);
    printf("first pass:       %.0f names/s (fills the PSL cache)\n", (double)n.count / cold);
    printf("engine:           %.0f names/s, %.0f ns/name over %zu rounds\n", total / t_engine,
           t_engine / total * 1e9, rounds);
    printf("parse only:       %.0f names/s, %.0f ns/name\n", total / t_parse,
           t_parse / total * 1e9);
    printf("engine/parse:     %.2f (cost of a verdict in units of parsing the name)\n",
           t_engine / t_parse);
    printf("target 1000000/s: %s\n", total / t_engine >= 1e6 ? "met" : "NOT met");
    engine_destroy(&e);
    for (size_t i = 0; i < n.count; i++)
        free(n.names[i]);
    free(n.names);
    free(n.lens);
    return 0;
}
