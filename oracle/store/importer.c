/* oracle/store/importer.c - a whole feed of domains loaded into one list at once. */
#include "importer.h"

#include <bsd/string.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "name.h"

#define S_REASON_MAX 255
#define S_BY_MAX 64
#define S_EXPIRES_MAX (10UL * 366 * 86400)
#define S_SQL_CAP ((size_t)IMPORTER_CHUNK * (NAME_MAX_TEXT + 24) + 4096)

typedef struct {
    bool used;
    unsigned id;
    list_kind_t kind;
    char reason[S_REASON_MAX + 1], reason_q[2 * S_REASON_MAX + 1];
    char by_q[2 * S_BY_MAX + 1];
    unsigned long expires;  /* seconds, 0: never */
    bool replace;           /* delete what has this kind and reason but is not staged */
    unsigned long connects; /* store_connects() at the begin */
    double last_used;       /* monotonic seconds */
    unsigned long long staged;
} s_slot_t;

struct importer {
    store_t *store;
    importer_check_fn check;
    void *user;
    unsigned next_id;
    s_slot_t slot[IMPORTER_SLOTS];
    char *sql; /* S_SQL_CAP bytes */
};

static double s_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

importer_t *importer_new(store_t *store, importer_check_fn check, void *user)
{
    importer_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->store = store;
    self->check = check;
    self->user = user;
    /* Ids differ from one run to the next: an id from before a restart is
     * unknown, never another import's. */
    self->next_id = (unsigned)time(NULL) & 0xffffff;
    self->sql = malloc(S_SQL_CAP);
    if (!self->sql)
        importer_destroy(&self);
    return self;
}

void importer_destroy(importer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->sql);
    free(*self_p);
    *self_p = NULL;
}

static int s_exec(importer_t *self, const char *sql)
{
    return store_exec(self->store, sql, strlen(sql));
}

/* Forgets an import and its staged rows (the whole table when no other
 * import is open: dropping is instant, deleting a million rows is not). */
static void s_release(importer_t *self, s_slot_t *s)
{
    s->used = false;
    bool others = false;
    for (int i = 0; i < IMPORTER_SLOTS; i++)
        others |= self->slot[i].used;
    if (store_connects(self->store) != s->connects)
        return; /* the table went with the connection */
    if (!others) {
        s_exec(self, "DROP TEMPORARY TABLE IF EXISTS import_staging");
        return;
    }
    char sql[128];
    snprintf(sql, sizeof sql, "DELETE FROM import_staging WHERE import_id = %u LIMIT %d", s->id,
             IMPORTER_BATCH);
    for (unsigned long long i = 0; i <= s->staged / IMPORTER_BATCH + 1; i++)
        if (s_exec(self, sql) != 0 || store_affected(self->store) < IMPORTER_BATCH)
            break;
}

/* The open import `id`, or NULL with the reason in out. */
static s_slot_t *s_get(importer_t *self, const char *id, char *out, size_t cap)
{
    char *end;
    unsigned long v = strtoul(id, &end, 10);
    for (int i = 0; id[0] && !*end && i < IMPORTER_SLOTS; i++) {
        s_slot_t *s = &self->slot[i];
        if (!s->used || s->id != v)
            continue;
        if (store_ready(self->store) != 0 || store_connects(self->store) != s->connects) {
            snprintf(out, cap,
                     "import %u: the database connection was lost: nothing was changed, "
                     "import again",
                     s->id);
            s_release(self, s);
            return NULL;
        }
        s->last_used = s_mono();
        return s;
    }
    snprintf(out, cap,
             "no open import '%.20s' (discarded after %d s idle, or the oracle restarted)", id,
             IMPORTER_IDLE_S);
    return NULL;
}

/* Parses and checks begin's arguments into s; returns an error text or NULL. */
static const char *s_parse_begin(s_slot_t *s, char **argv, int argc)
{
    int kind = argc > 0 ? lists_kind_parse(argv[0]) : -1;
    if (kind != LIST_BLOCK && kind != LIST_ALLOW)
        return "import-begin takes block or allow";
    s->kind = (list_kind_t)kind;
    const char *reason = argc > 1 ? argv[1] : "";
    if (!reason[0] || strlen(reason) > S_REASON_MAX)
        return "import-begin needs a reason of 1 to 255 bytes (the feed's name)";
    strlcpy(s->reason, reason, sizeof s->reason);
    const char *exp = argc > 3 ? argv[3] : "";
    char *end;
    s->expires = strtoul(exp, &end, 10);
    if (*end || s->expires > S_EXPIRES_MAX || (exp[0] == '-'))
        return "import-begin: expires is a number of seconds, at most ten years";
    const char *mode = argc > 4 ? argv[4] : "";
    if (mode[0] && strcmp(mode, "replace") != 0)
        return "import-begin: mode is replace or empty";
    s->replace = mode[0] != 0;
    return NULL;
}

bool importer_begin(importer_t *self, char **argv, int argc, char *out, size_t cap)
{
    s_slot_t n;
    memset(&n, 0, sizeof n);
    const char *bad = s_parse_begin(&n, argv, argc);
    if (bad) {
        snprintf(out, cap, "%s", bad);
        return false;
    }
    if (store_ready(self->store) != 0) {
        snprintf(out, cap, "database unavailable: %s", store_error(self->store));
        return false;
    }
    const char *by = argc > 2 && argv[2][0] ? argv[2] : "operator";
    store_escape(self->store, n.reason_q, n.reason, strlen(n.reason));
    store_escape(self->store, n.by_q, by, strnlen(by, S_BY_MAX));
    /* An idle import is abandoned; one of the same kind and reason is
     * superseded (a feed job that died and runs again). */
    s_slot_t *free_slot = NULL;
    double now = s_mono();
    for (int i = 0; i < IMPORTER_SLOTS; i++) {
        s_slot_t *s = &self->slot[i];
        if (s->used && (now - s->last_used > IMPORTER_IDLE_S ||
                        (s->kind == n.kind && strcmp(s->reason, n.reason) == 0))) {
            log_info("control", "import %u (%s) discarded", s->id, s->reason);
            s_release(self, s);
        }
        if (!s->used && !free_slot)
            free_slot = s;
    }
    if (!free_slot) {
        snprintf(out, cap, "%d imports are open already: try again later", IMPORTER_SLOTS);
        return false;
    }
    if (s_exec(self, "CREATE TEMPORARY TABLE IF NOT EXISTS import_staging ("
                     "seq INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, "
                     "import_id INT UNSIGNED NOT NULL, "
                     "domain VARCHAR(253) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, "
                     "UNIQUE KEY by_import (import_id, domain)) ENGINE = InnoDB") != 0) {
        snprintf(out, cap,
                 "database error: %s (the daemon's database user needs CREATE TEMPORARY "
                 "TABLES: run sql/migrate.sh -u again)",
                 store_error(self->store));
        return false;
    }
    n.used = true;
    n.id = self->next_id++;
    n.connects = store_connects(self->store);
    n.last_used = now;
    *free_slot = n;
    snprintf(out, cap, "import %u", n.id);
    return true;
}

/* The rejections go to out after the "staged N" line, written last. */
bool importer_add(importer_t *self, const char *id, const char *data, size_t len, char *out,
                  size_t cap)
{
    s_slot_t *s = s_get(self, id, out, cap);
    if (!s)
        return false;
    size_t head = 32, used = head, sql_len;
    unsigned long index = 0, staged = 0;
    sql_len = (size_t)snprintf(self->sql, S_SQL_CAP,
                               "INSERT INTO import_staging (import_id, domain) VALUES ");
    for (size_t at = 0; at < len; index++) {
        const char *nl = memchr(data + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (data + at)) : len - at;
        char text[NAME_MAX_TEXT + 2], domain[NAME_MAX_TEXT + 1];
        int rc = -EINVAL;
        if (index >= IMPORTER_CHUNK) {
            snprintf(out, cap, "import-add: at most %d domains a request", IMPORTER_CHUNK);
            return false;
        }
        if (n < sizeof text) {
            memcpy(text, data + at, n);
            text[n] = 0;
            rc = self->check(self->user, text, domain, sizeof domain);
        }
        at += n + (nl != NULL);
        if (rc != 0) {
            used += (size_t)snprintf(out + used, cap - used, "rejected %lu %s\n", index,
                                     rc == -EPERM ? "public-suffix" : "not-a-domain");
            if (used + 64 >= cap)
                used = cap - 64; /* cannot happen: 10,000 lines fit */
            continue;
        }
        /* Checked: letters, digits, '-', '_', '.': nothing to escape. */
        sql_len += (size_t)snprintf(self->sql + sql_len, S_SQL_CAP - sql_len, "%s(%u,'%s')",
                                    staged ? "," : "", s->id, domain);
        staged++;
    }
    if (staged) {
        static const char tail[] = " ON DUPLICATE KEY UPDATE domain = VALUES(domain)";
        memcpy(self->sql + sql_len, tail, sizeof tail);
        if (store_exec(self->store, self->sql, sql_len + sizeof tail - 1) != 0) {
            snprintf(out, cap, "database error: %s", store_error(self->store));
            return false;
        }
    }
    s->staged += staged;
    char line[32];
    int hl = snprintf(line, sizeof line, "staged %lu\n", staged);
    memmove(out + hl, out + head, used - head);
    memcpy(out, line, (size_t)hl);
    out[hl + used - head] = 0;
    return true;
}

typedef struct {
    char text[4][NAME_MAX_TEXT + 1];
    bool got;
} s_row_t;

static void s_row(void *user, char **f, unsigned n)
{
    s_row_t *r = user;
    for (unsigned i = 0; i < n && i < 4; i++)
        strlcpy(r->text[i], f[i] ? f[i] : "", sizeof r->text[i]);
    r->got = true;
}

static unsigned long long s_num(const s_row_t *r, int i) { return strtoull(r->text[i], NULL, 10); }

typedef struct {
    char at[32]; /* the import's time, UTC */
    unsigned long long added, renewed, kept, deleted;
} s_counts_t;

/* Merges staged rows seq lo..hi: counts what is new, renewed (same reason)
 * or kept (another reason), then inserts. */
static int s_merge(importer_t *self, const s_slot_t *s, unsigned long long lo,
                   unsigned long long hi, s_counts_t *c)
{
    const char *kind = lists_kind_name(s->kind);
    char sql[2048];
    snprintf(sql, sizeof sql,
             "SELECT COUNT(*), COUNT(l.domain), COALESCE(SUM(l.reason = '%s'), 0) "
             "FROM import_staging s LEFT JOIN lists l ON l.kind = '%s' AND l.domain = s.domain "
             "WHERE s.import_id = %u AND s.seq BETWEEN %llu AND %llu",
             s->reason_q, kind, s->id, lo, hi);
    s_row_t r = {0};
    int rc = store_query(self->store, sql, s_row, &r);
    if (rc != 0)
        return rc;
    c->added += s_num(&r, 0) - s_num(&r, 1);
    c->renewed += s_num(&r, 2);
    c->kept += s_num(&r, 1) - s_num(&r, 2);
    char expires[96] = "NULL";
    if (s->expires)
        snprintf(expires, sizeof expires, "'%s' + INTERVAL %lu SECOND", c->at, s->expires);
    /* The IFs leave an entry with another reason as it is. */
    snprintf(sql, sizeof sql,
             "INSERT INTO lists (kind, domain, reason, added_by, added_at, expires_at) "
             "SELECT '%s', domain, '%s', '%s', '%s', %s FROM import_staging "
             "WHERE import_id = %u AND seq BETWEEN %llu AND %llu ON DUPLICATE KEY UPDATE "
             "added_by = IF(reason = VALUES(reason), VALUES(added_by), added_by), "
             "added_at = IF(reason = VALUES(reason), VALUES(added_at), added_at), "
             "expires_at = IF(reason = VALUES(reason), VALUES(expires_at), expires_at)",
             kind, s->reason_q, s->by_q, c->at, expires, s->id, lo, hi);
    return s_exec(self, sql);
}

/* --replace: deletes the entries of the kind and reason that are not
 * staged, walking the primary key IMPORTER_BATCH entries a statement. */
static int s_replace(importer_t *self, const s_slot_t *s, s_counts_t *c)
{
    const char *kind = lists_kind_name(s->kind);
    char last_q[2 * NAME_MAX_TEXT + 1] = "", hi_q[2 * NAME_MAX_TEXT + 1], sql[2048];
    for (int i = 0; i < 1000000; i++) {
        snprintf(sql, sizeof sql,
                 "SELECT domain FROM lists WHERE kind = '%s' AND domain > '%s' ORDER BY domain "
                 "LIMIT 1 OFFSET %d",
                 kind, last_q, IMPORTER_BATCH - 1);
        s_row_t r = {0};
        int rc = store_query(self->store, sql, s_row, &r);
        if (rc != 0)
            return rc;
        hi_q[0] = 0;
        if (r.got && store_escape(self->store, hi_q, r.text[0], strlen(r.text[0])) < 0)
            return -EIO;
        snprintf(sql, sizeof sql,
                 "DELETE FROM lists WHERE kind = '%s' AND domain > '%s' %s%s%s AND reason = '%s' "
                 "AND NOT EXISTS (SELECT 1 FROM import_staging s WHERE s.import_id = %u AND "
                 "s.domain = lists.domain)",
                 kind, last_q, r.got ? "AND domain <= '" : "", hi_q, r.got ? "'" : "", s->reason_q,
                 s->id);
        if ((rc = s_exec(self, sql)) != 0)
            return rc;
        c->deleted += store_affected(self->store);
        if (!r.got)
            return 0;
        strlcpy(last_q, hi_q, sizeof last_q);
    }
    return -E2BIG;
}

bool importer_commit(importer_t *self, const char *id, char *out, size_t cap)
{
    s_slot_t *s = s_get(self, id, out, cap);
    if (!s)
        return false;
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT UTC_TIMESTAMP(), COALESCE(MIN(seq), 0), COALESCE(MAX(seq), 0), COUNT(*) "
             "FROM import_staging WHERE import_id = %u",
             s->id);
    s_row_t r = {0};
    s_counts_t c = {0};
    int rc = store_query(self->store, sql, s_row, &r);
    if (rc == 0 && s->replace && s_num(&r, 3) == 0) {
        snprintf(out, cap, "import %u: no domain staged: replacing would empty the list", s->id);
        s_release(self, s);
        return false;
    }
    strlcpy(c.at, r.text[0], sizeof c.at);
    unsigned long long lo = s_num(&r, 1), hi = s_num(&r, 2);
    if (rc == 0)
        rc = s_exec(self, "START TRANSACTION");
    for (unsigned long long at = lo; rc == 0 && s_num(&r, 3) && at <= hi; at += IMPORTER_BATCH)
        rc = s_merge(self, s, at, at + IMPORTER_BATCH - 1, &c);
    if (rc == 0 && s->replace)
        rc = s_replace(self, s, &c);
    if (rc == 0)
        rc = s_exec(self, "COMMIT");
    if (rc != 0) {
        snprintf(out, cap, "import %u: database error, nothing changed: %s", s->id,
                 store_error(self->store));
        s_exec(self, "ROLLBACK");
        s_release(self, s);
        return false;
    }
    snprintf(out, cap,
             "import %s '%s': %llu added, %llu renewed, %llu kept (listed with another "
             "reason), %llu deleted",
             lists_kind_name(s->kind), s->reason, c.added, c.renewed, c.kept, c.deleted);
    log_info("control", "%s", out);
    s_release(self, s);
    return true;
}

bool importer_abort(importer_t *self, const char *id, char *out, size_t cap)
{
    s_slot_t *s = s_get(self, id, out, cap);
    if (!s)
        return false;
    snprintf(out, cap, "import %u aborted: nothing changed", s->id);
    s_release(self, s);
    return true;
}
