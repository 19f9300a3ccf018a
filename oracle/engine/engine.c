/* oracle/engine/engine.c - the detection engine: one query name in, one verdict
 * out. */
#include "engine.h"

#include <bsd/string.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "exempt.h"
#include "model.h"
#include "suffix.h"
#include "suffixset.h"

struct engine {
    engine_settings_t s;
    model_t *model;
    suffix_t *psl;
    suffixset_t *allow;
};

void engine_settings_default(engine_settings_t *s)
{
    memset(s, 0, sizeof *s);
    s->exempt_reverse = true;
    s->bigram_threshold = -4.5;
    s->bigram_margin = 4.0;
    /* A bare registered domain carries no tunnel data, and blocking it
     * breaks a whole site: it needs much stronger evidence. */
    s->registrable_margin = 8.0;
    s->bigram_min_pairs = 8;
    s->entropy_threshold = 0.95;
    s->entropy_min_chars = 40;
    s->max_non_ldh = 0;
    s->max_hex = 15;
    s->max_encoded_label = 15;
    s->max_case_switches = 3;
    s->max_digit_switches = 5;
    s->max_label = 40;
    s->max_labels = 8;
    s->max_length = 120;
    /* Benign names reach 40 letters and digits in a row (a SHA-1 in hex
     * under conviva.com), 40 hex digits, one encoded-looking label of 32
     * and 60 subdomain bytes; tunnels'
     * data labels run to 57-63 (iodine, dnscapy, tuns). */
    s->strong_run = 48;
    s->strong_hex = 64;
    s->strong_encoded = 56;
    s->strong_chars = 100;
}

/* The model compiled into the binary (oracle/default.model). */
static model_t *s_default_model(char *err, size_t errcap)
{
    char why[160];
    model_t *m = model_parse(embedded_default_model, embedded_default_model_len, why, sizeof why);
    if (!m)
        snprintf(err, errcap, "built-in model: %s", why);
    return m;
}

static int s_add_extra(suffixset_t *set, const char *list, char *err, size_t errcap)
{
    char buf[sizeof(((engine_settings_t *)0)->allow)];
    strlcpy(buf, list, sizeof buf);
    char *save = NULL;
    for (char *tok = strtok_r(buf, " ,\t", &save); tok; tok = strtok_r(NULL, " ,\t", &save)) {
        int rc = suffixset_add(set, tok);
        if (rc != 0) {
            snprintf(err, errcap, "allow: not a domain suffix: '%.80s'", tok);
            return rc;
        }
    }
    return 0;
}

engine_t *engine_new(const engine_settings_t *s, char *err, size_t errcap)
{
    engine_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    self->s = *s;
    self->model =
        s->model_path[0] ? model_load(s->model_path, err, errcap) : s_default_model(err, errcap);
    if (!self->model)
        goto fail;
    self->allow = suffixset_new();
    if (!self->allow) {
        snprintf(err, errcap, "out of memory");
        goto fail;
    }
    int rc = s->allowlist_file[0] ? exempt_load_list(self->allow, s->allowlist_file, err, errcap)
                                  : exempt_default_list(self->allow, err, errcap);
    if (rc != 0 || s_add_extra(self->allow, s->allow, err, errcap) != 0)
        goto fail;
    self->psl = suffix_new(s->psl_rules[0] ? s->psl_rules : NULL);
    if (!self->psl) {
        snprintf(err, errcap, "libpsl has no Public Suffix List (install publicsuffix)");
        goto fail;
    }
    return self;
fail:
    engine_destroy(&self);
    return NULL;
}

void engine_destroy(engine_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    engine_t *self = *self_p;
    model_destroy(&self->model);
    suffix_destroy(&self->psl);
    suffixset_destroy(&self->allow);
    free(self);
    *self_p = NULL;
}

size_t engine_registrable(const engine_t *self, const name_t *name)
{
    return suffix_split(self->psl, name);
}

static const char *const s_reason_names[REASON_COUNT] = {
    [REASON_OK] = "ok",
    [REASON_ROOT] = "root",
    [REASON_REVERSE] = "reverse",
    [REASON_ALLOWLIST] = "allowlist",
    [REASON_SERVICE] = "service",
    [REASON_INVALID] = "invalid",
    [REASON_NON_LDH] = "charset:non-ldh",
    [REASON_LABEL_LENGTH] = "charset:label-length",
    [REASON_LABEL_COUNT] = "charset:label-count",
    [REASON_LENGTH] = "charset:length",
    [REASON_HEX] = "charset:hex",
    [REASON_ENCODED] = "charset:encoded",
    [REASON_CASE] = "charset:case",
    [REASON_DIGITS] = "charset:digits",
    [REASON_ENTROPY] = "entropy",
    [REASON_BIGRAM] = "bigram",
    [REASON_DROPLIST] = "droplist",
    [REASON_BLOCKLIST] = "blocklist",
};

const char *engine_reason_name(reason_t reason)
{
    return reason < REASON_COUNT ? s_reason_names[reason] : "unknown";
}

static const char *const s_evidence_names[] = {"none", "weak", "strong"};

const char *engine_evidence_name(evidence_t e)
{
    return e <= EVIDENCE_STRONG ? s_evidence_names[e] : "unknown";
}

int engine_evidence_parse(const char *text)
{
    for (int e = EVIDENCE_NONE; e <= EVIDENCE_STRONG; e++)
        if (strcmp(text, s_evidence_names[e]) == 0)
            return e;
    return -1;
}

static bool s_verdict(verdict_t *v, bool good, reason_t reason)
{
    v->good = good;
    v->reason_id = reason;
    v->reason = s_reason_names[reason];
    return good;
}

/* The tests run in stages, cheapest first, and the verdict is the first
 * reason found in this order:
 *   shape    charset:non-ldh, charset:label-length, charset:label-count,
 *            charset:length (a pass over the bytes that vectorises);
 *   pattern  charset:hex, charset:encoded, charset:case, charset:digits;
 *   entropy, then bigram.
 * engine_check() stops at the first failing stage, as the verdict is then
 * known; engine_check_all() runs every stage so that every score is there. */
static reason_t s_shape(const engine_settings_t *s, const name_t *name, size_t reg,
                        const unsigned char *skip, verdict_t *v)
{
    size_t labels = 0, longest = 0;
    for (size_t l = 0; l < reg; l++) {
        if (skip[l])
            continue;
        labels++;
        longest = name->len[l] > longest ? name->len[l] : longest;
    }
    /* Non-LDH bytes over the whole span in one pass: the dots between its
     * labels count too, so take them off again (a '.' byte inside a label,
     * from "\.", stays counted, as it should). Skipped labels have none. */
    size_t last = reg < name->nlabels ? reg : name->nlabels - 1;
    size_t span = (size_t)name->off[last] + name->len[last];
    size_t non_ldh = lexical_non_ldh(name->lower, span) - last;
    v->f.labels = labels;
    v->f.longest_label = longest;
    v->f.non_ldh = non_ldh; /* registrable label included; v->reg.non_ldh stays 0 */
    if (non_ldh > s->max_non_ldh)
        return REASON_NON_LDH;
    if (longest > s->max_label)
        return REASON_LABEL_LENGTH;
    if (labels > s->max_labels)
        return REASON_LABEL_COUNT;
    if (name->length > s->max_length)
        return REASON_LENGTH;
    return REASON_OK;
}

static reason_t s_pattern(const engine_settings_t *s, const name_t *name, size_t reg,
                          const unsigned char *skip, verdict_t *v)
{
    lexical_t *f = &v->f, *r = &v->reg;
    size_t non_ldh = f->non_ldh;
    lexical_measure(name, 0, reg, skip, f);
    if (reg < name->nlabels)
        lexical_measure(name, reg, reg + 1, skip, r);
    f->non_ldh = non_ldh; /* as counted by s_shape, for one figure in explain */
    r->non_ldh = 0;
    if (f->hex_chars + r->hex_chars > s->max_hex)
        return REASON_HEX;
    if (f->data_label > s->max_encoded_label || r->data_label > s->max_encoded_label)
        return REASON_ENCODED;
    if (s->max_case_switches && f->case_switches + r->case_switches > s->max_case_switches)
        return REASON_CASE;
    if (f->digit_switches > s->max_digit_switches || r->digit_switches > s->max_digit_switches)
        return REASON_DIGITS;
    return REASON_OK;
}

static reason_t s_entropy(const engine_settings_t *s, const verdict_t *v)
{
    if (v->f.chars >= s->entropy_min_chars && v->f.entropy_ratio >= s->entropy_threshold)
        return REASON_ENTROPY;
    return REASON_OK;
}

static reason_t s_bigram(const engine_t *self, const name_t *name, size_t reg,
                         const unsigned char *skip, verdict_t *v)
{
    const engine_settings_t *s = &self->s;
    double sub = 0; /* log2 P summed over the subdomain labels' pairs */
    size_t sub_pairs = 0;
    for (size_t l = 0; l < name->nlabels && l <= reg; l++) {
        const uint8_t *label = name->lower + name->off[l];
        size_t len = name->len[l];
        if (skip[l])
            continue;
        if (lexical_is_punycode(label, len) || lexical_is_address(label, len)) {
            /* not scored: an address holds 32 bits, punycode about 5 a byte */
            v->bits += l < reg ? (lexical_is_address(label, len) ? 32.0 : 5.0 * (double)len) : 0;
            continue;
        }
        if (l < reg)
            model_score_label(self->model, label, len, &sub, &sub_pairs);
        else
            model_score_label(self->model, label, len, &v->bigram, &v->bigram_pairs);
    }
    v->bits -= sub;
    v->bigram += sub;
    v->bigram_pairs += sub_pairs;
    if (v->bigram_pairs)
        v->bigram /= (double)v->bigram_pairs;
    /* The mean of n pairs wanders by about 1/sqrt(n): short names need a
     * lower mean to fail. Only the registrable label: a stricter margin. */
    double margin = v->f.labels ? s->bigram_margin : s->registrable_margin;
    if (v->bigram_pairs >= s->bigram_min_pairs &&
        v->bigram < s->bigram_threshold - margin / sqrt((double)v->bigram_pairs))
        return REASON_BIGRAM;
    return REASON_OK;
}

/* How strong the evidence of a failed test is (engine.h). Only the
 * subdomain part counts: a long or odd registrable label is the same for
 * every name of a site, carries no data, and refusing it breaks the site. */
static evidence_t s_strength(const engine_settings_t *s, const verdict_t *v, reason_t why)
{
    if (why == REASON_NON_LDH || why == REASON_INVALID)
        return EVIDENCE_STRONG;
    if (v->f.longest_run >= s->strong_run || v->f.hex_chars >= s->strong_hex ||
        v->f.encoded_chars >= s->strong_encoded || v->f.chars >= s->strong_chars)
        return EVIDENCE_STRONG;
    return EVIDENCE_WEAK;
}

static bool s_judge(const engine_t *self, const name_t *name, verdict_t *v, bool all)
{
    const engine_settings_t *s = &self->s;
    memset(v, 0, sizeof *v);
    v->nlabels = name->nlabels;
    if (name->nlabels == 0)
        return s_verdict(v, true, REASON_ROOT);
    if (s->exempt_reverse && exempt_reverse(name))
        return s_verdict(v, true, REASON_REVERSE);
    if (suffixset_match(self->allow, name, 0) >= 0)
        return s_verdict(v, true, REASON_ALLOWLIST);

    size_t reg = suffix_split(self->psl, name);
    v->registrable = reg;
    unsigned char skip[NAME_MAX_LABELS];
    size_t skipped = exempt_service_labels(name, skip);
    /* DNS-SD under .local (multicast DNS leaking to the resolver): instance
     * names are free text ("Board Room._airplay._tcp.local", UUIDs), and no
     * public server answers .local, so they can carry nothing out. */
    size_t tld = name->nlabels - 1;
    if (skipped && name->len[tld] == 5 && memcmp(name->lower + name->off[tld], "local", 5) == 0)
        return s_verdict(v, true, REASON_SERVICE);

    /* Every stage runs: the strength of the evidence and the bits need the
     * pattern measurements and the bigram sum whatever failed first. Only
     * bytes outside LDH (strong at once) skip the pattern stage, unless
     * every score is asked for. REASON_OK (0) means "passed", so
     * `why ? why : w` keeps the first failure. */
    reason_t why = s_shape(s, name, reg, skip, v), w;
    if (why != REASON_NON_LDH || all) {
        w = s_pattern(s, name, reg, skip, v);
        why = why ? why : w;
    }
    w = s_entropy(s, v);
    why = why ? why : w;
    w = s_bigram(self, name, reg, skip, v);
    why = why ? why : w;
    if (why) {
        v->evidence = s_strength(s, v, why);
        return s_verdict(v, v->evidence != EVIDENCE_STRONG, why);
    }
    return s_verdict(v, true, skipped && v->f.labels == 0 ? REASON_SERVICE : REASON_OK);
}

bool engine_check_name(const engine_t *self, const name_t *name, verdict_t *v)
{
    return s_judge(self, name, v, false);
}

bool engine_check_name_all(const engine_t *self, const name_t *name, verdict_t *v)
{
    return s_judge(self, name, v, true);
}

bool engine_check_all(const engine_t *self, const char *qname, size_t len, verdict_t *v)
{
    name_t name;
    if (name_parse(qname, len, &name) != 0) {
        memset(v, 0, sizeof *v);
        v->evidence = EVIDENCE_STRONG;
        return s_verdict(v, false, REASON_INVALID);
    }
    return s_judge(self, &name, v, true);
}

bool engine_check(const engine_t *self, const char *qname, size_t len, verdict_t *v)
{
    name_t name;
    if (name_parse(qname, len, &name) != 0) {
        memset(v, 0, sizeof *v);
        v->evidence = EVIDENCE_STRONG;
        return s_verdict(v, false, REASON_INVALID);
    }
    return engine_check_name(self, &name, v);
}

int engine_explain(const verdict_t *v, char *buf, size_t cap)
{
    int n = snprintf(buf, cap,
                     "verdict=%s reason=%s bigram=%.3f pairs=%zu entropy=%.3f "
                     "entropy_ratio=%.3f chars=%zu labels=%zu longest_label=%zu non_ldh=%zu "
                     "hex=%zu encoded_label=%zu case_switches=%zu digit_switches=%zu "
                     "longest_run=%zu evidence=%s bits=%.1f",
                     v->good ? "true" : "false", v->reason, v->bigram, v->bigram_pairs,
                     v->f.entropy, v->f.entropy_ratio, v->f.chars, v->f.labels, v->f.longest_label,
                     v->f.non_ldh + v->reg.non_ldh, v->f.hex_chars + v->reg.hex_chars,
                     v->f.data_label > v->reg.data_label ? v->f.data_label : v->reg.data_label,
                     v->f.case_switches + v->reg.case_switches,
                     v->f.digit_switches > v->reg.digit_switches ? v->f.digit_switches
                                                                 : v->reg.digit_switches,
                     v->f.longest_run, engine_evidence_name(v->evidence), v->bits);
    if (n < 0)
        return 0;
    return (size_t)n >= cap ? (int)cap - 1 : n;
}
