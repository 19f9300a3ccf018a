/* oracle/engine/engine.h - the detection engine: one query name in, one verdict out.
 *
 * engine_check() parses the name (name.h), finds its registrable domain with
 * the Public Suffix List (suffix.h), applies the structural exemptions and the
 * allow list (exempt.h), then runs the lexical tests on the subdomain part
 * and the registrable label, cheapest first; the reason is the first failure
 * in this order:
 *
 *   charset  bytes outside letters-digits-hyphen-underscore, label length,
 *            label count, total length; then long hex runs, encoded-looking
 *            labels, case alternation, digit/letter alternation;
 *   entropy  Shannon entropy of the subdomain bytes against what random data
 *            of the same length reaches;
 *   bigram   mean log2-probability per character pair under the model,
 *            against a bound that tightens with length: the mean of n pairs
 *            wanders by about 1/sqrt(n), so short names need a lower mean.
 *
 * A failed test is evidence, and the verdict says how strong it is:
 *
 *   strong   the name carries data in a form nothing benign uses: bytes
 *            outside letters-digits-hyphen-underscore (or no valid name at
 *            all), a run of strong_run or more letters and digits in one
 *            label, strong_hex or more hex digits, strong_encoded or more
 *            bytes in encoded-looking labels, or a subdomain part of
 *            strong_chars or more bytes that fails a test. Only strong
 *            evidence refuses a name on its own (good = false).
 *   weak     any other failure: a short label with a low bigram score, an
 *            unusual registrable label, a few hex digits, a CDN node id.
 *            The name passes (good = true, the reason kept), and the daemon's
 *            domain layer (domain.h) counts it for its registrable domain.
 *
 * Every verdict also estimates the information the subdomain part carries
 * (`bits`: its surprisal under the bigram model), which the domain layer
 * adds up per domain. engine_check() and engine_check_all() compute the
 * same scores; the first stops the pattern stage early only when the shape
 * stage already found strong evidence.
 *
 * An engine is immutable once made, so any number of threads may share it; a
 * reload makes a new engine. All thresholds live in engine_settings_t, whose
 * defaults are set in one place, engine_settings_default().
 */
#ifndef DNSORACLE_ENGINE_H
#define DNSORACLE_ENGINE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "lexical.h"
#include "name.h"
#include "verdict.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

typedef struct {
    char model_path[PATH_MAX];     /* "" = the built-in model */
    char allowlist_file[PATH_MAX]; /* "" = the built-in allow list */
    char allow[4096];              /* more suffixes, separated by spaces or commas */
    char psl_rules[PATH_MAX];      /* "" = the rule file libpsl was built from */
    bool exempt_reverse;           /* well-formed in-addr.arpa / ip6.arpa names */
    double bigram_threshold;       /* fail below this mean log2 P per pair... */
    double bigram_margin;          /* ...minus margin / sqrt(pairs) */
    double registrable_margin;     /* the margin when only the registrable label is scored */
    unsigned bigram_min_pairs;     /* too few pairs: no bigram verdict */
    double entropy_threshold;      /* fail at or above this share of random */
    unsigned entropy_min_chars;    /* shorter subdomains: no entropy verdict */
    unsigned max_non_ldh;          /* bytes outside a-z 0-9 - _ */
    unsigned max_hex;              /* bytes in hex runs of 6+ mixing letters and digits */
    unsigned max_encoded_label;    /* longest label that looks encoded */
    unsigned max_case_switches;    /* 0 = no case test (clients using 0x20) */
    unsigned max_digit_switches;   /* digit<->letter changes in one label */
    unsigned max_label;            /* longest label of the subdomain part */
    unsigned max_labels;           /* labels in the subdomain part */
    unsigned max_length;           /* whole name, presentation form */
    unsigned strong_run;           /* letters and digits in a row in one label: strong */
    unsigned strong_hex;           /* hex digits in runs (as max_hex counts them): strong */
    unsigned strong_encoded;       /* bytes in encoded-looking labels of 16+: strong */
    unsigned strong_chars;         /* subdomain bytes of a name failing a test: strong */
} engine_settings_t;

/* Fills `s` with the documented defaults (see dnsoracle.conf.example). */
void engine_settings_default(engine_settings_t *s);

typedef struct engine engine_t;

/* Builds an engine from settings: loads the model and the allow list they
 * name (or the built-in ones) and the PSL. Returns NULL with a one-line
 * reason in err (naming the file and line where there is one). */
engine_t *engine_new(const engine_settings_t *s, char *err, size_t errcap);

/* Frees the engine; accepts NULL and sets *self_p to NULL. */
void engine_destroy(engine_t **self_p);

/* Judges `len` bytes of a query name as received. Never fails: bad input is
 * the verdict false/"invalid". Fills *v and returns v->good. */
bool engine_check(const engine_t *self, const char *qname, size_t len, verdict_t *v);

/* The same for a name already parsed. */
bool engine_check_name(const engine_t *self, const name_t *name, verdict_t *v);

/* As engine_check() and engine_check_name(), with every score computed even
 * after the verdict is known; same verdict and reason. */
bool engine_check_all(const engine_t *self, const char *qname, size_t len, verdict_t *v);
bool engine_check_name_all(const engine_t *self, const name_t *name, verdict_t *v);

/* Writes every score of *v as "key=value" pairs separated by spaces into buf.
 * Returns the length written (truncated output is still NUL-terminated). */
int engine_explain(const verdict_t *v, char *buf, size_t cap);

/* The registrable domain of a parsed name, through this engine's PSL: the
 * index of its first label, or name->nlabels when it has none. */
size_t engine_registrable(const engine_t *self, const name_t *name);

#endif
