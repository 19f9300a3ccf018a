/* oracle/engine/exempt.c - names that are good by their structure, and the allow
 * list. */
#include "exempt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"

static int s_label_is(const name_t *name, size_t l, const char *text)
{
    size_t n = strlen(text);
    return name->len[l] == n && memcmp(name->lower + name->off[l], text, n) == 0;
}

static int s_is_octet(const uint8_t *p, size_t len)
{
    if (len == 0 || len > 3 || (len > 1 && p[0] == '0'))
        return 0;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    return v <= 255;
}

static int s_is_nibble(const uint8_t *p, size_t len)
{
    return len == 1 && ((p[0] >= '0' && p[0] <= '9') || (p[0] >= 'a' && p[0] <= 'f'));
}

int exempt_reverse(const name_t *name)
{
    size_t n = name->nlabels;
    if (n < 2 || !s_label_is(name, n - 1, "arpa"))
        return 0;
    int v4 = s_label_is(name, n - 2, "in-addr");
    int v6 = s_label_is(name, n - 2, "ip6");
    if (!v4 && !v6)
        return 0;
    size_t data = n - 2;
    if (data > (v4 ? 4u : 32u))
        return 0;
    for (size_t l = 0; l < data; l++) {
        const uint8_t *p = name->lower + name->off[l];
        if (v4 ? !s_is_octet(p, name->len[l]) : !s_is_nibble(p, name->len[l]))
            return 0;
    }
    return 1;
}

/* RFC 6335 service names: 1-15 characters, letters, digits and hyphens, at
 * least one letter, no hyphen at either end; written as a label with '_'. */
static int s_is_service_label(const uint8_t *p, size_t len)
{
    if (len < 2 || len > 16 || p[0] != '_' || p[1] == '-' || p[len - 1] == '-')
        return 0;
    int letter = 0;
    for (size_t i = 1; i < len; i++) {
        uint8_t c = p[i];
        if (c >= 'a' && c <= 'z')
            letter = 1;
        else if (!((c >= '0' && c <= '9') || c == '-'))
            return 0;
    }
    return letter;
}

/* 8-4-4-4-12 hex digits: how Active Directory names domain controllers. */
static int s_is_guid(const uint8_t *p, size_t len)
{
    if (len != 36)
        return 0;
    for (size_t i = 0; i < len; i++) {
        int dash = (i == 8 || i == 13 || i == 18 || i == 23);
        if (dash ? p[i] != '-' : !s_is_nibble(p + i, 1))
            return 0;
    }
    return 1;
}

size_t exempt_service_labels(const name_t *name, unsigned char *skip)
{
    size_t marked = 0;
    for (size_t l = 0; l < name->nlabels; l++) {
        const uint8_t *p = name->lower + name->off[l];
        int guid = l + 1 < name->nlabels && s_is_guid(p, name->len[l]) &&
                   (s_label_is(name, l + 1, "_msdcs") ||
                    (l + 2 < name->nlabels && s_label_is(name, l + 1, "domains") &&
                     s_label_is(name, l + 2, "_msdcs")));
        skip[l] = (unsigned char)(guid || s_is_service_label(p, name->len[l]));
        marked += skip[l];
    }
    return marked;
}

int exempt_parse_list(suffixset_t *set, const char *text, size_t len, const char *origin, char *err,
                      size_t errcap)
{
    int lineno = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        lineno++;
        const char *hash = memchr(p, '#', (size_t)(stop - p));
        const char *e = hash ? hash : stop;
        while (p < e && (*p == ' ' || *p == '\t'))
            p++;
        while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
            e--;
        if (e > p) {
            char entry[NAME_MAX_TEXT + 2];
            size_t n = (size_t)(e - p);
            int rc = -EINVAL;
            if (n < sizeof entry && !memchr(p, ' ', n) && !memchr(p, '\t', n)) {
                memcpy(entry, p, n);
                entry[n] = 0;
                rc = suffixset_add(set, entry);
            }
            if (rc != 0) {
                snprintf(err, errcap, "%s:%d: %s '%.*s'", origin, lineno,
                         rc == -ENOMEM ? "out of memory at" : "not a domain suffix:",
                         (int)(n > 80 ? 80 : n), p);
                return rc;
            }
        }
        p = stop + 1;
    }
    return 0;
}

int exempt_load_list(suffixset_t *set, const char *path, char *err, size_t errcap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
        return -errno;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    int rc = 0;
    while (buf) {
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap)
            break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    if (!buf) {
        snprintf(err, errcap, "%s: out of memory", path);
        rc = -ENOMEM;
    } else if (ferror(f)) {
        snprintf(err, errcap, "%s: read error", path);
        rc = -EIO;
    } else {
        rc = exempt_parse_list(set, buf, len, path, err, errcap);
    }
    free(buf);
    fclose(f);
    return rc;
}

int exempt_default_list(suffixset_t *set, char *err, size_t errcap)
{
    return exempt_parse_list(set, embedded_default_allowlist, embedded_default_allowlist_len,
                             "built-in allow list", err, errcap);
}
