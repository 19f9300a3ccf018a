/* tests/unit/test_suffix.c - registrable domains through the Public Suffix
 * List, checked against libpsl itself on names built from the installed
 * list (the publicsuffix package), through the fast walk and the fallback. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpsl.h>

#include "name.h"
#include "suffix.h"

typedef struct {
    suffix_t *fast;
    suffix_t *slow;
    psl_ctx_t *psl;
} s_fixture_t;

static int s_setup(void **state)
{
    s_fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    fx->fast = suffix_new(NULL);
    fx->slow = suffix_new("/nonexistent/public_suffix_list.dat");
    fx->psl = psl_latest(NULL);
    *state = fx;
    return fx->fast && fx->slow && fx->psl ? 0 : -1;
}

static int s_teardown(void **state)
{
    s_fixture_t *fx = *state;
    suffix_destroy(&fx->fast);
    suffix_destroy(&fx->slow);
    assert_null(fx->fast);
    suffix_destroy(&fx->fast); /* NULL is fine */
    psl_free(fx->psl);
    free(fx);
    return 0;
}

static size_t s_split(const suffix_t *sfx, const char *text)
{
    name_t n;
    assert_int_equal(name_parse(text, strlen(text), &n), 0);
    return suffix_split(sfx, &n);
}

/* Both walks must give `expect`. */
static void s_check(const s_fixture_t *fx, const char *text, size_t expect)
{
    size_t fast = s_split(fx->fast, text), slow = s_split(fx->slow, text);
    if (fast != expect || slow != expect)
        fail_msg("%s: expected %zu, fast walk %zu, fallback %zu", text, expect, fast, slow);
}

/* What libpsl says, as a label index: where psl_registrable_domain() points. */
static size_t s_libpsl_split(const psl_ctx_t *psl, const name_t *n)
{
    const char *all = (const char *)n->lower;
    const char *reg = psl_registrable_domain(psl, all);
    if (!reg)
        return n->nlabels;
    for (size_t l = 0; l < n->nlabels; l++)
        if (all + n->off[l] == reg)
            return l;
    fail_msg("libpsl split %s inside a label", all);
    return 0;
}

static void test_modes(void **state)
{
    s_fixture_t *fx = *state;
    assert_int_equal(suffix_is_fast(fx->fast), 1);
    assert_int_equal(suffix_is_fast(fx->slow), 0);
}

static void test_icann_suffixes(void **state)
{
    s_fixture_t *fx = *state;
    s_check(fx, "a.b.example.co.uk", 2);
    s_check(fx, "example.co.uk", 0);
    s_check(fx, "co.uk", 2); /* a public suffix has no registrable domain */
    s_check(fx, "uk", 1);
    s_check(fx, "www.example.com", 1);
    s_check(fx, "WWW.Example.COM.", 1);
    s_check(fx, "x.y.z.unknowntld", 2); /* the implicit "*" rule */
    s_check(fx, ".", 0);
}

static void test_private_suffixes(void **state)
{
    s_fixture_t *fx = *state;
    s_check(fx, "foo.github.io", 0);
    s_check(fx, "a.b.foo.github.io", 2);
    s_check(fx, "github.io", 2);
    s_check(fx, "x.y.z.blogspot.com", 2);
    s_check(fx, "blogspot.com", 2);
}

static void test_wildcards_and_exceptions(void **state)
{
    s_fixture_t *fx = *state;
    /* *.ck and !www.ck */
    s_check(fx, "a.b.foo.ck", 1);
    s_check(fx, "foo.ck", 2);
    s_check(fx, "www.ck", 0);
    s_check(fx, "a.www.ck", 1);
    /* *.kawasaki.jp and !city.kawasaki.jp */
    s_check(fx, "a.b.x.kawasaki.jp", 1);
    s_check(fx, "x.kawasaki.jp", 3);
    s_check(fx, "kawasaki.jp", 2);
    s_check(fx, "city.kawasaki.jp", 0);
    s_check(fx, "a.b.c.city.kawasaki.jp", 3);
}

static void test_escaped_dot_agrees_in_both_walks(void **state)
{
    s_fixture_t *fx = *state;
    /* labels "a.b", "co", "uk": the registrable domain is label 0, and the
     * fallback promises the same answers as the fast walk */
    s_check(fx, "a\\.b.co.uk", 0);
    s_check(fx, "x.b\\.example.co.uk", 1);
}

/* Appends prefix + rule to names[*count] if that parses. */
static void s_push(char (*names)[300], size_t *count, size_t max, const char *prefix,
                   const char *rule)
{
    if (*count >= max)
        return;
    int w = snprintf(names[*count], sizeof names[0], "%s%s", prefix, rule);
    name_t n;
    if (w > 0 && (size_t)w < sizeof names[0] && name_parse(names[*count], (size_t)w, &n) == 0)
        (*count)++;
}

static void test_agrees_with_libpsl(void **state)
{
    s_fixture_t *fx = *state;
    const char *path = psl_builtin_filename(); /* the text rules libpsl was built from */
    FILE *f = fopen(path, "r");
    if (!f)
        f = fopen("/usr/share/publicsuffix/public_suffix_list.dat", "r");
    assert_non_null(f);
    enum { MAX = 4000 };
    static char names[MAX][300];
    size_t count = 0, rules = 0, exceptions = 0, wildcards = 0;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, " \t\r\n")] = 0;
        if (!line[0] || (line[0] == '/' && line[1] == '/'))
            continue;
        char *rule = line;
        int special = rule[0] == '!' || rule[0] == '*';
        exceptions += rule[0] == '!';
        wildcards += rule[0] == '*';
        /* every wildcard and exception rule, one ordinary rule in 17 */
        if (!special && rules++ % 17 != 0)
            continue;
        if (rule[0] == '!')
            rule++;
        if (rule[0] == '*')
            rule[0] = 'w';
        s_push(names, &count, MAX, "", rule);
        s_push(names, &count, MAX, "shop.", rule);
        s_push(names, &count, MAX, "a.b-c.x9.", rule);
        s_push(names, &count, MAX, "q1.q2.q3.q4.q5.q6.q7.q8.", rule);
        s_push(names, &count, MAX, "xn--bcher-kva.", rule);
    }
    fclose(f);
    assert_true(exceptions >= 1);
    assert_true(wildcards >= 1);
    static const char *const extra[] = {
        "localhost", "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.com",    "x.example",          "a.test.",
        "www.ck",    "deep.deep.deep.deep.sub.example.com.au", "x.s3.amazonaws.com", "a.github.io",
    };
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
        s_push(names, &count, MAX, "", extra[i]);
    assert_true(count >= 500);
    size_t mismatches = 0;
    for (size_t i = 0; i < count; i++) {
        name_t n;
        assert_int_equal(name_parse(names[i], strlen(names[i]), &n), 0);
        size_t want = s_libpsl_split(fx->psl, &n);
        size_t fast = suffix_split(fx->fast, &n), slow = suffix_split(fx->slow, &n);
        /* twice: the second answer comes from the per-thread cache */
        size_t again = suffix_split(fx->fast, &n);
        if (fast != want || slow != want || again != want) {
            if (mismatches++ < 10)
                print_error("%s: libpsl %zu, fast %zu (cached %zu), fallback %zu\n", names[i], want,
                            fast, again, slow);
        }
    }
    assert_int_equal(mismatches, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_icann_suffixes),
        cmocka_unit_test(test_private_suffixes),
        cmocka_unit_test(test_wildcards_and_exceptions),
        cmocka_unit_test(test_escaped_dot_agrees_in_both_walks),
        cmocka_unit_test(test_agrees_with_libpsl),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
