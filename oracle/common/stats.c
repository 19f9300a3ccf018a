/* oracle/common/stats.c - the daemon's counters and latency histogram. */
#include "stats.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Latency buckets: exact below 8 ns, then 8 per power of two (12% wide). */
#define S_SUB 8
#define S_BUCKETS (64 * S_SUB)
#define S_WINDOW 10 /* seconds of history */

struct stats_slot {
    _Alignas(64) atomic_uint_fast64_t count[STAT_COUNT];
    atomic_uint_fast64_t reason[REASON_COUNT][2]; /* [reason][good] */
    atomic_uint_fast64_t verdict[2];              /* false, true */
    atomic_uint_fast64_t hist[S_BUCKETS];
    atomic_uint_fast64_t bounded[STATS_LATENCY_BOUNDS + 1]; /* not cumulative; last: over all */
    atomic_uint_fast64_t latency_sum_ns;
};

/* 10 us to 1 s: a request is answered in tens of microseconds, and one that
 * takes a second is a daemon in trouble. */
const uint64_t stats_latency_bound_ns[STATS_LATENCY_BOUNDS] = {
    10000,   25000,    50000,    100000,   250000,    500000,    1000000,   2500000,
    5000000, 10000000, 25000000, 50000000, 100000000, 250000000, 500000000, 1000000000};

/* The stats text's key and a line of help for every stat_t. */
static const struct {
    const char *key, *help;
    bool gauge;
} s_names[STAT_COUNT] = {
    [STAT_REQUESTS] = {"requests", "ZeroMQ requests answered", false},
    [STAT_EMPTY_FRAMES] = {"empty_frames", "Name frames of zero bytes", false},
    [STAT_OVERSIZE_FRAMES] = {"oversize_frames", "Name frames of over 255 bytes", false},
    [STAT_OVERFLOW_FRAMES] = {"overflow_frames",
                              "Frames past max_batch in one request, answered false unjudged",
                              false},
    [STAT_MALFORMED] = {"malformed_requests", "Requests without an empty delimiter (dropped)",
                        false},
    [STAT_COMMANDS] = {"commands", "NUL commands and operator commands", false},
    [STAT_BAD_COMMANDS] = {"bad_commands", "Commands refused", false},
    [STAT_RELOADS] = {"reloads", "SIGHUP reloads done", false},
    [STAT_RELOAD_FAILURES] = {"reload_failures", "SIGHUP reloads refused", false},
    [STAT_STORED] = {"names_stored", "Good names written to the database", false},
    [STAT_QUEUE_OVERFLOW] = {"queue_overflow", "Good names not stored: the queue was full", false},
    [STAT_UNSTORABLE] = {"names_unstorable", "Good names that cannot be stored as text", false},
    [STAT_DB_ERRORS] = {"names_refused_by_database", "Names in batches the database refused",
                        false},
    [STAT_DROPLIST_UPDATES] = {"droplist_updates", "Drop-list computations", false},
    [STAT_LIST_REFRESHES] = {"list_refreshes", "Reloads of the lists from the database", false},
    [STAT_CONNECTIONS_CLOSED] = {"connections_closed",
                                 "Plaintext TCP connections closed for a protocol error or limit",
                                 false},
    [STAT_REPLIES_DROPPED] = {"replies_dropped", "Replies not sent: left unread, or client gone",
                              false},
    [STAT_CURVE_ACCEPTED] = {"curve_accepted", "CURVE handshakes that let a client in", false},
    [STAT_CURVE_REFUSED_PLAINTEXT] = {"curve_refused_plaintext",
                                      "Connections to a CURVE endpoint without CURVE", false},
    [STAT_CURVE_REFUSED_KEY] = {"curve_refused_key", "CURVE clients whose key is not allowed",
                                false},
    [STAT_CURVE_FAILED] = {"curve_handshake_failed", "Other failed CURVE handshakes", false},
    [STAT_REPORTED] = {"names_reported", "Names the hooks reported and the domain layer took",
                       false},
    [STAT_BAD_REPORTS] = {"bad_reports", "Report frames that were not a name or its fields", false},
    [STAT_DOMAIN_CUTS] = {"domains_cut", "Domains the domain layer cut off", false},
    [STAT_CONNECTIONS_REFUSED] = {"connections_refused",
                                  "Plaintext TCP connections closed at once: max_connections",
                                  false},
    [STAT_CONNECTIONS_OPEN] = {"tcp_connections", "Plaintext TCP connections open", true},
    [STAT_EVENTS] = {"events", "Refusals taken as events", false},
    [STAT_EVENTS_STORED] = {"events_stored", "Events written to the database", false},
    [STAT_EVENTS_OVERFLOW] = {"events_overflow",
                              "Events not stored: queue full, or the minute's new rows spent",
                              false},
    [STAT_EVENTS_DB_ERRORS] = {"events_refused_by_database",
                               "Events in batches the database refused", false},
};

typedef struct {
    double when;
    uint64_t requests;
    uint64_t hist[S_BUCKETS];
} s_snapshot_t;

struct stats {
    unsigned nslots;
    stats_slot_t *slots;
    double started;
    pthread_mutex_t lock; /* guards the ring */
    s_snapshot_t ring[S_WINDOW + 1];
    unsigned ticks;
};

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Only the owning thread writes a slot: a relaxed load and store is enough. */
static void s_bump(atomic_uint_fast64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

static uint64_t s_get(const atomic_uint_fast64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

static unsigned s_bucket(uint64_t v)
{
    if (v < S_SUB)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v); /* v in [2^e, 2^(e+1)) */
    unsigned idx = (e - 2) * S_SUB + (unsigned)((v >> (e - 3)) & (S_SUB - 1));
    return idx < S_BUCKETS ? idx : S_BUCKETS - 1;
}

/* The upper end of bucket idx: percentiles are never under-reported. */
static uint64_t s_bucket_top(unsigned idx)
{
    if (idx < S_SUB)
        return idx;
    unsigned e = idx / S_SUB + 2, m = idx % S_SUB;
    return ((uint64_t)(S_SUB + m + 1) << (e - 3)) - 1;
}

stats_t *stats_new(unsigned nslots)
{
    stats_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->slots = aligned_alloc(64, sizeof(stats_slot_t) * nslots);
    if (!self->slots) {
        free(self);
        return NULL;
    }
    memset(self->slots, 0, sizeof(stats_slot_t) * nslots);
    self->nslots = nslots;
    self->started = s_now();
    pthread_mutex_init(&self->lock, NULL);
    self->ring[0].when = self->started;
    self->ticks = 1;
    return self;
}

void stats_destroy(stats_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    stats_t *self = *self_p;
    pthread_mutex_destroy(&self->lock);
    free(self->slots);
    free(self);
    *self_p = NULL;
}

stats_slot_t *stats_slot(stats_t *self, unsigned i) { return &self->slots[i]; }

void stats_add(stats_slot_t *slot, stat_t which, uint64_t n) { s_bump(&slot->count[which], n); }

void stats_set(stats_slot_t *slot, stat_t which, uint64_t value)
{
    atomic_store_explicit(&slot->count[which], value, memory_order_relaxed);
}

void stats_verdict(stats_slot_t *slot, reason_t reason, bool good)
{
    s_bump(&slot->reason[reason][good], 1);
    s_bump(&slot->verdict[good], 1);
}

void stats_latency(stats_slot_t *slot, uint64_t ns)
{
    unsigned b = 0;
    while (b < STATS_LATENCY_BOUNDS && ns > stats_latency_bound_ns[b])
        b++;
    s_bump(&slot->hist[s_bucket(ns)], 1);
    s_bump(&slot->bounded[b], 1);
    s_bump(&slot->latency_sum_ns, ns);
}

static uint64_t s_sum(const stats_t *self, size_t offset)
{
    uint64_t t = 0;
    for (unsigned i = 0; i < self->nslots; i++)
        t += s_get((const atomic_uint_fast64_t *)((const char *)&self->slots[i] + offset));
    return t;
}

#define S_SUM(self, field) s_sum(self, offsetof(stats_slot_t, field))

void stats_each(stats_t *self, stats_each_fn fn, void *arg)
{
    stats_counter_t c = {.key = s_names[STAT_REQUESTS].key,
                         .help = s_names[STAT_REQUESTS].help,
                         .value = S_SUM(self, count[STAT_REQUESTS])};
    fn(arg, &c);
    for (int r = 0; r < REASON_COUNT; r++) {
        for (int good = 1; good >= 0; good--) {
            c = (stats_counter_t){.help = "Verdicts by reason",
                                  .reason = engine_reason_name((reason_t)r),
                                  .reason_id = (reason_t)r,
                                  .good = good,
                                  .value = S_SUM(self, reason[r][good])};
            if (c.value)
                fn(arg, &c);
        }
    }
    for (int i = STAT_EMPTY_FRAMES; i < STAT_COUNT; i++) {
        c = (stats_counter_t){.key = s_names[i].key,
                              .help = s_names[i].help,
                              .gauge = s_names[i].gauge,
                              .value = S_SUM(self, count[i])};
        fn(arg, &c);
    }
}

void stats_histogram(stats_t *self, uint64_t counts[STATS_LATENCY_BOUNDS + 1], uint64_t *sum_ns)
{
    uint64_t seen = 0;
    for (unsigned b = 0; b <= STATS_LATENCY_BOUNDS; b++) {
        seen += S_SUM(self, bounded[b]);
        counts[b] = seen;
    }
    *sum_ns = S_SUM(self, latency_sum_ns);
}

double stats_uptime(const stats_t *self) { return s_now() - self->started; }

void stats_tick(stats_t *self)
{
    s_snapshot_t snap = {.when = s_now(), .requests = S_SUM(self, count[STAT_REQUESTS])};
    for (unsigned b = 0; b < S_BUCKETS; b++)
        snap.hist[b] = S_SUM(self, hist[b]);
    pthread_mutex_lock(&self->lock);
    self->ring[self->ticks % (S_WINDOW + 1)] = snap;
    self->ticks++;
    pthread_mutex_unlock(&self->lock);
}

/* Requests per second and latency percentiles (ns) over the ring. */
static void s_window(stats_t *self, double *rps, uint64_t pct_ns[3])
{
    static const double q[3] = {0.50, 0.99, 0.999};
    s_snapshot_t *now = malloc(sizeof *now), *old = malloc(sizeof *old);
    *rps = 0;
    pct_ns[0] = pct_ns[1] = pct_ns[2] = 0;
    if (!now || !old)
        goto done;
    pthread_mutex_lock(&self->lock);
    unsigned n = self->ticks;
    *now = self->ring[(n - 1) % (S_WINDOW + 1)];
    *old = self->ring[n > S_WINDOW ? n % (S_WINDOW + 1) : 0];
    pthread_mutex_unlock(&self->lock);
    double span = now->when - old->when;
    if (span > 0)
        *rps = (double)(now->requests - old->requests) / span;
    uint64_t total = 0;
    for (unsigned b = 0; b < S_BUCKETS; b++)
        total += now->hist[b] - old->hist[b];
    for (int k = 0; k < 3 && total; k++) {
        uint64_t want = (uint64_t)(q[k] * (double)total + 0.5), seen = 0;
        if (want == 0)
            want = 1;
        for (unsigned b = 0; b < S_BUCKETS; b++) {
            seen += now->hist[b] - old->hist[b];
            if (seen >= want) {
                pct_ns[k] = s_bucket_top(b);
                break;
            }
        }
    }
done:
    free(now);
    free(old);
}

/* What stats_format() gathers through stats_each() before it writes. */
typedef struct {
    uint64_t verdict[2], reason[REASON_COUNT], count[STAT_COUNT];
} s_text_t;

static void s_gather(void *arg, const stats_counter_t *c)
{
    s_text_t *t = arg;
    if (!c->key) {
        t->verdict[c->good] += c->value;
        t->reason[c->reason_id] += c->value;
        return;
    }
    for (int i = 0; i < STAT_COUNT; i++)
        if (!strcmp(c->key, s_names[i].key))
            t->count[i] = c->value;
}

size_t stats_format(stats_t *self, unsigned threads, const char *extra, char *buf, size_t cap)
{
    double rps;
    uint64_t pct[3];
    s_window(self, &rps, pct);
    s_text_t tx = {0};
    stats_each(self, s_gather, &tx);
    uint64_t t = tx.verdict[1], f = tx.verdict[0];
    size_t w = 0;
#define S_OUT(...)                                                                                 \
    do {                                                                                           \
        int n_ = snprintf(buf + w, cap > w ? cap - w : 0, __VA_ARGS__);                            \
        if (n_ > 0)                                                                                \
            w = w + (size_t)n_ < cap ? w + (size_t)n_ : (cap ? cap - 1 : 0);                       \
    } while (0)
    S_OUT("version %s\n", DNSORACLE_VERSION);
    S_OUT("uptime_seconds %.0f\n", stats_uptime(self));
    S_OUT("threads %u\n", threads);
    S_OUT("requests %llu\n", (unsigned long long)tx.count[STAT_REQUESTS]);
    S_OUT("names %llu\ntrue %llu\nfalse %llu\n", (unsigned long long)(t + f), (unsigned long long)t,
          (unsigned long long)f);
    for (int r = 0; r < REASON_COUNT; r++)
        if (tx.reason[r])
            S_OUT("reason.%s %llu\n", engine_reason_name((reason_t)r),
                  (unsigned long long)tx.reason[r]);
    for (int c = STAT_EMPTY_FRAMES; c < STAT_COUNT; c++)
        S_OUT("%s %llu\n", s_names[c].key, (unsigned long long)tx.count[c]);
    S_OUT("requests_per_second %.1f\n", rps);
    S_OUT("latency_us_p50 %.1f\nlatency_us_p99 %.1f\nlatency_us_p999 %.1f\n", (double)pct[0] / 1e3,
          (double)pct[1] / 1e3, (double)pct[2] / 1e3);
    S_OUT("%s", extra);
#undef S_OUT
    return w;
}

size_t stats_status(stats_t *self, char *buf, size_t cap)
{
    double rps;
    uint64_t pct[3];
    s_window(self, &rps, pct);
    int n = snprintf(buf, cap, "%llu names, %llu false, %.0f req/s, p99 %.0f us",
                     (unsigned long long)(S_SUM(self, verdict[0]) + S_SUM(self, verdict[1])),
                     (unsigned long long)S_SUM(self, verdict[0]), rps, (double)pct[1] / 1e3);
    return n < 0 ? 0 : (size_t)n;
}
