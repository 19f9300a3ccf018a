/* oracle/daemon/duties.c - every periodic duty of dnsoracled, in one table.
 *
 * Every duty the daemon does on a clock, with its period and the thread
 * that does it (the idea of Redis' serverCron); duty.h runs them:
 *
 *   name              period           thread  what
 *   stats window      1 s              main    stats_tick: the 10-second window
 *                                              behind requests/s and percentiles
 *   lists heartbeat   1 s              main    listbox_tick: epoch and generation
 *                                              on the PUB socket, for the hooks
 *                                              (only with a publisher)
 *   malloc trim       10 s             main    a burst leaves freed memory in the
 *                                              threads' arenas: give it back
 *   status            1 s              main    STATUS= for systemd
 *   watchdog          1 s              main    WATCHDOG=1 when the unit asks for
 *                                              it and the proxy, every worker and
 *                                              the CURVE handler answered a ping
 *                                              within 500 ms (server_alive): a
 *                                              wedged worker pool gets the service
 *                                              restarted (the interval is at
 *                                              least 2 s)
 *   cuts              1 s              cron    domains the domain layer cut off
 *                                              go on the drop list, in the
 *                                              database and in the lists at once
 *   evidence exchange update_seconds   cron    with the other oracles on the
 *                                              database; then the lists are
 *                                              reread (first run one period after
 *                                              the start: a restart must not
 *                                              recount at once what another
 *                                              instance just counted)
 *   retention         update_seconds   cron    stored names older than
 *                                              retention_seconds deleted
 *   lists reread      refresh_seconds  cron    operator changes, expiry; only
 *                                              the difference is published (at
 *                                              once at the start)
 *   events retention  1 h              cron    event rows older than [events]
 *                                              retention_days deleted, 10,000 a
 *                                              statement (at once at the start)
 *
 * The main thread's duties need no database, so a slow one never delays
 * the watchdog; the timer thread's each use its connection, and a database
 * that is down makes a duty fail until its next period.
 */
#include "duties.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <systemd/sd-daemon.h>

#include "cron.h"

#define S_ALIVE_MS 500 /* the threads' time to answer the watchdog's ping */

static bool s_stats_window(void *arg)
{
    duties_main_t *m = arg;
    stats_tick(m->stats);
    return false;
}

static bool s_heartbeat(void *arg)
{
    duties_main_t *m = arg;
    if (m->published)
        listbox_tick(m->published);
    return false;
}

static bool s_trim(void *arg)
{
    (void)arg;
#ifdef __GLIBC__
    malloc_trim(0);
#endif
    return false;
}

static bool s_status(void *arg)
{
    duties_main_t *m = arg;
    char line[256];
    stats_status(m->stats, line, sizeof line);
    sd_notifyf(0, "STATUS=%s", line);
    return false;
}

static bool s_watchdog(void *arg)
{
    duties_main_t *m = arg;
    if (m->watchdog && server_alive(m->server, S_ALIVE_MS) == 0)
        sd_notify(0, "WATCHDOG=1");
    return false;
}

const duty_t duties_table[] = {
    {"stats window", DUTY_MAIN, DUTY_EVERY(1), false, s_stats_window, NULL},
    {"lists heartbeat", DUTY_MAIN, DUTY_EVERY(1), false, s_heartbeat, NULL},
    {"malloc trim", DUTY_MAIN, DUTY_EVERY(10), false, s_trim, NULL},
    {"status", DUTY_MAIN, DUTY_EVERY(1), false, s_status, NULL},
    {"watchdog", DUTY_MAIN, DUTY_EVERY(1), false, s_watchdog, NULL},
    {"cuts", DUTY_CRON, DUTY_EVERY(1), true, cron_cuts, "lists reread"},
    {"evidence exchange", DUTY_CRON, DUTY_CONFIG(droplist.update_seconds), false, cron_exchange,
     "lists reread"},
    {"retention", DUTY_CRON, DUTY_CONFIG(droplist.update_seconds), false, cron_retention, NULL},
    {"lists reread", DUTY_CRON, DUTY_CONFIG(droplist.refresh_seconds), true, cron_reread, NULL},
    {"events retention", DUTY_CRON, DUTY_EVERY(3600), true, cron_events_retention, NULL},
};

const size_t duties_count = sizeof duties_table / sizeof duties_table[0];
