/* oracle/daemon/main.c - dnsoracled: the oracle service.
 *
 *   dnsoracled [-c CONFIG] [--check-config] [--dump-config] [-h] [-V]
 *
 * Reads the configuration, builds the engine, starts the ZeroMQ service
 * (server.h) and then waits for signals in this thread, with every signal
 * blocked in all the others: sigtimedwait() here replaces a handler, so no
 * code ever runs in signal context. Once a second this thread does its
 * periodic duties:
 *   - stats_tick(): the 10-second window behind requests/s and percentiles;
 *   - STATUS= for systemd (every second);
 *   - WATCHDOG=1 when the unit asks for it (every second: the watchdog
 *     interval is at least 2 s), and only when the proxy, every worker and
 *     the CURVE handler answered a ping within S_ALIVE_MS (server_alive).
 * The /metrics endpoint (metrics.h) runs in libmicrohttpd's own thread; it
 * is started after the ZeroMQ service and stopped first.
 * SIGHUP reloads the configuration, model and lists (a bad configuration is
 * logged and the old one kept); SIGTERM and SIGINT stop: no new requests,
 * what was received is answered, every thread joined, exit 0.
 */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
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
#define S_ALIVE_MS 500  /* the threads' time to answer the watchdog's ping */

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

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'}, {"check-config", no_argument, NULL, 'k'},
        {"dump-config", no_argument, NULL, 'd'},  {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0}};
    const char *path = config_default_path();
    int opt, check_only = 0;
    while ((opt = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            path = optarg;
            break;
        case 'k':
            check_only = 1;
            break;
        case 'd':
            check_only = 2;
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

    config_t cfg;
    char err[768];
    engine_t *engine = s_load(path, &cfg, err, sizeof err);
    if (!engine) {
        fprintf(stderr, "dnsoracled: %s\n", err);
        return 1;
    }
    domain_t *domains = config_domain_new(&cfg, err, sizeof err);
    if (!domains) {
        fprintf(stderr, "dnsoracled: %s\n", err);
        engine_destroy(&engine);
        return 1;
    }
    if (check_only) {
        domain_destroy(&domains);
        if (check_only == 2)
            config_dump(&cfg, stdout);
        else
            printf("%s: ok\n", path);
        engine_destroy(&engine);
        return 0;
    }
    log_init("dnsoracled", (level_t)cfg.server.log_level, cfg.server.log_false_per_second);

    /* Block the signals we wait for before any thread exists, so that every
     * thread inherits the mask and only sigtimedwait() below sees them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    unsigned threads = server_threads_for(&cfg);
    stats_t *stats = stats_new(threads + SLOT_EXTRA);
    listbox_t *lists = NULL;
    writer_t *writer = NULL;
    cron_t *cron = NULL;
    control_t *control = NULL;
    metrics_t *metrics = NULL;
    publish_t *publish = NULL;
    int status = 1;
    if (!stats) {
        log_error("server", "out of memory");
        engine_destroy(&engine);
        domain_destroy(&domains);
        return 1;
    }
    log_info("domain", "domain layer: at most %u domains and %u names, %.1f MB at most",
             cfg.droplist.max_domains, cfg.droplist.max_names,
             (double)domain_memory(domains) / 1e6);
    if (cfg.database.enabled) {
        /* The database is never needed to start: the writer and the timer
         * connect (and reconnect) on their own; the oracle answers anyway. */
        store_library_init();
        lists = listbox_new(threads, LISTBOX_KEEP_SECONDS); /* a reader slot per worker */
        writer = writer_new(&cfg, stats_slot(stats, threads + SLOT_WRITER));
        cron =
            lists ? cron_new(&cfg, lists, domains, stats_slot(stats, threads + SLOT_CRON)) : NULL;
        if (!lists || !writer || !cron) {
            log_error("server", "cannot start the database threads");
            engine_destroy(&engine);
            goto done;
        }
    }
    server_deps_t deps = {stats, lists, writer, stats_slot(stats, threads + SLOT_AUTH), domains};
    server_t *server = server_new(&cfg, engine, &deps, err, sizeof err);
    if (!server) {
        log_error("server", "%s", err);
        sd_notifyf(0, "STATUS=failed: %s", err);
        goto done;
    }
    /* After the ZeroMQ endpoints, so that a second daemon on the same
     * configuration names the endpoint it cannot bind, not this port. */
    metrics_deps_t mdeps = {stats, lists, writer, domains, server_threads(server)};
    metrics = metrics_new(&cfg, &mdeps, err, sizeof err);
    if (!metrics && err[0]) {
        log_error("metrics", "%s", err);
        sd_notifyf(0, "STATUS=failed: %s", err);
        server_stop(server, 0);
        server_destroy(&server);
        goto done;
    }
    if (lists && (publish = publish_new(server_context(server), &cfg, err, sizeof err)))
        listbox_set_publisher(lists, publish_send, publish, publish_endpoint(publish),
                              publish_curve_endpoint(publish));
    else if (lists && err[0])
        log_warning("server", "%s: the hooks fetch the lists every refresh_seconds instead", err);
    if (cfg.database.enabled && cfg.server.control_endpoint[0]) {
        control = control_new(server_context(server), &cfg, lists, domains,
                              stats_slot(stats, threads + SLOT_CONTROL), err, sizeof err);
        if (!control)
            log_warning("control", "operator commands unavailable: %s", err);
    }
    uint64_t watchdog_usec = 0;
    bool watchdog = sd_watchdog_enabled(0, &watchdog_usec) > 0;
    log_info("server", "listening on %s with %u worker threads", cfg.server.endpoints,
             server_threads(server));
    if (cfg.server.curve_endpoints[0])
        log_info("server", "listening with CURVE on %s, for the clients whose keys are in %s",
                 cfg.server.curve_endpoints, cfg.server.curve_clients);
    if (publish && publish_curve_endpoint(publish)[0])
        log_info("server", "publishing list changes with CURVE on %s",
                 publish_curve_endpoint(publish));
    sd_notifyf(0, "READY=1\nSTATUS=listening on %s", cfg.server.endpoints);

#ifdef __GLIBC__
    unsigned long ticks = 0;
#endif
    for (;;) {
        struct timespec second = {1, 0};
        int sig = sigtimedwait(&set, NULL, &second);
        if (sig == SIGTERM || sig == SIGINT) {
            log_info("server", "%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            break;
        }
        if (sig == SIGHUP) {
            s_reload(server, stats_slot(stats, threads + SLOT_MAIN), path, &cfg);
            continue;
        }
        if (sig < 0 && errno != EAGAIN && errno != EINTR)
            log_error("server", "sigtimedwait: %s", strerror(errno));
        stats_tick(stats);
        if (publish)
            listbox_tick(lists); /* the hooks' heartbeat: epoch and generation */
#ifdef __GLIBC__
        /* A burst (a tunnel, a flood of junk) leaves freed memory in the
         * threads' malloc arenas; give it back to the system every 10 s so
         * the footprint returns to its resting size. */
        if (++ticks % 10 == 0)
            malloc_trim(0);
#endif
        char line[256];
        stats_status(stats, line, sizeof line);
        /* WATCHDOG=1 only when every thread on the request path answered
         * (a wedged worker pool must get the service restarted) */
        bool alive = watchdog && server_alive(server, S_ALIVE_MS) == 0;
        sd_notifyf(0, "STATUS=%s%s", line, alive ? "\nWATCHDOG=1" : "");
    }
    /* Stop taking work, answer what was taken, then flush what is owed to
     * the database, then take everything down. */
    sd_notify(0, "STOPPING=1");
    metrics_destroy(&metrics);
    /* The publish sockets go before the server's CURVE handler does: a
     * CURVE handshake without its handler would be let in unchecked. */
    if (lists)
        listbox_set_publisher(lists, NULL, NULL, "", "");
    publish_destroy(&publish);
    server_stop(server, S_DRAIN_MS);
    control_destroy(&control);
    cron_destroy(&cron);
    if (writer)
        writer_stop(writer, (int)cfg.database.flush_ms);
    server_destroy(&server);
    log_info("server", "stopped");
    status = 0;
done:
    publish_destroy(&publish);
    metrics_destroy(&metrics);
    control_destroy(&control);
    cron_destroy(&cron);
    writer_destroy(&writer);
    listbox_destroy(&lists);
    domain_destroy(&domains);
    stats_destroy(&stats);
    if (cfg.database.enabled)
        store_library_end();
    return status;
}
