/* oracle/common/stats.h - the daemon's counters and latency histogram.
 *
 * Every thread that counts gets its own slot (stats_slot), so counting is a
 * plain relaxed store to a cache line no other thread writes. A reader adds
 * the slots up. Once a second the main thread calls stats_tick(), which keeps
 * the last 10 seconds of totals so that requests per second and latency
 * percentiles describe the recent past, not the whole uptime.
 *
 * Two outputs read the counters: the stats text of docs/protocol.md
 * (stats_format) and the Prometheus exposition of metrics.h. Both go through
 * stats_each(), so they name the same counters and cannot disagree. Latency
 * is kept twice: a fine histogram (8 buckets per power of two) behind the
 * percentiles, and cumulative counts at fixed bounds (stats_histogram) for
 * Prometheus, exact at every bound.
 */
#ifndef DNSORACLE_STATS_H
#define DNSORACLE_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "verdict.h"

typedef enum {
    STAT_REQUESTS,        /* ZeroMQ requests answered (proxy) */
    STAT_EMPTY_FRAMES,    /* frames of zero bytes */
    STAT_OVERSIZE_FRAMES, /* frames over 255 bytes */
    STAT_OVERFLOW_FRAMES, /* frames past max_batch in one request */
    STAT_MALFORMED,       /* requests without the empty delimiter (dropped) */
    STAT_COMMANDS,
    STAT_BAD_COMMANDS,
    STAT_RELOADS,
    STAT_RELOAD_FAILURES,
    STAT_STORED,         /* good names written to the database */
    STAT_QUEUE_OVERFLOW, /* good names not queued: the queue was full */
    STAT_UNSTORABLE,     /* good names that are not plain ASCII text */
    STAT_DB_ERRORS,      /* good names in a batch the server refused */
    STAT_DROPLIST_UPDATES,
    STAT_LIST_REFRESHES,
    STAT_CONNECTIONS_CLOSED, /* plaintext TCP connections closed for a protocol error or limit */
    STAT_REPLIES_DROPPED,    /* replies to clients that did not read them (queue full) */
    STAT_CURVE_ACCEPTED,     /* CURVE handshakes that let a client in */
    STAT_CURVE_REFUSED_PLAINTEXT, /* connections without CURVE on a CURVE endpoint */
    STAT_CURVE_REFUSED_KEY,       /* CURVE clients whose key is not allowed */
    STAT_CURVE_FAILED,            /* other failed handshakes (a wrong server key) */
    STAT_REPORTED,                /* names the hooks reported (\0report) */
    STAT_BAD_REPORTS,             /* report frames that were not a name or its fields */
    STAT_DOMAIN_CUTS,             /* domains the domain layer cut off */
    STAT_CONNECTIONS_REFUSED,     /* plaintext TCP connections past max_connections */
    STAT_CONNECTIONS_OPEN,        /* a gauge: plaintext TCP connections open now */
    STAT_EVENTS,                  /* refusals taken as events (events.h) */
    STAT_EVENTS_STORED,           /* events written to the database (a row counts its events) */
    STAT_EVENTS_OVERFLOW,         /* events not stored: queue full or the minute's rows spent */
    STAT_EVENTS_DB_ERRORS,        /* events in batches the database refused */
    STAT_COUNT
} stat_t;

typedef struct stats stats_t;
typedef struct stats_slot stats_slot_t;

/* Returns counters with `slots` slots, or NULL when out of memory. */
stats_t *stats_new(unsigned slots);

/* Frees them; accepts NULL and sets *self_p to NULL. */
void stats_destroy(stats_t **self_p);

/* Slot i (0 <= i < slots), for one thread to write. */
stats_slot_t *stats_slot(stats_t *self, unsigned i);

void stats_add(stats_slot_t *slot, stat_t which, uint64_t n);
/* Sets a gauge (STAT_CONNECTIONS_OPEN): one slot writes it, readers add up. */
void stats_set(stats_slot_t *slot, stat_t which, uint64_t value);
void stats_verdict(stats_slot_t *slot, reason_t reason, bool good);
void stats_latency(stats_slot_t *slot, uint64_t ns);

/* Remembers this second's totals (call once a second). */
void stats_tick(stats_t *self);

/* One counter, as stats_each() gives it. */
typedef struct {
    const char *key;    /* the stats text's key ("requests", "domains_cut"); NULL: a verdict */
    const char *help;   /* one line on what it counts */
    const char *reason; /* a verdict: engine_reason_name() of its reason */
    reason_t reason_id; /* a verdict: that reason */
    bool good;          /* a verdict: true or false */
    bool gauge;         /* a value now (stats_set), not a count since start */
    uint64_t value;
} stats_counter_t;

typedef void (*stats_each_fn)(void *arg, const stats_counter_t *c);

/* Calls fn for every counter: "requests" first, then one call per verdict
 * and reason seen (value > 0), then every other stat_t in enum order. */
void stats_each(stats_t *self, stats_each_fn fn, void *arg);

/* The bounds of stats_histogram(), in nanoseconds, ascending. */
#define STATS_LATENCY_BOUNDS 16
extern const uint64_t stats_latency_bound_ns[STATS_LATENCY_BOUNDS];

/* Requests whose latency was at most each bound (cumulative), then all of
 * them in counts[STATS_LATENCY_BOUNDS]; *sum_ns gets the sum of every
 * latency. Since start, not over the 10-second window. */
void stats_histogram(stats_t *self, uint64_t counts[STATS_LATENCY_BOUNDS + 1], uint64_t *sum_ns);

/* Seconds since stats_new(). */
double stats_uptime(const stats_t *self);

/* Writes the stats text of docs/protocol.md into buf. `threads` is shown as
 * is and `extra` (more "key value" lines, or "") is appended. Returns the
 * length written (output is truncated to fit). */
size_t stats_format(stats_t *self, unsigned threads, const char *extra, char *buf, size_t cap);

/* A one-line summary for systemd's STATUS=. */
size_t stats_status(stats_t *self, char *buf, size_t cap);

#endif
