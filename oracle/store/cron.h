/* oracle/store/cron.h - the timer thread: the database's periodic duties.
 *
 * One thread with its own database connection runs the duty table's rows
 * for DUTY_CRON (duty.h; the table and its periods are in
 * oracle/daemon/duties.c): the functions below, each one duty. A database
 * that is down makes a duty fail and come round again at its next period;
 * the thread never dies of it. (The once-a-second duties that need no
 * database, statistics and the systemd watchdog, stay in the main thread:
 * a slow database must never delay them.) The thread is an actor (actor.h)
 * for its start and its stop; it sleeps on a condition variable on
 * CLOCK_MONOTONIC, so a clock step neither stalls nor hurries it.
 */
#ifndef DNSORACLE_CRON_H
#define DNSORACLE_CRON_H

#include "config.h"
#include "domain.h"
#include "duty.h"
#include "listbox.h"
#include "stats.h"

typedef struct cron cron_t;

/* Starts the thread, which runs the DUTY_CRON rows of `duties` (nduties
 * rows; alive as long as the thread) with the cron_t as their argument.
 * Returns NULL when out of memory or it cannot start. */
cron_t *cron_new(const config_t *cfg, listbox_t *lists, domain_t *domains, stats_slot_t *slot,
                 const duty_t *duties, size_t nduties);

/* The duties, for the table (duty_fn, `arg` the cron_t); each runs in the
 * timer thread only. */

/* Domains the domain layer cut off go on the drop list, in the database and
 * in memory (one change each, no reread). Returns true when the lists must
 * be reread (none in memory yet). */
bool cron_cuts(void *arg);

/* The evidence exchange with the other oracles on the database
 * (droplist_update). Returns true: the new drop list is to be read now. */
bool cron_exchange(void *arg);

/* Deletes the stored names older than retention_seconds. Returns false. */
bool cron_retention(void *arg);
bool cron_events_retention(void *arg);

/* Rereads the lists (operator changes made through other instances,
 * expiry); only the difference is applied and published. Returns false. */
bool cron_reread(void *arg);

/* Stops and joins the thread (within a second), frees; accepts NULL. */
void cron_destroy(cron_t **self_p);

#endif
