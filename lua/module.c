/* lua/module.c - dnsoracle_c, the Lua module behind the pdns-recursor hook.
 *
 *   local oracle = require("dnsoracle_c")
 *   local h = assert(oracle.open(config_path))   -- nil: $DNSORACLE_CONF or the default
 *   h:settings()        -> table of the [hook] settings (and config_path)
 *   h:judge(name [, qtype [, client]])
 *                       -> good, reason     the engine and the lists, here; the
 *                                           name is queued for a report
 *   h:refused(name, qtype, client, reason)  a cached refusal: an event (event.h)
 *   oracle.client(address, mode)  -> text   what the log line shows of a client
 *   h:ask(name)         -> good, reason     dnsoracled's verdict: the lists settle
 *                                           what they cover, here; else a round
 *                                           trip to dnsoracled; nil, why
 *   h:listed(name)      -> reason or nil    the local copy of the lists alone
 *   h:registrable(name) -> domain or nil    the registrable domain (PSL), lowercased
 *   h:sync([budget_ms]) -> changed, log      keeps the lists in step (listsync.h),
 *                                           waiting at most budget_ms (0); changed:
 *                                           nil, true (forget every cached verdict)
 *                                           or the domains changed; log: a line or nil
 *   h:flush()           -> names sent       send the queued reports to dnsoracled
 *   h:stats()           -> table of counters
 *
 * One handle per Lua state, i.e. per recursor thread: it owns its ZeroMQ
 * context and sockets and its engine; the lists are one read-only copy per
 * process (listsync.h: a million entries are too much memory to copy per
 * thread), kept in step with the oracle's published changes. Two ways to judge a name, chosen by
 * [hook] query:
 *
 * - local (default): the same verdict path as dnsoracled (judge.h), in-process
 *   (about 1 us a name), without the domain layer, which lives in the oracle,
 *   and with the lists as the oracle publishes them. Every
 *   name judged that the domain layer counts, good or bad, is reported with
 *   its query type, client, evidence and bits (\0report, docs/protocol.md), in
 *   batches on a DEALER socket that never waits: the oracle stores the good
 *   ones and weighs each registrable domain's evidence, and a domain that
 *   acts as a channel comes back on the drop list. No round trip on the
 *   query path.
 * - oracle: one synchronous round trip per name (REQ socket), bounded by
 *   timeout_ms; a REQ socket that missed its reply is replaced. The oracle
 *   observes those names itself: nothing is reported. A name the lists
 *   cover needs no round trip: the same verdict path settles it here
 *   (judge_settled: the oracle's domain layer could not change it).
 *
 * Either way a circuit breaker guards the oracle: after a timeout or a full
 * send queue it is not contacted for breaker_seconds (ask returns nil,
 * "breaker" at once), so a dead oracle costs one timeout per period per
 * thread. Recovery is automatic when the period ends.
 */
#include <bsd/string.h>
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "config.h"
#include "curve.h"
#include "engine.h"
#include "judge.h"
#include "event.h"
#include "listsync.h"
#include "name.h"
#include "wire_limits.h"

#define S_META "dnsoracle_c.handle"
#define S_MAX_CLIENT 63 /* an IPv6 address with a zone fits */

/* One name waiting to be reported. */
typedef struct {
    char name[WIRE_MAX_NAME + 1];
    size_t len;
    char client[S_MAX_CLIENT + 1]; /* "" = unknown */
    unsigned qtype;                /* 0 = unknown */
    evidence_t evidence;
    double bits;
    event_refusal_t refusal; /* a refusal is also an event (event.h) */
} s_report_t;

typedef struct {
    config_t cfg;
    char config_path[1024];
    char host[65]; /* the resolver's host, for events */
    engine_t *engine;
    listsync_t *sync;         /* the process's lists */
    listsync_reader_t reader; /* the version this handle judges with */
    void *ctx;
    void *req;    /* asks and commands */
    void *dealer; /* reports, never waited for */
    double down_until;
    /* judged names waiting to be reported */
    s_report_t report[WIRE_REPORT_BATCH];
    int nreport;
    /* [hook] curve_key and curve_server_key, read once at open */
    bool curve;
    curve_keys_t curve_mine, curve_server;
    /* counters */
    uint64_t judged, asked, timeouts, breaker_skips;
    uint64_t reported, report_dropped, report_batches, report_acked;
} s_handle_t;

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *s_socket(s_handle_t *h, int type)
{
    void *s = zmq_socket(h->ctx, type);
    if (!s)
        return NULL;
    int zero = 0, hwm = 4 * WIRE_REPORT_BATCH;
    int64_t max = WIRE_MAX_REPLY;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max, sizeof max);
    if (type == ZMQ_DEALER) {
        /* Reports are best effort: with no connection, or 16 batches
         * behind, a send fails at once and the names count as dropped. */
        int one = 1;
        hwm = 16;
        zmq_setsockopt(s, ZMQ_IMMEDIATE, &one, sizeof one);
    }
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if ((h->curve && curve_client_keys(s, &h->curve_mine, &h->curve_server) != 0) ||
        zmq_connect(s, h->cfg.hook.endpoint) != 0) {
        zmq_close(s);
        return NULL;
    }
    return s;
}

/* The oracle did not answer: replace the REQ socket, open the breaker. */
static void s_trip(s_handle_t *h)
{
    h->timeouts++;
    h->down_until = s_now() + h->cfg.hook.breaker_seconds;
    if (h->req)
        zmq_close(h->req);
    h->req = s_socket(h, ZMQ_REQ);
}

/* Sends `n` frames on the REQ socket and receives the reply's first frame
 * into buf (NUL-terminated); the rest of the reply is discarded. Returns the
 * first frame's length, -EAGAIN while the breaker is open, -ETIMEDOUT. */
static int s_roundtrip(s_handle_t *h, const char *const *frames, const size_t *lens, int n,
                       char *buf, size_t cap, int timeout_ms)
{
    if (s_now() < h->down_until) {
        h->breaker_skips++;
        return -EAGAIN;
    }
    if (!h->req && !(h->req = s_socket(h, ZMQ_REQ)))
        return -ENOTCONN;
    for (int i = 0; i < n; i++)
        if (zmq_send(h->req, frames[i], lens[i], (i + 1 < n ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) <
            0) {
            s_trip(h);
            return -ETIMEDOUT;
        }
    zmq_pollitem_t item = {h->req, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, timeout_ms) <= 0) {
        s_trip(h);
        return -ETIMEDOUT;
    }
    int got = zmq_recv(h->req, buf, cap - 1, 0);
    if (got < 0) {
        s_trip(h);
        return -ETIMEDOUT;
    }
    got = got < (int)cap - 1 ? got : (int)cap - 1;
    buf[got] = 0;
    int more = 0;
    size_t sz = sizeof more;
    while (zmq_getsockopt(h->req, ZMQ_RCVMORE, &more, &sz) == 0 && more) {
        char skip[8];
        if (zmq_recv(h->req, skip, sizeof skip, 0) < 0)
            break;
    }
    return got;
}

static s_handle_t *s_check(lua_State *L) { return luaL_checkudata(L, 1, S_META); }

/* Reads what dnsoracled sent back on the DEALER: an empty delimiter, then
 * "ok N" for each report batch (N names taken). Not needed for anything but
 * the counters, but the replies must not pile up. */
static void s_drain(s_handle_t *h)
{
    char buf[32];
    int got;
    while (h->dealer && (got = zmq_recv(h->dealer, buf, sizeof buf - 1, ZMQ_DONTWAIT)) >= 0) {
        buf[got < (int)sizeof buf - 1 ? got : (int)sizeof buf - 1] = 0;
        if (got > 3 && memcmp(buf, "ok ", 3) == 0)
            h->report_acked += strtoull(buf + 3, NULL, 10);
    }
}

/* Sends the queued names as one \0report request: the command frame, then
 * per name "QTYPE CLIENT EVIDENCE BITS" and the name (docs/protocol.md).
 * Returns the names sent; with the breaker open, no connection or a full
 * queue they are dropped (counted) instead: reports are best effort. */
static int s_flush_reports(s_handle_t *h)
{
    s_drain(h);
    if (h->nreport == 0)
        return 0;
    int n = h->nreport;
    h->nreport = 0;
    if (s_now() < h->down_until || !h->dealer) {
        h->report_dropped += (uint64_t)n;
        return 0;
    }
    /* A DEALER talks to the ROUTER as a REQ would: an empty frame first.
     * Once the first frame is queued, ZeroMQ takes the whole message. */
    if (zmq_send(h->dealer, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        h->report_dropped += (uint64_t)n; /* no connection or queue full */
        return 0;
    }
    zmq_send(h->dealer, "\0report", 7, ZMQ_SNDMORE);
    for (int i = 0; i < n; i++) {
        const s_report_t *r = &h->report[i];
        char fields[192];
        int len = event_fields(fields, sizeof fields, r->qtype, r->client, r->evidence, r->bits,
                               &r->refusal, h->host);
        zmq_send(h->dealer, fields, (size_t)len, ZMQ_SNDMORE);
        zmq_send(h->dealer, r->name, r->len, i + 1 < n ? ZMQ_SNDMORE : 0);
    }
    h->reported += (uint64_t)n;
    h->report_batches++;
    return n;
}

static void s_queue_report(s_handle_t *h, const char *q, size_t len, unsigned qtype,
                           const char *client, size_t client_len, const verdict_t *v,
                           const event_refusal_t *refusal)
{
    s_report_t *r = &h->report[h->nreport++];
    memcpy(r->name, q, len);
    r->len = len;
    r->qtype = qtype;
    r->client[0] = 0;
    /* an address has no spaces (the fields are space-separated) */
    if (client && client_len > 0 && client_len <= S_MAX_CLIENT && !memchr(client, ' ', client_len))
        strlcpy(r->client, client, client_len + 1);
    r->evidence = v->evidence;
    /* the oracle takes bits under 1e6; a name carries at most about 2000 */
    r->bits = v->bits >= 0 && v->bits < 1e5 ? v->bits : 0;
    r->refusal = *refusal;
    if (h->nreport == WIRE_REPORT_BATCH)
        s_flush_reports(h);
}

/* judge(name [, qtype [, client]]): qtype a DNS type number, client an
 * address text (dq.remoteaddr:toString()); either may be nil. */
static int l_judge(lua_State *L)
{
    s_handle_t *h = s_check(L);
    size_t len, client_len = 0;
    const char *q = luaL_checklstring(L, 2, &len);
    lua_Integer qtype = luaL_optinteger(L, 3, 0);
    const char *client = luaL_optlstring(L, 4, NULL, &client_len);
    verdict_t v = {.good = false, .evidence = EVIDENCE_STRONG, .reason_id = REASON_INVALID};
    name_t name;
    if (qtype < 0 || qtype > 65535)
        qtype = 0;
    h->judged++;
    if (len <= WIRE_MAX_NAME && name_parse(q, len, &name) == 0) {
        /* exactly as dnsoracled judges, less the domain layer (its own) */
        judge_t j = {h->engine, listsync_lists(&h->reader), NULL};
        judge_query_t jq = {(unsigned)qtype, 0, 0};
        judge_name(&j, &name, &jq, &v, NULL);
        event_refusal_t refusal = {.action = -1};
        if (!v.good) /* an event too, even when the domain layer does not count it */
            event_refusal(&refusal, engine_reason_name(v.reason_id), &h->cfg,
                          !judge_reportable(&v));
        if (!v.good || judge_reportable(&v))
            s_queue_report(h, q, len, (unsigned)qtype, client, client_len, &v, &refusal);
    }
    v.reason = engine_reason_name(v.reason_id);
    lua_pushboolean(L, v.good);
    lua_pushstring(L, v.reason);
    return 2;
}

/* refused(name, qtype, client, reason): a refusal judge() did not make (the
 * script's cache, query = oracle): an event only, not for the domain layer. */
static int l_refused(lua_State *L)
{
    s_handle_t *h = s_check(L);
    size_t len, client_len = 0;
    const char *q = luaL_checklstring(L, 2, &len);
    lua_Integer qtype = luaL_optinteger(L, 3, 0);
    const char *client = luaL_optlstring(L, 4, NULL, &client_len);
    verdict_t v = {.good = false, .evidence = EVIDENCE_NONE};
    event_refusal_t refusal;
    event_refusal(&refusal, luaL_checkstring(L, 5), &h->cfg, true);
    name_t name;
    if (len <= WIRE_MAX_NAME && name_parse(q, len, &name) == 0)
        s_queue_report(h, q, len, qtype > 0 && qtype <= 65535 ? (unsigned)qtype : 0, client,
                       client_len, &v, &refusal);
    return 0;
}

static int l_registrable(lua_State *L)
{
    s_handle_t *h = s_check(L);
    size_t len;
    const char *q = luaL_checklstring(L, 2, &len);
    name_t name;
    char buf[NAME_MAX_INPUT];
    if (len > WIRE_MAX_NAME || name_parse(q, len, &name) != 0)
        return 0;
    size_t reg = engine_registrable(h->engine, &name);
    if (reg >= name.nlabels)
        return 0;
    int n = name_format(&name, reg, buf, sizeof buf);
    if (n < 0)
        return 0;
    lua_pushlstring(L, buf, (size_t)n);
    return 1;
}

static int l_listed(lua_State *L)
{
    s_handle_t *h = s_check(L);
    size_t len;
    const char *q = luaL_checklstring(L, 2, &len);
    name_t name;
    const lists_t *lists = listsync_lists(&h->reader);
    if (!lists || len > WIRE_MAX_NAME || name_parse(q, len, &name) != 0)
        return 0;
    reason_t r = lists_check(lists, &name);
    if (r == REASON_OK)
        return 0;
    lua_pushstring(L, engine_reason_name(r));
    return 1;
}

static int s_fail(lua_State *L, int rc)
{
    lua_pushnil(L);
    lua_pushstring(L, rc == -EAGAIN      ? "breaker"
                      : rc == -ETIMEDOUT ? "timeout"
                      : rc == -ENOTCONN  ? "unreachable"
                                         : "bad reply");
    return 2;
}

/* ask(name): the oracle's verdict. A name the lists cover is settled here,
 * as the oracle would judge it (judge_settled), with its reason; any other
 * costs a round trip (reason "oracle"). */
static int l_ask(lua_State *L)
{
    s_handle_t *h = s_check(L);
    size_t len;
    const char *q = luaL_checklstring(L, 2, &len);
    char buf[16];
    name_t name;
    verdict_t v;
    judge_t j = {h->engine, listsync_lists(&h->reader), NULL};
    if (len <= WIRE_MAX_NAME && name_parse(q, len, &name) == 0 && judge_settled(&j, &name, &v)) {
        lua_pushboolean(L, v.good);
        lua_pushstring(L, v.reason);
        return 2;
    }
    h->asked++;
    int rc = s_roundtrip(h, &q, &len, 1, buf, sizeof buf, (int)h->cfg.hook.timeout_ms);
    if (rc < 0)
        return s_fail(L, rc);
    bool good = strcmp(buf, "true") == 0;
    if (!good && strcmp(buf, "false") != 0)
        return s_fail(L, -EPROTO);
    lua_pushboolean(L, good);
    lua_pushstring(L, "oracle");
    return 2;
}

/* sync([budget_ms]): the work is done by whichever thread comes first
 * (listsync_poll); every handle then learns what its cache must forget. */
static int l_sync(lua_State *L)
{
    s_handle_t *h = s_check(L);
    lua_Integer budget = luaL_optinteger(L, 2, 0);
    listsync_news_t *news = malloc(sizeof *news);
    if (!news)
        return luaL_error(L, "dnsoracle_c: out of memory");
    int moved =
        listsync_poll(h->sync, &h->reader, budget < 0 || budget > 10000 ? 0 : (int)budget, news);
    if (!moved)
        lua_pushnil(L);
    else if (news->everything)
        lua_pushboolean(L, 1);
    else {
        lua_createtable(L, (int)news->ndomains, 0);
        for (size_t i = 0; i < news->ndomains; i++) {
            lua_pushstring(L, news->domains[i]);
            lua_rawseti(L, -2, (int)i + 1);
        }
    }
    if (news->log[0])
        lua_pushstring(L, news->log);
    else
        lua_pushnil(L);
    free(news);
    return 2;
}

static int l_flush(lua_State *L)
{
    s_handle_t *h = s_check(L);
    lua_pushinteger(L, s_flush_reports(h));
    return 1;
}

static int l_settings(lua_State *L)
{
    s_handle_t *h = s_check(L);
    const config_t *c = &h->cfg;
    lua_newtable(L);
#define S_SET_STR(k, v) (lua_pushstring(L, v), lua_setfield(L, -2, k))
#define S_SET_NUM(k, v) (lua_pushnumber(L, (lua_Number)(v)), lua_setfield(L, -2, k))
    S_SET_STR("config_path", h->config_path);
    S_SET_STR("endpoint", c->hook.endpoint);
    S_SET_STR("curve", h->curve ? "yes" : "no");
    S_SET_STR("query", config_choice_word("hook", "query", c->hook.query));
    S_SET_STR("mode", config_choice_word("hook", "mode", c->hook.mode));
    S_SET_STR("action", config_choice_word("hook", "action", c->hook.action));
    S_SET_STR("fail", config_choice_word("hook", "fail", c->hook.fail));
    S_SET_STR("events_client", config_choice_word("events", "client", c->events.client));
    S_SET_NUM("timeout_ms", c->hook.timeout_ms);
    S_SET_NUM("breaker_seconds", c->hook.breaker_seconds);
    S_SET_NUM("cache_size", c->hook.cache_size);
    S_SET_NUM("cache_seconds", c->hook.cache_seconds);
    S_SET_NUM("refresh_seconds", c->hook.refresh_seconds);
    S_SET_NUM("log_per_second", c->hook.log_per_second);
    return 1;
}

static int l_stats(lua_State *L)
{
    s_handle_t *h = s_check(L);
    lua_newtable(L);
    S_SET_NUM("judged", h->judged);
    S_SET_NUM("asked", h->asked);
    S_SET_NUM("timeouts", h->timeouts);
    S_SET_NUM("breaker_skips", h->breaker_skips);
    S_SET_NUM("reported", h->reported);
    S_SET_NUM("report_dropped", h->report_dropped);
    S_SET_NUM("report_batches", h->report_batches);
    S_SET_NUM("report_acked", h->report_acked);
    S_SET_NUM("report_pending", h->nreport);
    const lists_t *lists = listsync_lists(&h->reader);
    listsync_stats_t ls;
    listsync_stats(h->sync, &ls);
    S_SET_NUM("list_entries", lists ? lists_total(lists) : 0);
    S_SET_NUM("list_generation", ls.generation);
    S_SET_NUM("list_snapshots", ls.snapshots);
    S_SET_NUM("list_snapshots_refused", ls.snapshot_refused);
    S_SET_NUM("list_changes", ls.changes);
    S_SET_NUM("list_gaps", ls.gaps);
    S_SET_NUM("list_snapshot_seconds", ls.last_snapshot_seconds);
    lua_pushboolean(L, s_now() < h->down_until);
    lua_setfield(L, -2, "breaker_open");
    return 1;
#undef S_SET_STR
#undef S_SET_NUM
}

static int l_gc(lua_State *L)
{
    s_handle_t *h = s_check(L);
    if (h->req)
        zmq_close(h->req);
    if (h->dealer)
        zmq_close(h->dealer);
    if (h->ctx)
        zmq_ctx_term(h->ctx);
    engine_destroy(&h->engine);
    listsync_close(&h->sync, &h->reader);
    explicit_bzero(&h->curve_mine, sizeof h->curve_mine);
    h->req = h->dealer = h->ctx = NULL;
    return 0;
}

/* open([config_path]): nil uses $DNSORACLE_CONF, else the default path; a
 * missing default file means every default (the hook then still works with
 * a standard oracle on tcp://127.0.0.1:5555). */
static int l_open(lua_State *L)
{
    const char *path = luaL_optstring(L, 1, NULL);
    bool explicit_path = path != NULL;
    if (!path || !path[0]) {
        path = getenv("DNSORACLE_CONF");
        explicit_path = path && path[0];
        if (!explicit_path)
            path = config_default_path();
    }
    s_handle_t *h = lua_newuserdata(L, sizeof *h);
    memset(h, 0, sizeof *h);
    luaL_getmetatable(L, S_META);
    lua_setmetatable(L, -2);
    snprintf(h->config_path, sizeof h->config_path, "%s", path);
    char err[1024];
    /* Only a default path that does not exist means "every default": a file
     * that cannot be read (permissions) is an error, never silently ignored. */
    FILE *probe = fopen(path, "r");
    int open_errno = errno;
    if (!probe && !explicit_path && open_errno != ENOENT) {
        lua_pushnil(L);
        lua_pushfstring(L, "cannot read %s: %s", path, strerror(open_errno));
        return 2;
    }
    if (probe || explicit_path) {
        if (probe)
            fclose(probe);
        if (config_load(path, &h->cfg, err, sizeof err) != 0) {
            lua_pushnil(L);
            lua_pushstring(L, err);
            return 2;
        }
    } else {
        config_defaults(&h->cfg);
        snprintf(h->config_path, sizeof h->config_path, "(defaults: %s not found)", path);
    }
    event_host(h->host, sizeof h->host);
    h->engine = engine_new(&h->cfg.engine, err, sizeof err);
    if (!h->engine) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    if (h->cfg.hook.curve_key[0]) {
        /* the pdns user reads the key pair: a group may share it */
        if (curve_load(h->cfg.hook.curve_key, true, false, &h->curve_mine, err, sizeof err) != 0 ||
            curve_load(h->cfg.hook.curve_server_key, false, false, &h->curve_server, err,
                       sizeof err) != 0) {
            lua_pushnil(L);
            lua_pushfstring(L, "[hook] CURVE keys: %s", err);
            return 2;
        }
        h->curve = true;
    }
    h->ctx = zmq_ctx_new();
    if (h->ctx) {
        zmq_ctx_set(h->ctx, ZMQ_IO_THREADS, 1);
        h->req = s_socket(h, ZMQ_REQ);
        h->dealer = s_socket(h, ZMQ_DEALER);
    }
    if (h->req && h->dealer) {
        curve_keys_t keys[2] = {h->curve_mine, h->curve_server};
        h->sync = listsync_open(&h->cfg, h->curve ? keys : NULL);
        explicit_bzero(keys, sizeof keys);
    }
    if (!h->req || !h->dealer || !h->sync) {
        lua_pushnil(L);
        lua_pushfstring(L, "cannot open %s: %s", h->cfg.hook.endpoint, zmq_strerror(errno));
        return 2;
    }
    return 1;
}

/* The entry point require("dnsoracle_c") looks for. */
int luaopen_dnsoracle_c(lua_State *L);

int luaopen_dnsoracle_c(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"judge", l_judge},   {"refused", l_refused},         {"ask", l_ask},
        {"listed", l_listed}, {"registrable", l_registrable}, {"sync", l_sync},
        {"flush", l_flush},   {"settings", l_settings},       {"stats", l_stats},
        {NULL, NULL},
    };
    static const luaL_Reg functions[] = {
        {"open", l_open}, {"client", event_l_client}, {NULL, NULL}};
    luaL_newmetatable(L, S_META);
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_gc);
    lua_setfield(L, -2, "__gc");
    luaL_register(L, NULL, methods);
    lua_pop(L, 1);
    lua_newtable(L);
    luaL_register(L, NULL, functions);
    return 1;
}
