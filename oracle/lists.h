/* oracle/lists.h - the drop, block and allow lists, in memory.
 *
 * A lists_t is built from the database's `lists` table and never changed
 * after that, so every worker can read it without a lock. A new one replaces
 * it through a listbox: an atomic pointer that each reader (a worker, with
 * its own slot) loads once a request between listbox_enter() and
 * listbox_leave(); the box counts generations, and an old object is freed
 * once every reader has left the generations that could see it, however
 * long a reader stalls (never after a fixed delay).
 *
 * Precedence, for a name covered by several entries: the operator's allow
 * and block lists beat the automatic drop list, always; between allow and
 * block, the entry with more labels (the more specific) wins, so blocking
 * d123.cloudfront.net works although cloudfront.net is allowed.
 */
#ifndef DNSORACLE_LISTS_H
#define DNSORACLE_LISTS_H

#include <stddef.h>

#include "engine.h"
#include "name.h"

typedef enum { LIST_DROP, LIST_BLOCK, LIST_ALLOW, LIST_KINDS } list_kind_t;

typedef struct lists lists_t;

/* Returns empty lists, or NULL when out of memory. */
lists_t *lists_new(void);

/* Frees them; accepts NULL and sets *self_p to NULL. */
void lists_destroy(lists_t **self_p);

/* Adds a domain suffix to one list. Returns 0, -EINVAL, -ENOMEM. */
int lists_add(lists_t *self, list_kind_t kind, const char *domain);

/* Every entry as text, "kind domain\n" each, in the order added (the
 * \0lists command sends it to the Lua hook). Owned by the lists. */
const char *lists_text(const lists_t *self, size_t *len);

/* Entries in one list. */
size_t lists_size(const lists_t *self, list_kind_t kind);

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

/* ---- publishing -------------------------------------------------------- */

typedef struct listbox listbox_t;

/* Returns an empty box (readers get NULL: no lists) for `readers` reader
 * slots (0 .. readers-1), or NULL on no memory. */
listbox_t *listbox_new(unsigned readers);

/* Frees the box and every lists_t it holds; only when no reader remains.
 * Accepts NULL, sets *self_p to NULL. */
void listbox_destroy(listbox_t **self_p);

/* Reader `reader` (one thread per slot) begins to read: returns the current
 * lists, or NULL, valid until its listbox_leave(). Never blocks. */
const lists_t *listbox_enter(listbox_t *self, unsigned reader);

/* Reader `reader` is done with what listbox_enter() gave it. */
void listbox_leave(listbox_t *self, unsigned reader);

/* Publishes `lists` (ownership passes to the box); any thread may call it.
 * Frees the replaced objects no reader can still hold. */
void listbox_put(listbox_t *self, lists_t *lists);

/* Entries in each list of the current lists (0 without lists), for any
 * thread that is not a reader (the statistics, the control thread). */
void listbox_sizes(listbox_t *self, size_t sizes[LIST_KINDS]);

/* Replaced objects still waiting for a reader to move on (after freeing
 * those none waits for): what a stalled reader holds. */
size_t listbox_retired(listbox_t *self);

#endif
