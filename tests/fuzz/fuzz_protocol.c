/* tests/fuzz/fuzz_protocol.c - libFuzzer harness for the wire protocol
 * (oracle/wire/protocol.h): request frames in, reply frames out, no sockets.
 *
 * Framing of an input: it is cut at every byte 0x1E (ASCII record
 * separator) into requests, and each request at every '\n' into frames,
 * strictly: k separators make k + 1 pieces, so an empty input is one
 * request of one empty frame, "a\n" is the frames "a" and "", and a frame
 * can hold any byte but those two (a first frame "\0ping" is a command).
 * Seeds are therefore plain text files, one name a line, with no final
 * newline (tests/fuzz/corpus/protocol/).
 *
 * Every request goes through two protocol_t, as two dnsoracled workers
 * would judge it: one with max_batch 8 and one with 1024, so that the
 * overflow path is reached by short inputs and long batches are judged in
 * full. Both use one engine with the built-in model and allow list, the
 * same lists (a drop, a block and an allow entry), their own counters, a
 * keep() that counts the names it would store, and \0stats text from the
 * real stats_format(). docs/protocol.md is then checked reply by reply:
 * a verdict request gets as many frames as it sent, each "true" or "false"
 * as the engine and the lists judge that frame alone (false past
 * max_batch); \0explain one frame per name, starting with the same verdict
 * and reason ("false\toverflow\t" past max_batch); the other commands one
 * frame (pong, the lists' text, the stats text, an error). The counters
 * must move as documented (names, empty, oversize and overflow frames,
 * commands, bad commands), and keep() must see exactly the names
 * judge_storable() keeps (good, with no evidence or weak evidence). A violation aborts, which
 * libFuzzer reports as a crash.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "engine.h"
#include "judge.h"
#include "listbox.h"
#include "log.h"
#include "name.h"
#include "protocol.h"
#include "stats.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define S_REQUEST_SEP 0x1e
#define S_FRAME_SEP '\n'
#define S_MAX_NAME 255 /* protocol.c: longer frames are invalid */
#define S_EXPLAIN_MAX 640

/* The counters the checks follow, read back from the stats text. */
typedef enum {
    C_NAMES,
    C_TRUE,
    C_FALSE,
    C_EMPTY,
    C_OVERSIZE,
    C_OVERFLOW,
    C_COMMANDS,
    C_BAD_COMMANDS,
    C_COUNT
} s_counter_t;

static const char *const s_counter_key[C_COUNT] = {
    "names",           "true",     "false",        "empty_frames", "oversize_frames",
    "overflow_frames", "commands", "bad_commands",
};

typedef struct {
    unsigned max_batch;
    stats_t *stats;
    protocol_t *proto;
    unsigned long long kept; /* names keep() saw */
    unsigned long long want[C_COUNT];
    unsigned long long want_kept; /* what this input should add */
} s_worker_t;

/* Built once and never freed: they live as long as the process, like the
 * daemon's, and stay reachable for LeakSanitizer. */
static engine_t *s_engine;
static listbox_t *s_lists;
static const lists_t *s_lists_in; /* what s_lists holds: never replaced */
static s_worker_t s_workers[2] = {{.max_batch = 8}, {.max_batch = 1024}};

static void s_keep(void *arg, const name_t *name, size_t registrable)
{
    s_worker_t *w = arg;
    FUZZ_CHECK(name->nlabels > 0 && registrable <= name->nlabels);
    w->kept++;
}

/* A refusal: its texts are whole strings, its domain a part of the name. */
static bool s_event(void *arg, const event_t *e)
{
    (void)arg;
    FUZZ_CHECK(e->reason && strlen(e->reason) < 64 && e->qname_len <= 255);
    FUZZ_CHECK(!e->client || strlen(e->client) < 64);
    FUZZ_CHECK(!e->domain || (e->domain_len > 0 && e->domain_len <= 253));
    FUZZ_CHECK(e->action == EVENT_REFUSED || e->action == EVENT_WOULD_BLOCK);
    return true;
}

static size_t s_stats_text(void *arg, char *buf, size_t cap)
{
    s_worker_t *w = arg;
    return stats_format(w->stats, 1, "database disabled\n", buf, cap);
}

static void s_read_counters(s_worker_t *w, unsigned long long out[C_COUNT])
{
    static char text[8192];
    size_t n = stats_format(w->stats, 1, "", text, sizeof text);
    FUZZ_CHECK(n < sizeof text && text[n] == 0);
    for (int c = 0; c < C_COUNT; c++) {
        char key[64];
        snprintf(key, sizeof key, "\n%s ", s_counter_key[c]);
        const char *at = strstr(text, key);
        FUZZ_CHECK(at);
        out[c] = strtoull(at + strlen(key), NULL, 10);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    engine_settings_t s;
    char err[256] = "";
    log_init("fuzz_protocol", LEVEL_ERROR, 0); /* no verdict lines on stderr */
    engine_settings_default(&s);
    s_engine = engine_new(&s, err, sizeof err);
    lists_t *l = lists_new();
    s_lists = listbox_new(2, LISTBOX_KEEP_SECONDS); /* a reader slot per worker */
    if (!s_engine || !l || !s_lists || lists_add(l, LIST_DROP, "busy.test") != 0 ||
        lists_add(l, LIST_BLOCK, "blocked.test") != 0 ||
        lists_add(l, LIST_ALLOW, "ok.busy.test") != 0) {
        fprintf(stderr, "fuzz_protocol: setup failed: %s\n", err[0] ? err : "out of memory");
        exit(1);
    }
    listbox_put(s_lists, l);
    s_lists_in = l;
    for (int i = 0; i < 2; i++) {
        s_worker_t *w = &s_workers[i];
        w->stats = stats_new(1);
        FUZZ_CHECK(w->stats);
        protocol_deps_t deps = {
            s_lists, stats_slot(w->stats, 0), s_keep, s_stats_text, w, NULL, NULL, (unsigned)i,
            s_event};
        w->proto = protocol_new(s_engine, w->max_batch, &deps);
        FUZZ_CHECK(w->proto);
    }
    /* The first check makes this thread's PSL cache; do it here so that the
     * leak check of the first input does not see it as that input's. */
    verdict_t v;
    engine_check(s_engine, "www.example.com", 15, &v);
    return 0;
}

/* What a verdict frame must get: the engine's verdict on the frame alone,
 * then the lists'; invalid (unparsed, or over 255 bytes) is false. */
static void s_expect(const char *data, size_t size, verdict_t *v)
{
    name_t name;
    *v = (verdict_t){.good = false, .reason_id = REASON_INVALID};
    if (size <= S_MAX_NAME && name_parse(data, size, &name) == 0) {
        engine_check_name(s_engine, &name, v);
        lists_apply(s_lists_in, &name, v);
    }
    v->reason = engine_reason_name(v->reason_id);
}

static bool s_reply_is(const char *r, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(r, want, len) == 0;
}

/* A frame of a request: where it starts and its length. */
typedef struct {
    const char *data;
    size_t size;
} s_frame_t;

static void s_check_verdicts(s_worker_t *w, const s_frame_t *f, size_t n, size_t nreplies)
{
    FUZZ_CHECK(nreplies == n);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *r = protocol_reply(w->proto, i, &len);
        if (i >= w->max_batch) {
            FUZZ_CHECK(s_reply_is(r, len, "false"));
            w->want[C_OVERFLOW]++;
            continue;
        }
        verdict_t v;
        s_expect(f[i].data, f[i].size, &v);
        FUZZ_CHECK(s_reply_is(r, len, v.good ? "true" : "false"));
        w->want[C_NAMES]++;
        w->want[v.good ? C_TRUE : C_FALSE]++;
        w->want[C_EMPTY] += f[i].size == 0;
        w->want[C_OVERSIZE] += f[i].size > S_MAX_NAME;
        w->want_kept += judge_storable(&v);
    }
}

/* \0explain NAME...: "true|false<TAB>reason<TAB>scores" per name. */
static void s_check_explain(s_worker_t *w, const s_frame_t *f, size_t n, size_t nreplies)
{
    if (n == 1) {
        size_t len;
        const char *r = protocol_reply(w->proto, 0, &len);
        FUZZ_CHECK(nreplies == 1 && s_reply_is(r, len, "error explain needs names"));
        return;
    }
    FUZZ_CHECK(nreplies == n - 1);
    for (size_t i = 0; i + 1 < n; i++) {
        size_t len;
        const char *r = protocol_reply(w->proto, i, &len);
        if (i >= w->max_batch) {
            FUZZ_CHECK(s_reply_is(r, len, "false\toverflow\t"));
            w->want[C_OVERFLOW]++;
            continue;
        }
        verdict_t v;
        char head[128];
        s_expect(f[i + 1].data, f[i + 1].size, &v);
        int hlen =
            snprintf(head, sizeof head, "%s\t%s\tverdict=%s reason=%s", v.good ? "true" : "false",
                     v.reason, v.good ? "true" : "false", v.reason);
        FUZZ_CHECK(hlen > 0 && (size_t)hlen < sizeof head);
        FUZZ_CHECK(len < S_EXPLAIN_MAX && len > (size_t)hlen);
        FUZZ_CHECK(memcmp(r, head, (size_t)hlen) == 0);
        /* the scores: one line of "key=value" pairs, no more tabs */
        FUZZ_CHECK(!memchr(r + hlen, '\t', len - (size_t)hlen));
        FUZZ_CHECK(!memchr(r, '\n', len) && !memchr(r, 0, len));
    }
}

static void s_check_command(s_worker_t *w, const s_frame_t *f, size_t n, size_t nreplies)
{
    const char *word = f[0].data + 1;
    size_t wlen = f[0].size - 1, len;
    w->want[C_COMMANDS]++;
    if (wlen == 7 && memcmp(word, "explain", 7) == 0) {
        s_check_explain(w, f, n, nreplies);
        return;
    }
    if (wlen == 8 && memcmp(word, "snapshot", 8) == 0) {
        /* a header and a chunk whose CRC it gives, or one error frame */
        const char *r = protocol_reply(w->proto, 0, &len);
        FUZZ_CHECK(nreplies == 2 || (nreplies == 1 && len > 0));
        if (nreplies == 2) {
            size_t clen;
            const char *c = protocol_reply(w->proto, 1, &clen);
            char head[640], want[32]; /* as big as protocol.c's header */
            FUZZ_CHECK(len > 9 && len < sizeof head && memcmp(r, "snapshot ", 9) == 0);
            memcpy(head, r, len);
            head[len] = 0;
            snprintf(want, sizeof want, " %zu %lu ", clen, (unsigned long)lists_crc32(0, c, clen));
            FUZZ_CHECK(strstr(head, want) != NULL);
        }
        return;
    }
    FUZZ_CHECK(nreplies == 1);
    const char *r = protocol_reply(w->proto, 0, &len);
    if (wlen == 4 && memcmp(word, "ping", 4) == 0) {
        FUZZ_CHECK(s_reply_is(r, len, "pong"));
    } else if (wlen == 5 && memcmp(word, "stats", 5) == 0) {
        FUZZ_CHECK(len > 8 && memcmp(r, "version ", 8) == 0 && r[len - 1] == '\n');
        FUZZ_CHECK(len == strnlen(r, len));
    } else if (wlen == 6 && memcmp(word, "report", 6) == 0) {
        /* "ok N", N at most the names the request held (every other frame) */
        char want[32];
        int k = len < sizeof want ? (int)len : 0;
        memcpy(want, r, (size_t)k);
        want[k] = 0;
        FUZZ_CHECK(k > 3 && memcmp(want, "ok ", 3) == 0);
        FUZZ_CHECK(strtoul(want + 3, NULL, 10) <= (n - 1) / 2);
    } else {
        FUZZ_CHECK(s_reply_is(r, len, "error unknown command"));
        w->want[C_BAD_COMMANDS]++;
    }
}

/* One request through one worker. */
static void s_request(s_worker_t *w, const s_frame_t *f, size_t n)
{
    size_t kept = w->kept;
    protocol_begin(w->proto);
    for (size_t i = 0; i < n; i++)
        protocol_frame(w->proto, f[i].data, f[i].size);
    size_t nreplies = protocol_end(w->proto);
    if (f[0].size > 0 && f[0].data[0] == 0) {
        s_check_command(w, f, n, nreplies);
        /* a report stores what the hook judged good: at most one a name */
        if (f[0].size == 7 && memcmp(f[0].data + 1, "report", 6) == 0) {
            FUZZ_CHECK(w->kept - kept <= (n - 1) / 2);
            w->want_kept += w->kept - kept;
        }
    } else
        s_check_verdicts(w, f, n, nreplies);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so that a read past the input is caught. */
    char *in = malloc(size ? size : 1);
    s_frame_t *frames = malloc((size + 1) * sizeof *frames);
    FUZZ_CHECK(in && frames);
    if (size)
        memcpy(in, data, size);

    unsigned long long before[2][C_COUNT];
    for (int k = 0; k < 2; k++) {
        s_read_counters(&s_workers[k], before[k]);
        memset(s_workers[k].want, 0, sizeof s_workers[k].want);
        s_workers[k].want_kept = 0;
        s_workers[k].kept = 0;
    }

    size_t start = 0, n = 0;
    for (size_t i = 0; i <= size; i++) {
        bool end_request = i == size || in[i] == S_REQUEST_SEP;
        if (!end_request && in[i] != S_FRAME_SEP)
            continue;
        frames[n++] = (s_frame_t){in + start, i - start};
        start = i + 1;
        if (end_request) {
            for (int k = 0; k < 2; k++)
                s_request(&s_workers[k], frames, n);
            n = 0;
        }
    }

    for (int k = 0; k < 2; k++) {
        s_worker_t *w = &s_workers[k];
        unsigned long long after[C_COUNT];
        s_read_counters(w, after);
        for (int c = 0; c < C_COUNT; c++)
            if (after[c] - before[k][c] != w->want[c]) {
                fprintf(stderr, "fuzz_protocol: max_batch %u: %s moved by %llu, not %llu\n",
                        w->max_batch, s_counter_key[c], after[c] - before[k][c], w->want[c]);
                FUZZ_CHECK(after[c] - before[k][c] == w->want[c]);
            }
        FUZZ_CHECK(w->kept == w->want_kept);
    }
    free(frames);
    free(in);
    return 0;
}
