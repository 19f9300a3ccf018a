/* oracle/engine.c - the detection engine: one query name in, one verdict
 * out. */
#include "engine.h"

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
    snprintf(buf, sizeof buf, "%s", list);
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

static bool s_verdict(verdict_t *v, bool good, const char *reason)
{
    v->good = good;
    v->reason = reason;
    return good;
}

/* The charset test: the first signal over its threshold names the reason. */
static const char *s_charset(const engine_settings_t *s, const lexical_t *f, const lexical_t *reg,
                             size_t name_length)
{
    if (f->non_ldh + reg->non_ldh > s->max_non_ldh)
        return "charset:non-ldh";
    if (f->hex_chars + reg->hex_chars > s->max_hex)
        return "charset:hex";
    if (f->data_label > s->max_encoded_label || reg->data_label > s->max_encoded_label)
        return "charset:encoded";
    if (s->max_case_switches && f->case_switches + reg->case_switches > s->max_case_switches)
        return "charset:case";
    if (f->digit_switches > s->max_digit_switches || reg->digit_switches > s->max_digit_switches)
        return "charset:digits";
    if (f->longest_label > s->max_label)
        return "charset:label-length";
    if (f->labels > s->max_labels)
        return "charset:label-count";
    if (name_length > s->max_length)
        return "charset:length";
    return NULL;
}

bool engine_check_name(const engine_t *self, const name_t *name, verdict_t *v)
{
    const engine_settings_t *s = &self->s;
    memset(v, 0, sizeof *v);
    v->nlabels = name->nlabels;
    if (name->nlabels == 0)
        return s_verdict(v, true, "root");
    if (s->exempt_reverse && exempt_reverse(name))
        return s_verdict(v, true, "reverse");
    if (suffixset_match(self->allow, name, 0) >= 0)
        return s_verdict(v, true, "allowlist");

    size_t reg = suffix_split(self->psl, name);
    v->registrable = reg;
    unsigned char skip[NAME_MAX_LABELS];
    size_t skipped = exempt_service_labels(name, skip);

    /* The subdomain part, then the registrable label on its own. */
    lexical_measure(name, 0, reg, skip, &v->f);
    if (reg < name->nlabels)
        lexical_measure(name, reg, reg + 1, skip, &v->reg);
    for (size_t l = 0; l < name->nlabels && l <= reg; l++)
        if (!skip[l] && !(name->len[l] > 4 && !memcmp(name->lower + name->off[l], "xn--", 4)))
            model_score_label(self->model, name->lower + name->off[l], name->len[l], &v->bigram,
                              &v->bigram_pairs);
    if (v->bigram_pairs)
        v->bigram /= (double)v->bigram_pairs;

    const char *why = s_charset(s, &v->f, &v->reg, name->length);
    if (why)
        return s_verdict(v, false, why);
    if (v->f.chars >= s->entropy_min_chars && v->f.entropy_ratio >= s->entropy_threshold)
        return s_verdict(v, false, "entropy");
    double margin = v->f.labels ? s->bigram_margin : s->registrable_margin;
    if (v->bigram_pairs >= s->bigram_min_pairs &&
        v->bigram < s->bigram_threshold - margin / sqrt((double)v->bigram_pairs))
        return s_verdict(v, false, "bigram");
    return s_verdict(v, true, skipped && v->f.labels == 0 ? "service" : "ok");
}

bool engine_check(const engine_t *self, const char *qname, size_t len, verdict_t *v)
{
    name_t name;
    if (name_parse(qname, len, &name) != 0) {
        memset(v, 0, sizeof *v);
        return s_verdict(v, false, "invalid");
    }
    return engine_check_name(self, &name, v);
}

int engine_explain(const verdict_t *v, char *buf, size_t cap)
{
    int n = snprintf(buf, cap,
                     "verdict=%s reason=%s bigram=%.3f pairs=%zu entropy=%.3f "
                     "entropy_ratio=%.3f chars=%zu labels=%zu longest_label=%zu non_ldh=%zu "
                     "hex=%zu encoded_label=%zu case_switches=%zu digit_switches=%zu",
                     v->good ? "true" : "false", v->reason, v->bigram, v->bigram_pairs,
                     v->f.entropy, v->f.entropy_ratio, v->f.chars, v->f.labels, v->f.longest_label,
                     v->f.non_ldh + v->reg.non_ldh, v->f.hex_chars + v->reg.hex_chars,
                     v->f.data_label > v->reg.data_label ? v->f.data_label : v->reg.data_label,
                     v->f.case_switches + v->reg.case_switches,
                     v->f.digit_switches > v->reg.digit_switches ? v->f.digit_switches
                                                                 : v->reg.digit_switches);
    if (n < 0)
        return 0;
    return (size_t)n >= cap ? (int)cap - 1 : n;
}
