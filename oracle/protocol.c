/* oracle/protocol.c - the wire protocol's requests and replies, without sockets. */
#include "protocol.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define S_MAX_NAME 255    /* larger frames are answered false */
#define S_EXPLAIN_MAX 640 /* one explain reply: verdict, reason, every score */
#define S_STATS_CAP 8192  /* the \0stats reply */
/* Explain buffers bigger than this (about 100 replies) are freed when the
 * next request begins, so that one big batch does not pin its memory. */
#define S_KEEP_BYTES 65536

typedef enum { S_VERDICTS, S_PING, S_LISTS, S_STATS, S_EXPLAIN, S_UNKNOWN } s_kind_t;

static const char s_overflow[] = "false\toverflow\t";

struct protocol {
    const engine_t *engine;
    unsigned max_batch;
    protocol_deps_t deps;

    /* The request in progress */
    const lists_t *lists; /* loaded once a request (lists.h: the grace period) */
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
    s_free_explain(self);
    free(self->good);
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
    self->lists = self->deps.lists ? listbox_get(self->deps.lists) : NULL;
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

/* Judges one name frame: the engine, then the lists; a name that is good on
 * its merits (reason ok) is handed to keep(). */
static bool s_judge(protocol_t *self, const char *data, size_t size)
{
    verdict_t v = {.good = false, .reason_id = REASON_INVALID};
    name_t name;
#ifdef DNSORACLE_SERVER_ECHO
    /* tests/bench/echo.c: the same server without the engine, as a baseline */
    (void)data, (void)size, (void)v, (void)name;
    stats_verdict(self->deps.stats, REASON_OK, true);
    return true;
#endif
    if (size == 0)
        stats_add(self->deps.stats, STAT_EMPTY_FRAMES, 1);
    if (size > S_MAX_NAME)
        stats_add(self->deps.stats, STAT_OVERSIZE_FRAMES, 1);
    else if (name_parse(data, size, &name) == 0)
        engine_check_name(self->engine, &name, &v);
    if (v.reason_id != REASON_INVALID)
        lists_apply(self->lists, &name, &v);
    v.reason = engine_reason_name(v.reason_id);
    stats_verdict(self->deps.stats, v.reason_id, v.good);
    log_verdict(data, size, v.good, v.reason);
    if (v.good && v.reason_id == REASON_OK && self->deps.keep)
        self->deps.keep(self->deps.arg, &name, v.registrable);
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
    if (size > S_MAX_NAME || name_parse(data, size, &name) != 0) {
        engine_check_all(self->engine, "", 0, &v);
    } else {
        engine_check_name_all(self->engine, &name, &v);
        lists_apply(self->lists, &name, &v);
    }
    engine_explain(&v, scores, sizeof scores);
    int len = snprintf(text + self->text_len, S_EXPLAIN_MAX, "%s\t%s\t%s",
                       v.good ? "true" : "false", v.reason, scores);
    if (len > 0)
        self->text_len += (size_t)len < S_EXPLAIN_MAX ? (size_t)len : S_EXPLAIN_MAX - 1;
    end[i] = self->text_len;
    self->stored++;
}

/* The first frame of a command: NUL, then the command word. */
static void s_command(protocol_t *self, const char *data, size_t size)
{
    stats_add(self->deps.stats, STAT_COMMANDS, 1);
    if (size == 5 && memcmp(data + 1, "ping", 4) == 0) {
        self->kind = S_PING;
    } else if (size == 6 && memcmp(data + 1, "lists", 5) == 0) {
        self->kind = S_LISTS;
    } else if (size == 6 && memcmp(data + 1, "stats", 5) == 0) {
        self->kind = S_STATS;
    } else if (size == 8 && memcmp(data + 1, "explain", 7) == 0) {
        self->kind = S_EXPLAIN;
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
    /* the other commands take no more frames: ignored */
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
    case S_LISTS: {
        /* The drop, block and allow lists for the Lua hook's local copy:
         * "kind domain" lines (empty without a database). */
        size_t len = 0;
        const char *text = self->lists ? lists_text(self->lists, &len) : "";
        return s_single(self, text, len);
    }
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
