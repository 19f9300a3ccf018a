/* lua/listsync.c - the hook's copy of the lists, kept in step with the oracle. */
#include "listsync.h"

#include <bsd/string.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "listbox.h"
#include "wire_limits.h"

#define S_POLL_SECONDS 0.05 /* the query path polls at most this often */
#define S_CHUNK_SECONDS 3.0 /* a snapshot chunk not answered by then: away */
#define S_AWAY_SECONDS 5.0  /* no heartbeat (sent every second) for this long */
#define S_RETRY_SECONDS 1.0 /* after a failed snapshot */
#define S_BUFFERED 256      /* change messages kept while a snapshot comes */
#define S_DRAIN 1024        /* messages taken per poll, at most */
#define S_RING 512          /* changed domains remembered for the caches */

struct listsync_view {
    atomic_uint refs;
    lists_t *lists;
    uint64_t version;
};

typedef struct {
    uint64_t version;
    char domain[NAME_MAX_TEXT + 1];
} s_changed_t;

struct listsync {
    /* the registry (s_registry_lock) */
    struct listsync *next;
    unsigned users;
    char endpoint[sizeof(((config_t *)0)->hook.endpoint)];

    /* the current version (view_lock: held for a pointer copy) */
    pthread_mutex_t view_lock;
    listsync_view_t *view;
    _Atomic uint64_t version;
    uint64_t reset_version; /* readers older than this forget everything */
    s_changed_t ring[S_RING];
    uint64_t ring_next; /* versions of ring entries: see s_news */

    /* the work (work_lock, taken with trylock: nobody waits for it) */
    pthread_mutex_t work_lock;
    config_t cfg;
    bool curve;
    curve_keys_t keys[2];
    void *ctx, *req, *sub;
    char sub_endpoint[256];
    uint64_t epoch, generation; /* of the lists in the view */
    bool need_snapshot;
    double next_snapshot; /* no snapshot before (after a failure) */
    double next_refresh;  /* without a publisher: the next snapshot */
    double last_heard;
    _Atomic double next_poll; /* read before the trylock */
    bool away_logged;
    /* a snapshot in progress */
    bool fetching, waiting;
    lists_t *building;
    uint64_t pin_epoch, pin_generation, cursor;
    double sent_at, fetch_started;
    char *buffered[S_BUFFERED];
    size_t nbuffered;
    bool overflowed;
    listsync_stats_t stats;
};

static pthread_mutex_t s_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static listsync_t *s_registry;

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void s_view_release(listsync_view_t **view_p)
{
    listsync_view_t *v = *view_p;
    *view_p = NULL;
    if (v && atomic_fetch_sub(&v->refs, 1) == 1) {
        lists_destroy(&v->lists);
        free(v);
    }
}

static void *s_socket(listsync_t *self, int type, const char *endpoint)
{
    void *s = zmq_socket(self->ctx, type);
    if (!s)
        return NULL;
    int zero = 0, hwm = 1000;
    int64_t max = WIRE_MAX_REPLY;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max, sizeof max);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (type == ZMQ_SUB)
        zmq_setsockopt(s, ZMQ_SUBSCRIBE, "lists ", 6);
    /* a CURVE hook subscribes with its keys too ([server] curve_publish) */
    if ((self->curve && curve_client_keys(s, &self->keys[0], &self->keys[1]) != 0) ||
        zmq_connect(s, endpoint) != 0) {
        zmq_close(s);
        return NULL;
    }
    return s;
}

listsync_t *listsync_open(const config_t *cfg, const curve_keys_t *curve)
{
    pthread_mutex_lock(&s_registry_lock);
    listsync_t *self = s_registry;
    while (self && strcmp(self->endpoint, cfg->hook.endpoint) != 0)
        self = self->next;
    if (self) {
        self->users++;
        goto done;
    }
    if (!(self = calloc(1, sizeof *self)))
        goto done;
    strlcpy(self->endpoint, cfg->hook.endpoint, sizeof self->endpoint);
    self->cfg = *cfg;
    if (curve) {
        self->curve = true;
        self->keys[0] = curve[0];
        self->keys[1] = curve[1];
    }
    self->ctx = zmq_ctx_new();
    if (self->ctx)
        zmq_ctx_set(self->ctx, ZMQ_IO_THREADS, 1);
    if (!self->ctx || !(self->req = s_socket(self, ZMQ_REQ, self->endpoint))) {
        if (self->ctx)
            zmq_ctx_term(self->ctx);
        free(self);
        self = NULL;
        goto done;
    }
    pthread_mutex_init(&self->view_lock, NULL);
    pthread_mutex_init(&self->work_lock, NULL);
    self->need_snapshot = true;
    self->users = 1;
    self->next = s_registry;
    s_registry = self;
done:
    pthread_mutex_unlock(&s_registry_lock);
    return self;
}

static void s_forget_fetch(listsync_t *self)
{
    lists_destroy(&self->building);
    for (size_t i = 0; i < self->nbuffered; i++)
        free(self->buffered[i]);
    self->nbuffered = 0;
    self->fetching = self->waiting = self->overflowed = false;
}

void listsync_close(listsync_t **self_p, listsync_reader_t *reader)
{
    listsync_t *self = *self_p;
    *self_p = NULL;
    if (reader)
        s_view_release(&reader->view);
    if (!self)
        return;
    pthread_mutex_lock(&s_registry_lock);
    bool last = --self->users == 0;
    if (last)
        for (listsync_t **p = &s_registry; *p; p = &(*p)->next)
            if (*p == self) {
                *p = self->next;
                break;
            }
    pthread_mutex_unlock(&s_registry_lock);
    if (!last)
        return;
    s_forget_fetch(self);
    s_view_release(&self->view);
    if (self->req)
        zmq_close(self->req);
    if (self->sub)
        zmq_close(self->sub);
    zmq_ctx_term(self->ctx);
    explicit_bzero(self->keys, sizeof self->keys);
    pthread_mutex_destroy(&self->view_lock);
    pthread_mutex_destroy(&self->work_lock);
    free(self);
}

/* Makes `lists` (owned from now on) the current version. `changed` (n
 * domains) is what changed since the previous one; NULL: everything. */
static void s_publish_view(listsync_t *self, lists_t *lists, const list_change_t *changed, size_t n)
{
    listsync_view_t *v = calloc(1, sizeof *v);
    if (!v) {
        lists_destroy(&lists);
        self->need_snapshot = true;
        return;
    }
    atomic_init(&v->refs, 1); /* ours */
    v->lists = lists;
    pthread_mutex_lock(&self->view_lock);
    v->version = atomic_load(&self->version) + 1;
    if (!changed || n > S_RING / 2) {
        self->reset_version = v->version;
    } else {
        for (size_t i = 0; i < n; i++) {
            s_changed_t *c = &self->ring[self->ring_next++ % S_RING];
            if (c->version > self->reset_version && self->ring_next > S_RING)
                self->reset_version = c->version; /* overwritten: forget all */
            c->version = v->version;
            strlcpy(c->domain, changed[i].domain, sizeof c->domain);
        }
    }
    listsync_view_t *old = self->view;
    self->view = v;
    atomic_store(&self->version, v->version);
    pthread_mutex_unlock(&self->view_lock);
    s_view_release(&old);
}

/* The first line of a poll is kept; the work logs once per event. */
__attribute__((format(printf, 2, 3))) static void s_log(listsync_news_t *news, const char *fmt, ...)
{
    if (news->log[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is on the line above
    vsnprintf(news->log, sizeof news->log, fmt, ap);
    va_end(ap);
}

/* A snapshot that went wrong: keep the lists in use, retry later. */
static void s_fail_fetch(listsync_t *self, listsync_news_t *news, const char *why)
{
    s_forget_fetch(self);
    self->need_snapshot = true;
    self->next_snapshot = s_now() + S_RETRY_SECONDS;
    self->stats.snapshot_refused++;
    s_log(news, "snapshot from %s refused (%s): keeping the lists in use", self->endpoint, why);
}

static int s_request_chunk(listsync_t *self)
{
    char args[64];
    int n = snprintf(args, sizeof args, "%llu %llu", (unsigned long long)self->pin_generation,
                     (unsigned long long)self->cursor);
    if (zmq_send(self->req, "\0snapshot", 9, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(self->req, args, (size_t)n, ZMQ_DONTWAIT) < 0)
        return -EAGAIN;
    self->waiting = true;
    self->sent_at = s_now();
    return 0;
}

/* The oracle did not answer: a new REQ socket (a REQ that missed a reply
 * cannot send), the lists kept, one log line until it answers again. */
static void s_away(listsync_t *self, listsync_news_t *news)
{
    zmq_close(self->req);
    self->req = s_socket(self, ZMQ_REQ, self->endpoint);
    s_forget_fetch(self);
    self->need_snapshot = true;
    self->next_snapshot = s_now() + S_RETRY_SECONDS;
    if (!self->away_logged)
        s_log(news, "the oracle at %s does not answer: keeping the lists in use", self->endpoint);
    self->away_logged = true;
}

/* Applies one change message (NUL-terminated at msg[len]) to the current
 * version, or notes that a snapshot is needed. */
static void s_message(listsync_t *self, char *msg, size_t len)
{
    listbox_message_t m;
    if (listbox_parse_message(msg, len, &m) != 0)
        return;
    if (m.epoch == self->epoch && m.generation <= self->generation)
        return; /* a heartbeat in step, or what we have already */
    if (m.epoch != self->epoch || m.count <= 0 || m.generation != self->generation + 1 ||
        !self->view) {
        /* another oracle start, a reset, a heartbeat ahead of us, a gap */
        if (!self->need_snapshot)
            self->stats.gaps++;
        self->need_snapshot = true;
        return;
    }
    list_change_t *c = calloc((size_t)m.count, sizeof *c);
    long n = c ? lists_parse_changes(m.body, c, (size_t)m.count) : -ENOMEM;
    lists_t *next = n == m.count ? lists_change(self->view->lists, c, (size_t)n) : NULL;
    if (next) {
        lists_set_generation(next, m.generation);
        self->generation = m.generation;
        self->stats.changes += (uint64_t)n;
        s_publish_view(self, next, c, (size_t)n);
    } else {
        self->need_snapshot = true; /* malformed, or no memory */
    }
    free(c);
}

/* Receives the published messages waiting (at most S_DRAIN). */
static void s_drain(listsync_t *self)
{
    for (int i = 0; self->sub && i < S_DRAIN; i++) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, self->sub, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        size_t len = zmq_msg_size(&m);
        char *msg = malloc(len + 1);
        if (msg) {
            memcpy(msg, zmq_msg_data(&m), len);
            msg[len] = 0;
        }
        zmq_msg_close(&m);
        self->last_heard = s_now();
        self->away_logged = false;
        if (msg && self->fetching && self->nbuffered < S_BUFFERED) {
            self->buffered[self->nbuffered++] = msg; /* applied after the snapshot */
            continue;
        }
        if (self->fetching)
            self->overflowed = true;
        else if (msg)
            s_message(self, msg, len);
        free(msg);
    }
}

/* Subscribes to what the snapshot named: `plain` for a hook without CURVE,
 * `curve` for one with it ("-": nothing is published there; the snapshot
 * is then fetched again every refresh_seconds). */
static void s_subscribe(listsync_t *self, const char *plain, const char *curve)
{
    const char *endpoint = self->curve ? curve : plain;
    if (strcmp(endpoint, self->sub_endpoint) == 0 && (self->sub || !strcmp(endpoint, "-")))
        return;
    if (self->sub)
        zmq_close(self->sub);
    self->sub = strcmp(endpoint, "-") ? s_socket(self, ZMQ_SUB, endpoint) : NULL;
    strlcpy(self->sub_endpoint, endpoint, sizeof self->sub_endpoint);
    /* silence counts from the subscription on, not from the start */
    self->last_heard = s_now();
    self->away_logged = false;
}

/* The last chunk came: the new lists, then the changes published since. */
static void s_finish_fetch(listsync_t *self, const char *plain, const char *curve)
{
    lists_t *l = self->building;
    self->building = NULL;
    lists_set_generation(l, self->pin_generation);
    self->epoch = self->pin_epoch;
    self->generation = self->pin_generation;
    s_publish_view(self, l, NULL, 0);
    self->need_snapshot = self->overflowed;
    self->stats.snapshots++;
    self->stats.last_snapshot_seconds = s_now() - self->fetch_started;
    self->fetching = self->waiting = false;
    for (size_t i = 0; i < self->nbuffered; i++) {
        s_message(self, self->buffered[i], strlen(self->buffered[i]));
        free(self->buffered[i]);
    }
    self->nbuffered = 0;
    self->overflowed = false;
    s_subscribe(self, plain, curve);
    self->next_refresh = s_now() + self->cfg.hook.refresh_seconds;
}

/* Takes a snapshot reply: a header frame and the chunk. Returns 0, or
 * -EPROTO with the chunk refused (the fetch is abandoned). */
static int s_take_chunk(listsync_t *self, listsync_news_t *news)
{
    char head[640], endpoint[256], curve[256] = "-", why[96] = "";
    int got = zmq_recv(self->req, head, sizeof head - 1, 0), more = 0;
    size_t sz = sizeof more;
    zmq_msg_t chunk;
    zmq_msg_init(&chunk);
    self->waiting = false;
    head[got > 0 ? (got < (int)sizeof head ? got : (int)sizeof head - 1) : 0] = 0;
    if (zmq_getsockopt(self->req, ZMQ_RCVMORE, &more, &sz) == 0 && more)
        zmq_msg_recv(&chunk, self->req, 0);
    unsigned long long epoch = 0, gen = 0, next = 0, bytes = 0;
    unsigned long crc = 0;
    int more_chunks = 0;
    if (got > 0 && strcmp(head, "gone") == 0) {
        /* the oracle no longer holds that version: start again */
        zmq_msg_close(&chunk);
        s_forget_fetch(self);
        self->need_snapshot = true;
        return 0;
    }
    /* CURVE_PUBLISH, the 8th field, is missing from an older oracle's */
    if (!more || sscanf(head, "snapshot %llu %llu %llu %d %llu %lu %255s %255s", &epoch, &gen,
                        &next, &more_chunks, &bytes, &crc, endpoint, curve) < 7)
        snprintf(why, sizeof why, "bad header \"%.40s\"", head);
    else if (bytes != zmq_msg_size(&chunk))
        snprintf(why, sizeof why, "chunk of %zu bytes, %llu announced", zmq_msg_size(&chunk),
                 bytes);
    else if (lists_crc32(0, zmq_msg_data(&chunk), bytes) != crc)
        snprintf(why, sizeof why, "CRC-32 mismatch at cursor %llu",
                 (unsigned long long)self->cursor);
    else if (self->pin_generation && (gen != self->pin_generation || epoch != self->pin_epoch))
        snprintf(why, sizeof why, "chunk of generation %llu, %llu asked", gen,
                 (unsigned long long)self->pin_generation);
    else if (lists_add_chunk(self->building, zmq_msg_data(&chunk), bytes) != 0)
        snprintf(why, sizeof why, "a line is not \"kind domain\"");
    zmq_msg_close(&chunk);
    if (why[0]) {
        s_fail_fetch(self, news, why);
        return -EPROTO;
    }
    self->pin_epoch = epoch;
    self->pin_generation = gen;
    self->cursor = next;
    if (!more_chunks)
        s_finish_fetch(self, endpoint, curve);
    return 0;
}

/* One step of the work: start a snapshot when one is due, take a chunk
 * when it came, drain the published changes. Waits at most until `until`. */
static void s_work(listsync_t *self, double until, listsync_news_t *news)
{
    double now = s_now();
    /* nothing is published, or nothing heard (a subscription refused, an
     * endpoint this host cannot reach): poll */
    bool silent = self->sub && now - self->last_heard > S_AWAY_SECONDS;
    if ((!self->sub || silent) && !self->fetching && self->view && now >= self->next_refresh)
        self->need_snapshot = true;
    if (self->sub && self->view && now - self->last_heard > S_AWAY_SECONDS && !self->away_logged) {
        s_log(news, "no word from the oracle's %s for %.0f s: keeping the lists in use",
              self->sub_endpoint, S_AWAY_SECONDS);
        self->away_logged = true;
    }
    s_drain(self);
    if (self->need_snapshot && !self->fetching && now >= self->next_snapshot && self->req) {
        self->building = lists_new();
        self->pin_generation = self->cursor = 0;
        self->fetching = self->building != NULL;
        self->fetch_started = now;
        if (self->fetching && s_request_chunk(self) != 0)
            s_away(self, news);
    }
    while (self->fetching && self->waiting) {
        zmq_pollitem_t item = {self->req, 0, ZMQ_POLLIN, 0};
        double left = until - s_now();
        int rc = zmq_poll(&item, 1, left > 0 ? (long)(left * 1000) : 0);
        if (rc <= 0) {
            if (s_now() - self->sent_at > S_CHUNK_SECONDS)
                s_away(self, news);
            break;
        }
        self->away_logged = false;
        if (s_take_chunk(self, news) != 0 || !self->fetching)
            break;
        if (s_request_chunk(self) != 0)
            s_away(self, news);
    }
    s_drain(self);
}

/* Moves the reader to the current version; fills news with what to forget. */
static int s_move(listsync_t *self, listsync_reader_t *reader, listsync_news_t *news)
{
    if (atomic_load(&self->version) == reader->version)
        return 0;
    pthread_mutex_lock(&self->view_lock);
    listsync_view_t *v = self->view, *old = reader->view;
    atomic_fetch_add(&v->refs, 1);
    if (reader->version < self->reset_version || reader->version == 0) {
        news->everything = 1;
    } else {
        for (size_t i = 0; i < S_RING && !news->everything; i++) {
            const s_changed_t *c = &self->ring[i];
            if (c->version <= reader->version)
                continue;
            if (news->ndomains == LISTSYNC_MAX_DOMAINS)
                news->everything = 1;
            else
                strlcpy(news->domains[news->ndomains++], c->domain, sizeof news->domains[0]);
        }
    }
    reader->view = v;
    reader->version = v->version;
    pthread_mutex_unlock(&self->view_lock);
    s_view_release(&old);
    return 1;
}

int listsync_poll(listsync_t *self, listsync_reader_t *reader, int budget_ms, listsync_news_t *news)
{
    memset(news, 0, offsetof(listsync_news_t, domains));
    news->log[0] = 0;
    double now = s_now();
    if ((budget_ms > 0 || now >= self->next_poll) && pthread_mutex_trylock(&self->work_lock) == 0) {
        self->next_poll = now + S_POLL_SECONDS;
        s_work(self, now + budget_ms / 1000.0, news);
        self->stats.generation = self->generation;
        pthread_mutex_unlock(&self->work_lock);
    }
    return s_move(self, reader, news);
}

const lists_t *listsync_lists(const listsync_reader_t *reader)
{
    return reader->view ? reader->view->lists : NULL;
}

void listsync_stats(listsync_t *self, listsync_stats_t *out)
{
    pthread_mutex_lock(&self->work_lock);
    *out = self->stats;
    pthread_mutex_unlock(&self->work_lock);
}
