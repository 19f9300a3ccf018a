/* oracle/store/writer.h - good names to MariaDB, off the request path.
 *
 * Workers hand good names to writer_push(), which copies them into a
 * bounded in-memory queue and returns at once: a verdict never waits for
 * the database. One writer thread takes up to a batch at a time (or what
 * came in the last second), drops repeats, and stores them with one
 * multi-row INSERT ... ON DUPLICATE KEY UPDATE last_seen. While the
 * database is away the queue keeps filling, and the backlog is written when
 * it returns; a full queue refuses names, counts them and says so in the
 * log once a minute. writer_stop() flushes what is queued, within a
 * deadline. The thread is an actor (actor.h) for its start and its stop;
 * names reach it through the queue, under a mutex, with a condition
 * variable on CLOCK_MONOTONIC (a clock step neither stalls nor hurries it).
 * The same thread writes the refusals (events.h), from their own
 * bounded queue, whenever it wakes (at least once a second).
 */
#ifndef DNSORACLE_WRITER_H
#define DNSORACLE_WRITER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "events.h"
#include "name.h"
#include "stats.h"
#include "store.h"

typedef struct writer writer_t;

/* Starts the writer thread with its own database connection (made lazily,
 * so a database that is down does not delay the start). Counters go to
 * `slot`. Returns NULL when out of memory or the thread cannot start. */
writer_t *writer_new(const config_t *cfg, stats_slot_t *slot);

/* What the writer does with the database (store.h's store_ops for
 * writer_new(); tests give a fake). */
typedef store_ops_t writer_store_t;

/* writer_new() with another database (`ops` must outlive the writer). */
writer_t *writer_new_with(const config_t *cfg, stats_slot_t *slot, const writer_store_t *ops);

/* Queues a good name whose registrable domain starts at label `registrable`
 * (names without one are not stored). Any thread. Returns false when the
 * name was not queued (queue full, or not storable as ASCII text). */
bool writer_push(writer_t *self, const name_t *name, size_t registrable);

/* Queues one refusal (events_push). Any thread. Returns false when it was
 * dropped (counted). */
bool writer_event(writer_t *self, const event_t *e);

/* Event rows waiting to be written. */
size_t writer_events_backlog(writer_t *self);

/* Names waiting in the queue. */
size_t writer_backlog(writer_t *self);

/* How the last write went: "ok", "unavailable" (the database is away; the
 * queue keeps the names) or "idle" (nothing written yet). Any thread. */
const char *writer_state(writer_t *self);

/* Writes what is queued, waiting at most deadline_ms, then stops and joins
 * the thread. Logs what could not be written. */
void writer_stop(writer_t *self, int deadline_ms);

/* Stops if needed and frees; accepts NULL and sets *self_p to NULL. */
void writer_destroy(writer_t **self_p);

#endif
