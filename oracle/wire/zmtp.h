/* oracle/wire/zmtp.h - the oracle's side of one ZMTP 3 connection, without sockets.
 *
 * libzmq delivers a multipart message only once its last frame is in, and
 * keeps every frame until then: a client that opens a request and sends
 * empty frames for ever (two bytes each on the wire, about sixty in libzmq's
 * queues) makes a ROUTER socket grow without bound, and nothing in libzmq
 * limits the frames of one message. So the oracle's plaintext TCP endpoints
 * are served by a ZMQ_STREAM socket (raw bytes, bounded queues) and this
 * module speaks ZMTP 3.0/3.1 with the NULL mechanism itself (RFC 23/37),
 * as a ROUTER would to REQ and DEALER clients, with hard limits on what one
 * connection can make the oracle hold:
 *
 *   - a frame over max_frame bytes ends the connection (as ZMQ_MAXMSGSIZE);
 *   - of each frame at most max_name bytes are kept (a longer one is still
 *     over 255 bytes, so it is answered false as oversize);
 *   - of each request at most max_batch frames are kept; the rest are only
 *     counted (they are answered false as overflow);
 *   - a request of over max_frames frames ends the connection.
 *
 * So one connection holds at most one frame header, max_batch * max_name
 * bytes of names and the envelope. The module is fed the bytes as they
 * arrive and calls back with bytes to send (greeting, READY, PONG) and with
 * each complete request. zmtp_header() frames the replies.
 */
#ifndef DNSORACLE_ZMTP_H
#define DNSORACLE_ZMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZMTP_GREETING 64    /* bytes of a ZMTP 3 greeting */
#define ZMTP_MAX_ENVELOPE 4 /* frames before the delimiter (REQ_CORRELATE ids) */
#define ZMTP_MAX_HEADER 9   /* flags and an 8-byte size */

typedef struct zmtp zmtp_t;

typedef struct {
    size_t max_frame;    /* a larger frame or command ends the connection */
    size_t max_name;     /* bytes kept of each frame */
    unsigned max_batch;  /* frames kept of each request */
    unsigned max_frames; /* a request with more frames ends the connection */
} zmtp_limits_t;

typedef struct {
    const uint8_t *data;
    size_t len;  /* bytes kept (at most max_name) */
    size_t size; /* the frame's size on the wire */
} zmtp_frame_t;

/* One complete request: the envelope (frames before the empty delimiter,
 * returned with the reply), the name frames kept, and how many more frames
 * there were. `malformed` requests (no delimiter, no frame after it, an
 * envelope of over ZMTP_MAX_ENVELOPE frames or over 255 bytes a frame) are
 * to be dropped unanswered, as a ROUTER-based server drops them. */
typedef struct {
    const zmtp_frame_t *envelope;
    unsigned nenvelope;
    const zmtp_frame_t *frames;
    unsigned nframes;
    unsigned overflow;
    bool malformed;
} zmtp_request_t;

typedef struct {
    void *arg;
    /* Bytes for the peer. Returns 0, or -1 when they cannot be sent. */
    int (*send)(void *arg, const void *data, size_t len);
    /* A complete request; the memory is valid during the call only. */
    void (*request)(void *arg, const zmtp_request_t *request);
} zmtp_sink_t;

/* A new connection's state (the caller sends zmtp_greeting() first).
 * Returns NULL when out of memory. */
zmtp_t *zmtp_new(const zmtp_limits_t *limits);

/* Frees it; accepts NULL, sets *self_p to NULL. */
void zmtp_destroy(zmtp_t **self_p);

/* Our greeting: ZMTP 3.0, mechanism NULL, as server. */
const uint8_t *zmtp_greeting(void);

/* Feeds `len` bytes from the peer, calling `sink` for what they complete.
 * Returns 0, or -1 when the connection must be closed, with the reason in
 * *why (a constant string). After -1 the state must not be fed again. */
int zmtp_feed(zmtp_t *self, const uint8_t *data, size_t len, const zmtp_sink_t *sink,
              const char **why);

/* Writes the header of a message frame of `len` bytes (with MORE when
 * `more`) into out (ZMTP_MAX_HEADER bytes); returns its length. */
size_t zmtp_header(uint8_t *out, size_t len, bool more);

/* Bytes of state held for the connection now (for tests and limits). */
size_t zmtp_held(const zmtp_t *self);

#endif
