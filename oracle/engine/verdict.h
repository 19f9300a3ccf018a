/* oracle/engine/verdict.h - what a judgement says: the verdict, its reason
 * and the strength of its evidence.
 *
 * The types every layer passes around (the counters, the lists, the wire,
 * the log), apart from the engine that makes them (engine.h), so that code
 * which only reports a verdict does not depend on how it is reached. The
 * functions are defined in engine.c.
 */
#ifndef DNSORACLE_VERDICT_H
#define DNSORACLE_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "lexical.h"

/* Why a verdict is what it is; engine_reason_name() gives the text used in
 * logs, stats and replies. REASON_OK is 0. */
typedef enum {
    REASON_OK,
    REASON_ROOT,
    REASON_REVERSE,
    REASON_ALLOWLIST,
    REASON_SERVICE,
    REASON_INVALID,
    REASON_NON_LDH,
    REASON_LABEL_LENGTH,
    REASON_LABEL_COUNT,
    REASON_LENGTH,
    REASON_HEX,
    REASON_ENCODED,
    REASON_CASE,
    REASON_DIGITS,
    REASON_ENTROPY,
    REASON_BIGRAM,
    REASON_DROPLIST,  /* set by the daemon's drop list, never by the engine */
    REASON_BLOCKLIST, /* likewise, for the operator's block list */
    REASON_COUNT
} reason_t;

/* Returns the static text of a reason ("ok", "charset:hex", ...). */
const char *engine_reason_name(reason_t reason);

/* How strong the evidence against a name is (see above). */
typedef enum { EVIDENCE_NONE, EVIDENCE_WEAK, EVIDENCE_STRONG } evidence_t;

/* Returns "none", "weak" or "strong"; engine_evidence_parse() the reverse
 * (-1 when unknown). */
const char *engine_evidence_name(evidence_t e);
int engine_evidence_parse(const char *text);

typedef struct {
    bool good;           /* false only for strong evidence */
    evidence_t evidence; /* none when reason_id is not a failed test */
    double bits;         /* information in the subdomain part, bits */
    reason_t reason_id;
    const char *reason; /* engine_reason_name(reason_id) */
    size_t nlabels;     /* labels in the parsed name */
    size_t registrable; /* first label of the registrable domain, or nlabels */
    double bigram;      /* mean log2 P per pair (0 when no pairs) */
    size_t bigram_pairs;
    lexical_t f;   /* entropy and charset measurements of the subdomain */
    lexical_t reg; /* charset measurements of the registrable label */
} verdict_t;

#endif
