/* client/verdicts.c - dnsoracle_client's names judged, in batches. */
#include "verdicts.h"

#include <bsd/string.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lines.h"
#include "wire_limits.h"

#define S_BATCH WIRE_CLIENT_BATCH
#define S_NAME_MAX WIRE_MAX_NAME /* longer lines are false without asking */

typedef struct {
    char names[S_BATCH][S_NAME_MAX + 1];
    size_t lens[S_BATCH];
    int n;
    bool explain; /* ask with \0explain and print the scores */
    unsigned bad; /* false verdicts so far */
} s_batch_t;

/* `detail` is the reply frame: "true" or "false", and with --explain
 * "<TAB>reason<TAB>key=value key=value...". NULL: too long to ask about. */
static void s_print(const s_batch_t *b, int i, bool good, const char *detail)
{
    fputs(good ? "true " : "false ", stdout);
    /* A name over the wire limit was kept only up to it: marked with "..." */
    lines_print_escaped(stdout, b->names[i], b->lens[i] > S_NAME_MAX ? S_NAME_MAX : b->lens[i]);
    if (b->lens[i] > S_NAME_MAX)
        fputs("...", stdout);
    if (!b->explain) {
        putchar('\n');
        return;
    }
    const char *reason = detail ? strchr(detail, '\t') : NULL;
    const char *scores = reason ? strchr(reason + 1, '\t') : NULL;
    if (!detail)
        fputs(" invalid (over 255 bytes: not sent)", stdout);
    else if (reason)
        printf(" %.*s", scores ? (int)(scores - reason - 1) : (int)strlen(reason + 1), reason + 1);
    putchar('\n');
    /* The scores on one indented line, without the verdict and reason
     * already printed. */
    const char *sep = "  ";
    for (const char *p = scores ? scores + 1 : ""; *p;) {
        size_t w = strcspn(p, " ");
        if (w && strncmp(p, "verdict=", 8) != 0 && strncmp(p, "reason=", 7) != 0) {
            printf("%s%.*s", sep, (int)w, p);
            sep = " ";
        }
        p += w + (p[w] == ' ');
    }
    if (sep[0] == ' ' && sep[1] == 0)
        putchar('\n');
}

/* Asks about every name in the batch, prints the answers in order and
 * empties it. Returns 0, or -1 when the oracle did not answer properly. */
static int s_flush(request_t *c, s_batch_t *b)
{
    const char *frames[S_BATCH + 1];
    size_t lens[S_BATCH + 1];
    int nf = 0, first = b->explain ? 1 : 0;
    if (b->explain) {
        frames[nf] = "\0explain";
        lens[nf++] = 8;
    }
    for (int i = 0; i < b->n; i++) {
        if (b->lens[i] > S_NAME_MAX)
            continue;
        frames[nf] = b->names[i];
        lens[nf++] = b->lens[i];
    }
    request_reply_t r = {0};
    if (nf > first) {
        if (request_send(c, frames, lens, nf, &r) != 0)
            return -1;
        if (r.n != nf - first) {
            fprintf(stderr, "dnsoracle_client: %s: %d answers to %d names\n", request_endpoint(c),
                    r.n, nf - first);
            request_reply_free(&r);
            return -1;
        }
    }
    int k = 0;
    for (int i = 0; i < b->n; i++) {
        if (b->lens[i] > S_NAME_MAX) {
            s_print(b, i, false, NULL);
            b->bad++;
            continue;
        }
        if (k >= r.n)
            break; /* cannot happen: the count was checked above */
        const char *t = r.text[k++];
        bool good = strncmp(t, "true", 4) == 0 && (t[4] == 0 || t[4] == '\t');
        if (!good && !(strncmp(t, "false", 5) == 0 && (t[5] == 0 || t[5] == '\t'))) {
            fprintf(stderr, "dnsoracle_client: %s: unexpected answer '%.40s'\n",
                    request_endpoint(c), t);
            request_reply_free(&r);
            return -1;
        }
        s_print(b, i, good, t);
        b->bad += !good;
    }
    request_reply_free(&r);
    fflush(stdout);
    b->n = 0;
    return 0;
}

static int s_add(request_t *c, s_batch_t *b, const char *name, size_t len)
{
    /* Kept up to one byte past the wire limit: enough to know it is over. */
    size_t keep = len > S_NAME_MAX + 1 ? S_NAME_MAX + 1 : len;
    memcpy(b->names[b->n], name, keep < S_NAME_MAX + 1 ? keep : S_NAME_MAX);
    b->names[b->n][keep < S_NAME_MAX + 1 ? keep : S_NAME_MAX] = 0;
    b->lens[b->n] = keep;
    b->n++;
    return b->n == S_BATCH ? s_flush(c, b) : 0;
}

/* Streams names from stdin: a batch goes out when it is full or when stdin
 * has nothing ready, so a slow writer gets each answer at once. */
static int s_stream(request_t *c, s_batch_t *b)
{
    static char buf[1 << 16];
    size_t have = 0;
    bool eof = false, skipping = false; /* skipping: the rest of a huge line */
    while (!eof || have) {
        char *nl = memchr(buf, '\n', have);
        if (!nl && !eof && have < sizeof buf) {
            struct pollfd p = {0, POLLIN, 0};
            if (b->n && poll(&p, 1, 0) == 0 && s_flush(c, b) != 0)
                return -1;
            ssize_t got = read(0, buf + have, sizeof buf - have);
            if (got < 0 && errno == EINTR)
                continue;
            if (got < 0) {
                fprintf(stderr, "dnsoracle_client: stdin: %s\n", strerror(errno));
                return -1;
            }
            eof = got == 0;
            have += (size_t)got;
            continue;
        }
        size_t len = nl ? (size_t)(nl - buf) : have;
        size_t used = nl ? len + 1 : have;
        if (!skipping) {
            size_t n = len;
            if (n && buf[n - 1] == '\r' && nl)
                n--;
            if ((n || nl || eof) && s_add(c, b, buf, n) != 0)
                return -1;
        }
        /* A line longer than the buffer: judged once (false), rest skipped. */
        skipping = !nl && !eof;
        memmove(buf, buf + used, have - used);
        have -= used;
    }
    return b->n ? s_flush(c, b) : 0;
}

int verdicts_run(request_t *c, bool explain, char **names, int n)
{
    s_batch_t *b = calloc(1, sizeof *b);
    if (!b) {
        fprintf(stderr, "dnsoracle_client: out of memory\n");
        return VERDICTS_FAIL;
    }
    b->explain = explain;
    bool from_stdin = n == 0 || (n == 1 && strcmp(names[0], "-") == 0);
    int err = 0;
    if (from_stdin)
        err = s_stream(c, b);
    else
        for (int i = 0; i < n && !err; i++)
            err = s_add(c, b, names[i], strlen(names[i]));
    if (!err && b->n)
        err = s_flush(c, b);
    int rc = err ? VERDICTS_FAIL : b->bad ? VERDICTS_FALSE : VERDICTS_GOOD;
    free(b);
    return rc;
}
