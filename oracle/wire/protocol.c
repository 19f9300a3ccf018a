/* oracle/wire/protocol.c - the wire protocol's requests and replies, without sockets. */
#include "protocol.h"

#include <bsd/string.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "wire_limits.h"

#define S_EXPLAIN_MAX 640 /* one explain reply: verdict, reason, every score */
#define S_STATS_CAP 8192  /* the \0stats reply */
/* Explain buffers bigger than this (about 100 replies) are freed when the
 * next request begins, so that one big batch does not pin its memory. */
#define S_KEEP_BYTES 65536

typedef enum { S_VERDICTS, S_PING, S_SNAPSHOT, S_STATS, S_EXPLAIN, S_REPORT, S_UNKNOWN } s_kind_t;

static const char s_overflow[] = "false\toverflow\t";

struct protocol {
    const engine_t *engine;
    unsigned max_batch;
    protocol_deps_t deps;

    /* The request in progress */
    const lists_t *lists; /* entered once a request, left by protocol_done() */
    s_kind_t kind;
    size_t frames; /* request frames taken, the command frame included */
    size_t stored; /* replies kept, for the first frames: good[] or text */
    size_t nreplies;
    const char *reply; /* the one reply of a command, or NULL */
    size_t reply_len;

    bool *good; /* verdict i */
    size_t good_cap;
    char *text; /* explain replies, one after another */
    size_t text_len, text_cap;
    size_t *end; /* explain reply i ends at text + end[i] */
    size_t end_cap;
    char stats[S_STATS_CAP];

    /* \0report: the fields of the name that comes next */
    judge_query_t query;
    int evidence; /* -1: not given, judge the name here; -2: skip the name; -3: event only */
    double bits;
    int action;        /* event_action_t of a refusal reported, or -1: not one */
    char client[64];   /* the client's address, "" unknown */
    char reason[33];   /* the hook's reason for the refusal */
    char resolver[65]; /* the hook's host */
    size_t reported;
    char report_reply[32];

    /* \0snapshot: the version asked for (0: the current) and where */
    unsigned long long snap_generation, snap_cursor;
    bool snap_args;
    char *chunk; /* WIRE_CHUNK_BYTES, made on the first \0snapshot */
    size_t chunk_len;
    char snap_header[640]; /* numbers and two endpoints of 255 bytes */
    size_t snap_header_len;
};

protocol_t *protocol_new(const engine_t *engine, unsigned max_batch, const protocol_deps_t *deps)
{
    protocol_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->engine = engine;
    self->max_batch = max_batch;
    self->deps = *deps;
    return self;
}

static void s_free_explain(protocol_t *self)
{
    free(self->text);
    free(self->end);
    self->text = NULL;
    self->end = NULL;
    self->text_cap = self->end_cap = 0;
}

void protocol_destroy(protocol_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    protocol_t *self = *self_p;
    protocol_done(self);
    s_free_explain(self);
    free(self->good);
    free(self->chunk);
    free(self);
    *self_p = NULL;
}

void protocol_set_engine(protocol_t *self, const engine_t *engine, unsigned max_batch)
{
    self->engine = engine;
    self->max_batch = max_batch;
}

void protocol_begin(protocol_t *self)
{
    self->lists = self->deps.lists ? listbox_enter(self->deps.lists, self->deps.reader) : NULL;
    self->kind = S_VERDICTS;
    self->frames = self->stored = self->nreplies = self->text_len = 0;
    self->reply = NULL;
    self->reply_len = 0;
    if (self->text_cap > S_KEEP_BYTES)
        s_free_explain(self);
}

/* Makes room for `need` elements of `size` bytes in buf, whose capacity is
 * *cap. Returns the (maybe moved) buffer, or NULL when out of memory (buf
 * is then unchanged and still the caller's). */
static void *s_grow(void *buf, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return buf;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *p = realloc(buf, c * size);
    if (p)
        *cap = c;
    return p;
}

static double s_now(const protocol_t *self)
{
    return self->deps.now ? self->deps.now() : domain_now();
}

static judge_t s_judge_with(const protocol_t *self)
{
    return (judge_t){self->engine, self->lists, self->deps.domains};
}

/* What follows a name judged or reported: a domain this name cut off is
 * logged and counted (the timer puts it on the drop list); a name good on
 * its merits (judge_storable: no evidence or weak) is handed to keep(). */
static void s_after(protocol_t *self, const name_t *name, const verdict_t *v, domain_result_t r,
                    const domain_evidence_t *cut)
{
    if (r == DOMAIN_CUT_NOW) {
        char why[256];
        domain_reason(cut, why, sizeof why);
        stats_add(self->deps.stats, STAT_DOMAIN_CUTS, 1);
        log_warning("domain", "cut off %s (%s)", cut->domain, why);
    }
    if (judge_storable(v) && self->deps.keep)
        self->deps.keep(self->deps.arg, name, v->registrable);
}

/* Hands a refusal to deps.event: `name` (NULL when it does not parse) and
 * its registrable label give the domain. */
static void s_event(protocol_t *self, const char *data, size_t size, const name_t *name,
                    size_t registrable, unsigned qtype, const char *client, const char *reason,
                    event_action_t action, const char *resolver)
{
    if (!self->deps.event)
        return;
    event_t e = {.time = time(NULL),
                 .client = client,
                 .qname = data,
                 .qname_len = size < WIRE_MAX_NAME ? size : WIRE_MAX_NAME, /* a sample */
                 .qtype = qtype,
                 .reason = reason,
                 .action = action,
                 .resolver = resolver};
    if (name && registrable < name->nlabels) {
        e.domain = (const char *)name->lower + name->off[registrable];
        e.domain_len = name->length - name->off[registrable];
    }
    self->deps.event(self->deps.arg, &e);
}

/* Judges one name frame: the engine, the domain layer, the lists
 * (judge.h). */
static bool s_judge(protocol_t *self, const char *data, size_t size)
{
    verdict_t v = {.good = false, .evidence = EVIDENCE_STRONG, .reason_id = REASON_INVALID};
    name_t name;
    domain_evidence_t cut;
    domain_result_t r = DOMAIN_SKIP;
#ifdef DNSORACLE_SERVER_ECHO
    /* tests/bench/echo.c: the same server without the engine, as a baseline */
    (void)data, (void)size, (void)v, (void)name, (void)cut, (void)r;
    stats_verdict(self->deps.stats, REASON_OK, true);
    return true;
#endif
    if (size == 0)
        stats_add(self->deps.stats, STAT_EMPTY_FRAMES, 1);
    if (size > WIRE_MAX_NAME) {
        stats_add(self->deps.stats, STAT_OVERSIZE_FRAMES, 1);
    } else if (name_parse(data, size, &name) == 0) {
        judge_t j = s_judge_with(self);
        judge_query_t q = {0, 0, self->deps.domains ? s_now(self) : 0};
        r = judge_name(&j, &name, &q, &v, &cut);
    }
    v.reason = engine_reason_name(v.reason_id);
    stats_verdict(self->deps.stats, v.reason_id, v.good);
    log_verdict(data, size, v.good, v.reason);
    if (!v.good)
        s_event(self, data, size, v.reason_id != REASON_INVALID ? &name : NULL, v.registrable, 0,
                NULL, v.reason, EVENT_REFUSED, NULL);
    if (v.reason_id != REASON_INVALID)
        s_after(self, &name, &v, r, &cut);
    return v.good;
}

/* Name frame i of a verdict request. Past max_batch (or out of memory) it
 * is answered false unjudged, and nothing is kept for it. */
static void s_verdict_frame(protocol_t *self, size_t i, const char *data, size_t size)
{
    bool *good = NULL;
    if (i < self->max_batch && i == self->stored)
        good = s_grow(self->good, &self->good_cap, i + 1, sizeof *good);
    if (!good) {
        stats_add(self->deps.stats, STAT_OVERFLOW_FRAMES, 1);
        return;
    }
    self->good = good;
    good[i] = s_judge(self, data, size);
    self->stored++;
}

/* Name frame i of \0explain: "true|false<TAB>reason<TAB>scores". Explain
 * neither counts verdicts nor logs nor stores: it is a question about a
 * name, not a query for it. */
static void s_explain_frame(protocol_t *self, size_t i, const char *data, size_t size)
{
    char *text = NULL;
    size_t *end = NULL;
    if (i < self->max_batch && i == self->stored) {
        text = s_grow(self->text, &self->text_cap, self->text_len + S_EXPLAIN_MAX, 1);
        if (text)
            self->text = text;
        end = s_grow(self->end, &self->end_cap, i + 1, sizeof *end);
        if (end)
            self->end = end;
    }
    if (!text || !end) {
        stats_add(self->deps.stats, STAT_OVERFLOW_FRAMES, 1);
        return;
    }
    verdict_t v;
    name_t name;
    char scores[512];
    if (size > WIRE_MAX_NAME || name_parse(data, size, &name) != 0) {
        engine_check_all(self->engine, "", 0, &v);
    } else {
        judge_t j = s_judge_with(self);
        judge_explain(&j, &name, self->deps.domains ? s_now(self) : 0, &v);
    }
    engine_explain(&v, scores, sizeof scores);
    int len = snprintf(text + self->text_len, S_EXPLAIN_MAX, "%s\t%s\t%s",
                       v.good ? "true" : "false", v.reason, scores);
    if (len > 0)
        self->text_len += (size_t)len < S_EXPLAIN_MAX ? (size_t)len : S_EXPLAIN_MAX - 1;
    end[i] = self->text_len;
    self->stored++;
}

/* The refusal fields of a 7-field \0report fields frame: REASON ACTION
 * RESOLVER. Returns false when malformed. */
static bool s_report_refusal(protocol_t *self, char **f)
{
    self->action = events_action_parse(f[5]);
    if (self->action < 0 || strlen(f[4]) >= sizeof self->reason ||
        strlen(f[6]) >= sizeof self->resolver)
        return false;
    strlcpy(self->reason, f[4], sizeof self->reason);
    strlcpy(self->resolver, strcmp(f[6], "-") ? f[6] : "", sizeof self->resolver);
    return true;
}

/* \0report's fields frame: "QTYPE CLIENT", "QTYPE CLIENT EVIDENCE BITS", or
 * "QTYPE CLIENT EVIDENCE BITS REASON ACTION RESOLVER" for a refusal (the
 * EVIDENCE and BITS "-": an event only, not for the domain layer), each
 * "-" when unknown (docs/protocol.md). Returns false when malformed. */
static bool s_report_fields(protocol_t *self, const char *data, size_t size)
{
    char buf[256], *save = NULL;
    if (size >= sizeof buf)
        return false;
    memcpy(buf, data, size);
    buf[size] = 0;
    char *f[7] = {NULL};
    int n = 0;
    for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
        if (n < 7)
            f[n++] = t;
        else
            return false;
    if (n != 2 && n != 4 && n != 7)
        return false;
    char *end = f[0];
    bool known = strcmp(f[0], "-") != 0;
    unsigned long qtype = known ? strtoul(f[0], &end, 10) : 0;
    if ((known && (end == f[0] || *end)) || qtype > 65535 || strlen(f[1]) >= sizeof self->client)
        return false;
    self->query.qtype = (unsigned)qtype;
    known = strcmp(f[1], "-") != 0;
    self->query.client = known ? domain_client_hash(f[1], strlen(f[1])) : 0;
    strlcpy(self->client, known ? f[1] : "", sizeof self->client);
    self->evidence = -1;
    self->action = -1;
    if (n == 7 && !s_report_refusal(self, f))
        return false;
    if (n == 7 && !strcmp(f[2], "-") && !strcmp(f[3], "-")) {
        self->evidence = -3;
    } else if (n >= 4) {
        self->evidence = engine_evidence_parse(f[2]);
        self->bits = strtod(f[3], &end);
        if (self->evidence < 0 || *end || !(self->bits >= 0 && self->bits < 1e6))
            return false;
    }
    return true;
}

/* A refusal reported (7 fields): logged with its client, and an event. */
static void s_report_event(protocol_t *self, const char *data, size_t size, const name_t *name,
                           size_t registrable)
{
    const char *action = events_action_name((event_action_t)self->action);
    log_refusal(data, size, self->reason, self->client, action);
    s_event(self, data, size, name, registrable, self->query.qtype, self->client, self->reason,
            (event_action_t)self->action, self->resolver);
}

/* \0report frame i (0-based after the command): fields, then a name. The
 * verdict goes nowhere: a report is what a hook already decided. */
static void s_report_frame(protocol_t *self, size_t i, const char *data, size_t size)
{
    if (i % 2 == 0) {
        if (!s_report_fields(self, data, size)) {
            stats_add(self->deps.stats, STAT_BAD_REPORTS, 1);
            self->evidence = -2; /* skip the name that follows */
        }
        return;
    }
    name_t name;
    if (self->evidence == -2 || size > WIRE_MAX_NAME || name_parse(data, size, &name) != 0) {
        stats_add(self->deps.stats, STAT_BAD_REPORTS, 1);
        return;
    }
    if (self->evidence == -3) { /* a refusal from the hook's cache: an event only */
        self->reported++;
        s_report_event(self, data, size, &name, engine_registrable(self->engine, &name));
        return;
    }
    self->reported++;
    stats_add(self->deps.stats, STAT_REPORTED, 1);
    judge_t j = s_judge_with(self);
    self->query.now = s_now(self);
    domain_evidence_t cut;
    verdict_t v;
    domain_result_t r;
    if (self->evidence >= 0) /* judged by the hook's engine already */
        r = judge_report(&j, &name, (evidence_t)self->evidence, self->bits, &self->query, &v, &cut);
    else
        r = judge_name(&j, &name, &self->query, &v, &cut);
    if (self->action >= 0)
        s_report_event(self, data, size, &name, v.registrable);
    s_after(self, &name, &v, r, &cut);
}

static size_t s_single(protocol_t *self, const char *reply, size_t len);

/* \0snapshot's frame "GENERATION CURSOR" (decimal; 0 0: the current
 * version from its start). Anything else is a bad request. */
static void s_snapshot_args(protocol_t *self, const char *data, size_t size)
{
    char buf[64], *end = NULL;
    self->snap_args = false;
    if (size == 0 || size >= sizeof buf)
        return;
    memcpy(buf, data, size);
    buf[size] = 0;
    if (buf[0] < '0' || buf[0] > '9')
        return;
    self->snap_generation = strtoull(buf, &end, 10);
    if (*end != ' ' || end[1] < '0' || end[1] > '9')
        return;
    self->snap_cursor = strtoull(end + 1, &end, 10);
    self->snap_args = *end == 0;
}

/* The \0snapshot reply: a header frame "snapshot EPOCH GENERATION NEXT
 * MORE BYTES CRC PUBLISH CURVE_PUBLISH" and the chunk ("kind domain" lines), or one frame
 * "gone" when that version is no longer held (start again with 0 0). */
static size_t s_snapshot(protocol_t *self)
{
    listbox_t *box = self->deps.lists;
    if (!self->snap_args)
        return s_single(self, "error snapshot takes GENERATION CURSOR", 38);
    const lists_t *l = !box ? NULL
                       : self->snap_generation == 0
                           ? self->lists
                           : listbox_find(box, self->deps.reader, self->snap_generation);
    if (box && self->snap_generation && !l)
        return s_single(self, "gone", 4);
    if (!self->chunk && !(self->chunk = malloc(WIRE_CHUNK_BYTES)))
        return s_single(self, "error out of memory", 19);
    uint64_t next = 0;
    bool more = false;
    self->chunk_len =
        l ? lists_chunk(l, self->snap_cursor, self->chunk, WIRE_CHUNK_BYTES, &next, &more) : 0;
    if (more && self->snap_generation == 0)
        listbox_want(box, lists_generation(l)); /* the next chunks ask for it */
    const char *ep = box && listbox_endpoint(box)[0] ? listbox_endpoint(box) : "-";
    const char *cep = box && listbox_curve_endpoint(box)[0] ? listbox_curve_endpoint(box) : "-";
    int n = snprintf(
        self->snap_header, sizeof self->snap_header, "snapshot %llu %llu %llu %d %zu %lu %s %s",
        box ? (unsigned long long)listbox_epoch(box) : 0ULL,
        l ? (unsigned long long)lists_generation(l) : 0ULL, (unsigned long long)next, more ? 1 : 0,
        self->chunk_len, (unsigned long)lists_crc32(0, self->chunk, self->chunk_len), ep, cep);
    self->snap_header_len = n > 0 && (size_t)n < sizeof self->snap_header ? (size_t)n : 0;
    return self->nreplies = 2;
}

/* The first frame of a command: NUL, then the command word. */
static void s_command(protocol_t *self, const char *data, size_t size)
{
    stats_add(self->deps.stats, STAT_COMMANDS, 1);
    if (size == 5 && memcmp(data + 1, "ping", 4) == 0) {
        self->kind = S_PING;
    } else if (size == 9 && memcmp(data + 1, "snapshot", 8) == 0) {
        self->kind = S_SNAPSHOT;
        self->snap_generation = self->snap_cursor = 0;
        self->snap_args = true;
    } else if (size == 6 && memcmp(data + 1, "stats", 5) == 0) {
        self->kind = S_STATS;
    } else if (size == 8 && memcmp(data + 1, "explain", 7) == 0) {
        self->kind = S_EXPLAIN;
    } else if (size == 7 && memcmp(data + 1, "report", 6) == 0) {
        self->kind = S_REPORT;
        self->reported = 0;
        self->evidence = -2; /* a name before its fields is bad */
        self->action = -1;
    } else {
        stats_add(self->deps.stats, STAT_BAD_COMMANDS, 1);
        self->kind = S_UNKNOWN;
    }
}

void protocol_frame(protocol_t *self, const void *data, size_t size)
{
    const char *bytes = data;
    size_t i = self->frames++;
    if (i == 0 && size > 0 && bytes[0] == 0)
        s_command(self, bytes, size);
    else if (self->kind == S_VERDICTS)
        s_verdict_frame(self, i, bytes, size);
    else if (self->kind == S_EXPLAIN)
        s_explain_frame(self, i - 1, bytes, size);
    else if (self->kind == S_REPORT)
        s_report_frame(self, i - 1, bytes, size);
    else if (self->kind == S_SNAPSHOT && i == 1)
        s_snapshot_args(self, bytes, size);
    /* the other commands take no more frames: ignored */
}

void protocol_overflow(protocol_t *self, size_t frames)
{
    if (frames == 0 || self->frames == 0)
        return;
    /* past max_batch, as s_verdict_frame and s_explain_frame count them;
     * a command without names ignores them as it ignores any frame */
    if (self->kind == S_VERDICTS || self->kind == S_EXPLAIN)
        stats_add(self->deps.stats, STAT_OVERFLOW_FRAMES, frames);
    self->frames += frames;
}

void protocol_done(protocol_t *self)
{
    if (self->deps.lists) /* with or without lists: the slot was taken */
        listbox_leave(self->deps.lists, self->deps.reader);
    self->lists = NULL;
}

static size_t s_single(protocol_t *self, const char *reply, size_t len)
{
    self->reply = reply;
    self->reply_len = len;
    return self->nreplies = 1;
}

size_t protocol_end(protocol_t *self)
{
    if (self->frames == 0)
        return self->nreplies = 0;
    switch (self->kind) {
    case S_VERDICTS:
        return self->nreplies = self->frames;
    case S_EXPLAIN:
        if (self->frames == 1)
            return s_single(self, "error explain needs names", 25);
        return self->nreplies = self->frames - 1;
    case S_PING:
        return s_single(self, "pong", 4);
    case S_REPORT: {
        int n = snprintf(self->report_reply, sizeof self->report_reply, "ok %zu", self->reported);
        return s_single(self, self->report_reply, (size_t)n);
    }
    case S_SNAPSHOT:
        return s_snapshot(self);
    case S_STATS: {
        size_t len = 0;
        if (self->deps.stats_text)
            len = self->deps.stats_text(self->deps.arg, self->stats, sizeof self->stats);
        return s_single(self, self->stats, len < sizeof self->stats ? len : sizeof self->stats);
    }
    case S_UNKNOWN:
        break;
    }
    return s_single(self, "error unknown command", 21);
}

const char *protocol_reply(const protocol_t *self, size_t i, size_t *len)
{
    if (self->reply) {
        *len = self->reply_len;
        return self->reply;
    }
    if (self->kind == S_SNAPSHOT) {
        *len = i == 0 ? self->snap_header_len : self->chunk_len;
        return i == 0 ? self->snap_header : self->chunk;
    }
    if (self->kind == S_EXPLAIN) {
        if (i >= self->stored) {
            *len = sizeof s_overflow - 1;
            return s_overflow;
        }
        size_t start = i ? self->end[i - 1] : 0;
        *len = self->end[i] - start;
        return self->text + start;
    }
    bool good = i < self->stored && self->good[i];
    *len = good ? 4 : 5;
    return good ? "true" : "false";
}
