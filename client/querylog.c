/* client/querylog.c - query log lines: [TIME] [CLIENT] NAME [QTYPE]. */
#include "querylog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_MAX_FIELDS 4

static const struct {
    const char *name;
    unsigned type;
} s_qtypes[] = {
    {"A", 1},       {"NS", 2},    {"CNAME", 5},  {"SOA", 6},   {"NULL", 10},  {"PTR", 12},
    {"MX", 15},     {"TXT", 16},  {"AAAA", 28},  {"SRV", 33},  {"NAPTR", 35}, {"DS", 43},
    {"DNSKEY", 48}, {"SVCB", 64}, {"HTTPS", 65}, {"CAA", 257}, {"ANY", 255},
};

/* A decimal number of 1 to 65535 in s[0..len). */
static int s_number(const char *s, size_t len)
{
    if (len == 0 || len > 5)
        return -1;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    return v >= 1 && v <= 65535 ? (int)v : -1;
}

int querylog_qtype(const char *s, size_t len)
{
    for (size_t i = 0; i < sizeof s_qtypes / sizeof s_qtypes[0]; i++) {
        if (strlen(s_qtypes[i].name) == len && strncasecmp(s, s_qtypes[i].name, len) == 0)
            return (int)s_qtypes[i].type;
    }
    if (len > 4 && strncasecmp(s, "TYPE", 4) == 0)
        return s_number(s + 4, len - 4);
    return s_number(s, len);
}

const char *querylog_qtype_name(unsigned qtype, char *buf, size_t cap)
{
    for (size_t i = 0; i < sizeof s_qtypes / sizeof s_qtypes[0]; i++) {
        if (s_qtypes[i].type == qtype) {
            snprintf(buf, cap, "%s", s_qtypes[i].name);
            return buf;
        }
    }
    snprintf(buf, cap, "TYPE%u", qtype);
    return buf;
}

/* Digits with an optional fraction, and nothing else: the time. */
static bool s_time(const char *s, size_t len, double *out)
{
    char buf[64];
    size_t i = 0, digits = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i < len && s[i] == '.')
        i++;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i != len || digits == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    *out = strtod(buf, NULL);
    return true;
}

/* An IPv4 or IPv6 address, written back in inet_ntop() form. */
static bool s_client(const char *s, size_t len, char *out)
{
    char buf[INET6_ADDRSTRLEN + 1];
    unsigned char addr[16];
    if (len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (inet_pton(AF_INET, buf, addr) == 1)
        return inet_ntop(AF_INET, addr, out, INET6_ADDRSTRLEN) != NULL;
    if (inet_pton(AF_INET6, buf, addr) == 1)
        return inet_ntop(AF_INET6, addr, out, INET6_ADDRSTRLEN) != NULL;
    return false;
}

/* Splits the line at spaces and tabs; returns the fields, or more than
 * S_MAX_FIELDS when there are too many. */
static size_t s_split(const char *line, size_t len, const char **f, size_t *flen)
{
    size_t n = 0, i = 0;
    while (i < len) {
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == len)
            break;
        size_t start = i;
        while (i < len && line[i] != ' ' && line[i] != '\t')
            i++;
        if (n == S_MAX_FIELDS)
            return n + 1;
        f[n] = line + start;
        flen[n++] = i - start;
    }
    return n;
}

int querylog_parse(const char *line, size_t len, querylog_t *q, const char **why)
{
    const char *f[S_MAX_FIELDS];
    size_t flen[S_MAX_FIELDS];
    memset(q, 0, sizeof *q);
    size_t n = s_split(line, len, f, flen);
    if (n == 0 || f[0][0] == '#')
        return 0;
    if (n > S_MAX_FIELDS) {
        *why = "more than 4 fields";
        return -EINVAL;
    }
    size_t first = 0, end = n;
    if (end - first >= 2 && s_time(f[0], flen[0], &q->time)) {
        q->has_time = true;
        first++;
    }
    int t;
    if (end - first >= 2 && (t = querylog_qtype(f[end - 1], flen[end - 1])) > 0) {
        q->qtype = (unsigned)t;
        end--;
    }
    if (end - first == 2) {
        if (s_client(f[first], flen[first], q->client)) {
            first++;
        } else if (s_client(f[first + 1], flen[first + 1], q->client)) {
            end--;
        } else {
            *why = "two names (no field is a client address)";
            return -EINVAL;
        }
    }
    if (end - first != 1) {
        *why = "too many fields (expected [TIME] [CLIENT] NAME [QTYPE])";
        return -EINVAL;
    }
    q->name = f[first];
    q->name_len = flen[first];
    return 1;
}
