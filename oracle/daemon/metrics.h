/* oracle/daemon/metrics.h - the Prometheus endpoint: GET /metrics over HTTP.
 *
 * [metrics] listen (default 127.0.0.1:9154, "" for none; [::1]:9154 for
 * IPv6) is served by libmicrohttpd with one internal thread, at most 16
 * connections and 10 s per connection. Each scrape reads the same counters
 * as the \0stats command (stats_each(), stats_histogram()) and the same
 * gauges (writer, lists, domain layer), so the two never disagree; the text
 * is the Prometheus exposition format 0.0.4, documented in docs/metrics.md.
 * Query names never appear in it. Other paths get 404, other methods 405.
 *
 * The HTTP thread is libmicrohttpd's: started by metrics_new() and stopped
 * and joined by metrics_destroy(). It only reads what it is given (atomic
 * counters, the listbox, the writer's state, domain_count()), so it needs no
 * socket or connection of its own besides its listening socket.
 */
#ifndef DNSORACLE_METRICS_H
#define DNSORACLE_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "domain.h"
#include "listbox.h"
#include "stats.h"
#include "writer.h"

typedef struct metrics metrics_t;

/* What a scrape reads; owned by the caller and alive until
 * metrics_destroy(). `lists`, `writer` and `domains` may be NULL. */
typedef struct {
    stats_t *stats;
    listbox_t *lists;
    writer_t *writer;
    domain_t *domains;
    unsigned threads; /* worker threads, shown as a gauge */
} metrics_deps_t;

/* Checks [metrics] listen without binding: "" or ADDRESS:PORT with a
 * numeric IPv4 address or a bracketed IPv6 one. *loopback (may be NULL)
 * says whether the address is a loopback one. Returns 0, or -EINVAL with
 * the reason in err. */
int metrics_check(const config_t *cfg, bool *loopback, char *err, size_t errcap);

/* Binds [metrics] listen and starts serving; logs a warning when the
 * address is not loopback (the metrics carry no secret but reveal the
 * traffic's volume). With listen = "" returns NULL and sets err to "".
 * Returns NULL with the reason in err (the address cannot be bound, the
 * thread cannot start). */
metrics_t *metrics_new(const config_t *cfg, const metrics_deps_t *deps, char *err, size_t errcap);

/* Stops the HTTP thread, joins it and frees everything; accepts NULL and
 * sets *self_p to NULL. */
void metrics_destroy(metrics_t **self_p);

/* The exposition text of what `deps` holds, a new string of *len bytes.
 * Returns NULL when out of memory; the caller owns the string (free()). */
char *metrics_text(const metrics_deps_t *deps, size_t *len);

#endif
