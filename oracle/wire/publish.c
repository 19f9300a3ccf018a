/* oracle/wire/publish.c - list changes sent to the hooks on a ZeroMQ PUB socket. */
#include "publish.h"

#include <bsd/string.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* Messages queued per subscriber, at most: a message holds at most 16 KiB
 * (listbox.c), so a subscriber that never reads pins at most 1 MiB of the
 * oracle's memory, plus its kernel socket buffer. */
#define S_HWM 64

struct publish {
    void *pub;
    /* ZeroMQ sockets are not thread-safe; the listbox already serializes
     * its messages, but the heartbeat comes from the main thread. The
     * mutex is the full barrier that hands the socket between threads. */
    pthread_mutex_t lock;
    char endpoint[sizeof(((config_t *)0)->server.publish)];
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
    const char *ep = cfg->server.publish;
    if (!ep[0] || s_local(ep))
        return 0;
    snprintf(err, errcap,
             "[server] publish %s: list changes are published on loopback or ipc:// only "
             "(there is no CURVE for them)",
             ep);
    return -EPERM;
}

publish_t *publish_new(void *zmq_ctx, const config_t *cfg, char *err, size_t errcap)
{
    err[0] = 0;
    if (!cfg->server.publish[0])
        return NULL;
    if (publish_check(cfg, err, errcap) != 0)
        return NULL;
    publish_t *self = calloc(1, sizeof *self);
    if (!self || !(self->pub = zmq_socket(zmq_ctx, ZMQ_PUB))) {
        snprintf(err, errcap, "cannot create the publish socket: %s", zmq_strerror(errno));
        free(self);
        return NULL;
    }
    int zero = 0, hwm = S_HWM;
    zmq_setsockopt(self->pub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(self->pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    if (zmq_bind(self->pub, cfg->server.publish) != 0) {
        snprintf(err, errcap, "cannot bind [server] publish %s: %s", cfg->server.publish,
                 zmq_strerror(errno));
        zmq_close(self->pub);
        free(self);
        return NULL;
    }
    pthread_mutex_init(&self->lock, NULL);
    strlcpy(self->endpoint, cfg->server.publish, sizeof self->endpoint);
    return self;
}

void publish_destroy(publish_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    publish_t *self = *self_p;
    zmq_close(self->pub);
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
    zmq_send(self->pub, text, len, ZMQ_DONTWAIT);
    pthread_mutex_unlock(&self->lock);
}

const char *publish_endpoint(const publish_t *self) { return self->endpoint; }
