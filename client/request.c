/* client/request.c - one REQ socket to the oracle, every request with a deadline. */
#include "request.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "curve.h"

struct request {
    const char *endpoint;
    int timeout_ms;
    const char *curve_key;        /* our key pair file, or NULL: no CURVE */
    const char *curve_server_key; /* the oracle's public key file */
    void *ctx;
    void *req;
    char *reply; /* REQUEST_REPLY_MAX + 1 bytes */
};

static double s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Connects a REQ socket; prints why not and returns -1. */
static int s_connect(request_t *c)
{
    c->req = zmq_socket(c->ctx, ZMQ_REQ);
    int zero = 0;
    int64_t maxmsg = REQUEST_REPLY_MAX;
    if (!c->req || zmq_setsockopt(c->req, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(c->req, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) != 0) {
        fprintf(stderr, "dnsoracle_client: %s: %s\n", c->endpoint, zmq_strerror(errno));
        return -1;
    }
    if (c->curve_key) {
        char err[512];
        if (curve_client(c->req, c->curve_key, c->curve_server_key, err, sizeof err) != 0) {
            fprintf(stderr, "dnsoracle_client: %s\n", err);
            return -1;
        }
    }
    /* A Unix socket says at once what a connect would only time out on. */
    if (strncmp(c->endpoint, "ipc://", 6) == 0 && // NOLINT(clang-analyzer-core.NonNullParamChecker)
        access(c->endpoint + 6, W_OK) != 0) {
        int e = errno;
        fprintf(stderr, "dnsoracle_client: %s: %s%s\n", c->endpoint, strerror(e),
                e == EACCES ? " (run as root or as a member of the dnsoracle group)"
                : e == ENOENT
                    ? " (is dnsoracled running, with a database and this control_endpoint?)"
                    : "");
        return -1;
    }
    if (zmq_connect(c->req, c->endpoint) != 0) {
        int e = errno;
        fprintf(stderr, "dnsoracle_client: %s: %s\n", c->endpoint,
                e == EINVAL || e == EPROTONOSUPPORT
                    ? "not a ZeroMQ endpoint (tcp://HOST:PORT or ipc://PATH)"
                    : zmq_strerror(e));
        return -1;
    }
    return 0;
}

void request_reply_free(request_reply_t *r)
{
    for (int i = 0; i < r->n; i++)
        free(r->text[i]);
    free(r->text);
    free(r->len);
    memset(r, 0, sizeof *r);
}

int request_send(request_t *c, const char *const *frames, const size_t *lens, int n,
                 request_reply_t *out)
{
    memset(out, 0, sizeof *out);
    double deadline = s_now_ms() + c->timeout_ms;
    for (int i = 0; i < n; i++) {
        zmq_pollitem_t item = {c->req, 0, ZMQ_POLLOUT, 0};
        int wait = (int)(deadline - s_now_ms());
        if (wait < 0 || zmq_poll(&item, 1, wait) <= 0 ||
            zmq_send(c->req, frames[i], lens[i], (i + 1 < n ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) < 0)
            goto timeout;
    }
    int more = 1, cap = 0;
    while (more) {
        zmq_pollitem_t item = {c->req, 0, ZMQ_POLLIN, 0};
        int wait = (int)(deadline - s_now_ms());
        if (zmq_poll(&item, 1, wait < 0 ? 0 : wait) <= 0)
            goto timeout;
        int len = zmq_recv(c->req, c->reply, REQUEST_REPLY_MAX, ZMQ_DONTWAIT);
        if (len < 0)
            goto timeout;
        size_t used = (size_t)len < REQUEST_REPLY_MAX ? (size_t)len : REQUEST_REPLY_MAX;
        if (out->n == cap) {
            cap = cap ? 2 * cap : 16;
            char **t = realloc(out->text, (size_t)cap * sizeof *t);
            size_t *l = t ? realloc(out->len, (size_t)cap * sizeof *l) : NULL;
            if (t)
                out->text = t;
            if (!t || !l)
                goto oom;
            out->len = l;
        }
        out->text[out->n] = malloc(used + 1);
        if (!out->text[out->n])
            goto oom;
        memcpy(out->text[out->n], c->reply, used);
        out->text[out->n][used] = 0;
        out->len[out->n++] = used;
        size_t sz = sizeof more;
        zmq_getsockopt(c->req, ZMQ_RCVMORE, &more, &sz);
    }
    return 0;
timeout:
    fprintf(stderr, "dnsoracle_client: %s: no answer within %d ms (is dnsoracled running?%s)\n",
            c->endpoint, c->timeout_ms,
            c->curve_key ? " Is this one of its curve_endpoints, is our .pub in its curve_clients,"
                           " and is --curve-server-key its key?"
            : strncmp(c->endpoint, "tcp://", 6) == 0
                ? " For one of its curve_endpoints give --curve-key and --curve-server-key"
                : "");
    request_reply_free(out);
    return -1;
oom:
    fprintf(stderr, "dnsoracle_client: out of memory\n");
    request_reply_free(out);
    return -1;
}

int request_command(request_t *c, const char *const *frames, const size_t *lens, int n, bool status)
{
    request_reply_t r;
    if (request_send(c, frames, lens, n, &r) != 0)
        return 2;
    int rc = 0;
    if (status) {
        bool ok = r.n >= 1 && strcmp(r.text[0], "ok") == 0;
        const char *text = r.n >= 2 ? r.text[1] : "";
        if (!ok) {
            fprintf(stderr, "dnsoracle_client: %s: %s\n", c->endpoint,
                    text[0] ? text : "command refused");
            rc = 1;
        } else if (text[0]) {
            fputs(text, stdout);
            if (text[strlen(text) - 1] != '\n')
                putchar('\n');
        }
    } else {
        for (int i = 0; i < r.n; i++) {
            fputs(r.text[i], stdout);
            if (r.len[i] && r.text[i][r.len[i] - 1] != '\n')
                putchar('\n');
        }
    }
    request_reply_free(&r);
    return rc;
}

request_t *request_new(const char *endpoint, int timeout_ms, const char *curve_key,
                       const char *curve_server_key)
{
    request_t *self = calloc(1, sizeof *self);
    if (!self) {
        fprintf(stderr, "dnsoracle_client: out of memory\n");
        return NULL;
    }
    *self = (request_t){endpoint, timeout_ms, curve_key, curve_server_key, NULL, NULL, NULL};
    self->ctx = zmq_ctx_new();
    self->reply = malloc(REQUEST_REPLY_MAX + 1);
    if (!self->ctx || !self->reply) {
        fprintf(stderr, "dnsoracle_client: out of memory\n");
        request_destroy(&self);
        return NULL;
    }
    if (s_connect(self) != 0)
        request_destroy(&self);
    return self;
}

void request_destroy(request_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    request_t *self = *self_p;
    if (self->req)
        zmq_close(self->req);
    if (self->ctx)
        zmq_ctx_term(self->ctx);
    free(self->reply);
    free(self);
    *self_p = NULL;
}

const char *request_endpoint(const request_t *self) { return self->endpoint; }

void request_set_timeout(request_t *self, int timeout_ms) { self->timeout_ms = timeout_ms; }

bool request_operator(request_t *self, const char *const *frames, const size_t *lens, int n,
                      request_reply_t *r, const char **text, bool *failed)
{
    *text = "";
    *failed = request_send(self, frames, lens, n, r) != 0;
    if (*failed)
        return false;
    bool ok = r->n >= 1 && strcmp(r->text[0], "ok") == 0;
    *text = r->n >= 2 ? r->text[1] : "";
    if (!ok)
        fprintf(stderr, "dnsoracle_client: %s: %s\n", self->endpoint,
                (*text)[0] ? *text : "command refused");
    return ok;
}

int request_ping(request_t *c)
{
    double t0 = s_now_ms();
    const char *f[] = {"\0ping"};
    request_reply_t r;
    if (request_send(c, f, (size_t[]){5}, 1, &r) != 0)
        return 2;
    bool pong = r.n == 1 && strcmp(r.text[0], "pong") == 0;
    request_reply_free(&r);
    if (!pong) {
        fprintf(stderr, "dnsoracle_client: %s: unexpected answer to ping\n", request_endpoint(c));
        return 2;
    }
    printf("pong from %s in %.2f ms\n", request_endpoint(c), s_now_ms() - t0);
    return 0;
}

/* Who is asking, for the lists' added_by column: the login behind sudo if
 * there is one. The control socket's permissions decide who may ask; this
 * only records it. */
const char *request_who(void)
{
    const char *sudo = getenv("SUDO_USER");
    if (getuid() == 0 && sudo && sudo[0])
        return sudo;
    struct passwd *pw = getpwuid(getuid());
    return pw ? pw->pw_name : "operator";
}
