/* tests/unit/test_model.c - the bigram model: training, the file format and
 * its refusal of damaged files, and scoring. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "model.h"

static const char *const s_words[] = {
    "www",  "mail",    "example", "google",   "static", "cdn",   "login", "accounts",
    "news", "weather", "london",  "shopping", "images", "video", "api",   "support",
};

static model_t *s_trained(void)
{
    model_t *m = model_new();
    assert_non_null(m);
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < sizeof s_words / sizeof s_words[0]; i++) {
            model_train_label(m, (const uint8_t *)s_words[i], strlen(s_words[i]));
            model_count_name(m);
        }
    model_finish(m);
    return m;
}

static double s_score(const model_t *m, const char *label)
{
    double sum = 0;
    size_t pairs = 0;
    model_score_label(m, (const uint8_t *)label, strlen(label), &sum, &pairs);
    assert_int_equal(pairs, strlen(label) + 1);
    return sum / (double)pairs;
}

/* The model in file form; the caller frees the text. */
static char *s_text(const model_t *m, size_t *len)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(model_write(m, f), 0);
    long size = ftell(f);
    assert_true(size > 0);
    rewind(f);
    char *text = malloc((size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
    text[size] = 0;
    fclose(f);
    *len = (size_t)size;
    return text;
}

/* Parsing `text` must fail with a message containing `why`. */
static void s_refused(const char *text, size_t len, const char *why)
{
    char err[256] = "";
    model_t *m = model_parse(text, len, err, sizeof err);
    if (m) {
        model_destroy(&m);
        fail_msg("accepted a model that should fail with '%s'", why);
    }
    if (!strstr(err, why))
        fail_msg("error '%s' does not mention '%s'", err, why);
    assert_true(strncmp(err, "line ", 5) == 0);
}

static void test_classes(void **state)
{
    (void)state;
    assert_int_equal(model_class('a'), 1);
    assert_int_equal(model_class('z'), 26);
    assert_int_equal(model_class('0'), 27);
    assert_int_equal(model_class('9'), 36);
    assert_int_equal(model_class('-'), 37);
    assert_int_equal(model_class('_'), 38);
    assert_int_equal(model_class('A'), MODEL_CLASSES - 1); /* labels are lowercased first */
    assert_int_equal(model_class(0xff), MODEL_CLASSES - 1);
    assert_int_equal(model_class('.'), MODEL_CLASSES - 1);
}

static void test_training_counts(void **state)
{
    (void)state;
    model_t *m = model_new();
    assert_int_equal(model_transitions(m), 0);
    model_train_label(m, (const uint8_t *)"ab", 2); /* ^a ab b$ */
    model_count_name(m);
    assert_int_equal(model_transitions(m), 3);
    assert_int_equal(model_names(m), 1);
    size_t len;
    char *text = s_text(m, &len);
    assert_non_null(strstr(text, "\nnames 1\n"));
    /* row 0 (boundary) has one count, into 'a' (class 1) */
    assert_non_null(strstr(text, "\nrow 0 0 1 0 0"));
    free(text);
    model_destroy(&m);
    assert_null(m);
    model_destroy(&m);
}

static void test_write_parse_round_trip(void **state)
{
    (void)state;
    model_t *m = s_trained();
    size_t len;
    char *text = s_text(m, &len);
    assert_true(strncmp(text, "dnsoracle-bigram 1\nclasses 40\nnames 48\n", 39) == 0);
    char err[256] = "";
    model_t *back = model_parse(text, len, err, sizeof err);
    assert_non_null(back);
    assert_string_equal(err, "");
    assert_int_equal(model_names(back), 48);
    assert_int_equal(model_transitions(back), model_transitions(m));
    static const char *const probes[] = {"www", "examples", "xq7zk2", "mzxw6ytboi", "a-b_c"};
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++)
        assert_true(s_score(back, probes[i]) == s_score(m, probes[i]));
    size_t len2;
    char *again = s_text(back, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(again, text, len);
    free(again);
    free(text);
    model_destroy(&back);
    model_destroy(&m);
}

static void test_load_from_file(void **state)
{
    (void)state;
    model_t *m = s_trained();
    char path[] = "/tmp/test_model_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_int_equal(model_write(m, f), 0);
    fclose(f);
    char err[256] = "";
    model_t *back = model_load(path, err, sizeof err);
    assert_non_null(back);
    assert_true(s_score(back, "weather") == s_score(m, "weather"));
    model_destroy(&back);
    /* a damaged file: the message names the path and the line */
    f = fopen(path, "w");
    fputs("dnsoracle-bigram 1\nclasses 40\nnames 3\n", f);
    fclose(f);
    assert_null(model_load(path, err, sizeof err));
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "line 3: missing or malformed row"));
    unlink(path);
    assert_null(model_load(path, err, sizeof err));
    assert_non_null(strstr(err, path));
    model_destroy(&m);
}

static void test_truncated_file_refused(void **state)
{
    (void)state;
    model_t *m = s_trained();
    size_t len;
    char *text = s_text(m, &len);
    /* every cut: at line ends, inside a row, inside the checksum */
    for (size_t cut = 0; cut < len - 1; cut += (cut < 200 ? 1 : 7)) {
        char err[256] = "";
        model_t *bad = model_parse(text, cut, err, sizeof err);
        if (bad)
            fail_msg("accepted the model cut at byte %zu of %zu", cut, len);
        assert_true(strncmp(err, "line ", 5) == 0);
    }
    /* only the final newline missing is still the whole model */
    model_t *whole = model_parse(text, len - 1, NULL, 0);
    assert_non_null(whole);
    model_destroy(&whole);
    const char *row39 = strstr(text, "\nrow 39 ");
    assert_non_null(row39);
    s_refused(text, (size_t)(row39 - text) + 1, "line 42: missing or malformed row");
    const char *sum = strstr(text, "\nchecksum ");
    s_refused(text, (size_t)(sum - text) + 1, "line 43: missing checksum line");
    s_refused(text, (size_t)(sum - text) + 12, "line 44: malformed checksum");
    free(text);
    model_destroy(&m);
}

static void test_changed_count_fails_checksum(void **state)
{
    (void)state;
    model_t *m = s_trained();
    size_t len;
    char *text = s_text(m, &len);
    /* the first count of row 1 ('a' at the start of no label: 0) -> 7 */
    char *row1 = strstr(text, "\nrow 1 ");
    assert_non_null(row1);
    char *count = row1 + 7;
    assert_true(*count >= '0' && *count <= '9');
    *count = (char)(*count == '7' ? '8' : '7');
    s_refused(text, len, "checksum mismatch");
    free(text);
    model_destroy(&m);
}

static void test_huge_count_refused(void **state)
{
    (void)state;
    model_t *m = s_trained();
    size_t len;
    char *text = s_text(m, &len);
    /* the first count of row 1 -> 10^19: refused before the checksum */
    char *row1 = strstr(text, "\nrow 1 ");
    assert_non_null(row1);
    char *count = row1 + 7, *end = strchr(count, ' ');
    assert_non_null(end);
    size_t out_len = (size_t)(count - text) + 20 + strlen(end);
    char *out = malloc(out_len + 1);
    assert_non_null(out);
    snprintf(out, out_len + 1, "%.*s10000000000000000000%s", (int)(count - text), text, end);
    s_refused(out, out_len, "line 5: a count over 2^48");
    free(out);
    free(text);
    model_destroy(&m);
}

static void test_header_and_trailer_refused(void **state)
{
    (void)state;
    model_t *m = s_trained();
    size_t len;
    char *text = s_text(m, &len);
    char *buf = malloc(len + 64);
    assert_non_null(buf);

    memcpy(buf, text, len + 1);
    buf[0] = 'D'; /* wrong magic */
    s_refused(buf, len, "line 1: not a dnsoracle bigram model");

    memcpy(buf, text, len + 1);
    buf[17] = '2'; /* "dnsoracle-bigram 2" */
    s_refused(buf, len, "line 1: not a dnsoracle bigram model");

    memcpy(buf, text, len + 1);
    memcpy(buf + 19, "classes 41", 10);
    s_refused(buf, len, "line 2: expected 'classes 40'");

    memcpy(buf, text, len + 1);
    memcpy(buf + 30, "names x8", 8); /* non-numeric count */
    s_refused(buf, len, "line 3: expected 'names N'");

    memcpy(buf, text, len + 1);
    char *cell = strstr(buf, "\nrow 5 ") + 7;
    *cell = 'x';
    s_refused(buf, len, "line 9: missing or malformed row");

    memcpy(buf, text, len + 1);
    cell = strstr(buf, "\nrow 5 ") + 7;
    *cell = '-';
    s_refused(buf, len, "line 9: missing or malformed row");

    memcpy(buf, text, len + 1);
    char *end = strstr(buf, "\nrow 6 ");
    memmove(end + 2, end, strlen(end) + 1);
    memcpy(end, " 0", 2); /* a 41st count in row 5 */
    s_refused(buf, len + 2, "line 9: row has more than 40 counts");

    memcpy(buf, text, len + 1);
    strcpy(buf + len, "extra\n");
    s_refused(buf, len + 6, "line 45: unexpected data after the checksum");

    memcpy(buf, text, len + 1);
    strcpy(buf + len, "\n");
    s_refused(buf, len + 1, "unexpected data after the checksum");

    free(buf);
    free(text);
    model_destroy(&m);
}

static void test_all_zero_model_refused(void **state)
{
    (void)state;
    model_t *m = model_new();
    size_t len;
    char *text = s_text(m, &len);
    s_refused(text, len, "the model holds no transitions");
    free(text);
    model_destroy(&m);
}

static void test_words_score_above_random_letters(void **state)
{
    (void)state;
    model_t *m = s_trained();
    double word = s_score(m, "london");
    double noise = s_score(m, "xqzjvkwy");
    double digits = s_score(m, "k7q2x9z4");
    assert_true(word > noise + 1.0);
    assert_true(word > digits + 1.0);
    assert_true(word < 0); /* log-probabilities */
    /* the sum and pair count accumulate over labels */
    double sum = 0;
    size_t pairs = 0;
    model_score_label(m, (const uint8_t *)"ab", 2, &sum, &pairs);
    model_score_label(m, (const uint8_t *)"cde", 3, &sum, &pairs);
    assert_int_equal(pairs, 7);
    assert_true(sum < 0);
    model_destroy(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classes),
        cmocka_unit_test(test_training_counts),
        cmocka_unit_test(test_write_parse_round_trip),
        cmocka_unit_test(test_load_from_file),
        cmocka_unit_test(test_truncated_file_refused),
        cmocka_unit_test(test_changed_count_fails_checksum),
        cmocka_unit_test(test_huge_count_refused),
        cmocka_unit_test(test_header_and_trailer_refused),
        cmocka_unit_test(test_all_zero_model_refused),
        cmocka_unit_test(test_words_score_above_random_letters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
