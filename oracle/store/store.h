/* oracle/store/store.h - one connection to MariaDB, kept alive.
 *
 * Each thread that talks to the database (the writer, the timer, the control
 * thread) owns one store_t: nothing here is shared. store_ready() connects
 * when needed, with a back-off from 0.1 s doubling to 10 s after failures,
 * so a database that is down costs a retry now and then, never a stall; a
 * connection error marks the store disconnected for the next round. Errors
 * are logged where they happen, rate-limited to one a minute while the
 * database stays away. All SQL is built with store_escape() or from numbers:
 * no query name goes into a statement unescaped.
 */
#ifndef DNSORACLE_STORE_H
#define DNSORACLE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

typedef struct store store_t;

/* Returns a store for the [database] settings of cfg, not yet connected;
 * `who` names the owning thread in logs. NULL when out of memory. */
store_t *store_new(const config_t *cfg, const char *who);

/* The time one read or write on the connection may take (default 2 s, so
 * that a hung database delays the writer, the timer and a stop by seconds
 * at most); from the next connection on. The control thread allows more:
 * an operator's count or list scans a million rows. */
void store_set_io_timeout(store_t *self, unsigned seconds);

/* Closes and frees; accepts NULL and sets *self_p to NULL. */
void store_destroy(store_t **self_p);

/* Returns 0 when connected (connecting first if the back-off allows), or
 * -EAGAIN (waiting out the back-off) or -ECONNREFUSED (just failed). */
int store_ready(store_t *self);

/* Forgets the back-off: the next store_ready() tries at once (the writer's
 * last flush at a stop must not wait out a 10 s back-off). */
void store_retry_now(store_t *self);

/* Runs one statement. Returns 0; -EIO when the connection failed (retry
 * later: it reconnects); -EINVAL when the server refused the statement. */
int store_exec(store_t *self, const char *sql, size_t len);

/* Runs a query and calls row() for each row (fields as NUL-terminated
 * strings, NULL for SQL NULL). Returns as store_exec(). */
typedef void (*store_row_fn)(void *user, char **fields, unsigned nfields);
int store_query(store_t *self, const char *sql, store_row_fn row, void *user);

/* How many times the store has connected: what lives only as long as one
 * connection (a temporary table) is gone when this has changed. */
unsigned long store_connects(const store_t *self);

/* Rows changed by the last statement. */
unsigned long long store_affected(store_t *self);

/* Runs `sql`, a DELETE ... LIMIT `batch`, again until it deletes fewer than
 * `batch` rows or has run `rounds` times, so that no statement holds the
 * table long (retention). Adds the rows deleted to *deleted. Returns 0, or
 * store_exec()'s error (what was deleted until then is counted). */
int store_delete_batches(store_t *self, const char *sql, size_t len, unsigned long long batch,
                         int rounds, unsigned long long *deleted);

/* Escapes `len` bytes for a quoted SQL string into `to` (room for 2*len+1).
 * Needs a connection (the server's character set); returns the length, or
 * -1 when not connected. */
long store_escape(store_t *self, char *to, const char *from, size_t len);

/* The last error text. */
const char *store_error(store_t *self);

/* Call once in main() before any thread uses a store, and at the end. */
void store_library_init(void);
void store_library_end(void);

/* What the writer thread does with a database, as this file's functions
 * of the same names do (`store` is what open returned); store_ops is that
 * table for a real store_t, and tests give a fake one. */
typedef struct {
    void *(*open)(const config_t *cfg, const char *who);
    void (*close)(void *store);
    int (*ready)(void *store);
    void (*retry_now)(void *store);
    int (*exec)(void *store, const char *sql, size_t len);
    long (*escape)(void *store, char *to, const char *from, size_t len);
} store_ops_t;

extern const store_ops_t store_ops;

#endif
