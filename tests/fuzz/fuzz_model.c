/* tests/fuzz/fuzz_model.c - libFuzzer harness for the model file loader.
 *
 * model_load() reads a path, so each input is written to one temporary file
 * made once per process (in $TMPDIR, else /tmp) and rewritten for every run;
 * it is removed at exit. Every input is loaded twice: as it is, and with the
 * value of its "checksum" lines recomputed from the counts of its "row"
 * lines. Without the second load the fuzzer would almost never get past the
 * checksum to what follows it (the transition count, model_finish() and
 * scoring); the harness reads the rows loosely, so a file the real parser
 * reads differently just keeps a wrong checksum.
 *
 * A refused file must come with a NUL-terminated reason naming the file. A
 * loaded model must give every transition a finite log2-probability no
 * greater than 0 (a probability is at most 1), score labels (the fixed ones
 * below and one taken from the input) with the pair count model.h gives
 * (length + 1), write itself out in a form that loads back to the same text
 * and scores, and be destroyable. A violation aborts, which libFuzzer
 * reports as a crash with the input.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "model.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_file_open("fuzz_model");
    return 0;
}

/* FNV-1a 64 over the counts in row order, byte by byte from the low end, as
 * model.h describes the checksum. */
static uint64_t s_fnv(uint64_t count[MODEL_CLASSES][MODEL_CLASSES])
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int a = 0; a < MODEL_CLASSES; a++)
        for (int b = 0; b < MODEL_CLASSES; b++)
            for (int k = 0; k < 8; k++) {
                h ^= (uint8_t)(count[a][b] >> (8 * k));
                h *= 0x100000001b3ULL;
            }
    return h;
}

/* Copies the input to `out` (of at least 3 * size + 1 bytes) with every
 * "checksum " line's value replaced by the checksum of the counts read
 * loosely from the "row" lines. Returns the new length. */
static size_t s_fix_checksum(const char *in, size_t size, char *out)
{
    static uint64_t count[MODEL_CLASSES][MODEL_CLASSES];
    static char line[1024];
    memset(count, 0, sizeof count);
    for (const char *p = in, *end = in + size; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n >= 4 && n < sizeof line && memcmp(p, "row ", 4) == 0) {
            memcpy(line, p, n);
            line[n] = 0;
            char *s = line + 4;
            unsigned long a = strtoul(s, &s, 10);
            for (int b = 0; a < MODEL_CLASSES && b < MODEL_CLASSES; b++)
                count[a][b] = strtoull(s, &s, 10);
        }
        p += n + (nl ? 1 : 0);
    }
    char sum[17];
    snprintf(sum, sizeof sum, "%016" PRIx64, s_fnv(count));
    size_t w = 0;
    for (const char *p = in, *end = in + size; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n >= 9 && memcmp(p, "checksum ", 9) == 0) {
            memcpy(out + w, "checksum ", 9);
            memcpy(out + w + 9, sum, 16);
            w += 25;
        } else {
            memcpy(out + w, p, n);
            w += n;
        }
        if (nl)
            out[w++] = '\n';
        p += n + (nl ? 1 : 0);
    }
    return w;
}

/* Scores one label, checking what model.h promises of the result. */
static double s_score(const model_t *m, const uint8_t *label, size_t len)
{
    double sum = 0;
    size_t pairs = 0;
    model_score_label(m, label, len, &sum, &pairs);
    FUZZ_CHECK(pairs == len + 1);
    FUZZ_CHECK(isfinite(sum));
    if (!(sum <= 0)) {
        fprintf(stderr, "fuzz_model: label '%.*s' scores %g: a log2-probability above 0\n",
                (int)len, (const char *)label, sum);
        abort();
    }
    return sum;
}

static const char *const s_labels[] = {
    "", "www", "example", "t88d8de31bbea", "6b65722f", "a-b_c", "xn--bcher-kva", "0123456789",
};
#define S_NLABELS (sizeof s_labels / sizeof s_labels[0])

/* Every transition, one at a time as far as scores allow: "xy" scores
 * ^x + xy + y$ and "xyxy" adds yx + xy, so both and their difference must be
 * at most 0 (up to float rounding) for every pair of classes, 0 excepted. */
static void s_score_transitions(const model_t *m)
{
    static const uint8_t reps[] = "abcdefghijklmnopqrstuvwxyz0123456789-_\xff";
    const size_t nreps = sizeof reps - 1; /* one byte of each class 1..39 */
    for (size_t i = 0; i < nreps; i++)
        for (size_t j = 0; j < nreps; j++) {
            const uint8_t label[4] = {reps[i], reps[j], reps[i], reps[j]};
            double two = s_score(m, label, 2), four = s_score(m, label, 4);
            if (!(four - two <= 1e-6)) {
                fprintf(stderr,
                        "fuzz_model: transitions '%c%c' and '%c%c' sum to %g log2-probability\n",
                        label[0], label[1], label[1], label[0], four - two);
                abort();
            }
        }
}

/* Scores the fixed labels and one of up to 63 bytes from the input. */
static void s_score_all(const model_t *m, const uint8_t *data, size_t size, double *out)
{
    s_score_transitions(m);
    for (size_t i = 0; i < S_NLABELS; i++)
        out[i] = s_score(m, (const uint8_t *)s_labels[i], strlen(s_labels[i]));
    uint8_t label[63];
    size_t len = size < sizeof label ? size : sizeof label;
    for (size_t i = 0; i < len; i++) /* model_score_label() takes lowercase */
        label[i] = (data[i] >= 'A' && data[i] <= 'Z') ? (uint8_t)(data[i] + 32) : data[i];
    out[S_NLABELS] = s_score(m, label, len);
}

/* Writes the model to memory. The caller owns the returned text. */
static char *s_write_text(const model_t *m, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    FUZZ_CHECK(f);
    FUZZ_CHECK(model_write(m, f) == 0);
    FUZZ_CHECK(fclose(f) == 0);
    return text;
}

static void s_load_and_check(const char *text, size_t size, const uint8_t *data, size_t dsize)
{
    char err[256];
    memset(err, 'x', sizeof err); /* so that a missing NUL shows */
    fuzz_file_write(text, size);
    model_t *m = model_load(fuzz_path, err, sizeof err);
    if (!m) {
        FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
        size_t plen = strlen(fuzz_path);
        FUZZ_CHECK(strncmp(err, fuzz_path, plen) == 0 && err[plen] == ':' && err[plen + 1]);
        return;
    }
    double scores[S_NLABELS + 1], again[S_NLABELS + 1];
    s_score_all(m, data, dsize, scores);

    /* What it writes loads back to the same model, which writes the same. */
    size_t len, len2;
    char *out = s_write_text(m, &len);
    model_t *back = model_parse(out, len, err, sizeof err);
    if (!back) {
        fprintf(stderr, "fuzz_model: the written model does not load: %s\n", err);
        abort();
    }
    char *out2 = s_write_text(back, &len2);
    FUZZ_CHECK(len == len2 && memcmp(out, out2, len) == 0);
    FUZZ_CHECK(model_names(back) == model_names(m));
    FUZZ_CHECK(model_transitions(back) == model_transitions(m));
    s_score_all(back, data, dsize, again);
    FUZZ_CHECK(memcmp(scores, again, sizeof scores) == 0);
    free(out);
    free(out2);

    model_destroy(&back);
    FUZZ_CHECK(back == NULL);
    model_destroy(&m);
    FUZZ_CHECK(m == NULL);
    model_destroy(&m); /* accepts a NULL model */
    model_destroy(NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    char *fixed = malloc(3 * size + 1);
    if (!text || !fixed) {
        free(text);
        free(fixed);
        return 0;
    }
    if (size)
        memcpy(text, data, size);
    s_load_and_check(text, size, data, size);
    size_t n = s_fix_checksum(text, size, fixed);
    if (n != size || memcmp(fixed, text, n) != 0)
        s_load_and_check(fixed, n, data, size);
    free(text);
    free(fixed);
    return 0;
}
