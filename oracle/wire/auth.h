/* oracle/wire/auth.h - who may use the CURVE endpoints: the ZAP handler thread.
 *
 * ZeroMQ asks a ZAP handler (RFC 27, a REP socket bound on
 * inproc://zeromq.zap.01 in the same context) about every CURVE handshake.
 * This thread is that handler: a client is let in when its public key is in
 * a file of the clients directory, which is read at each handshake, so a
 * resolver is added or removed by adding or removing its NAME.pub file, with
 * no restart or reload. The same thread reads the CURVE socket's monitor
 * events and counts every handshake: accepted, refused because the client
 * spoke plaintext (no CURVE), refused because its key is not allowed, and
 * failed otherwise (a wrong server key, garbage). Refusals are logged, at
 * most one line per kind every 10 s.
 *
 * The handler must run before the CURVE socket binds: libzmq lets CURVE
 * clients in unchecked when no handler is bound.
 */
#ifndef DNSORACLE_AUTH_H
#define DNSORACLE_AUTH_H

#include <stddef.h>

#include "stats.h"

typedef struct auth auth_t;

/* Starts the handler in context `ctx` for the CURVE socket `curve` (not yet
 * bound, not yet used by another thread), admitting the keys in directory
 * `clients_dir`, counting into `stats`. Returns once the handler is ready,
 * or NULL with the reason in err. The socket stays the caller's. */
auth_t *auth_new(void *ctx, void *curve, const char *clients_dir, stats_slot_t *stats, char *err,
                 size_t errcap);

/* Asks the handler whether it is alive: 0 when it answered within
 * timeout_ms, else -ETIMEDOUT. */
int auth_alive(auth_t *self, int timeout_ms);

/* Stops and joins the thread and frees everything; accepts NULL, sets
 * *self_p to NULL. Call it after the CURVE socket is closed, before the
 * context is terminated. */
void auth_destroy(auth_t **self_p);

#endif
