/* tests/unit/test_judge.c - the one verdict path (oracle/engine/judge.c): a
 * name the lists settle for the hook gets the verdict the daemon's
 * judge_name() gives it with a domain layer, whatever that layer has seen;
 * which names a hook reports; a report's verdict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "judge.h"

typedef struct {
    engine_t *engine;
    lists_t *lists;
    domain_t *domains;
} fixture_t;

static int s_teardown(void **state)
{
    fixture_t *f = *state;
    engine_destroy(&f->engine);
    lists_destroy(&f->lists);
    domain_destroy(&f->domains);
    free(f);
    return 0;
}

static int s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    engine_settings_t s;
    domain_settings_t ds;
    char err[256] = "";
    if (!f)
        return -1;
    *state = f;
    engine_settings_default(&s);
    strcpy(s.allow, "file.test"); /* the allow-list file's part */
    domain_settings_default(&ds);
    f->engine = engine_new(&s, err, sizeof err);
    f->lists = lists_new();
    f->domains = domain_new(&ds, "");
    if (!f->engine || !f->lists || !f->domains)
        return -1;
    const struct {
        list_kind_t kind;
        const char *domain;
    } entries[] = {
        {LIST_DROP, "file.test"},        {LIST_DROP, "dropped.test"},
        {LIST_ALLOW, "ok.dropped.test"}, {LIST_BLOCK, "blocked.test"},
        {LIST_BLOCK, "evil.file.test"},  {LIST_ALLOW, "cdn.test"},
        {LIST_BLOCK, "d1.cdn.test"},
    };
    for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++)
        if (lists_add(f->lists, entries[i].kind, entries[i].domain) != 0)
            return -1;
    return 0;
}

static void s_parse(const char *text, name_t *name)
{
    assert_int_equal(name_parse(text, strlen(text), name), 0);
}

/* What the hook settles is what the daemon says with its domain layer;
 * what it does not settle is left to the daemon. */
static void test_settled_as_the_daemon(void **state)
{
    fixture_t *f = *state;
    const struct {
        const char *name;
        bool settled, good;
        reason_t reason;
    } cases[] = {
        {"www.file.test", true, true, REASON_ALLOWLIST},     /* the file's allow beats a drop */
        {"x.evil.file.test", true, false, REASON_BLOCKLIST}, /* a block beats it */
        {"www.dropped.test", true, false, REASON_DROPLIST},
        {"a.ok.dropped.test", true, true, REASON_ALLOWLIST},
        {"www.blocked.test", true, false, REASON_BLOCKLIST},
        {"www.cdn.test", true, true, REASON_ALLOWLIST},
        {"www.d1.cdn.test", true, false, REASON_BLOCKLIST}, /* the more specific */
        {"www.example.com", false, true, REASON_OK},
    };
    judge_t hook = {f->engine, f->lists, NULL}, daemon = {f->engine, f->lists, f->domains};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        name_t name;
        verdict_t v = {.reason_id = REASON_COUNT}, d;
        s_parse(cases[i].name, &name);
        assert_int_equal(judge_settled(&hook, &name, &v), cases[i].settled);
        judge_query_t q = {16, 1, 1000.0};
        judge_name(&daemon, &name, &q, &d, NULL);
        assert_int_equal(d.good, cases[i].good);
        assert_int_equal(d.reason_id, cases[i].reason);
        if (cases[i].settled) {
            assert_int_equal(v.good, d.good);
            assert_int_equal(v.reason_id, d.reason_id);
            assert_string_equal(v.reason, d.reason);
        } else {
            assert_int_equal(v.reason_id, REASON_COUNT); /* untouched */
        }
    }
    judge_t no_lists = {f->engine, NULL, NULL};
    name_t name;
    verdict_t v;
    s_parse("www.blocked.test", &name);
    assert_false(judge_settled(&no_lists, &name, &v));
}

static void test_reportable(void **state)
{
    fixture_t *f = *state;
    judge_t hook = {f->engine, f->lists, NULL};
    const struct {
        const char *name;
        bool reported;
    } cases[] = {
        {"www.example.com", true},
        {"www.dropped.test", true}, /* refused by the lists: the oracle counts on */
        {"www.blocked.test", true},
        {"www.file.test", false},     /* the allow-list file: never counted */
        {"a.ok.dropped.test", false}, /* an operator's allow: never cut */
        {"1.0.0.127.in-addr.arpa", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        name_t name;
        verdict_t v;
        judge_query_t q = {1, 0, 0};
        s_parse(cases[i].name, &name);
        judge_name(&hook, &name, &q, &v, NULL);
        assert_int_equal(judge_reportable(&v), cases[i].reported);
    }
}

/* A report's verdict: good unless strong or refused by the lists; weak
 * evidence stored as a test's reason, no evidence as ok. */
static void test_report_verdict(void **state)
{
    fixture_t *f = *state;
    judge_t daemon = {f->engine, f->lists, f->domains};
    judge_query_t q = {1, 7, 1000.0};
    name_t name;
    verdict_t v;
    s_parse("www.example.com", &name);
    judge_report(&daemon, &name, EVIDENCE_NONE, 0, &q, &v, NULL);
    assert_true(v.good);
    assert_int_equal(v.reason_id, REASON_OK);
    assert_true(judge_storable(&v));
    assert_int_equal(v.registrable, 1);
    judge_report(&daemon, &name, EVIDENCE_WEAK, 12, &q, &v, NULL);
    assert_true(v.good && judge_storable(&v));
    judge_report(&daemon, &name, EVIDENCE_STRONG, 40, &q, &v, NULL);
    assert_false(v.good);
    s_parse("www.dropped.test", &name);
    judge_report(&daemon, &name, EVIDENCE_NONE, 0, &q, &v, NULL);
    assert_false(v.good);
    assert_int_equal(v.reason_id, REASON_DROPLIST);
    assert_string_equal(v.reason, "droplist");
    judge_t hook = {f->engine, f->lists, NULL};
    assert_int_equal(judge_report(&hook, &name, EVIDENCE_NONE, 0, &q, &v, NULL), DOMAIN_SKIP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_settled_as_the_daemon, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_reportable, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_report_verdict, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
