/* oracle/engine/model.c - the bigram model of benign DNS labels. */
#include "model.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct model {
    uint64_t names;
    uint64_t count[MODEL_CLASSES][MODEL_CLASSES];
    float logp[MODEL_CLASSES][MODEL_CLASSES]; /* log2 P(next | prev) */
    uint8_t cls[256];                         /* model_class() of every byte */
};

/* Byte -> class; 0 means "other" here, as class 0 is the boundary. */
static const uint8_t s_class[256] = {
#define C(ch, cls) [ch] = cls
    C('a', 1),  C('b', 2),  C('c', 3),  C('d', 4),  C('e', 5),  C('f', 6),  C('g', 7),  C('h', 8),
    C('i', 9),  C('j', 10), C('k', 11), C('l', 12), C('m', 13), C('n', 14), C('o', 15), C('p', 16),
    C('q', 17), C('r', 18), C('s', 19), C('t', 20), C('u', 21), C('v', 22), C('w', 23), C('x', 24),
    C('y', 25), C('z', 26), C('0', 27), C('1', 28), C('2', 29), C('3', 30), C('4', 31), C('5', 32),
    C('6', 33), C('7', 34), C('8', 35), C('9', 36), C('-', 37), C('_', 38),
#undef C
};

int model_class(uint8_t byte) { return s_class[byte] ? s_class[byte] : MODEL_CLASSES - 1; }

model_t *model_new(void) { return calloc(1, sizeof(model_t)); }

void model_destroy(model_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

void model_train_label(model_t *self, const uint8_t *label, size_t len)
{
    int prev = 0;
    for (size_t i = 0; i < len; i++) {
        int c = model_class(label[i]);
        self->count[prev][c]++;
        prev = c;
    }
    self->count[prev][0]++;
}

void model_count_name(model_t *self) { self->names++; }

uint64_t model_names(const model_t *self) { return self->names; }

uint64_t model_transitions(const model_t *self)
{
    uint64_t t = 0;
    for (int a = 0; a < MODEL_CLASSES; a++)
        for (int b = 0; b < MODEL_CLASSES; b++)
            t += self->count[a][b];
    return t;
}

void model_finish(model_t *self)
{
    for (int b = 0; b < 256; b++)
        self->cls[b] = (uint8_t)model_class((uint8_t)b);
    for (int a = 0; a < MODEL_CLASSES; a++) {
        uint64_t row = 0;
        for (int b = 0; b < MODEL_CLASSES; b++)
            row += self->count[a][b];
        /* Add-one smoothing; a transition into the boundary from the
         * boundary (an empty label) cannot occur and stays unlikely. */
        double denom = (double)row + MODEL_CLASSES;
        for (int b = 0; b < MODEL_CLASSES; b++)
            self->logp[a][b] = (float)log2(((double)self->count[a][b] + 1.0) / denom);
    }
}

void model_score_label(const model_t *self, const uint8_t *label, size_t len, double *sum,
                       size_t *pairs)
{
    int prev = 0;
    double s = 0;
    for (size_t i = 0; i < len; i++) {
        int c = self->cls[label[i]];
        s += self->logp[prev][c];
        prev = c;
    }
    s += self->logp[prev][0];
    *sum += s;
    *pairs += len + 1;
}

static uint64_t s_checksum(const model_t *self)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int a = 0; a < MODEL_CLASSES; a++)
        for (int b = 0; b < MODEL_CLASSES; b++)
            for (int k = 0; k < 8; k++) {
                h ^= (uint8_t)(self->count[a][b] >> (8 * k));
                h *= 0x100000001b3ULL;
            }
    return h;
}

int model_write(const model_t *self, FILE *out)
{
    fprintf(out, "dnsoracle-bigram %d\nclasses %d\nnames %" PRIu64 "\n", MODEL_VERSION,
            MODEL_CLASSES, self->names);
    for (int a = 0; a < MODEL_CLASSES; a++) {
        fprintf(out, "row %d", a);
        for (int b = 0; b < MODEL_CLASSES; b++)
            fprintf(out, " %" PRIu64, self->count[a][b]);
        fputc('\n', out);
    }
    fprintf(out, "checksum %016" PRIx64 "\n", s_checksum(self));
    return (fflush(out) == 0 && !ferror(out)) ? 0 : -EIO;
}

/* A cursor over the text that hands out one line at a time. */
typedef struct {
    const char *p, *end;
    int lineno;
    char line[1024];
} s_reader_t;

/* Returns 1 with the next line in r->line, 0 at the end, -1 if too long. */
static int s_next_line(s_reader_t *r)
{
    if (r->p >= r->end)
        return 0;
    const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
    size_t n = nl ? (size_t)(nl - r->p) : (size_t)(r->end - r->p);
    r->lineno++;
    if (n >= sizeof r->line)
        return -1;
    memcpy(r->line, r->p, n);
    r->line[n] = 0;
    if (memchr(r->line, 0, n))
        return -1;
    r->p += n + (nl ? 1 : 0);
    return 1;
}

/* Parses an unsigned decimal at *s, advancing past it; -1 if none. */
static int s_number(const char **s, uint64_t *v)
{
    const char *p = *s;
    if (*p != ' ')
        return -1;
    p++;
    if (*p < '0' || *p > '9')
        return -1;
    uint64_t x = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (x > (UINT64_MAX - 9) / 10)
            return -1;
        x = x * 10 + (uint64_t)(*p - '0');
    }
    *v = x;
    *s = p;
    return 0;
}

model_t *model_parse(const char *text, size_t len, char *err, size_t errcap)
{
    model_t *self = model_new();
    s_reader_t r = {.p = text, .end = text + len};
    const char *why = "out of memory";
    if (!self)
        goto fail;
    char expect[64];
    snprintf(expect, sizeof expect, "dnsoracle-bigram %d", MODEL_VERSION);
    why = "not a dnsoracle bigram model of version 1 (first line)";
    if (s_next_line(&r) != 1 || strcmp(r.line, expect) != 0)
        goto fail;
    snprintf(expect, sizeof expect, "classes %d", MODEL_CLASSES);
    why = "expected 'classes 40'";
    if (s_next_line(&r) != 1 || strcmp(r.line, expect) != 0)
        goto fail;
    why = "expected 'names N'";
    if (s_next_line(&r) != 1 || strncmp(r.line, "names", 5) != 0)
        goto fail;
    const char *s = r.line + 5;
    if (s_number(&s, &self->names) != 0 || *s)
        goto fail;
    for (int a = 0; a < MODEL_CLASSES; a++) {
        why = "missing or malformed row (file truncated?)";
        if (s_next_line(&r) != 1)
            goto fail;
        char head[16];
        snprintf(head, sizeof head, "row %d", a);
        size_t hl = strlen(head);
        if (strncmp(r.line, head, hl) != 0)
            goto fail;
        s = r.line + hl;
        for (int b = 0; b < MODEL_CLASSES; b++) {
            if (s_number(&s, &self->count[a][b]) != 0)
                goto fail;
            /* 1600 counts of at most 2^48 cannot overflow a 64-bit sum,
             * which would make probabilities above 1 (found by fuzzing). */
            if (self->count[a][b] > (UINT64_C(1) << 48)) {
                why = "a count over 2^48";
                goto fail;
            }
        }
        why = "row has more than 40 counts";
        if (*s)
            goto fail;
    }
    why = "missing checksum line (file truncated?)";
    if (s_next_line(&r) != 1 || strncmp(r.line, "checksum ", 9) != 0)
        goto fail;
    char *endp;
    errno = 0;
    uint64_t sum = strtoull(r.line + 9, &endp, 16);
    why = "malformed checksum";
    if (errno || strlen(r.line + 9) != 16 || *endp)
        goto fail;
    why = "checksum mismatch: the file is corrupt";
    if (sum != s_checksum(self))
        goto fail;
    why = "unexpected data after the checksum";
    if (s_next_line(&r) != 0)
        goto fail;
    why = "the model holds no transitions";
    if (model_transitions(self) == 0)
        goto fail;
    model_finish(self);
    return self;
fail:
    if (err && errcap)
        snprintf(err, errcap, "line %d: %s", r.lineno, why);
    model_destroy(&self);
    return NULL;
}

model_t *model_load(const char *path, char *err, size_t errcap)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    model_t *self = NULL;
    char why[160];
    if (!f) {
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
        return NULL;
    }
    /* A valid model is about 10 KiB; refuse anything absurd before reading. */
    size_t cap = 1 << 20, len = 0;
    buf = malloc(cap);
    if (!buf) {
        snprintf(err, errcap, "%s: out of memory", path);
        goto done;
    }
    len = fread(buf, 1, cap, f);
    if (ferror(f)) {
        snprintf(err, errcap, "%s: read error", path);
        goto done;
    }
    if (len == cap) {
        snprintf(err, errcap, "%s: too large to be a model", path);
        goto done;
    }
    self = model_parse(buf, len, why, sizeof why);
    if (!self)
        snprintf(err, errcap, "%s: %s", path, why);
done:
    free(buf);
    fclose(f);
    return self;
}
