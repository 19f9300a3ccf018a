/* lua/listsync.h - the hook's copy of the lists, kept in step with the oracle.
 *
 * One copy per recursor process, shared read-only by its threads (a
 * million entries take about 100 MB: one per thread would multiply that by
 * the threads). The module is loaded once per process; every handle (one
 * per recursor thread) opened on the same [hook] endpoint shares one
 * listsync_t. Whichever handle calls listsync_poll() while no other one is
 * in it does the work, without waiting for it:
 *
 * - on start, after a gap in the generations, a reset, another epoch (the
 *   oracle restarted) or while nothing is published, a snapshot is fetched
 *   (\0snapshot GENERATION CURSOR, docs/protocol.md), a chunk per round
 *   trip, each one checked (its length, its CRC-32, every line): a bad one
 *   is refused with a log line and the lists in use are kept;
 * - otherwise the changes published by the oracle (SUB socket on the
 *   endpoint the snapshot names: [server] publish, or curve_publish for a
 *   hook with CURVE keys, which subscribes with them) are applied in
 *   generation order, each batch making a new version that shares the old
 *   one's base (lists.h); a subscription that hears nothing, not even the
 *   heartbeat, falls back to a snapshot every refresh_seconds.
 *
 * A version is swapped in behind a mutex held for a pointer copy, and freed
 * when the last handle that used it has moved on (a reference count). Each
 * handle learns which domains changed since the version it had, so that its
 * verdict cache forgets only those (or everything, after a snapshot).
 */
#ifndef DNSORACLE_LISTSYNC_H
#define DNSORACLE_LISTSYNC_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "curve.h"
#include "lists.h"

typedef struct listsync listsync_t;
typedef struct listsync_view listsync_view_t;

/* One handle's place: the version it judges with. */
typedef struct {
    listsync_view_t *view;
    uint64_t version; /* 0: none yet */
} listsync_reader_t;

/* What a handle must forget since its last poll. */
#define LISTSYNC_MAX_DOMAINS 64
typedef struct {
    int everything; /* 1: forget every cached verdict */
    size_t ndomains;
    char domains[LISTSYNC_MAX_DOMAINS][NAME_MAX_TEXT + 1];
    char log[320]; /* a line to log, or "" */
} listsync_news_t;

/* The process's listsync for cfg's [hook] endpoint (made on first use;
 * `curve` NULL or the handle's keys: [0] its own, [1] the oracle's), or NULL
 * when out of memory. Every call takes a reference: listsync_close(). */
listsync_t *listsync_open(const config_t *cfg, const curve_keys_t *curve);

/* Drops the handle's view and its reference; the last one closes the
 * sockets. Sets *self_p to NULL. */
void listsync_close(listsync_t **self_p, listsync_reader_t *reader);

/* Does what is due (a snapshot chunk, the changes received), waiting at most
 * budget_ms for the oracle (0: never waits; polls then at most every 50
 * ms), then moves the reader to the current version and fills *news.
 * Returns 1 when the reader's version changed, else 0. */
int listsync_poll(listsync_t *self, listsync_reader_t *reader, int budget_ms,
                  listsync_news_t *news);

/* The reader's lists, or NULL before the first snapshot. */
const lists_t *listsync_lists(const listsync_reader_t *reader);

/* Counters for h:stats(). */
typedef struct {
    uint64_t snapshots, snapshot_refused, changes, gaps, generation;
    double last_snapshot_seconds;
} listsync_stats_t;
void listsync_stats(listsync_t *self, listsync_stats_t *out);

#endif
