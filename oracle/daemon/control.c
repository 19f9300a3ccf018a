/* oracle/daemon/control.c - operator commands, on their own socket. */
#include "control.h"

#include <bsd/string.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "actor.h"
#include "droplist.h"
#include "eventquery.h"
#include "importer.h"
#include "log.h"
#include "name.h"
#include "store.h"
#include "suffix.h"
#include "wire_limits.h"

#define S_MAX_ARGS 6
#define S_REPLY_CAP WIRE_MAX_REPLY
/* Entries a list reply holds at most: 1,000 lines of at most ~700 bytes
 * fit in S_REPLY_CAP (and in the client's reply buffer). */
#define S_PAGE 1000
/* The biggest frame: import-add's IMPORTER_CHUNK domains of up to 253 bytes. */
#define S_FRAME_MAX (4 << 20)
/* A database read or write of an operator command, at most (store.h). */
#define S_STORE_TIMEOUT_S 20

struct control {
    config_t cfg;
    void *ctx;
    listbox_t *lists;
    domain_t *domains;
    stats_slot_t *stats;
    store_t *store;
    importer_t *importer; /* feeds: import-begin ... import-commit */
    suffix_t *psl;        /* to refuse a public suffix (com, co.uk) as a domain */
    void *rep;            /* the control socket: made here, used by the thread */
    actor_t *actor;       /* the thread */
    bool bound;           /* the endpoint is ours (an ipc file to remove) */
    char *reply;          /* S_REPLY_CAP bytes */
};

/* Whether a live process listens on the Unix socket at `path`: ZeroMQ's
 * ipc bind replaces the file, which would leave that process unreachable
 * and, when this one stops, remove the file under it. */
static bool s_ipc_in_use(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path)
        return false;
    memcpy(addr.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    bool live = connect(fd, (const struct sockaddr *)&addr, sizeof addr) == 0;
    close(fd);
    return live;
}

/* The domain argument: a name, lowercased, without the final dot. Returns
 * -EINVAL for a bad name, -EPERM for a public suffix (blocking "com" or
 * "co.uk" would block every domain under it). */
static int s_domain(const control_t *self, const char *arg, char *out, size_t cap)
{
    name_t n;
    if (name_parse(arg, strlen(arg), &n) != 0 || n.nlabels == 0)
        return -EINVAL;
    for (size_t i = 0; i < n.length; i++)
        if (!((n.lower[i] >= 'a' && n.lower[i] <= 'z') ||
              (n.lower[i] >= '0' && n.lower[i] <= '9') || n.lower[i] == '-' || n.lower[i] == '_' ||
              n.lower[i] == '.'))
            return -EINVAL;
    strlcpy(out, (const char *)n.lower, cap);
    return self->psl && suffix_split(self->psl, &n) == n.nlabels ? -EPERM : 0;
}

static int s_check(void *user, const char *text, char *out, size_t cap)
{
    return s_domain(user, text, out, cap);
}

/* Rereads the lists and publishes the difference (listbox_reload): the
 * next request sees the change. */
static int s_publish(control_t *self)
{
    lists_t *lists;
    int rc = droplist_load(self->store, &lists);
    if (rc == 0) {
        listbox_reload(self->lists, lists);
        stats_add(self->stats, STAT_LIST_REFRESHES, 1);
    }
    return rc;
}

/* The change of block, allow or unlist `domain`, as the database now has
 * it, applied to the lists in memory without rereading them (a million
 * entries); before the first load, a reread. */
static int s_publish_change(control_t *self, const char *cmd, const char *domain)
{
    bool block = !strcmp(cmd, "block"), allow = !strcmp(cmd, "allow");
    list_change_t c[] = {
        {block, LIST_BLOCK, domain},
        {allow, LIST_ALLOW, domain},
        {false, LIST_DROP, domain}, /* unlist and allow undrop; block keeps it */
    };
    int rc = listbox_change(self->lists, c, block ? 2 : 3);
    if (rc == -ENOENT)
        return s_publish(self);
    if (rc == 0)
        stats_add(self->stats, STAT_LIST_REFRESHES, 1);
    return rc;
}

static int s_exec(control_t *self, const char *sql)
{
    return store_exec(self->store, sql, strlen(sql));
}

typedef struct {
    char *buf;
    size_t len, cap;
} s_text_t;

static void s_list_row(void *user, char **f, unsigned n)
{
    s_text_t *t = user;
    if (n < 6 || t->len + 1024 >= t->cap)
        return;
    t->len += (size_t)snprintf(t->buf + t->len, t->cap - t->len, "%s %s %s %s %s %s\n", f[0], f[1],
                               f[2], f[3], f[4] ? f[4] : "never", f[5]);
}

/* block, allow, unlist DOMAIN [REASON [BY]] */
static bool s_cmd_change(control_t *self, char **argv, int argc)
{
    char *out = self->reply;
    const char *cmd = argv[0];
    char sql[2048];
    char domain[NAME_MAX_TEXT + 1], d_esc[2 * sizeof domain], r_esc[600], by_esc[200];
    int bad = argc < 2 ? -EINVAL : s_domain(self, argv[1], domain, sizeof domain);
    if (bad == -EPERM && strcmp(cmd, "unlist") != 0) {
        snprintf(out, S_REPLY_CAP,
                 "%.255s is a public suffix: %s it would %s every domain under it", argv[1],
                 strcmp(cmd, "block") == 0 ? "blocking" : "allowing",
                 strcmp(cmd, "block") == 0 ? "block" : "allow");
        return false;
    }
    if (bad == -EINVAL) {
        snprintf(out, S_REPLY_CAP, "%s needs a domain name (letters, digits, '-', '_')", cmd);
        return false;
    }
    if (store_ready(self->store) != 0) {
        snprintf(out, S_REPLY_CAP, "database unavailable: %s", store_error(self->store));
        return false;
    }
    const char *reason = argc > 2 ? argv[2] : "";
    const char *by = argc > 3 && argv[3][0] ? argv[3] : "operator";
    store_escape(self->store, d_esc, domain, strlen(domain));
    store_escape(self->store, r_esc, reason, strnlen(reason, 255));
    store_escape(self->store, by_esc, by, strnlen(by, 64));
    int rc = 0;
    if (!strcmp(cmd, "unlist")) {
        snprintf(sql, sizeof sql, "DELETE FROM lists WHERE domain = '%s'", d_esc);
        rc = s_exec(self, sql);
    } else {
        bool block = !strcmp(cmd, "block");
        /* block and allow exclude each other; allowing also undrops */
        snprintf(sql, sizeof sql, "DELETE FROM lists WHERE domain = '%s' AND kind IN (%s)", d_esc,
                 block ? "'allow'" : "'block', 'drop'");
        rc = s_exec(self, sql);
        if (rc == 0) {
            snprintf(sql, sizeof sql,
                     "INSERT INTO lists (kind, domain, reason, added_by, added_at) "
                     "VALUES ('%s', '%s', '%s', '%s', UTC_TIMESTAMP()) ON DUPLICATE KEY "
                     "UPDATE reason = VALUES(reason), added_by = VALUES(added_by), "
                     "added_at = VALUES(added_at), expires_at = NULL",
                     block ? "block" : "allow", d_esc, r_esc, by_esc);
            rc = s_exec(self, sql);
        }
    }
    if (rc == 0)
        rc = s_publish_change(self, cmd, domain);
    if (rc != 0) {
        snprintf(out, S_REPLY_CAP, "database error: %s", store_error(self->store));
        return false;
    }
    log_info("control", "%s %s by %s%s%s", cmd, domain, by, reason[0] ? ": " : "", reason);
    snprintf(out, S_REPLY_CAP, "%s %s", cmd, domain);
    return true;
}

/* The WHERE clause of list and count: unexpired, of a kind, with a reason.
 * Returns false (reply written) for a bad kind or no database. */
static bool s_filter(control_t *self, char **argv, int argc, char *where, size_t cap, int *kind)
{
    char r_esc[2 * 255 + 1] = "";
    *kind = -1;
    if (argc > 1 && argv[1][0] && (*kind = lists_kind_parse(argv[1])) < 0) {
        snprintf(self->reply, S_REPLY_CAP, "%s takes drop, block or allow", argv[0]);
        return false;
    }
    const char *reason = argc > 2 ? argv[2] : "";
    if (store_ready(self->store) != 0 ||
        (reason[0] && store_escape(self->store, r_esc, reason, strnlen(reason, 255)) < 0)) {
        snprintf(self->reply, S_REPLY_CAP, "database unavailable: %s", store_error(self->store));
        return false;
    }
    snprintf(where, cap, "(expires_at IS NULL OR expires_at > UTC_TIMESTAMP())%s%s%s%s%s%s",
             *kind >= 0 ? " AND kind = '" : "", *kind >= 0 ? lists_kind_name(*kind) : "",
             *kind >= 0 ? "'" : "", reason[0] ? " AND reason = '" : "", r_esc,
             reason[0] ? "'" : "");
    return true;
}

/* list [KIND [REASON [AFTER [LIMIT]]]]: at most S_PAGE entries; AFTER (a
 * domain) and LIMIT page through one kind. */
static bool s_cmd_list(control_t *self, char **argv, int argc)
{
    char *out = self->reply, where[1024], sql[2048], a_esc[2 * NAME_MAX_TEXT + 1] = "";
    int kind;
    if (!s_filter(self, argv, argc, where, sizeof where, &kind))
        return false;
    const char *after = argc > 3 ? argv[3] : "";
    char *end;
    long limit = argc > 4 && argv[4][0] ? strtol(argv[4], &end, 10) : S_PAGE;
    if ((argc > 4 && argv[4][0] && *end) || limit < 1 || limit > S_PAGE || (after[0] && kind < 0)) {
        snprintf(out, S_REPLY_CAP, "list: LIMIT is 1 to %d, AFTER needs a kind", S_PAGE);
        return false;
    }
    if (after[0])
        store_escape(self->store, a_esc, after, strnlen(after, NAME_MAX_TEXT));
    snprintf(sql, sizeof sql,
             "SELECT kind, domain, added_by, DATE_FORMAT(added_at, '%%Y-%%m-%%dT%%TZ'), "
             "DATE_FORMAT(expires_at, '%%Y-%%m-%%dT%%TZ'), reason FROM lists WHERE %s%s%s%s "
             "ORDER BY kind, domain LIMIT %ld",
             where, after[0] ? " AND domain > '" : "", a_esc, after[0] ? "'" : "", limit);
    s_text_t t = {out, 0, S_REPLY_CAP};
    out[0] = 0;
    if (store_query(self->store, sql, s_list_row, &t) != 0) {
        snprintf(out, S_REPLY_CAP, "database unavailable: %s", store_error(self->store));
        return false;
    }
    return true;
}

static void s_count_row(void *user, char **f, unsigned n)
{
    unsigned long long *counts = user;
    int kind = n >= 2 && f[0] && f[1] ? lists_kind_parse(f[0]) : -1;
    if (kind >= 0)
        counts[kind] = strtoull(f[1], NULL, 10);
}

/* count [KIND [REASON]]: "kind N" lines, every kind or the one given. */
static bool s_cmd_count(control_t *self, char **argv, int argc)
{
    char where[1024], sql[1280];
    int kind;
    if (!s_filter(self, argv, argc, where, sizeof where, &kind))
        return false;
    snprintf(sql, sizeof sql, "SELECT kind, COUNT(*) FROM lists WHERE %s GROUP BY kind", where);
    unsigned long long counts[LIST_KINDS] = {0};
    if (store_query(self->store, sql, s_count_row, counts) != 0) {
        snprintf(self->reply, S_REPLY_CAP, "database unavailable: %s", store_error(self->store));
        return false;
    }
    size_t len = 0;
    self->reply[0] = 0;
    for (int k = 0; k < LIST_KINDS; k++)
        if (kind < 0 || k == kind)
            len += (size_t)snprintf(self->reply + len, S_REPLY_CAP - len, "%s %llu\n",
                                    lists_kind_name((list_kind_t)k), counts[k]);
    return true;
}

static bool s_cmd_update(control_t *self)
{
    /* what the domain layer cut, then the exchange with other oracles,
     * then what that cut */
    char *out = self->reply;
    unsigned long long merged = 0;
    char instance[64];
    droplist_instance(&self->cfg, instance, sizeof instance);
    int a = droplist_take_cuts(self->store, &self->cfg, self->domains);
    int rc =
        droplist_update(self->store, &self->cfg, self->domains, instance, domain_now(), &merged);
    int b = droplist_take_cuts(self->store, &self->cfg, self->domains);
    if (a < 0 || rc != 0 || b < 0 || s_publish(self) != 0) {
        snprintf(out, S_REPLY_CAP, "database unavailable: %s", store_error(self->store));
        return false;
    }
    stats_add(self->stats, STAT_DROPLIST_UPDATES, 1);
    snprintf(out, S_REPLY_CAP, "drop list updated: %d domains cut off", a + b);
    return true;
}

/* import-begin, import-add, import-commit, import-abort (importer.h). A
 * commit republishes the lists and says how long that took. */
static bool s_cmd_import(control_t *self, char **argv, int argc, const char *data, size_t len)
{
    const char *cmd = argv[0] + 7, *id = argc > 1 ? argv[1] : "";
    char *out = self->reply;
    if (!strcmp(cmd, "begin"))
        return importer_begin(self->importer, argv + 1, argc - 1, out, S_REPLY_CAP);
    if (!strcmp(cmd, "add"))
        return importer_add(self->importer, id, data ? data : "", data ? len : 0, out, S_REPLY_CAP);
    if (!strcmp(cmd, "abort"))
        return importer_abort(self->importer, id, out, S_REPLY_CAP);
    if (!importer_commit(self->importer, id, out, S_REPLY_CAP))
        return false;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = s_publish(self);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    size_t used = strlen(out);
    size_t n[LIST_KINDS];
    listbox_sizes(self->lists, n);
    if (rc != 0)
        snprintf(out + used, S_REPLY_CAP - used,
                 "; the lists could not be reread (%s): the timer retries",
                 store_error(self->store));
    else
        snprintf(out + used, S_REPLY_CAP - used, "; lists republished in %.2f s (%zu entries)",
                 secs, n[LIST_DROP] + n[LIST_BLOCK] + n[LIST_ALLOW]);
    log_info("control", "%s", out);
    return true;
}

/* Runs one command; fills self->reply; returns true for "ok". `data` is the
 * third frame whole (import-add's domains). */
/* A command: argv[0] is its word, argv[1..] its arguments, `data` the third
 * frame whole (import-add's domains). Fills self->reply; false: an error. */
typedef bool (*s_command_fn)(control_t *self, char **argv, int argc, const char *data, size_t len);

static bool s_do_change(control_t *self, char **argv, int argc, const char *data, size_t len)
{
    (void)data, (void)len;
    return s_cmd_change(self, argv, argc);
}

static bool s_do_list(control_t *self, char **argv, int argc, const char *data, size_t len)
{
    (void)data, (void)len;
    return s_cmd_list(self, argv, argc);
}

static bool s_do_count(control_t *self, char **argv, int argc, const char *data, size_t len)
{
    (void)data, (void)len;
    return s_cmd_count(self, argv, argc);
}

static bool s_do_update(control_t *self, char **argv, int argc, const char *data, size_t len)
{
    (void)argv, (void)argc, (void)data, (void)len;
    return s_cmd_update(self);
}

static bool s_do_events(control_t *self, char **argv, int argc, const char *data, size_t len)
{
    (void)data, (void)len;
    return eventquery_run(self->store, self->psl, argv, argc, self->reply, S_REPLY_CAP);
}

/* Every command of the control socket (docs/protocol.md, "The control
 * socket"): its word and what runs it. */
static const struct {
    const char *word;
    s_command_fn fn;
} s_commands[] = {
    {"block", s_do_change},          {"allow", s_do_change},
    {"unlist", s_do_change},         {"list", s_do_list},
    {"count", s_do_count},           {"update-now", s_do_update},
    {"import-begin", s_cmd_import},  {"import-add", s_cmd_import},
    {"import-commit", s_cmd_import}, {"import-abort", s_cmd_import},
    {"report", s_do_events},         {"events", s_do_events},
};
#define S_NCOMMANDS (sizeof s_commands / sizeof s_commands[0])

static bool s_run_command(control_t *self, char **argv, int argc, const char *data, size_t len)
{
    const char *cmd = argc > 0 ? argv[0] : "";
    for (size_t i = 0; i < S_NCOMMANDS; i++)
        if (!strcmp(cmd, s_commands[i].word))
            return s_commands[i].fn(self, argv, argc, data, len);
    int n = snprintf(self->reply, S_REPLY_CAP, "unknown command '%.40s' (", cmd);
    for (size_t i = 0; i < S_NCOMMANDS && n > 0 && (size_t)n < S_REPLY_CAP; i++)
        n += snprintf(self->reply + n, S_REPLY_CAP - (size_t)n, "%s%s", i ? ", " : "",
                      s_commands[i].word);
    if (n > 0 && (size_t)n < S_REPLY_CAP - 1)
        strlcat(self->reply, ")", S_REPLY_CAP);
    return false;
}

/* Reads one request from the control socket, runs it and answers. */
static void s_serve(control_t *self)
{
    /* Up to S_MAX_ARGS frames, each seen as text of up to 1 KiB; the
     * third is also kept whole (import-add's domains). The rest is read
     * and ignored, so a bad request still gets its one reply. */
    char args[S_MAX_ARGS][1024], *argv[S_MAX_ARGS];
    zmq_msg_t data;
    zmq_msg_init(&data);
    int argc = 0, more = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, self->rep, 0) < 0) {
            zmq_msg_close(&m);
            break;
        }
        if (argc < S_MAX_ARGS) {
            size_t n =
                zmq_msg_size(&m) < sizeof args[0] - 1 ? zmq_msg_size(&m) : sizeof args[0] - 1;
            memcpy(args[argc], zmq_msg_data(&m), n);
            args[argc][n] = 0;
            argv[argc] = args[argc];
            if (argc == 2)
                zmq_msg_move(&data, &m);
            argc++;
        }
        zmq_msg_close(&m);
        size_t len = sizeof more;
        zmq_getsockopt(self->rep, ZMQ_RCVMORE, &more, &len);
    }
    stats_add(self->stats, STAT_COMMANDS, 1);
    bool ok =
        s_run_command(self, argv, argc, argc > 2 ? zmq_msg_data(&data) : NULL, zmq_msg_size(&data));
    zmq_msg_close(&data);
    if (!ok)
        stats_add(self->stats, STAT_BAD_COMMANDS, 1);
    zmq_send(self->rep, ok ? "ok" : "error", ok ? 2 : 5, ZMQ_SNDMORE);
    zmq_send(self->rep, self->reply, strlen(self->reply), 0);
}

static void s_run(void *pipe, void *arg)
{
    control_t *self = arg;
    if (actor_ready(pipe, 0) != 0)
        return;
    zmq_pollitem_t items[2] = {{pipe, 0, ZMQ_POLLIN, 0}, {self->rep, 0, ZMQ_POLLIN, 0}};
    for (;;) {
        if (zmq_poll(items, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if ((items[0].revents & ZMQ_POLLIN) && actor_stop_asked(pipe))
            break;
        if (items[1].revents & ZMQ_POLLIN)
            s_serve(self);
    }
}

control_t *control_new(void *zmq_ctx, const config_t *cfg, listbox_t *lists, domain_t *domains,
                       stats_slot_t *slot, char *err, size_t errcap)
{
    control_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    self->cfg = *cfg;
    self->ctx = zmq_ctx;
    self->lists = lists;
    self->domains = domains;
    self->stats = slot;
    self->store = store_new(cfg, "control");
    if (self->store) /* under the client's 30 s deadline for operator commands */
        store_set_io_timeout(self->store, S_STORE_TIMEOUT_S);
    self->psl = suffix_new(cfg->engine.psl_rules[0] ? cfg->engine.psl_rules : NULL);
    self->reply = malloc(S_REPLY_CAP);
    self->importer = self->store ? importer_new(self->store, s_check, self) : NULL;
    self->rep = zmq_socket(zmq_ctx, ZMQ_REP);
    if (!self->store || !self->importer || !self->reply || !self->rep) {
        snprintf(err, errcap, "out of memory");
        goto fail;
    }
    int zero = 0;
    zmq_setsockopt(self->rep, ZMQ_LINGER, &zero, sizeof zero);
    /* Commands are a few short frames and import-add's chunk of domains:
     * anything bigger drops the peer. */
    int64_t max_frame = S_FRAME_MAX;
    zmq_setsockopt(self->rep, ZMQ_MAXMSGSIZE, &max_frame, sizeof max_frame);
    const char *ep = cfg->server.control_endpoint;
    if (strncmp(ep, "ipc://", 6) == 0 && s_ipc_in_use(ep + 6)) {
        snprintf(err, errcap,
                 "%s: another process (another dnsoracled?) listens there; binding it would take "
                 "its socket away: give this instance its own control_endpoint",
                 ep);
        goto fail;
    }
    if (zmq_bind(self->rep, ep) != 0) {
        snprintf(err, errcap, "cannot bind %s: %s", ep, zmq_strerror(errno));
        goto fail;
    }
    /* Only the owner and the daemon's group may connect to a Unix socket. */
    if (strncmp(ep, "ipc://", 6) == 0 && chmod(ep + 6, 0660) != 0) {
        snprintf(err, errcap, "cannot restrict %s: %s", ep + 6, strerror(errno));
        goto fail;
    }
    self->bound = true;
    int status;
    self->actor = actor_new(zmq_ctx, "control", s_run, self, &status);
    if (!self->actor) {
        snprintf(err, errcap, "cannot start the control thread: %s", strerror(-status));
        goto fail;
    }
    return self;
fail:
    control_destroy(&self);
    return NULL;
}

void control_destroy(control_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    control_t *self = *self_p;
    actor_destroy(&self->actor);
    if (self->rep)
        zmq_close(self->rep);
    if (strncmp(self->cfg.server.control_endpoint, "ipc://", 6) == 0 && self->bound)
        unlink(self->cfg.server.control_endpoint + 6);
    importer_destroy(&self->importer);
    store_destroy(&self->store);
    suffix_destroy(&self->psl);
    free(self->reply);
    free(self);
    *self_p = NULL;
}
