/* client/request.h - one REQ socket to the oracle, every request with a deadline.
 *
 * dnsoracle_client's verdicts go to the query endpoint, its operator
 * commands to the control socket (docs/protocol.md); both go through here.
 * A request is sent and its reply awaited for at most the timeout in all,
 * so the client never hangs; every failure is printed on stderr once, with
 * the endpoint and what to check, where it is detected.
 */
#ifndef DNSORACLE_REQUEST_H
#define DNSORACLE_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "wire_limits.h"

#define REQUEST_REPLY_MAX WIRE_MAX_REPLY /* the biggest reply frame */

typedef struct request request_t;

/* The frames of one reply, NUL-terminated copies; free with
 * request_reply_free. */
typedef struct {
    char **text;
    size_t *len;
    int n;
} request_reply_t;

/* Connects to `endpoint` (with CURVE when curve_key is not NULL). Returns
 * NULL after printing why. The strings must outlive the request. */
request_t *request_new(const char *endpoint, int timeout_ms, const char *curve_key,
                       const char *curve_server_key);

/* Closes and frees; accepts NULL and sets *self_p to NULL. */
void request_destroy(request_t **self_p);

const char *request_endpoint(const request_t *self);

/* The deadline of each request from now on, in ms. */
void request_set_timeout(request_t *self, int timeout_ms);

/* Sends `n` frames and waits, at most the timeout in all, for the reply.
 * Returns 0 with the reply in *out (the caller frees it), or -1 after
 * printing why. */
int request_send(request_t *self, const char *const *frames, const size_t *lens, int n,
                 request_reply_t *out);

void request_reply_free(request_reply_t *r);

/* An operator command: true when the reply is "ok", with its text in
 * *text (owned by r); false after printing the oracle's reason or the
 * failure (*failed set when there was no proper answer at all). */
bool request_operator(request_t *self, const char *const *frames, const size_t *lens, int n,
                      request_reply_t *r, const char **text, bool *failed);

/* Sends a command and prints the reply's text (without the "ok"/"error"
 * status frame when `status`). Returns the exit status: 0, 1 refused, 2 no
 * answer. */
int request_command(request_t *self, const char *const *frames, const size_t *lens, int n,
                    bool status);

/* --ping: prints "pong from ENDPOINT in T ms". Returns the exit status (0,
 * or 2 after printing why). */
int request_ping(request_t *self);

/* Who is asking, for the lists' added_by column: the login, or the one
 * behind sudo. The control socket's permissions decide who may ask. */
const char *request_who(void);

#endif
