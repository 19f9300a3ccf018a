/* client/labels.c - what each name is known to be, for measuring a replay. */
#include "labels.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"
#include "name.h"
#include "tally.h"

#define S_MAX_LABELS 65535
#define S_UNLABELLED "unlabelled"

typedef struct {
    uint64_t key; /* 0 = free; a key of 0 is stored as 1, as in tally.c */
    uint16_t label;
} s_slot_t;

struct labels {
    char **names; /* count labels, the last one S_UNLABELLED once loaded */
    size_t count, names_cap;
    s_slot_t *slot;
    size_t cap, used;
    unsigned long *skipped;
    int failed;
};

/* Adds a label; returns its index. */
static int s_append(labels_t *self, const char *text, size_t len)
{
    if (self->count == S_MAX_LABELS)
        return -ENOSPC;
    if (self->count == self->names_cap) {
        size_t cap = self->names_cap ? self->names_cap * 2 : 16;
        char **names = realloc(self->names, cap * sizeof *names);
        if (!names)
            return -ENOMEM;
        self->names = names;
        self->names_cap = cap;
    }
    char *copy = strndup(text, len);
    if (!copy)
        return -ENOMEM;
    self->names[self->count] = copy;
    return (int)self->count++;
}

/* The index of a label of the file, added when new. */
static int s_label(labels_t *self, const char *text, size_t len)
{
    for (size_t i = 0; i < self->count; i++) {
        if (strlen(self->names[i]) == len && memcmp(self->names[i], text, len) == 0)
            return (int)i;
    }
    return s_append(self, text, len);
}

static int s_grow(labels_t *self)
{
    size_t cap = self->cap ? self->cap * 2 : 4096;
    s_slot_t *slot = calloc(cap, sizeof *slot);
    if (!slot)
        return -ENOMEM;
    for (size_t i = 0; i < self->cap; i++) {
        if (!self->slot[i].key)
            continue;
        size_t at = self->slot[i].key & (cap - 1);
        while (slot[at].key)
            at = (at + 1) & (cap - 1);
        slot[at] = self->slot[i];
    }
    free(self->slot);
    self->slot = slot;
    self->cap = cap;
    return 0;
}

static int s_put(labels_t *self, uint64_t key, int label)
{
    if (self->used + 1 > self->cap / 2 && s_grow(self) != 0)
        return -ENOMEM;
    key = key ? key : 1;
    size_t at = key & (self->cap - 1);
    while (self->slot[at].key) {
        if (self->slot[at].key == key)
            return 0; /* the first label stays */
        at = (at + 1) & (self->cap - 1);
    }
    self->slot[at].key = key;
    self->slot[at].label = (uint16_t)label;
    self->used++;
    return 0;
}

static int s_line(void *user, const char *line, size_t len)
{
    labels_t *self = user;
    if (len == 0 || line[0] == '#')
        return 0;
    const char *tab = memchr(line, '\t', len);
    if (!tab || tab == line || tab + 1 == line + len) {
        (*self->skipped)++;
        return 0;
    }
    const char *text = tab + 1;
    size_t tlen = (size_t)(line + len - text);
    name_t name;
    int parsed = name_parse(text, tlen, &name) == 0;
    int label = s_label(self, line, (size_t)(tab - line));
    if (label < 0 || s_put(self, tally_key(parsed ? &name : NULL, text, tlen), label) != 0) {
        self->failed = label == -ENOSPC ? -ENOSPC : -ENOMEM;
        return 1;
    }
    return 0;
}

labels_t *labels_load(const char *prog, const char *path, unsigned long *skipped)
{
    labels_t *self = calloc(1, sizeof *self);
    if (!self) {
        fprintf(stderr, "%s: %s: out of memory\n", prog, path);
        return NULL;
    }
    self->skipped = skipped;
    if (lines_each(prog, path, s_line, self) != 0)
        goto fail;
    /* appended even when the file has a label of that name: it is always the last */
    if (self->failed == 0 && s_append(self, S_UNLABELLED, strlen(S_UNLABELLED)) < 0)
        self->failed = -ENOMEM;
    if (self->failed != 0) {
        fprintf(stderr, "%s: %s: %s\n", prog, path,
                self->failed == -ENOSPC ? "more than 65534 labels" : "out of memory");
        goto fail;
    }
    return self;
fail:
    labels_destroy(&self);
    return NULL;
}

void labels_destroy(labels_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    labels_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        free(self->names[i]);
    free(self->names);
    free(self->slot);
    free(self);
    *self_p = NULL;
}

size_t labels_find(const labels_t *self, uint64_t key)
{
    key = key ? key : 1;
    if (self->cap) {
        size_t at = key & (self->cap - 1);
        while (self->slot[at].key) {
            if (self->slot[at].key == key)
                return self->slot[at].label;
            at = (at + 1) & (self->cap - 1);
        }
    }
    return self->count - 1;
}

size_t labels_count(const labels_t *self) { return self->count; }

const char *labels_name(const labels_t *self, size_t i) { return self->names[i]; }

bool labels_tunnel(const labels_t *self, size_t i)
{
    return strncmp(self->names[i], "tunnel:", 7) == 0;
}
