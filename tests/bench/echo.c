/* tests/bench/echo.c - dnsoracle_echo: dnsoracled's server with the engine
 * taken out, the baseline of tests/bench/server.sh.
 *
 *   dnsoracle_echo [-c CONFIG]
 *
 * Built from the daemon's own server.c and protocol.c (compiled with
 * DNSORACLE_SERVER_ECHO, which answers "true" to every name without judging
 * it): the same ROUTER, proxy thread, DEALER, REP workers, statistics and
 * latency stamps. The daemon's throughput over this one's is what the
 * engine, the lists and the logging cost. Runs until SIGTERM or SIGINT. No
 * database, no control socket, no timer.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "engine.h"
#include "log.h"
#include "server.h"
#include "stats.h"

int main(int argc, char **argv)
{
    config_t cfg;
    char err[1024];
    if (argc == 3 && strcmp(argv[1], "-c") == 0) {
        if (config_load(argv[2], &cfg, err, sizeof err) != 0) {
            fprintf(stderr, "dnsoracle_echo: %s\n", err);
            return 2;
        }
    } else if (argc != 1) {
        fprintf(stderr, "usage: dnsoracle_echo [-c CONFIG]\n");
        return 2;
    } else {
        config_defaults(&cfg);
    }
    log_init("dnsoracle_echo", LEVEL_WARNING, 0);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    engine_t *engine = engine_new(&cfg.engine, err, sizeof err);
    unsigned threads = server_threads_for(&cfg);
    stats_t *stats = stats_new(threads + 2); /* workers, proxy, CURVE handler */
    server_deps_t deps = {stats, NULL, NULL, stats ? stats_slot(stats, threads + 1) : NULL, NULL};
    server_t *server = engine && stats ? server_new(&cfg, engine, &deps, err, sizeof err) : NULL;
    if (!server) {
        fprintf(stderr, "dnsoracle_echo: %s\n", err);
        stats_destroy(&stats);
        return 1;
    }
    fprintf(stderr, "dnsoracle_echo: ready on %s\n", cfg.server.endpoints);
    int sig;
    sigwait(&set, &sig);
    server_stop(server, 1000);
    server_destroy(&server);
    stats_destroy(&stats);
    return 0;
}
