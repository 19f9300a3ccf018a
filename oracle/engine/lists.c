/* oracle/engine/lists.c - the drop, block and allow lists, in memory. */
#include "lists.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suffixset.h"

#define S_FOLD_MIN 4096 /* a delta this small is never folded */
#define S_FOLD_SHARE 16 /* ... nor one under 1/16 of the base */
#define S_TOP_MAX 256   /* the top layer is merged into the middle past this */

/* The big immutable part, shared by every lists_t made from it. */
typedef struct {
    atomic_uint refs;
    suffixset_t *set[LIST_KINDS];
} s_base_t;

/* A delta over what lies below it: entries added (not below) and entries
 * removed (below). */
typedef struct {
    atomic_uint refs; /* the middle layer is shared; the top is not */
    suffixset_t *added[LIST_KINDS];
    suffixset_t *removed[LIST_KINDS];
} s_layer_t;

/* Three layers: the base, a middle delta (shared and immutable, up to
 * max(S_FOLD_MIN, base / S_FOLD_SHARE) entries) and a small top delta of
 * its own (up to S_TOP_MAX). A change copies the top only; every
 * S_TOP_MAX changes the top is merged into a new middle (a copy of it),
 * and a middle grown too big is folded into a new base. Copying the one
 * delta whole at each change cost 3 ms at a million entries near a fold. */
struct lists {
    s_base_t *base;
    s_layer_t *mid;
    s_layer_t top;
    uint64_t generation;
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

static void s_base_release(s_base_t **base_p)
{
    s_base_t *base = *base_p;
    *base_p = NULL;
    if (!base || atomic_fetch_sub(&base->refs, 1) != 1)
        return;
    for (int k = 0; k < LIST_KINDS; k++)
        suffixset_destroy(&base->set[k]);
    free(base);
}

static void s_layer_clear(s_layer_t *layer)
{
    for (int k = 0; k < LIST_KINDS; k++) {
        suffixset_destroy(&layer->added[k]);
        suffixset_destroy(&layer->removed[k]);
    }
}

/* Makes the tables of `layer` that are missing. Returns 0 or -ENOMEM. */
static int s_fill(s_layer_t *layer)
{
    for (int k = 0; k < LIST_KINDS; k++)
        if ((!layer->added[k] && !(layer->added[k] = suffixset_new())) ||
            (!layer->removed[k] && !(layer->removed[k] = suffixset_new())))
            return -ENOMEM;
    return 0;
}

static void s_mid_release(s_layer_t **mid_p)
{
    s_layer_t *mid = *mid_p;
    *mid_p = NULL;
    if (!mid || atomic_fetch_sub(&mid->refs, 1) != 1)
        return;
    s_layer_clear(mid);
    free(mid);
}

/* A new middle layer: empty, or a copy of `from`. NULL on no memory. */
static s_layer_t *s_mid_new(const s_layer_t *from)
{
    s_layer_t *mid = calloc(1, sizeof *mid);
    if (!mid)
        return NULL;
    atomic_init(&mid->refs, 1);
    int rc = 0;
    for (int k = 0; from && k < LIST_KINDS && rc == 0; k++)
        if (!(mid->added[k] = suffixset_copy(from->added[k])) ||
            !(mid->removed[k] = suffixset_copy(from->removed[k])))
            rc = -ENOMEM;
    if (rc != 0 || s_fill(mid) != 0) {
        s_mid_release(&mid);
        return NULL;
    }
    return mid;
}

lists_t *lists_new(void)
{
    lists_t *self = calloc(1, sizeof *self);
    if (!self || !(self->base = calloc(1, sizeof *self->base)))
        goto fail;
    atomic_init(&self->base->refs, 1);
    for (int k = 0; k < LIST_KINDS; k++)
        if (!(self->base->set[k] = suffixset_new()))
            goto fail;
    if (!(self->mid = s_mid_new(NULL)) || s_fill(&self->top) != 0)
        goto fail;
    return self;
fail:
    lists_destroy(&self);
    return NULL;
}

void lists_destroy(lists_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    lists_t *self = *self_p;
    s_base_release(&self->base);
    s_mid_release(&self->mid);
    s_layer_clear(&self->top);
    free(self);
    *self_p = NULL;
}

int lists_add(lists_t *self, list_kind_t kind, const char *domain)
{
    return suffixset_add(self->base->set[kind], domain);
}

/* The entry `domain` parsed, and its hash: for the lookups below. */
static bool s_parse(const char *domain, name_t *n, uint64_t *h)
{
    if (name_parse(domain, strlen(domain), n) != 0 || n->nlabels == 0)
        return false;
    *h = suffixset_hash_init();
    for (size_t l = n->nlabels; l-- > 0;)
        *h = suffixset_hash_label(*h, n->lower + n->off[l], n->len[l]);
    return true;
}

/* Whether the suffix of `n` from label `first` (hash h) is an entry of
 * kind k below the top layer: in the middle's additions, or in the base
 * and not in the middle's removals. */
static bool s_below(const lists_t *self, list_kind_t k, uint64_t h, const name_t *n, size_t first)
{
    if (suffixset_contains_hashed(self->mid->added[k], h, n, first))
        return true;
    return suffixset_contains_hashed(self->base->set[k], h, n, first) &&
           !suffixset_contains_hashed(self->mid->removed[k], h, n, first);
}

static bool s_has(const lists_t *self, list_kind_t k, uint64_t h, const name_t *n, size_t first)
{
    if (suffixset_contains_hashed(self->top.added[k], h, n, first))
        return true;
    return !suffixset_contains_hashed(self->top.removed[k], h, n, first) &&
           s_below(self, k, h, n, first);
}

/* Whether the text `d` (an entry of some set) is in `set`. */
static bool s_in(const suffixset_t *set, const char *d)
{
    name_t n;
    uint64_t h;
    return suffixset_size(set) && s_parse(d, &n, &h) && suffixset_contains_hashed(set, h, &n, 0);
}

bool lists_has(const lists_t *self, list_kind_t kind, const char *domain)
{
    name_t n;
    uint64_t h;
    return s_parse(domain, &n, &h) && s_has(self, kind, h, &n, 0);
}

size_t lists_size(const lists_t *self, list_kind_t kind)
{
    return suffixset_size(self->base->set[kind]) + suffixset_size(self->mid->added[kind]) -
           suffixset_size(self->mid->removed[kind]) + suffixset_size(self->top.added[kind]) -
           suffixset_size(self->top.removed[kind]);
}

size_t lists_total(const lists_t *self)
{
    size_t n = 0;
    for (int k = 0; k < LIST_KINDS; k++)
        n += lists_size(self, (list_kind_t)k);
    return n;
}

uint64_t lists_generation(const lists_t *self) { return self->generation; }

void lists_set_generation(lists_t *self, uint64_t generation) { self->generation = generation; }

static size_t s_layer_size(const s_layer_t *layer)
{
    size_t n = 0;
    for (int k = 0; k < LIST_KINDS; k++)
        n += suffixset_size(layer->added[k]) + suffixset_size(layer->removed[k]);
    return n;
}

/* One change on the top layer (lists_change's own). */
static int s_apply(lists_t *self, const list_change_t *c)
{
    name_t n;
    uint64_t h;
    list_kind_t k = c->kind;
    if (!s_parse(c->domain, &n, &h))
        return 0;
    bool below = s_below(self, k, h, &n, 0);
    if (c->add && below)
        return suffixset_remove(self->top.removed[k], c->domain), 0;
    if (c->add)
        return suffixset_add(self->top.added[k], c->domain) == -ENOMEM ? -ENOMEM : 0;
    suffixset_remove(self->top.added[k], c->domain);
    if (below)
        return suffixset_add(self->top.removed[k], c->domain) == -ENOMEM ? -ENOMEM : 0;
    return 0;
}

/* The tables an entry of kind k can come from (t: 0 the base, 1 the
 * middle's additions, 2 the top's), each entry visible unless a layer
 * above removed it. */
static const suffixset_t *s_table(const lists_t *self, list_kind_t k, unsigned t)
{
    return t == 0 ? self->base->set[k] : t == 1 ? self->mid->added[k] : self->top.added[k];
}

static bool s_visible(const lists_t *self, list_kind_t k, unsigned t, const char *d)
{
    return (t > 0 || !s_in(self->mid->removed[k], d)) && (t > 1 || !s_in(self->top.removed[k], d));
}

/* A new base holding every entry of `self`, with empty deltas. */
static lists_t *s_fold(const lists_t *self)
{
    lists_t *out = lists_new();
    for (int k = 0; out && k < LIST_KINDS; k++)
        for (unsigned t = 0; out && t < 3; t++) {
            size_t cur = 0;
            for (const char *d; out && (d = suffixset_next(s_table(self, k, t), &cur));)
                if (s_visible(self, k, t, d) && suffixset_add(out->base->set[k], d) == -ENOMEM)
                    lists_destroy(&out);
        }
    return out;
}

/* Merges the top layer into a new middle layer (the old one stays with
 * the versions that share it). Returns 0 or -ENOMEM (self unchanged). */
static int s_merge(lists_t *self)
{
    s_layer_t *mid = s_mid_new(self->mid);
    if (!mid)
        return -ENOMEM;
    int rc = 0;
    for (int k = 0; k < LIST_KINDS && rc == 0; k++) {
        const suffixset_t *base = self->base->set[k];
        size_t cur = 0;
        /* added at the top: not visible below */
        for (const char *d; rc == 0 && (d = suffixset_next(self->top.added[k], &cur));)
            if (s_in(base, d))
                suffixset_remove(mid->removed[k], d);
            else
                rc = suffixset_add(mid->added[k], d) == -ENOMEM ? -ENOMEM : 0;
        /* removed at the top: visible below */
        cur = 0;
        for (const char *d; rc == 0 && (d = suffixset_next(self->top.removed[k], &cur));)
            if (!suffixset_remove(mid->added[k], d))
                rc = suffixset_add(mid->removed[k], d) == -ENOMEM ? -ENOMEM : 0;
    }
    s_layer_t top = {0};
    if (rc == 0 && (rc = s_fill(&top)) == 0) {
        s_mid_release(&self->mid);
        self->mid = mid;
        s_layer_clear(&self->top);
        self->top = top;
        return 0;
    }
    s_layer_clear(&top);
    s_mid_release(&mid);
    return rc;
}

/* A lists_t sharing self's base and middle, with a copy of its top. */
static lists_t *s_clone(const lists_t *self)
{
    lists_t *out = calloc(1, sizeof *out);
    if (!out)
        return NULL;
    out->base = self->base;
    atomic_fetch_add(&out->base->refs, 1);
    out->mid = self->mid;
    atomic_fetch_add(&out->mid->refs, 1);
    for (int k = 0; k < LIST_KINDS; k++)
        if (!(out->top.added[k] = suffixset_copy(self->top.added[k])) ||
            !(out->top.removed[k] = suffixset_copy(self->top.removed[k]))) {
            lists_destroy(&out);
            return NULL;
        }
    return out;
}

lists_t *lists_change(const lists_t *self, const list_change_t *changes, size_t n)
{
    lists_t *out = s_clone(self);
    for (size_t i = 0; out && i < n; i++)
        if (s_apply(out, &changes[i]) != 0)
            lists_destroy(&out);
    if (out && s_layer_size(&out->top) > S_TOP_MAX && s_merge(out) != 0)
        lists_destroy(&out);
    if (!out)
        return NULL;
    size_t base = 0, delta = s_layer_size(out->mid) + s_layer_size(&out->top);
    for (int k = 0; k < LIST_KINDS; k++)
        base += suffixset_size(out->base->set[k]);
    if (delta > S_FOLD_MIN && delta > base / S_FOLD_SHARE) {
        lists_t *folded = s_fold(out);
        lists_destroy(&out);
        out = folded;
    }
    if (out)
        out->generation = self->generation;
    return out;
}

typedef struct {
    list_change_t *v;
    size_t n, cap;
} s_changes_t;

static int s_push(s_changes_t *c, bool add, list_kind_t k, const char *d)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 256;
        list_change_t *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return -ENOMEM;
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = (list_change_t){add, k, d};
    return 0;
}

/* Every entry of `a` (kind k) missing from `b` becomes a change `add`. */
static int s_missing(const lists_t *a, const lists_t *b, list_kind_t k, bool add, s_changes_t *c)
{
    for (unsigned t = 0; t < 3; t++) {
        size_t cur = 0;
        for (const char *d; (d = suffixset_next(s_table(a, k, t), &cur));)
            if (s_visible(a, k, t, d) && !lists_has(b, k, d) && s_push(c, add, k, d) != 0)
                return -ENOMEM;
    }
    return 0;
}

int lists_diff(const lists_t *from, const lists_t *to, list_change_t **out, size_t *n)
{
    s_changes_t c = {NULL, 0, 0};
    for (int k = 0; k < LIST_KINDS; k++)
        if (s_missing(from, to, (list_kind_t)k, false, &c) != 0 ||
            s_missing(to, from, (list_kind_t)k, true, &c) != 0) {
            free(c.v);
            return -ENOMEM;
        }
    *out = c.v;
    *n = c.n;
    return 0;
}

/* The chunk cursor: the table (kind k's base, middle additions and top
 * additions, for every kind in turn) in the high bits, the slot in that
 * table below. */
#define S_SLOT_BITS 48
#define S_SLOT_MASK ((UINT64_C(1) << S_SLOT_BITS) - 1)
#define S_TABLES (3 * LIST_KINDS)

size_t lists_chunk(const lists_t *self, uint64_t cursor, char *buf, size_t cap, uint64_t *next,
                   bool *more)
{
    size_t len = 0;
    unsigned table = (unsigned)(cursor >> S_SLOT_BITS);
    size_t slot = (size_t)(cursor & S_SLOT_MASK);
    for (; table < S_TABLES; table++, slot = 0) {
        list_kind_t k = (list_kind_t)(table / 3);
        const suffixset_t *set = s_table(self, k, table % 3);
        const char *d;
        for (size_t at = slot; (d = suffixset_next(set, &slot)); at = slot) {
            if (!s_visible(self, k, table % 3, d))
                continue;
            if (len + strlen(d) + 8 > cap) {
                *next = (uint64_t)table * (S_SLOT_MASK + 1) | at;
                *more = true;
                return len;
            }
            len += (size_t)snprintf(buf + len, cap - len, "%s %s\n", s_kind_names[k], d);
        }
    }
    *next = (uint64_t)table * (S_SLOT_MASK + 1);
    *more = false;
    return len;
}

int lists_add_chunk(lists_t *self, char *text, size_t len)
{
    for (char *line = text, *end = text + len; line < end;) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        char *sp = nl ? memchr(line, ' ', (size_t)(nl - line)) : NULL;
        if (!sp)
            return -EINVAL;
        *sp = *nl = 0;
        int kind = lists_kind_parse(line);
        if (kind < 0)
            return -EINVAL;
        int rc = lists_add(self, (list_kind_t)kind, sp + 1);
        if (rc != 0)
            return rc;
        line = nl + 1;
    }
    return 0;
}

size_t lists_format_change(const list_change_t *change, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%c%s %s\n", change->add ? '+' : '-', s_kind_names[change->kind],
                     change->domain);
    if (n < 0 || (size_t)n >= cap) {
        if (cap)
            buf[0] = 0;
        return 0;
    }
    return (size_t)n;
}

long lists_parse_changes(char *text, list_change_t *out, size_t cap)
{
    size_t n = 0;
    for (char *line = text, *nl; n < cap && (nl = strchr(line, '\n')); line = nl + 1) {
        *nl = 0;
        char *sp = strchr(line, ' ');
        if (!sp || (line[0] != '+' && line[0] != '-'))
            return -EINVAL;
        *sp = 0;
        int kind = lists_kind_parse(line + 1);
        if (kind < 0)
            return -EINVAL;
        out[n++] = (list_change_t){line[0] == '+', (list_kind_t)kind, sp + 1};
    }
    return (long)n;
}

/* The match of kind k: the first label of the longest entry that is a
 * suffix of `name`, or -1. */
static int s_match(const lists_t *self, list_kind_t k, const name_t *name)
{
    if (!suffixset_size(self->top.added[k]) && !suffixset_size(self->top.removed[k]) &&
        !suffixset_size(self->mid->added[k]) && !suffixset_size(self->mid->removed[k]))
        return suffixset_match(self->base->set[k], name, 0);
    int best = -1;
    uint64_t h = suffixset_hash_init();
    for (size_t l = name->nlabels; l-- > 0;) {
        h = suffixset_hash_label(h, name->lower + name->off[l], name->len[l]);
        if (s_has(self, k, h, name, l))
            best = (int)l;
    }
    return best;
}

reason_t lists_check(const lists_t *self, const name_t *name)
{
    int allow = s_match(self, LIST_ALLOW, name);
    int block = s_match(self, LIST_BLOCK, name);
    /* The match is the first label of the matching suffix: smaller is more
     * specific. */
    if (block >= 0 && (allow < 0 || block < allow))
        return REASON_BLOCKLIST;
    if (allow >= 0)
        return REASON_ALLOWLIST;
    if (s_match(self, LIST_DROP, name) >= 0)
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

static uint32_t s_crc_table[256];
static pthread_once_t s_crc_once = PTHREAD_ONCE_INIT;

static void s_crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int b = 0; b < 8; b++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        s_crc_table[i] = c;
    }
}

uint32_t lists_crc32(uint32_t crc, const void *data, size_t len)
{
    pthread_once(&s_crc_once, s_crc_init);
    const uint8_t *p = data;
    crc = ~crc;
    for (size_t i = 0; i < len; i++)
        crc = s_crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}
