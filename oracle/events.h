/* oracle/events.h - refusals and who asked, aggregated, to MariaDB.
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
#include "stats.h"
#include "store.h"

typedef struct events events_t;

typedef enum { EVENT_REFUSED, EVENT_WOULD_BLOCK } event_action_t;

/* One refusal, read during events_push() only. */
typedef struct {
    time_t time;        /* seconds since the epoch */
    const char *client; /* the client's address as text; NULL, "" or "-": unknown */
    const char *qname;  /* the name as received (escaped \DDD when stored) */
    size_t qname_len;
    const char *domain; /* its registrable domain; NULL or "": none */
    size_t domain_len;
    unsigned qtype;     /* 0: unknown */
    const char *reason; /* engine_reason_name(), or the hook's reason */
    event_action_t action;
    const char *resolver; /* the resolver's host; NULL or "": this host */
} event_t;

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
int events_write(events_t *self, store_t *store);

/* Deletes event rows older than [events] retention_days, 10,000 a
 * statement; *deleted gets how many. Returns as store_exec(). */
int events_retention(store_t *store, const config_t *cfg, unsigned long long *deleted);

/* "refused" or "would-block"; events_action_parse() returns the action of
 * such a word, or -1. Inline: the protocol (and its tests) use them without
 * the database side of this module. */
static inline const char *events_action_name(event_action_t action)
{
    return action == EVENT_WOULD_BLOCK ? "would-block" : "refused";
}

static inline int events_action_parse(const char *word)
{
    if (!strcmp(word, "refused"))
        return EVENT_REFUSED;
    if (!strcmp(word, "would-block"))
        return EVENT_WOULD_BLOCK;
    return -1;
}

#endif
