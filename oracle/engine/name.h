/* oracle/engine/name.h - parsing and validating a query name as received.
 *
 * A query name arrives in presentation form: any case, an optional trailing
 * dot, and escapes such as `\.` or `\228` for bytes that cannot be written
 * plainly. name_parse() decodes it into labels of raw bytes, keeps the original
 * case for the charset test and a lowercased copy for everything else, and
 * enforces the DNS limits (labels of 1 to 63 bytes, at most 253 bytes in all,
 * i.e. 255 on the wire). A name_t is a plain value: no allocation, no cleanup.
 */
#ifndef DNSORACLE_NAME_H
#define DNSORACLE_NAME_H

#include <stddef.h>
#include <stdint.h>

#define NAME_MAX_INPUT 1024 /* longest presentation form we look at */
#define NAME_MAX_TEXT 253   /* longest name, dots between labels, no final dot */
#define NAME_MAX_LABEL 63
#define NAME_MAX_LABELS 127

typedef struct {
    /* Labels of raw bytes separated by '.'; a '.' byte inside a label (from
     * `\.`) stays a byte of that label, so use off/len, not the dots. */
    uint8_t lower[NAME_MAX_TEXT + 1]; /* ASCII lowercased, NUL-terminated */
    uint8_t orig[NAME_MAX_TEXT + 1];  /* original case, NUL-terminated */
    size_t length;                    /* bytes in lower/orig, excluding NUL */
    size_t nlabels;                   /* 0 only for the root name "." */
    uint8_t off[NAME_MAX_LABELS];     /* label i starts at lower + off[i] */
    uint8_t len[NAME_MAX_LABELS];     /* and has len[i] bytes */
} name_t;

/* Parses `len` bytes at `in` (need not be NUL-terminated) into `out`.
 * Returns 0, or -EINVAL for an empty name, an empty label, a label over 63
 * bytes, a name over 253 bytes, a bad or truncated escape, or a NUL byte.
 * On error `out` is left in an unspecified but safe state. */
int name_parse(const char *in, size_t len, name_t *out);

/* Writes the lowercased name in presentation form (bytes outside printable
 * ASCII and the characters `.` and `\` inside labels escaped as `\DDD` or
 * `\X`) into buf of size cap. Returns the length written (excluding NUL), or
 * -ENOSPC if it does not fit. */
int name_format(const name_t *name, size_t first_label, char *buf, size_t cap);

#endif
