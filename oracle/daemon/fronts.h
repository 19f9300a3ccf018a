/* oracle/daemon/fronts.h - the clients' sockets: which endpoints may be bound, and binding them.
 *
 * [server] endpoints must be reachable from this host only: tcp:// on
 * loopback goes to the STREAM front (front.h, a bound per connection),
 * ipc:// and inproc:// to a ROUTER (a Unix socket's peers are local users
 * the file mode lets in). Other hosts reach the oracle only on
 * curve_endpoints: a second ROUTER with ZeroMQ CURVE, whose ZAP handler
 * (auth.h) lets in the keys in curve_clients. The sockets are made and bound
 * here, in the main thread, so that a bind error is reported at start; then
 * they are the proxy's (routing.h).
 */
#ifndef DNSORACLE_FRONTS_H
#define DNSORACLE_FRONTS_H

#include <stddef.h>

#include "auth.h"
#include "config.h"
#include "routing.h"

/* Checks what cfg asks without binding anything (server_check). Returns 0,
 * or a negative errno code with the reason in err. */
int fronts_check(const config_t *cfg, char *err, size_t errcap);

/* Makes and binds every endpoint of cfg->server into f (f->ctx and
 * f->stats set by the caller), and with curve_endpoints starts their ZAP
 * handler into *auth (its counters in auth_stats) before anything binds.
 * Returns 0, or a negative errno code with the reason in err; what was made
 * stays in f and *auth for the caller to close (fronts_close,
 * auth_destroy). */
int fronts_open(routing_fronts_t *f, const config_t *cfg, stats_slot_t *auth_stats, auth_t **auth,
                char *err, size_t errcap);

/* Closes the sockets left in f (those the proxy did not take over). */
void fronts_close(routing_fronts_t *f);

#endif
