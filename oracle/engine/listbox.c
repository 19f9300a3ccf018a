/* oracle/engine/listbox.c - the lists dnsoracled judges with, and their changes. */
#include "listbox.h"

#include <bsd/string.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Readers hold a lists_t for one request: microseconds, a few milliseconds
 * for a full batch; a hook fetches a million entries' snapshot in a few
 * seconds. A replaced object is freed once it has been retired this long. */
#define S_GRACE_SECONDS 30
/* A change message holds at most this much text (a subscriber's queue is
 * bounded in messages: publish.c), and a batch of more changes than
 * S_RESET_CHANGES is published as a reset: a snapshot is cheaper. */
#define S_MESSAGE_BYTES 16384
#define S_RESET_CHANGES 4096

typedef struct s_retired {
    lists_t *lists;
    time_t since;
    struct s_retired *next;
} s_retired_t;

struct listbox {
    _Atomic(lists_t *) current;
    pthread_mutex_t lock; /* writers, the retired list and the publisher */
    s_retired_t *retired;
    uint64_t epoch;
    uint64_t generation; /* of the last message */
    listbox_publish_fn publish;
    void *publish_arg;
    char endpoint[256];
    char message[S_MESSAGE_BYTES + 512];
};

listbox_t *listbox_new(void)
{
    listbox_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
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
    free(self);
    *self_p = NULL;
}

void listbox_set_publisher(listbox_t *self, listbox_publish_fn fn, void *arg, const char *endpoint)
{
    pthread_mutex_lock(&self->lock);
    self->publish = fn;
    self->publish_arg = arg;
    strlcpy(self->endpoint, endpoint ? endpoint : "", sizeof self->endpoint);
    pthread_mutex_unlock(&self->lock);
}

const lists_t *listbox_get(listbox_t *self)
{
    return atomic_load_explicit(&self->current, memory_order_acquire);
}

const lists_t *listbox_find(listbox_t *self, uint64_t generation)
{
    const lists_t *found = NULL;
    pthread_mutex_lock(&self->lock);
    const lists_t *cur = atomic_load_explicit(&self->current, memory_order_acquire);
    if (cur && lists_generation(cur) == generation)
        found = cur;
    for (const s_retired_t *r = self->retired; r && !found; r = r->next)
        if (lists_generation(r->lists) == generation)
            found = r->lists;
    pthread_mutex_unlock(&self->lock);
    return found;
}

uint64_t listbox_epoch(const listbox_t *self) { return self->epoch; }

const char *listbox_endpoint(const listbox_t *self) { return self->endpoint; }

/* Makes `lists` current; frees what has been retired long enough and
 * retires the old one. Under the lock. */
static void s_swap(listbox_t *self, lists_t *lists)
{
    time_t now = time(NULL);
    lists_set_generation(lists, self->generation);
    lists_t *old = atomic_exchange_explicit(&self->current, lists, memory_order_acq_rel);
    for (s_retired_t **p = &self->retired; *p;) {
        if (now - (*p)->since >= S_GRACE_SECONDS) {
            s_retired_t *r = *p;
            *p = r->next;
            lists_destroy(&r->lists);
            free(r);
        } else {
            p = &(*p)->next;
        }
    }
    if (old) {
        s_retired_t *r = malloc(sizeof *r);
        if (r) {
            *r = (s_retired_t){old, now, self->retired};
            self->retired = r;
        } /* else: leak rather than free under a reader */
    }
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
            len += (size_t)snprintf(body + len, sizeof body - len, "%c%s %s\n",
                                    c[i].add ? '+' : '-', lists_kind_name(c[i].kind), c[i].domain);
            count++;
        }
    }
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
