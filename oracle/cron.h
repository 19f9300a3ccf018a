/* oracle/cron.h - the timer thread: the database's periodic duties.
 *
 * One thread with its own database connection does, in one function
 * (s_tick in cron.c):
 *   - every refresh_seconds (10): reread the lists from the database and
 *     publish them to the workers, so that operator changes made through any
 *     instance and drop-list updates by any instance arrive everywhere;
 *   - every update_seconds (300): update the drop list (droplist_update),
 *     then delete names past retention_seconds (droplist_retention), then
 *     reread the lists.
 * A database that is down makes a duty fail and come round again at its
 * next period; the thread never dies of it. (The once-a-second duties that
 * need no database, statistics and the systemd watchdog, stay in the main
 * thread: a slow database must never delay them.)
 */
#ifndef DNSORACLE_CRON_H
#define DNSORACLE_CRON_H

#include "config.h"
#include "lists.h"
#include "stats.h"

typedef struct cron cron_t;

/* Starts the thread. Returns NULL when out of memory or it cannot start. */
cron_t *cron_new(const config_t *cfg, listbox_t *lists, stats_slot_t *slot);

/* Stops and joins the thread (within a second), frees; accepts NULL. */
void cron_destroy(cron_t **self_p);

#endif
