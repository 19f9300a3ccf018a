/* oracle/store/events.h - refusals and who asked, aggregated, to MariaDB.
 *
 * Every refusal is an event: a name a hook refused (or would have, in
 * monitor mode), reported with its client on the never-waiting \0report
 * path, and every false verdict on the daemon's own endpoints (no client:
 * the verdict protocol carries only the name). A tunnel makes thousands a
 * minute, so events are aggregated in memory before they are written: one
 * row per (minute, client, registrable domain, reason) with a count, the
 * first and last time, and of one event the query name, type, action and
 * resolver. events_push() adds to a row or makes one and returns at once:
 * one mutex, no I/O, so the request path never waits on the database.
 *
 * Bounded: at most [events] queue_size rows wait in memory (those handed to
 * the writer and not yet written included), and at most rows_per_minute new
 * rows are made a minute; an event that would need another row is counted
 * (events_overflow) and dropped. So the table holds at most rows_per_minute
 * x 1440 x retention_days rows. The client address is cut to what [events]
 * client keeps (privacy.h) before the row is made.
 *
 * The writer thread calls events_write() with its own connection: the rows
 * go in with INSERT ... ON DUPLICATE KEY UPDATE count = count + VALUES(count),
 * a few hundred rows a statement; while the database is away they wait and
 * go in once it is back. Any thread may push; one thread writes.
 */
#ifndef DNSORACLE_EVENTS_H
#define DNSORACLE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "refusal.h"
#include "stats.h"
#include "store.h"

typedef struct events events_t;

/* Returns an empty queue for cfg's [events] settings; counters go to
 * `slot`. NULL when out of memory. */
events_t *events_new(const config_t *cfg, stats_slot_t *slot);

/* Frees it with any rows not written; accepts NULL and sets *self_p to NULL. */
void events_destroy(events_t **self_p);

/* Adds one event to its row (or a new row). Any thread. Returns false when
 * it was dropped (queue full, the minute's rows spent, out of memory),
 * counted as events_overflow. */
bool events_push(events_t *self, const event_t *e);

/* Rows waiting to be written. Any thread. */
size_t events_backlog(events_t *self);

/* Writes the rows waiting, a few hundred a statement; the writer's thread
 * only. Returns 0 when nothing is left (or the database refused a batch,
 * logged and counted), or the store's error when it is away (the rows wait
 * for the next call). */
int events_write(events_t *self, const store_ops_t *ops, void *store);

/* Deletes event rows older than [events] retention_days, 10,000 a
 * statement; *deleted gets how many. Returns as store_exec(). */
int events_retention(store_t *store, const config_t *cfg, unsigned long long *deleted);

#endif
