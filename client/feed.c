/* client/feed.c - the domains of a threat feed or a list file, line by line. */
#include "feed.h"

#include <arpa/inet.h>
#include <bsd/string.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_LINE_MAX 1024
#define S_FIELDS 8

struct feed {
    char origin[FEED_DOMAIN_MAX + 2]; /* $ORIGIN: lowercase, no final dot; "" none */
    int parens;                       /* open '(' of a record over several lines */
};

feed_t *feed_new(void) { return calloc(1, sizeof(feed_t)); }

void feed_destroy(feed_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

/* Lowercases `in` into out without its final dot; false when the result is
 * not 1 to 253 bytes of labels of 1 to 63 letters, digits, '-', '_'. */
static bool s_domain(const char *in, char *out)
{
    size_t n = strlen(in);
    if (n && in[n - 1] == '.')
        n--;
    if (n == 0 || n > FEED_DOMAIN_MAX)
        return false;
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
        out[i] = c;
    }
    out[n] = 0;
    return label > 0;
}

static bool s_address(const char *text)
{
    char buf[64];
    unsigned char bin[16];
    strlcpy(buf, text, sizeof buf);
    buf[strcspn(buf, "%")] = 0; /* fe80::1%eth0 */
    return inet_pton(AF_INET, buf, bin) == 1 || inet_pton(AF_INET6, buf, bin) == 1;
}

/* The names a hosts file gives the machine itself. */
static bool s_localhost(const char *name)
{
    static const char *const own[] = {
        "local",        "broadcasthost",   "0.0.0.0",      "ip6-localhost",  "ip6-loopback",
        "ip6-localnet", "ip6-mcastprefix", "ip6-allnodes", "ip6-allrouters", "ip6-allhosts"};
    if (strncasecmp(name, "localhost", 9) == 0)
        return true; /* localhost, localhost.localdomain, localhost6... */
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (strcasecmp(name, own[i]) == 0)
            return true;
    return false;
}

static bool s_type(const char *f)
{
    static const char *const types[] = {"A",     "AAAA", "CNAME", "DNAME", "TXT",   "MX",
                                        "NS",    "SOA",  "PTR",   "SRV",   "HINFO", "CAA",
                                        "NAPTR", "SVCB", "HTTPS", "DS",    "LOC"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcasecmp(f, types[i]) == 0)
            return true;
    return false;
}

static bool s_number(const char *f) { return f[0] && strspn(f, "0123456789") == strlen(f); }

static bool s_ttl_or_class(const char *f)
{
    if (strcasecmp(f, "IN") == 0 || strcasecmp(f, "CH") == 0 || strcasecmp(f, "HS") == 0)
        return true;
    return s_number(f);
}

/* Whether a record's data fits its type, so that a line of words that
 * happens to hold a type ("not a domain!!": A) is not taken for a record.
 * rdata: the fields after the type, n of them. */
static bool s_rdata(const char *type, char **rdata, int n)
{
    unsigned char bin[16];
    if (n < 1)
        return false;
    if (strcasecmp(type, "A") == 0)
        return n == 1 && inet_pton(AF_INET, rdata[0], bin) == 1;
    if (strcasecmp(type, "AAAA") == 0)
        return n == 1 && inet_pton(AF_INET6, rdata[0], bin) == 1;
    if (strcasecmp(type, "CNAME") == 0 || strcasecmp(type, "DNAME") == 0 ||
        strcasecmp(type, "NS") == 0 || strcasecmp(type, "PTR") == 0) {
        const char *t = strncmp(rdata[0], "*.", 2) == 0 ? rdata[0] + 2 : rdata[0];
        char name[FEED_DOMAIN_MAX + 2];
        return n == 1 && (strcmp(t, ".") == 0 || s_domain(t, name));
    }
    if (strcasecmp(type, "TXT") == 0)
        return rdata[0][0] == '"';
    if (strcasecmp(type, "HINFO") == 0 || strcasecmp(type, "SOA") == 0)
        return true;
    return s_number(rdata[0]); /* MX, SRV, CAA, NAPTR, SVCB, HTTPS, DS, LOC */
}

/* Splits the line, its comment cut off, into fields; counts its parens. */
static int s_split(feed_t *self, char *buf, char **f, bool *indented)
{
    buf[strcspn(buf, "#;")] = 0;
    *indented = buf[0] == ' ' || buf[0] == '\t';
    int nf = 0;
    for (char *p = buf; nf < S_FIELDS;) {
        p += strspn(p, " \t\r");
        if (!*p)
            break;
        f[nf++] = p;
        p += strcspn(p, " \t\r");
        if (*p)
            *p++ = 0;
    }
    for (int i = 0; i < nf; i++)
        for (const char *p = f[i]; *p; p++)
            self->parens += (*p == '(') - (*p == ')');
    return nf;
}

/* An RPZ owner name: relative to $ORIGIN, or absolute under it; the
 * wildcard is its suffix. */
static feed_result_t s_owner(feed_t *self, const char *owner, char *out, const char **why)
{
    char name[S_LINE_MAX];
    if (strcmp(owner, "@") == 0 || strcmp(owner, "*") == 0)
        return FEED_SKIP; /* the zone itself */
    strlcpy(name, strncmp(owner, "*.", 2) == 0 ? owner + 2 : owner, sizeof name);
    size_t n = strlen(name), o = strlen(self->origin);
    if (n && name[n - 1] == '.' && o) {
        name[--n] = 0;
        if (strcasecmp(name, self->origin) == 0)
            return FEED_SKIP;
        if (n > o + 1 && name[n - o - 1] == '.' && strcasecmp(name + n - o, self->origin) == 0)
            name[n - o - 1] = 0;
    }
    static const char *const triggers[] = {".rpz-ip", ".rpz-nsip", ".rpz-nsdname",
                                           ".rpz-client-ip"};
    n = strlen(name);
    for (size_t i = 0; i < sizeof triggers / sizeof triggers[0]; i++) {
        size_t t = strlen(triggers[i]);
        if (n >= t && strcasecmp(name + n - t, triggers[i]) == 0)
            return FEED_SKIP; /* not a query name trigger */
    }
    if (!s_domain(name, out)) {
        *why = "not a domain name (labels of letters, digits, '-', '_')";
        return FEED_BAD;
    }
    return FEED_DOMAIN;
}

feed_result_t feed_line(feed_t *self, const char *line, size_t len, char *out, const char **why)
{
    char buf[S_LINE_MAX], *f[S_FIELDS];
    bool indented;
    *why = "";
    if (len >= sizeof buf) {
        *why = "line too long";
        return FEED_BAD;
    }
    memcpy(buf, line, len);
    buf[len] = 0;
    if (memchr(line, 0, len)) {
        *why = "a NUL byte";
        return FEED_BAD;
    }
    bool continued = self->parens > 0;
    int nf = s_split(self, buf, f, &indented);
    if (self->parens < 0)
        self->parens = 0;
    if (continued || nf == 0)
        return FEED_SKIP; /* inside a record split over lines (the SOA) */
    if (f[0][0] == '$') {
        if (strcasecmp(f[0], "$ORIGIN") == 0 && nf > 1 && !s_domain(f[1], self->origin))
            self->origin[0] = 0; /* "." or junk: names are absolute */
        return FEED_SKIP;
    }
    if (s_address(f[0])) {
        if (nf < 2) {
            *why = "an address without a name";
            return FEED_BAD;
        }
        if (s_localhost(f[1]))
            return FEED_SKIP;
        if (!s_domain(f[1], out)) {
            *why = "not a domain name (labels of letters, digits, '-', '_')";
            return FEED_BAD;
        }
        return FEED_DOMAIN;
    }
    int t = indented ? 0 : 1;
    for (int k = 0; k < 2 && t < nf && s_ttl_or_class(f[t]); k++)
        t++;
    if (t < nf && s_type(f[t]) && (indented || s_rdata(f[t], f + t + 1, nf - t - 1))) {
        if (strcasecmp(f[t], "SOA") == 0 && !indented && !self->origin[0] &&
            f[0][strlen(f[0]) - 1] == '.')
            s_domain(f[0], self->origin); /* the zone, when no $ORIGIN said it */
        if (indented || strcasecmp(f[t], "SOA") == 0 || strcasecmp(f[t], "NS") == 0)
            return FEED_SKIP;
        return s_owner(self, f[0], out, why);
    }
    if (nf == 1)
        return s_owner(self, f[0], out, why);
    *why = "not a domain, hosts-file or RPZ line";
    return FEED_BAD;
}
