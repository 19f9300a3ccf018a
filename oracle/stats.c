/* oracle/stats.c - the daemon's counters and latency histogram. */
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
    atomic_uint_fast64_t reason[REASON_COUNT];
    atomic_uint_fast64_t verdict[2]; /* false, true */
    atomic_uint_fast64_t hist[S_BUCKETS];
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

void stats_verdict(stats_slot_t *slot, reason_t reason, bool good)
{
    s_bump(&slot->reason[reason], 1);
    s_bump(&slot->verdict[good], 1);
}

void stats_latency(stats_slot_t *slot, uint64_t ns) { s_bump(&slot->hist[s_bucket(ns)], 1); }

static uint64_t s_sum(const stats_t *self, size_t offset)
{
    uint64_t t = 0;
    for (unsigned i = 0; i < self->nslots; i++)
        t += s_get((const atomic_uint_fast64_t *)((const char *)&self->slots[i] + offset));
    return t;
}

#define S_SUM(self, field) s_sum(self, offsetof(stats_slot_t, field))

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

size_t stats_format(stats_t *self, unsigned threads, const char *extra, char *buf, size_t cap)
{
    static const char *const names[STAT_COUNT] = {
        [STAT_REQUESTS] = "requests",
        [STAT_EMPTY_FRAMES] = "empty_frames",
        [STAT_OVERSIZE_FRAMES] = "oversize_frames",
        [STAT_OVERFLOW_FRAMES] = "overflow_frames",
        [STAT_MALFORMED] = "malformed_requests",
        [STAT_COMMANDS] = "commands",
        [STAT_BAD_COMMANDS] = "bad_commands",
        [STAT_RELOADS] = "reloads",
        [STAT_RELOAD_FAILURES] = "reload_failures",
        [STAT_STORED] = "names_stored",
        [STAT_QUEUE_OVERFLOW] = "queue_overflow",
        [STAT_UNSTORABLE] = "names_unstorable",
        [STAT_DB_ERRORS] = "names_refused_by_database",
        [STAT_DROPLIST_UPDATES] = "droplist_updates",
        [STAT_LIST_REFRESHES] = "list_refreshes",
        [STAT_CONNECTIONS_CLOSED] = "connections_closed",
        [STAT_REPLIES_DROPPED] = "replies_dropped",
        [STAT_CURVE_ACCEPTED] = "curve_accepted",
        [STAT_CURVE_REFUSED_PLAINTEXT] = "curve_refused_plaintext",
        [STAT_CURVE_REFUSED_KEY] = "curve_refused_key",
        [STAT_CURVE_FAILED] = "curve_handshake_failed",
        [STAT_REPORTED] = "names_reported",
        [STAT_BAD_REPORTS] = "bad_reports",
        [STAT_DOMAIN_CUTS] = "domains_cut",
    };
    double rps;
    uint64_t pct[3];
    s_window(self, &rps, pct);
    uint64_t t = S_SUM(self, verdict[1]), f = S_SUM(self, verdict[0]);
    size_t w = 0;
#define S_OUT(...)                                                                                 \
    do {                                                                                           \
        int n_ = snprintf(buf + w, cap > w ? cap - w : 0, __VA_ARGS__);                            \
        if (n_ > 0)                                                                                \
            w = w + (size_t)n_ < cap ? w + (size_t)n_ : (cap ? cap - 1 : 0);                       \
    } while (0)
    S_OUT("version %s\n", DNSORACLE_VERSION);
    S_OUT("uptime_seconds %.0f\n", s_now() - self->started);
    S_OUT("threads %u\n", threads);
    S_OUT("requests %llu\n", (unsigned long long)S_SUM(self, count[STAT_REQUESTS]));
    S_OUT("names %llu\ntrue %llu\nfalse %llu\n", (unsigned long long)(t + f), (unsigned long long)t,
          (unsigned long long)f);
    for (int r = 0; r < REASON_COUNT; r++) {
        uint64_t n = S_SUM(self, reason[r]);
        if (n)
            S_OUT("reason.%s %llu\n", engine_reason_name((reason_t)r), (unsigned long long)n);
    }
    for (int c = STAT_EMPTY_FRAMES; c < STAT_COUNT; c++)
        S_OUT("%s %llu\n", names[c], (unsigned long long)S_SUM(self, count[c]));
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
