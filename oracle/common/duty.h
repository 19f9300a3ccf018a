/* oracle/common/duty.h - periodic duties: one table of (name, period, thread, function).
 *
 * Every duty the daemon does on a clock is one row of one table
 * (oracle/daemon/duties.c, whose comment lists them all: the idea of
 * Redis' serverCron), and each thread that has duties runs the rows that
 * name it from its own loop, once a second, through a duty_clock_t: a row
 * is due when its period has passed since it last ran. A period is a
 * constant or a [section] key of the configuration (read when the clock
 * starts). A row's function may ask for another row to run at once (the
 * lists reread after the evidence exchange), by returning true when the row
 * names one in `then`.
 */
#ifndef DNSORACLE_DUTY_H
#define DNSORACLE_DUTY_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* The threads that run duties. */
typedef enum {
    DUTY_MAIN, /* the main thread, between two signals (no database) */
    DUTY_CRON, /* the timer thread (cron.h), with its database connection */
} duty_thread_t;

/* A duty's work; `arg` is what its thread passes (the thread's state).
 * Returns true when the row's `then` must run at once. */
typedef bool(duty_fn)(void *arg);

typedef struct {
    const char *name;
    duty_thread_t thread;
    unsigned seconds;     /* the period; 0: the config key at config_offset */
    size_t config_offset; /* offsetof(config_t, ...) of an unsigned, in seconds */
    bool at_start;        /* first run at once; else one period after the start */
    duty_fn *fn;
    const char *then; /* a row (of the same thread) run at once when fn says so */
} duty_t;

#define DUTY_EVERY(s) (s), 0
#define DUTY_CONFIG(key) 0, offsetof(config_t, key)

#define DUTY_MAX 16 /* rows one thread runs, at most */

/* One thread's view of the table: when each of its rows is due. */
typedef struct {
    const duty_t *rows[DUTY_MAX];
    double period[DUTY_MAX];
    double next[DUTY_MAX];
    size_t n;
} duty_clock_t;

/* Takes the rows of `table` (n rows) for `thread`, with their periods from
 * cfg, starting at `now` (seconds, CLOCK_MONOTONIC). */
void duty_clock_init(duty_clock_t *clock, const duty_t *table, size_t n, duty_thread_t thread,
                     const config_t *cfg, double now);

/* Runs every row due at `now`, in table order, with `arg`; a row named in
 * a `then` that fired runs right after its row. */
void duty_clock_run(duty_clock_t *clock, void *arg, double now);

/* When the next row is due (seconds, as `now`); with no rows, now + 1. */
double duty_clock_next(const duty_clock_t *clock, double now);

/* Seconds on CLOCK_MONOTONIC, the duties' clock. */
double duty_now(void);

#endif
