/* client/client.c - dnsoracle_client: asks a running dnsoracled.
 *
 *   dnsoracle_client [-e ENDPOINT] [-t TIMEOUT_MS] NAME...     verdicts
 *   dnsoracle_client [-e ENDPOINT] [-t TIMEOUT_MS] [-]         names on stdin
 *   dnsoracle_client --explain NAME... | --stats | --ping
 *   dnsoracle_client [-C CONTROL] --block DOMAIN [--reason TEXT] | --allow DOMAIN
 *                    [--reason TEXT] | --unlist DOMAIN | --update-now
 *   dnsoracle_client [-C CONTROL] --list [KIND] [--reason TEXT] [--count] [--all]
 *   dnsoracle_client [-C CONTROL] --import block|allow FILE [--reason TEXT]
 *                    [--expires DURATION] [--replace]          a feed (listcmd.h)
 *   dnsoracle_client [-C CONTROL] --report | --events DOMAIN|ADDRESS [--since DURATION]
 *                    [--json]                   refusals and who asked (eventcmd.h)
 *   dnsoracle_client --gen-keys PREFIX                       CURVE key pair
 *
 * With --curve-key and --curve-server-key it talks to one of the oracle's
 * CURVE endpoints (curve.h).
 * Verdicts go over the query endpoint (docs/protocol.md): names on stdin are
 * streamed, up to 256 per request (verdicts.h), and a batch is sent as soon as stdin
 * has nothing more to give, so an interactive user or a pipe that trickles
 * gets each answer at once. Every request has a deadline (-t): the client
 * never hangs. Operator commands go to the separate control socket, a Unix
 * socket only root and the dnsoracle group can open. The sockets and their
 * deadlines are request.h's; --list and --import, which may move a million
 * entries, are listcmd.h's.
 *
 * Exit status: 0 all names good (or the command succeeded), 1 at least one
 * false (or the oracle refused the command), 2 no answer in time or a usage
 * error, with one line on stderr naming the endpoint.
 */
#include <bsd/string.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curve.h"
#include "eventcmd.h"
#include "listcmd.h"
#include "request.h"
#include "verdicts.h"

enum { S_EXIT_GOOD = 0, S_EXIT_FALSE = 1, S_EXIT_FAIL = 2 };

static void s_usage(FILE *out)
{
    fprintf(out, "usage: dnsoracle_client [-e ENDPOINT] [-t TIMEOUT_MS] [NAME... | -]\n"
                 "       dnsoracle_client [-e ENDPOINT] --explain NAME... | --stats | --ping\n"
                 "       dnsoracle_client [-C CONTROL] --block DOMAIN [--reason TEXT]\n"
                 "       dnsoracle_client [-C CONTROL] --allow DOMAIN [--reason TEXT]\n"
                 "       dnsoracle_client [-C CONTROL] --unlist DOMAIN | --update-now\n"
                 "       dnsoracle_client [-C CONTROL] --list [drop|block|allow] [--reason TEXT]"
                 " [--count] [--all]\n"
                 "       dnsoracle_client [-C CONTROL] --import block|allow FILE [--reason TEXT]\n"
                 "                        [--expires DURATION] [--replace]\n"
                 "       dnsoracle_client [-C CONTROL] --report | --events DOMAIN|ADDRESS\n"
                 "                        [--since DURATION] [--json]\n"
                 "       dnsoracle_client --gen-keys PREFIX\n"
                 "Asks dnsoracled whether query names are good. Prints \"true NAME\" or\n"
                 "\"false NAME\" for each name; with no NAME (or -) reads names from stdin.\n"
                 "  -e, --endpoint EP  query endpoint (default $DNSORACLE_ENDPOINT or\n"
                 "                     tcp://127.0.0.1:5555)\n"
                 "  -t, --timeout MS   deadline of each request, 1-600000 (default 1000; 30000\n"
                 "                     for operator commands, 300000 for --import)\n"
                 "  --explain          print every test's score and reason for each NAME\n"
                 "  --stats            print the oracle's statistics\n"
                 "  --ping             check that the oracle answers\n"
                 "  -C, --control EP   control endpoint for the commands below (default\n"
                 "                     $DNSORACLE_CONTROL or ipc:///run/dnsoracle/control.sock)\n"
                 "  --block DOMAIN     drop every name under DOMAIN, on every instance\n"
                 "  --allow DOMAIN     never drop names under DOMAIN (undoes a drop)\n"
                 "  --reason TEXT      why, recorded with --block, --allow or --import; with\n"
                 "                     --list, only the entries with this reason\n"
                 "  --unlist DOMAIN    remove DOMAIN from the drop, block and allow lists\n"
                 "  --list [KIND]      print the lists: kind domain by added expires reason;\n"
                 "                     more than 10000 entries only with --all\n"
                 "  --count            with --list (or alone): only the number of entries,\n"
                 "                     \"kind N\" per kind, or N for the KIND given\n"
                 "  --all              with --list: print however many there are\n"
                 "  --import KIND FILE load a feed into the block or allow list, in one\n"
                 "                     transaction: a domain a line, hosts-file lines, RPZ zone\n"
                 "                     records; # and ; comments; bad lines reported as\n"
                 "                     FILE:LINE and skipped (default reason \"import FILE\")\n"
                 "  --expires DURATION with --import: the entries expire (30m, 12h, 7d, 2w)\n"
                 "  --replace          with --import: the file becomes the whole list of its\n"
                 "                     kind and reason (the others of that reason are deleted)\n"
                 "  --update-now       recompute the drop list now\n"
                 "  --report           refused domains, the clients with most refusals, counts\n"
                 "                     by reason; --events DOMAIN|ADDRESS: one's events\n"
                 "  --since DURATION   with --report, --events: the last 30m, 1h, 2d (default 1h)\n"
                 "  --json             with --report, --events: JSON instead of a table\n"
                 "  --curve-key FILE   our CURVE key pair (NAME.key), for an endpoint in the\n"
                 "                     oracle's curve_endpoints (default $DNSORACLE_CURVE_KEY)\n"
                 "  --curve-server-key FILE  the oracle's public key (its NAME.pub; default\n"
                 "                     $DNSORACLE_CURVE_SERVER_KEY)\n"
                 "  --gen-keys PREFIX  make a CURVE key pair: PREFIX.key (secret, mode 0600)\n"
                 "                     and PREFIX.pub (public); never overwrites\n"
                 "Exit status: 0 all good, 1 a false verdict or a refused command,\n"
                 "2 no answer in time or a usage error.\n");
}

/* ---- commands ---- */

enum {
    O_EXPLAIN = 256,
    O_STATS,
    O_PING,
    O_BLOCK,
    O_ALLOW,
    O_UNLIST,
    O_LIST,
    O_UPDATE,
    O_IMPORT,
    O_REASON,
    O_EXPIRES,
    O_REPLACE,
    O_COUNT,
    O_ALL,
    O_CURVE_KEY,
    O_CURVE_SERVER_KEY,
    O_GEN_KEYS,
    O_REPORT,
    O_EVENTS,
    O_SINCE,
    O_JSON
};

typedef struct {
    const char *endpoint, *control, *curve_key, *curve_server_key;
    const char *domain, *reason, *gen_keys, *kind, *expires, *since, *key;
    int mode, timeout_ms;
    bool timeout_given, replace, count, all, json;
    char **args; /* what is left after the options */
    int rest;
} s_opts_t;

/* --gen-keys PREFIX: writes PREFIX.key and PREFIX.pub. */
static int s_gen_keys(const char *prefix)
{
    char pub[CURVE_Z85_LEN + 1], err[4352];
    if (curve_generate(prefix, pub, err, sizeof err) != 0) {
        fprintf(stderr, "dnsoracle_client: --gen-keys: %s\n", err);
        return S_EXIT_FAIL;
    }
    printf("%s.key: the key pair (secret: keep it mode 0600, owned by the program's user)\n"
           "%s.pub: the public key %s (give it to the other side)\n",
           prefix, prefix, pub);
    return S_EXIT_GOOD;
}

static const struct option s_longs[] = {
    {"endpoint", required_argument, NULL, 'e'},
    {"timeout", required_argument, NULL, 't'},
    {"control", required_argument, NULL, 'C'},
    {"help", no_argument, NULL, 'h'},
    {"explain", no_argument, NULL, O_EXPLAIN},
    {"stats", no_argument, NULL, O_STATS},
    {"ping", no_argument, NULL, O_PING},
    {"block", required_argument, NULL, O_BLOCK},
    {"allow", required_argument, NULL, O_ALLOW},
    {"unlist", required_argument, NULL, O_UNLIST},
    {"list", no_argument, NULL, O_LIST},
    {"update-now", no_argument, NULL, O_UPDATE},
    {"import", required_argument, NULL, O_IMPORT},
    {"reason", required_argument, NULL, O_REASON},
    {"expires", required_argument, NULL, O_EXPIRES},
    {"replace", no_argument, NULL, O_REPLACE},
    {"count", no_argument, NULL, O_COUNT},
    {"all", no_argument, NULL, O_ALL},
    {"curve-key", required_argument, NULL, O_CURVE_KEY},
    {"curve-server-key", required_argument, NULL, O_CURVE_SERVER_KEY},
    {"gen-keys", required_argument, NULL, O_GEN_KEYS},
    {"report", no_argument, NULL, O_REPORT},
    {"events", required_argument, NULL, O_EVENTS},
    {"since", required_argument, NULL, O_SINCE},
    {"json", no_argument, NULL, O_JSON},
    {NULL, 0, NULL, 0},
};

/* An option that sets a value: true when opt was one. */
static bool s_value(s_opts_t *o, int opt)
{
    switch (opt) {
    case O_REASON:
        o->reason = optarg;
        break;
    case O_EXPIRES:
        o->expires = optarg;
        break;
    case O_REPLACE:
        o->replace = true;
        break;
    case O_ALL:
        o->all = true;
        break;
    case O_CURVE_KEY:
        o->curve_key = optarg;
        break;
    case O_CURVE_SERVER_KEY:
        o->curve_server_key = optarg;
        break;
    case O_GEN_KEYS:
        o->gen_keys = optarg;
        break;
    case O_SINCE:
        o->since = optarg;
        break;
    case O_JSON:
        o->json = true;
        break;
    default:
        return false;
    }
    return true;
}

/* getopt's own messages are off (opterr = 0): a usage error is one line,
 * as every other. Returns false after printing it when the option just
 * read (opt, long option `li` or -1) was refused: unknown, its value
 * missing, or a value that is the next option (--events --since 30m). */
static bool s_option_ok(int opt, int li, char **argv)
{
    char name[40];
    const char *given = argv[optind - 1];
    if (li >= 0)
        snprintf(name, sizeof name, "--%s", s_longs[li].name);
    else if (opt != '?' && opt != ':')
        snprintf(name, sizeof name, "-%c", opt);
    else if (optopt > 0 && optopt < 256)
        snprintf(name, sizeof name, "-%c", optopt);
    else
        snprintf(name, sizeof name, "%.*s", (int)strcspn(given, "="), given);
    const char *why = NULL, *what = "";
    if (opt == '?' && optopt >= 256)
        why = "takes no value";
    else if (opt == '?')
        why = optopt > 0 ? "unknown option" : "unknown or ambiguous option";
    else if (opt == ':')
        why = "needs a value";
    else if (optarg && strncmp(optarg, "--", 2) == 0)
        why = "needs a value, not the option ", what = optarg;
    if (!why)
        return true;
    fprintf(stderr, "dnsoracle_client: %s: %s%s (see --help)\n", name, why, what);
    return false;
}

/* Reads the options into o. Returns -1 to go on, or the exit status. */
static int s_parse(s_opts_t *o, int argc, char **argv)
{
    int opt, li = -1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":e:t:C:h", s_longs, &li)) != -1) {
        bool ok = s_option_ok(opt, li, argv);
        li = -1;
        if (!ok)
            return S_EXIT_FAIL;
        switch (opt) {
        case 'e':
            o->endpoint = optarg;
            break;
        case 'C':
            o->control = optarg;
            break;
        case 't': {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (!optarg[0] || *end || errno || v < 1 || v > 600000) {
                fprintf(stderr,
                        "dnsoracle_client: -t %s: not a number of ms from 1 to 600000 "
                        "(see --help)\n",
                        optarg);
                return S_EXIT_FAIL;
            }
            o->timeout_ms = (int)v;
            o->timeout_given = true;
            break;
        }
        case 'h':
            s_usage(stdout);
            return S_EXIT_GOOD;
        case O_COUNT:
            o->count = true;
            opt = O_LIST; /* --count is --list --count */
            /* fall through */
        case O_BLOCK:
        case O_ALLOW:
        case O_UNLIST:
        case O_IMPORT:
        case O_EVENTS:
            if (opt == O_EVENTS)
                o->key = optarg;
            else if (opt == O_IMPORT)
                o->kind = optarg;
            else if (opt != O_LIST)
                o->domain = optarg;
            /* fall through */
        case O_EXPLAIN:
        case O_STATS:
        case O_PING:
        case O_LIST:
        case O_UPDATE:
        case O_REPORT:
            if (o->mode && o->mode != opt) {
                fprintf(stderr, "dnsoracle_client: one of --explain, --stats, --ping, --block, "
                                "--allow, --unlist, --list, --update-now, --import, --report, "
                                "--events at a time (see --help)\n");
                return S_EXIT_FAIL;
            }
            o->mode = opt;
            break;
        default:
            s_value(o, opt); /* s_option_ok has refused any other */
            break;
        }
    }
    o->args = argv + optind;
    o->rest = argc - optind;
    return -1;
}

/* What is wrong with the options together, or NULL. */
static const char *s_usage_error(const s_opts_t *o)
{
    int m = o->mode;
    if (o->reason && m != O_BLOCK && m != O_ALLOW && m != O_IMPORT && m != O_LIST)
        return "--reason goes with --block, --allow, --import or --list";
    if (o->reason && strlen(o->reason) > 255)
        return "--reason: at most 255 bytes";
    if ((o->expires || o->replace) && m != O_IMPORT)
        return "--expires and --replace go with --import";
    if (o->all && m != O_LIST)
        return "--all goes with --list";
    if ((o->since || o->json) && m != O_REPORT && m != O_EVENTS)
        return "--since and --json go with --report or --events";
    if (o->since && listcmd_duration(o->since) == 0)
        return "--since: a duration like 30m, 1h, 2d (s, m, h, d, w; at most ten years)";
    if (o->expires && listcmd_duration(o->expires) == 0)
        return "--expires: a duration like 30m, 12h, 7d (s, m, h, d, w; at most ten years)";
    if (m == O_IMPORT && strcmp(o->kind, "block") != 0 && strcmp(o->kind, "allow") != 0)
        return "--import takes block or allow, then FILE";
    if (m == O_IMPORT && o->rest != 1)
        return "--import KIND takes one FILE (- for stdin)";
    if (o->domain && strlen(o->domain) > 253)
        return "the domain is longer than 253 bytes";
    if (m == O_EVENTS && eventcmd_key_error(o->key)) {
        static char msg[320];
        snprintf(msg, sizeof msg, "--events %.255s: %s", o->key, eventcmd_key_error(o->key));
        return msg;
    }
    if ((m == O_STATS || m == O_PING || m == O_UPDATE || m == O_BLOCK || m == O_ALLOW ||
         m == O_UNLIST || m == O_REPORT || m == O_EVENTS) &&
        o->rest > 0)
        return "unexpected arguments";
    if (m == O_LIST && o->rest > 1)
        return "--list takes at most one kind (drop, block or allow)";
    if (m == O_EXPLAIN && o->rest == 0)
        return "--explain needs at least one NAME";
    if (!o->curve_key != !o->curve_server_key)
        return "--curve-key and --curve-server-key go together";
    return NULL;
}

/* block, allow, unlist, update-now: one request each. */
static int s_operator(request_t *c, const s_opts_t *o)
{
    int m = o->mode;
    const char *cmd = m == O_BLOCK    ? "block"
                      : m == O_ALLOW  ? "allow"
                      : m == O_UNLIST ? "unlist"
                                      : "update-now";
    const char *f[4] = {cmd, o->domain ? o->domain : "", o->reason ? o->reason : "", request_who()};
    size_t lens[4];
    for (int i = 0; i < 4; i++)
        lens[i] = strlen(f[i]);
    return request_command(c, f, lens, m == O_UPDATE ? 1 : 4, true);
}

static int s_verdicts(request_t *c, const s_opts_t *o)
{
    return verdicts_run(c, o->mode == O_EXPLAIN, o->args, o->rest);
}

static int s_run_ping(request_t *c, const s_opts_t *o)
{
    (void)o;
    return request_ping(c);
}

static int s_run_stats(request_t *c, const s_opts_t *o)
{
    (void)o;
    const char *f[] = {"\0stats"};
    return request_command(c, f, (size_t[]){6}, 1, false);
}

static int s_run_list(request_t *c, const s_opts_t *o)
{
    return listcmd_list(c, o->rest ? o->args[0] : NULL, o->reason, o->count, o->all);
}

static int s_run_events(request_t *c, const s_opts_t *o)
{
    unsigned long since = o->since ? listcmd_duration(o->since) : 3600;
    return o->mode == O_REPORT ? eventcmd_report(c, since, o->json)
                               : eventcmd_events(c, o->key, since, o->json);
}

static int s_run_import(request_t *c, const s_opts_t *o)
{
    listcmd_import_t im = {o->kind,    o->args[0],
                           o->reason,  o->expires ? listcmd_duration(o->expires) : 0,
                           o->replace, request_who()};
    return listcmd_import(c, &im);
}

/* Every mode: what runs it, whether it talks to the control socket (the
 * operator's commands) or to the oracle, and its deadline unless -t is
 * given (0: -t's default). Operator commands may scan a million-entry list
 * (seconds), an import's commit writes a million rows (tens of seconds). */
typedef struct {
    int mode; /* 0: names judged (the default) */
    int (*run)(request_t *c, const s_opts_t *o);
    bool control;
    int timeout_ms;
} s_mode_t;

static const s_mode_t s_modes[] = {
    {0, s_verdicts, false, 0},
    {O_EXPLAIN, s_verdicts, false, 0},
    {O_PING, s_run_ping, false, 0},
    {O_STATS, s_run_stats, false, 0},
    {O_BLOCK, s_operator, true, 30000},
    {O_ALLOW, s_operator, true, 30000},
    {O_UNLIST, s_operator, true, 30000},
    {O_UPDATE, s_operator, true, 30000},
    {O_LIST, s_run_list, true, 30000},
    {O_IMPORT, s_run_import, true, 300000},
    {O_REPORT, s_run_events, true, 30000},
    {O_EVENTS, s_run_events, true, 30000},
};

static const s_mode_t *s_mode_of(int mode)
{
    for (size_t i = 0; i < sizeof s_modes / sizeof s_modes[0]; i++)
        if (s_modes[i].mode == mode)
            return &s_modes[i];
    return &s_modes[0]; /* s_parse takes only modes of the table */
}

int main(int argc, char **argv)
{
    s_opts_t o = {0};
    o.endpoint = getenv("DNSORACLE_ENDPOINT");
    o.control = getenv("DNSORACLE_CONTROL");
    o.curve_key = getenv("DNSORACLE_CURVE_KEY");
    o.curve_server_key = getenv("DNSORACLE_CURVE_SERVER_KEY");
    o.timeout_ms = 1000;
    if (!o.endpoint || !o.endpoint[0])
        o.endpoint = "tcp://127.0.0.1:5555";
    if (!o.control || !o.control[0])
        o.control = "ipc:///run/dnsoracle/control.sock";
    int rc = s_parse(&o, argc, argv);
    if (rc >= 0)
        return rc;
    if (o.gen_keys) {
        if (o.mode || o.rest > 0) {
            fprintf(stderr, "dnsoracle_client: --gen-keys goes alone (see --help)\n");
            return S_EXIT_FAIL;
        }
        return s_gen_keys(o.gen_keys);
    }
    if (o.curve_key && !o.curve_key[0])
        o.curve_key = NULL;
    if (o.curve_server_key && !o.curve_server_key[0])
        o.curve_server_key = NULL;
    const char *usage_error = s_usage_error(&o);
    if (usage_error) {
        fprintf(stderr, "dnsoracle_client: %s (see --help)\n", usage_error);
        return S_EXIT_FAIL;
    }
    const s_mode_t *mode = s_mode_of(o.mode);
    request_t *c =
        request_new(mode->control ? o.control : o.endpoint,
                    o.timeout_given || !mode->timeout_ms ? o.timeout_ms : mode->timeout_ms,
                    mode->control ? NULL : o.curve_key, o.curve_server_key);
    if (!c)
        return S_EXIT_FAIL;
    rc = mode->run(c, &o);
    fflush(stdout);
    request_destroy(&c);
    return rc;
}
