/* oracle/engine/lists.c - the drop, block and allow lists, in memory. */
#include "lists.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "suffixset.h"

struct lists {
    suffixset_t *set[LIST_KINDS];
    char *text; /* "kind domain\n" per entry, for lists_text() */
    size_t text_len, text_cap;
};

static const char *const s_kind_names[LIST_KINDS] = {"drop", "block", "allow"};

const char *lists_kind_name(list_kind_t kind) { return s_kind_names[kind]; }

int lists_kind_parse(const char *text)
{
    for (int k = 0; k < LIST_KINDS; k++)
        if (strcmp(text, s_kind_names[k]) == 0)
            return k;
    return -1;
}

lists_t *lists_new(void)
{
    lists_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    for (int k = 0; k < LIST_KINDS; k++)
        if (!(self->set[k] = suffixset_new())) {
            lists_destroy(&self);
            return NULL;
        }
    return self;
}

void lists_destroy(lists_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    for (int k = 0; k < LIST_KINDS; k++)
        suffixset_destroy(&(*self_p)->set[k]);
    free((*self_p)->text);
    free(*self_p);
    *self_p = NULL;
}

int lists_add(lists_t *self, list_kind_t kind, const char *domain)
{
    size_t need = self->text_len + strlen(s_kind_names[kind]) + strlen(domain) + 3;
    if (need > self->text_cap) {
        size_t cap = need > 2 * self->text_cap ? need + 4096 : 2 * self->text_cap;
        char *t = realloc(self->text, cap);
        if (!t)
            return -ENOMEM;
        self->text = t;
        self->text_cap = cap;
    }
    int rc = suffixset_add(self->set[kind], domain);
    if (rc == 0)
        self->text_len +=
            (size_t)snprintf(self->text + self->text_len, self->text_cap - self->text_len,
                             "%s %s\n", s_kind_names[kind], domain);
    return rc;
}

const char *lists_text(const lists_t *self, size_t *len)
{
    *len = self->text_len;
    return self->text ? self->text : "";
}

size_t lists_size(const lists_t *self, list_kind_t kind) { return suffixset_size(self->set[kind]); }

reason_t lists_check(const lists_t *self, const name_t *name)
{
    int allow = suffixset_match(self->set[LIST_ALLOW], name, 0);
    int block = suffixset_match(self->set[LIST_BLOCK], name, 0);
    /* The match is the first label of the matching suffix: smaller is more
     * specific. */
    if (block >= 0 && (allow < 0 || block < allow))
        return REASON_BLOCKLIST;
    if (allow >= 0)
        return REASON_ALLOWLIST;
    if (suffixset_match(self->set[LIST_DROP], name, 0) >= 0)
        return REASON_DROPLIST;
    return REASON_OK;
}

void lists_apply(const lists_t *lists, const name_t *name, verdict_t *v)
{
    if (!lists)
        return;
    reason_t r = lists_check(lists, name);
    if (r == REASON_BLOCKLIST || (r == REASON_DROPLIST && v->reason_id != REASON_ALLOWLIST)) {
        v->good = false;
        v->reason_id = r;
    } else if (r == REASON_ALLOWLIST) {
        v->good = true;
        v->reason_id = r;
    }
    v->reason = engine_reason_name(v->reason_id);
}

/* ---- publishing -------------------------------------------------------- */

/* Readers hold a lists_t for one request: microseconds, a few milliseconds
 * for a full batch. A replaced object is freed once it has been retired for
 * this long. */
#define S_GRACE_SECONDS 30

typedef struct s_retired {
    lists_t *lists;
    time_t since;
    struct s_retired *next;
} s_retired_t;

struct listbox {
    _Atomic(lists_t *) current;
    pthread_mutex_t lock; /* writers only */
    s_retired_t *retired;
};

listbox_t *listbox_new(void)
{
    listbox_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    atomic_init(&self->current, NULL);
    pthread_mutex_init(&self->lock, NULL);
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

const lists_t *listbox_get(listbox_t *self)
{
    return atomic_load_explicit(&self->current, memory_order_acquire);
}

void listbox_put(listbox_t *self, lists_t *lists)
{
    time_t now = time(NULL);
    pthread_mutex_lock(&self->lock);
    lists_t *old = atomic_exchange_explicit(&self->current, lists, memory_order_acq_rel);
    /* Free what has been retired long enough, then retire the old one. */
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
    pthread_mutex_unlock(&self->lock);
}
