/* oracle/wire/publish.c - list changes sent to the hooks on a ZeroMQ PUB socket. */
#include "publish.h"

#include <bsd/string.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "curve.h"

/* Messages queued per subscriber, at most: a message holds at most 16 KiB
 * (listbox.c), so a subscriber that never reads pins at most 1 MiB of the
 * oracle's memory, plus its kernel socket buffer. */
#define S_HWM 64
#define S_MAX_INPUT 1024 /* bytes of a message from a subscriber, at most */

struct publish {
    void *pub;   /* [server] publish, or NULL */
    void *curve; /* [server] curve_publish, or NULL */
    /* ZeroMQ sockets are not thread-safe; the listbox already serializes
     * its messages, but the heartbeat comes from the main thread. The
     * mutex is the full barrier that hands the sockets between threads. */
    pthread_mutex_t lock;
    char endpoint[sizeof(((config_t *)0)->server.publish)];
    char curve_endpoint[sizeof(((config_t *)0)->server.curve_publish)];
};

static int s_local(const char *ep)
{
    if (strncmp(ep, "ipc://", 6) == 0 || strncmp(ep, "inproc://", 9) == 0)
        return 1;
    if (strncmp(ep, "tcp://", 6) != 0)
        return 0;
    const char *host = ep + 6;
    return strncmp(host, "127.", 4) == 0 || strncmp(host, "[::1]:", 6) == 0 ||
           strncmp(host, "localhost:", 10) == 0;
}

int publish_check(const config_t *cfg, char *err, size_t errcap)
{
    const char *ep = cfg->server.publish, *cep = cfg->server.curve_publish;
    if (ep[0] && !s_local(ep)) {
        snprintf(err, errcap,
                 "[server] publish %s: list changes are published without authentication on "
                 "loopback or ipc:// only: for other hosts use curve_publish (ZeroMQ CURVE)",
                 ep);
        return -EPERM;
    }
    if (!cep[0])
        return 0;
    /* One endpoint, named to the hooks in a snapshot header as one word. */
    if (strpbrk(cep, " ,\t")) {
        snprintf(err, errcap, "[server] curve_publish %s: one endpoint only", cep);
        return -EINVAL;
    }
    /* Named to the hooks as it is written: an address they can reach, not a
     * wildcard the oracle binds on. */
    if (strstr(cep, "://*:") || strstr(cep, "://0.0.0.0:") || strstr(cep, "://[::]:")) {
        snprintf(err, errcap,
                 "[server] curve_publish %s: the hooks are told this endpoint as written, so it "
                 "must be an address they reach (this host's), not a wildcard",
                 cep);
        return -EINVAL;
    }
    /* The keys and the clients directory are checked with curve_endpoints
     * (server_check); without them no ZAP handler runs, and libzmq would
     * let in any CURVE client. */
    if (!cfg->server.curve_endpoints[0]) {
        snprintf(err, errcap,
                 "[server] curve_publish %s needs curve_endpoints (with curve_secret_key and "
                 "curve_clients): its subscribers are let in by the same CURVE keys",
                 cep);
        return -EINVAL;
    }
    return 0;
}

/* A PUB socket bound on `ep`, with the oracle's CURVE keys when `keys`. */
static void *s_bind(void *zmq_ctx, const char *ep, const curve_keys_t *keys, char *err,
                    size_t errcap)
{
    void *s = zmq_socket(zmq_ctx, ZMQ_PUB);
    if (!s) {
        snprintf(err, errcap, "cannot create the publish socket: %s", zmq_strerror(errno));
        return NULL;
    }
    int zero = 0, hwm = S_HWM;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    /* a subscriber sends only its subscription: anything big is garbage */
    int64_t max = S_MAX_INPUT;
    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max, sizeof max);
    if (keys && curve_server(s, keys, err, errcap) != 0) {
        zmq_close(s);
        return NULL;
    }
    if (zmq_bind(s, ep) != 0) {
        snprintf(err, errcap, "cannot bind [server] %s %s: %s", keys ? "curve_publish" : "publish",
                 ep, zmq_strerror(errno));
        zmq_close(s);
        return NULL;
    }
    return s;
}

publish_t *publish_new(void *zmq_ctx, const config_t *cfg, char *err, size_t errcap)
{
    err[0] = 0;
    const char *ep = cfg->server.publish, *cep = cfg->server.curve_publish;
    if ((!ep[0] && !cep[0]) || publish_check(cfg, err, errcap) != 0)
        return NULL;
    publish_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&self->lock, NULL);
    if (ep[0] && !(self->pub = s_bind(zmq_ctx, ep, NULL, err, errcap)))
        goto fail;
    if (cep[0]) {
        curve_keys_t keys;
        char why[512];
        if (curve_load(cfg->server.curve_secret_key, true, true, &keys, why, sizeof why) != 0) {
            snprintf(err, errcap, "[server] curve_secret_key: %s", why);
            goto fail;
        }
        self->curve = s_bind(zmq_ctx, cep, &keys, err, errcap);
        explicit_bzero(&keys, sizeof keys);
        if (!self->curve)
            goto fail;
    }
    strlcpy(self->endpoint, ep, sizeof self->endpoint);
    strlcpy(self->curve_endpoint, cep, sizeof self->curve_endpoint);
    return self;
fail:
    publish_destroy(&self);
    return NULL;
}

void publish_destroy(publish_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    publish_t *self = *self_p;
    if (self->pub)
        zmq_close(self->pub);
    if (self->curve)
        zmq_close(self->curve);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

void publish_send(void *arg, const char *text, size_t len)
{
    publish_t *self = arg;
    pthread_mutex_lock(&self->lock);
    /* PUB drops a message for a subscriber whose queue is full; DONTWAIT
     * only makes sure nothing here ever blocks. */
    if (self->pub)
        zmq_send(self->pub, text, len, ZMQ_DONTWAIT);
    if (self->curve)
        zmq_send(self->curve, text, len, ZMQ_DONTWAIT);
    pthread_mutex_unlock(&self->lock);
}

const char *publish_endpoint(const publish_t *self) { return self->endpoint; }

const char *publish_curve_endpoint(const publish_t *self) { return self->curve_endpoint; }
