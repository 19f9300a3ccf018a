/* oracle/engine/judge.c - one verdict path: the engine, the domain layer, the lists. */
#include "judge.h"

bool judge_observed(reason_t reason)
{
    return reason != REASON_ROOT && reason != REASON_REVERSE && reason != REASON_ALLOWLIST &&
           reason != REASON_INVALID;
}

bool judge_storable(const verdict_t *v)
{
    return v->good && (v->reason_id == REASON_OK ||
                       (v->reason_id >= REASON_NON_LDH && v->reason_id <= REASON_BIGRAM));
}

static domain_result_t s_observe(const judge_t *j, const name_t *name, size_t reg,
                                 evidence_t evidence, double bits, const judge_query_t *q,
                                 domain_evidence_t *cut)
{
    domain_obs_t obs = {name, reg, evidence, bits, q->qtype, q->client, q->now};
    return domain_observe(j->domains, &obs, cut);
}

/* Whether the domain layer counts this name: not under an operator's allow
 * entry (it can never be cut), and a reason judge_observed() counts. */
static bool s_counted(const judge_t *j, const name_t *name, const verdict_t *v)
{
    return j->domains && judge_observed(v->reason_id) &&
           !(j->lists && lists_check(j->lists, name) == REASON_ALLOWLIST);
}

/* A domain cut off makes the name false, reason droplist; then the lists. */
static void s_finish(const judge_t *j, const name_t *name, bool cut, verdict_t *v)
{
    if (cut) {
        v->good = false;
        v->reason_id = REASON_DROPLIST;
    }
    lists_apply(j->lists, name, v);
    v->reason = engine_reason_name(v->reason_id);
}

domain_result_t judge_name(const judge_t *j, const name_t *name, const judge_query_t *q,
                           verdict_t *v, domain_evidence_t *cut)
{
    domain_result_t r = DOMAIN_SKIP;
    engine_check_name(j->engine, name, v);
    if (s_counted(j, name, v))
        r = s_observe(j, name, v->registrable, v->evidence, v->bits, q, cut);
    s_finish(j, name, r == DOMAIN_CUT || r == DOMAIN_CUT_NOW, v);
    return r;
}

void judge_explain(const judge_t *j, const name_t *name, double now, verdict_t *v)
{
    engine_check_name_all(j->engine, name, v);
    s_finish(j, name, s_counted(j, name, v) && domain_is_cut(j->domains, name, v->registrable, now),
             v);
}

bool judge_settled(const judge_t *j, const name_t *name, verdict_t *v)
{
    if (!j->lists || lists_check(j->lists, name) == REASON_OK)
        return false;
    judge_t here = {j->engine, j->lists, NULL};
    judge_query_t q = {0, 0, 0};
    judge_name(&here, name, &q, v, NULL);
    return true;
}

bool judge_reportable(const verdict_t *v)
{
    if (v->reason_id == REASON_BLOCKLIST || v->reason_id == REASON_DROPLIST)
        return true;
    return judge_observed(v->reason_id);
}

domain_result_t judge_report(const judge_t *j, const name_t *name, evidence_t evidence, double bits,
                             const judge_query_t *q, verdict_t *v, domain_evidence_t *cut)
{
    size_t reg = engine_registrable(j->engine, name);
    domain_result_t r = DOMAIN_SKIP;
    if (j->domains)
        r = s_observe(j, name, reg, evidence, bits, q, cut);
    *v = (verdict_t){.good = evidence != EVIDENCE_STRONG,
                     .evidence = evidence,
                     .bits = bits,
                     .reason_id = evidence == EVIDENCE_NONE ? REASON_OK : REASON_BIGRAM,
                     .nlabels = name->nlabels,
                     .registrable = reg};
    s_finish(j, name, r == DOMAIN_CUT || r == DOMAIN_CUT_NOW, v);
    return r;
}
