/* oracle/wire/publish.h - list changes sent to the hooks on a ZeroMQ PUB socket.
 *
 * The listbox (listbox.h) numbers every change and hands the messages here,
 * in order, under its own lock; they go out on a PUB socket bound to
 * [server] publish, to which every hook process subscribes. PUB never
 * waits: a subscriber more than S_HWM messages behind (one that never
 * reads) loses messages instead of growing the oracle's memory, sees the
 * gap in the generations and fetches a snapshot. [server] publish must be
 * loopback or ipc:// (the changes are not secret, but a subscriber from
 * another host would cost memory without any key to stop it); hooks on
 * other hosts subscribe to [server] curve_publish, a second PUB socket
 * with the same messages, served with CURVE: the oracle's key pair
 * (curve_secret_key), and the clients let in by the ZAP handler that
 * curve_endpoints runs (auth.h), so it needs curve_endpoints.
 */
#ifndef DNSORACLE_PUBLISH_H
#define DNSORACLE_PUBLISH_H

#include <stddef.h>

#include "config.h"

typedef struct publish publish_t;

/* 0 when [server] publish is empty or local, and curve_publish empty or
 * one endpoint with curve_endpoints set; else -EPERM or -EINVAL and why in
 * err. */
int publish_check(const config_t *cfg, char *err, size_t errcap);

/* Binds [server] publish and curve_publish (each unless "") on `zmq_ctx`
 * (not owned; for CURVE, the context whose ZAP handler runs). Returns NULL
 * with err set when it cannot, or NULL with err empty when both are "". */
publish_t *publish_new(void *zmq_ctx, const config_t *cfg, char *err, size_t errcap);

/* Closes the sockets; accepts NULL and sets *self_p to NULL. */
void publish_destroy(publish_t **self_p);

/* Sends one message (a listbox_publish_fn: `arg` is the publish_t). Any
 * thread; never waits. */
void publish_send(void *arg, const char *text, size_t len);

/* The bound endpoints ("" when not configured). */
const char *publish_endpoint(const publish_t *self);
const char *publish_curve_endpoint(const publish_t *self);

#endif
