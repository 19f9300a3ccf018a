/* oracle/daemon/duties.h - every periodic duty of dnsoracled, in one table.
 *
 * The table (duties.c, whose comment lists each row with its period and
 * thread) is run by two threads: the main thread runs the DUTY_MAIN rows
 * between two signals (main.c), with a duties_main_t; the timer thread
 * (cron.h) the DUTY_CRON rows, with its cron_t.
 */
#ifndef DNSORACLE_DUTIES_H
#define DNSORACLE_DUTIES_H

#include <stdbool.h>
#include <stddef.h>

#include "duty.h"
#include "listbox.h"
#include "server.h"
#include "stats.h"

/* What the main thread's rows use. */
typedef struct {
    stats_t *stats;
    server_t *server;
    listbox_t *published; /* lists with a publisher (the hooks' heartbeat), or NULL */
    bool watchdog;        /* the unit asked for WATCHDOG=1 */
} duties_main_t;

extern const duty_t duties_table[];
extern const size_t duties_count;

#endif
