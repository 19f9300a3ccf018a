/* oracle/common/wire_limits.h - the limits the oracle and its clients must agree on.
 *
 * docs/protocol.md states them; dnsoracled's fronts and protocol
 * (oracle/wire, oracle/daemon), the hook's C module (lua/) and
 * dnsoracle_client (client/) all take them from here, so that a client never
 * sends what the oracle refuses and the oracle never answers more than a
 * client takes. Only constants: any part of the project may include it.
 * Limits one side keeps alone (a connection's unread replies in front.c,
 * the PUB queue in publish.c) stay with that side, stated in docs/protocol.md.
 */
#ifndef DNSORACLE_WIRE_LIMITS_H
#define DNSORACLE_WIRE_LIMITS_H

/* A name frame of more bytes is answered false (oversize, reason invalid)
 * unjudged: a DNS name has at most 255 bytes on the wire. */
#define WIRE_MAX_NAME 255

/* ZMQ_MAXMSGSIZE of the query fronts: a longer frame drops the peer. */
#define WIRE_MAX_FRAME 4096

/* Frames of one request on a tcp:// (STREAM) front, at most: a longer
 * request closes the connection. */
#define WIRE_MAX_FRAMES 16384

/* The biggest reply frame a client takes (ZMQ_MAXMSGSIZE of the hook's and
 * dnsoracle_client's sockets): a \0snapshot chunk, a control reply. */
#define WIRE_MAX_REPLY (1 << 20)

/* A \0snapshot chunk, about 12,000 entries (fits WIRE_MAX_REPLY). */
#define WIRE_CHUNK_BYTES ((size_t)256 * 1024)

/* Names per request: dnsoracle_client's verdict batches and the hook's
 * \0report requests (2 frames a name). Under [server] max_batch's default. */
#define WIRE_CLIENT_BATCH 256
#define WIRE_REPORT_BATCH 256

#endif
