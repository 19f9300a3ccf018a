/* tests/unit/test_duty.c - the periodic duty table (oracle/common/duty.c):
 * each thread runs only its rows, each at its period (a constant or a
 * config key), at the start or one period later, and a row's `then` runs
 * at once when it asks; and the daemon's own table (duties.c) names every
 * row a `then` points to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "duties.h"
#include "duty.h"

/* What the rows did, in order: one letter each. */
typedef struct {
    char log[64];
    bool ask; /* what row "b" returns */
} s_seen_t;

static void s_note(s_seen_t *s, char c)
{
    size_t n = strlen(s->log);
    if (n + 1 < sizeof s->log)
        s->log[n] = c;
}

static bool s_a(void *arg)
{
    s_note(arg, 'a');
    return false;
}

static bool s_b(void *arg)
{
    s_seen_t *s = arg;
    s_note(s, 'b');
    return s->ask;
}

static bool s_c(void *arg)
{
    s_note(arg, 'c');
    return false;
}

static bool s_other(void *arg)
{
    s_note(arg, 'x');
    return false;
}

static const duty_t s_table[] = {
    {"a", DUTY_MAIN, DUTY_EVERY(1), false, s_a, NULL},
    {"b", DUTY_MAIN, DUTY_CONFIG(droplist.update_seconds), false, s_b, "c"},
    {"x", DUTY_CRON, DUTY_EVERY(1), true, s_other, NULL},
    {"c", DUTY_MAIN, DUTY_CONFIG(droplist.refresh_seconds), true, s_c, NULL},
};

static void s_setup(duty_clock_t *clock, s_seen_t *seen)
{
    config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.droplist.update_seconds = 5;
    cfg.droplist.refresh_seconds = 3;
    memset(seen, 0, sizeof *seen);
    duty_clock_init(clock, s_table, 4, DUTY_MAIN, &cfg, 100.0);
}

static void test_periods_and_threads(void **state)
{
    (void)state;
    duty_clock_t clock;
    s_seen_t seen;
    s_setup(&clock, &seen);
    assert_int_equal(clock.n, 3); /* "x" is the timer thread's */
    for (int t = 100; t <= 106; t++)
        duty_clock_run(&clock, &seen, t);
    /* 100: c (at start); 101: a; 102: a; 103: a c; 104: a; 105: a b; 106: a c */
    assert_string_equal(seen.log, "caaacaabac");
}

static void test_then_runs_at_once(void **state)
{
    (void)state;
    duty_clock_t clock;
    s_seen_t seen;
    s_setup(&clock, &seen);
    seen.ask = true;
    for (int t = 100; t <= 105; t++)
        duty_clock_run(&clock, &seen, t);
    /* at 105 b asks for c, which runs right after it (due again at 108) */
    assert_string_equal(seen.log, "caaacaabc");
    duty_clock_run(&clock, &seen, 107);
    assert_string_equal(seen.log, "caaacaabca");
    assert_true(duty_clock_next(&clock, 107) <= 108.0);
}

static void test_next_is_the_earliest(void **state)
{
    (void)state;
    duty_clock_t clock;
    s_seen_t seen;
    s_setup(&clock, &seen);
    assert_true(duty_clock_next(&clock, 100.0) == 100.0); /* c, at start */
    duty_clock_run(&clock, &seen, 100.0);
    assert_true(duty_clock_next(&clock, 100.0) == 101.0); /* a */
}

/* The daemon's table: every `then` names a row of the same thread, and
 * each thread's rows fit a clock. */
static void test_daemon_table(void **state)
{
    (void)state;
    size_t rows[2] = {0, 0};
    for (size_t i = 0; i < duties_count; i++) {
        const duty_t *d = &duties_table[i];
        rows[d->thread]++;
        if (!d->then)
            continue;
        bool found = false;
        for (size_t j = 0; j < duties_count; j++)
            found |=
                strcmp(duties_table[j].name, d->then) == 0 && duties_table[j].thread == d->thread;
        assert_true(found);
    }
    assert_true(rows[DUTY_MAIN] > 0 && rows[DUTY_MAIN] <= DUTY_MAX);
    assert_true(rows[DUTY_CRON] > 0 && rows[DUTY_CRON] <= DUTY_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_periods_and_threads),
        cmocka_unit_test(test_then_runs_at_once),
        cmocka_unit_test(test_next_is_the_earliest),
        cmocka_unit_test(test_daemon_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
