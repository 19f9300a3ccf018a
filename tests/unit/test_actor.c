/* tests/unit/test_actor.c - the actor module (oracle/common/actor.c): a thread that
 * starts with a ready handshake or reports why it could not, numbered
 * commands whose late answers are never taken for newer ones, liveness
 * pings, and a stop with a deadline, then a join. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <zmq.h>

#include "actor.h"

static void s_sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* A body that answers "add" with the sum of two ints (status 0, the sum as
 * data), "status" with the int it was sent as its status, "slow" after a
 * 300 ms sleep with status 3, and "stop" after sleeping the int the test
 * put in `stop_sleep_ms`. */
typedef struct {
    int stop_sleep_ms;
    int commands; /* answered, "ping" excluded */
} s_body_t;

static void s_body(void *pipe, void *arg)
{
    s_body_t *b = arg;
    if (actor_ready(pipe, 0) != 0)
        return;
    actor_cmd_t cmd;
    for (;;) {
        int rc = actor_recv(pipe, &cmd);
        if (rc < 0)
            return;
        if (rc > 0)
            continue;
        b->commands++;
        if (strcmp(cmd.name, "add") == 0) {
            int v[2], sum;
            memcpy(v, cmd.data, sizeof v);
            sum = v[0] + v[1];
            actor_reply(pipe, &cmd, 0, &sum, sizeof sum);
        } else if (strcmp(cmd.name, "status") == 0) {
            int st;
            memcpy(&st, cmd.data, sizeof st);
            actor_reply(pipe, &cmd, st, NULL, 0);
        } else if (strcmp(cmd.name, "slow") == 0) {
            s_sleep_ms(300);
            actor_reply(pipe, &cmd, 3, NULL, 0);
        } else if (strcmp(cmd.name, "stop") == 0) {
            s_sleep_ms(b->stop_sleep_ms);
            actor_reply(pipe, &cmd, 0, NULL, 0);
            return;
        }
    }
}

static void s_refuses(void *pipe, void *arg)
{
    (void)arg;
    actor_ready(pipe, -EADDRINUSE);
}

static void s_silent(void *pipe, void *arg) { (void)pipe, (void)arg; /* returns without a word */ }

static void test_start_and_command(void **state)
{
    void *ctx = *state;
    s_body_t b = {0, 0};
    int status = 1;
    actor_t *a = actor_new(ctx, "adder", s_body, &b, &status);
    assert_non_null(a);
    assert_int_equal(status, 0);
    assert_string_equal(actor_name(a), "adder");
    int v[2] = {20, 22}, sum = 0;
    size_t len = 0;
    uint32_t seq = actor_send(a, "add", v, sizeof v);
    assert_int_not_equal(seq, 0);
    assert_int_equal(actor_wait(a, seq, 1000, &sum, sizeof sum, &len), 0);
    assert_int_equal(len, sizeof sum);
    assert_int_equal(sum, 42);
    int st = -ENOSPC;
    assert_int_equal(actor_ask(a, "status", &st, sizeof st, 1000), -ENOSPC);
    actor_destroy(&a);
    assert_null(a);
    assert_int_equal(b.commands, 3); /* add, status, stop */
}

static void test_ready_failure(void **state)
{
    void *ctx = *state;
    int status = 0;
    assert_null(actor_new(ctx, "refuses", s_refuses, NULL, &status));
    assert_int_equal(status, -EADDRINUSE);
    status = 0;
    assert_null(actor_new(ctx, "silent", s_silent, NULL, &status));
    assert_int_equal(status, -EIO);
}

/* Answers come back matched by number: waiting for the second command
 * drops the answer to the first. */
static void test_numbered_commands(void **state)
{
    void *ctx = *state;
    s_body_t b = {0, 0};
    actor_t *a = actor_new(ctx, "numbered", s_body, &b, NULL);
    assert_non_null(a);
    int one = 1, two = 2;
    uint32_t s1 = actor_send(a, "status", &one, sizeof one);
    uint32_t s2 = actor_send(a, "status", &two, sizeof two);
    assert_true(s2 != s1 && s1 != 0 && s2 != 0);
    assert_int_equal(actor_wait(a, s2, 1000, NULL, 0, NULL), 2);
    /* the first answer was read and thrown away: nothing is left for it */
    assert_int_equal(actor_wait(a, s1, 100, NULL, 0, NULL), -ETIMEDOUT);
    actor_destroy(&a);
}

/* The defect of the old control pipes: a thread that answers after the
 * owner gave up left an "ok" that the next command took as its own. */
static void test_stale_reply_discarded(void **state)
{
    void *ctx = *state;
    s_body_t b = {0, 0};
    actor_t *a = actor_new(ctx, "stale", s_body, &b, NULL);
    assert_non_null(a);
    assert_int_equal(actor_ask(a, "slow", NULL, 0, 50), -ETIMEDOUT);
    int seven = 7;
    /* the slow answer (status 3) arrives first, and must be dropped */
    assert_int_equal(actor_ask(a, "status", &seven, sizeof seven, 2000), 7);
    actor_destroy(&a);
}

static void test_ping(void **state)
{
    void *ctx = *state;
    s_body_t b = {0, 0};
    actor_t *a = actor_new(ctx, "pinged", s_body, &b, NULL);
    assert_non_null(a);
    for (int i = 0; i < 3; i++)
        assert_int_equal(actor_ask(a, "ping", NULL, 0, 1000), 0);
    assert_int_equal(actor_stop(a, 0, 1000), 0);
    assert_int_equal(b.commands, 1); /* only the stop reached the body */
    actor_destroy(&a);
}

/* A thread that drains within its time answers the stop; one that takes
 * longer than drain + timeout is reported, and still joined. */
static void test_stop_deadline(void **state)
{
    void *ctx = *state;
    s_body_t quick = {100, 0}, late = {600, 0};
    actor_t *a = actor_new(ctx, "quick", s_body, &quick, NULL);
    assert_non_null(a);
    assert_int_equal(actor_stop(a, 200, 100), 0);
    assert_int_equal(actor_stop(a, 200, 100), 0); /* idempotent */
    actor_join(a);
    actor_destroy(&a);

    actor_t *b = actor_new(ctx, "late", s_body, &late, NULL);
    assert_non_null(b);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(actor_stop(b, 100, 100), -ETIMEDOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 190 && ms < 550);
    actor_join(b); /* returns once the body has answered and left */
    assert_int_equal(late.commands, 1);
    actor_destroy(&b);
}

static int s_setup(void **state)
{
    *state = zmq_ctx_new();
    return *state ? 0 : -1;
}

static int s_teardown(void **state) { return zmq_ctx_term(*state); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_and_command),
        cmocka_unit_test(test_ready_failure),
        cmocka_unit_test(test_numbered_commands),
        cmocka_unit_test(test_stale_reply_discarded),
        cmocka_unit_test(test_ping),
        cmocka_unit_test(test_stop_deadline),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
