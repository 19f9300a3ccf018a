/* oracle/name.c - parsing and validating a query name as received. */
#include "name.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static uint8_t s_lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c; }

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

int name_parse(const char *in, size_t len, name_t *out)
{
    out->length = 0;
    out->nlabels = 0;
    out->lower[0] = out->orig[0] = 0;
    if (len == 0 || len > NAME_MAX_INPUT)
        return -EINVAL;
    if (len == 1 && in[0] == '.')
        return 0; /* the root */

    size_t pos = 0, label_start = 0;
    size_t i = 0;
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
            size_t ll = pos - label_start;
            if (ll == 0)
                return -EINVAL; /* empty label: leading dot or ".." */
            if (i == len)
                break; /* the trailing dot of a fully qualified name */
            if (pos >= NAME_MAX_TEXT)
                return -EINVAL;
            out->lower[pos] = out->orig[pos] = '.';
            pos++;
            label_start = pos;
            continue;
        }
        if (pos >= NAME_MAX_TEXT)
            return -EINVAL;
        if (pos - label_start == 0) {
            if (out->nlabels == NAME_MAX_LABELS)
                return -EINVAL;
            out->off[out->nlabels++] = (uint8_t)label_start;
        }
        if (pos - label_start >= NAME_MAX_LABEL)
            return -EINVAL;
        out->orig[pos] = c;
        out->lower[pos] = s_lower(c);
        pos++;
        out->len[out->nlabels - 1] = (uint8_t)(pos - label_start);
    }
    if (out->nlabels == 0)
        return -EINVAL;
    out->length = pos;
    out->lower[pos] = out->orig[pos] = 0;
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
