/* tests/fuzz/fuzz_engine.c - libFuzzer harness for engine_check() and friends.
 *
 * One engine with the default settings (built-in model and allow list, the
 * system's Public Suffix List) is built once per process, as the daemon
 * does, and judges arbitrary bytes. engine.h promises that engine_check()
 * never fails, that engine_check_all() gives the same verdict and reason with
 * every score filled in, and that engine_check_name() on the parsed name is
 * the same judgement; the harness checks those, that the verdict agrees with
 * name_parse() about what is invalid, and that engine_explain() stays inside
 * its buffer and NUL-terminates it, at full size and truncated. A violation
 * aborts, which libFuzzer reports as a crash with the input.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "engine.h"
#include "name.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Built once and never freed: it lives as long as the process, like the
 * daemon's, and stays reachable for LeakSanitizer. */
static engine_t *s_engine;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    engine_settings_t s;
    char err[256] = "";
    engine_settings_default(&s);
    s_engine = engine_new(&s, err, sizeof err);
    if (!s_engine) {
        fprintf(stderr, "fuzz_engine: engine_new: %s\n", err);
        exit(1);
    }
    /* The first check makes this thread's PSL cache; do it here so that the
     * leak check of the first input does not see it as that input's. */
    verdict_t v;
    engine_check(s_engine, "www.example.com", 15, &v);
    return 0;
}

static bool s_good_reason(reason_t r)
{
    return r == REASON_OK || r == REASON_ROOT || r == REASON_REVERSE || r == REASON_ALLOWLIST ||
           r == REASON_SERVICE;
}

/* What holds for any verdict the engine gives. */
static void s_check_verdict(const verdict_t *v, bool returned)
{
    FUZZ_CHECK(returned == v->good);
    FUZZ_CHECK(v->reason_id < REASON_COUNT);
    FUZZ_CHECK(v->reason_id != REASON_DROPLIST && v->reason_id != REASON_BLOCKLIST);
    FUZZ_CHECK(v->reason && strcmp(v->reason, engine_reason_name(v->reason_id)) == 0);
    /* a failed test is evidence; only strong evidence makes a name false */
    FUZZ_CHECK(s_good_reason(v->reason_id) == (v->evidence == EVIDENCE_NONE));
    FUZZ_CHECK(v->good == (v->evidence != EVIDENCE_STRONG));
    FUZZ_CHECK(v->reason_id != REASON_INVALID || v->evidence == EVIDENCE_STRONG);
    FUZZ_CHECK(isfinite(v->bits) && v->bits >= 0);
    FUZZ_CHECK(isfinite(v->bigram) && v->bigram <= 0); /* a mean of log2-probabilities */
    /* log2 n - (sum c log2 c) / n is 0 for one repeated byte only up to
     * rounding: a few ulps below 0 are not an error. */
    FUZZ_CHECK(isfinite(v->f.entropy) && v->f.entropy > -1e-9);
    FUZZ_CHECK(isfinite(v->f.entropy_ratio) && v->f.entropy_ratio > -1e-9);
}

/* engine_explain() into a heap buffer of exactly `cap` bytes, so that
 * AddressSanitizer sees a write past it. */
static void s_check_explain(const verdict_t *v, size_t cap, const char *full, size_t full_len)
{
    char *buf = malloc(cap);
    FUZZ_CHECK(buf);
    memset(buf, 'x', cap);
    int n = engine_explain(v, buf, cap);
    FUZZ_CHECK(n >= 0 && (size_t)n < cap);
    FUZZ_CHECK(memchr(buf, 0, cap) == buf + n);
    /* Truncated output is a prefix of the full one. */
    FUZZ_CHECK((size_t)n <= full_len && memcmp(buf, full, (size_t)n) == 0);
    free(buf);
}

static void s_explain(const verdict_t *v, uint8_t pick)
{
    static char full[1024];
    int n = engine_explain(v, full, sizeof full);
    FUZZ_CHECK(n > 0 && (size_t)n < sizeof full && full[n] == 0 && strlen(full) == (size_t)n);
    const char *expect = v->good ? "verdict=true reason=" : "verdict=false reason=";
    FUZZ_CHECK(strncmp(full, expect, strlen(expect)) == 0);
    size_t len = (size_t)n;
    s_check_explain(v, len + 1, full, len); /* just fits */
    s_check_explain(v, len, full, len);     /* one byte short */
    s_check_explain(v, 1, full, len);
    s_check_explain(v, 1 + pick % (len + 1), full, len); /* anywhere, as the input picks */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so that a read past the name is caught. */
    char *qname = malloc(size ? size : 1);
    if (!qname)
        return 0;
    if (size)
        memcpy(qname, data, size);

    verdict_t v, all;
    s_check_verdict(&v, engine_check(s_engine, qname, size, &v));
    s_check_verdict(&all, engine_check_all(s_engine, qname, size, &all));
    FUZZ_CHECK(all.good == v.good && all.reason_id == v.reason_id);
    FUZZ_CHECK(all.nlabels == v.nlabels);

    name_t name;
    bool parsed = name_parse(qname, size, &name) == 0;
    FUZZ_CHECK(parsed == (v.reason_id != REASON_INVALID));
    if (parsed) {
        verdict_t by_name, by_name_all;
        s_check_verdict(&by_name, engine_check_name(s_engine, &name, &by_name));
        s_check_verdict(&by_name_all, engine_check_name_all(s_engine, &name, &by_name_all));
        FUZZ_CHECK(by_name.good == v.good && by_name.reason_id == v.reason_id);
        FUZZ_CHECK(by_name_all.good == v.good && by_name_all.reason_id == v.reason_id);
        FUZZ_CHECK(v.nlabels == name.nlabels);
        FUZZ_CHECK(engine_registrable(s_engine, &name) <= name.nlabels);
        FUZZ_CHECK(all.registrable <= name.nlabels);
    }

    uint8_t pick = size ? data[size - 1] : 0;
    s_explain(&v, pick);
    s_explain(&all, pick);
    free(qname);
    return 0;
}
