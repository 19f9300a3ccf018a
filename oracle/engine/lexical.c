/* oracle/engine/lexical.c - the lexical measurements behind the entropy and charset
 * tests. */
#include "lexical.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

/* Expected plug-in entropy of n uniform draws from K symbols:
 *   E[H] = log2 n - (K / n) * sum_{c=1..n} P(count = c) * c * log2 c
 * with count ~ Binomial(n, 1/K). Computed once for every n a name allows,
 * with c * log2 c, which the entropy of every name needs too. */
#define S_K 32.0
static double s_random_entropy[NAME_MAX_TEXT + 1];
static double s_clogc[NAME_MAX_TEXT + 1]; /* c * log2(c) */
static pthread_once_t s_table_once = PTHREAD_ONCE_INIT;

static void s_fill_tables(void)
{
    for (size_t c = 1; c <= NAME_MAX_TEXT; c++)
        s_clogc[c] = (double)c * log2((double)c);
    for (size_t n = 1; n <= NAME_MAX_TEXT; n++) {
        double p = 1.0 / S_K, sum = 0;
        /* pmf(c) by the recurrence pmf(c) = pmf(c-1) * (n-c+1)/c * p/(1-p) */
        double pmf = pow(1 - p, (double)n);
        for (size_t c = 1; c <= n; c++) {
            pmf *= (double)(n - c + 1) / (double)c * p / (1 - p);
            sum += pmf * s_clogc[c];
        }
        s_random_entropy[n] = log2((double)n) - S_K / (double)n * sum;
    }
}

/* Hex runs shorter than this are words ("cafe", "deadbeef" is 8) or short
 * numbers mixed with letters ("ab12"); only longer runs count. */
#define S_HEX_MIN_RUN 6

/* Byte classes, one table look-up a byte so the loop below has no
 * data-dependent branches: tunnel labels are random, and a mispredicted
 * branch a byte would cost more than all the counting. */
enum {
    S_DIGIT = 1,  /* kind bits: 1 digit, 2 letter, 0 neither */
    S_LETTER = 2, /* (either case) */
    S_HEX = 4,    /* 0-9 a-f (lowercase input) */
    S_LDH = 8,    /* a-z A-Z 0-9 '-' '_' */
    S_UPPER = 16, /* case bits of the original byte */
    S_LOWER = 32,
    S_HYPHEN = 64,
};
static uint8_t s_cls[256];

static void s_fill_classes(void)
{
    for (int c = 0; c < 256; c++) {
        uint8_t k = 0;
        if (c >= '0' && c <= '9')
            k |= S_DIGIT | S_HEX | S_LDH;
        if (c >= 'a' && c <= 'z')
            k |= S_LETTER | S_LDH | S_LOWER | (c <= 'f' ? S_HEX : 0);
        if (c >= 'A' && c <= 'Z')
            k |= S_LETTER | S_LDH | S_UPPER;
        if (c == '-')
            k |= S_LDH | S_HYPHEN;
        if (c == '_')
            k |= S_LDH;
        s_cls[c] = k;
    }
}

/* Punycode (RFC 3492) labels are internationalised names: their ASCII form
 * looks random by design, so only the length, byte and entropy signals apply. */
static int s_is_punycode(const uint8_t *lower, size_t len)
{
    return len > 4 && memcmp(lower, "xn--", 4) == 0;
}

/* Non-LDH counting runs over every byte of every name before anything else,
 * so it takes 16 bytes a step with GCC/Clang vector extensions (SSE2 on
 * x86-64, NEON on arm64), and a scalar loop for the tail. */
typedef uint8_t s_v16 __attribute__((vector_size(16)));

static size_t s_non_ldh_scalar(const uint8_t *p, size_t len)
{
    size_t bad = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = p[i];
        bad += !((uint8_t)(c - 'a') < 26 || (uint8_t)(c - '0') < 10 || c == '-' || c == '_');
    }
    return bad;
}

size_t lexical_non_ldh(const uint8_t *label, size_t len)
{
    size_t bad = 0, i = 0;
    for (; i + 16 <= len; i += 16) {
        s_v16 c;
        memcpy(&c, label + i, 16);
        /* each comparison gives 0xff per lane where it holds */
        s_v16 ok = (s_v16)((s_v16)(c - 'a') < 26) | (s_v16)((s_v16)(c - '0') < 10) |
                   (s_v16)(c == '-') | (s_v16)(c == '_');
        s_v16 not_ok = ~ok & 1;
        uint64_t lanes[2];
        memcpy(lanes, &not_ok, 16);
        /* at most one per byte: the byte sums of two words fit in a byte */
        uint64_t sum = lanes[0] + lanes[1];
        sum = (sum & 0x00ff00ff00ff00ffULL) + ((sum >> 8) & 0x00ff00ff00ff00ffULL);
        sum = sum * 0x0001000100010001ULL >> 48;
        bad += (size_t)sum;
    }
    return bad + s_non_ldh_scalar(label + i, len - i);
}

int lexical_is_address(const uint8_t *label, size_t len)
{
    /* Find four decimal groups of 1-3 digits, each at most 255, joined by
     * single hyphens, starting and ending at the label's ends or hyphens. */
    for (size_t start = 0; start < len; start++) {
        if (start > 0 && label[start - 1] != '-')
            continue;
        size_t i = start;
        int groups = 0;
        while (groups < 4) {
            unsigned v = 0;
            size_t digits = 0;
            while (i < len && label[i] >= '0' && label[i] <= '9' && digits < 4) {
                v = v * 10 + (unsigned)(label[i] - '0');
                i++;
                digits++;
            }
            if (digits == 0 || digits > 3 || v > 255)
                break;
            groups++;
            if (groups < 4) {
                if (i >= len || label[i] != '-')
                    break;
                i++;
            }
        }
        if (groups == 4 && (i == len || label[i] == '-'))
            return 1;
    }
    return 0;
}

int lexical_is_punycode(const uint8_t *label, size_t len) { return s_is_punycode(label, len); }

static void s_once(void)
{
    s_fill_classes();
    s_fill_tables();
}

double lexical_random_entropy(size_t n)
{
    (void)pthread_once(&s_table_once, s_once);
    return s_random_entropy[n > NAME_MAX_TEXT ? NAME_MAX_TEXT : n];
}

/* Counts the signals of one label (not punycode) into *out. A label "looks
 * encoded" when letters and digits alternate the way base32, base64 and hex
 * leave them (letters and digits only, three or more separate runs of digits:
 * "london2017athletics" has one, "k5xw4zlsmv2g6ylb3jqd" three), or when it holds
 * bytes no host name has ('+', '/', '=', raw bytes). */
static void s_label_signals(const uint8_t *lo, const uint8_t *orig, size_t len, lexical_t *out)
{
    size_t non_ldh = 0, dswitch = 0, cswitch = 0, digit_runs = 0, hyphens = 0, hex = 0;
    unsigned prev_kind = 0, prev_case = 0;
    size_t run = 0, alnum = 0;
    unsigned run_mix = 0; /* bit 1 digit seen, bit 2 letter seen, in the hex run */
    for (size_t i = 0; i < len; i++) {
        unsigned k = s_cls[lo[i]];
        unsigned kind = k & (S_DIGIT | S_LETTER);
        unsigned kase = (s_cls[orig[i]] >> 4) & 3;
        non_ldh += !(k & S_LDH);
        hyphens += (k & S_HYPHEN) != 0;
        dswitch += (kind ^ prev_kind) == 3;
        digit_runs += kind == S_DIGIT && prev_kind != S_DIGIT;
        /* the first letter's case is style ("Example"), not a switch */
        cswitch += i > 1 && (kase ^ prev_case) == 3;
        prev_kind = kind;
        prev_case = kase;
        alnum = kind ? alnum + 1 : 0;
        if (alnum > out->longest_run)
            out->longest_run = alnum;
        unsigned h = (k & S_HEX) != 0;
        size_t ended = run_mix == 3 && run >= S_HEX_MIN_RUN ? run : 0;
        hex += h ? 0 : ended;
        run = h ? run + 1 : 0;
        run_mix = h ? run_mix | kind : 0;
    }
    hex += run_mix == 3 && run >= S_HEX_MIN_RUN ? run : 0;
    out->non_ldh += non_ldh;
    out->case_switches += cswitch;
    out->hex_chars += hex;
    if (dswitch > out->digit_switches)
        out->digit_switches = dswitch;
    int looks = non_ldh > 0 || (hyphens == 0 && digit_runs >= 3);
    if (looks && len > out->data_label)
        out->data_label = len;
    if (looks && len >= 16)
        out->encoded_chars += len;
}

void lexical_measure(const name_t *name, size_t first, size_t last, const unsigned char *skip,
                     lexical_t *out)
{
    memset(out, 0, sizeof *out);
    (void)pthread_once(&s_table_once, s_once);
    uint8_t counts[256]; /* a name has at most 253 bytes: no overflow */
    uint8_t seen[NAME_MAX_TEXT];
    size_t distinct = 0;
    memset(counts, 0, sizeof counts);
    for (size_t l = first; l < last; l++) {
        if (skip && skip[l])
            continue;
        const uint8_t *lo = name->lower + name->off[l];
        size_t len = name->len[l];
        out->labels++;
        out->chars += len;
        if (len > out->longest_label)
            out->longest_label = len;
        for (size_t i = 0; i < len; i++) {
            seen[distinct] = lo[i];
            distinct += counts[lo[i]]++ == 0;
        }
        if (s_is_punycode(lo, len)) {
            out->punycode++;
            for (size_t i = 0; i < len; i++)
                out->non_ldh += !(s_cls[lo[i]] & S_LDH) || lo[i] == '_';
            continue;
        }
        s_label_signals(lo, name->orig + name->off[l], len, out);
    }
    if (out->chars == 0)
        return;
    /* H = log2 n - (1/n) * sum c log2 c, over the bytes that occur. */
    double sum = 0;
    for (size_t i = 0; i < distinct; i++) {
        // NOLINTNEXTLINE(clang-analyzer-core.uninitialized.ArraySubscript): seen[] is set above
        sum += s_clogc[counts[seen[i]]];
    }
    size_t n = out->chars;
    out->entropy = log2((double)n) - sum / (double)n;
    if (out->entropy < 0) /* one repeated byte: 0, not a rounding error's -4e-16 */
        out->entropy = 0;
    out->entropy_ratio = s_random_entropy[n] > 0 ? out->entropy / s_random_entropy[n] : 0;
}
