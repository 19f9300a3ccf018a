/* oracle/daemon/server.h - the ZeroMQ service: its sockets, threads, reload and stop.
 *
 * One ROUTER socket binds the ipc endpoints, a STREAM socket (front.h) the
 * loopback tcp ones, a second ROUTER, with CURVE, the curve_endpoints
 * (fronts.h makes and binds them). A proxy thread (routing.h) moves
 * requests from them to an inproc DEALER, as one request type under one
 * limit whatever the socket, behind which N worker threads each own a REP
 * socket and answer with the engine: a worker only moves frames between its
 * socket and its protocol_t (protocol.h, docs/protocol.md), which judges
 * them and makes the replies. The proxy stamps each request with the time
 * it arrived and its socket, in a routing frame the REP socket hands back
 * untouched, so it can measure every request's latency inside the daemon,
 * and it counts what is in flight so that a stop can finish it.
 *
 * Every thread is an actor (actor.h): it says "ready" once its sockets are
 * set up; "reload" hands a worker a new engine between two requests
 * (nothing is dropped), "ping" asks whether it is alive (the watchdog), and
 * "stop" ends it; commands are numbered, so a late answer is never taken
 * for a newer command's. Only the ZeroMQ context is shared.
 */
#ifndef DNSORACLE_SERVER_H
#define DNSORACLE_SERVER_H

#include <stddef.h>

#include "config.h"
#include "engine.h"
#include "listbox.h"
#include "domain.h"
#include "stats.h"
#include "writer.h"

typedef struct server server_t;

/* What the workers use besides the engine; owned by the caller, and alive
 * until server_destroy(). `lists` and `writer` may be NULL (no database). */
typedef struct {
    stats_t *stats;           /* slots 0..threads-1: workers; slot threads: proxy */
    listbox_t *lists;         /* drop, block and allow lists, consulted every verdict */
    writer_t *writer;         /* good names go there */
    stats_slot_t *auth_stats; /* the CURVE handler's slot (curve_endpoints) */
    domain_t *domains;        /* the domain layer, every verdict observed; NULL: none */
} server_deps_t;

/* Checks what cfg asks of the server without binding anything: every
 * [server] endpoint and the control endpoint on this host only, and with
 * curve_endpoints a private key pair file and a readable clients directory.
 * Returns 0, or a negative errno code with the reason in err (dnsoracled
 * --check-config, start and SIGHUP use it). */
int server_check(const config_t *cfg, char *err, size_t errcap);

/* The worker threads cfg asks for (threads = 0: one per core). */
unsigned server_threads_for(const config_t *cfg);

/* Binds the endpoints of cfg->server and starts the threads; returns once
 * every thread is ready. [server] endpoints must be loopback or ipc; the
 * curve_endpoints are served by a second ROUTER with CURVE (auth.h), and the
 * proxy sends each reply back through the socket its request came in on. Takes ownership of
 * `engine` (also on failure). Returns NULL with the reason in err (an endpoint that cannot be
 * bound, a thread that cannot start). */
server_t *server_new(const config_t *cfg, engine_t *engine, const server_deps_t *deps, char *err,
                     size_t errcap);

/* The ZeroMQ context, for other sockets of the daemon (the control socket):
 * the one thing threads share. */
void *server_context(server_t *self);

/* Hands every worker `engine` (ownership passes to the server) and frees
 * each old engine once every worker has confirmed it moved past it. Also
 * applies the new max_batch and max_connections. Returns 0, or -ETIMEDOUT if a thread did not
 * answer in time (its old engine is then kept, and freed at a later reload
 * that it confirms or at server_destroy()), or -ENOMEM (`engine` freed). */
int server_reload(server_t *self, engine_t *engine, const config_t *cfg);

/* Asks the proxy, every worker and the CURVE handler whether they are alive
 * and waits at most timeout_ms for all of them. Returns 0 when every one
 * answered, -ETIMEDOUT (logged, naming the thread) or -ESHUTDOWN after a
 * stop. The main thread's watchdog pings systemd only after a 0. */
int server_alive(server_t *self, int timeout_ms);

/* Stops taking requests, answers every request already received (waiting at
 * most `drain_ms`), then stops and joins every thread. Idempotent. */
void server_stop(server_t *self, int drain_ms);

/* Stops if needed and frees everything; accepts NULL, sets *self_p NULL. */
void server_destroy(server_t **self_p);

/* Number of worker threads. */
unsigned server_threads(const server_t *self);

#endif
