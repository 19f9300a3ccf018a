/* oracle/engine/judge.h - one verdict path: the engine, the domain layer, the lists.
 *
 * Every verdict dnsoracled, the hook's C module and the replay tool give goes
 * through judge_name(), so they cannot disagree:
 *
 *   1. the engine (engine.h): lexical tests, with strong or weak evidence;
 *   2. the domain layer (domain.h), where there is one: the name is
 *      observed for its registrable domain, and a domain that is cut off (or
 *      that this name cuts off) makes the name false, reason "droplist";
 *   3. the lists (lists.h): block beats everything, an allow (the
 *      operator's or the allow-list file's) beats a drop.
 *
 * Names the engine passes without looking (the root, well-formed reverse
 * names, the allow-list file's names) and names under an operator's allow
 * entry are not observed: they can never be cut.
 */
#ifndef DNSORACLE_JUDGE_H
#define DNSORACLE_JUDGE_H

#include <stdint.h>

#include "domain.h"
#include "engine.h"
#include "lists.h"
#include "name.h"

/* What a verdict is judged with; none of it owned. */
typedef struct {
    const engine_t *engine;
    const lists_t *lists; /* NULL: no lists */
    domain_t *domains;    /* NULL: no domain layer (the hook) */
} judge_t;

/* What is known of the query besides its name. */
typedef struct {
    unsigned qtype;  /* 0 = unknown */
    uint64_t client; /* domain_client_hash() of the address, 0 = unknown */
    double now;      /* seconds (the domain layer's clock) */
} judge_query_t;

/* Whether the domain layer counts names the engine gave this reason. */
bool judge_observed(reason_t reason);

/* Whether a verdict's name is stored as a good name (the names table, for
 * reporting): answered true on its merits, with no evidence or weak
 * evidence; not exemptions, allow-listed or service names. */
bool judge_storable(const verdict_t *v);

/* Judges a parsed name into *v (v->good, v->reason as engine.h). Returns
 * what the domain layer said (DOMAIN_SKIP without one); on DOMAIN_CUT_NOW
 * *cut (may be NULL) holds the evidence that cut the domain off. */
domain_result_t judge_name(const judge_t *j, const name_t *name, const judge_query_t *q,
                           verdict_t *v, domain_evidence_t *cut);

/* The same verdict as judge_name() with every score computed (\0explain),
 * observing nothing: a question about a name, not a query for it. */
void judge_explain(const judge_t *j, const name_t *name, double now, verdict_t *v);

/* For the hook asking the oracle (query = oracle): whether the lists settle
 * `name`, i.e. give it the verdict the oracle's judge_name() would give
 * whatever the oracle's domain layer says; if so *v holds that verdict
 * (judge_name() without the domain layer), else *v is untouched and the
 * name is the oracle's to judge. They settle every name an entry covers: a
 * block, or an allow that beats it, decides alone, and so does a drop,
 * except against the allow-list file's verdict (the engine's allowlist),
 * which the domain layer never counts. */
bool judge_settled(const judge_t *j, const name_t *name, verdict_t *v);

/* Whether a verdict of judge_name() made without the domain layer (the
 * hook, query = local) is reported to the oracle's: one its domain layer
 * counts (judge_observed() of the engine's reason), or one the block or
 * drop list refused (the oracle keeps counting a domain it cut off, and
 * renews the cut). One the lists allow is not: it can never be cut. A
 * refused name the engine would not have observed (a reverse name under a
 * blocked domain) is reported too: harmless, its evidence is none. */
bool judge_reportable(const verdict_t *v);

/* Observes a name already judged elsewhere (a hook's report with its
 * evidence): the domain layer only, then the verdict the name is stored
 * by into *v: good unless the evidence is strong, the domain layer cut its
 * domain off or the lists refuse it; reason ok for no evidence, else a
 * test's (the report has the strength, not the test), so that
 * judge_storable() keeps the names a hook let pass. Returns as
 * judge_name(). */
domain_result_t judge_report(const judge_t *j, const name_t *name, evidence_t evidence, double bits,
                             const judge_query_t *q, verdict_t *v, domain_evidence_t *cut);

#endif
