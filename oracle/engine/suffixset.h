/* oracle/engine/suffixset.h - a set of domain suffixes matched on label boundaries.
 *
 * Used for the allow list, the PSL walk and (later) the drop list. Entries are
 * lowercase presentation names without a final dot ("example.co.uk"). A name
 * matches an entry when the entry is one of its label-aligned suffixes:
 * "example.com" matches "a.example.com" and "example.com", never
 * "badexample.com". Lookups walk the name from its last label leftwards with
 * an incremental hash, so a check costs one probe per label and allocates
 * nothing. A set is not thread-safe for writing; concurrent readers are fine
 * once it is built.
 */
#ifndef DNSORACLE_SUFFIXSET_H
#define DNSORACLE_SUFFIXSET_H

#include <stddef.h>
#include <stdint.h>

#include "name.h"

typedef struct suffixset suffixset_t;

/* Returns a new empty set, or NULL when out of memory. */
suffixset_t *suffixset_new(void);

/* Frees the set; accepts NULL and sets *self_p to NULL. */
void suffixset_destroy(suffixset_t **self_p);

/* Adds a suffix given in presentation form (case-insensitive, an optional
 * final dot, no escapes). Returns 0 (also when already present), -EINVAL for
 * a malformed suffix, -ENOMEM. */
int suffixset_add(suffixset_t *self, const char *suffix);

/* Number of entries. */
size_t suffixset_size(const suffixset_t *self);

/* Returns the index of the first label of the longest entry that is a suffix
 * of `name` and starts at or after label `min_label`, or -1 when none does. */
int suffixset_match(const suffixset_t *self, const name_t *name, size_t min_label);

/* Returns 1 when the suffix of `name` starting at label `first` is itself an
 * entry, else 0. */
int suffixset_contains(const suffixset_t *self, const name_t *name, size_t first);

/* Removes a suffix (presentation form). Returns 1 when it was there, else 0. */
int suffixset_remove(suffixset_t *self, const char *suffix);

/* Returns a copy of the set, or NULL when out of memory. */
suffixset_t *suffixset_copy(const suffixset_t *self);

/* Walks the entries in table order: returns the entry at or after slot
 * *cursor (0 to start) and moves *cursor past it, or NULL at the end. The
 * text belongs to the set. A cursor stays meaningful while the set is not
 * changed, so a walk can be resumed later (the lists' snapshot chunks). */
const char *suffixset_next(const suffixset_t *self, size_t *cursor);

/* suffixset_contains() with the hash of that suffix already computed
 * (suffixset_hash_label() from the last label to `first`). */
int suffixset_contains_hashed(const suffixset_t *self, uint64_t hash, const name_t *name,
                              size_t first);

/* The hash of a suffix grows leftwards one label at a time; these let other
 * modules key their own tables the same way. */
uint64_t suffixset_hash_init(void);
uint64_t suffixset_hash_label(uint64_t h, const uint8_t *label, size_t len);

#endif
