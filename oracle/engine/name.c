/* oracle/engine/name.c - parsing and validating a query name as received. */
#include "name.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Decodes one escape starting after the backslash. Returns the number of
 * input bytes consumed, or 0 for a malformed escape. */
static size_t s_unescape(const char *p, size_t left, uint8_t *byte)
{
    if (left == 0)
        return 0;
    if (p[0] >= '0' && p[0] <= '9') {
        if (left < 3)
            return 0;
        unsigned v = 0;
        for (int i = 0; i < 3; i++) {
            if (p[i] < '0' || p[i] > '9')
                return 0;
            v = v * 10 + (unsigned)(p[i] - '0');
        }
        if (v > 255)
            return 0;
        *byte = (uint8_t)v;
        return 3;
    }
    *byte = (uint8_t)p[0];
    return 1;
}

/* The common case, no escapes: copy, then find the dots. */
static int s_parse_plain(const char *in, size_t len, name_t *out)
{
    if (in[len - 1] == '.')
        len--; /* the trailing dot of a fully qualified name */
    if (len == 0 || len > NAME_MAX_TEXT)
        return -EINVAL;
    size_t start = 0; /* bytes are copied by the caller's lowercasing loop */
    for (;;) {
        const char *dot = memchr(in + start, '.', len - start);
        size_t end = dot ? (size_t)(dot - in) : len;
        if (end == start || end - start > NAME_MAX_LABEL || out->nlabels == NAME_MAX_LABELS)
            return -EINVAL;
        out->off[out->nlabels] = (uint8_t)start;
        out->len[out->nlabels++] = (uint8_t)(end - start);
        if (!dot)
            break;
        start = end + 1;
    }
    out->length = len;
    return 0;
}

/* With escapes: decode byte by byte; an escaped dot is a byte of its label. */
static int s_parse_escaped(const char *in, size_t len, name_t *out)
{
    size_t pos = 0, label_start = 0, i = 0;
    while (i < len) {
        uint8_t c = (uint8_t)in[i];
        int escaped = 0;
        if (c == '\\') {
            size_t used = s_unescape(in + i + 1, len - i - 1, &c);
            if (used == 0)
                return -EINVAL;
            i += 1 + used;
            escaped = 1;
        } else {
            i++;
        }
        if (c == 0)
            return -EINVAL;
        if (c == '.' && !escaped) {
            if (pos == label_start)
                return -EINVAL; /* empty label: leading dot or ".." */
            if (i == len)
                break; /* the trailing dot */
            if (pos >= NAME_MAX_TEXT)
                return -EINVAL;
            out->orig[pos++] = '.';
            label_start = pos;
            continue;
        }
        if (pos >= NAME_MAX_TEXT || pos - label_start >= NAME_MAX_LABEL)
            return -EINVAL;
        if (pos == label_start) {
            if (out->nlabels == NAME_MAX_LABELS)
                return -EINVAL;
            out->off[out->nlabels++] = (uint8_t)label_start;
        }
        out->orig[pos++] = c;
        out->len[out->nlabels - 1] = (uint8_t)(pos - label_start);
    }
    if (out->nlabels == 0)
        return -EINVAL;
    out->length = pos;
    return 0;
}

int name_parse(const char *in, size_t len, name_t *out)
{
    out->length = 0;
    out->nlabels = 0;
    out->lower[0] = out->orig[0] = 0;
    if (len == 0 || len > NAME_MAX_INPUT)
        return -EINVAL;
    if (len == 1 && in[0] == '.')
        return 0; /* the root */
    /* One pass that vectorises: any escape, or a raw NUL (never valid)? */
    unsigned special = 0;
    for (size_t i = 0; i < len; i++)
        special |= (unsigned)(in[i] == '\\') | (unsigned)(in[i] == 0);
    int rc = special ? s_parse_escaped(in, len, out) : s_parse_plain(in, len, out);
    if (rc != 0) {
        out->length = out->nlabels = 0;
        out->lower[0] = out->orig[0] = 0;
        return rc;
    }
    /* Copy (plain names) and lowercase in one branch-free loop, which the
     * compiler vectorises. */
    const uint8_t *src = special ? out->orig : (const uint8_t *)in;
    size_t n = out->length;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = src[i];
        out->orig[i] = c;
        out->lower[i] = (uint8_t)(c + ((uint8_t)(c - 'A') < 26 ? 32 : 0));
    }
    out->lower[n] = out->orig[n] = 0;
    return 0;
}

int name_format(const name_t *name, size_t first_label, char *buf, size_t cap)
{
    size_t w = 0;
    for (size_t l = first_label; l < name->nlabels; l++) {
        const uint8_t *p = name->lower + name->off[l];
        for (size_t k = 0; k < name->len[l]; k++) {
            char tmp[5];
            int n;
            if (p[k] <= 32 || p[k] >= 127)
                n = snprintf(tmp, sizeof tmp, "\\%03u", p[k]);
            else if (p[k] == '.' || p[k] == '\\')
                n = snprintf(tmp, sizeof tmp, "\\%c", p[k]);
            else
                n = snprintf(tmp, sizeof tmp, "%c", p[k]);
            if (w + (size_t)n + 1 > cap)
                return -ENOSPC;
            memcpy(buf + w, tmp, (size_t)n);
            w += (size_t)n;
        }
        if (l + 1 < name->nlabels) {
            if (w + 2 > cap)
                return -ENOSPC;
            buf[w++] = '.';
        }
    }
    if (w + 1 > cap)
        return -ENOSPC;
    buf[w] = 0;
    return (int)w;
}
