/* oracle/common/config.h - the configuration file, one table of options.
 *
 * dnsoracle.conf is an INI file: `[section]` headers, `key = value` lines,
 * comments on lines starting with '#' or ';'. Every option is one row of the
 * table in config.c (section, key, type, range, default, and whether it
 * takes effect at a reload or only at a restart), and an empty file
 * therefore means every default. Unknown sections or keys,
 * repeated keys and out-of-range values are errors naming file, line and key.
 */
#ifndef DNSORACLE_CONFIG_H
#define DNSORACLE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "domain.h"
#include "engine.h"
#include "log.h"
#include "privacy.h"

/* [hook] choices, in the order of their words in config.c. */
typedef enum { HOOK_QUERY_LOCAL, HOOK_QUERY_ORACLE } hook_query_t;
typedef enum { HOOK_MODE_ENFORCE, HOOK_MODE_MONITOR } hook_mode_t;
typedef enum { HOOK_ACTION_NXDOMAIN, HOOK_ACTION_REFUSED, HOOK_ACTION_DROP } hook_action_t;
typedef enum { HOOK_FAIL_OPEN, HOOK_FAIL_CLOSED } hook_fail_t;

typedef struct {
    engine_settings_t engine;            /* [engine] */
    struct {                             /* [server] */
        char endpoints[1024];            /* ZeroMQ endpoints to bind, spaces or commas between */
        unsigned threads;                /* worker threads; 0 = one per core */
        unsigned max_batch;              /* names judged per request; more are answered false */
        unsigned max_connections;        /* open tcp:// connections at most; more are closed */
        unsigned log_level;              /* level_t */
        unsigned log_false_per_second;   /* false verdicts logged per second, at most */
        char control_endpoint[PATH_MAX]; /* operator commands ("" = none) */
        char curve_endpoints[1024];      /* endpoints served with CURVE, any address */
        char curve_secret_key[PATH_MAX]; /* the oracle's key pair (curve.h) */
        char curve_clients[PATH_MAX];    /* directory of the public keys let in */
        char publish[256];               /* PUB endpoint of list changes ("" = none) */
        char curve_publish[256];         /* the same served with CURVE, any address */
    } server;
    struct {                 /* [database] */
        bool enabled;        /* false: no storage, no drop list */
        unsigned queue_size; /* good names waiting for the writer, at most */
        unsigned flush_ms;   /* at SIGTERM, time allowed to write the queue */
        char host[256];
        unsigned port;
        char socket[PATH_MAX];
        char user[128];
        char password[256];
        char name[64];
    } database;
    struct {                             /* [droplist]: the domain layer's rule (domain.h) */
        unsigned update_seconds;         /* between two evidence exchanges with the database */
        unsigned window_seconds;         /* time constant of the evidence */
        double subdomain_threshold;      /* weighted subdomains that cut a domain off */
        double weak_bits;                /* bits for a weak name to weigh as a strong one */
        double min_share;                /* names with evidence, at least this share */
        double bits_budget;              /* bits a domain may carry per window */
        unsigned few_clients;            /* more clients: clients_factor */
        double clients_factor;           /* thresholds times this for widely used domains */
        double established_factor;       /* and for established ones */
        unsigned established_days;       /* days with traffic that make a domain established */
        double repeat_factor;            /* at most this much more for names asked again */
        char established_file[PATH_MAX]; /* established domains ("" = the built-in list) */
        unsigned max_domains;            /* domains held in memory, at most */
        unsigned max_names;              /* name fingerprints held, at most */
        unsigned drop_seconds;           /* how long an automatic drop lasts */
        unsigned retention_seconds;      /* names and evidence unseen this long are deleted */
        unsigned refresh_seconds;        /* lists reread from the database */
    } droplist;
    struct {                             /* [hook]: read by the Lua hook in pdns-recursor */
        char endpoint[1024];             /* the oracle */
        unsigned query;                  /* hook_query_t */
        unsigned mode;                   /* hook_mode_t */
        unsigned action;                 /* hook_action_t */
        unsigned timeout_ms;             /* per request to the oracle */
        unsigned fail;                   /* hook_fail_t: verdict when the oracle is away */
        unsigned breaker_seconds;        /* after a timeout, the oracle is not asked this long */
        unsigned cache_size;             /* verdicts remembered per recursor thread */
        unsigned cache_seconds;          /* for this long */
        unsigned refresh_seconds;        /* lists fetched from the oracle this often */
        unsigned log_per_second;         /* blocked queries logged per second and thread */
        char curve_key[PATH_MAX];        /* the hook's key pair, for a CURVE endpoint */
        char curve_server_key[PATH_MAX]; /* the oracle's public key */
    } hook;
    struct {              /* [metrics] */
        char listen[128]; /* HTTP address of /metrics, "" = none (metrics.h) */
    } metrics;
    struct {                      /* [events]: refusals, who asked (events.h) */
        unsigned client;          /* events_client_t: the address kept, in events and the log */
        unsigned retention_days;  /* event rows older than this are deleted */
        unsigned queue_size;      /* event rows waiting for the writer, at most */
        unsigned rows_per_minute; /* new event rows a minute, at most */
    } events;
} config_t;

/* The default configuration file (compiled in; install.sh writes it there). */
const char *config_default_path(void);

/* Fills `cfg` with every default. */
void config_defaults(config_t *cfg);

/* The options that take effect only at a restart and differ between the
 * running configuration and a fresh one: "[database] host, [server] threads"
 * in buf (truncated to cap). Returns how many. */
size_t config_restart_changes(const config_t *running, const config_t *fresh, char *buf,
                              size_t cap);

/* Fills `cfg` with the defaults, then reads `path` over them. Returns 0, or
 * a negative errno code with "FILE:LINE: reason" (or "FILE: reason") in err. */
int config_load(const char *path, config_t *cfg, char *err, size_t errcap);

/* The domain layer's settings from the [droplist] section. */
void config_domain_settings(const config_t *cfg, domain_settings_t *out);

/* A domain layer with those settings and the established list of
 * established_file (or the built-in one). Returns NULL with the reason in
 * err (a file that cannot be read, out of memory). */
domain_t *config_domain_new(const config_t *cfg, char *err, size_t errcap);

/* The word of choice `value` of option [section] key as the file spells it
 * ("oracle" for [hook] query HOOK_QUERY_ORACLE), static; NULL when that
 * option is not a choice or has no such value. The words live only in
 * config.c: the hook's C module takes them from here. */
const char *config_choice_word(const char *section, const char *key, unsigned value);

/* Prints every option with its current value in file syntax to `out`. */
void config_dump(const config_t *cfg, FILE *out);

#endif
