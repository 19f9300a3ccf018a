/* oracle/common/duty.c - periodic duties: one table of (name, period, thread, function). */
#include "duty.h"

#include <assert.h>
#include <string.h>
#include <time.h>

double duty_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void duty_clock_init(duty_clock_t *clock, const duty_t *table, size_t n, duty_thread_t thread,
                     const config_t *cfg, double now)
{
    memset(clock, 0, sizeof *clock);
    for (size_t i = 0; i < n; i++) {
        const duty_t *d = &table[i];
        if (d->thread != thread)
            continue;
        assert(clock->n < DUTY_MAX);
        unsigned s = d->seconds;
        if (s == 0)
            memcpy(&s, (const char *)cfg + d->config_offset, sizeof s);
        clock->rows[clock->n] = d;
        clock->period[clock->n] = s;
        clock->next[clock->n] = d->at_start ? now : now + s;
        clock->n++;
    }
}

/* The index of the row named `name`, or n. */
static size_t s_find(const duty_clock_t *clock, const char *name)
{
    size_t i = 0;
    while (i < clock->n && strcmp(clock->rows[i]->name, name) != 0)
        i++;
    return i;
}

static void s_run(duty_clock_t *clock, size_t i, void *arg, double now)
{
    const duty_t *d = clock->rows[i];
    bool then = d->fn(arg);
    clock->next[i] = now + clock->period[i];
    if (!then || !d->then)
        return;
    size_t j = s_find(clock, d->then);
    assert(j < clock->n);
    if (j > i) /* still to come this round: run in order, below */
        clock->next[j] = now;
    else
        s_run(clock, j, arg, now);
}

void duty_clock_run(duty_clock_t *clock, void *arg, double now)
{
    for (size_t i = 0; i < clock->n; i++)
        if (now >= clock->next[i])
            s_run(clock, i, arg, now);
}

double duty_clock_next(const duty_clock_t *clock, double now)
{
    double next = now + 1;
    for (size_t i = 0; i < clock->n; i++)
        if (clock->next[i] < next)
            next = clock->next[i];
    return next;
}
