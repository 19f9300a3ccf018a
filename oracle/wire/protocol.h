/* oracle/wire/protocol.h - the wire protocol's requests and replies, without sockets.
 *
 * docs/protocol.md is the spec: a request is one or more frames, each a query
 * name, answered by as many frames "true" or "false" in order; a first frame
 * starting with a NUL byte makes it a command (\0ping, \0stats, \0snapshot GENERATION CURSOR,
 * \0explain NAME..., \0report META NAME...: names the hooks judged, and
 * their refusals, which become events). A
 * protocol_t is one worker's request state: the server
 * feeds it a request frame by frame (protocol_begin, protocol_frame for each
 * frame in order, protocol_end) and sends the reply frames it then lists.
 * Nothing here knows ZeroMQ, so tests and the fuzz harness drive it directly.
 *
 * Memory is bounded by max_batch, whatever a client sends: a verdict frame
 * is judged when it arrives and only its verdict (one bool) is kept, an
 * explain reply (under 640 bytes) is kept for the first max_batch names, and
 * every frame past max_batch is counted (overflow_frames) and answered by a
 * static "false" (explain: "false\toverflow\t") without storing anything.
 * The buffers are kept from one request to the next.
 *
 * Not thread-safe: one protocol_t per worker thread. The engine and the
 * lists it reads may be shared (both are immutable once made).
 */
#ifndef DNSORACLE_PROTOCOL_H
#define DNSORACLE_PROTOCOL_H

#include <stddef.h>

#include "domain.h"
#include "engine.h"
#include "refusal.h"
#include "judge.h"
#include "listbox.h"
#include "name.h"
#include "stats.h"

typedef struct protocol protocol_t;

/* What a protocol_t uses besides the engine: owned by the caller and alive
 * as long as the protocol_t. */
typedef struct {
    listbox_t *lists;    /* drop, block and allow lists; NULL: none */
    stats_slot_t *stats; /* the worker's counters */
    /* Called for every name good on its merits (judge_storable()), so that it can
     * be stored (dnsoracled: writer_push); NULL: not stored. */
    void (*keep)(void *arg, const name_t *name, size_t registrable);
    /* Writes the \0stats reply text into buf (at most cap bytes) and
     * returns its length; NULL: the reply is empty. */
    size_t (*stats_text)(void *arg, char *buf, size_t cap);
    void *arg;           /* passed to keep and stats_text */
    domain_t *domains;   /* the domain layer; NULL: none */
    double (*now)(void); /* its clock; NULL: seconds since the epoch */
    unsigned reader;     /* this worker's reader slot in `lists` (listbox_enter) */
    /* Called for every refusal (event.h): a false verdict here (no client),
     * and every refusal a hook reported with its reason and action; NULL:
     * none kept. */
    bool (*event)(void *arg, const event_t *e);
} protocol_deps_t;

/* Returns a request state that judges with `engine` (not owned) and judges
 * at most `max_batch` names a request, or NULL when out of memory. */
protocol_t *protocol_new(const engine_t *engine, unsigned max_batch, const protocol_deps_t *deps);

/* Frees it; accepts NULL and sets *self_p to NULL. */
void protocol_destroy(protocol_t **self_p);

/* Judges with another engine and max_batch from the next request on (a
 * reload). The old engine is no longer used once this returns. */
void protocol_set_engine(protocol_t *self, const engine_t *engine, unsigned max_batch);

/* Starts a request; forgets the previous one and its replies. Enters the
 * lists once, for the whole request (until protocol_done()). */
void protocol_begin(protocol_t *self);

/* Takes the request's next frame: `size` bytes at `data`, read during the
 * call only. A verdict frame is judged (and counted, logged, kept) here. */
void protocol_frame(protocol_t *self, const void *data, size_t size);

/* Tells that the transport took `frames` more frames of this request past
 * max_batch without passing them (the STREAM front bounds what it holds):
 * they are counted and answered as frames past max_batch are (verdicts
 * false, explain "false<TAB>overflow<TAB>", ignored by the other commands).
 * Call it after the last protocol_frame(). */
void protocol_overflow(protocol_t *self, size_t frames);

/* Ends the request and returns the number of reply frames: as many as
 * request frames for verdicts, one for most commands, one per name for
 * \0explain; 0 only when no frame was given. */
size_t protocol_end(protocol_t *self);

/* Reply frame i (i below what protocol_end returned): returns its bytes
 * and sets *len. The bytes belong to the protocol_t (or are static) and
 * stay valid until the next protocol_begin() or protocol_destroy(). */
const char *protocol_reply(const protocol_t *self, size_t i, size_t *len);

/* The replies are sent: lets go of the lists (listbox_leave), so that a
 * worker waiting for its next request holds no generation. */
void protocol_done(protocol_t *self);

#endif
