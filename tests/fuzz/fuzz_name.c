/* tests/fuzz/fuzz_name.c - libFuzzer harness for name_parse() and name_format().
 *
 * Any bytes go in: any length (the limit of NAME_MAX_INPUT included), NULs,
 * escapes. The outcome is compared with a small reference decoder written
 * from the contract in name.h rather than from name.c (which has a fast path
 * for plain names and another for escapes that must agree), and a parsed name
 * must hold what every caller relies on: labels of 1 to 63 bytes at the
 * recorded offsets, at most 253 bytes, a lowercased copy of the same length.
 * name_format() must then write a form that parses back to the same name and
 * never write past the buffer it is given. A violation aborts, which libFuzzer
 * reports as a crash with the input that caused it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints what broke and aborts: the input is saved by libFuzzer. */

/* What name.h promises, decoded the slow and obvious way. */
typedef struct {
    uint8_t text[NAME_MAX_INPUT + 1]; /* decoded bytes, '.' between labels */
    size_t length;
    size_t nlabels;
    size_t len[NAME_MAX_INPUT];
} s_ref_t;

static bool s_digit(uint8_t c) { return c >= '0' && c <= '9'; }

/* Returns true when `in` is a valid name by the rules of name.h. */
static bool s_reference(const uint8_t *in, size_t n, s_ref_t *r)
{
    r->length = r->nlabels = 0;
    if (n == 0 || n > NAME_MAX_INPUT)
        return false;
    if (n == 1 && in[0] == '.')
        return true; /* the root */
    size_t cur = 0;  /* bytes in the label being read */
    size_t i = 0;
    while (i < n) {
        uint8_t c = in[i++];
        bool escaped = false;
        if (c == '\\') {
            if (i == n)
                return false;
            if (s_digit(in[i])) { /* \DDD: exactly three digits, at most 255 */
                if (n - i < 3 || !s_digit(in[i + 1]) || !s_digit(in[i + 2]))
                    return false;
                unsigned v = (in[i] - '0') * 100u + (in[i + 1] - '0') * 10u + (in[i + 2] - '0');
                if (v > 255)
                    return false;
                c = (uint8_t)v;
                i += 3;
            } else { /* \X: the byte X itself */
                c = in[i++];
            }
            escaped = true;
        }
        if (c == 0)
            return false;
        if (c == '.' && !escaped) {
            if (cur == 0)
                return false; /* leading dot or ".." */
            r->len[r->nlabels++] = cur;
            cur = 0;
            if (i == n)
                break; /* the trailing dot */
            r->text[r->length++] = '.';
            continue;
        }
        r->text[r->length++] = c;
        cur++;
    }
    if (cur)
        r->len[r->nlabels++] = cur;
    if (r->length > NAME_MAX_TEXT)
        return false;
    for (size_t l = 0; l < r->nlabels; l++)
        if (r->len[l] > NAME_MAX_LABEL)
            return false;
    return true;
}

/* The invariants of a parsed name, whatever the input was. */
static void s_check_shape(const name_t *name)
{
    FUZZ_CHECK(name->length <= NAME_MAX_TEXT);
    FUZZ_CHECK(name->nlabels <= NAME_MAX_LABELS);
    FUZZ_CHECK((name->nlabels == 0) == (name->length == 0));
    FUZZ_CHECK(name->orig[name->length] == 0 && name->lower[name->length] == 0);
    FUZZ_CHECK(strlen((const char *)name->orig) == name->length);
    FUZZ_CHECK(strlen((const char *)name->lower) == name->length);
    size_t pos = 0;
    for (size_t l = 0; l < name->nlabels; l++) {
        FUZZ_CHECK(name->len[l] >= 1 && name->len[l] <= NAME_MAX_LABEL);
        FUZZ_CHECK(name->off[l] == pos);
        pos += name->len[l];
        if (l + 1 < name->nlabels) {
            FUZZ_CHECK(name->orig[pos] == '.' && name->lower[pos] == '.');
            pos++;
        }
    }
    FUZZ_CHECK(pos == name->length);
    for (size_t i = 0; i < name->length; i++) {
        uint8_t c = name->orig[i];
        uint8_t lc = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
        FUZZ_CHECK(name->lower[i] == lc);
    }
}

/* name_format() from label `first`, into a buffer of exactly the size it
 * needs and one byte short (heap buffers, so that AddressSanitizer sees any
 * write past them); what it writes must parse back to the same labels. */
static void s_check_format(const name_t *name, size_t first)
{
    /* Every byte takes at most 4 characters ("\DDD"). */
    static char big[4 * NAME_MAX_TEXT + 2];
    int w = name_format(name, first, big, sizeof big);
    FUZZ_CHECK(w >= 0 && (size_t)w < sizeof big && big[w] == 0 && strlen(big) == (size_t)w);

    char *exact = malloc((size_t)w + 1);
    FUZZ_CHECK(exact);
    FUZZ_CHECK(name_format(name, first, exact, (size_t)w + 1) == w);
    FUZZ_CHECK(memcmp(exact, big, (size_t)w + 1) == 0);
    free(exact);
    if (w > 0) {
        char *shorter = malloc((size_t)w);
        FUZZ_CHECK(shorter);
        FUZZ_CHECK(name_format(name, first, shorter, (size_t)w) == -ENOSPC);
        free(shorter);
    }
    if (first >= name->nlabels) {
        FUZZ_CHECK(w == 0);
        return;
    }
    name_t back;
    FUZZ_CHECK(name_parse(big, (size_t)w, &back) == 0);
    FUZZ_CHECK(back.nlabels == name->nlabels - first);
    const uint8_t *tail = name->lower + name->off[first];
    size_t tail_len = name->length - name->off[first];
    FUZZ_CHECK(back.length == tail_len);
    FUZZ_CHECK(memcmp(back.lower, tail, tail_len) == 0);
    FUZZ_CHECK(memcmp(back.orig, tail, tail_len) == 0); /* the formatted form is lowercase */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy: a read past the input is caught even when the
     * fuzzer's own buffer happens to be larger. */
    char *in = malloc(size ? size : 1);
    if (!in)
        return 0;
    if (size)
        memcpy(in, data, size);

    name_t name;
    static s_ref_t ref;
    int rc = name_parse(in, size, &name);
    bool valid = s_reference(data, size, &ref);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL);
    FUZZ_CHECK((rc == 0) == valid);
    if (rc == 0) {
        s_check_shape(&name);
        FUZZ_CHECK(name.length == ref.length && name.nlabels == ref.nlabels);
        FUZZ_CHECK(memcmp(name.orig, ref.text, ref.length) == 0);
        for (size_t l = 0; l < name.nlabels; l++)
            FUZZ_CHECK(name.len[l] == ref.len[l]);
        /* Formatting from the first label, one in the middle and the last. */
        s_check_format(&name, 0);
        if (name.nlabels > 0) {
            s_check_format(&name, name.nlabels / 2);
            s_check_format(&name, name.nlabels - 1);
        }
        s_check_format(&name, name.nlabels);
    }
    free(in);
    return 0;
}
