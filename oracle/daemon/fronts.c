/* oracle/daemon/fronts.c - the clients' sockets: which endpoints may be bound, and binding them. */
#include "fronts.h"

#include <bsd/string.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "curve.h"

static void s_set_int(void *sock, int option, int value)
{
    (void)zmq_setsockopt(sock, option, &value, sizeof value);
}

/* True for endpoints only this host can reach: ipc://, inproc://, and tcp://
 * on 127.0.0.0/8, ::1 or localhost (not "*", not an interface name). */
static bool s_local_endpoint(const char *ep)
{
    if (strncmp(ep, "ipc://", 6) == 0 || strncmp(ep, "inproc://", 9) == 0)
        return true;
    if (strncmp(ep, "tcp://", 6) != 0)
        return false;
    const char *host = ep + 6;
    return strncmp(host, "127.", 4) == 0 || strncmp(host, "[::1]:", 6) == 0 ||
           strncmp(host, "localhost:", 10) == 0;
}

/* Binds every endpoint of the list `eps` on sock, counting them in *bound. */
static int s_bind_all(void *sock, const char *eps, unsigned *bound, char *err, size_t errcap)
{
    char list[1024], *save = NULL;
    strlcpy(list, eps, sizeof list);
    for (char *e = strtok_r(list, " ,\t", &save); e; e = strtok_r(NULL, " ,\t", &save)) {
        if (zmq_bind(sock, e) != 0) {
            snprintf(err, errcap, "cannot bind %s: %s", e, zmq_strerror(errno));
            return -errno;
        }
        (*bound)++;
    }
    return 0;
}

/* The message for an endpoint other hosts could reach in [server] endpoints. */
static void s_not_local(const char *e, char *err, size_t errcap)
{
    snprintf(err, errcap,
             "%s: not a loopback or ipc endpoint, and [server] endpoints are not "
             "authenticated: list it in curve_endpoints (ZeroMQ CURVE, with curve_secret_key and "
             "curve_clients) so that only resolvers whose key you allowed can ask",
             e);
}

/* The oracle's CURVE key pair into *keys, and its clients directory
 * readable (unreadable later, it would refuse every client). */
static int s_curve_keys(const config_t *cfg, curve_keys_t *keys, char *err, size_t errcap)
{
    char why[512];
    int rc = curve_load(cfg->server.curve_secret_key, true, true, keys, why, sizeof why);
    if (rc != 0) {
        snprintf(err, errcap, "[server] curve_secret_key: %s", why);
        return rc;
    }
    uint8_t none[32] = {0};
    char who[8];
    rc = curve_find_client(cfg->server.curve_clients, none, who, sizeof who);
    if (rc < 0) {
        snprintf(err, errcap, "[server] curve_clients: %s: %s", cfg->server.curve_clients,
                 strerror(-rc));
        explicit_bzero(keys, sizeof *keys);
        return rc;
    }
    return 0;
}

int fronts_check(const config_t *cfg, char *err, size_t errcap)
{
    char list[sizeof cfg->server.endpoints], *save = NULL;
    strlcpy(list, cfg->server.endpoints, sizeof list);
    for (char *e = strtok_r(list, " ,\t", &save); e; e = strtok_r(NULL, " ,\t", &save))
        if (!s_local_endpoint(e)) {
            s_not_local(e, err, errcap);
            return -EPERM;
        }
    const char *ctl = cfg->server.control_endpoint;
    if (ctl[0] && !s_local_endpoint(ctl)) {
        snprintf(err, errcap,
                 "[server] control_endpoint %s: operator commands must stay on this host: use "
                 "an ipc:// socket (its file mode decides who may send them)",
                 ctl);
        return -EPERM;
    }
    if (cfg->server.curve_endpoints[0]) {
        curve_keys_t keys;
        int rc = s_curve_keys(cfg, &keys, err, errcap);
        explicit_bzero(&keys, sizeof keys);
        return rc;
    }
    return 0;
}

/* A ROUTER for clients: LINGER 0, frames of at most ROUTING_MAX_FRAME. */
static void *s_router(void *ctx)
{
    void *sock = zmq_socket(ctx, ZMQ_ROUTER);
    if (sock) {
        s_set_int(sock, ZMQ_LINGER, 0);
        int64_t maxsize = ROUTING_MAX_FRAME;
        zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxsize, sizeof maxsize);
    }
    return sock;
}

/* Binds the [server] endpoints (loopback and ipc only): tcp:// on the
 * STREAM front (front.h: a bound per connection), ipc:// and inproc:// on
 * a ROUTER (a Unix socket's peers are local users the file mode lets in). */
static int s_bind_plain(routing_fronts_t *f, const config_t *cfg, unsigned *bound, char *err,
                        size_t errcap)
{
    char list[sizeof cfg->server.endpoints], *save = NULL;
    strlcpy(list, cfg->server.endpoints, sizeof list);
    for (char *e = strtok_r(list, " ,\t", &save); e; e = strtok_r(NULL, " ,\t", &save)) {
        if (!s_local_endpoint(e)) {
            s_not_local(e, err, errcap);
            return -EPERM;
        }
        bool tcp = strncmp(e, "tcp://", 6) == 0;
        if (tcp && !f->stream) {
            zmtp_limits_t lim = routing_limits(cfg->server.max_batch);
            f->stream = front_new(f->ctx, &lim, cfg->server.max_connections, f->stats);
            if (!f->stream) {
                snprintf(err, errcap, "cannot create the socket: %s", zmq_strerror(errno));
                return -ENOMEM;
            }
        } else if (!tcp && !f->router) {
            f->router = s_router(f->ctx);
            if (!f->router) {
                snprintf(err, errcap, "cannot create the socket: %s", zmq_strerror(errno));
                return -ENOMEM;
            }
        }
        int rc = tcp ? front_bind(f->stream, e) : (zmq_bind(f->router, e) == 0 ? 0 : -errno);
        if (rc != 0) {
            snprintf(err, errcap, "cannot bind %s: %s", e, zmq_strerror(-rc));
            return rc;
        }
        (*bound)++;
    }
    return 0;
}

/* Makes the CURVE ROUTER with the oracle's key pair and starts its ZAP
 * handler, which must be up before anything binds. */
static int s_curve_front(routing_fronts_t *f, const config_t *cfg, stats_slot_t *stats,
                         auth_t **auth, char *err, size_t errcap)
{
    curve_keys_t keys;
    int rc = s_curve_keys(cfg, &keys, err, errcap);
    if (rc != 0)
        return rc;
    void *curve = f->curve = s_router(f->ctx);
    if (!curve) {
        snprintf(err, errcap, "cannot create the CURVE socket: %s", zmq_strerror(errno));
        explicit_bzero(&keys, sizeof keys);
        return -ENOMEM;
    }
    rc = curve_server(curve, &keys, err, errcap);
    explicit_bzero(&keys, sizeof keys);
    if (rc != 0)
        return rc;
    *auth = auth_new(f->ctx, curve, cfg->server.curve_clients, stats, err, errcap);
    return *auth ? 0 : -EIO;
}

int fronts_open(routing_fronts_t *f, const config_t *cfg, stats_slot_t *auth_stats, auth_t **auth,
                char *err, size_t errcap)
{
    unsigned bound = 0;
    int rc = s_bind_plain(f, cfg, &bound, err, errcap);
    if (rc == 0 && cfg->server.curve_endpoints[0]) {
        rc = s_curve_front(f, cfg, auth_stats, auth, err, errcap);
        if (rc == 0)
            rc = s_bind_all(f->curve, cfg->server.curve_endpoints, &bound, err, errcap);
    }
    if (rc == 0 && bound == 0) {
        snprintf(err, errcap, "no endpoints configured ([server] endpoints)");
        rc = -EINVAL;
    }
    return rc;
}

void fronts_close(routing_fronts_t *f)
{
    if (f->router)
        zmq_close(f->router);
    if (f->curve)
        zmq_close(f->curve);
    f->router = f->curve = NULL;
    front_destroy(&f->stream, 0);
}
