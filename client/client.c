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
 *   dnsoracle_client --gen-keys PREFIX                       CURVE key pair
 *
 * With --curve-key and --curve-server-key it talks to one of the oracle's
 * CURVE endpoints (curve.h).
 * Verdicts go over the query endpoint (docs/protocol.md): names on stdin are
 * streamed, up to S_BATCH per request, and a batch is sent as soon as stdin
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
#include <poll.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "curve.h"
#include "lines.h"
#include "listcmd.h"
#include "request.h"
#include "wire_limits.h"

#define S_BATCH WIRE_CLIENT_BATCH
#define S_NAME_MAX WIRE_MAX_NAME /* longer lines are false without asking */

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
                 "  --curve-key FILE   our CURVE key pair (NAME.key), for an endpoint in the\n"
                 "                     oracle's curve_endpoints (default $DNSORACLE_CURVE_KEY)\n"
                 "  --curve-server-key FILE  the oracle's public key (its NAME.pub; default\n"
                 "                     $DNSORACLE_CURVE_SERVER_KEY)\n"
                 "  --gen-keys PREFIX  make a CURVE key pair: PREFIX.key (secret, mode 0600)\n"
                 "                     and PREFIX.pub (public); never overwrites\n"
                 "Exit status: 0 all good, 1 a false verdict or a refused command,\n"
                 "2 no answer in time or a usage error.\n");
}

static double s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- verdicts ---- */

typedef struct {
    char names[S_BATCH][S_NAME_MAX + 1];
    size_t lens[S_BATCH];
    int n;
    bool explain; /* ask with \0explain and print the scores */
    unsigned bad; /* false verdicts so far */
} s_batch_t;

/* `detail` is the reply frame: "true" or "false", and with --explain
 * "<TAB>reason<TAB>key=value key=value...". NULL: too long to ask about. */
static void s_print(const s_batch_t *b, int i, bool good, const char *detail)
{
    fputs(good ? "true " : "false ", stdout);
    /* A name over the wire limit was kept only up to it: marked with "..." */
    lines_print_escaped(stdout, b->names[i], b->lens[i] > S_NAME_MAX ? S_NAME_MAX : b->lens[i]);
    if (b->lens[i] > S_NAME_MAX)
        fputs("...", stdout);
    if (!b->explain) {
        putchar('\n');
        return;
    }
    const char *reason = detail ? strchr(detail, '\t') : NULL;
    const char *scores = reason ? strchr(reason + 1, '\t') : NULL;
    if (!detail)
        fputs(" invalid (over 255 bytes: not sent)", stdout);
    else if (reason)
        printf(" %.*s", scores ? (int)(scores - reason - 1) : (int)strlen(reason + 1), reason + 1);
    putchar('\n');
    /* The scores on one indented line, without the verdict and reason
     * already printed. */
    const char *sep = "  ";
    for (const char *p = scores ? scores + 1 : ""; *p;) {
        size_t w = strcspn(p, " ");
        if (w && strncmp(p, "verdict=", 8) != 0 && strncmp(p, "reason=", 7) != 0) {
            printf("%s%.*s", sep, (int)w, p);
            sep = " ";
        }
        p += w + (p[w] == ' ');
    }
    if (sep[0] == ' ' && sep[1] == 0)
        putchar('\n');
}

/* Asks about every name in the batch, prints the answers in order and
 * empties it. Returns 0, or -1 when the oracle did not answer properly. */
static int s_flush(request_t *c, s_batch_t *b)
{
    const char *frames[S_BATCH + 1];
    size_t lens[S_BATCH + 1];
    int nf = 0, first = b->explain ? 1 : 0;
    if (b->explain) {
        frames[nf] = "\0explain";
        lens[nf++] = 8;
    }
    for (int i = 0; i < b->n; i++) {
        if (b->lens[i] > S_NAME_MAX)
            continue;
        frames[nf] = b->names[i];
        lens[nf++] = b->lens[i];
    }
    request_reply_t r = {0};
    if (nf > first) {
        if (request_send(c, frames, lens, nf, &r) != 0)
            return -1;
        if (r.n != nf - first) {
            fprintf(stderr, "dnsoracle_client: %s: %d answers to %d names\n", request_endpoint(c),
                    r.n, nf - first);
            request_reply_free(&r);
            return -1;
        }
    }
    int k = 0;
    for (int i = 0; i < b->n; i++) {
        if (b->lens[i] > S_NAME_MAX) {
            s_print(b, i, false, NULL);
            b->bad++;
            continue;
        }
        if (k >= r.n)
            break; /* cannot happen: the count was checked above */
        const char *t = r.text[k++];
        bool good = strncmp(t, "true", 4) == 0 && (t[4] == 0 || t[4] == '\t');
        if (!good && !(strncmp(t, "false", 5) == 0 && (t[5] == 0 || t[5] == '\t'))) {
            fprintf(stderr, "dnsoracle_client: %s: unexpected answer '%.40s'\n",
                    request_endpoint(c), t);
            request_reply_free(&r);
            return -1;
        }
        s_print(b, i, good, t);
        b->bad += !good;
    }
    request_reply_free(&r);
    fflush(stdout);
    b->n = 0;
    return 0;
}

static int s_add(request_t *c, s_batch_t *b, const char *name, size_t len)
{
    /* Kept up to one byte past the wire limit: enough to know it is over. */
    size_t keep = len > S_NAME_MAX + 1 ? S_NAME_MAX + 1 : len;
    memcpy(b->names[b->n], name, keep < S_NAME_MAX + 1 ? keep : S_NAME_MAX);
    b->names[b->n][keep < S_NAME_MAX + 1 ? keep : S_NAME_MAX] = 0;
    b->lens[b->n] = keep;
    b->n++;
    return b->n == S_BATCH ? s_flush(c, b) : 0;
}

/* Streams names from stdin: a batch goes out when it is full or when stdin
 * has nothing ready, so a slow writer gets each answer at once. */
static int s_stream(request_t *c, s_batch_t *b)
{
    static char buf[1 << 16];
    size_t have = 0;
    bool eof = false, skipping = false; /* skipping: the rest of a huge line */
    while (!eof || have) {
        char *nl = memchr(buf, '\n', have);
        if (!nl && !eof && have < sizeof buf) {
            struct pollfd p = {0, POLLIN, 0};
            if (b->n && poll(&p, 1, 0) == 0 && s_flush(c, b) != 0)
                return -1;
            ssize_t got = read(0, buf + have, sizeof buf - have);
            if (got < 0 && errno == EINTR)
                continue;
            if (got < 0) {
                fprintf(stderr, "dnsoracle_client: stdin: %s\n", strerror(errno));
                return -1;
            }
            eof = got == 0;
            have += (size_t)got;
            continue;
        }
        size_t len = nl ? (size_t)(nl - buf) : have;
        size_t used = nl ? len + 1 : have;
        if (!skipping) {
            size_t n = len;
            if (n && buf[n - 1] == '\r' && nl)
                n--;
            if ((n || nl || eof) && s_add(c, b, buf, n) != 0)
                return -1;
        }
        /* A line longer than the buffer: judged once (false), rest skipped. */
        skipping = !nl && !eof;
        memmove(buf, buf + used, have - used);
        have -= used;
    }
    return b->n ? s_flush(c, b) : 0;
}

/* ---- commands ---- */

/* Who is asking, for the lists' added_by column: the login behind sudo if
 * there is one. The control socket's permissions decide who may ask; this
 * only records it. */
static const char *s_who(void)
{
    const char *sudo = getenv("SUDO_USER");
    if (getuid() == 0 && sudo && sudo[0])
        return sudo;
    struct passwd *pw = getpwuid(getuid());
    return pw ? pw->pw_name : "operator";
}

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
};

typedef struct {
    const char *endpoint, *control, *curve_key, *curve_server_key;
    const char *domain, *reason, *gen_keys, *kind, *expires;
    int mode, timeout_ms;
    bool timeout_given, replace, count, all;
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

/* Reads the options into o. Returns -1 to go on, or the exit status. */
static int s_parse(s_opts_t *o, int argc, char **argv)
{
    static const struct option longs[] = {
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
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "e:t:C:h", longs, NULL)) != -1) {
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
                fprintf(stderr, "dnsoracle_client: -t %s: not a number of ms from 1 to 600000\n",
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
        case O_COUNT:
            o->count = true;
            opt = O_LIST; /* --count is --list --count */
            /* fall through */
        case O_BLOCK:
        case O_ALLOW:
        case O_UNLIST:
        case O_IMPORT:
            if (opt == O_IMPORT)
                o->kind = optarg;
            else if (opt != O_LIST)
                o->domain = optarg;
            /* fall through */
        case O_EXPLAIN:
        case O_STATS:
        case O_PING:
        case O_LIST:
        case O_UPDATE:
            if (o->mode && o->mode != opt) {
                fprintf(stderr, "dnsoracle_client: one of --explain, --stats, --ping, --block, "
                                "--allow, --unlist, --list, --update-now, --import at a time\n");
                return S_EXIT_FAIL;
            }
            o->mode = opt;
            break;
        default:
            s_usage(stderr);
            return S_EXIT_FAIL;
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
    if (o->expires && listcmd_duration(o->expires) == 0)
        return "--expires: a duration like 30m, 12h, 7d (s, m, h, d, w; at most ten years)";
    if (m == O_IMPORT && strcmp(o->kind, "block") != 0 && strcmp(o->kind, "allow") != 0)
        return "--import takes block or allow, then FILE";
    if (m == O_IMPORT && o->rest != 1)
        return "--import KIND takes one FILE (- for stdin)";
    if (o->domain && strlen(o->domain) > 253)
        return "the domain is longer than 253 bytes";
    if ((m == O_STATS || m == O_PING || m == O_UPDATE || m == O_BLOCK || m == O_ALLOW ||
         m == O_UNLIST) &&
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

static int s_ping(request_t *c)
{
    double t0 = s_now_ms();
    const char *f[] = {"\0ping"};
    request_reply_t r;
    if (request_send(c, f, (size_t[]){5}, 1, &r) != 0)
        return S_EXIT_FAIL;
    bool pong = r.n == 1 && strcmp(r.text[0], "pong") == 0;
    request_reply_free(&r);
    if (!pong) {
        fprintf(stderr, "dnsoracle_client: %s: unexpected answer to ping\n", request_endpoint(c));
        return S_EXIT_FAIL;
    }
    printf("pong from %s in %.2f ms\n", request_endpoint(c), s_now_ms() - t0);
    return S_EXIT_GOOD;
}

/* block, allow, unlist, update-now: one request each. */
static int s_operator(request_t *c, const s_opts_t *o)
{
    int m = o->mode;
    const char *cmd = m == O_BLOCK    ? "block"
                      : m == O_ALLOW  ? "allow"
                      : m == O_UNLIST ? "unlist"
                                      : "update-now";
    const char *f[4] = {cmd, o->domain ? o->domain : "", o->reason ? o->reason : "", s_who()};
    size_t lens[4];
    for (int i = 0; i < 4; i++)
        lens[i] = strlen(f[i]);
    return request_command(c, f, lens, m == O_UPDATE ? 1 : 4, true);
}

static int s_verdicts(request_t *c, const s_opts_t *o)
{
    s_batch_t *b = calloc(1, sizeof *b);
    if (!b) {
        fprintf(stderr, "dnsoracle_client: out of memory\n");
        return S_EXIT_FAIL;
    }
    b->explain = o->mode == O_EXPLAIN;
    bool from_stdin = o->rest == 0 || (o->rest == 1 && strcmp(o->args[0], "-") == 0);
    int err = 0;
    if (from_stdin)
        err = s_stream(c, b);
    else
        for (int i = 0; i < o->rest && !err; i++)
            err = s_add(c, b, o->args[i], strlen(o->args[i]));
    if (!err && b->n)
        err = s_flush(c, b);
    int rc = err ? S_EXIT_FAIL : b->bad ? S_EXIT_FALSE : S_EXIT_GOOD;
    free(b);
    return rc;
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
    int m = o.mode;
    bool op = m == O_BLOCK || m == O_ALLOW || m == O_UNLIST || m == O_LIST || m == O_UPDATE ||
              m == O_IMPORT;
    /* Operator commands may scan a million-entry list (seconds), an
     * import's commit writes a million rows (tens of seconds): their
     * deadlines are longer unless -t says otherwise. */
    int timeout = o.timeout_given ? o.timeout_ms
                  : m == O_IMPORT ? 300000
                  : op            ? 30000
                                  : o.timeout_ms;
    request_t *c = request_new(op ? o.control : o.endpoint, timeout, op ? NULL : o.curve_key,
                               o.curve_server_key);
    if (!c)
        return S_EXIT_FAIL;
    if (m == O_PING) {
        rc = s_ping(c);
    } else if (m == O_STATS) {
        const char *f[] = {"\0stats"};
        rc = request_command(c, f, (size_t[]){6}, 1, false);
    } else if (m == O_LIST) {
        rc = listcmd_list(c, o.rest ? o.args[0] : NULL, o.reason, o.count, o.all);
    } else if (m == O_IMPORT) {
        listcmd_import_t im = {o.kind,    o.args[0],
                               o.reason,  o.expires ? listcmd_duration(o.expires) : 0,
                               o.replace, s_who()};
        rc = listcmd_import(c, &im);
    } else if (op) {
        rc = s_operator(c, &o);
    } else {
        rc = s_verdicts(c, &o);
    }
    fflush(stdout);
    request_destroy(&c);
    return rc;
}
