/* oracle/engine/lists.h - the drop, block and allow lists, in memory.
 *
 * A lists_t is never changed once it is shared, so every reader (a worker
 * of dnsoracled, a recursor thread of the hook) reads it without a lock. A
 * change makes a new lists_t: an immutable base and a middle delta, both
 * shared by reference with the old one, plus a small top delta (entries
 * added, entries below removed) copied and changed. A change therefore
 * costs the size of the top delta (at most 256 entries), not of the lists;
 * past that the top is merged into a new middle delta (a copy of it, once
 * per 256 changes), and once the middle outgrows max(4096, base / 16) it
 * is folded into a new base (a copy of everything, once per that many
 * changes). A lookup probes the base and, when there are deltas, their
 * tables at each label.
 *
 * Precedence, for a name covered by several entries: the operator's allow
 * and block lists beat the automatic drop list, always; between allow and
 * block, the entry with more labels (the more specific) wins, so blocking
 * d123.cloudfront.net works although cloudfront.net is allowed.
 *
 * The listbox that publishes them lives in listbox.h.
 */
#ifndef DNSORACLE_LISTS_H
#define DNSORACLE_LISTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "verdict.h"
#include "name.h"

typedef enum { LIST_DROP, LIST_BLOCK, LIST_ALLOW, LIST_KINDS } list_kind_t;

typedef struct lists lists_t;

/* One change: an entry added to, or removed from, one list. */
typedef struct {
    bool add;
    list_kind_t kind;
    const char *domain; /* lowercase presentation form; not owned */
} list_change_t;

/* Returns empty lists, or NULL when out of memory. */
lists_t *lists_new(void);

/* Frees them; accepts NULL and sets *self_p to NULL. The base is freed
 * with the last lists_t that shares it. */
void lists_destroy(lists_t **self_p);

/* Adds a domain suffix to one list while the lists are being built (made
 * by lists_new, not yet shared or changed). Returns 0, -EINVAL, -ENOMEM. */
int lists_add(lists_t *self, list_kind_t kind, const char *domain);

/* Returns new lists: `self` with the changes applied in order (a change
 * that changes nothing is skipped), sharing self's base, or NULL when out
 * of memory (a malformed domain is skipped). `self` is unchanged and stays
 * valid; the caller owns the result. */
lists_t *lists_change(const lists_t *self, const list_change_t *changes, size_t n);

/* Whether `domain` is an entry of list `kind` (not: covered by one). */
bool lists_has(const lists_t *self, list_kind_t kind, const char *domain);

/* The changes that turn `from` into `to`, into a new array (*out, owned by
 * the caller, free()) of *n changes whose domains point into `from` and
 * `to` (valid while they are). Returns 0 or -ENOMEM. */
int lists_diff(const lists_t *from, const lists_t *to, list_change_t **out, size_t *n);

/* Entries in one list. */
size_t lists_size(const lists_t *self, list_kind_t kind);

/* Entries in every list. */
size_t lists_total(const lists_t *self);

/* The generation: 0 for new lists, set by whoever publishes them. */
uint64_t lists_generation(const lists_t *self);
void lists_set_generation(lists_t *self, uint64_t generation);

/* Writes entries as "kind domain\n" lines into buf, from `cursor` (0: the
 * first entry) until about `cap` bytes are used; sets *next to the cursor of
 * the next chunk. Returns the bytes written (no NUL), and *more = whether
 * entries are left. The order is fixed for one lists_t, so a walk chunk by
 * chunk sees every entry exactly once. `cap` must exceed 300. */
size_t lists_chunk(const lists_t *self, uint64_t cursor, char *buf, size_t cap, uint64_t *next,
                   bool *more);

/* Adds to lists being built (as lists_add) the entries of a chunk as
 * lists_chunk() writes it, `len` bytes of "kind domain\n" lines at `text`
 * (changed in place). Returns 0, -EINVAL at the first line that is not
 * one (a bad kind, a malformed domain, no final newline), -ENOMEM; the
 * entries before it stay added. */
int lists_add_chunk(lists_t *self, char *text, size_t len);

/* Writes one change as a line of a change message: "+kind domain\n" (an
 * entry added) or "-kind domain\n" (removed). Returns the bytes written (no
 * NUL), or 0 when the line does not fit in `cap` bytes (nothing written). */
size_t lists_format_change(const list_change_t *change, char *buf, size_t cap);

/* Parses lines as lists_format_change() writes them from `text`
 * (NUL-terminated, changed in place: the domains of out[] point into it)
 * into out[], at most `cap` of them (the rest is not looked at). Returns
 * how many, or -EINVAL at the first line that is not one. */
long lists_parse_changes(char *text, list_change_t *out, size_t cap);

/* What the lists say about `name`: REASON_BLOCKLIST or REASON_DROPLIST (the
 * name is bad), REASON_ALLOWLIST (good whatever the tests say), or REASON_OK
 * (no entry covers it). */
reason_t lists_check(const lists_t *self, const name_t *name);

/* Applies the lists to a verdict the engine gave `name`, as every verdict
 * of dnsoracled and of the hook does: a block beats everything, a drop beats
 * all but an allow (the operator's, or the allow-list file's), an allow
 * makes the name good. `lists` may be NULL (no lists: *v unchanged). */
void lists_apply(const lists_t *lists, const name_t *name, verdict_t *v);

/* The name of a kind as stored in the database ("drop", "block", "allow"),
 * and back (-1 when unknown). */
const char *lists_kind_name(list_kind_t kind);
int lists_kind_parse(const char *text);

/* CRC-32 (IEEE 802.3, as zlib and MariaDB's CRC32()) of `len` bytes,
 * continuing from `crc` (0 to start): snapshot chunks carry it. */
uint32_t lists_crc32(uint32_t crc, const void *data, size_t len);

#endif
