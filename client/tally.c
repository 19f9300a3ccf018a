/* client/tally.c - the replay's counters: per registrable domain, and names seen. */
#include "tally.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define S_ARENA_CHUNK 65536
#define S_EMPTY UINT32_MAX

/* An open-addressing set of 64-bit keys; 0 marks a free slot, so the key 0
 * is stored as 1 (one more collision in 2^64). */
typedef struct {
    uint64_t *slot;
    size_t cap, count; /* cap is a power of two, count <= cap / 2 */
} s_set_t;

typedef struct s_chunk {
    struct s_chunk *next;
    size_t used;
    char text[S_ARENA_CHUNK];
} s_chunk_t;

struct tally {
    tally_domain_t *domains;
    size_t count, cap;
    uint32_t *index; /* index_cap slots: S_EMPTY or an index into domains */
    size_t index_cap;
    s_chunk_t *arena;
    s_set_t sets[2];
};

/* FNV-1a, then the splitmix64 finaliser so every bit of the key is mixed. */
static uint64_t s_hash(const uint8_t *p, size_t len, uint64_t h)
{
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

uint64_t tally_key(const name_t *name, const char *text, size_t len)
{
    if (name)
        return s_hash(name->lower, name->length, 0xcbf29ce484222325ULL);
    uint8_t buf[NAME_MAX_INPUT];
    if (len && text[len - 1] == '.')
        len--;
    if (len > sizeof buf)
        len = sizeof buf;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)text[i];
        buf[i] = c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
    }
    return s_hash(buf, len, 0x84222325cbf29ce4ULL); /* another seed: never a parsed key */
}

tally_t *tally_new(void)
{
    tally_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->index_cap = 1024;
    self->index = malloc(self->index_cap * sizeof *self->index);
    if (!self->index) {
        free(self);
        return NULL;
    }
    memset(self->index, 0xff, self->index_cap * sizeof *self->index);
    return self;
}

void tally_destroy(tally_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    tally_t *self = *self_p;
    while (self->arena) {
        s_chunk_t *next = self->arena->next;
        free(self->arena);
        self->arena = next;
    }
    free(self->sets[0].slot);
    free(self->sets[1].slot);
    free(self->index);
    free(self->domains);
    free(self);
    *self_p = NULL;
}

size_t tally_count(const tally_t *self) { return self->count; }

tally_domain_t *tally_at(tally_t *self, size_t i)
{
    return i < self->count ? &self->domains[i] : NULL;
}

static const char *s_store(tally_t *self, const char *text, size_t len)
{
    if (!self->arena || self->arena->used + len + 1 > S_ARENA_CHUNK) {
        s_chunk_t *c = malloc(sizeof *c);
        if (!c)
            return NULL;
        c->next = self->arena;
        c->used = 0;
        self->arena = c;
    }
    char *out = self->arena->text + self->arena->used;
    memcpy(out, text, len);
    out[len] = '\0';
    self->arena->used += len + 1;
    return out;
}

/* Doubles the index and puts every domain back in it. */
static int s_grow_index(tally_t *self)
{
    size_t cap = self->index_cap * 2;
    uint32_t *index = malloc(cap * sizeof *index);
    if (!index)
        return -ENOMEM;
    memset(index, 0xff, cap * sizeof *index);
    for (size_t i = 0; i < self->count; i++) {
        size_t at = self->domains[i].hash & (cap - 1);
        while (index[at] != S_EMPTY)
            at = (at + 1) & (cap - 1);
        index[at] = (uint32_t)i;
    }
    free(self->index);
    self->index = index;
    self->index_cap = cap;
    return 0;
}

static tally_domain_t *s_add_domain(tally_t *self, size_t at, uint64_t hash, const char *text,
                                    size_t len)
{
    if (self->count == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 1024;
        tally_domain_t *d = realloc(self->domains, cap * sizeof *d);
        if (!d)
            return NULL;
        self->domains = d;
        self->cap = cap;
    }
    const char *stored = s_store(self, text, len);
    if (!stored || self->count >= S_EMPTY)
        return NULL;
    tally_domain_t *d = &self->domains[self->count];
    memset(d, 0, sizeof *d);
    d->domain = stored;
    d->hash = hash;
    d->tunnel = -1;
    self->index[at] = (uint32_t)self->count++;
    return d;
}

tally_domain_t *tally_domain(tally_t *self, const char *text, size_t len)
{
    uint64_t hash = s_hash((const uint8_t *)text, len, 0xcbf29ce484222325ULL);
    if (self->count + 1 > self->index_cap / 2 && s_grow_index(self) != 0)
        return NULL;
    size_t mask = self->index_cap - 1, at = hash & mask;
    while (self->index[at] != S_EMPTY) {
        tally_domain_t *d = &self->domains[self->index[at]];
        if (d->hash == hash && strncmp(d->domain, text, len) == 0 && d->domain[len] == '\0')
            return d;
        at = (at + 1) & mask;
    }
    return s_add_domain(self, at, hash, text, len);
}

static int s_set_grow(s_set_t *set)
{
    size_t cap = set->cap ? set->cap * 2 : 4096;
    uint64_t *slot = calloc(cap, sizeof *slot);
    if (!slot)
        return -ENOMEM;
    for (size_t i = 0; i < set->cap; i++) {
        if (!set->slot[i])
            continue;
        size_t at = set->slot[i] & (cap - 1);
        while (slot[at])
            at = (at + 1) & (cap - 1);
        slot[at] = set->slot[i];
    }
    free(set->slot);
    set->slot = slot;
    set->cap = cap;
    return 0;
}

int tally_add_name(tally_t *self, int refused, uint64_t key)
{
    s_set_t *set = &self->sets[refused != 0];
    if (set->count + 1 > set->cap / 2 && s_set_grow(set) != 0)
        return -ENOMEM;
    key = key ? key : 1;
    size_t mask = set->cap - 1, at = key & mask;
    while (set->slot[at]) {
        if (set->slot[at] == key)
            return 0;
        at = (at + 1) & mask;
    }
    set->slot[at] = key;
    set->count++;
    return 1;
}
