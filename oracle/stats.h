/* oracle/stats.h - the daemon's counters and latency histogram.
 *
 * Every thread that counts gets its own slot (stats_slot), so counting is a
 * plain relaxed store to a cache line no other thread writes. A reader adds
 * the slots up. Once a second the main thread calls stats_tick(), which keeps
 * the last 10 seconds of totals so that requests per second and latency
 * percentiles describe the recent past, not the whole uptime.
 */
#ifndef DNSORACLE_STATS_H
#define DNSORACLE_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

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
void stats_verdict(stats_slot_t *slot, reason_t reason, bool good);
void stats_latency(stats_slot_t *slot, uint64_t ns);

/* Remembers this second's totals (call once a second). */
void stats_tick(stats_t *self);

/* Writes the stats text of docs/protocol.md into buf. `threads` is shown as
 * is and `extra` (more "key value" lines, or "") is appended. Returns the
 * length written (output is truncated to fit). */
size_t stats_format(stats_t *self, unsigned threads, const char *extra, char *buf, size_t cap);

/* A one-line summary for systemd's STATUS=. */
size_t stats_status(stats_t *self, char *buf, size_t cap);

#endif
