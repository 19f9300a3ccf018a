/* oracle/daemon/routing.h - the proxy: requests to the workers, replies back to their socket.
 *
 * Clients reach the daemon on three kinds of socket: a ROUTER (ipc://), a
 * ROUTER with CURVE (curve_endpoints) and the STREAM front (tcp://,
 * front.h). The proxy thread reads all of them and turns every request
 * into one type, zmtp_request_t (zmtp.h: envelope, name frames, frames
 * counted past the limit, malformed or not), under one limit
 * (routing_limits: a command frame and max_batch frames after it, each cut
 * at 256 bytes), so that a request gets the same reply whatever socket it
 * came in on. One function then moves it to the workers' DEALER as
 *
 *   [id][stamp][envelope...][""][header][frames...]
 *
 * The stamp says when the request arrived and which socket it came from;
 * the REP socket of the worker hands it back untouched with the reply, and
 * the proxy sends the reply there, measuring the latency. The header
 * carries the frames counted past the limit, which protocol.c answers
 * (protocol_overflow). Both are written and read only by the pairs of
 * functions below, never by offsets. At most ROUTING_MAX_IN_FLIGHT requests
 * are with the workers; on "stop" the proxy takes requests for a grace
 * period, then answers what it took until the drain deadline.
 *
 * The proxy is an actor (actor.h) run by server.c: commands "limits"
 * (SIGHUP: max_batch and max_connections, two unsigned) and "stop" (drain
 * ms).
 */
#ifndef DNSORACLE_ROUTING_H
#define DNSORACLE_ROUTING_H

#include <stddef.h>
#include <stdint.h>

#include "front.h"
#include "stats.h"
#include "wire_limits.h"
#include "zmtp.h"

#define ROUTING_BACKEND "inproc://dnsoracle-workers" /* the DEALER the workers connect to */
#define ROUTING_MAX_FRAME WIRE_MAX_FRAME /* ZMQ_MAXMSGSIZE: larger frames drop the peer */
#define ROUTING_STAMP_SIZE 9
#define ROUTING_HEADER_SIZE 4

/* Where a request came in, kept in its stamp so the reply goes back there. */
typedef enum {
    ROUTING_VIA_ROUTER,
    ROUTING_VIA_CURVE,
    ROUTING_VIA_STREAM,
    ROUTING_VIAS
} routing_via_t;

/* The stamp: when the request arrived (CLOCK_MONOTONIC ns), and its socket. */
typedef struct {
    uint64_t t0;
    routing_via_t via;
} routing_stamp_t;

/* Writes the stamp's ROUTING_STAMP_SIZE bytes into out. */
void routing_stamp_encode(routing_stamp_t stamp, uint8_t out[ROUTING_STAMP_SIZE]);

/* Reads a stamp frame of `len` bytes. Returns 0, or -1 when it is not one
 * (*stamp is then {0, ROUTING_VIA_ROUTER}). */
int routing_stamp_decode(const void *data, size_t len, routing_stamp_t *stamp);

/* Writes the header (the frames counted past the limit) into out. */
void routing_header_encode(uint32_t overflow, uint8_t out[ROUTING_HEADER_SIZE]);

/* Reads a header frame of `len` bytes. Returns 0, or -1 when it is not one
 * (not from our proxy; *overflow is then 0). */
int routing_header_decode(const void *data, size_t len, uint32_t *overflow);

/* What every front keeps of a request for a given max_batch: max_batch + 1
 * frames (a command's first frame and max_batch names; for a verdict
 * request protocol.c answers the last one as past max_batch), each cut at
 * 256 bytes (longer ones are answered as invalid anyway), and at most 16384
 * frames on the STREAM front, where more close the connection. */
zmtp_limits_t routing_limits(unsigned max_batch);

/* The clients' sockets, handed to the proxy: each may be NULL. The proxy
 * closes them as it leaves (setting the pointers NULL; the owner reads them
 * only after actor_join); when it could not start they are left to the
 * owner. */
typedef struct {
    void *ctx;
    void *router;        /* ROUTING_VIA_ROUTER */
    void *curve;         /* ROUTING_VIA_CURVE */
    front_t *stream;     /* ROUTING_VIA_STREAM */
    stats_slot_t *stats; /* the proxy's counters: requests, latency, malformed */
    unsigned max_batch;
} routing_fronts_t;

/* The proxy's body (actor_fn): `arg` is a routing_fronts_t, alive until the
 * thread is joined. */
void routing_proxy(void *pipe, void *arg);

#endif
