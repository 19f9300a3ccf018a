/* oracle/droplist.h - the drop list's SQL: counting, expiring, loading.
 *
 * Shared by the timer thread (cron.h) and the control thread (control.h),
 * each with its own store_t. Several dnsoracled instances may share one
 * database: the update takes a named lock (GET_LOCK) so that only one
 * instance computes it at a time, and the result depends only on the
 * database, so every instance loads the same drop list.
 */
#ifndef DNSORACLE_DROPLIST_H
#define DNSORACLE_DROPLIST_H

#include "config.h"
#include "lists.h"
#include "store.h"

/* Adds to the drop list every registrable domain with more than
 * subdomain_threshold distinct names seen within window_seconds (reason:
 * the count), for drop_seconds; deletes expired entries of every list.
 * Returns 0 (also when another instance holds the lock: *changed is then
 * 0), or a store error. */
int droplist_update(store_t *store, const config_t *cfg, unsigned long long *changed);

/* Deletes names not seen for retention_seconds, in batches of 10,000 (at
 * most 100 batches a call). Returns 0 or a store error. */
int droplist_retention(store_t *store, const config_t *cfg, unsigned long long *deleted);

/* Reads every unexpired list entry into new lists (*out, owned by the
 * caller). Returns 0 or a store error (then *out is NULL). */
int droplist_load(store_t *store, lists_t **out);

#endif
