/* oracle/store/writer.c - good names to MariaDB, off the request path. */
#include "writer.h"

#include <errno.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actor.h"
#include "log.h"
#include "store.h"

#define S_BATCH 1000          /* names per INSERT */
#define S_FLUSH_EVERY_MS 1000 /* a partial batch waits at most this long */
#define S_OVERFLOW_LOG_S 60

typedef struct {
    uint8_t length;      /* of text */
    uint8_t registrable; /* offset of the registrable domain in text */
    char text[NAME_MAX_TEXT];
} s_entry_t;

/* The queue is a list of blocks allocated as names arrive and freed as soon
 * as they are written, so its memory follows the backlog: a burst (a
 * database outage, a flood of new names) is given back once written. A
 * block of 1024 entries (260 KiB) is its own mapping for malloc, returned to
 * the system when freed. */
#define S_BLOCK 1024
typedef struct s_block {
    struct s_block *next;
    size_t head, tail; /* entries [head, tail) are queued */
    s_entry_t e[S_BLOCK];
} s_block_t;

struct writer {
    actor_t *actor; /* NULL once stopped */
    const writer_store_t *ops;
    void *store;
    events_t *events; /* refusals, with their own queue */
    stats_slot_t *stats;
    atomic_int state; /* S_IDLE, S_OK or S_AWAY: the last write's outcome */

    pthread_mutex_t lock;    /* guards everything below */
    pthread_cond_t wake;     /* names arrived, or stop */
    s_block_t *first, *last; /* the queue: taken from first, added to last */
    size_t cap, count;
    bool stopping;
    double deadline; /* monotonic time by which the flush must end */
    unsigned long overflow_since_log;
    double overflow_logged;
};

enum { S_IDLE, S_OK, S_AWAY };

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool writer_push(writer_t *self, const name_t *name, size_t registrable)
{
    if (registrable >= name->nlabels || name->length > NAME_MAX_TEXT)
        return false;
    /* Stored as text: printable ASCII only, and no '.' inside a label (it
     * would read as two labels). Such names are rare (the charset test
     * fails them by default) and counted. */
    for (size_t i = 0; i < name->length; i++)
        if (name->lower[i] < 33 || name->lower[i] > 126 || name->lower[i] == '\\' ||
            name->lower[i] == '\'') {
            stats_add(self->stats, STAT_UNSTORABLE, 1);
            return false;
        }
    for (size_t l = 0; l < name->nlabels; l++)
        if (memchr(name->lower + name->off[l], '.', name->len[l])) {
            stats_add(self->stats, STAT_UNSTORABLE, 1);
            return false;
        }
    pthread_mutex_lock(&self->lock);
    bool ok = self->count < self->cap && !self->stopping;
    if (ok && (!self->last || self->last->tail == S_BLOCK)) {
        s_block_t *b = malloc(sizeof *b);
        if (b) {
            b->next = NULL;
            b->head = b->tail = 0;
            if (self->last)
                self->last->next = b;
            else
                self->first = b;
            self->last = b;
        }
        ok = b != NULL; /* no memory: counted as overflow below */
    }
    if (ok) {
        s_entry_t *e = &self->last->e[self->last->tail++];
        e->length = (uint8_t)name->length;
        e->registrable = name->off[registrable];
        memcpy(e->text, name->lower, name->length);
        if (++self->count == S_BATCH)
            pthread_cond_signal(&self->wake);
    } else {
        self->overflow_since_log++;
        double now = s_now();
        if (now - self->overflow_logged >= S_OVERFLOW_LOG_S) {
            log_warning("writer",
                        "queue full (%zu names): %lu good names not stored since the "
                        "last report",
                        self->cap, self->overflow_since_log);
            self->overflow_logged = now;
            self->overflow_since_log = 0;
        }
    }
    pthread_mutex_unlock(&self->lock);
    if (!ok)
        stats_add(self->stats, STAT_QUEUE_OVERFLOW, 1);
    return ok;
}

const char *writer_state(writer_t *self)
{
    switch (atomic_load(&self->state)) {
    case S_OK:
        return "ok";
    case S_AWAY:
        return "unavailable";
    default:
        return "idle";
    }
}

size_t writer_backlog(writer_t *self)
{
    pthread_mutex_lock(&self->lock);
    size_t n = self->count;
    pthread_mutex_unlock(&self->lock);
    return n;
}

bool writer_event(writer_t *self, const event_t *e) { return events_push(self->events, e); }

size_t writer_events_backlog(writer_t *self) { return events_backlog(self->events); }

/* Appends "('name','registrable',now,now)" for each distinct entry. */
static size_t s_build(writer_t *self, const s_entry_t *batch, size_t n, char *sql, size_t cap)
{
    static const char head[] = "INSERT INTO names (name, registrable, first_seen, last_seen) "
                               "VALUES ";
    static const char tail[] = " ON DUPLICATE KEY UPDATE last_seen = VALUES(last_seen)";
    size_t w = sizeof head - 1, rows = 0;
    memcpy(sql, head, w);
    for (size_t i = 0; i < n; i++) {
        const s_entry_t *e = &batch[i];
        /* repeats within a batch: one row is enough */
        bool seen = false;
        for (size_t j = i > 64 ? i - 64 : 0; j < i && !seen; j++)
            seen = batch[j].length == e->length && !memcmp(batch[j].text, e->text, e->length);
        if (seen)
            continue;
        if (w + (size_t)4 * NAME_MAX_TEXT + 64 + sizeof tail >= cap)
            break;
        sql[w++] = rows ? ',' : ' ';
        sql[w++] = '(';
        sql[w++] = '\'';
        w += (size_t)self->ops->escape(self->store, sql + w, e->text, e->length);
        memcpy(sql + w, "','", 3);
        w += 3;
        w += (size_t)self->ops->escape(self->store, sql + w, e->text + e->registrable,
                                       (size_t)(e->length - e->registrable));
        static const char times[] = "',UTC_TIMESTAMP(),UTC_TIMESTAMP())";
        memcpy(sql + w, times, sizeof times - 1);
        w += sizeof times - 1;
        rows++;
    }
    memcpy(sql + w, tail, sizeof tail - 1);
    w += sizeof tail - 1;
    sql[w] = 0;
    return rows ? w : 0;
}

/* Moves queued names into batch[n..] up to S_BATCH; returns the new count.
 * With the lock held. count > 0 exactly when first != NULL; the loop tests
 * the pointer it uses. */
static size_t s_take(writer_t *self, s_entry_t *batch, size_t n)
{
    while (n < S_BATCH && self->first) {
        s_block_t *b = self->first;
        batch[n++] = b->e[b->head++];
        self->count--;
        if (b->head == b->tail) { /* drained: give it back */
            self->first = b->next;
            if (!self->first)
                self->last = NULL;
            free(b);
        }
    }
    return n;
}

static void s_run(void *pipe, void *arg)
{
    writer_t *self = arg;
    s_entry_t *batch = malloc(S_BATCH * sizeof *batch);
    size_t sqlcap = 128 + S_BATCH * (4 * NAME_MAX_TEXT + 64);
    char *sql = malloc(sqlcap);
    size_t n = 0; /* names in `batch`, taken but not yet written */
    bool flushing = false, events_away = false;
    if (actor_ready(pipe, batch && sql ? 0 : -ENOMEM) != 0 || !batch || !sql)
        goto done;
    for (;;) {
        pthread_mutex_lock(&self->lock);
        if (n == 0 && self->count < S_BATCH && !self->stopping) {
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until); /* the condvar's clock */
            until.tv_sec += S_FLUSH_EVERY_MS / 1000;
            pthread_cond_timedwait(&self->wake, &self->lock, &until);
        }
        bool stopping = self->stopping;
        double deadline = self->deadline;
        n = s_take(self, batch, n);
        size_t left = self->count;
        pthread_mutex_unlock(&self->lock);

        if (stopping &&
            (s_now() >= deadline ||
             (n == 0 && left == 0 && (events_away || events_backlog(self->events) == 0))))
            break;
        if (stopping && !flushing) {
            flushing = true;
            self->ops->retry_now(self->store); /* the last chance: do not wait */
        }
        /* the refusals first: few rows, and what the operator looks for */
        events_away = events_write(self->events, self->ops, self->store) != 0;
        if (n == 0)
            continue;
        int rc = self->ops->ready(self->store);
        if (rc == 0) {
            size_t len = s_build(self, batch, n, sql, sqlcap);
            rc = len ? self->ops->exec(self->store, sql, len) : 0;
        }
        atomic_store(&self->state, rc == 0 || rc == -EINVAL ? S_OK : S_AWAY);
        if (rc == 0 || rc == -EINVAL) {
            /* written, or refused by the server (logged): either way done */
            stats_add(self->stats, rc == 0 ? STAT_STORED : STAT_DB_ERRORS, n);
            n = 0;
        } else if (stopping) {
            break; /* away at the stop: waiting out the deadline would not help */
        } else {
            /* The database is away: keep the batch, wait a little. */
            struct timespec pause = {0, 50 * 1000000L};
            nanosleep(&pause, NULL);
        }
    }
    if (n || writer_backlog(self))
        log_warning("writer",
                    "stopped with %zu good names not stored (database unavailable or "
                    "flush deadline)",
                    n + writer_backlog(self));
    /* writer_stop() sent its command before it set `stopping`: answer it */
    while (!actor_stop_asked(pipe))
        ;
done:
    free(batch);
    free(sql);
}

writer_t *writer_new(const config_t *cfg, stats_slot_t *slot)
{
    return writer_new_with(cfg, slot, &store_ops);
}

writer_t *writer_new_with(const config_t *cfg, stats_slot_t *slot, const writer_store_t *ops)
{
    writer_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->stats = slot;
    self->ops = ops;
    self->cap = cfg->database.queue_size;
    self->store = ops->open(cfg, "writer");
    self->events = events_new(cfg, slot);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&self->lock, NULL);
    pthread_cond_init(&self->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (self->store && self->events)
        self->actor = actor_new(NULL, "writer", s_run, self, NULL);
    if (!self->actor) {
        writer_destroy(&self);
        return NULL;
    }
    return self;
}

void writer_stop(writer_t *self, int deadline_ms)
{
    if (!self->actor)
        return;
    /* the command first, so that it waits in the pipe when the thread,
     * seeing `stopping`, leaves its loop */
    uint32_t seq = actor_send(self->actor, "stop", &deadline_ms, sizeof deadline_ms);
    pthread_mutex_lock(&self->lock);
    self->stopping = true;
    self->deadline = s_now() + deadline_ms / 1000.0;
    pthread_cond_signal(&self->wake);
    pthread_mutex_unlock(&self->lock);
    if (actor_wait(self->actor, seq, deadline_ms + ACTOR_TIMEOUT_MS, NULL, 0, NULL) != 0)
        log_warning("writer", "the writer did not stop within %d ms (a database call?): waiting",
                    deadline_ms + ACTOR_TIMEOUT_MS);
    actor_join(self->actor);
    actor_destroy(&self->actor);
    if (events_backlog(self->events))
        log_warning("writer",
                    "stopped with %zu event rows not stored (database unavailable or "
                    "flush deadline)",
                    events_backlog(self->events));
}

void writer_destroy(writer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    writer_t *self = *self_p;
    writer_stop(self, 0);
    if (self->store)
        self->ops->close(self->store);
    events_destroy(&self->events);
    pthread_mutex_destroy(&self->lock);
    pthread_cond_destroy(&self->wake);
    while (self->first) {
        s_block_t *next = self->first->next;
        free(self->first);
        self->first = next;
    }
    free(self);
    *self_p = NULL;
}
