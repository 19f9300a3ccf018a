/* tests/unit/test_curve.c - CURVE key files: what curve_load accepts and
 * refuses, curve_generate's files, curve_find_client. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <cmocka.h>

#include "curve.h"

/* A fixed key pair (made once with zmq_curve_keypair). */
static char s_pub[CURVE_Z85_LEN + 1], s_sec[CURVE_Z85_LEN + 1];
static char s_dir[64];

static int s_setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/test_curve.XXXXXX");
    if (!mkdtemp(s_dir) || zmq_curve_keypair(s_pub, s_sec) != 0)
        return -1;
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes text to DIR/name with mode; returns the path (static buffer). */
static const char *s_file(const char *name, const char *text, mode_t mode)
{
    static char path[192];
    snprintf(path, sizeof path, "%s/%s", s_dir, name);
    unlink(path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
    return path;
}

static void test_load_pair_and_public(void **state)
{
    (void)state;
    char text[256], err[512];
    curve_keys_t k;
    snprintf(text, sizeof text, "# comment\n  public-key = \"%s\"\n  secret-key = \"%s\"\n", s_pub,
             s_sec);
    assert_int_equal(curve_load(s_file("a.key", text, 0600), true, true, &k, err, sizeof err), 0);
    assert_string_equal(k.public_z85, s_pub);
    assert_string_equal(k.secret_z85, s_sec);

    /* unquoted, secret only: the public key is derived */
    snprintf(text, sizeof text, "secret-key=%s\n", s_sec);
    assert_int_equal(curve_load(s_file("b.key", text, 0600), true, true, &k, err, sizeof err), 0);
    assert_string_equal(k.public_z85, s_pub);

    /* a public file: fine unless a secret is needed */
    snprintf(text, sizeof text, "public-key = \"%s\"\n", s_pub);
    const char *pub = s_file("a.pub", text, 0644);
    assert_int_equal(curve_load(pub, false, false, &k, err, sizeof err), 0);
    assert_string_equal(k.public_z85, s_pub);
    assert_string_equal(k.secret_z85, "");
    assert_true(curve_load(pub, true, false, &k, err, sizeof err) < 0);
    assert_non_null(strstr(err, "no secret-key line"));
}

static void test_load_refuses(void **state)
{
    (void)state;
    char text[256], err[512];
    curve_keys_t k;
    /* a secret others may read, when private_only */
    snprintf(text, sizeof text, "public-key = \"%s\"\nsecret-key = \"%s\"\n", s_pub, s_sec);
    const char *open_key = s_file("open.key", text, 0640);
    assert_true(curve_load(open_key, true, true, &k, err, sizeof err) < 0);
    assert_non_null(strstr(err, "group or others may read (mode 640)"));
    assert_string_equal(k.secret_z85, ""); /* nothing left behind */
    assert_int_equal(curve_load(open_key, true, false, &k, err, sizeof err), 0);

    /* a public key that is not the secret key's */
    char other_pub[CURVE_Z85_LEN + 1], other_sec[CURVE_Z85_LEN + 1];
    assert_int_equal(zmq_curve_keypair(other_pub, other_sec), 0);
    snprintf(text, sizeof text, "public-key = \"%s\"\nsecret-key = \"%s\"\n", other_pub, s_sec);
    assert_true(curve_load(s_file("mixed.key", text, 0600), true, true, &k, err, sizeof err) < 0);
    assert_non_null(strstr(err, "does not belong"));

    /* wrong lengths, bad characters, nothing at all, no such file */
    assert_true(curve_load(s_file("short", "public-key = \"abc\"\n", 0644), false, false, &k, err,
                           sizeof err) < 0);
    assert_non_null(strstr(err, "not 40 characters of Z85"));
    snprintf(text, sizeof text, "public-key = \"%.39s~\"\n", s_pub); /* ~ is not Z85 */
    assert_true(curve_load(s_file("bad", text, 0644), false, false, &k, err, sizeof err) < 0);
    assert_true(curve_load(s_file("empty", "", 0644), false, false, &k, err, sizeof err) < 0);
    assert_non_null(strstr(err, "no public-key line"));
    /* a commented-out key does not count */
    snprintf(text, sizeof text, "# public-key = \"%s\"\n", s_pub);
    assert_true(curve_load(s_file("commented", text, 0644), false, false, &k, err, sizeof err) < 0);
    assert_true(curve_load("/nonexistent/x.key", false, false, &k, err, sizeof err) < 0);
    assert_non_null(strstr(err, "/nonexistent/x.key: No such file"));
    assert_true(curve_load(s_dir, false, false, &k, err, sizeof err) < 0);
    assert_non_null(strstr(err, "not a regular file"));
}

static void test_generate(void **state)
{
    (void)state;
    char prefix[128], path[160], err[512], pub[CURVE_Z85_LEN + 1];
    curve_keys_t pair, half;
    struct stat st;
    snprintf(prefix, sizeof prefix, "%s/gen", s_dir);
    assert_int_equal(curve_generate(prefix, pub, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s.key", prefix);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(curve_load(path, true, true, &pair, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s.pub", prefix);
    assert_int_equal(curve_load(path, false, false, &half, err, sizeof err), 0);
    assert_string_equal(pair.public_z85, pub);
    assert_string_equal(half.public_z85, pub);
    assert_string_equal(half.secret_z85, "");
    /* never over an existing file */
    assert_int_equal(curve_generate(prefix, pub, err, sizeof err), -EEXIST);
    assert_non_null(strstr(err, "exists"));
}

static void test_find_client(void **state)
{
    (void)state;
    char clients[96], path[160], text[128], who[64];
    uint8_t key[32];
    snprintf(clients, sizeof clients, "%s/clients", s_dir);
    assert_int_equal(mkdir(clients, 0755), 0);
    zmq_z85_decode(key, s_pub);
    assert_int_equal(curve_find_client(clients, key, who, sizeof who), 0);
    snprintf(text, sizeof text, "public-key = \"%s\"\n", s_pub);
    snprintf(path, sizeof path, "%s/.hidden.pub", clients);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(curve_find_client(clients, key, who, sizeof who), 0); /* dot files skipped */
    snprintf(path, sizeof path, "%s/junk", clients);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("not a key\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/resolver1.pub", clients);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(curve_find_client(clients, key, who, sizeof who), 1);
    assert_string_equal(who, "resolver1.pub");
    key[0] ^= 1;
    assert_int_equal(curve_find_client(clients, key, who, sizeof who), 0);
    assert_true(curve_find_client("/nonexistent", key, who, sizeof who) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_pair_and_public),
        cmocka_unit_test(test_load_refuses),
        cmocka_unit_test(test_generate),
        cmocka_unit_test(test_find_client),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
