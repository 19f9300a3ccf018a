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
 * lock, to a publisher (oracle/wire/publish.c sends it to the hooks):
 *
 *   lists EPOCH GEN N\n        then N lines "+kind domain" or "-kind domain"
 *   lists EPOCH GEN reset\n    too many changes at once: fetch a snapshot
 *   lists EPOCH GEN 0\n        the heartbeat (listbox_tick), every second
 *
 * (docs/protocol.md). Each reader (a worker thread) has a slot: it reads
 * between listbox_enter() and listbox_leave(), and a replaced version is
 * freed once every reader has left the versions that could see it, however
 * long a reader stalls (never after a fixed delay alone), and, when a
 * snapshot began on it (listbox_want), keep_seconds after that, so that a
 * hook fetching a snapshot chunk by chunk over several requests still
 * finds it (listbox_find).
 */
#ifndef DNSORACLE_LISTBOX_H
#define DNSORACLE_LISTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "lists.h"

typedef struct listbox listbox_t;

/* How long dnsoracled keeps a replaced version findable: a hook fetches a
 * million entries' snapshot in a few seconds. */
#define LISTBOX_KEEP_SECONDS 30

/* Receives one message (`len` bytes at `text`, valid during the call). */
typedef void (*listbox_publish_fn)(void *arg, const char *text, size_t len);

/* Returns an empty box (readers get NULL: no lists) with `readers` reader
 * slots (0 .. readers-1) that keeps a replaced version on which a snapshot
 * began findable for `keep_seconds` after it began, or NULL on no memory. */
listbox_t *listbox_new(unsigned readers, unsigned keep_seconds);

/* Frees the box and every lists_t it holds; only when no reader remains. */
void listbox_destroy(listbox_t **self_p);

/* Messages go to fn(arg, ...) from now on; `endpoint` and `curve_endpoint`
 * (copied) are where hooks subscribe, without CURVE and with it, told them
 * in snapshot replies ("" or NULL = nowhere). */
void listbox_set_publisher(listbox_t *self, listbox_publish_fn fn, void *arg, const char *endpoint,
                           const char *curve_endpoint);

/* Reader `reader` (one thread per slot) begins to read: returns the current
 * lists, or NULL, valid until its listbox_leave(). Never blocks. */
const lists_t *listbox_enter(listbox_t *self, unsigned reader);

/* Reader `reader` is done with what listbox_enter() and listbox_find() gave. */
void listbox_leave(listbox_t *self, unsigned reader);

/* For reader `reader`, between its listbox_enter() and listbox_leave(): the
 * version of generation `generation` while it is still held (current, or
 * retired and kept), else NULL. Takes the lock. */
const lists_t *listbox_find(listbox_t *self, unsigned reader, uint64_t generation);

/* A snapshot begins on generation `generation` (the version a reader
 * holds): keep it findable for keep_seconds from now, even once replaced.
 * At most 16 at once; the oldest is forgotten. Takes the lock. */
void listbox_want(listbox_t *self, uint64_t generation);

/* Entries in each list of the current lists (0 without lists), for any
 * thread that is not a reader (the statistics, the control thread). */
void listbox_sizes(listbox_t *self, size_t sizes[LIST_KINDS]);

/* Replaced versions still held (after freeing those it can): what stalled
 * readers and snapshots in progress hold. */
size_t listbox_retired(listbox_t *self);

/* This box's epoch, and where hooks subscribe, without CURVE and with it
 * ("" = nowhere). */
uint64_t listbox_epoch(const listbox_t *self);
const char *listbox_endpoint(const listbox_t *self);
const char *listbox_curve_endpoint(const listbox_t *self);

/* A change message as the box publishes it (above), parsed. */
typedef struct {
    uint64_t epoch, generation;
    long count; /* change lines that follow (0: a heartbeat), -1: a reset */
    char *body; /* those lines, inside the message: lists_parse_changes() */
} listbox_message_t;

/* Parses a message `len` bytes long, NUL-terminated at msg[len] and changed
 * in place, into *out. Returns 0, or -EINVAL when it is not one. */
int listbox_parse_message(char *msg, size_t len, listbox_message_t *out);

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
