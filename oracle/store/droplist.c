/* oracle/store/droplist.c - the drop list's SQL: counting, expiring, loading. */
#include "droplist.h"

#include <bsd/string.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define S_EXPORT_MAX 10000 /* domains written per update */
#define S_ROWS 200         /* rows per INSERT */

/* Domains stored as text must be plain LDH (the columns are ASCII). */
static bool s_plain(const char *d)
{
    for (const char *p = d; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
              *p == '.'))
            return false;
    return d[0] != 0;
}

int droplist_cut(store_t *store, const config_t *cfg, const domain_evidence_t *e)
{
    if (!s_plain(e->domain))
        return -EINVAL;
    char why[256], why_q[2 * sizeof why + 1], dom_q[2 * NAME_MAX_TEXT + 3];
    domain_reason(e, why, sizeof why);
    int rc = store_ready(store);
    if (rc != 0)
        return rc;
    if (store_escape(store, why_q, why, strlen(why)) < 0 ||
        store_escape(store, dom_q, e->domain, strlen(e->domain)) < 0)
        return -EIO;
    char sql[1536];
    int len = snprintf(sql, sizeof sql,
                       "INSERT INTO lists (kind, domain, reason, added_by, added_at, expires_at) "
                       "VALUES ('drop', '%s', '%s', 'auto', UTC_TIMESTAMP(), UTC_TIMESTAMP() + "
                       "INTERVAL %u SECOND) ON DUPLICATE KEY UPDATE reason = VALUES(reason), "
                       "expires_at = VALUES(expires_at)",
                       dom_q, why_q, cfg->droplist.drop_seconds);
    return store_exec(store, sql, (size_t)len);
}

void droplist_instance(const config_t *cfg, char *buf, size_t cap)
{
    char host[64] = "localhost", ep[64];
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = 0;
    strlcpy(ep, cfg->server.endpoints, sizeof ep);
    ep[strcspn(ep, " ,\t")] = 0;
    snprintf(buf, cap, "%.30s %.32s", host, ep);
}

int droplist_take_cuts(store_t *store, const config_t *cfg, domain_t *domains)
{
    domain_evidence_t e;
    int stored = 0, rc = 0;
    while (domain_take_cut(domains, &e)) {
        int r = droplist_cut(store, cfg, &e);
        stored += r == 0;
        rc = r != 0 && r != -EINVAL ? r : rc;
    }
    return stored ? stored : rc;
}

typedef struct {
    store_t *store;
    const char *instance_q;
    char *sql;
    size_t len, cap, rows;
    int rc;
} s_export_t;

static void s_flush_rows(s_export_t *x)
{
    if (x->rows == 0 || x->rc != 0)
        return;
    static const char tail[] =
        " ON DUPLICATE KEY UPDATE updated_at = VALUES(updated_at), names = VALUES(names), "
        "flagged = VALUES(flagged), strong = VALUES(strong), weak = VALUES(weak), "
        "bits = VALUES(bits), odd = VALUES(odd), repeats = VALUES(repeats), clients = "
        "VALUES(clients), days = VALUES(days)";
    memcpy(x->sql + x->len, tail, sizeof tail);
    x->rc = store_exec(x->store, x->sql, x->len + sizeof tail - 1);
    x->len = x->rows = 0;
}

static void s_export_row(void *arg, const domain_evidence_t *e)
{
    s_export_t *x = arg;
    if (x->rc != 0 || !s_plain(e->domain))
        return;
    if (x->rows == 0)
        x->len =
            (size_t)snprintf(x->sql, x->cap,
                             "INSERT INTO evidence (registrable, instance, updated_at, "
                             "names, flagged, strong, weak, bits, odd, clients, days) VALUES ");
    int n = snprintf(x->sql + x->len, x->cap - x->len,
                     "%s('%s', '%s', UTC_TIMESTAMP(), %.3f, %.3f, %.3f, %.3f, %.1f, %.3f, %u, %u)",
                     x->rows ? ", " : "", e->domain, x->instance_q, e->names, e->flagged, e->strong,
                     e->weak, e->bits, e->odd, e->clients, e->days);
    x->len += (size_t)n;
    if (++x->rows == S_ROWS)
        s_flush_rows(x);
}

typedef struct {
    domain_t *domains;
    double now;
    unsigned long long cuts;
} s_merge_t;

static void s_merge_row(void *user, char **f, unsigned n)
{
    s_merge_t *m = user;
    if (n < 10 || !f[0])
        return;
    domain_evidence_t e;
    memset(&e, 0, sizeof e);
    strlcpy(e.domain, f[0], sizeof e.domain);
    double *v[] = {&e.names, &e.flagged, &e.strong, &e.weak, &e.bits, &e.odd, &e.repeats};
    for (int i = 0; i < 7; i++)
        *v[i] = f[i + 1] ? strtod(f[i + 1], NULL) : 0;
    e.clients = f[8] ? (unsigned)strtoul(f[8], NULL, 10) : 0;
    e.days = f[9] ? (unsigned)strtoul(f[9], NULL, 10) : 0;
    m->cuts += domain_merge(m->domains, &e, m->now);
}

int droplist_update(store_t *store, const config_t *cfg, domain_t *domains, const char *instance,
                    double now, unsigned long long *cuts)
{
    *cuts = 0;
    int rc = store_ready(store);
    if (rc != 0)
        return rc;
    char instance_q[2 * 64 + 1];
    if (store_escape(store, instance_q, instance, strnlen(instance, 64)) < 0)
        return -EIO;
    /* Rows of about 160 bytes, escaping needs none (plain LDH domains). */
    s_export_t x = {store, instance_q, NULL, 0, S_ROWS * 512 + 1024, 0, 0};
    x.sql = malloc(x.cap);
    if (!x.sql)
        return -ENOMEM;
    domain_export(domains, now, S_EXPORT_MAX, s_export_row, &x);
    s_flush_rows(&x);
    free(x.sql);
    if (x.rc != 0)
        return x.rc;

    unsigned window = cfg->droplist.window_seconds;
    char sql[768];
    int len = snprintf(sql, sizeof sql,
                       "SELECT registrable, SUM(names), SUM(flagged), SUM(strong), SUM(weak), "
                       "SUM(bits), SUM(odd), SUM(repeats), SUM(clients), MAX(days) FROM evidence "
                       "WHERE updated_at >= UTC_TIMESTAMP() - INTERVAL %u SECOND "
                       "GROUP BY registrable HAVING COUNT(*) > 1",
                       2 * cfg->droplist.update_seconds + 60);
    (void)len;
    s_merge_t m = {domains, now, 0};
    rc = store_query(store, sql, s_merge_row, &m);
    if (rc != 0)
        return rc;
    *cuts = m.cuts;
    len = snprintf(sql, sizeof sql,
                   "DELETE FROM evidence WHERE updated_at < UTC_TIMESTAMP() - INTERVAL %u SECOND",
                   2 * window);
    rc = store_exec(store, sql, (size_t)len);
    if (rc != 0)
        return rc;
    static const char expire[] =
        "DELETE FROM lists WHERE expires_at IS NOT NULL AND expires_at < UTC_TIMESTAMP()";
    return store_exec(store, expire, sizeof expire - 1);
}

int droplist_retention(store_t *store, const config_t *cfg, unsigned long long *deleted)
{
    *deleted = 0;
    char sql[256];
    int len = snprintf(sql, sizeof sql,
                       "DELETE FROM names WHERE last_seen < UTC_TIMESTAMP() - INTERVAL %u SECOND "
                       "LIMIT 10000",
                       cfg->droplist.retention_seconds);
    return store_delete_batches(store, sql, (size_t)len, 10000, 100, deleted);
}

typedef struct {
    lists_t *lists;
    unsigned long bad;
} s_load_t;

static void s_add_row(void *user, char **fields, unsigned n)
{
    s_load_t *load = user;
    int kind = n >= 2 && fields[0] ? lists_kind_parse(fields[0]) : -1;
    if (kind < 0 || !fields[1] || lists_add(load->lists, (list_kind_t)kind, fields[1]) != 0)
        load->bad++;
}

int droplist_load(store_t *store, lists_t **out)
{
    s_load_t load = {lists_new(), 0};
    *out = NULL;
    if (!load.lists)
        return -ENOMEM;
    int rc = store_query(store,
                         "SELECT kind, domain FROM lists "
                         "WHERE expires_at IS NULL OR expires_at > UTC_TIMESTAMP()",
                         s_add_row, &load);
    if (rc != 0) {
        lists_destroy(&load.lists);
        return rc;
    }
    if (load.bad)
        log_warning("droplist", "%lu list entries are not domain names; ignored", load.bad);
    *out = load.lists;
    return 0;
}
