/* client/listcmd.c - the operator commands for big lists: --import, --list. */
#include "listcmd.h"

#include <bsd/string.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feed.h"
#include "lines.h"

#define S_PAGE 1000        /* entries a list request: the oracle's most */
#define S_PROGRESS_S 2.0   /* seconds between progress lines */
#define S_PAGES_MAX 100000 /* bounds the paging loop: 100 million entries */

typedef struct {
    request_t *req;
    const listcmd_import_t *o;
    const char *reason;
    feed_t *feed;
    char id[32]; /* the oracle's import id, "" before the first chunk */
    char *chunk; /* domains separated by '\n' */
    size_t len;
    unsigned long lines[LISTCMD_CHUNK]; /* the line of each domain in the chunk */
    size_t offsets[LISTCMD_CHUNK];
    int n;
    unsigned long line, sent, bad;
    double t0, progress_at;
    int rc; /* the exit status, once something failed */
} s_import_t;

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

unsigned long listcmd_duration(const char *text)
{
    char *end;
    unsigned long v = strtoul(text, &end, 10);
    unsigned long unit = 0;
    switch (end != text && end[0] && !end[1] ? end[0] : 0) {
    case 's':
        unit = 1;
        break;
    case 'm':
        unit = 60;
        break;
    case 'h':
        unit = 3600;
        break;
    case 'd':
        unit = 86400;
        break;
    case 'w':
        unit = 7UL * 86400;
        break;
    default:
        return 0;
    }
    return text[0] != '-' && v > 0 && v <= 3660UL * 86400 / unit ? v * unit : 0;
}

/* One operator request; on "ok" the text in *text (owned by r). Sets x->rc
 * on failure: 1 refused, 2 no answer. */
static bool s_ask(s_import_t *x, const char *const *f, const size_t *l, int n, request_reply_t *r,
                  const char **text)
{
    bool failed;
    if (request_operator(x->req, f, l, n, r, text, &failed))
        return true;
    x->rc = failed ? 2 : 1;
    return false;
}

static bool s_begin(s_import_t *x)
{
    char expires[32];
    snprintf(expires, sizeof expires, "%lu", x->o->expires_s);
    const char *f[] = {"import-begin", x->o->kind, x->reason,
                       x->o->by,       expires,    x->o->replace ? "replace" : ""};
    size_t l[6];
    for (int i = 0; i < 6; i++)
        l[i] = strlen(f[i]);
    request_reply_t r;
    const char *text;
    bool ok = s_ask(x, f, l, 6, &r, &text);
    if (ok && sscanf(text, "import %30s", x->id) != 1) {
        fprintf(stderr, "dnsoracle_client: unexpected answer '%.40s'\n", text);
        x->rc = 2;
        ok = false;
    }
    request_reply_free(&r);
    return ok;
}

/* "1 domain", "2 domains". */
static const char *s_plural(unsigned long n) { return n == 1 ? "" : "s"; }

/* Sends the chunk; prints each domain the oracle refused with its line
 * (a bad line, not counted as sent). */
static bool s_flush(s_import_t *x)
{
    if (x->n == 0 || (!x->id[0] && !s_begin(x)))
        return x->n == 0;
    const char *f[] = {"import-add", x->id, x->chunk};
    size_t l[] = {10, strlen(x->id), x->len};
    request_reply_t r;
    const char *text;
    if (!s_ask(x, f, l, 3, &r, &text)) {
        request_reply_free(&r);
        return false;
    }
    unsigned long rejected = 0;
    for (const char *p = strchr(text, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
        unsigned long i;
        char why[32];
        if (sscanf(p + 1, "rejected %lu %31s", &i, why) != 2 || i >= (unsigned long)x->n)
            continue;
        const char *d = x->chunk + x->offsets[i];
        fprintf(stderr, "%s:%lu: %s: %.*s\n", x->o->path, x->lines[i],
                strcmp(why, "public-suffix") == 0 ? "a public suffix, refused by the oracle"
                                                  : "refused by the oracle",
                (int)strcspn(d, "\n"), d);
        x->bad++;
        rejected++;
    }
    request_reply_free(&r);
    x->sent += (unsigned long)x->n - rejected;
    x->n = 0;
    x->len = 0;
    return true;
}

static int s_line(void *user, const char *line, size_t len)
{
    s_import_t *x = user;
    char domain[FEED_DOMAIN_MAX + 1];
    const char *why;
    x->line++;
    feed_result_t res = feed_line(x->feed, line, len, domain, &why);
    if (res == FEED_BAD) {
        fprintf(stderr, "%s:%lu: %s: ", x->o->path, x->line, why);
        lines_print_escaped(stderr, line, len > 80 ? 80 : len);
        fputs(len > 80 ? "...\n" : "\n", stderr);
        x->bad++;
    }
    if (res != FEED_DOMAIN)
        return 0;
    size_t dl = strlen(domain);
    x->offsets[x->n] = x->len;
    x->lines[x->n++] = x->line;
    memcpy(x->chunk + x->len, domain, dl);
    x->chunk[x->len + dl] = '\n';
    x->len += dl + 1;
    if (x->n == LISTCMD_CHUNK && !s_flush(x))
        return 1;
    double now = s_now();
    if (now >= x->progress_at) {
        fprintf(stderr, "dnsoracle_client: %s: %lu line%s read, %lu domain%s sent (%.0f s)\n",
                x->o->path, x->line, s_plural(x->line), x->sent, s_plural(x->sent), now - x->t0);
        x->progress_at = now + S_PROGRESS_S;
    }
    return 0;
}

static int s_commit(s_import_t *x)
{
    if (!x->id[0]) {
        fprintf(stderr, "dnsoracle_client: %s: no domain to import%s\n", x->o->path,
                x->o->replace ? ": --replace would empty the list; nothing changed" : "");
        return x->o->replace ? 1 : 0;
    }
    fprintf(stderr, "dnsoracle_client: %s: %lu domain%s sent in %.1f s, applying\n", x->o->path,
            x->sent, s_plural(x->sent), s_now() - x->t0);
    const char *f[] = {"import-commit", x->id};
    size_t l[] = {13, strlen(x->id)};
    request_reply_t r;
    const char *text;
    if (s_ask(x, f, l, 2, &r, &text))
        printf("%s\n", text);
    request_reply_free(&r);
    x->id[0] = 0; /* committed or refused: the oracle has closed it */
    if (x->bad)
        fprintf(stderr, "dnsoracle_client: %s: %lu bad line%s skipped\n", x->o->path, x->bad,
                s_plural(x->bad));
    return x->rc;
}

int listcmd_import(request_t *req, const listcmd_import_t *o)
{
    char reason[256];
    if (o->reason) {
        strlcpy(reason, o->reason, sizeof reason);
    } else {
        const char *base = strrchr(o->path, '/');
        snprintf(reason, sizeof reason, "import %s",
                 strcmp(o->path, "-") == 0 ? "stdin"
                 : base                    ? base + 1
                                           : o->path);
    }
    s_import_t *x = calloc(1, sizeof *x);
    if (!x || !(x->chunk = malloc((size_t)LISTCMD_CHUNK * (FEED_DOMAIN_MAX + 1))) ||
        !(x->feed = feed_new())) {
        fprintf(stderr, "dnsoracle_client: out of memory\n");
        if (x)
            free(x->chunk);
        free(x);
        return 2;
    }
    x->req = req;
    x->o = o;
    x->reason = reason;
    x->t0 = s_now();
    x->progress_at = x->t0 + S_PROGRESS_S;
    int rc = lines_each("dnsoracle_client", o->path, s_line, x) != 0 ? 2 : x->rc;
    if (rc == 0 && s_flush(x))
        rc = s_commit(x);
    else if (rc == 0)
        rc = x->rc;
    if (rc != 0 && x->id[0] && x->rc != 2) {
        /* The oracle answers: tell it to drop what was staged. */
        const char *f[] = {"import-abort", x->id};
        size_t l[] = {12, strlen(x->id)};
        request_reply_t r;
        const char *text;
        if (s_ask(x, f, l, 2, &r, &text))
            fprintf(stderr, "dnsoracle_client: %s\n", text);
        request_reply_free(&r);
    }
    feed_destroy(&x->feed);
    free(x->chunk);
    free(x);
    return rc;
}

/* count [KIND [REASON]]: the "kind N" lines into counts; the total. */
static long long s_count(request_t *req, const char *kind, const char *reason, char *text,
                         size_t cap)
{
    const char *f[] = {"count", kind ? kind : "", reason ? reason : ""};
    size_t l[] = {5, strlen(f[1]), strlen(f[2])};
    request_reply_t r;
    const char *t;
    bool failed;
    long long total = -1;
    if (request_operator(req, f, l, 3, &r, &t, &failed)) {
        strlcpy(text, t, cap);
        total = 0;
        for (const char *p = t; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] != 0)) {
            const char *sp = strchr(p, ' ');
            total += sp ? strtoll(sp + 1, NULL, 10) : 0;
        }
    } else {
        total = failed ? -2 : -1;
    }
    request_reply_free(&r);
    return total;
}

/* Prints one kind's entries, S_PAGE a request, each page after the last
 * domain of the one before. Returns 0 or an exit status. */
static int s_print_kind(request_t *req, const char *kind, const char *reason)
{
    char after[FEED_DOMAIN_MAX + 1] = "", limit[16];
    snprintf(limit, sizeof limit, "%d", S_PAGE);
    for (int page = 0; page < S_PAGES_MAX; page++) {
        const char *f[] = {"list", kind, reason ? reason : "", after, limit};
        size_t l[5];
        for (int i = 0; i < 5; i++)
            l[i] = strlen(f[i]);
        request_reply_t r;
        const char *t;
        bool failed;
        if (!request_operator(req, f, l, 5, &r, &t, &failed)) {
            request_reply_free(&r);
            return failed ? 2 : 1;
        }
        fputs(t, stdout);
        int lines = 0;
        const char *last = NULL;
        for (const char *p = t; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
            lines++;
            last = p;
        }
        if (last) { /* "kind domain by ...": the domain */
            const char *d = strchr(last, ' ');
            size_t n = d ? strcspn(d + 1, " \n") : 0;
            if (d && n <= FEED_DOMAIN_MAX) {
                memcpy(after, d + 1, n);
                after[n] = 0;
            }
        }
        request_reply_free(&r);
        if (lines < S_PAGE)
            return 0;
    }
    return 0;
}

int listcmd_list(request_t *req, const char *kind, const char *reason, bool count, bool all)
{
    char text[256];
    long long total = s_count(req, kind, reason, text, sizeof text);
    if (total < 0)
        return total == -2 ? 2 : 1;
    if (count) {
        const char *sp = strchr(text, ' ');
        fputs(kind && sp ? sp + 1 : text, stdout);
        return 0;
    }
    if (total > LISTCMD_PRINT_MAX && !all) {
        for (char *p = text; *p; p++)
            if (*p == '\n')
                *p = p[1] ? ',' : 0;
        fprintf(stderr,
                "dnsoracle_client: %lld entries (%s): more than %d; give --all to print them "
                "all, --count for the counts only, or --reason TEXT for one feed's\n",
                total, text, LISTCMD_PRINT_MAX);
        return 1;
    }
    static const char *const kinds[] = {"drop", "block", "allow"};
    for (int k = 0; k < 3; k++) {
        if (kind && strcmp(kind, kinds[k]) != 0)
            continue;
        int rc = s_print_kind(req, kinds[k], reason);
        if (rc != 0)
            return rc;
    }
    return 0;
}
