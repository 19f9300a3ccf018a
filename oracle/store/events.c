/* oracle/store/events.c - refusals and who asked, aggregated, to MariaDB. */
#include "events.h"

#include <bsd/string.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "privacy.h"

#define S_ROWS_PER_INSERT 250
#define S_MAX_BUCKETS 65536
#define S_OVERFLOW_LOG_S 60
/* an INSERT: a row is at most ~1.4 KB escaped, with its numbers */
#define S_SQL_CAP (S_ROWS_PER_INSERT * 1600 + 512)

/* One row of the events table, waiting in memory. Texts are stored as
 * they go into SQL: printable ASCII without quotes or backslashes (the rest
 * written \DDD), so a row can be escaped again without surprise. */
typedef struct s_row {
    struct s_row *chain; /* the next row in its hash bucket */
    struct s_row *next;  /* the next row in arrival order */
    uint64_t hash;
    time_t minute, first, last;
    uint32_t count;
    uint16_t qtype;
    uint8_t action;
    char client[64];
    char domain[254];
    char reason[33];
    char qname[256];
    char resolver[65];
} s_row_t;

struct events {
    stats_slot_t *stats;
    events_client_t client_mode;
    size_t cap, per_minute;
    char host[65]; /* this host: the resolver of the daemon's own refusals */

    pthread_mutex_t lock; /* guards everything down to `pending` */
    s_row_t **buckets;
    size_t mask;
    s_row_t *first, *last; /* the rows not yet taken, in arrival order */
    size_t rows;           /* not yet taken */
    size_t taken;          /* taken by the writer, not yet written */
    time_t budget_minute;
    size_t budget_used;
    unsigned long overflow_since_log;
    time_t overflow_logged;

    s_row_t *pending; /* the writer's: taken, not yet written */
    char *sql;        /* the writer's: S_SQL_CAP bytes */
};

events_t *events_new(const config_t *cfg, stats_slot_t *slot)
{
    events_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->stats = slot;
    self->client_mode = (events_client_t)cfg->events.client;
    self->cap = cfg->events.queue_size;
    self->per_minute = cfg->events.rows_per_minute;
    size_t n = 16;
    while (n < self->cap && n < S_MAX_BUCKETS)
        n *= 2;
    self->buckets = calloc(n, sizeof(s_row_t *));
    self->sql = malloc(S_SQL_CAP);
    if (!self->buckets || !self->sql) {
        free(self->buckets);
        free(self->sql);
        free(self);
        return NULL;
    }
    self->mask = n - 1;
    if (gethostname(self->host, sizeof self->host - 1) != 0)
        strlcpy(self->host, "-", sizeof self->host);
    pthread_mutex_init(&self->lock, NULL);
    return self;
}

static void s_free_rows(s_row_t *r)
{
    while (r) {
        s_row_t *next = r->next;
        free(r);
        r = next;
    }
}

void events_destroy(events_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    events_t *self = *self_p;
    s_free_rows(self->first);
    s_free_rows(self->pending);
    free(self->buckets);
    free(self->sql);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

/* Copies at most cap-1 bytes of `in` into out, keeping printable ASCII
 * but quotes and backslashes, the rest as \DDD. `lower` folds the case. */
static void s_clean(const char *in, size_t len, char *out, size_t cap, bool lower)
{
    size_t w = 0;
    for (size_t i = 0; in && i < len && w + 1 < cap; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c < 33 || c > 126 || c == '\\' || c == '\'' || c == '"') {
            if (w + 5 > cap)
                break;
            w += (size_t)snprintf(out + w, cap - w, "\\%03u", c);
        } else {
            out[w++] = (char)(lower && c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
    }
    out[w] = 0;
}

static uint64_t s_hash(const s_row_t *r)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)r->minute;
    const char *parts[] = {r->client, r->domain, r->reason};
    for (int p = 0; p < 3; p++) {
        for (const char *c = parts[p]; *c; c++)
            h = (h ^ (unsigned char)*c) * 1099511628211ULL;
        h = (h ^ 0xff) * 1099511628211ULL; /* a separator: "ab","c" is not "a","bc" */
    }
    return h;
}

static bool s_same(const s_row_t *a, const s_row_t *b)
{
    return a->hash == b->hash && a->minute == b->minute && !strcmp(a->client, b->client) &&
           !strcmp(a->domain, b->domain) && !strcmp(a->reason, b->reason);
}

/* Fills the key and the sample of a row for event e. */
static void s_fill(const events_t *self, const event_t *e, s_row_t *r)
{
    char client[64];
    privacy_client(e->client, self->client_mode, client, sizeof client);
    s_clean(client, strlen(client), r->client, sizeof r->client, true);
    s_clean(e->domain, e->domain ? e->domain_len : 0, r->domain, sizeof r->domain, true);
    s_clean(e->reason, e->reason ? strlen(e->reason) : 0, r->reason, sizeof r->reason, false);
    s_clean(e->qname, e->qname ? e->qname_len : 0, r->qname, sizeof r->qname, true);
    const char *host = e->resolver && e->resolver[0] ? e->resolver : self->host;
    s_clean(host, strlen(host), r->resolver, sizeof r->resolver, false);
    r->minute = e->time - e->time % 60;
    r->first = r->last = e->time;
    r->count = 1;
    r->qtype = (uint16_t)(e->qtype <= 65535 ? e->qtype : 0);
    r->action = (uint8_t)e->action;
    r->hash = s_hash(r);
}

/* Counts and, once a minute, logs an event dropped. Under the lock. */
static void s_overflow(events_t *self, time_t now)
{
    self->overflow_since_log++;
    if (now - self->overflow_logged >= S_OVERFLOW_LOG_S) {
        log_warning("events",
                    "%lu events not stored since the last report: %zu rows wait (queue_size "
                    "%zu), or %zu new rows this minute (rows_per_minute)",
                    self->overflow_since_log, self->rows + self->taken, self->cap,
                    self->budget_used);
        self->overflow_logged = now;
        self->overflow_since_log = 0;
    }
}

bool events_push(events_t *self, const event_t *e)
{
    s_row_t key;
    s_fill(self, e, &key);
    bool ok = true;
    pthread_mutex_lock(&self->lock);
    s_row_t **slot = &self->buckets[key.hash & self->mask], *r = *slot;
    while (r && !s_same(r, &key))
        r = r->chain;
    if (r) {
        /* a repeat: the row only counts it (its sample stays the first) */
        r->count += r->count < UINT32_MAX;
        r->first = key.first < r->first ? key.first : r->first;
        r->last = key.last > r->last ? key.last : r->last;
        goto done;
    }
    time_t minute = e->time - e->time % 60;
    if (minute > self->budget_minute) { /* an event a second late keeps the minute's budget */
        self->budget_minute = minute;
        self->budget_used = 0;
    }
    if (self->rows + self->taken >= self->cap || self->budget_used >= self->per_minute ||
        !(r = malloc(sizeof *r))) {
        s_overflow(self, e->time);
        ok = false;
        goto done;
    }
    *r = key;
    r->chain = *slot;
    r->next = NULL;
    *slot = r;
    if (self->last)
        self->last->next = r;
    else
        self->first = r;
    self->last = r;
    self->rows++;
    self->budget_used++;
done:
    pthread_mutex_unlock(&self->lock);
    stats_add(self->stats, ok ? STAT_EVENTS : STAT_EVENTS_OVERFLOW, 1);
    return ok;
}

size_t events_backlog(events_t *self)
{
    pthread_mutex_lock(&self->lock);
    size_t n = self->rows + self->taken;
    pthread_mutex_unlock(&self->lock);
    return n;
}

/* Takes every row not yet taken for the writer: a repeat of one from now
 * on makes a new row, which the INSERT adds to the same table row. */
static void s_take(events_t *self)
{
    pthread_mutex_lock(&self->lock);
    for (s_row_t *r = self->first; r; r = r->next)
        self->buckets[r->hash & self->mask] = NULL;
    self->pending = self->first;
    self->taken += self->rows;
    self->first = self->last = NULL;
    self->rows = 0;
    pthread_mutex_unlock(&self->lock);
}

/* One INSERT of the first rows of `r` (at most S_ROWS_PER_INSERT); *end
 * gets the row after the last one written into sql, *events their count. */
static size_t s_build(const store_ops_t *ops, void *store, const s_row_t *r, const s_row_t **end,
                      uint64_t *events, char *sql, size_t cap)
{
    static const char head[] = "INSERT INTO events (minute, client, domain, reason, count, "
                               "first_seen, last_seen, qname, qtype, action, resolver) VALUES ";
    static const char tail[] = " ON DUPLICATE KEY UPDATE count = count + VALUES(count), "
                               "first_seen = LEAST(first_seen, VALUES(first_seen)), "
                               "last_seen = GREATEST(last_seen, VALUES(last_seen))";
    size_t w = sizeof head - 1, n = 0;
    memcpy(sql, head, w);
    *events = 0;
    for (; r && n < S_ROWS_PER_INSERT; r = r->next, n++) {
        char c[2 * sizeof r->client], d[2 * sizeof r->domain], re[2 * sizeof r->reason],
            q[2 * sizeof r->qname], h[2 * sizeof r->resolver];
        ops->escape(store, c, r->client, strlen(r->client));
        ops->escape(store, d, r->domain, strlen(r->domain));
        ops->escape(store, re, r->reason, strlen(r->reason));
        ops->escape(store, q, r->qname, strlen(r->qname));
        ops->escape(store, h, r->resolver, strlen(r->resolver));
        w += (size_t)snprintf(sql + w, cap - w,
                              "%s(FROM_UNIXTIME(%lld),'%s','%s','%s',%u,FROM_UNIXTIME(%lld),"
                              "FROM_UNIXTIME(%lld),'%s',%u,'%s','%s')",
                              n ? "," : "", (long long)r->minute, c, d, re, (unsigned)r->count,
                              (long long)r->first, (long long)r->last, q, (unsigned)r->qtype,
                              events_action_name((event_action_t)r->action), h);
        *events += r->count;
    }
    memcpy(sql + w, tail, sizeof tail);
    *end = r;
    return w + sizeof tail - 1;
}

int events_write(events_t *self, const store_ops_t *ops, void *store)
{
    if (!self->pending)
        s_take(self);
    if (!self->pending)
        return 0;
    int rc = ops->ready(store);
    if (rc != 0)
        return rc;
    while (self->pending) {
        const s_row_t *end;
        uint64_t events;
        size_t len = s_build(ops, store, self->pending, &end, &events, self->sql, S_SQL_CAP);
        rc = ops->exec(store, self->sql, len);
        if (rc != 0 && rc != -EINVAL)
            return rc; /* away: the rows wait */
        stats_add(self->stats, rc == 0 ? STAT_EVENTS_STORED : STAT_EVENTS_DB_ERRORS, events);
        size_t done = 0;
        while (self->pending != end) {
            s_row_t *next = self->pending->next;
            free(self->pending);
            self->pending = next;
            done++;
        }
        pthread_mutex_lock(&self->lock);
        self->taken -= done;
        pthread_mutex_unlock(&self->lock);
    }
    return 0;
}

int events_retention(store_t *store, const config_t *cfg, unsigned long long *deleted)
{
    *deleted = 0;
    char sql[160];
    int len = snprintf(sql, sizeof sql,
                       "DELETE FROM events WHERE minute < UTC_TIMESTAMP() - INTERVAL %u DAY "
                       "LIMIT 10000",
                       cfg->events.retention_days);
    return store_delete_batches(store, sql, (size_t)len, 10000, 100, deleted);
}
