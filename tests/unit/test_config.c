/* tests/unit/test_config.c - dnsoracle.conf: defaults, every option type,
 * and errors that name the file, the line and the key. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

typedef struct {
    char path[64];
    char err[1024];
    config_t cfg;
} s_fixture_t;

static int s_setup(void **state)
{
    s_fixture_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    strcpy(fx->path, "/tmp/test_config_XXXXXX");
    int fd = mkstemp(fx->path);
    if (fd < 0) {
        free(fx);
        return -1;
    }
    close(fd);
    *state = fx;
    return 0;
}

static int s_teardown(void **state)
{
    s_fixture_t *fx = *state;
    unlink(fx->path);
    free(fx);
    return 0;
}

/* Writes `text` to the fixture's file and loads it. */
static int s_load(s_fixture_t *fx, const char *text)
{
    FILE *f = fopen(fx->path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    fx->err[0] = 0;
    return config_load(fx->path, &fx->cfg, fx->err, sizeof fx->err);
}

/* Loading `text` must fail with "PATH:LINE:" and every word in `words`. */
static void s_refused(s_fixture_t *fx, const char *text, int line, const char *const *words)
{
    int rc = s_load(fx, text);
    if (rc != -EINVAL)
        fail_msg("accepted (rc %d):\n%s", rc, text);
    char where[128];
    snprintf(where, sizeof where, "%s:%d: ", fx->path, line);
    if (strncmp(fx->err, where, strlen(where)) != 0)
        fail_msg("'%s' does not start with '%s'", fx->err, where);
    for (; *words; words++)
        if (!strstr(fx->err, *words))
            fail_msg("'%s' does not mention '%s'", fx->err, *words);
    /* a refused file leaves the defaults, not half of the file */
    config_t def;
    config_defaults(&def);
    assert_memory_equal(&fx->cfg, &def, sizeof def);
}

#define WORDS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_empty_file_is_defaults(void **state)
{
    s_fixture_t *fx = *state;
    config_t def;
    config_defaults(&def);
    assert_int_equal(s_load(fx, ""), 0);
    assert_memory_equal(&fx->cfg, &def, sizeof def);
    assert_int_equal(s_load(fx, "# only comments\n; and these\n\n[engine]\n"), 0);
    assert_memory_equal(&fx->cfg, &def, sizeof def);
    /* the defaults are the engine's */
    engine_settings_t s;
    engine_settings_default(&s);
    assert_memory_equal(&def.engine, &s, sizeof s);
    assert_true(def.engine.exempt_reverse);
    assert_int_equal(def.engine.max_label, 40);
    assert_string_equal(def.server.endpoints, "tcp://127.0.0.1:5555");
    assert_int_equal(def.database.port, 3306);
    assert_int_equal(def.droplist.update_seconds, 300);
    assert_non_null(config_default_path());
    assert_true(config_default_path()[0] == '/');
}

static void test_each_type_parses(void **state)
{
    s_fixture_t *fx = *state;
    int rc = s_load(fx, "[engine]\n"
                        "model = /etc/dnsoracle/my.model\n"
                        "allow = a.test, b.test\n"
                        "exempt_reverse = no\n"
                        "bigram_threshold = -5.25\n"
                        "max_label = 63\n"
                        "max_case_switches = 0\n"
                        "entropy_min_chars=12   ; inline comment\n"
                        "\n"
                        "[server]\n"
                        "log_level = DEBUG\n"
                        "threads = 0\n"
                        "[database]\n"
                        "port = 3307\n"
                        "password = s3cret\n"
                        "[droplist]\n"
                        "update_seconds = 86400\n");
    assert_int_equal(rc, 0);
    const config_t *c = &fx->cfg;
    assert_string_equal(c->engine.model_path, "/etc/dnsoracle/my.model");
    assert_string_equal(c->engine.allow, "a.test, b.test");
    assert_false(c->engine.exempt_reverse);
    assert_true(c->engine.bigram_threshold == -5.25);
    assert_int_equal(c->engine.max_label, 63);
    assert_int_equal(c->engine.max_case_switches, 0);
    assert_int_equal(c->engine.entropy_min_chars, 12);
    assert_int_equal(c->server.log_level, LEVEL_DEBUG);
    assert_int_equal(c->server.threads, 0);
    assert_int_equal(c->database.port, 3307);
    assert_string_equal(c->database.password, "s3cret");
    assert_int_equal(c->droplist.update_seconds, 86400);
    /* untouched options keep their defaults */
    assert_int_equal(c->engine.max_hex, 15);
    assert_string_equal(c->engine.allowlist_file, "");
    /* every spelling of a boolean */
    static const char *const yes[] = {"true", "YES", "1", "On"};
    static const char *const no[] = {"false", "No", "0", "OFF"};
    char text[128];
    for (int i = 0; i < 4; i++) {
        snprintf(text, sizeof text, "[engine]\nexempt_reverse = %s\n", yes[i]);
        assert_int_equal(s_load(fx, text), 0);
        assert_true(fx->cfg.engine.exempt_reverse);
        snprintf(text, sizeof text, "[engine]\nexempt_reverse = %s\n", no[i]);
        assert_int_equal(s_load(fx, text), 0);
        assert_false(fx->cfg.engine.exempt_reverse);
    }
}

static void test_dump_reads_back(void **state)
{
    s_fixture_t *fx = *state;
    assert_int_equal(s_load(fx, "[engine]\nmax_hex = 20\nallow = x.test\n"), 0);
    config_t loaded = fx->cfg;
    FILE *f = fopen(fx->path, "w");
    assert_non_null(f);
    config_dump(&loaded, f);
    fclose(f);
    char err[512];
    config_t again;
    assert_int_equal(config_load(fx->path, &again, err, sizeof err), 0);
    assert_int_equal(again.engine.max_hex, 20);
    assert_string_equal(again.engine.allow, "x.test");
    assert_true(again.engine.bigram_threshold == loaded.engine.bigram_threshold);
}

static void test_unknown_names_refused(void **state)
{
    s_fixture_t *fx = *state;
    s_refused(fx, "[engine]\nmax_hex = 3\nmax_hexx = 3\n", 3, WORDS("max_hexx", "unknown key"));
    s_refused(fx, "# comment\n[enigne]\nmax_hex = 3\n", 3, WORDS("[enigne]", "max_hex"));
    s_refused(fx, "max_hex = 3\n[engine]\n", 1, WORDS("max_hex", "outside"));
    s_refused(fx, "[engine]\nmax_hex = 3\n\nmax_hex = 4\n", 4, WORDS("max_hex", "twice"));
}

static void test_bad_values_refused(void **state)
{
    s_fixture_t *fx = *state;
    s_refused(fx, "[engine]\nmax_label = 64\n", 2, WORDS("max_label", "'64'", "1 to 63"));
    s_refused(fx, "[engine]\nmax_label = 0\n", 2, WORDS("max_label", "'0'"));
    s_refused(fx, "[engine]\nmax_label = -1\n", 2, WORDS("max_label", "'-1'"));
    s_refused(fx, "[engine]\nmax_label = ten\n", 2, WORDS("max_label", "'ten'"));
    s_refused(fx, "[engine]\nmax_label = 12abc\n", 2, WORDS("max_label"));
    s_refused(fx, "[engine]\nmax_label = 99999999999999999999\n", 2, WORDS("max_label"));
    s_refused(fx, "[engine]\nmax_label =\n", 2, WORDS("max_label"));
    s_refused(fx, "[engine]\nentropy_threshold = 0.05\n", 2, WORDS("entropy_threshold"));
    s_refused(fx, "[engine]\nbigram_threshold = 1\n", 2, WORDS("bigram_threshold"));
    s_refused(fx, "[engine]\nbigram_threshold = nan\n", 2, WORDS("bigram_threshold"));
    s_refused(fx, "[engine]\nbigram_threshold = -4.5x\n", 2, WORDS("bigram_threshold"));
    s_refused(fx, "[engine]\nexempt_reverse = maybe\n", 2, WORDS("exempt_reverse", "maybe"));
    s_refused(fx, "[server]\nlog_level = loud\n", 2, WORDS("log_level", "loud"));
    s_refused(fx, "[database]\nport = 0\n", 2, WORDS("port"));
    s_refused(fx, "[engine]\nmodel = models/x.model\n", 2,
              WORDS("model", "models/x.model", "absolute"));
    s_refused(fx, "[engine]\npsl_rules = ./list.dat\n", 2, WORDS("psl_rules", "absolute"));
    s_refused(fx, "[engine]\nthis line has no equals sign\n", 2, WORDS("syntax"));
}

static void test_first_error_is_reported(void **state)
{
    s_fixture_t *fx = *state;
    /* two mistakes: the message must describe the line it names */
    s_refused(fx, "[engine]\nmax_hexx = 3\n\nmax_lable = 4\n", 2, WORDS("max_hexx"));
    assert_null(strstr(fx->err, "max_lable"));
}

static void test_long_values(void **state)
{
    s_fixture_t *fx = *state;
    /* inih would split a line over 199 bytes in two: it is refused instead,
     * with the line number and where long lists belong. */
    char text[1024] = "[engine]\nallow = ";
    for (int i = 0; i < 30; i++) {
        char item[32];
        snprintf(item, sizeof item, "%szone%02d.example.test", i ? " " : "", i);
        strcat(text, item);
    }
    strcat(text, "\nmax_hex = 20\n");
    assert_int_equal(s_load(fx, text), -EINVAL);
    assert_non_null(strstr(fx->err, ":2: line too long"));
    assert_non_null(strstr(fx->err, "allowlist_file"));
    /* a line of 199 bytes still loads */
    char ok[512] = "[engine]\nallow = ";
    while (strlen(ok) - strlen("[engine]\n") + 20 <= 199)
        strcat(ok, "zone.example.test ");
    strcat(ok, "\n");
    assert_int_equal(s_load(fx, ok), 0);
}

static void test_indented_line_refused(void **state)
{
    s_fixture_t *fx = *state;
    /* inih would glue an indented line to the previous value */
    assert_int_equal(s_load(fx, "[engine]\nmax_hex = 20\n  max_label = 30\n"), -EINVAL);
    assert_non_null(strstr(fx->err, ":3: indented line"));
    /* indented comments are fine */
    assert_int_equal(s_load(fx, "[engine]\n  # a comment\nmax_hex = 20\n"), 0);
    assert_int_equal(fx->cfg.engine.max_hex, 20);
}

static void test_retention_shorter_than_window_refused(void **state)
{
    s_fixture_t *fx = *state;
    assert_int_equal(s_load(fx, "[droplist]\nwindow_seconds = 7200\nretention_seconds = 3600\n"),
                     -EINVAL);
    assert_non_null(strstr(fx->err, "retention_seconds (3600)"));
    assert_non_null(strstr(fx->err, "window_seconds (7200)"));
    assert_int_equal(fx->cfg.droplist.retention_seconds, 86400);
    assert_int_equal(s_load(fx, "[droplist]\nwindow_seconds = 3600\nretention_seconds = 3600\n"),
                     0);
}

/* Which changed options wait for a restart, named; reloadable ones not. */
static void test_restart_changes(void **state)
{
    s_fixture_t *fx = *state;
    config_t running;
    assert_int_equal(s_load(fx, ""), 0);
    running = fx->cfg;
    char buf[256];
    assert_int_equal(config_restart_changes(&running, &fx->cfg, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    assert_int_equal(s_load(fx, "[engine]\nbigram_threshold = -9\n[server]\nlog_level = debug\n"
                                "[hook]\nmode = monitor\n"),
                     0);
    assert_int_equal(config_restart_changes(&running, &fx->cfg, buf, sizeof buf), 0);
    assert_int_equal(s_load(fx, "[server]\nthreads = 3\nlog_level = debug\n[database]\n"
                                "host = db.example\n[droplist]\nmin_share = 0.9\n"
                                "[metrics]\nlisten = 127.0.0.1:9155\n"),
                     0);
    assert_int_equal(config_restart_changes(&running, &fx->cfg, buf, sizeof buf), 4);
    assert_string_equal(buf, "[server] threads, [database] host, [droplist] min_share, "
                             "[metrics] listen");
    /* a short buffer is cut, still terminated, and the count stays right */
    assert_int_equal(config_restart_changes(&running, &fx->cfg, buf, 10), 4);
    assert_string_equal(buf, "[server] ");
}

static void test_hook_choices(void **state)
{
    s_fixture_t *fx = *state;
    assert_int_equal(s_load(fx, "[hook]\nquery = oracle\nmode = Monitor\naction = drop\n"
                                "fail = closed\ntimeout_ms = 20\n"),
                     0);
    assert_int_equal(fx->cfg.hook.query, HOOK_QUERY_ORACLE);
    assert_int_equal(fx->cfg.hook.mode, HOOK_MODE_MONITOR);
    assert_int_equal(fx->cfg.hook.action, HOOK_ACTION_DROP);
    assert_int_equal(fx->cfg.hook.fail, HOOK_FAIL_CLOSED);
    assert_int_equal(fx->cfg.hook.timeout_ms, 20);
    assert_int_equal(s_load(fx, "[hook]\naction = servfail\n"), -EINVAL);
    assert_non_null(
        strstr(fx->err, ":2: action: 'servfail' is not one of nxdomain, refused, drop"));
    assert_int_equal(s_load(fx, "[hook]\ntimeout_ms = 0\n"), -EINVAL);
    /* the words the hook's module gives its script, from the same table */
    assert_string_equal(config_choice_word("hook", "query", HOOK_QUERY_ORACLE), "oracle");
    assert_string_equal(config_choice_word("hook", "mode", HOOK_MODE_ENFORCE), "enforce");
    assert_string_equal(config_choice_word("hook", "action", HOOK_ACTION_REFUSED), "refused");
    assert_string_equal(config_choice_word("hook", "fail", HOOK_FAIL_OPEN), "open");
    assert_null(config_choice_word("hook", "action", HOOK_ACTION_DROP + 1));
    assert_null(config_choice_word("hook", "timeout_ms", 0)); /* not a choice */
    assert_null(config_choice_word("server", "query", 0));
}

static void test_missing_file_refused(void **state)
{
    (void)state;
    config_t cfg;
    char err[512] = "";
    assert_int_equal(config_load("/nonexistent/dnsoracle.conf", &cfg, err, sizeof err), -ENOENT);
    assert_non_null(strstr(err, "/nonexistent/dnsoracle.conf: "));
    config_t def;
    config_defaults(&def);
    assert_memory_equal(&cfg, &def, sizeof def);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty_file_is_defaults, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_each_type_parses, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_dump_reads_back, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_names_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bad_values_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_first_error_is_reported, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_indented_line_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_long_values, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_retention_shorter_than_window_refused, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_restart_changes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_hook_choices, s_setup, s_teardown),
        cmocka_unit_test(test_missing_file_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
