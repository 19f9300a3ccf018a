/* oracle/droplist.c - the drop list's SQL: counting, expiring, loading. */
#include "droplist.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* One lock name for every instance on the database. */
#define S_LOCK "dnsoracle.droplist"

static void s_first_int(void *user, char **fields, unsigned n)
{
    if (n > 0 && fields[0])
        *(long *)user = strtol(fields[0], NULL, 10);
}

int droplist_update(store_t *store, const config_t *cfg, unsigned long long *changed)
{
    *changed = 0;
    long got = 0;
    int rc = store_query(store, "SELECT GET_LOCK('" S_LOCK "', 0)", s_first_int, &got);
    if (rc != 0)
        return rc;
    if (got != 1) {
        log_debug("droplist", "another instance is updating the drop list");
        return 0;
    }
    char sql[1024];
    int len =
        snprintf(sql, sizeof sql,
                 "INSERT INTO lists (kind, domain, reason, added_by, added_at, expires_at) "
                 "SELECT 'drop', registrable, CONCAT(COUNT(*), ' names in %u s'), 'auto', "
                 "UTC_TIMESTAMP(), UTC_TIMESTAMP() + INTERVAL %u SECOND FROM names "
                 "WHERE last_seen >= UTC_TIMESTAMP() - INTERVAL %u SECOND "
                 "GROUP BY registrable HAVING COUNT(*) > %u "
                 "ON DUPLICATE KEY UPDATE reason = VALUES(reason), expires_at = VALUES(expires_at)",
                 cfg->droplist.window_seconds, cfg->droplist.drop_seconds,
                 cfg->droplist.window_seconds, cfg->droplist.subdomain_threshold);
    rc = store_exec(store, sql, (size_t)len);
    if (rc == 0) {
        *changed = store_affected(store);
        static const char expire[] =
            "DELETE FROM lists WHERE expires_at IS NOT NULL AND expires_at < UTC_TIMESTAMP()";
        rc = store_exec(store, expire, sizeof expire - 1);
    }
    static const char release[] = "DO RELEASE_LOCK('" S_LOCK "')";
    if (rc != -EIO) /* a lost connection released it already */
        store_exec(store, release, sizeof release - 1);
    return rc;
}

int droplist_retention(store_t *store, const config_t *cfg, unsigned long long *deleted)
{
    *deleted = 0;
    char sql[256];
    int len = snprintf(sql, sizeof sql,
                       "DELETE FROM names WHERE last_seen < UTC_TIMESTAMP() - INTERVAL %u SECOND "
                       "LIMIT 10000",
                       cfg->droplist.retention_seconds);
    for (int i = 0; i < 100; i++) {
        int rc = store_exec(store, sql, (size_t)len);
        if (rc != 0)
            return rc;
        unsigned long long n = store_affected(store);
        *deleted += n;
        if (n < 10000)
            break;
    }
    return 0;
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
