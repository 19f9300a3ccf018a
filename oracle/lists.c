/* oracle/lists.c - the drop, block and allow lists, in memory. */
#include "lists.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Every reader (a worker) has a slot saying which generation it uses: 0
 * while it reads nothing, else the generation it read when it began. A
 * replaced object is retired with the generation that replaced it, and
 * freed once every slot is 0 or at least that generation: every reader has
 * moved past it. Readers only store and load (no lock, no wait); the
 * publishers take the lock. A reader's store of its slot comes before its
 * load of the pointer (both sequentially consistent), and a publisher's
 * exchange of the pointer before its scan of the slots, so a reader the
 * scan saw idle can only load the new pointer. */
typedef struct s_retired {
    lists_t *lists;
    uint64_t until; /* freed when no reader uses a generation below this */
    struct s_retired *next;
} s_retired_t;

struct listbox {
    _Atomic(lists_t *) current;
    _Atomic uint64_t generation; /* of current, from 1 */
    unsigned nreaders;
    _Atomic uint64_t *using; /* per reader: the generation in use, 0: none */
    pthread_mutex_t lock;    /* publishers and listbox_sizes() */
    s_retired_t *retired;
    size_t nretired;
};

listbox_t *listbox_new(unsigned readers)
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
    atomic_init(&self->current, NULL);
    atomic_init(&self->generation, 1);
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
    free(self->using);
    free(self);
    *self_p = NULL;
}

const lists_t *listbox_enter(listbox_t *self, unsigned reader)
{
    assert(reader < self->nreaders);
    atomic_store(&self->using[reader], atomic_load(&self->generation));
    return atomic_load(&self->current);
}

void listbox_leave(listbox_t *self, unsigned reader)
{
    assert(reader < self->nreaders);
    atomic_store_explicit(&self->using[reader], 0, memory_order_release);
}

/* Frees what every reader has moved past; with the lock held. */
static void s_collect(listbox_t *self)
{
    uint64_t oldest = UINT64_MAX;
    for (unsigned r = 0; r < self->nreaders; r++) {
        uint64_t g = atomic_load(&self->using[r]);
        if (g && g < oldest)
            oldest = g;
    }
    for (s_retired_t **p = &self->retired; *p;) {
        if ((*p)->until <= oldest) {
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

void listbox_put(listbox_t *self, lists_t *lists)
{
    pthread_mutex_lock(&self->lock);
    lists_t *old = atomic_exchange(&self->current, lists);
    uint64_t gen = atomic_fetch_add(&self->generation, 1) + 1;
    if (old) {
        s_retired_t *r = malloc(sizeof *r);
        if (r) {
            *r = (s_retired_t){old, gen, self->retired};
            self->retired = r;
            self->nretired++;
        } /* else: leak rather than free under a reader */
    }
    s_collect(self);
    pthread_mutex_unlock(&self->lock);
}

void listbox_sizes(listbox_t *self, size_t sizes[LIST_KINDS])
{
    /* the current object is freed only by a publisher, under the lock */
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
