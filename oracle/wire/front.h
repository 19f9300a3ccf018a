/* oracle/wire/front.h - the plaintext TCP endpoints, with a bound per connection.
 *
 * A ZMQ_STREAM socket hands over the raw bytes of each TCP connection, in
 * bounded queues (ZMQ_RCVHWM chunks of at most 8 KiB in, ZMQ_SNDHWM replies
 * out), and zmtp.h speaks ZeroMQ's wire protocol on them, as the ROUTER
 * would: REQ and DEALER clients see no difference. What a connection can
 * make the oracle hold is bounded (zmtp.h); a connection that breaks the
 * protocol or a limit is closed, counted (connections_closed) and logged at
 * most once every 10 s. Replies a slow client has not taken yet wait in a
 * bounded buffer; a client that does not read them at all is closed.
 *
 * The front belongs to the proxy thread (oracle/daemon/routing.c) once made.
 */
#ifndef DNSORACLE_FRONT_H
#define DNSORACLE_FRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"
#include "zmtp.h"

#define FRONT_ID 5 /* bytes of a ZMQ_STREAM routing id */

typedef struct front front_t;

/* A complete request from connection `id`. */
typedef void(front_request_fn)(void *arg, const uint8_t *id, const zmtp_request_t *request);

/* Makes the STREAM socket in ctx (not bound yet), for at most
 * `max_connections` connections open at once (one more is closed as soon as
 * it comes, and counted: connections_refused), counting into `stats` (the
 * proxy thread's slot; tcp_connections is the number open). NULL when out
 * of memory. */
front_t *front_new(void *ctx, const zmtp_limits_t *limits, unsigned max_connections,
                   stats_slot_t *stats);

/* Binds a tcp:// endpoint; 0 or a negative errno code. */
int front_bind(front_t *self, const char *endpoint);

/* The socket, to poll for ZMQ_POLLIN. */
void *front_socket(front_t *self);

/* max_batch for the connections made from now on (SIGHUP). */
void front_set_max_batch(front_t *self, unsigned max_batch);

/* The bound on open connections from now on (SIGHUP): those already open
 * stay. */
void front_set_max_connections(front_t *self, unsigned max_connections);

/* Connections open now. */
size_t front_connections(const front_t *self);

/* Reads what one socket message brings (a new connection, bytes, a closed
 * connection) and calls `fn` for every request it completes. */
void front_read(front_t *self, front_request_fn *fn, void *arg);

/* Sends `len` bytes of reply frames (zmtp_header-framed) to connection id.
 * What the socket's queue (8 messages of at most 64 KiB) cannot take waits
 * here, in order, for front_flush(); a connection with over 256 KiB
 * waiting does not read its replies: it is closed (replies_dropped,
 * connections_closed). Dropped and counted when the connection is gone. */
void front_send(front_t *self, const uint8_t *id, const void *bytes, size_t len);

/* True while some connection has bytes (or a close) waiting. */
bool front_pending(const front_t *self);

/* Hands waiting bytes to the socket as far as its queues take them; call it
 * again soon while front_pending(). */
void front_flush(front_t *self);

/* Closes the socket (replies already sent get linger_ms to leave) and frees
 * every connection's state; accepts NULL, sets *self_p to NULL. */
void front_destroy(front_t **self_p, int linger_ms);

#endif
