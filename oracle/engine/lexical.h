/* oracle/engine/lexical.h - the lexical measurements behind the entropy and
 * charset tests.
 *
 * lexical_measure() looks at a run of labels once and records what the
 * tests need: character counts for the Shannon entropy, and the charset
 * signals tunnels leave behind (long hex runs, base32/base64 alphabets,
 * digit/letter alternation, case alternation, bytes outside
 * letters-digits-hyphen, long labels, many labels, long names). It keeps no
 * state and allocates nothing.
 */
#ifndef DNSORACLE_LEXICAL_H
#define DNSORACLE_LEXICAL_H

#include <stddef.h>
#include <stdint.h>

#include "name.h"

typedef struct {
    size_t chars;         /* bytes in the measured labels, dots excluded */
    size_t labels;        /* labels measured */
    double entropy;       /* Shannon entropy of those bytes, bits per byte */
    double entropy_ratio; /* entropy / what random data of that length reaches */
    size_t longest_label;
    size_t non_ldh;        /* bytes other than a-z A-Z 0-9 '-' '_' */
    size_t hex_chars;      /* bytes in runs of 6+ hex digits mixing letters and digits */
    size_t case_switches;  /* upper<->lower changes inside labels, first letter aside */
    size_t digit_switches; /* most digit<->letter changes in one label */
    size_t data_label;     /* longest label that looks encoded (see lexical.c) */
    size_t longest_run;    /* longest run of letters and digits (no '-', '_') in one label */
    size_t encoded_chars;  /* bytes in labels of 16+ that look encoded, summed */
    size_t punycode;       /* "xn--" labels: only length, byte and entropy signals */
} lexical_t;

/* Measures labels [first, last) of `name`, skipping any label for which
 * skip[label] is non-zero (skip may be NULL). */
void lexical_measure(const name_t *name, size_t first, size_t last, const unsigned char *skip,
                     lexical_t *out);

/* Returns the number of bytes of a lowercase label outside a-z 0-9 '-' '_'. */
size_t lexical_non_ldh(const uint8_t *label, size_t len);

/* Returns 1 when a lowercase label holds an IPv4 address written with
 * hyphens ("69-7-0-143", "ip-10-0-0-1", "ec2-52-1-2-3"): ISP and cloud host
 * naming. It carries four bytes at most; the bigram test skips it. */
int lexical_is_address(const uint8_t *label, size_t len);

/* Returns 1 when a lowercase label is punycode ("xn--..."), else 0. */
int lexical_is_punycode(const uint8_t *label, size_t len);

/* Expected Shannon entropy (bits per byte) of n bytes drawn uniformly from an
 * alphabet of 32 symbols, the smallest alphabet tunnels use (base32); exact
 * for n <= NAME_MAX_TEXT. */
double lexical_random_entropy(size_t n);

#endif
