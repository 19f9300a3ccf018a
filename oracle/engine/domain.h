/* oracle/engine/domain.h - the domain layer: evidence per registrable domain, over time.
 *
 * A name with weak evidence (engine.h) passes; what decides is what its
 * registrable domain does over time. Every judged name, from requests and
 * from the hooks' reports, is observed here: a name not seen recently adds to
 * its domain's decayed counters (time constant window_seconds, so they
 * approximate the distinct names of the last window):
 *
 *   names    distinct names;
 *   strong   names with strong evidence (each weighs 1);
 *   weak     names with weak evidence, each weighing bits/weak_bits (at most
 *            1): a 28-hex-digit C2 label weighs half, a CDN node id a tenth;
 *   bits     the information the names carry (their surprisal under the
 *            bigram model), the ibHH idea of a budget per domain;
 *   odd      names asked as TXT, NULL, CNAME, MX or ANY (these weigh twice);
 *   repeats  queries for names already counted: data is never asked twice;
 *   clients  distinct clients (up to few_clients + 1 kept), where known;
 *   days     distinct days with traffic (established after established_days).
 *
 * The rule (domain_decide) is the original "too many subdomains" rule with
 * each subdomain weighed by its evidence: a domain is cut off when
 *
 *   strong + weak >= threshold * F   and   flagged >= min_share * names
 *   or  bits >= bits_budget * F   and   flagged >= min_share / 3 * names
 *
 * where F is 1, times clients_factor when more than few_clients clients use
 * the domain, times established_factor when it is established (on the
 * established list, or seen on established_days days), times 1 + repeats /
 * names (at most repeat_factor): a domain whose names are asked again and
 * again is a service. A thousand plain host
 * names under apple.com weigh nothing; fifty encoded ones under a fresh
 * domain asked by one host weigh fifty. A domain crossing the line is cut at
 * once, in memory (domain_observe says so; later names under it are refused
 * for drop_seconds), and queued for the drop list (domain_take_cut).
 *
 * Memory is bounded whatever the traffic: at most max_domains domains (an
 * entry of about 150 bytes, a domain name of up to 254 more) and max_names
 * remembered name fingerprints (16 bytes each, in two generations of a hash
 * set); domain_memory() gives the bound. A full table evicts the entry with
 * the least evidence of a few sampled ones, never one that is cut.
 *
 * Thread-safe: the table is split into shards, each with its own lock, so the
 * workers observe names in parallel. Times are seconds on any clock the
 * caller chooses (monotonic in the daemon, the capture's in the replay).
 */
#ifndef DNSORACLE_DOMAIN_H
#define DNSORACLE_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "name.h"

/* Client hashes kept per domain: more show as "8+ clients" (few_clients
 * must stay below). */
#define DOMAIN_MAX_CLIENTS 8

typedef struct {
    double window_seconds;     /* time constant of the counters */
    double threshold;          /* weighted names that cut a domain off */
    double weak_bits;          /* bits for a weak name to weigh as a strong one */
    double min_share;          /* share of the names that must carry evidence */
    double bits_budget;        /* bits a domain may carry per window */
    unsigned few_clients;      /* more clients than this: clients_factor */
    double clients_factor;     /* thresholds times this for widely used domains */
    double established_factor; /* and times this for established ones */
    unsigned established_days; /* days with traffic that make a domain established */
    double repeat_factor;      /* at most this much more for names asked again */
    double drop_seconds;       /* how long a cut lasts */
    unsigned max_domains;      /* domains kept, at most */
    unsigned max_names;        /* name fingerprints kept, at most */
} domain_settings_t;

/* Fills `s` with the defaults (dnsoracle.conf.example, [domains]). */
void domain_settings_default(domain_settings_t *s);

/* What is known of one domain, at a time. */
typedef struct {
    char domain[NAME_MAX_TEXT + 1]; /* lowercased presentation form */
    double names;                   /* distinct names (decayed, as all these figures) */
    double flagged;                 /* of them with evidence, strong or weak */
    double strong;                  /* with strong evidence */
    double weak;                    /* with weak evidence, weighed by their bits */
    double bits, odd;
    double repeats;   /* queries for names already counted */
    unsigned clients; /* distinct clients seen, at most few_clients + 1; 0 = unknown */
    unsigned days;
    bool established;
    bool cut; /* cut off now */
} domain_evidence_t;

/* The decision, a pure function of the evidence: true = cut off. */
bool domain_decide(const domain_settings_t *s, const domain_evidence_t *e);

/* Writes the evidence as the reason text of a drop ("evidence: 23 names,
 * 21 strong, 1.2 weak, 5400 bits, 1 client"). Returns its length. */
int domain_reason(const domain_evidence_t *e, char *buf, size_t cap);

typedef struct domain domain_t;

/* Returns an empty domain layer, or NULL when out of memory. `established`
 * (may be NULL) holds registrable domains, one per line, '#' comments (the
 * established list's text); unparsable lines are skipped. */
domain_t *domain_new(const domain_settings_t *s, const char *established);

/* Frees it; accepts NULL and sets *self_p to NULL. */
void domain_destroy(domain_t **self_p);

/* One judged name. */
typedef struct {
    const name_t *name;
    size_t registrable; /* first label of the registrable domain (engine.h) */
    evidence_t evidence;
    double bits;
    unsigned qtype;  /* DNS type number, 0 = unknown */
    uint64_t client; /* a hash of the client address, 0 = unknown */
    double now;
} domain_obs_t;

typedef enum {
    DOMAIN_PASS,    /* nothing to do */
    DOMAIN_CUT,     /* the domain is cut off: refuse the name */
    DOMAIN_CUT_NOW, /* this name cut it off (told once per cut) */
    DOMAIN_SKIP     /* not counted: no registrable domain, or a special-use one */
} domain_result_t;

/* Observes a name; fills *e (may be NULL) with its domain's evidence when
 * the result is DOMAIN_CUT_NOW. Any thread. */
domain_result_t domain_observe(domain_t *self, const domain_obs_t *obs, domain_evidence_t *e);

/* Whether the registrable domain of `name` is cut off at `now`. */
bool domain_is_cut(domain_t *self, const name_t *name, size_t registrable, double now);

/* Takes the oldest cut not yet taken (for the drop list). Returns false
 * when there is none. */
bool domain_take_cut(domain_t *self, domain_evidence_t *e);

/* Calls fn for every domain with evidence (strong or weak names, or at
 * least a tenth of the bits budget), decayed to `now`, at most `max` of them.
 * Returns the number given. Do not call other domain_ functions from fn. */
typedef void (*domain_each_fn)(void *arg, const domain_evidence_t *e);
size_t domain_export(domain_t *self, double now, size_t max, domain_each_fn fn, void *arg);

/* Applies evidence summed elsewhere (every oracle on the database): if it
 * crosses the line the domain is cut off here too (queued as a cut when
 * it was not already cut). Returns true when that made a new cut. */
bool domain_merge(domain_t *self, const domain_evidence_t *sum, double now);

/* Domains held now, and the memory bound in bytes (the most it can use). */
size_t domain_count(domain_t *self);
size_t domain_memory(const domain_t *self);

/* The daemon's clock for the domain layer: seconds since the epoch
 * (CLOCK_REALTIME, so that days are UTC days and match the database's
 * timestamps). The replay passes the capture's times instead. */
double domain_now(void);

/* A hash of a client address text, never 0 (0 means unknown). */
uint64_t domain_client_hash(const char *text, size_t len);

#endif
