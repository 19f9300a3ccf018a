/* oracle/store/eventquery.c - the operator's questions about events. */
#include "eventquery.h"

#include <arpa/inet.h>
#include <bsd/string.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "name.h"
#include "privacy.h"
#include "suffix.h"

#define S_MAX_SECONDS (3650UL * 86400) /* ten years: longer than any retention */
#define S_TIME_FORMAT "%Y-%m-%dT%TZ"   /* MariaDB's DATE_FORMAT: 2026-01-02T03:04:05Z */
static const char s_first[] = "DATE_FORMAT(MIN(first_seen), '" S_TIME_FORMAT "')";
static const char s_last[] = "DATE_FORMAT(MAX(last_seen), '" S_TIME_FORMAT "')";

typedef struct {
    char *buf;
    size_t len, cap;
    const char *kind; /* the line's first field, or NULL */
    bool full;
} s_text_t;

/* One row as a line of tab-separated fields; SQL NULL and '' read "-". */
static void s_row(void *user, char **f, unsigned n)
{
    s_text_t *t = user;
    if (t->len + 2048 >= t->cap) {
        t->full = true;
        return;
    }
    if (t->kind)
        t->len += (size_t)snprintf(t->buf + t->len, t->cap - t->len, "%s\t", t->kind);
    for (unsigned i = 0; i < n; i++)
        t->len += (size_t)snprintf(t->buf + t->len, t->cap - t->len, "%s%s", i ? "\t" : "",
                                   f[i] && f[i][0] ? f[i] : "-");
    t->len += (size_t)snprintf(t->buf + t->len, t->cap - t->len, "\n");
}

/* SECONDS: a whole number of seconds, 1 to ten years. */
static bool s_seconds(const char *arg, unsigned long *out)
{
    char *end;
    *out = strtoul(arg, &end, 10);
    return arg[0] >= '0' && arg[0] <= '9' && !*end && *out >= 1 && *out <= S_MAX_SECONDS;
}

static bool s_query(store_t *store, const char *sql, s_text_t *t, const char *kind)
{
    t->kind = kind;
    if (store_query(store, sql, s_row, t) != 0) {
        snprintf(t->buf, t->cap, "events need the database: %s", store_error(store));
        return false;
    }
    return true;
}

static bool s_report(store_t *store, unsigned long secs, s_text_t *t)
{
    char where[256], sql[1024];
    /* minute first: the primary key's order finds the rows of the period */
    snprintf(where, sizeof where,
             "minute >= UTC_TIMESTAMP() - INTERVAL %lu SECOND - INTERVAL 1 MINUTE AND last_seen "
             ">= UTC_TIMESTAMP() - INTERVAL %lu SECOND",
             secs, secs);
    snprintf(sql, sizeof sql,
             "SELECT COALESCE(SUM(count), 0), COUNT(DISTINCT NULLIF(client, '-')), "
             "COUNT(DISTINCT domain) FROM events WHERE %s",
             where);
    if (!s_query(store, sql, t, "total"))
        return false;
    /* the refusals without a client: asked on the query port, or client = none */
    snprintf(sql, sizeof sql,
             "SELECT COALESCE(SUM(count), 0) FROM events WHERE %s AND client = '-'", where);
    if (!s_query(store, sql, t, "unknown"))
        return false;
    snprintf(sql, sizeof sql,
             "SELECT domain, SUM(count) AS n, COUNT(DISTINCT NULLIF(client, '-')), %s, %s "
             "FROM events "
             "WHERE %s GROUP BY domain ORDER BY n DESC, domain LIMIT 50",
             s_first, s_last, where);
    if (!s_query(store, sql, t, "domain"))
        return false;
    snprintf(sql, sizeof sql,
             "SELECT client, SUM(count) AS n, COUNT(DISTINCT domain), %s, %s FROM events "
             "WHERE %s GROUP BY client ORDER BY n DESC, client LIMIT 20",
             s_first, s_last, where);
    if (!s_query(store, sql, t, "client"))
        return false;
    snprintf(sql, sizeof sql,
             "SELECT reason, SUM(count) AS n FROM events WHERE %s GROUP BY reason "
             "ORDER BY n DESC, reason",
             where);
    return s_query(store, sql, t, "reason");
}

/* What `events` looks for: rows whose column holds one of the values. */
typedef struct {
    const char *column;
    char value[3][NAME_MAX_TEXT + 1];
    int n;
} s_key_t;

/* KEY as a client address: the rows of the address itself and those of its
 * network as [events] client = truncated stores it, whatever the setting
 * says now. Rows keep the form they were stored in, so after a switch of the
 * setting the older rows are in the other form until retention_days. */
static bool s_key_address(const char *key, s_key_t *k)
{
    unsigned char bytes[16];
    char plain[INET6_ADDRSTRLEN + 1];
    if (strlen(key) >= sizeof plain)
        return false;
    strlcpy(plain, key, sizeof plain);
    plain[strcspn(plain, "%")] = 0;
    int af = inet_pton(AF_INET, plain, bytes) == 1    ? AF_INET
             : inet_pton(AF_INET6, plain, bytes) == 1 ? AF_INET6
                                                      : 0;
    if (!af)
        return false;
    k->column = "client";
    inet_ntop(af, bytes, k->value[0], sizeof k->value[0]); /* 2001:DB8::0:1 as stored */
    privacy_client(k->value[0], EVENTS_CLIENT_TRUNCATED, k->value[1], sizeof k->value[1]);
    k->n = 2;
    /* an address with its zone (fe80::1%eth0) is stored whole when full */
    size_t i = 0;
    for (; key[i]; i++) /* shorter than value[2]: it is an address */
        k->value[2][i] = (char)(key[i] >= 'A' && key[i] <= 'Z' ? key[i] + 32 : key[i]);
    k->value[2][i] = 0;
    if (strcmp(k->value[2], k->value[0]) != 0)
        k->n = 3;
    return true;
}

/* KEY as a domain name: its registrable domain, which events are kept by.
 * Returns NULL, or why KEY is not one. */
static const char *s_key_domain(const suffix_t *psl, const char *key, s_key_t *k)
{
    name_t n;
    if (name_parse(key, strlen(key), &n) != 0 || n.nlabels == 0)
        return "neither a domain name nor an address";
    size_t last = n.nlabels - 1;
    if (strspn((const char *)n.lower + n.off[last], "0123456789") >= n.len[last])
        return "neither a domain name (its last label is a number) nor an address";
    size_t first = psl ? suffix_split(psl, &n) : 0;
    if (first >= n.nlabels)
        return "a public suffix: events are kept by registrable domain (example.co.uk)";
    if (name_format(&n, first, k->value[0], sizeof k->value[0]) < 0)
        return "neither a domain name nor an address";
    k->column = "domain";
    k->n = 1;
    return NULL;
}

/* Writes the WHERE condition of k into cond; false when it does not fit. */
static bool s_key_cond(store_t *store, const s_key_t *k, char *cond, size_t cap)
{
    size_t w = (size_t)snprintf(cond, cap, "%s IN (", k->column);
    for (int i = 0; i < k->n && w < cap; i++) {
        char esc[2 * sizeof k->value[0] + 1];
        if (store_escape(store, esc, k->value[i], strlen(k->value[i])) < 0)
            return false;
        w += (size_t)snprintf(cond + w, cap - w, "%s'%s'", i ? "," : "", esc);
    }
    w += (size_t)snprintf(cond + w, w < cap ? cap - w : 0, ")");
    return w < cap;
}

/* The first line says what was looked for: "key domain REGISTRABLE ASKED"
 * or "key client ADDRESS NETWORK" ("key client - -": the unknown client). */
static bool s_events(store_t *store, const suffix_t *psl, const char *key, unsigned long secs,
                     s_text_t *t)
{
    char cond[8 * NAME_MAX_TEXT + 64], sql[8 * NAME_MAX_TEXT + 640];
    s_key_t k = {"client", {"-", "-", ""}, 1};
    const char *why = NULL;
    if (strcmp(key, "-") != 0 && !s_key_address(key, &k))
        why = s_key_domain(psl, key, &k);
    if (why) {
        snprintf(t->buf, t->cap, "events: '%.255s' is %s", key, why);
        return false;
    }
    if (!s_key_cond(store, &k, cond, sizeof cond)) {
        snprintf(t->buf, t->cap, "events: '%.255s' cannot be looked for", key);
        return false;
    }
    t->len = (size_t)snprintf(t->buf, t->cap, "key\t%s\t%s\t%s\n", k.column, k.value[0],
                              k.column[0] == 'd' ? key : k.value[1]);
    snprintf(sql, sizeof sql,
             "SELECT DATE_FORMAT(first_seen, '%s'), DATE_FORMAT(last_seen, '%s'), client, "
             "domain, reason, count, qname, qtype, action, resolver FROM events WHERE %s AND "
             "minute >= UTC_TIMESTAMP() - INTERVAL %lu SECOND - INTERVAL 1 MINUTE AND "
             "last_seen >= UTC_TIMESTAMP() - INTERVAL %lu SECOND "
             "ORDER BY first_seen, client, domain, reason LIMIT 1000",
             S_TIME_FORMAT, S_TIME_FORMAT, cond, secs, secs);
    return s_query(store, sql, t, NULL);
}

bool eventquery_run(store_t *store, const suffix_t *psl, char **argv, int argc, char *out,
                    size_t cap)
{
    bool report = !strcmp(argv[0], "report");
    unsigned long secs;
    s_text_t t = {out, 0, cap, NULL, false};
    out[0] = 0;
    if (argc != (report ? 2 : 3) || !s_seconds(argv[argc - 1], &secs)) {
        snprintf(out, cap, "%s needs %sSECONDS (1 to 315360000)", argv[0],
                 report ? "" : "DOMAIN|ADDRESS and ");
        return false;
    }
    if (store_ready(store) != 0) {
        snprintf(out, cap, "events need the database: %s", store_error(store));
        return false;
    }
    return report ? s_report(store, secs, &t) : s_events(store, psl, argv[1], secs, &t);
}
