/* client/tally.h - the replay's counters: per registrable domain, and names seen.
 *
 * dnsoracle_replay keeps no name, only counters: one tally_domain_t per
 * registrable domain (a hash table keyed by the domain's text, the texts in
 * an arena), and two sets of 64-bit name keys, for the distinct names and
 * the distinct refused names. A domain costs about 110 bytes (twice that
 * for a moment when its table doubles) and a name 16 to 32: a million
 * domains and ten million names take some 300 to 450 MB. (One million
 * domains of one name each replay in 170 MB, the domain layer included.)
 *
 * A name's key is tally_key(): a hash of the parsed, lowercased name (so
 * case and a trailing dot make no difference), or of the lowercased text when
 * the name does not parse. Keys of different names collide with a chance of
 * about n^2 / 2^65: none in practice.
 */
#ifndef DNSORACLE_TALLY_H
#define DNSORACLE_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "name.h"

typedef struct {
    const char *domain;          /* registrable domain, lowercased, or "(none)" */
    uint64_t hash;               /* of the domain text */
    double first_time;           /* of its first query */
    double refused_after;        /* seconds from the first query to the first refusal */
    uint32_t queries, names;     /* queries, distinct names */
    uint32_t refused;            /* refused queries */
    uint32_t first_refused;      /* query number (1-based) of the first refusal, 0 = none */
    uint32_t cut_at;             /* query number of the cut, 0 = never cut */
    uint32_t data, data_refused; /* tunnel-labelled names with a label of 16+ bytes */
    uint32_t short_after;        /* other tunnel-labelled names from the cut on */
    uint32_t short_after_refused;
    int32_t tunnel; /* index of the first tunnel label of its names, -1 = none */
    uint8_t reason; /* reason_t of the first refusal */
} tally_domain_t;

typedef struct tally tally_t;

/* Returns an empty tally, or NULL when out of memory. */
tally_t *tally_new(void);

/* Frees it and every domain text; accepts NULL and sets *self_p to NULL. */
void tally_destroy(tally_t **self_p);

/* The counters of a domain (`len` bytes of text), made zeroed (tunnel -1)
 * on first use. Returns NULL when out of memory. The pointer is valid until
 * the next call of tally_domain(); the text until tally_destroy(). */
tally_domain_t *tally_domain(tally_t *self, const char *text, size_t len);

/* Domains held, and domain i of them (0 <= i < tally_count()), in the order
 * they were first seen. */
size_t tally_count(const tally_t *self);
tally_domain_t *tally_at(tally_t *self, size_t i);

/* Adds a name key to the set of names seen (refused = 0) or of refused names
 * seen (refused = 1). Returns 1 when it was new, 0 when it was there, or
 * -ENOMEM. */
int tally_add_name(tally_t *self, int refused, uint64_t key);

/* The key of a name: of its parsed form when `name` is not NULL, else of
 * the `len` bytes of text, lowercased and without a trailing dot. */
uint64_t tally_key(const name_t *name, const char *text, size_t len);

#endif
