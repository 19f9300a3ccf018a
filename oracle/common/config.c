/* oracle/common/config.c - the configuration file, one table of options. */
#include "config.h"

#include <bsd/string.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "embedded.h"

typedef enum { T_STRING, T_PATH, T_UINT, T_DOUBLE, T_BOOL, T_CHOICE } s_type_t;

/* T_CHOICE values: the word's index is stored (an enum in config.h). */
static const char *const s_levels[] = {"error", "warning", "info", "debug", NULL};
static const char *const s_queries[] = {"local", "oracle", NULL};
static const char *const s_modes[] = {"enforce", "monitor", NULL};
static const char *const s_actions[] = {"nxdomain", "refused", "drop", NULL};
static const char *const s_fails[] = {"open", "closed", NULL};
static const char *const s_clients[] = {"full", "truncated", "none", NULL};

/* When a new value takes effect in dnsoracled: at SIGHUP (R), or only at a
 * restart (X: sockets, threads, the database, the domain layer's tables). The
 * [hook] options are read by the hook, at rec_control reload-lua-script: R. */
typedef enum { R, X } s_when_t;

typedef struct {
    const char *section;
    const char *key;
    s_type_t type;
    s_when_t when;
    size_t offset; /* into config_t */
    size_t size;   /* for strings: the buffer size */
    double min, max;
    const char *const *choices; /* T_CHOICE: the words, NULL-terminated */
    const char *def;            /* the default, as in the file; NULL: the layer's own */
} s_option_t;

#define OPT(sec, key, type, field, lo, hi, def, when)                                              \
    {                                                                                              \
        sec, #key, type, when, offsetof(config_t, field), sizeof(((config_t *)0)->field), lo, hi,  \
            NULL, def                                                                              \
    }

#define OPTC(sec, key, field, words, def, when)                                                    \
    {                                                                                              \
        sec, #key, T_CHOICE, when, offsetof(config_t, field), sizeof(((config_t *)0)->field), 0,   \
            0, words, def                                                                          \
    }

/* One row per option: where it goes, its range, its default and when it
 * takes effect. A NULL default is the layer's own, set where that layer is
 * (engine_settings_default(), domain_settings_default()), since the engine
 * and the domain layer are used without a configuration file too (the
 * offline tools, the benchmarks). dnsoracle.conf.example documents each. */
static const s_option_t s_options[] = {
    OPT("engine", model, T_PATH, engine.model_path, 0, 0, NULL, R),
    OPT("engine", allowlist_file, T_PATH, engine.allowlist_file, 0, 0, NULL, R),
    OPT("engine", allow, T_STRING, engine.allow, 0, 0, NULL, R),
    OPT("engine", psl_rules, T_PATH, engine.psl_rules, 0, 0, NULL, R),
    OPT("engine", exempt_reverse, T_BOOL, engine.exempt_reverse, 0, 1, NULL, R),
    OPT("engine", bigram_threshold, T_DOUBLE, engine.bigram_threshold, -64, 0, NULL, R),
    OPT("engine", bigram_margin, T_DOUBLE, engine.bigram_margin, 0, 64, NULL, R),
    OPT("engine", registrable_margin, T_DOUBLE, engine.registrable_margin, 0, 64, NULL, R),
    OPT("engine", bigram_min_pairs, T_UINT, engine.bigram_min_pairs, 1, 1000, NULL, R),
    OPT("engine", entropy_threshold, T_DOUBLE, engine.entropy_threshold, 0.1, 10, NULL, R),
    OPT("engine", entropy_min_chars, T_UINT, engine.entropy_min_chars, 1, 1000, NULL, R),
    OPT("engine", max_non_ldh, T_UINT, engine.max_non_ldh, 0, 253, NULL, R),
    OPT("engine", max_hex, T_UINT, engine.max_hex, 1, 253, NULL, R),
    OPT("engine", max_encoded_label, T_UINT, engine.max_encoded_label, 1, 63, NULL, R),
    OPT("engine", max_case_switches, T_UINT, engine.max_case_switches, 0, 253, NULL, R),
    OPT("engine", max_digit_switches, T_UINT, engine.max_digit_switches, 1, 253, NULL, R),
    OPT("engine", max_label, T_UINT, engine.max_label, 1, 63, NULL, R),
    OPT("engine", max_labels, T_UINT, engine.max_labels, 1, 127, NULL, R),
    OPT("engine", max_length, T_UINT, engine.max_length, 1, 253, NULL, R),
    OPT("engine", strong_run, T_UINT, engine.strong_run, 1, 253, NULL, R),
    OPT("engine", strong_hex, T_UINT, engine.strong_hex, 1, 253, NULL, R),
    OPT("engine", strong_encoded, T_UINT, engine.strong_encoded, 1, 253, NULL, R),
    OPT("engine", strong_chars, T_UINT, engine.strong_chars, 1, 253, NULL, R),
    OPT("server", endpoints, T_STRING, server.endpoints, 0, 0, "tcp://127.0.0.1:5555", X),
    OPT("server", threads, T_UINT, server.threads, 0, 256, "0", X),
    OPT("server", max_batch, T_UINT, server.max_batch, 1, 65536, "1024", R),
    OPT("server", max_connections, T_UINT, server.max_connections, 1, 1000000, "1024", R),
    OPTC("server", log_level, server.log_level, s_levels, "info", R),
    OPT("server", log_false_per_second, T_UINT, server.log_false_per_second, 0, 1000000, "20", R),
    OPT("server", control_endpoint, T_STRING, server.control_endpoint, 0, 0,
        "ipc:///run/dnsoracle/control.sock", X),
    OPT("server", curve_endpoints, T_STRING, server.curve_endpoints, 0, 0, "", X),
    OPT("server", curve_secret_key, T_PATH, server.curve_secret_key, 0, 0, "", X),
    OPT("server", curve_clients, T_PATH, server.curve_clients, 0, 0, "", X),
    OPT("server", publish, T_STRING, server.publish, 0, 0, "tcp://127.0.0.1:5556", X),
    OPT("server", curve_publish, T_STRING, server.curve_publish, 0, 0, "", X),
    OPT("database", enabled, T_BOOL, database.enabled, 0, 1, "true", X),
    OPT("database", queue_size, T_UINT, database.queue_size, 1000, 10000000, "100000", X),
    OPT("database", flush_ms, T_UINT, database.flush_ms, 0, 60000, "1000", X),
    OPT("database", host, T_STRING, database.host, 0, 0, "localhost", X),
    OPT("database", port, T_UINT, database.port, 1, 65535, "3306", X),
    OPT("database", socket, T_PATH, database.socket, 0, 0, "", X),
    OPT("database", user, T_STRING, database.user, 0, 0, "dnsoracle", X),
    OPT("database", password, T_STRING, database.password, 0, 0, "", X),
    OPT("database", name, T_STRING, database.name, 0, 0, "dns", X),
    OPT("droplist", update_seconds, T_UINT, droplist.update_seconds, 1, 86400, "300", X),
    OPT("droplist", window_seconds, T_UINT, droplist.window_seconds, 1, 7 * 86400, "3600", X),
    OPT("droplist", subdomain_threshold, T_DOUBLE, droplist.subdomain_threshold, 0.5, 10000000,
        NULL, X),
    OPT("droplist", weak_bits, T_DOUBLE, droplist.weak_bits, 1, 100000, NULL, X),
    OPT("droplist", min_share, T_DOUBLE, droplist.min_share, 0, 1, NULL, X),
    OPT("droplist", bits_budget, T_DOUBLE, droplist.bits_budget, 100, 1e12, NULL, X),
    OPT("droplist", few_clients, T_UINT, droplist.few_clients, 0, 7, NULL, X),
    OPT("droplist", clients_factor, T_DOUBLE, droplist.clients_factor, 1, 1e6, NULL, X),
    OPT("droplist", established_factor, T_DOUBLE, droplist.established_factor, 1, 1e6, NULL, X),
    OPT("droplist", established_days, T_UINT, droplist.established_days, 1, 3650, NULL, X),
    OPT("droplist", repeat_factor, T_DOUBLE, droplist.repeat_factor, 1, 1e6, NULL, X),
    OPT("droplist", established_file, T_PATH, droplist.established_file, 0, 0, "", X),
    OPT("droplist", max_domains, T_UINT, droplist.max_domains, 1000, 100000000, NULL, X),
    OPT("droplist", max_names, T_UINT, droplist.max_names, 1000, 1000000000, NULL, X),
    OPT("droplist", drop_seconds, T_UINT, droplist.drop_seconds, 1, 365 * 86400, "86400", X),
    OPT("droplist", retention_seconds, T_UINT, droplist.retention_seconds, 60, 365 * 86400, "86400",
        X),
    OPT("droplist", refresh_seconds, T_UINT, droplist.refresh_seconds, 1, 3600, "10", X),
    OPT("hook", endpoint, T_STRING, hook.endpoint, 0, 0, "tcp://127.0.0.1:5555", R),
    OPTC("hook", query, hook.query, s_queries, "local", R),
    OPTC("hook", mode, hook.mode, s_modes, "enforce", R),
    OPTC("hook", action, hook.action, s_actions, "nxdomain", R),
    OPT("hook", timeout_ms, T_UINT, hook.timeout_ms, 1, 10000, "50", R),
    OPTC("hook", fail, hook.fail, s_fails, "open", R),
    OPT("hook", breaker_seconds, T_UINT, hook.breaker_seconds, 1, 3600, "5", R),
    OPT("hook", cache_size, T_UINT, hook.cache_size, 0, 10000000, "10000", R),
    OPT("hook", cache_seconds, T_UINT, hook.cache_seconds, 1, 86400, "60", R),
    OPT("hook", refresh_seconds, T_UINT, hook.refresh_seconds, 1, 3600, "10", R),
    OPT("hook", log_per_second, T_UINT, hook.log_per_second, 0, 1000000, "10", R),
    OPT("hook", curve_key, T_PATH, hook.curve_key, 0, 0, "", R),
    OPT("hook", curve_server_key, T_PATH, hook.curve_server_key, 0, 0, "", R),
    OPT("metrics", listen, T_STRING, metrics.listen, 0, 0, "127.0.0.1:9154", X),
    OPTC("events", client, events.client, s_clients, "full", X),
    OPT("events", retention_days, T_UINT, events.retention_days, 1, 3650, "30", X),
    OPT("events", queue_size, T_UINT, events.queue_size, 16, 10000000, "10000", X),
    OPT("events", rows_per_minute, T_UINT, events.rows_per_minute, 1, 10000000, "500", X),
};
#define S_NOPTIONS (sizeof s_options / sizeof s_options[0])

const char *config_default_path(void) { return DNSORACLE_CONFIG_PATH; }

void config_domain_settings(const config_t *cfg, domain_settings_t *out)
{
    domain_settings_default(out);
    out->window_seconds = cfg->droplist.window_seconds;
    out->threshold = cfg->droplist.subdomain_threshold;
    out->weak_bits = cfg->droplist.weak_bits;
    out->min_share = cfg->droplist.min_share;
    out->bits_budget = cfg->droplist.bits_budget;
    out->few_clients = cfg->droplist.few_clients;
    out->clients_factor = cfg->droplist.clients_factor;
    out->established_factor = cfg->droplist.established_factor;
    out->established_days = cfg->droplist.established_days;
    out->repeat_factor = cfg->droplist.repeat_factor;
    out->drop_seconds = cfg->droplist.drop_seconds;
    out->max_domains = cfg->droplist.max_domains;
    out->max_names = cfg->droplist.max_names;
}

typedef struct {
    config_t *cfg;
    bool seen[S_NOPTIONS];
    char why[256];
} s_parse_t;

static int s_set(const s_option_t *o, config_t *cfg, const char *value, char *why, size_t cap)
{
    void *field = (char *)cfg + o->offset;
    char *end = NULL;
    switch (o->type) {
    case T_STRING:
    case T_PATH:
        if (strlen(value) >= o->size) {
            snprintf(why, cap, "%s: value too long (at most %zu bytes)", o->key, o->size - 1);
            return -1;
        }
        if (o->type == T_PATH && value[0] && value[0] != '/') {
            snprintf(why, cap, "%s: '%s' is not an absolute path", o->key, value);
            return -1;
        }
        strlcpy(field, value, o->size);
        return 0;
    case T_UINT: {
        errno = 0;
        unsigned long v = strtoul(value, &end, 10);
        if (!value[0] || *end || errno || value[0] == '-' || v < o->min || v > o->max) {
            snprintf(why, cap, "%s: '%s' is not a whole number from %.0f to %.0f", o->key, value,
                     o->min, o->max);
            return -1;
        }
        *(unsigned *)field = (unsigned)v;
        return 0;
    }
    case T_DOUBLE: {
        errno = 0;
        double v = strtod(value, &end);
        if (!value[0] || *end || errno || !isfinite(v) || v < o->min || v > o->max) {
            snprintf(why, cap, "%s: '%s' is not a number from %g to %g", o->key, value, o->min,
                     o->max);
            return -1;
        }
        *(double *)field = v;
        return 0;
    }
    case T_CHOICE: {
        char words[128] = "";
        for (unsigned i = 0; o->choices[i]; i++) {
            if (!strcasecmp(value, o->choices[i])) {
                *(unsigned *)field = i;
                return 0;
            }
            strlcat(words, i ? ", " : "", sizeof words);
            strlcat(words, o->choices[i], sizeof words);
        }
        snprintf(why, cap, "%s: '%s' is not one of %s", o->key, value, words);
        return -1;
    }
    case T_BOOL:
        if (!strcasecmp(value, "true") || !strcasecmp(value, "yes") || !strcmp(value, "1") ||
            !strcasecmp(value, "on"))
            *(bool *)field = true;
        else if (!strcasecmp(value, "false") || !strcasecmp(value, "no") || !strcmp(value, "0") ||
                 !strcasecmp(value, "off"))
            *(bool *)field = false;
        else {
            snprintf(why, cap, "%s: '%s' is not true or false", o->key, value);
            return -1;
        }
        return 0;
    }
    return -1;
}

static int s_handler(void *user, const char *section, const char *key, const char *value)
{
    s_parse_t *p = user;
    if (p->why[0])
        return 0; /* inih goes on after an error: keep the first one */
    bool section_known = false;
    for (size_t i = 0; i < S_NOPTIONS; i++) {
        const s_option_t *o = &s_options[i];
        if (strcmp(o->section, section) != 0)
            continue;
        section_known = true;
        if (strcmp(o->key, key) != 0)
            continue;
        if (p->seen[i]) {
            snprintf(p->why, sizeof p->why, "%s: set twice in [%s]", key, section);
            return 0;
        }
        p->seen[i] = true;
        return s_set(o, p->cfg, value, p->why, sizeof p->why) == 0;
    }
    if (!section[0])
        snprintf(p->why, sizeof p->why, "%s: key outside any [section]", key);
    else if (!section_known)
        snprintf(p->why, sizeof p->why, "%s: unknown section [%s]", key, section);
    else
        snprintf(p->why, sizeof p->why, "%s: unknown key in [%s]", key, section);
    return 0;
}

/* inih reads lines of up to S_MAX_LINE bytes (it would split a longer one)
 * and takes an indented line as the continuation of the previous value.
 * Both surprise; refuse them with the line number before inih runs. */
#define S_MAX_LINE 199
static int s_prescan(FILE *f, const char *path, char *err, size_t errcap)
{
    int lineno = 0, c = 0;
    while (c != EOF) {
        size_t len = 0;
        int first = 0, first_text = 0; /* first byte; first non-blank byte */
        lineno++;
        while ((c = fgetc(f)) != EOF && c != '\n') {
            if (len == 0)
                first = c;
            if (!first_text && c != ' ' && c != '\t' && c != '\r')
                first_text = c;
            len++;
        }
        if (len > S_MAX_LINE) {
            snprintf(err, errcap,
                     "%s:%d: line too long (at most %d bytes; long allow lists belong in "
                     "allowlist_file)",
                     path, lineno, S_MAX_LINE);
            return -EINVAL;
        }
        if ((first == ' ' || first == '\t') && first_text && first_text != '#' &&
            first_text != ';') {
            snprintf(err, errcap,
                     "%s:%d: indented line (write every setting at the start of "
                     "its line)",
                     path, lineno);
            return -EINVAL;
        }
    }
    rewind(f);
    return 0;
}

/* The defaults of the domain layer's rows, which it sets itself. */
static void s_domain_defaults(config_t *cfg)
{
    domain_settings_t d;
    domain_settings_default(&d);
    cfg->droplist.subdomain_threshold = d.threshold;
    cfg->droplist.weak_bits = d.weak_bits;
    cfg->droplist.min_share = d.min_share;
    cfg->droplist.bits_budget = d.bits_budget;
    cfg->droplist.few_clients = d.few_clients;
    cfg->droplist.clients_factor = d.clients_factor;
    cfg->droplist.established_factor = d.established_factor;
    cfg->droplist.established_days = d.established_days;
    cfg->droplist.repeat_factor = d.repeat_factor;
    cfg->droplist.max_domains = d.max_domains;
    cfg->droplist.max_names = d.max_names;
}

void config_defaults(config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    engine_settings_default(&cfg->engine);
    s_domain_defaults(cfg);
    for (size_t i = 0; i < S_NOPTIONS; i++) {
        char why[256];
        if (s_options[i].def && s_set(&s_options[i], cfg, s_options[i].def, why, sizeof why)) {
            fprintf(stderr, "config.c: the default of [%s] %s is refused: %s\n",
                    s_options[i].section, s_options[i].key, why);
            abort(); /* a row of the table is wrong: caught by every test */
        }
    }
}

/* Whether row `o` differs between two configurations. */
static bool s_differs(const s_option_t *o, const config_t *a, const config_t *b)
{
    const void *x = (const char *)a + o->offset, *y = (const char *)b + o->offset;
    switch (o->type) {
    case T_STRING:
    case T_PATH:
        return strcmp(x, y) != 0;
    case T_UINT:
    case T_CHOICE:
        return *(const unsigned *)x != *(const unsigned *)y;
    case T_DOUBLE:
        return *(const double *)x != *(const double *)y;
    case T_BOOL:
        return *(const bool *)x != *(const bool *)y;
    }
    return false;
}

size_t config_restart_changes(const config_t *running, const config_t *fresh, char *buf, size_t cap)
{
    size_t n = 0;
    if (cap)
        buf[0] = '\0';
    for (size_t i = 0; i < S_NOPTIONS; i++) {
        const s_option_t *o = &s_options[i];
        if (o->when != X || !s_differs(o, running, fresh))
            continue;
        char one[96];
        snprintf(one, sizeof one, "%s[%s] %s", n ? ", " : "", o->section, o->key);
        strlcat(buf, one, cap);
        n++;
    }
    return n;
}

int config_load(const char *path, config_t *cfg, char *err, size_t errcap)
{
    config_defaults(cfg);
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        snprintf(err, errcap, "%s: %s", path, strerror(e));
        return -e;
    }
    if (s_prescan(f, path, err, errcap) != 0) {
        fclose(f);
        return -EINVAL;
    }
    s_parse_t p = {.cfg = cfg};
    int line = ini_parse_file(f, s_handler, &p);
    fclose(f);
    if (line == 0 && cfg->droplist.retention_seconds < cfg->droplist.window_seconds) {
        snprintf(err, errcap,
                 "%s: [droplist] retention_seconds (%u) is shorter than window_seconds (%u): "
                 "names would be deleted before they are counted",
                 path, cfg->droplist.retention_seconds, cfg->droplist.window_seconds);
        config_defaults(cfg);
        return -EINVAL;
    }
    if (line == 0 && cfg->server.curve_endpoints[0] &&
        (!cfg->server.curve_secret_key[0] || !cfg->server.curve_clients[0])) {
        snprintf(err, errcap,
                 "%s: [server] curve_endpoints needs curve_secret_key (the oracle's key pair) "
                 "and curve_clients (the directory of allowed clients' public keys)",
                 path);
        config_defaults(cfg);
        return -EINVAL;
    }
    if (line == 0 && !cfg->hook.curve_key[0] != !cfg->hook.curve_server_key[0]) {
        snprintf(err, errcap,
                 "%s: [hook] curve_key and curve_server_key go together (the hook's key pair "
                 "and the oracle's public key)",
                 path);
        config_defaults(cfg);
        return -EINVAL;
    }
    if (line == 0)
        return 0;
    if (line < 0)
        snprintf(err, errcap, "%s: cannot read", path);
    else if (p.why[0])
        snprintf(err, errcap, "%s:%d: %s", path, line, p.why);
    else
        snprintf(err, errcap, "%s:%d: syntax error (expected [section] or key = value)", path,
                 line);
    config_defaults(cfg);
    return -EINVAL;
}

domain_t *config_domain_new(const config_t *cfg, char *err, size_t errcap)
{
    domain_settings_t s;
    config_domain_settings(cfg, &s);
    const char *path = cfg->droplist.established_file;
    char *text = NULL;
    if (path[0]) {
        FILE *f = fopen(path, "r");
        size_t cap = 0;
        if (!f || getdelim(&text, &cap, '\0', f) < 0) {
            snprintf(err, errcap, "established_file %s: %s", path,
                     f ? "cannot be read" : strerror(errno));
            if (f)
                fclose(f);
            free(text);
            return NULL;
        }
        fclose(f);
    }
    domain_t *d = domain_new(&s, text ? text : embedded_default_established);
    free(text);
    if (!d)
        snprintf(err, errcap, "out of memory for the domain layer (max_domains, max_names)");
    return d;
}

const char *config_choice_word(const char *section, const char *key, unsigned value)
{
    for (size_t i = 0; i < S_NOPTIONS; i++) {
        const s_option_t *o = &s_options[i];
        if (o->type != T_CHOICE || strcmp(o->section, section) != 0 || strcmp(o->key, key) != 0)
            continue;
        for (unsigned w = 0; o->choices[w]; w++)
            if (w == value)
                return o->choices[w];
        return NULL;
    }
    return NULL;
}

void config_dump(const config_t *cfg, FILE *out)
{
    const char *section = "";
    for (size_t i = 0; i < S_NOPTIONS; i++) {
        const s_option_t *o = &s_options[i];
        const void *field = (const char *)cfg + o->offset;
        if (strcmp(section, o->section) != 0) {
            fprintf(out, "%s[%s]\n", i ? "\n" : "", o->section);
            section = o->section;
        }
        switch (o->type) {
        case T_STRING:
        case T_PATH:
            /* never print a password: say whether one is set */
            if (!strcmp(o->key, "password") && ((const char *)field)[0])
                fprintf(out, "%s = (set)\n", o->key);
            else
                fprintf(out, "%s = %s\n", o->key, (const char *)field);
            break;
        case T_UINT:
            fprintf(out, "%s = %u\n", o->key, *(const unsigned *)field);
            break;
        case T_DOUBLE:
            fprintf(out, "%s = %g\n", o->key, *(const double *)field);
            break;
        case T_BOOL:
            fprintf(out, "%s = %s\n", o->key, *(const bool *)field ? "true" : "false");
            break;
        case T_CHOICE:
            fprintf(out, "%s = %s\n", o->key, o->choices[*(const unsigned *)field]);
            break;
        }
    }
}
