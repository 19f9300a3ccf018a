/* oracle/common/actor.h - one way to run a long-lived thread: start, ready, commands, stop, join.
 *
 * The idea of CZMQ's zactor, written for this daemon. actor_new() starts a
 * thread that runs `fn` with its end of an inproc PAIR pipe; the thread sets
 * itself up and says so once with actor_ready(), giving a start status, and
 * actor_new() returns only then: NULL (and the status) when the thread could
 * not start, the thread already joined. Commands are one frame each, named
 * and numbered: the owner sends one (actor_send), the thread reads it
 * (actor_recv) and answers it (actor_reply), and the owner waits for the
 * answer to that number (actor_wait). An answer that comes too late for the
 * command it answers is never taken for the answer to a newer one: it is
 * read and thrown away. "ping" is answered inside actor_recv (liveness);
 * "stop" carries a drain time in ms (an int) and the thread answers it as it
 * leaves. Unlike zactor, the owner always joins the thread (actor_join,
 * actor_destroy): no thread is left running at exit.
 *
 * Threads that wait on a condition variable instead of a ZeroMQ poll use the
 * pipe for the ready handshake and the stop (actor_recv_nowait when woken).
 * Only the owner uses an actor_t; only the thread uses its pipe.
 */
#ifndef DNSORACLE_ACTOR_H
#define DNSORACLE_ACTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACTOR_NAME_MAX 15     /* bytes of a command's name */
#define ACTOR_DATA_MAX 64     /* bytes of a command's or an answer's data */
#define ACTOR_TIMEOUT_MS 5000 /* what the daemon waits for an answer by default */

typedef struct actor actor_t;

/* A command as the thread reads it. */
typedef struct {
    uint32_t seq;
    char name[ACTOR_NAME_MAX + 1];
    uint8_t data[ACTOR_DATA_MAX];
    size_t len;
} actor_cmd_t;

/* The thread's body: `pipe` is its end of the pipe, `arg` what was given to
 * actor_new(). It must call actor_ready() once, before its loop (a body that
 * returns without doing so is reported as failed to start, -EIO). */
typedef void(actor_fn)(void *pipe, void *arg);

/* Starts `fn` in a thread of ZeroMQ context `ctx` and waits until it is
 * ready (the body's setup must be bounded). With ctx NULL the actor makes
 * a context of its own for the pipe alone (inproc, no I/O thread), for a
 * thread that uses no other socket (the writer, the timer). Returns the actor, or NULL with
 * *status (may be NULL) set to the negative status the thread gave, or
 * -ENOMEM / -EAGAIN when the pipe or the thread could not be made. `name`
 * is for logs (copied). */
actor_t *actor_new(void *ctx, const char *name, actor_fn *fn, void *arg, int *status);

/* Thread side: the start status, 0 when running; after a non-zero status
 * the body must return. Returns 0, or -EIO when the owner is gone. */
int actor_ready(void *pipe, int status);

/* Thread side: reads the next command into *cmd (blocking). Returns 0 for a
 * command the body must answer, 1 for a "ping" already answered, -1 when the
 * pipe failed (the context is shutting down: the body should return). */
int actor_recv(void *pipe, actor_cmd_t *cmd);

/* Thread side, for a body whose only command is "stop": reads the next
 * command (blocking) and returns true when the body must return: the pipe
 * failed, or a command came, which is answered 0 here. A ping is answered
 * and gives false. */
bool actor_stop_asked(void *pipe);

/* As actor_recv, but returns 2 at once when no command is waiting. */
int actor_recv_nowait(void *pipe, actor_cmd_t *cmd);

/* Thread side: answers `cmd` with a status and up to ACTOR_DATA_MAX bytes of
 * data (may be NULL). Returns 0, or -EIO. */
int actor_reply(void *pipe, const actor_cmd_t *cmd, int status, const void *data, size_t len);

/* Sends a command (name of at most ACTOR_NAME_MAX bytes, data of at most
 * ACTOR_DATA_MAX). Returns its number (never 0), or 0 when it could not be
 * sent within ACTOR_TIMEOUT_MS. */
uint32_t actor_send(actor_t *self, const char *name, const void *data, size_t len);

/* Waits at most timeout_ms for the answer to command `seq`, throwing away
 * answers to older commands. Returns the thread's status (copying up to cap
 * bytes of its data into `data`, its length into *len, both may be NULL),
 * or -ETIMEDOUT. */
int actor_wait(actor_t *self, uint32_t seq, int timeout_ms, void *data, size_t cap, size_t *len);

/* actor_send, then actor_wait without data. Returns the status or
 * -ETIMEDOUT. */
int actor_ask(actor_t *self, const char *name, const void *data, size_t len, int timeout_ms);

/* Asks the thread to stop, letting it drain for at most drain_ms, and waits
 * drain_ms + timeout_ms for its answer. Returns 0 or -ETIMEDOUT (then the
 * thread is still running: shut the context down, or wait, before
 * actor_join). Does not join. Idempotent: 0 once stopped. */
int actor_stop(actor_t *self, int drain_ms, int timeout_ms);

/* Joins the thread (blocking until its body returned). Idempotent. */
void actor_join(actor_t *self);

/* Stops (drain 0) unless stopped, joins, closes the pipe and frees; accepts
 * NULL, sets *self_p to NULL. Call it before the context is terminated
 * (its own context, if any, is terminated here). */
void actor_destroy(actor_t **self_p);

/* The name given to actor_new(). */
const char *actor_name(const actor_t *self);

#endif
