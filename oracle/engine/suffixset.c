/* oracle/engine/suffixset.c - a set of domain suffixes matched on label boundaries.
 *
 * Open addressing with linear probing over a power-of-two table kept at most
 * half full. Each slot keeps the full hash, the label count and a pointer to
 * the suffix text, so a probe compares bytes only on a full-hash match.
 */
#include "suffixset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t hash; /* 0 = empty slot */
    char *text;    /* lowercase, labels joined by '.' */
    uint16_t length;
    uint16_t nlabels;
} s_slot_t;

struct suffixset {
    s_slot_t *slots;
    size_t cap; /* power of two */
    size_t count;
};

#define S_FNV_OFFSET 0xcbf29ce484222325ULL
#define S_FNV_PRIME 0x100000001b3ULL

uint64_t suffixset_hash_init(void) { return S_FNV_OFFSET; }

uint64_t suffixset_hash_label(uint64_t h, const uint8_t *label, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        h ^= label[i];
        h *= S_FNV_PRIME;
    }
    h ^= 0x2e; /* label separator, so "ab.c" and "a.bc" differ */
    h *= S_FNV_PRIME;
    return h;
}

static uint64_t s_fix(uint64_t h) { return h ? h : 1; }

suffixset_t *suffixset_new(void)
{
    suffixset_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->cap = 64;
    self->slots = calloc(self->cap, sizeof *self->slots);
    if (!self->slots) {
        free(self);
        return NULL;
    }
    return self;
}

void suffixset_destroy(suffixset_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    suffixset_t *self = *self_p;
    for (size_t i = 0; i < self->cap; i++)
        free(self->slots[i].text);
    free(self->slots);
    free(self);
    *self_p = NULL;
}

size_t suffixset_size(const suffixset_t *self) { return self->count; }

static int s_grow(suffixset_t *self)
{
    size_t cap = self->cap * 2;
    s_slot_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -ENOMEM;
    for (size_t i = 0; i < self->cap; i++) {
        if (!self->slots[i].hash)
            continue;
        size_t j = self->slots[i].hash & (cap - 1);
        while (slots[j].hash)
            j = (j + 1) & (cap - 1);
        slots[j] = self->slots[i];
    }
    free(self->slots);
    self->slots = slots;
    self->cap = cap;
    return 0;
}

static const s_slot_t *s_find(const suffixset_t *self, uint64_t hash, const uint8_t *text,
                              size_t length, size_t nlabels)
{
    for (size_t j = hash & (self->cap - 1);; j = (j + 1) & (self->cap - 1)) {
        const s_slot_t *slot = &self->slots[j];
        if (!slot->hash)
            return NULL;
        if (slot->hash == hash && slot->length == length && slot->nlabels == nlabels &&
            memcmp(slot->text, text, length) == 0)
            return slot;
    }
}

int suffixset_add(suffixset_t *self, const char *suffix)
{
    name_t n;
    size_t len = strlen(suffix);
    if (len == 0 || memchr(suffix, '\\', len) || name_parse(suffix, len, &n) != 0 || n.nlabels == 0)
        return -EINVAL;
    uint64_t h = suffixset_hash_init();
    for (size_t l = n.nlabels; l-- > 0;)
        h = suffixset_hash_label(h, n.lower + n.off[l], n.len[l]);
    h = s_fix(h);
    if (s_find(self, h, n.lower, n.length, n.nlabels))
        return 0;
    if ((self->count + 1) * 2 > self->cap && s_grow(self) != 0)
        return -ENOMEM;
    char *text = malloc(n.length + 1);
    if (!text)
        return -ENOMEM;
    memcpy(text, n.lower, n.length + 1);
    size_t j = h & (self->cap - 1);
    while (self->slots[j].hash)
        j = (j + 1) & (self->cap - 1);
    self->slots[j] = (s_slot_t){h, text, (uint16_t)n.length, (uint16_t)n.nlabels};
    self->count++;
    return 0;
}

static size_t s_suffix_length(const name_t *name, size_t first)
{
    return name->length - name->off[first];
}

int suffixset_match(const suffixset_t *self, const name_t *name, size_t min_label)
{
    if (self->count == 0)
        return -1;
    int best = -1;
    uint64_t h = suffixset_hash_init();
    for (size_t l = name->nlabels; l-- > min_label;) {
        h = suffixset_hash_label(h, name->lower + name->off[l], name->len[l]);
        if (s_find(self, s_fix(h), name->lower + name->off[l], s_suffix_length(name, l),
                   name->nlabels - l))
            best = (int)l;
    }
    return best;
}

int suffixset_contains(const suffixset_t *self, const name_t *name, size_t first)
{
    if (self->count == 0 || first >= name->nlabels)
        return 0;
    uint64_t h = suffixset_hash_init();
    for (size_t l = name->nlabels; l-- > first;)
        h = suffixset_hash_label(h, name->lower + name->off[l], name->len[l]);
    return s_find(self, s_fix(h), name->lower + name->off[first], s_suffix_length(name, first),
                  name->nlabels - first) != NULL;
}

/* Backward-shift deletion: the slots after a freed one that would no
 * longer be found from their home slot move back, so probes never need
 * tombstones. */
int suffixset_remove(suffixset_t *self, const char *suffix)
{
    name_t n;
    size_t len = strlen(suffix);
    if (len == 0 || name_parse(suffix, len, &n) != 0 || n.nlabels == 0)
        return 0;
    uint64_t h = suffixset_hash_init();
    for (size_t l = n.nlabels; l-- > 0;)
        h = suffixset_hash_label(h, n.lower + n.off[l], n.len[l]);
    const s_slot_t *found = s_find(self, s_fix(h), n.lower, n.length, n.nlabels);
    if (!found)
        return 0;
    size_t mask = self->cap - 1, i = (size_t)(found - self->slots);
    free(self->slots[i].text);
    for (size_t j = (i + 1) & mask; self->slots[j].hash; j = (j + 1) & mask) {
        size_t home = self->slots[j].hash & mask;
        /* j's entry may move to i when i lies on its probe path */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            self->slots[i] = self->slots[j];
            i = j;
        }
    }
    self->slots[i] = (s_slot_t){0};
    self->count--;
    return 1;
}

suffixset_t *suffixset_copy(const suffixset_t *self)
{
    suffixset_t *copy = calloc(1, sizeof *copy);
    if (!copy)
        return NULL;
    copy->cap = self->cap;
    copy->slots = calloc(copy->cap, sizeof *copy->slots);
    if (!copy->slots) {
        free(copy);
        return NULL;
    }
    for (size_t i = 0; i < self->cap; i++) {
        if (!self->slots[i].hash)
            continue;
        copy->slots[i] = self->slots[i];
        copy->slots[i].text = strdup(self->slots[i].text);
        copy->count++;
        if (!copy->slots[i].text) {
            suffixset_destroy(&copy);
            return NULL;
        }
    }
    return copy;
}

const char *suffixset_next(const suffixset_t *self, size_t *cursor)
{
    for (size_t i = *cursor; i < self->cap; i++)
        if (self->slots[i].hash) {
            *cursor = i + 1;
            return self->slots[i].text;
        }
    *cursor = self->cap;
    return NULL;
}

int suffixset_contains_hashed(const suffixset_t *self, uint64_t hash, const name_t *name,
                              size_t first)
{
    if (self->count == 0 || first >= name->nlabels)
        return 0;
    return s_find(self, s_fix(hash), name->lower + name->off[first], s_suffix_length(name, first),
                  name->nlabels - first) != NULL;
}
