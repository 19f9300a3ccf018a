/* oracle/lexical.c - the lexical measurements behind the entropy and charset
 * tests. */
#include "lexical.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

/* Expected plug-in entropy of n uniform draws from K symbols:
 *   E[H] = log2 n - (K / n) * sum_{c=1..n} P(count = c) * c * log2 c
 * with count ~ Binomial(n, 1/K). Computed once for every n a name allows. */
#define S_K 32.0
static double s_random_entropy[NAME_MAX_TEXT + 1];
static pthread_once_t s_table_once = PTHREAD_ONCE_INIT;

static void s_fill_table(void)
{
    s_random_entropy[0] = 0;
    for (size_t n = 1; n <= NAME_MAX_TEXT; n++) {
        double p = 1.0 / S_K, sum = 0;
        /* pmf(c) by the recurrence pmf(c) = pmf(c-1) * (n-c+1)/c * p/(1-p) */
        double pmf = pow(1 - p, (double)n);
        for (size_t c = 1; c <= n; c++) {
            pmf *= (double)(n - c + 1) / (double)c * p / (1 - p);
            sum += pmf * (double)c * log2((double)c);
        }
        s_random_entropy[n] = log2((double)n) - S_K / (double)n * sum;
    }
}

double lexical_random_entropy(size_t n)
{
    (void)pthread_once(&s_table_once, s_fill_table);
    return s_random_entropy[n > NAME_MAX_TEXT ? NAME_MAX_TEXT : n];
}

/* Hex runs shorter than this are words ("cafe", "deadbeef" is 8) or short
 * numbers mixed with letters ("ab12"); only longer runs count. */
#define S_HEX_MIN_RUN 6

static int s_is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static int s_is_lower(uint8_t c) { return c >= 'a' && c <= 'z'; }
static int s_is_upper(uint8_t c) { return c >= 'A' && c <= 'Z'; }
static int s_is_hex(uint8_t c) { return s_is_digit(c) || (c >= 'a' && c <= 'f'); }

/* A label "looks encoded" when letters and digits alternate the way base32,
 * base64 and hex leave them: letters and digits only and at least three
 * separate runs of digits. "london2017athletics" or "bet365affiliates" have
 * one; "mzxw6ytboi2dmnzq" has several. Anything outside letters, digits and
 * '-' ('+', '/', '=', raw bytes) also counts, as no host name has it. */
static int s_looks_encoded(const uint8_t *orig, size_t len)
{
    size_t digit_runs = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = orig[i];
        if (s_is_digit(c)) {
            if (i == 0 || !s_is_digit(orig[i - 1]))
                digit_runs++;
        } else if (c == '-') {
            return 0;
        } else if (!s_is_lower(c) && !s_is_upper(c)) {
            return 1;
        }
    }
    return digit_runs >= 3;
}

/* Punycode (RFC 3492) labels are internationalised names: their ASCII form
 * looks random by design, so only the length, byte and entropy signals apply. */
static int s_is_punycode(const uint8_t *lower, size_t len)
{
    return len > 4 && memcmp(lower, "xn--", 4) == 0;
}

void lexical_measure(const name_t *name, size_t first, size_t last, const unsigned char *skip,
                     lexical_t *out)
{
    memset(out, 0, sizeof *out);
    uint32_t counts[256] = {0};
    for (size_t l = first; l < last; l++) {
        if (skip && skip[l])
            continue;
        const uint8_t *lo = name->lower + name->off[l];
        const uint8_t *orig = name->orig + name->off[l];
        size_t len = name->len[l];
        out->labels++;
        out->chars += len;
        if (len > out->longest_label)
            out->longest_label = len;
        if (s_is_punycode(lo, len)) {
            out->punycode++;
            for (size_t i = 0; i < len; i++) {
                counts[lo[i]]++;
                out->non_ldh += !(s_is_digit(lo[i]) || s_is_lower(lo[i]) || lo[i] == '-');
            }
            continue;
        }
        size_t run = 0, run_digits = 0, run_letters = 0, dswitch = 0;
        int prev_kind = 0; /* 1 digit, 2 letter */
        for (size_t i = 0; i < len; i++) {
            uint8_t c = lo[i];
            counts[c]++;
            int kind = s_is_digit(c) ? 1 : s_is_lower(c) ? 2 : 0;
            if (!kind && c != '-' && c != '_')
                out->non_ldh++;
            if (kind && prev_kind && kind != prev_kind)
                dswitch++;
            prev_kind = kind;
            if (i > 1 && ((s_is_upper(orig[i]) && s_is_lower(orig[i - 1])) ||
                          (s_is_lower(orig[i]) && s_is_upper(orig[i - 1]))))
                out->case_switches++;
            if (s_is_hex(c)) {
                run++;
                run_digits += s_is_digit(c);
                run_letters += !s_is_digit(c);
            }
            if (!s_is_hex(c) || i + 1 == len) {
                if (run_digits && run_letters && run >= S_HEX_MIN_RUN)
                    out->hex_chars += run;
                run = run_digits = run_letters = 0;
            }
        }
        if (dswitch > out->digit_switches)
            out->digit_switches = dswitch;
        if (len > out->data_label && s_looks_encoded(orig, len))
            out->data_label = len;
    }
    if (out->chars == 0)
        return;
    double h = 0, n = (double)out->chars;
    for (int c = 0; c < 256; c++)
        if (counts[c]) {
            double p = counts[c] / n;
            h -= p * log2(p);
        }
    out->entropy = h;
    double ref = lexical_random_entropy(out->chars);
    out->entropy_ratio = ref > 0 ? h / ref : 0;
}
