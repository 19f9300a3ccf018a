/* oracle/store/store.c - one connection to MariaDB, kept alive. */
#include "store.h"

#include <bsd/string.h>
#include <errno.h>
#include <errmsg.h>
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define S_BACKOFF_MIN_MS 100
#define S_BACKOFF_MAX_MS 10000
#define S_LOG_EVERY_S 60
/* Short, so that a hung database delays a stop by seconds at most. */
#define S_CONNECT_TIMEOUT_S 1
#define S_IO_TIMEOUT_S 2

struct store {
    char who[32];
    char host[256], user[128], password[256], name[64], socket[PATH_MAX];
    unsigned port;
    unsigned io_timeout_s; /* per read or write on the connection */
    MYSQL *db;             /* NULL while disconnected */
    double retry_at;       /* monotonic seconds */
    unsigned backoff_ms;
    double last_logged; /* of a failure, to rate-limit */
    unsigned long failures;
    unsigned long connects; /* connections made so far */
    char error[512];
};

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void store_library_init(void) { mysql_library_init(0, NULL, NULL); }

void store_library_end(void) { mysql_library_end(); }

store_t *store_new(const config_t *cfg, const char *who)
{
    store_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    strlcpy(self->who, who, sizeof self->who);
    strlcpy(self->host, cfg->database.host, sizeof self->host);
    strlcpy(self->user, cfg->database.user, sizeof self->user);
    strlcpy(self->password, cfg->database.password, sizeof self->password);
    strlcpy(self->name, cfg->database.name, sizeof self->name);
    strlcpy(self->socket, cfg->database.socket, sizeof self->socket);
    self->port = cfg->database.port;
    self->io_timeout_s = S_IO_TIMEOUT_S;
    self->backoff_ms = S_BACKOFF_MIN_MS;
    return self;
}

void store_set_io_timeout(store_t *self, unsigned seconds)
{
    self->io_timeout_s = seconds ? seconds : S_IO_TIMEOUT_S;
}

static void s_disconnect(store_t *self)
{
    if (self->db)
        mysql_close(self->db);
    self->db = NULL;
}

void store_destroy(store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    store_t *self = *self_p;
    s_disconnect(self);
    explicit_bzero(self->password, sizeof self->password);
    free(self);
    *self_p = NULL;
}

const char *store_error(store_t *self) { return self->error; }

/* Records a failure: the back-off doubles; the log hears of it at most once
 * a minute (and always the first time). */
static void s_failed(store_t *self, const char *what)
{
    double now = s_now();
    snprintf(self->error, sizeof self->error, "%s", what);
    self->failures++;
    self->retry_at = now + self->backoff_ms / 1000.0;
    self->backoff_ms =
        self->backoff_ms * 2 > S_BACKOFF_MAX_MS ? S_BACKOFF_MAX_MS : self->backoff_ms * 2;
    if (self->failures == 1 || now - self->last_logged >= S_LOG_EVERY_S) {
        log_warning(self->who, "database unavailable (%lu failures so far, retrying): %s",
                    self->failures, what);
        self->last_logged = now;
    }
}

void store_retry_now(store_t *self)
{
    self->retry_at = 0;
    self->backoff_ms = S_BACKOFF_MIN_MS;
}

int store_ready(store_t *self)
{
    if (self->db)
        return 0;
    if (s_now() < self->retry_at)
        return -EAGAIN;
    MYSQL *db = mysql_init(NULL);
    if (!db) {
        s_failed(self, "out of memory");
        return -ECONNREFUSED;
    }
    unsigned connect_timeout = S_CONNECT_TIMEOUT_S, io_timeout = self->io_timeout_s;
    mysql_options(db, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
    mysql_options(db, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
    mysql_options(db, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
    mysql_options(db, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    if (!mysql_real_connect(db, self->socket[0] ? NULL : self->host, self->user, self->password,
                            self->name, self->port, self->socket[0] ? self->socket : NULL, 0)) {
        char what[512];
        snprintf(what, sizeof what, "%s", mysql_error(db));
        mysql_close(db);
        s_failed(self, what);
        return -ECONNREFUSED;
    }
    /* All times in the database are UTC, whatever the server's zone. */
    if (mysql_query(db, "SET time_zone = '+00:00'") != 0) {
        char what[512];
        snprintf(what, sizeof what, "%s", mysql_error(db));
        mysql_close(db);
        s_failed(self, what);
        return -ECONNREFUSED;
    }
    if (self->failures)
        log_info(self->who, "database connection back after %lu failures", self->failures);
    self->db = db;
    self->connects++;
    self->failures = 0;
    self->backoff_ms = S_BACKOFF_MIN_MS;
    return 0;
}

/* A lost connection is retried later; anything else is the statement's
 * fault. */
static int s_error(store_t *self)
{
    unsigned e = mysql_errno(self->db);
    char what[512];
    snprintf(what, sizeof what, "%s (error %u)", mysql_error(self->db), e);
    if (e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == CR_CONNECTION_ERROR ||
        e == CR_CONN_HOST_ERROR || e == CR_COMMANDS_OUT_OF_SYNC || e == 1927 /* killed */ ||
        e == 1053 /* shutdown in progress */ || e == 2026 /* SSL */) {
        s_disconnect(self);
        s_failed(self, what);
        return -EIO;
    }
    snprintf(self->error, sizeof self->error, "%s", what);
    log_error(self->who, "statement refused: %s", what);
    return -EINVAL;
}

int store_exec(store_t *self, const char *sql, size_t len)
{
    int rc = store_ready(self);
    if (rc != 0)
        return -EIO;
    if (mysql_real_query(self->db, sql, (unsigned long)len) != 0)
        return s_error(self);
    /* Statements that return rows are for store_query(); drain anyway. */
    MYSQL_RES *res = mysql_store_result(self->db);
    if (res)
        mysql_free_result(res);
    return 0;
}

int store_query(store_t *self, const char *sql, store_row_fn row, void *user)
{
    int rc = store_ready(self);
    if (rc != 0)
        return -EIO;
    if (mysql_query(self->db, sql) != 0)
        return s_error(self);
    MYSQL_RES *res = mysql_store_result(self->db);
    if (!res)
        return mysql_field_count(self->db) ? s_error(self) : 0;
    unsigned n = mysql_num_fields(res);
    MYSQL_ROW r;
    while ((r = mysql_fetch_row(res)))
        row(user, r, n);
    mysql_free_result(res);
    return 0;
}

unsigned long store_connects(const store_t *self) { return self->connects; }

unsigned long long store_affected(store_t *self)
{
    return self->db ? (unsigned long long)mysql_affected_rows(self->db) : 0;
}

int store_delete_batches(store_t *self, const char *sql, size_t len, unsigned long long batch,
                         int rounds, unsigned long long *deleted)
{
    for (int i = 0; i < rounds; i++) {
        int rc = store_exec(self, sql, len);
        if (rc != 0)
            return rc;
        unsigned long long n = store_affected(self);
        *deleted += n;
        if (n < batch)
            break;
    }
    return 0;
}

long store_escape(store_t *self, char *to, const char *from, size_t len)
{
    if (!self->db)
        return -1;
    return (long)mysql_real_escape_string(self->db, to, from, (unsigned long)len);
}

/* ---- store_ops: the functions above through a table -------------------- */

static void *s_open(const config_t *cfg, const char *who) { return store_new(cfg, who); }

static void s_close(void *store)
{
    store_t *s = store;
    store_destroy(&s);
}

static int s_ready(void *store) { return store_ready(store); }

static void s_retry_now(void *store) { store_retry_now(store); }

static int s_exec(void *store, const char *sql, size_t len) { return store_exec(store, sql, len); }

static long s_escape(void *store, char *to, const char *from, size_t len)
{
    return store_escape(store, to, from, len);
}

const store_ops_t store_ops = {s_open, s_close, s_ready, s_retry_now, s_exec, s_escape};
