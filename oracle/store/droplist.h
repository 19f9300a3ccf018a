/* oracle/store/droplist.h - the drop list's SQL: counting, expiring, loading.
 *
 * Shared by the timer thread (cron.h) and the control thread (control.h),
 * each with its own store_t. Several dnsoracled instances may share one
 * database: each writes its own rows of the `evidence` table (keyed by
 * domain and instance) and decides on the sums of all of them with the same
 * rule (domain_decide), so a tunnel split over two resolvers is still cut
 * off, and every instance loads the same drop list.
 */
#ifndef DNSORACLE_DROPLIST_H
#define DNSORACLE_DROPLIST_H

#include "config.h"
#include "domain.h"
#include "lists.h"
#include "store.h"

/* Puts a domain the domain layer cut off (domain.h) on the drop list, with
 * its evidence as the reason, for drop_seconds; an operator's block or allow
 * entry for it stays as it is (an allow still wins). Domains that are not
 * plain LDH text are not stored (-EINVAL). Returns 0 or a store error. */
int droplist_cut(store_t *store, const config_t *cfg, const domain_evidence_t *e);

/* This oracle's name in the evidence table: its host and first endpoint
 * (two oracles on one host are two instances), into buf (64 bytes). */
void droplist_instance(const config_t *cfg, char *buf, size_t cap);

/* Puts every cut the domain layer has queued on the drop list (the cuts
 * the database refused are lost from the queue, not from the layer's
 * memory). Returns the number stored, or a negative store error. */
int droplist_take_cuts(store_t *store, const config_t *cfg, domain_t *domains);

/* The evidence exchange of several oracles on one database: writes this
 * instance's evidence (at most 10,000 domains, those with the most), reads
 * back the evidence of every instance summed per domain, and hands each sum
 * to domain_merge(), which cuts off (and queues for droplist_cut) what
 * crosses the line only there. Then deletes evidence older than two
 * windows and expired entries of every list. *cuts = domains newly cut.
 * Returns 0 or a store error. */
int droplist_update(store_t *store, const config_t *cfg, domain_t *domains, const char *instance,
                    double now, unsigned long long *cuts);

/* Deletes names not seen for retention_seconds, in batches of 10,000 (at
 * most 100 batches a call). Returns 0 or a store error. */
int droplist_retention(store_t *store, const config_t *cfg, unsigned long long *deleted);

/* Reads every unexpired list entry into new lists (*out, owned by the
 * caller). Returns 0 or a store error (then *out is NULL). */
int droplist_load(store_t *store, lists_t **out);

#endif
