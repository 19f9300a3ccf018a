/* oracle/store/eventquery.c - the operator's questions about events. */
#include "eventquery.h"

#include <arpa/inet.h>
#include <bsd/string.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "name.h"
#include "privacy.h"

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
             "SELECT COALESCE(SUM(count), 0), COUNT(DISTINCT client), COUNT(DISTINCT domain) "
             "FROM events WHERE %s",
             where);
    if (!s_query(store, sql, t, "total"))
        return false;
    snprintf(sql, sizeof sql,
             "SELECT domain, SUM(count) AS n, COUNT(DISTINCT client), %s, %s FROM events "
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

/* KEY: a client address (cut as stored) or a domain name (lowercased).
 * Writes the WHERE condition on its column into cond. */
static bool s_key(store_t *store, const config_t *cfg, const char *key, char *cond, size_t cap)
{
    unsigned char bytes[16];
    char text[NAME_MAX_TEXT + 1], esc[2 * sizeof text + 1];
    const char *column = "client";
    char plain[INET6_ADDRSTRLEN + 1];
    strlcpy(plain, key, sizeof plain);
    plain[strcspn(plain, "%")] = 0;
    if (inet_pton(AF_INET, plain, bytes) == 1 || inet_pton(AF_INET6, plain, bytes) == 1 ||
        !strcmp(key, "-")) {
        privacy_client(key, (events_client_t)cfg->events.client, text, sizeof text);
    } else {
        name_t n;
        if (name_parse(key, strlen(key), &n) != 0 || n.nlabels == 0)
            return false;
        if (name_format(&n, 0, text, sizeof text) < 0)
            return false;
        column = "domain";
    }
    if (store_escape(store, esc, text, strlen(text)) < 0)
        return false;
    snprintf(cond, cap, "%s = '%s'", column, esc);
    return true;
}

static bool s_events(store_t *store, const config_t *cfg, const char *key, unsigned long secs,
                     s_text_t *t)
{
    char cond[2 * NAME_MAX_TEXT + 32], sql[1536];
    if (!s_key(store, cfg, key, cond, sizeof cond)) {
        snprintf(t->buf, t->cap, "events: '%.255s' is neither a domain name nor an address", key);
        return false;
    }
    snprintf(sql, sizeof sql,
             "SELECT DATE_FORMAT(first_seen, '%s'), DATE_FORMAT(last_seen, '%s'), client, "
             "domain, reason, count, qname, qtype, action, resolver FROM events WHERE %s AND "
             "minute >= UTC_TIMESTAMP() - INTERVAL %lu SECOND - INTERVAL 1 MINUTE AND "
             "last_seen >= UTC_TIMESTAMP() - INTERVAL %lu SECOND "
             "ORDER BY first_seen, client, domain, reason LIMIT 1000",
             S_TIME_FORMAT, S_TIME_FORMAT, cond, secs, secs);
    return s_query(store, sql, t, NULL);
}

bool eventquery_run(store_t *store, const config_t *cfg, char **argv, int argc, char *out,
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
    return report ? s_report(store, secs, &t) : s_events(store, cfg, argv[1], secs, &t);
}
