/* client/score.c - dnsoracle_score: the engine, offline.
 *
 *   dnsoracle_score [-c CONFIG] [-m MODEL] [-x] [-q] [FILE...]
 *
 * Reads names one per line (stdin when no file, or "-") and prints
 * "true|false<TAB>name<TAB>reason" for each, with the same engine and the
 * same defaults as dnsoracled: no -c means every built-in default, as the
 * daemon has with an empty config. -x appends a fourth field with every
 * score. Bad lines are "false ... invalid" and the run goes on. A summary
 * goes to stderr at the end (not with -q). Exit status: 0, or 2 on usage or
 * I/O errors.
 */
#include <bsd/string.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine.h"
#include "lines.h"

typedef struct {
    engine_t *engine;
    int explain;
    unsigned long total, bad, invalid;
} score_t;

static int s_score_line(void *user, const char *line, size_t len)
{
    score_t *s = user;
    verdict_t v;
    if (s->explain)
        engine_check_all(s->engine, line, len, &v);
    else
        engine_check(s->engine, line, len, &v);
    s->total++;
    s->bad += !v.good;
    s->invalid += strcmp(v.reason, "invalid") == 0;
    fputs(v.good ? "true\t" : "false\t", stdout);
    lines_print_escaped(stdout, line, len);
    printf("\t%s", v.reason);
    if (s->explain) {
        char buf[512];
        engine_explain(&v, buf, sizeof buf);
        printf("\t%s", buf);
    }
    putchar('\n');
    return 0;
}

static void s_usage(FILE *out)
{
    fprintf(out, "usage: dnsoracle_score [-c CONFIG] [-m MODEL] [-x] [-q] [FILE...]\n"
                 "Prints true|false<TAB>name<TAB>reason for each name, one per line\n"
                 "(stdin when no FILE or FILE is -).\n"
                 "  -c CONFIG  read settings from CONFIG (default: built-in defaults)\n"
                 "  -m MODEL   use this bigram model file instead of the configured one\n"
                 "  -x         append every score as a fourth field\n"
                 "  -q         no summary on stderr\n");
}

int main(int argc, char **argv)
{
    const char *config_path = NULL, *model_path = NULL;
    int opt, quiet = 0;
    score_t s = {0};
    while ((opt = getopt(argc, argv, "c:m:xqh")) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 'm':
            model_path = optarg;
            break;
        case 'x':
            s.explain = 1;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            s_usage(stdout);
            return 0;
        default:
            s_usage(stderr);
            return 2;
        }
    }
    config_t cfg;
    char err[512];
    config_defaults(&cfg);
    if (config_path && config_load(config_path, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "dnsoracle_score: %s\n", err);
        return 2;
    }
    if (model_path) {
        if (strlcpy(cfg.engine.model_path, model_path, sizeof cfg.engine.model_path) >=
            sizeof cfg.engine.model_path) {
            fprintf(stderr, "dnsoracle_score: model path too long\n");
            return 2;
        }
    }
    s.engine = engine_new(&cfg.engine, err, sizeof err);
    if (!s.engine) {
        fprintf(stderr, "dnsoracle_score: %s\n", err);
        return 2;
    }
    int failed = 0;
    if (optind == argc)
        failed |= lines_each("dnsoracle_score", "-", s_score_line, &s) != 0;
    for (int i = optind; i < argc; i++)
        failed |= lines_each("dnsoracle_score", argv[i], s_score_line, &s) != 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "dnsoracle_score: cannot write the output\n");
        failed = 1;
    }
    if (!quiet)
        fprintf(stderr, "dnsoracle_score: %lu names, %lu false (%lu invalid)\n", s.total, s.bad,
                s.invalid);
    engine_destroy(&s.engine);
    return failed ? 2 : 0;
}
