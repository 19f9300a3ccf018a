/* oracle/engine/listbox.h - the lists dnsoracled judges with, and their changes.
 *
 * A listbox holds the current lists_t behind an atomic pointer that workers
 * load once a request, and numbers every version: an epoch (made when the
 * box is, so a restarted oracle never repeats a number) and a generation
 * that grows by one for every change message. Writers (the control thread,
 * the timer) change the lists by entries (listbox_change: a block, a cut)
 * or hand it lists reread from the database (listbox_reload: the box
 * applies only the difference). Either way the new version shares the old
 * one's base (lists.h), so a single change never rebuilds a million
 * entries, and every change is handed, in order and under the writers'
 * lock, to a publisher (oracle/publish.c sends it to the hooks):
 *
 *   lists EPOCH GEN N\n        then N lines "+kind domain" or "-kind domain"
 *   lists EPOCH GEN reset\n    too many changes at once: fetch a snapshot
 *   lists EPOCH GEN 0\n        the heartbeat (listbox_tick), every second
 *
 * (docs/protocol.md). A replaced version is freed once it has been retired
 * for a grace period far longer than any request, so no reader, nor a
 * snapshot being fetched chunk by chunk (listbox_find), still holds it.
 */
#ifndef DNSORACLE_LISTBOX_H
#define DNSORACLE_LISTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "lists.h"

typedef struct listbox listbox_t;

/* Receives one message (`len` bytes at `text`, valid during the call). */
typedef void (*listbox_publish_fn)(void *arg, const char *text, size_t len);

/* Returns an empty box (readers get NULL: no lists), or NULL on no memory. */
listbox_t *listbox_new(void);

/* Frees the box and every lists_t it holds; only when no reader remains. */
void listbox_destroy(listbox_t **self_p);

/* Messages go to fn(arg, ...) from now on; `endpoint` (copied) is where
 * hooks subscribe, told them in snapshot replies ("" = nowhere). */
void listbox_set_publisher(listbox_t *self, listbox_publish_fn fn, void *arg, const char *endpoint);

/* The current lists, or NULL. Valid for one request (the grace period). */
const lists_t *listbox_get(listbox_t *self);

/* The version of generation `generation` while it is still held (current
 * or retired less than the grace period ago), else NULL. Valid for one
 * request. */
const lists_t *listbox_find(listbox_t *self, uint64_t generation);

/* This box's epoch, and where hooks subscribe ("" = nowhere). */
uint64_t listbox_epoch(const listbox_t *self);
const char *listbox_endpoint(const listbox_t *self);

/* Publishes `lists` whole (ownership passes to the box): a reset message.
 * Any thread may call it. */
void listbox_put(listbox_t *self, lists_t *lists);

/* Applies `n` changes to the current lists (which must exist) and
 * publishes those that change something. Returns 0, or -ENOMEM (nothing
 * changed). */
int listbox_change(listbox_t *self, const list_change_t *changes, size_t n);

/* Takes `lists` (ownership passes to the box), the lists as reread from
 * the database: the difference from the current ones is applied and
 * published as changes, or as a reset when it is large. Returns the number
 * of changes (0: none), or -ENOMEM. */
long listbox_reload(listbox_t *self, lists_t *lists);

/* Publishes the heartbeat: the epoch and generation, no change. */
void listbox_tick(listbox_t *self);

#endif
