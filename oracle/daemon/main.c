/* oracle/daemon/main.c - dnsoracled: the oracle service.
 *
 *   dnsoracled [-c CONFIG] [--check-config] [--dump-config] [-h] [-V]
 *
 * Reads the configuration, builds the engine, starts the ZeroMQ service
 * (server.h) and then waits for signals in this thread, with every signal
 * blocked in all the others: sigtimedwait() here replaces a handler, so no
 * code ever runs in signal context. Between two signals this thread does
 * the main thread's rows of the duty table (duties.c lists every periodic
 * duty of the daemon: statistics, STATUS= and WATCHDOG=1 for systemd, the
 * lists' heartbeat, malloc trim; the timer thread does the database's).
 * The /metrics endpoint (metrics.h) runs in libmicrohttpd's own thread; it
 * is started after the ZeroMQ service and stopped first.
 * SIGHUP reloads the configuration, model and lists (a bad configuration is
 * logged and the old one kept); SIGTERM and SIGINT stop: no new requests,
 * what was received is answered, every thread joined, exit 0.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "config.h"
#include "control.h"
#include "cron.h"
#include "duties.h"
#include "engine.h"
#include "listbox.h"
#include "publish.h"
#include "log.h"
#include "metrics.h"
#include "server.h"
#include "stats.h"
#include "store.h"
#include "writer.h"

/* Counter slots after the workers' and the proxy's: one per thread. */
enum { SLOT_WRITER = 1, SLOT_CRON, SLOT_AUTH, SLOT_CONTROL, SLOT_MAIN, SLOT_EXTRA };

#define S_DRAIN_MS 1500 /* SIGTERM to exit within 2 s, with room to spare */

/* Everything the process runs, in the order it starts; stopped in reverse
 * (s_stop) and freed by s_free. */
typedef struct {
    const char *path;
    config_t cfg;
    unsigned threads;
    stats_t *stats;
    domain_t *domains;
    listbox_t *lists; /* with a database only, as writer and cron */
    writer_t *writer;
    cron_t *cron;
    server_t *server;
    metrics_t *metrics;
    publish_t *publish;
    control_t *control;
    sigset_t signals; /* those sigtimedwait() takes */
} s_daemon_t;

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: dnsoracled [-c CONFIG] [--check-config] [--dump-config]\n"
            "The dnsoracle service: answers ZeroMQ requests with true or false per query name.\n"
            "  -c, --config FILE   configuration file (default %s;\n"
            "                      -c /dev/null for every default)\n"
            "      --check-config  validate the configuration, model and lists, then exit\n"
            "      --dump-config   validate, then print every setting in effect\n"
            "  -V, --version       print the version\n",
            config_default_path());
}

/* Loads the configuration and builds its engine; NULL with err set. */
static engine_t *s_load(const char *path, config_t *cfg, char *err, size_t errcap)
{
    char why[512];
    if (config_load(path, cfg, why, sizeof why) != 0) {
        snprintf(err, errcap, "%s", why);
        return NULL;
    }
    if (server_check(cfg, why, sizeof why) != 0 || metrics_check(cfg, NULL, why, sizeof why) != 0 ||
        publish_check(cfg, why, sizeof why) != 0) {
        snprintf(err, errcap, "%s: %s", path, why);
        return NULL;
    }
    engine_t *engine = engine_new(&cfg->engine, why, sizeof why);
    if (!engine)
        snprintf(err, errcap, "%s: %s", path, why);
    return engine;
}

static void s_reload(server_t *server, stats_slot_t *slot, const char *path, config_t *cfg)
{
    config_t fresh;
    char err[768];
    sd_notify(0, "RELOADING=1");
    engine_t *engine = s_load(path, &fresh, err, sizeof err);
    if (!engine) {
        log_error("config", "reload refused, keeping the running configuration: %s", err);
        stats_add(slot, STAT_RELOAD_FAILURES, 1);
    } else {
        char changed[512];
        if (config_restart_changes(cfg, &fresh, changed, sizeof changed) > 0)
            log_warning("config", "%s: these change only at a restart; the running values stay",
                        changed);
        if (server_reload(server, engine, &fresh) != 0)
            log_error("config", "a worker did not take the new engine");
        log_set_level((level_t)fresh.server.log_level);
        log_set_false_budget(fresh.server.log_false_per_second);
        *cfg = fresh;
        stats_add(slot, STAT_RELOADS, 1);
        log_info("config", "reloaded %s", path);
    }
    sd_notify(0, "READY=1");
}

/* Parses the command line into *path and *mode (0: run, 1: --check-config,
 * 2: --dump-config). Returns -1 to go on, or the exit status. */
static int s_options(int argc, char **argv, const char **path, int *mode)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'}, {"check-config", no_argument, NULL, 'k'},
        {"dump-config", no_argument, NULL, 'd'},  {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0}};
    int opt;
    *path = config_default_path();
    *mode = 0;
    while ((opt = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            *path = optarg;
            break;
        case 'k':
            *mode = 1;
            break;
        case 'd':
            *mode = 2;
            break;
        case 'h':
            s_usage(stdout);
            return 0;
        case 'V':
            printf("dnsoracled %s\n", DNSORACLE_VERSION);
            return 0;
        default:
            s_usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        s_usage(stderr);
        return 2;
    }
    return -1;
}

/* The configuration, its engine (into *engine) and the domain layer; with
 * mode 1 or 2 only checked (and printed). Returns -1 to go on, or the exit
 * status. */
static int s_configure(s_daemon_t *d, int mode, engine_t **engine)
{
    char err[768];
    *engine = s_load(d->path, &d->cfg, err, sizeof err);
    if (*engine)
        d->domains = config_domain_new(&d->cfg, err, sizeof err);
    if (!*engine || !d->domains) {
        fprintf(stderr, "dnsoracled: %s\n", err);
        engine_destroy(engine);
        return 1;
    }
    if (mode == 0)
        return -1;
    if (mode == 2)
        config_dump(&d->cfg, stdout);
    else
        printf("%s: ok\n", d->path);
    engine_destroy(engine);
    domain_destroy(&d->domains);
    return 0;
}

/* Blocks the signals we wait for before any thread exists, so that every
 * thread inherits the mask and only sigtimedwait() in s_wait sees them. */
static void s_block_signals(s_daemon_t *d)
{
    sigemptyset(&d->signals);
    sigaddset(&d->signals, SIGTERM);
    sigaddset(&d->signals, SIGINT);
    sigaddset(&d->signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &d->signals, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* The database threads: the writer and the timer. The database is never
 * needed to start: they connect (and reconnect) on their own; the oracle
 * answers anyway. Returns 0 or -1. */
static int s_start_storage(s_daemon_t *d)
{
    if (!d->cfg.database.enabled)
        return 0;
    store_library_init();
    d->lists = listbox_new(d->threads, LISTBOX_KEEP_SECONDS); /* a reader slot per worker */
    d->writer = writer_new(&d->cfg, stats_slot(d->stats, d->threads + SLOT_WRITER));
    if (d->lists)
        d->cron =
            cron_new(&d->cfg, d->lists, d->domains, stats_slot(d->stats, d->threads + SLOT_CRON),
                     duties_table, duties_count);
    if (d->lists && d->writer && d->cron)
        return 0;
    log_error("server", "cannot start the database threads");
    return -1;
}

/* The ZeroMQ service (taking `engine`), then /metrics, the lists'
 * publisher and the control socket. Returns 0, or -1 (logged, told to
 * systemd) when the service or /metrics cannot start. */
static int s_start_service(s_daemon_t *d, engine_t *engine)
{
    char err[768];
    const config_t *cfg = &d->cfg;
    server_deps_t deps = {d->stats, d->lists, d->writer,
                          stats_slot(d->stats, d->threads + SLOT_AUTH), d->domains};
    d->server = server_new(cfg, engine, &deps, err, sizeof err);
    /* After the ZeroMQ endpoints, so that a second daemon on the same
     * configuration names the endpoint it cannot bind, not this port. */
    metrics_deps_t mdeps = {d->stats, d->lists, d->writer, d->domains, d->threads};
    if (d->server && !(d->metrics = metrics_new(cfg, &mdeps, err, sizeof err)) && err[0]) {
        log_error("metrics", "%s", err);
        server_destroy(&d->server);
    } else if (!d->server) {
        log_error("server", "%s", err);
    }
    if (!d->server) {
        sd_notifyf(0, "STATUS=failed: %s", err);
        return -1;
    }
    void *ctx = server_context(d->server);
    if (d->lists && (d->publish = publish_new(ctx, cfg, err, sizeof err)))
        listbox_set_publisher(d->lists, publish_send, d->publish, publish_endpoint(d->publish),
                              publish_curve_endpoint(d->publish));
    else if (d->lists && err[0])
        log_warning("server", "%s: the hooks fetch the lists every refresh_seconds instead", err);
    if (cfg->database.enabled && cfg->server.control_endpoint[0]) {
        d->control = control_new(ctx, cfg, d->lists, d->domains,
                                 stats_slot(d->stats, d->threads + SLOT_CONTROL), err, sizeof err);
        if (!d->control)
            log_warning("control", "operator commands unavailable: %s", err);
    }
    return 0;
}

/* Waits for signals, doing the main thread's duties in between, until
 * SIGTERM or SIGINT. */
static void s_wait(s_daemon_t *d)
{
    duties_main_t m = {d->stats, d->server, d->publish ? d->lists : NULL, false};
    uint64_t watchdog_usec = 0;
    m.watchdog = sd_watchdog_enabled(0, &watchdog_usec) > 0;
    duty_clock_t clock;
    duty_clock_init(&clock, duties_table, duties_count, DUTY_MAIN, &d->cfg, duty_now());
    for (;;) {
        double now = duty_now(), wait = duty_clock_next(&clock, now) - now;
        wait = wait < 0.001 ? 0.001 : wait;
        struct timespec t = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
        int sig = sigtimedwait(&d->signals, NULL, &t);
        if (sig == SIGTERM || sig == SIGINT) {
            log_info("server", "%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            return;
        }
        if (sig == SIGHUP)
            s_reload(d->server, stats_slot(d->stats, d->threads + SLOT_MAIN), d->path, &d->cfg);
        else if (sig < 0 && errno != EAGAIN && errno != EINTR)
            log_error("server", "sigtimedwait: %s", strerror(errno));
        duty_clock_run(&clock, &m, duty_now());
    }
}

/* Stop taking work, answer what was taken, then flush what is owed to the
 * database, then take everything down. */
static void s_stop(s_daemon_t *d)
{
    sd_notify(0, "STOPPING=1");
    metrics_destroy(&d->metrics);
    /* The publish sockets go before the server's CURVE handler does: a
     * CURVE handshake without its handler would be let in unchecked. */
    if (d->lists)
        listbox_set_publisher(d->lists, NULL, NULL, "", "");
    publish_destroy(&d->publish);
    server_stop(d->server, S_DRAIN_MS);
    control_destroy(&d->control);
    cron_destroy(&d->cron);
    if (d->writer)
        writer_stop(d->writer, (int)d->cfg.database.flush_ms);
    server_destroy(&d->server);
    log_info("server", "stopped");
}

static void s_free(s_daemon_t *d)
{
    publish_destroy(&d->publish);
    metrics_destroy(&d->metrics);
    control_destroy(&d->control);
    server_destroy(&d->server);
    cron_destroy(&d->cron);
    writer_destroy(&d->writer);
    listbox_destroy(&d->lists);
    domain_destroy(&d->domains);
    stats_destroy(&d->stats);
    if (d->cfg.database.enabled)
        store_library_end();
}

int main(int argc, char **argv)
{
    static s_daemon_t d; /* zero; static: a config_t is large */
    int mode, status = s_options(argc, argv, &d.path, &mode);
    if (status >= 0)
        return status;
    engine_t *engine;
    status = s_configure(&d, mode, &engine);
    if (status >= 0)
        return status;
    log_init("dnsoracled", (level_t)d.cfg.server.log_level, d.cfg.server.log_false_per_second);
    log_set_client_mode((events_client_t)d.cfg.events.client);
    s_block_signals(&d);
    d.threads = server_threads_for(&d.cfg);
    d.stats = stats_new(d.threads + SLOT_EXTRA);
    if (!d.stats) {
        log_error("server", "out of memory");
        engine_destroy(&engine);
        domain_destroy(&d.domains);
        return 1;
    }
    log_info("domain", "domain layer: at most %u domains and %u names, %.1f MB at most",
             d.cfg.droplist.max_domains, d.cfg.droplist.max_names,
             (double)domain_memory(d.domains) / 1e6);
    status = 1;
    if (s_start_storage(&d) != 0)
        engine_destroy(&engine);
    else if (s_start_service(&d, engine) == 0) {
        log_info("server", "listening on %s with %u worker threads", d.cfg.server.endpoints,
                 server_threads(d.server));
        if (d.cfg.server.curve_endpoints[0])
            log_info("server", "listening with CURVE on %s, for the clients whose keys are in %s",
                     d.cfg.server.curve_endpoints, d.cfg.server.curve_clients);
        if (d.publish && publish_curve_endpoint(d.publish)[0])
            log_info("server", "publishing list changes with CURVE on %s",
                     publish_curve_endpoint(d.publish));
        sd_notifyf(0, "READY=1\nSTATUS=listening on %s", d.cfg.server.endpoints);
        s_wait(&d);
        s_stop(&d);
        status = 0;
    }
    s_free(&d);
    return status;
}
