/* oracle/store/cron.h - the timer thread: the database's periodic duties.
 *
 * One thread with its own database connection does, in one function
 * (s_tick in cron.c, whose comment lists the periods): put the domains the
 * domain layer cut off on the drop list within a second; exchange evidence
 * with the other oracles on the database every update_seconds
 * (droplist_update) and delete old names; reread the lists every
 * refresh_seconds.
 * A database that is down makes a duty fail and come round again at its
 * next period; the thread never dies of it. (The once-a-second duties that
 * need no database, statistics and the systemd watchdog, stay in the main
 * thread: a slow database must never delay them.) The thread is an actor
 * (actor.h) for its start and its stop; it sleeps on a condition variable
 * on CLOCK_MONOTONIC, so a clock step neither stalls nor hurries it.
 */
#ifndef DNSORACLE_CRON_H
#define DNSORACLE_CRON_H

#include "config.h"
#include "domain.h"
#include "listbox.h"
#include "stats.h"

typedef struct cron cron_t;

/* Starts the thread. Returns NULL when out of memory or it cannot start. */
cron_t *cron_new(const config_t *cfg, listbox_t *lists, domain_t *domains, stats_slot_t *slot);

/* Stops and joins the thread (within a second), frees; accepts NULL. */
void cron_destroy(cron_t **self_p);

#endif
