/* client/train.c - dnsoracle_train: builds the bigram model from benign names.
 *
 *   dnsoracle_train [-o MODEL] [FILE...]
 *
 * Reads names one per line (stdin when no file, or "-"), counts the character
 * transitions of every label left of the public suffix (the subdomain part
 * and the registrable label: what the engine scores), and writes the model
 * file described in oracle/engine/model.h. Invalid lines are counted and skipped.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lines.h"
#include "model.h"
#include "name.h"
#include "suffix.h"

typedef struct {
    model_t *model;
    suffix_t *psl;
    unsigned long names, skipped;
} train_t;

static int s_train_line(void *user, const char *line, size_t len)
{
    train_t *t = user;
    name_t name;
    if (len == 0 || name_parse(line, len, &name) != 0 || name.nlabels == 0) {
        t->skipped++;
        return 0;
    }
    size_t reg = suffix_split(t->psl, &name);
    size_t last = reg < name.nlabels ? reg + 1 : name.nlabels;
    for (size_t l = 0; l < last; l++)
        model_train_label(t->model, name.lower + name.off[l], name.len[l]);
    model_count_name(t->model);
    t->names++;
    return 0;
}

static void s_usage(FILE *out)
{
    fprintf(out, "usage: dnsoracle_train [-o MODEL] [FILE...]\n"
                 "Trains the bigram model on benign query names, one per line\n"
                 "(stdin when no FILE or FILE is -). Writes to stdout without -o.\n");
}

int main(int argc, char **argv)
{
    const char *outpath = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "o:h")) != -1) {
        switch (opt) {
        case 'o':
            outpath = optarg;
            break;
        case 'h':
            s_usage(stdout);
            return 0;
        default:
            s_usage(stderr);
            return 2;
        }
    }
    train_t t = {.model = model_new(), .psl = suffix_new(NULL)};
    if (!t.model || !t.psl) {
        fprintf(stderr, "dnsoracle_train: cannot start (out of memory or no PSL)\n");
        return 2;
    }
    int rc = 0;
    if (optind == argc)
        rc = lines_each("dnsoracle_train", "-", s_train_line, &t);
    for (int i = optind; i < argc && rc == 0; i++)
        rc = lines_each("dnsoracle_train", argv[i], s_train_line, &t);
    if (rc == 0 && t.names == 0) {
        fprintf(stderr, "dnsoracle_train: no valid names in the input\n");
        rc = -EINVAL;
    }
    if (rc == 0) {
        /* Write beside the target and rename, so a failed run leaves the old
         * model intact. */
        char tmp[4096];
        FILE *out = stdout;
        if (outpath) {
            snprintf(tmp, sizeof tmp, "%s.tmp.%ld", outpath, (long)getpid());
            out = fopen(tmp, "w");
            if (!out) {
                fprintf(stderr, "dnsoracle_train: %s: %s\n", tmp, strerror(errno));
                rc = -errno;
            }
        }
        if (out) {
            rc = model_write(t.model, out);
            if (outpath && fclose(out) != 0)
                rc = -EIO;
            if (rc == 0 && outpath && rename(tmp, outpath) != 0)
                rc = -errno;
            if (rc != 0) {
                fprintf(stderr, "dnsoracle_train: cannot write %s\n", outpath ? outpath : "stdout");
                if (outpath)
                    unlink(tmp);
            }
        }
    }
    if (rc == 0)
        fprintf(stderr, "dnsoracle_train: %lu names, %lu lines skipped, %llu transitions%s%s\n",
                t.names, t.skipped, (unsigned long long)model_transitions(t.model),
                outpath ? " -> " : "", outpath ? outpath : "");
    model_destroy(&t.model);
    suffix_destroy(&t.psl);
    return rc == 0 ? 0 : 2;
}
