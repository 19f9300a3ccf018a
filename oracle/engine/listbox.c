/* oracle/engine/listbox.c - the lists dnsoracled judges with, and their changes. */
#include "listbox.h"

#include <bsd/string.h>
#include <errno.h>
#include <pthread.h>
#include <assert.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A change message holds at most this much text (a subscriber's queue is
 * bounded in messages: publish.c), and a batch of more changes than
 * S_RESET_CHANGES is published as a reset: a snapshot is cheaper. */
#define S_MESSAGE_BYTES 16384
#define S_RESET_CHANGES 4096
#define S_WANTED 16

/* Freeing by reader generation. Every reader (a worker) has a slot saying
 * which version number it may use: 0 while it reads nothing, else the
 * number `visible` had when it began. Each version becomes current at one
 * number (`from`) and is retired at the next (`until`); it is freed once no
 * slot holds a number below `until` (every reader has moved past it) and,
 * if a snapshot began on it (listbox_want), `keep_seconds` after that, so
 * that the snapshot fetched chunk by chunk can still find it. Only those
 * are kept: a busy stream of changes makes a version each (about 1.5 kB
 * with an empty delta), and holding every one for keep_seconds would grow
 * with the rate of changes. At most S_WANTED are wanted at once (the
 * oldest is forgotten: its hook is told "gone" and starts again). Readers only store and load (no
 * lock, no wait); the publishers take the lock. A reader stores its slot before it loads the
 * pointer (both sequentially consistent), and a publisher exchanges the
 * pointer before it makes the new number visible and scans the slots, so a
 * reader that read the new number can only load the new pointer, and one
 * that read the old number protects the old version. */
typedef struct s_retired {
    lists_t *lists;
    uint64_t from, until;
    struct s_retired *next;
} s_retired_t;

struct listbox {
    _Atomic(lists_t *) current;
    _Atomic uint64_t visible; /* the number of current, from 1 */
    unsigned nreaders;
    _Atomic uint64_t *using; /* per reader: the number in use, 0: none */
    unsigned keep_seconds;
    pthread_mutex_t lock; /* writers, the retired list and the publisher */
    s_retired_t *retired;
    size_t nretired;
    struct {
        uint64_t generation; /* 0: a free slot */
        double at;           /* monotonic seconds: when its snapshot began */
    } wanted[S_WANTED];
    uint64_t epoch;
    uint64_t generation; /* of the last message */
    listbox_publish_fn publish;
    void *publish_arg;
    char endpoint[256], curve_endpoint[256];
    char message[S_MESSAGE_BYTES + 512];
};

static double s_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

listbox_t *listbox_new(unsigned readers, unsigned keep_seconds)
{
    listbox_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->using = calloc(readers ? readers : 1, sizeof *self->using);
    if (!self->using) {
        free(self);
        return NULL;
    }
    self->nreaders = readers;
    for (unsigned r = 0; r < readers; r++)
        atomic_init(&self->using[r], 0);
    self->keep_seconds = keep_seconds;
    atomic_init(&self->visible, 1);
    atomic_init(&self->current, NULL);
    pthread_mutex_init(&self->lock, NULL);
    /* Distinct for every start of the oracle: the wall clock in
     * microseconds, mixed with the process id. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    self->epoch = ((uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u) ^
                  ((uint64_t)getpid() << 44);
    return self;
}

void listbox_destroy(listbox_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    listbox_t *self = *self_p;
    lists_t *cur = atomic_load(&self->current);
    lists_destroy(&cur);
    while (self->retired) {
        s_retired_t *r = self->retired;
        self->retired = r->next;
        lists_destroy(&r->lists);
        free(r);
    }
    pthread_mutex_destroy(&self->lock);
    free(self->using);
    free(self);
    *self_p = NULL;
}

void listbox_set_publisher(listbox_t *self, listbox_publish_fn fn, void *arg, const char *endpoint,
                           const char *curve_endpoint)
{
    pthread_mutex_lock(&self->lock);
    self->publish = fn;
    self->publish_arg = arg;
    strlcpy(self->endpoint, endpoint ? endpoint : "", sizeof self->endpoint);
    strlcpy(self->curve_endpoint, curve_endpoint ? curve_endpoint : "",
            sizeof self->curve_endpoint);
    pthread_mutex_unlock(&self->lock);
}

const lists_t *listbox_enter(listbox_t *self, unsigned reader)
{
    assert(reader < self->nreaders);
    atomic_store(&self->using[reader], atomic_load(&self->visible));
    return atomic_load(&self->current);
}

void listbox_leave(listbox_t *self, unsigned reader)
{
    assert(reader < self->nreaders);
    atomic_store_explicit(&self->using[reader], 0, memory_order_release);
}

const lists_t *listbox_find(listbox_t *self, unsigned reader, uint64_t generation)
{
    assert(reader < self->nreaders);
    const lists_t *found = NULL;
    pthread_mutex_lock(&self->lock);
    const lists_t *cur = atomic_load(&self->current);
    if (cur && lists_generation(cur) == generation)
        found = cur;
    for (const s_retired_t *r = self->retired; r && !found; r = r->next) {
        if (lists_generation(r->lists) == generation) {
            found = r->lists;
            /* the reader now holds an older version: its slot says so,
             * under the lock that every scan of the slots takes */
            uint64_t held = atomic_load(&self->using[reader]);
            if (!held || r->from < held)
                atomic_store(&self->using[reader], r -> from);
        }
    }
    pthread_mutex_unlock(&self->lock);
    return found;
}

uint64_t listbox_epoch(const listbox_t *self) { return self->epoch; }

const char *listbox_endpoint(const listbox_t *self) { return self->endpoint; }

const char *listbox_curve_endpoint(const listbox_t *self) { return self->curve_endpoint; }

void listbox_want(listbox_t *self, uint64_t generation)
{
    pthread_mutex_lock(&self->lock);
    unsigned slot = 0;
    for (unsigned i = 0; i < S_WANTED; i++) {
        if (self->wanted[i].generation == generation) {
            slot = i;
            break;
        }
        if (self->wanted[i].at < self->wanted[slot].at)
            slot = i; /* the oldest (or a free one) */
    }
    self->wanted[slot].generation = generation;
    self->wanted[slot].at = s_monotonic();
    pthread_mutex_unlock(&self->lock);
}

/* Whether a snapshot began on generation `g` less than keep_seconds ago.
 * Under the lock. */
static bool s_wanted(const listbox_t *self, uint64_t g, double now)
{
    for (unsigned i = 0; i < S_WANTED; i++)
        if (self->wanted[i].generation == g && now - self->wanted[i].at < self->keep_seconds)
            return true;
    return false;
}

/* Frees what every reader has moved past and no snapshot still needs.
 * Under the lock. */
static void s_collect(listbox_t *self)
{
    uint64_t oldest = UINT64_MAX;
    for (unsigned r = 0; r < self->nreaders; r++) {
        uint64_t g = atomic_load(&self->using[r]);
        if (g && g < oldest)
            oldest = g;
    }
    double now = s_monotonic();
    for (s_retired_t **p = &self->retired; *p;) {
        if ((*p)->until <= oldest && !s_wanted(self, lists_generation((*p)->lists), now)) {
            s_retired_t *r = *p;
            *p = r->next;
            lists_destroy(&r->lists);
            free(r);
            self->nretired--;
        } else {
            p = &(*p)->next;
        }
    }
}

/* Makes `lists` current, retires the old one and frees what it can. Under
 * the lock. */
static void s_swap(listbox_t *self, lists_t *lists)
{
    lists_set_generation(lists, self->generation);
    lists_t *old = atomic_exchange(&self->current, lists);
    uint64_t from = atomic_load(&self->visible), until = from + 1;
    atomic_store(&self->visible, until);
    if (old) {
        s_retired_t *r = malloc(sizeof *r);
        if (r) {
            *r = (s_retired_t){old, from, until, self->retired};
            self->retired = r;
            self->nretired++;
        } /* else: leak rather than free under a reader */
    }
    s_collect(self);
}

void listbox_sizes(listbox_t *self, size_t sizes[LIST_KINDS])
{
    /* the current version is freed only by a publisher, under the lock */
    pthread_mutex_lock(&self->lock);
    const lists_t *l = atomic_load(&self->current);
    for (int k = 0; k < LIST_KINDS; k++)
        sizes[k] = l ? lists_size(l, (list_kind_t)k) : 0;
    pthread_mutex_unlock(&self->lock);
}

size_t listbox_retired(listbox_t *self)
{
    pthread_mutex_lock(&self->lock);
    s_collect(self);
    size_t n = self->nretired;
    pthread_mutex_unlock(&self->lock);
    return n;
}

/* Sends one message "lists EPOCH GEN TAIL" + body. Under the lock. */
static void s_send(listbox_t *self, const char *tail, const char *body, size_t body_len)
{
    if (!self->publish)
        return;
    int n = snprintf(self->message, sizeof self->message, "lists %llu %llu %s\n",
                     (unsigned long long)self->epoch, (unsigned long long)self->generation, tail);
    if (n < 0 || (size_t)n + body_len > sizeof self->message)
        return;
    memcpy(self->message + n, body, body_len);
    self->publish(self->publish_arg, self->message, (size_t)n + body_len);
}

/* Publishes changes in messages of at most S_MESSAGE_BYTES, one generation
 * each. Under the lock. */
static void s_publish_changes(listbox_t *self, const list_change_t *c, size_t n)
{
    char body[S_MESSAGE_BYTES];
    size_t len = 0, count = 0;
    for (size_t i = 0; i <= n; i++) {
        size_t need = i < n ? strlen(c[i].domain) + 10 : 0;
        if (count && (i == n || len + need > sizeof body)) {
            char tail[24];
            snprintf(tail, sizeof tail, "%zu", count);
            self->generation++;
            s_send(self, tail, body, len);
            len = count = 0;
        }
        if (i < n) {
            len += lists_format_change(&c[i], body + len, sizeof body - len);
            count++;
        }
    }
}

int listbox_parse_message(char *msg, size_t len, listbox_message_t *out)
{
    char *nl = memchr(msg, '\n', len), *end;
    if (!nl || len < 6 || memcmp(msg, "lists ", 6) != 0)
        return -EINVAL;
    *nl = 0;
    out->epoch = strtoull(msg + 6, &end, 10);
    if (*end != ' ')
        return -EINVAL;
    out->generation = strtoull(end + 1, &end, 10);
    if (*end != ' ')
        return -EINVAL;
    if (strcmp(end + 1, "reset") == 0) {
        out->count = -1;
    } else {
        out->count = strtol(end + 1, &end, 10);
        if (*end || out->count < 0)
            return -EINVAL;
    }
    out->body = nl + 1;
    return 0;
}

static void s_put_locked(listbox_t *self, lists_t *lists)
{
    self->generation++;
    s_send(self, "reset", "", 0);
    s_swap(self, lists);
}

void listbox_put(listbox_t *self, lists_t *lists)
{
    pthread_mutex_lock(&self->lock);
    s_put_locked(self, lists);
    pthread_mutex_unlock(&self->lock);
}

/* The changes that change something, in a new array (*out, free()). */
static int s_effective(const lists_t *cur, const list_change_t *c, size_t n, list_change_t **out,
                       size_t *count)
{
    *count = 0;
    *out = malloc((n ? n : 1) * sizeof **out);
    if (!*out)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (lists_has(cur, c[i].kind, c[i].domain) != c[i].add)
            (*out)[(*count)++] = c[i];
    return 0;
}

int listbox_change(listbox_t *self, const list_change_t *changes, size_t n)
{
    list_change_t *eff = NULL;
    size_t count = 0;
    int rc = 0;
    pthread_mutex_lock(&self->lock);
    const lists_t *cur = atomic_load_explicit(&self->current, memory_order_acquire);
    if (!cur || s_effective(cur, changes, n, &eff, &count) != 0) {
        rc = cur ? -ENOMEM : -ENOENT;
        goto done;
    }
    if (count == 0)
        goto done;
    lists_t *next = lists_change(cur, eff, count);
    if (!next) {
        rc = -ENOMEM;
        goto done;
    }
    if (count > S_RESET_CHANGES) {
        s_put_locked(self, next);
    } else {
        s_publish_changes(self, eff, count);
        s_swap(self, next);
    }
done:
    pthread_mutex_unlock(&self->lock);
    free(eff);
    return rc;
}

long listbox_reload(listbox_t *self, lists_t *lists)
{
    list_change_t *diff = NULL;
    size_t n = 0;
    long rc;
    pthread_mutex_lock(&self->lock);
    const lists_t *cur = atomic_load_explicit(&self->current, memory_order_acquire);
    if (!cur) {
        s_put_locked(self, lists);
        rc = (long)lists_total(lists);
    } else if (lists_diff(cur, lists, &diff, &n) != 0) {
        lists_destroy(&lists);
        rc = -ENOMEM;
    } else if (n > S_RESET_CHANGES) {
        /* the reread lists are a fresh base: better than a big delta */
        s_put_locked(self, lists);
        rc = (long)n;
    } else {
        lists_t *next = n ? lists_change(cur, diff, n) : NULL;
        if (next) {
            s_publish_changes(self, diff, n);
            s_swap(self, next);
        }
        rc = n && !next ? -ENOMEM : (long)n;
        lists_destroy(&lists); /* the diff pointed into it: freed last */
    }
    pthread_mutex_unlock(&self->lock);
    free(diff);
    return rc;
}

void listbox_tick(listbox_t *self)
{
    pthread_mutex_lock(&self->lock);
    s_send(self, "0", "", 0);
    pthread_mutex_unlock(&self->lock);
}
