/* tests/unit/test_writer.c - the writer (oracle/store/writer.c) against a fake
 * database (writer_store_t): names are batched into one INSERT with repeats
 * dropped, kept while the database is away and written when it returns,
 * refused when the queue is full or the name is not storable text, and
 * flushed by a stop within its deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "config.h"
#include "log.h"
#include "stats.h"
#include "writer.h"

/* The fake database: up or away, and what it was sent. */
static struct {
    pthread_mutex_t lock;
    atomic_int ready_rc; /* what ready() returns */
    int opened, closed, execs, retries;
    char sql[1 << 16];
} s_db = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void *s_open(const config_t *cfg, const char *who)
{
    (void)cfg;
    assert_string_equal(who, "writer");
    pthread_mutex_lock(&s_db.lock);
    s_db.opened++;
    pthread_mutex_unlock(&s_db.lock);
    return &s_db;
}

static void s_close(void *store)
{
    assert_ptr_equal(store, &s_db);
    pthread_mutex_lock(&s_db.lock);
    s_db.closed++;
    pthread_mutex_unlock(&s_db.lock);
}

static int s_ready(void *store)
{
    (void)store;
    return atomic_load(&s_db.ready_rc);
}

static void s_retry_now(void *store)
{
    (void)store;
    pthread_mutex_lock(&s_db.lock);
    s_db.retries++;
    pthread_mutex_unlock(&s_db.lock);
}

static int s_exec(void *store, const char *sql, size_t len)
{
    (void)store;
    pthread_mutex_lock(&s_db.lock);
    s_db.execs++;
    size_t n = len < sizeof s_db.sql - 1 ? len : sizeof s_db.sql - 1;
    memcpy(s_db.sql, sql, n);
    s_db.sql[n] = 0;
    pthread_mutex_unlock(&s_db.lock);
    return 0;
}

static long s_escape(void *store, char *to, const char *from, size_t len)
{
    (void)store;
    memcpy(to, from, len);
    to[len] = 0;
    return (long)len;
}

static const writer_store_t s_fake = {s_open, s_close, s_ready, s_retry_now, s_exec, s_escape};

static int s_execs(void)
{
    pthread_mutex_lock(&s_db.lock);
    int n = s_db.execs;
    pthread_mutex_unlock(&s_db.lock);
    return n;
}

/* Waits up to ms for the writer to have run `n` statements. */
static bool s_wait_execs(int n, int ms)
{
    for (int i = 0; i < ms / 10; i++) {
        if (s_execs() >= n)
            return true;
        struct timespec t = {0, 10 * 1000000L};
        nanosleep(&t, NULL);
    }
    return s_execs() >= n;
}

static bool s_push(writer_t *w, const char *text)
{
    name_t name;
    assert_int_equal(name_parse(text, strlen(text), &name), 0);
    return writer_push(w, &name, name.nlabels - 2); /* the last two labels */
}

typedef struct {
    stats_t *stats;
    config_t cfg;
} fixture_t;

static int s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->stats = stats_new(1);
    config_defaults(&f->cfg);
    f->cfg.database.queue_size = 4;
    pthread_mutex_lock(&s_db.lock);
    s_db.opened = s_db.closed = s_db.execs = s_db.retries = 0;
    s_db.sql[0] = 0;
    pthread_mutex_unlock(&s_db.lock);
    atomic_store(&s_db.ready_rc, 0);
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *f = *state;
    stats_destroy(&f->stats);
    free(f);
    return 0;
}

static uint64_t s_stat(fixture_t *f, const char *key)
{
    char buf[8192], want[64];
    stats_format(f->stats, 1, "", buf, sizeof buf);
    snprintf(want, sizeof want, "\n%s ", key);
    char *line = strstr(buf, want);
    assert_non_null(line);
    return strtoull(line + strlen(want), NULL, 10);
}

static void test_batch_written(void **state)
{
    fixture_t *f = *state;
    writer_t *w = writer_new_with(&f->cfg, stats_slot(f->stats, 0), &s_fake);
    assert_non_null(w);
    assert_string_equal(writer_state(w), "idle");
    assert_true(s_push(w, "www.example.com"));
    assert_true(s_push(w, "www.example.com")); /* a repeat: one row */
    assert_true(s_push(w, "mail.example.org"));
    assert_true(s_wait_execs(1, 3000)); /* a partial batch waits at most a second */
    pthread_mutex_lock(&s_db.lock);
    assert_non_null(strstr(s_db.sql, "('www.example.com','example.com',"));
    assert_non_null(strstr(s_db.sql, "('mail.example.org','example.org',"));
    assert_null(strstr(strstr(s_db.sql, "www.example.com") + 1, "('www.example.com'"));
    assert_non_null(strstr(s_db.sql, "ON DUPLICATE KEY UPDATE last_seen"));
    pthread_mutex_unlock(&s_db.lock);
    writer_stop(w, 100);
    assert_string_equal(writer_state(w), "ok");
    assert_int_equal(writer_backlog(w), 0);
    assert_int_equal(s_stat(f, "names_stored"), 3);
    writer_destroy(&w);
    assert_null(w);
    assert_int_equal(s_db.opened, 1);
    assert_int_equal(s_db.closed, 1);
}

/* The database away: the names wait (and the queue bound holds); back, they
 * are written. */
static void test_database_away(void **state)
{
    fixture_t *f = *state;
    atomic_store(&s_db.ready_rc, -ECONNREFUSED);
    writer_t *w = writer_new_with(&f->cfg, stats_slot(f->stats, 0), &s_fake);
    assert_non_null(w);
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "n%d.example.com", i);
        assert_true(s_push(w, name));
    }
    assert_false(s_push(w, "one.too.many.example.com")); /* queue_size 4 */
    assert_int_equal(s_stat(f, "queue_overflow"), 1);
    assert_false(s_wait_execs(1, 1500));
    assert_string_equal(writer_state(w), "unavailable");
    atomic_store(&s_db.ready_rc, 0);
    assert_true(s_wait_execs(1, 3000));
    writer_stop(w, 100);
    assert_int_equal(s_stat(f, "names_stored"), 4);
    assert_int_equal(writer_backlog(w), 0);
    writer_destroy(&w);
}

static void test_unstorable(void **state)
{
    fixture_t *f = *state;
    writer_t *w = writer_new_with(&f->cfg, stats_slot(f->stats, 0), &s_fake);
    name_t name;
    assert_int_equal(name_parse("it's.example.com", 16, &name), 0);
    assert_false(writer_push(w, &name, 1));
    assert_int_equal(name_parse("example.com", 11, &name), 0);
    assert_false(writer_push(w, &name, 2)); /* no registrable domain inside it */
    assert_int_equal(s_stat(f, "names_unstorable"), 1);
    assert_int_equal(writer_backlog(w), 0);
    writer_destroy(&w);
    assert_int_equal(s_execs(), 0);
}

/* A stop writes what is queued before it returns, trying the database at
 * once; after it, names are refused. */
static void test_stop_flushes(void **state)
{
    fixture_t *f = *state;
    writer_t *w = writer_new_with(&f->cfg, stats_slot(f->stats, 0), &s_fake);
    assert_true(s_push(w, "a.example.com"));
    assert_true(s_push(w, "b.example.com"));
    writer_stop(w, 1000);
    assert_int_equal(s_execs(), 1);
    assert_int_equal(s_stat(f, "names_stored"), 2);
    assert_int_equal(s_db.retries, 1);
    assert_false(s_push(w, "c.example.com"));
    writer_stop(w, 1000); /* idempotent */
    writer_destroy(&w);
}

int main(void)
{
    log_init("test_writer", LEVEL_ERROR, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_batch_written, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_database_away, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_unstorable, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_stop_flushes, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
