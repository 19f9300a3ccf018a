/* client/replay.c - dnsoracle_replay: what the whole decision would have done on a capture.
 *
 *   dnsoracle_replay [-c CONFIG] [--labels FILE] [-q] [--top N] [-e] [-v] [FILE...]
 *
 * Reads query logs (querylog.h) and pcap or pcapng captures (capture.h),
 * told apart by their first bytes, and runs every query through
 * judge_name() (judge.h) as dnsoracled would: the engine, the domain layer
 * on the capture's clock (no waiting: a capture of a day replays in
 * seconds), no lists. Then prints what happened per registrable domain, the
 * totals, and with --labels how each kind of name fared (report.h).
 *
 * One clock for the whole replay: a query without a time, or with a time
 * before the last one, happens at the last time seen (0 at first), so files
 * replay as one capture in the order given. Bad lines and packets are
 * counted and the first few named on stderr; they never stop the run. Exit
 * status 0; 2 on a usage or configuration error, or when a file could not be
 * read (after the others).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "config.h"
#include "judge.h"
#include "labels.h"
#include "lines.h"
#include "querylog.h"
#include "report.h"
#include "tally.h"

#define S_PROG "dnsoracle_replay"
#define S_SHOW_BAD 10      /* bad lines and packets named on stderr */
#define S_PROGRESS 100000  /* queries between two progress lines */
#define S_DATA_LABEL 16    /* a label this long carries data */
#define S_DOMAIN_TEXT 1024 /* a registrable domain in presentation form */

typedef struct {
    judge_t judge;
    engine_t *engine;
    domain_t *domains;
    report_t rep; /* the counters the report prints */
    double now;
    int each, progress;
    int oom;          /* memory ran out: the replay stops, the report covers what was read */
    const char *file; /* being read, for messages */
    unsigned long line;
} replay_t;

static void s_bad_line(replay_t *r, const char *why)
{
    if (r->rep.bad_lines++ < S_SHOW_BAD)
        fprintf(stderr, "%s: %s:%lu: bad line: %s\n", S_PROG, r->file, r->line, why);
    if (r->rep.bad_lines == S_SHOW_BAD + 1)
        fprintf(stderr, "%s: more bad lines are counted, not shown\n", S_PROG);
}

static void s_bad_packet(void *user, unsigned long packet, const char *why)
{
    replay_t *r = user;
    if (r->rep.packets.bad <= S_SHOW_BAD)
        fprintf(stderr, "%s: %s: packet %lu: %s\n", S_PROG, r->file, packet, why);
    if (r->rep.packets.bad == S_SHOW_BAD + 1)
        fprintf(stderr, "%s: more bad packets are counted, not shown\n", S_PROG);
}

static void s_print_each(const querylog_t *q, const verdict_t *v, double now)
{
    char type[16];
    fputs(v->good ? "true\t" : "false\t", stdout);
    lines_print_escaped(stdout, q->name, q->name_len);
    printf("\t%s\t%s\t%s\t%.6f\n", v->reason,
           q->qtype ? querylog_qtype_name(q->qtype, type, sizeof type) : "-",
           q->client[0] ? q->client : "-", now);
}

/* The counters of the domain of one judged query. */
static void s_domain(replay_t *r, tally_domain_t *d, const verdict_t *v, domain_result_t res,
                     int fresh)
{
    if (d->queries == 0)
        d->first_time = r->now;
    d->queries++;
    d->names += fresh > 0;
    if (!v->good) {
        d->refused++;
        if (!d->first_refused) {
            d->first_refused = d->queries;
            d->refused_after = r->now - d->first_time;
            d->reason = (uint8_t)v->reason_id;
        }
    }
    if (res == DOMAIN_CUT_NOW && !d->cut_at) {
        d->cut_at = d->queries;
        r->rep.cut++;
    }
}

/* The label counters; for a tunnel's names, its domain's too. */
static void s_label(replay_t *r, tally_domain_t *d, uint64_t key, const name_t *name, size_t reg,
                    const verdict_t *v, int fresh, int fresh_refused)
{
    size_t l = labels_find(r->rep.labels, key);
    report_count_t *c = &r->rep.by_label[l];
    c->queries++;
    c->names += fresh > 0;
    c->refused += !v->good;
    c->refused_names += fresh_refused > 0;
    if (!name || reg >= name->nlabels || !labels_tunnel(r->rep.labels, l))
        return;
    if (d->tunnel < 0)
        d->tunnel = (int32_t)l;
    int data = 0;
    for (size_t i = 0; i < reg; i++)
        data |= name->len[i] >= S_DATA_LABEL;
    if (data) {
        d->data++;
        d->data_refused += !v->good;
    } else if (d->cut_at) {
        d->short_after++;
        d->short_after_refused += !v->good;
    }
}

/* One query through the whole decision. Returns 0, or -ENOMEM. */
static int s_query(replay_t *r, const querylog_t *q)
{
    name_t name;
    verdict_t v;
    domain_result_t res = DOMAIN_SKIP;
    size_t reg = 0;
    char dom[S_DOMAIN_TEXT];
    int dlen = -1;
    if (q->has_time && q->time > r->now)
        r->now = q->time;
    int parsed = q->name_len <= NAME_MAX_INPUT && name_parse(q->name, q->name_len, &name) == 0;
    if (parsed) {
        uint64_t client = q->client[0] ? domain_client_hash(q->client, strlen(q->client)) : 0;
        judge_query_t jq = {q->qtype, client, r->now};
        res = judge_name(&r->judge, &name, &jq, &v, NULL);
        reg = engine_registrable(r->engine, &name);
        if (reg < name.nlabels)
            dlen = name_format(&name, reg, dom, sizeof dom);
    } else {
        engine_check(r->engine, q->name, q->name_len, &v); /* false, "invalid" */
    }
    if (dlen < 0)
        dlen = snprintf(dom, sizeof dom, "(none)");
    tally_domain_t *d = tally_domain(r->rep.tally, dom, (size_t)dlen);
    uint64_t key = tally_key(parsed ? &name : NULL, q->name, q->name_len);
    int fresh = tally_add_name(r->rep.tally, 0, key);
    int fresh_refused = v.good ? 0 : tally_add_name(r->rep.tally, 1, key);
    if (!d || fresh < 0 || fresh_refused < 0) {
        r->oom = 1;
        return -ENOMEM;
    }
    s_domain(r, d, &v, res, fresh);
    if (r->rep.labels)
        s_label(r, d, key, parsed ? &name : NULL, reg, &v, fresh, fresh_refused);
    r->rep.total.queries++;
    r->rep.total.names += fresh > 0;
    r->rep.total.refused += !v.good;
    r->rep.total.refused_names += fresh_refused > 0;
    if (r->each)
        s_print_each(q, &v, r->now);
    if (r->progress && r->rep.total.queries % S_PROGRESS == 0)
        fprintf(stderr, "%s: %lu queries, %lu refused\n", S_PROG, r->rep.total.queries,
                r->rep.total.refused);
    return 0;
}

/* getline(), with the `*plen` bytes at `pre` read from f before: they start
 * the first lines. Returns the length, -1 at the end, -2 out of memory. */
static ssize_t s_getline(char **line, size_t *cap, FILE *f, char *pre, size_t *plen)
{
    if (*plen == 0)
        return getline(line, cap, f);
    const char *nl = memchr(pre, '\n', *plen);
    size_t head = nl ? (size_t)(nl - pre) + 1 : *plen;
    ssize_t got = nl ? 0 : getline(line, cap, f);
    size_t rest = got > 0 ? (size_t)got : 0;
    if (!*line || *cap < head + rest + 1) {
        char *p = realloc(*line, head + rest + 1);
        if (!p)
            return -2;
        *line = p;
        *cap = head + rest + 1;
    }
    if (rest)
        memmove(*line + head, *line, rest);
    memcpy(*line, pre, head);
    (*line)[head + rest] = '\0';
    memmove(pre, pre + head, *plen - head);
    *plen -= head;
    return (ssize_t)(head + rest);
}

static int s_text(replay_t *r, FILE *f, char *pre, size_t plen)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = s_getline(&line, &cap, f, pre, &plen)) >= 0) {
        size_t len = (size_t)n;
        querylog_t q;
        const char *why = "?";
        r->line++;
        if (len && line[len - 1] == '\n')
            len--;
        if (len && line[len - 1] == '\r')
            len--;
        int k = querylog_parse(line, len, &q, &why);
        if (k < 0)
            s_bad_line(r, why);
        else if (k > 0)
            rc = s_query(r, &q);
    }
    free(line);
    if (rc == 0 && n == -2) {
        r->oom = 1;
        rc = -ENOMEM;
    }
    if (rc == 0 && ferror(f)) {
        fprintf(stderr, "%s: %s: read error\n", S_PROG, r->file);
        rc = -EIO;
    }
    return rc;
}

static int s_packet(void *user, const capture_query_t *cq)
{
    querylog_t q = {true, cq->time, "", cq->name, cq->name_len, cq->qtype};
    memcpy(q.client, cq->client, sizeof q.client);
    return s_query(user, &q) != 0;
}

/* A copy of what is left of f, after the `plen` bytes at `pre`, in a
 * temporary file at its start (for libpcap, which must read the magic).
 * Returns NULL after saying why. */
static FILE *s_spool(replay_t *r, FILE *f, const uint8_t *pre, size_t plen)
{
    FILE *t = tmpfile();
    char buf[65536];
    size_t n = 0;
    int ok = t && fwrite(pre, 1, plen, t) == plen;
    while (ok && (n = fread(buf, 1, sizeof buf, f)) > 0)
        ok = fwrite(buf, 1, n, t) == n;
    if (ok && !ferror(f) && fflush(t) == 0 && fseek(t, 0, SEEK_SET) == 0)
        return t;
    fprintf(stderr, "%s: %s: cannot copy the capture to a temporary file\n", S_PROG, r->file);
    if (t)
        fclose(t);
    return NULL;
}

/* A capture whose first `plen` bytes were read: read again from the start
 * when the file can seek, else from a copy. Closes f (never stdin). */
static int s_capture(replay_t *r, FILE *f, const uint8_t *pre, size_t plen)
{
    char err[512];
    if (f == stdin || fseek(f, 0, SEEK_SET) != 0) {
        FILE *t = s_spool(r, f, pre, plen);
        if (f != stdin)
            fclose(f);
        if (!t)
            return -EIO;
        f = t;
    }
    if (capture_each(f, s_packet, s_bad_packet, r, &r->rep.packets, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s: %s\n", S_PROG, r->file, err);
        return -EINVAL;
    }
    return 0;
}

/* One input file ("-" = stdin). Returns 0, or a negative errno code after
 * saying why on stderr. */
static int s_file(replay_t *r, const char *path)
{
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        int e = errno;
        fprintf(stderr, "%s: %s: %s\n", S_PROG, path, strerror(e));
        return -e;
    }
    r->file = is_stdin ? "stdin" : path;
    r->line = 0;
    uint8_t pre[4];
    size_t plen = fread(pre, 1, sizeof pre, f);
    if (capture_magic(pre, plen))
        return s_capture(r, f, pre, plen);
    int rc = s_text(r, f, (char *)pre, plen);
    if (!is_stdin)
        fclose(f);
    return rc;
}

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: " S_PROG " [-c CONFIG] [--labels FILE] [-q] [--top N] [-e] [-v] [FILE...]\n"
            "Replays query logs and pcap/pcapng captures through the whole decision\n"
            "(engine and domain layer, on the capture's clock) and reports per\n"
            "registrable domain what it refused and when it cut the domain off.\n"
            "  -c CONFIG      read settings from CONFIG (default: built-in defaults)\n"
            "  --labels FILE  lines LABEL<TAB>NAME: the refused share per label and,\n"
            "                 for labels tunnel:..., per tunnel domain\n"
            "  -q             no domain table: the totals (and labels) only\n"
            "  --top N        the N busiest domains without refusals too (default 10)\n"
            "  -e, --each     one line per query: true|false, name, reason, qtype,\n"
            "                 client, time (tab-separated)\n"
            "  -v             progress on stderr every 100000 queries (always when\n"
            "                 stderr is a terminal)\n"
            "  -h, --help     this help\n"
            "FILE is a pcap or pcapng capture (DNS queries over UDP or TCP, port 53),\n"
            "or a query log with one query a line, [UNIX_TIME] [CLIENT] QNAME [QTYPE],\n"
            "'#' comments; stdin when no FILE or FILE is -.\n"
            "Exit status: 0 (bad lines and packets are counted, never fatal); 2 on a\n"
            "usage or configuration error, or a file that cannot be read.\n");
}

static int s_setup(replay_t *r, const char *config_path, const char *labels_path)
{
    config_t cfg;
    char err[512];
    config_defaults(&cfg);
    if (config_path && config_load(config_path, &cfg, err, sizeof err) != 0)
        goto fail;
    if (!(r->engine = engine_new(&cfg.engine, err, sizeof err)))
        goto fail;
    if (!(r->domains = config_domain_new(&cfg, err, sizeof err)))
        goto fail;
    snprintf(err, sizeof err, "out of memory");
    if (!(r->rep.tally = tally_new()))
        goto fail;
    r->judge = (judge_t){r->engine, NULL, r->domains};
    if (!labels_path)
        return 0;
    unsigned long skipped = 0;
    if (!(r->rep.labels = labels_load(S_PROG, labels_path, &skipped)))
        return -EINVAL;
    if (skipped)
        fprintf(stderr, "%s: %s: %lu lines without LABEL<TAB>NAME skipped\n", S_PROG, labels_path,
                skipped);
    r->rep.by_label = calloc(labels_count(r->rep.labels), sizeof *r->rep.by_label);
    if (!r->rep.by_label)
        goto fail;
    return 0;
fail:
    fprintf(stderr, "%s: %s\n", S_PROG, err);
    return -EINVAL;
}

static void s_teardown(replay_t *r)
{
    free(r->rep.by_label);
    labels_destroy(&r->rep.labels);
    tally_destroy(&r->rep.tally);
    domain_destroy(&r->domains);
    engine_destroy(&r->engine);
}

static int s_count(const char *text, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-')
        return -EINVAL;
    *out = v;
    return 0;
}

/* Replays every file, then reports. Returns the exit status. */
static int s_run(replay_t *r, char **files, int nfiles, int quiet, size_t top)
{
    int failed = 0;
    char *stdin_only[] = {"-"};
    if (nfiles == 0) {
        files = stdin_only;
        nfiles = 1;
    }
    for (int i = 0; i < nfiles && !r->oom; i++)
        failed |= s_file(r, files[i]) != 0;
    if (r->oom) {
        fprintf(stderr, "%s: out of memory: the report covers the queries before\n", S_PROG);
        failed = 1;
    }
    if ((!quiet && report_domains(&r->rep, top, stdout) != 0) ||
        report_totals(&r->rep, stdout) != 0 || report_labels(&r->rep, stdout) != 0) {
        fprintf(stderr, "%s: out of memory\n", S_PROG);
        failed = 1;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: cannot write the output\n", S_PROG);
        failed = 1;
    }
    return failed ? 2 : 0;
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {{"labels", required_argument, NULL, 'L'},
                                          {"top", required_argument, NULL, 'T'},
                                          {"each", no_argument, NULL, 'e'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    const char *config_path = NULL, *labels_path = NULL;
    int opt, quiet = 0;
    size_t top = 10;
    replay_t r = {0};
    r.progress = isatty(STDERR_FILENO);
    while ((opt = getopt_long(argc, argv, "c:qevh", longs, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 'L':
            labels_path = optarg;
            break;
        case 'T':
            if (s_count(optarg, &top) != 0) {
                fprintf(stderr, "%s: --top: not a count: %s\n", S_PROG, optarg);
                return 2;
            }
            break;
        case 'q':
            quiet = 1;
            break;
        case 'e':
            r.each = 1;
            break;
        case 'v':
            r.progress = 1;
            break;
        case 'h':
            s_usage(stdout);
            return 0;
        default:
            s_usage(stderr);
            return 2;
        }
    }
    int status = 2;
    if (s_setup(&r, config_path, labels_path) == 0)
        status = s_run(&r, argv + optind, argc - optind, quiet, top);
    s_teardown(&r);
    return status;
}
