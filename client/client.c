/* client/client.c - dnsoracle_client: asks a running dnsoracled.
 *
 *   dnsoracle_client [-e ENDPOINT] [-t TIMEOUT_MS] NAME...     verdicts
 *   dnsoracle_client [-e ENDPOINT] [-t TIMEOUT_MS] [-]         names on stdin
 *   dnsoracle_client --explain NAME... | --stats | --ping
 *   dnsoracle_client [-C CONTROL] --block DOMAIN [--reason TEXT] | --allow DOMAIN
 *                    [--reason TEXT] | --unlist DOMAIN | --list [KIND] | --update-now
 *   dnsoracle_client --gen-keys PREFIX                       CURVE key pair
 *
 * With --curve-key and --curve-server-key it talks to one of the oracle's
 * CURVE endpoints (curve.h).
 * Verdicts go over the query endpoint (docs/protocol.md): names on stdin are
 * streamed, up to S_BATCH per request, and a batch is sent as soon as stdin
 * has nothing more to give, so an interactive user or a pipe that trickles
 * gets each answer at once. Every request has a deadline (-t): the client
 * never hangs. Operator commands go to the separate control socket, a Unix
 * socket only root and the dnsoracle group can open.
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

#define S_BATCH 256
#define S_NAME_MAX 255 /* the wire limit; longer lines are false without asking */
#define S_REPLY_MAX (1 << 20)

enum { S_EXIT_GOOD = 0, S_EXIT_FALSE = 1, S_EXIT_FAIL = 2 };

typedef struct {
    const char *endpoint;
    int timeout_ms;
    const char *curve_key;        /* our key pair file, or NULL: no CURVE */
    const char *curve_server_key; /* the oracle's public key file */
    void *ctx;
    void *req;
    char *reply; /* S_REPLY_MAX + 1 bytes */
} s_client_t;

static void s_usage(FILE *out)
{
    fprintf(out, "usage: dnsoracle_client [-e ENDPOINT] [-t TIMEOUT_MS] [NAME... | -]\n"
                 "       dnsoracle_client [-e ENDPOINT] --explain NAME... | --stats | --ping\n"
                 "       dnsoracle_client [-C CONTROL] --block DOMAIN [--reason TEXT]\n"
                 "       dnsoracle_client [-C CONTROL] --allow DOMAIN [--reason TEXT]\n"
                 "       dnsoracle_client [-C CONTROL] --unlist DOMAIN | --list [drop|block|allow]"
                 " | --update-now\n"
                 "       dnsoracle_client --gen-keys PREFIX\n"
                 "Asks dnsoracled whether query names are good. Prints \"true NAME\" or\n"
                 "\"false NAME\" for each name; with no NAME (or -) reads names from stdin.\n"
                 "  -e, --endpoint EP  query endpoint (default $DNSORACLE_ENDPOINT or\n"
                 "                     tcp://127.0.0.1:5555)\n"
                 "  -t, --timeout MS   deadline of each request, 1-600000 (default 1000)\n"
                 "  --explain          print every test's score and reason for each NAME\n"
                 "  --stats            print the oracle's statistics\n"
                 "  --ping             check that the oracle answers\n"
                 "  -C, --control EP   control endpoint for the commands below (default\n"
                 "                     $DNSORACLE_CONTROL or ipc:///run/dnsoracle/control.sock)\n"
                 "  --block DOMAIN     drop every name under DOMAIN, on every instance\n"
                 "  --allow DOMAIN     never drop names under DOMAIN (undoes a drop)\n"
                 "  --reason TEXT      why, recorded with --block or --allow\n"
                 "  --unlist DOMAIN    remove DOMAIN from the drop, block and allow lists\n"
                 "  --list [KIND]      print the lists: kind domain by added expires reason\n"
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

/* Connects a REQ socket; prints why not and returns -1. */
static int s_connect(s_client_t *c)
{
    c->req = zmq_socket(c->ctx, ZMQ_REQ);
    int zero = 0;
    int64_t maxmsg = S_REPLY_MAX;
    if (!c->req || zmq_setsockopt(c->req, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(c->req, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) != 0) {
        fprintf(stderr, "dnsoracle_client: %s: %s\n", c->endpoint, zmq_strerror(errno));
        return -1;
    }
    if (c->curve_key) {
        char err[512];
        if (curve_client(c->req, c->curve_key, c->curve_server_key, err, sizeof err) != 0) {
            fprintf(stderr, "dnsoracle_client: %s\n", err);
            return -1;
        }
    }
    /* A Unix socket says at once what a connect would only time out on. */
    if (strncmp(c->endpoint, "ipc://", 6) == 0 && // NOLINT(clang-analyzer-core.NonNullParamChecker)
        access(c->endpoint + 6, W_OK) != 0) {
        int e = errno;
        fprintf(stderr, "dnsoracle_client: %s: %s%s\n", c->endpoint, strerror(e),
                e == EACCES ? " (run as root or as a member of the dnsoracle group)"
                : e == ENOENT
                    ? " (is dnsoracled running, with a database and this control_endpoint?)"
                    : "");
        return -1;
    }
    if (zmq_connect(c->req, c->endpoint) != 0) {
        int e = errno;
        fprintf(stderr, "dnsoracle_client: %s: %s\n", c->endpoint,
                e == EINVAL || e == EPROTONOSUPPORT
                    ? "not a ZeroMQ endpoint (tcp://HOST:PORT or ipc://PATH)"
                    : zmq_strerror(e));
        return -1;
    }
    return 0;
}

/* The frames of one reply; the caller frees it with s_reply_free. */
typedef struct {
    char **text; /* NUL-terminated copies */
    size_t *len;
    int n;
} s_reply_t;

static void s_reply_free(s_reply_t *r)
{
    for (int i = 0; i < r->n; i++)
        free(r->text[i]);
    free(r->text);
    free(r->len);
    memset(r, 0, sizeof *r);
}

/* Sends `n` frames and waits, at most the timeout in all, for the reply.
 * Returns 0 with the reply in *out, or -1 after printing why. */
static int s_request(s_client_t *c, const char *const *frames, const size_t *lens, int n,
                     s_reply_t *out)
{
    memset(out, 0, sizeof *out);
    double deadline = s_now_ms() + c->timeout_ms;
    for (int i = 0; i < n; i++) {
        zmq_pollitem_t item = {c->req, 0, ZMQ_POLLOUT, 0};
        int wait = (int)(deadline - s_now_ms());
        if (wait < 0 || zmq_poll(&item, 1, wait) <= 0 ||
            zmq_send(c->req, frames[i], lens[i], (i + 1 < n ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) < 0)
            goto timeout;
    }
    int more = 1, cap = 0;
    while (more) {
        zmq_pollitem_t item = {c->req, 0, ZMQ_POLLIN, 0};
        int wait = (int)(deadline - s_now_ms());
        if (zmq_poll(&item, 1, wait < 0 ? 0 : wait) <= 0)
            goto timeout;
        int len = zmq_recv(c->req, c->reply, S_REPLY_MAX, ZMQ_DONTWAIT);
        if (len < 0)
            goto timeout;
        size_t used = (size_t)len < S_REPLY_MAX ? (size_t)len : S_REPLY_MAX;
        if (out->n == cap) {
            cap = cap ? 2 * cap : 16;
            char **t = realloc(out->text, (size_t)cap * sizeof *t);
            size_t *l = t ? realloc(out->len, (size_t)cap * sizeof *l) : NULL;
            if (t)
                out->text = t;
            if (!t || !l)
                goto oom;
            out->len = l;
        }
        out->text[out->n] = malloc(used + 1);
        if (!out->text[out->n])
            goto oom;
        memcpy(out->text[out->n], c->reply, used);
        out->text[out->n][used] = 0;
        out->len[out->n++] = used;
        size_t sz = sizeof more;
        zmq_getsockopt(c->req, ZMQ_RCVMORE, &more, &sz);
    }
    return 0;
timeout:
    fprintf(stderr, "dnsoracle_client: %s: no answer within %d ms (is dnsoracled running?%s)\n",
            c->endpoint, c->timeout_ms,
            c->curve_key ? " Is this one of its curve_endpoints, is our .pub in its curve_clients,"
                           " and is --curve-server-key its key?"
            : strncmp(c->endpoint, "tcp://", 6) == 0
                ? " For one of its curve_endpoints give --curve-key and --curve-server-key"
                : "");
    s_reply_free(out);
    return -1;
oom:
    fprintf(stderr, "dnsoracle_client: out of memory\n");
    s_reply_free(out);
    return -1;
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
static int s_flush(s_client_t *c, s_batch_t *b)
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
    s_reply_t r = {0};
    if (nf > first) {
        if (s_request(c, frames, lens, nf, &r) != 0)
            return -1;
        if (r.n != nf - first) {
            fprintf(stderr, "dnsoracle_client: %s: %d answers to %d names\n", c->endpoint, r.n,
                    nf - first);
            s_reply_free(&r);
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
            fprintf(stderr, "dnsoracle_client: %s: unexpected answer '%.40s'\n", c->endpoint, t);
            s_reply_free(&r);
            return -1;
        }
        s_print(b, i, good, t);
        b->bad += !good;
    }
    s_reply_free(&r);
    fflush(stdout);
    b->n = 0;
    return 0;
}

static int s_add(s_client_t *c, s_batch_t *b, const char *name, size_t len)
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
static int s_stream(s_client_t *c, s_batch_t *b)
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

/* Prints the text of a command reply (skipping an "ok"/"error" status frame
 * for operator commands). Returns the exit status. */
static int s_command(s_client_t *c, const char *const *frames, const size_t *lens, int n,
                     bool status)
{
    s_reply_t r;
    if (s_request(c, frames, lens, n, &r) != 0)
        return S_EXIT_FAIL;
    int rc = S_EXIT_GOOD;
    if (status) {
        bool ok = r.n >= 1 && strcmp(r.text[0], "ok") == 0;
        const char *text = r.n >= 2 ? r.text[1] : "";
        if (!ok) {
            fprintf(stderr, "dnsoracle_client: %s: %s\n", c->endpoint,
                    text[0] ? text : "command refused");
            rc = S_EXIT_FALSE;
        } else if (text[0]) {
            fputs(text, stdout);
            if (text[strlen(text) - 1] != '\n')
                putchar('\n');
        }
    } else {
        for (int i = 0; i < r.n; i++) {
            fputs(r.text[i], stdout);
            if (r.len[i] && r.text[i][r.len[i] - 1] != '\n')
                putchar('\n');
        }
    }
    s_reply_free(&r);
    return rc;
}

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
    O_REASON,
    O_CURVE_KEY,
    O_CURVE_SERVER_KEY,
    O_GEN_KEYS,
};

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

int main(int argc, char **argv)
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
        {"reason", required_argument, NULL, O_REASON},
        {"curve-key", required_argument, NULL, O_CURVE_KEY},
        {"curve-server-key", required_argument, NULL, O_CURVE_SERVER_KEY},
        {"gen-keys", required_argument, NULL, O_GEN_KEYS},
        {NULL, 0, NULL, 0},
    };
    const char *endpoint = getenv("DNSORACLE_ENDPOINT");
    const char *control = getenv("DNSORACLE_CONTROL");
    const char *curve_key = getenv("DNSORACLE_CURVE_KEY");
    const char *curve_server_key = getenv("DNSORACLE_CURVE_SERVER_KEY");
    const char *domain = NULL, *reason = NULL, *gen_keys = NULL;
    int mode = 0, opt, timeout_ms = 1000;
    if (!endpoint || !endpoint[0])
        endpoint = "tcp://127.0.0.1:5555";
    if (!control || !control[0])
        control = "ipc:///run/dnsoracle/control.sock";
    while ((opt = getopt_long(argc, argv, "e:t:C:h", longs, NULL)) != -1) {
        switch (opt) {
        case 'e':
            endpoint = optarg;
            break;
        case 'C':
            control = optarg;
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
            timeout_ms = (int)v;
            break;
        }
        case 'h':
            s_usage(stdout);
            return S_EXIT_GOOD;
        case O_REASON:
            reason = optarg;
            break;
        case O_CURVE_KEY:
            curve_key = optarg;
            break;
        case O_CURVE_SERVER_KEY:
            curve_server_key = optarg;
            break;
        case O_GEN_KEYS:
            gen_keys = optarg;
            break;
        case O_BLOCK:
        case O_ALLOW:
        case O_UNLIST:
            domain = optarg;
            /* fall through */
        case O_EXPLAIN:
        case O_STATS:
        case O_PING:
        case O_LIST:
        case O_UPDATE:
            if (mode && mode != opt) {
                fprintf(stderr, "dnsoracle_client: one of --explain, --stats, --ping, --block, "
                                "--allow, --unlist, --list, --update-now at a time\n");
                return S_EXIT_FAIL;
            }
            mode = opt;
            break;
        default:
            s_usage(stderr);
            return S_EXIT_FAIL;
        }
    }
    int rest = argc - optind;
    if (gen_keys) {
        if (mode || rest > 0) {
            fprintf(stderr, "dnsoracle_client: --gen-keys goes alone (see --help)\n");
            return S_EXIT_FAIL;
        }
        return s_gen_keys(gen_keys);
    }
    if (curve_key && !curve_key[0])
        curve_key = NULL;
    if (curve_server_key && !curve_server_key[0])
        curve_server_key = NULL;
    bool op = mode == O_BLOCK || mode == O_ALLOW || mode == O_UNLIST || mode == O_LIST ||
              mode == O_UPDATE;
    const char *usage_error = NULL;
    if (reason && mode != O_BLOCK && mode != O_ALLOW)
        usage_error = "--reason goes with --block or --allow";
    else if (reason && strlen(reason) > 255)
        usage_error = "--reason: at most 255 bytes";
    else if (domain && strlen(domain) > 253)
        usage_error = "the domain is longer than 253 bytes";
    else if ((mode == O_STATS || mode == O_PING || mode == O_UPDATE || mode == O_BLOCK ||
              mode == O_ALLOW || mode == O_UNLIST) &&
             rest > 0)
        usage_error = "unexpected arguments";
    else if (mode == O_LIST && rest > 1)
        usage_error = "--list takes at most one kind (drop, block or allow)";
    else if (mode == O_EXPLAIN && rest == 0)
        usage_error = "--explain needs at least one NAME";
    else if (!curve_key != !curve_server_key)
        usage_error = "--curve-key and --curve-server-key go together";
    if (usage_error) {
        fprintf(stderr, "dnsoracle_client: %s (see --help)\n", usage_error);
        return S_EXIT_FAIL;
    }

    s_client_t c = {op ? control : endpoint,
                    timeout_ms,
                    op ? NULL : curve_key,
                    curve_server_key,
                    NULL,
                    NULL,
                    NULL};
    c.ctx = zmq_ctx_new();
    c.reply = malloc(S_REPLY_MAX + 1);
    s_batch_t *b = calloc(1, sizeof *b);
    int rc = S_EXIT_FAIL;
    if (!c.ctx || !c.reply || !b) {
        fprintf(stderr, "dnsoracle_client: out of memory\n");
        goto done;
    }
    if (s_connect(&c) != 0)
        goto done;

    if (mode == O_PING) {
        double t0 = s_now_ms();
        const char *f[] = {"\0ping"};
        s_reply_t r;
        if (s_request(&c, f, (size_t[]){5}, 1, &r) != 0)
            goto done;
        bool pong = r.n == 1 && strcmp(r.text[0], "pong") == 0;
        s_reply_free(&r);
        if (!pong) {
            fprintf(stderr, "dnsoracle_client: %s: unexpected answer to ping\n", endpoint);
            goto done;
        }
        printf("pong from %s in %.2f ms\n", endpoint, s_now_ms() - t0);
        rc = S_EXIT_GOOD;
    } else if (mode == O_STATS) {
        const char *f[] = {"\0stats"};
        rc = s_command(&c, f, (size_t[]){6}, 1, false);
    } else if (op) {
        const char *cmd = mode == O_BLOCK    ? "block"
                          : mode == O_ALLOW  ? "allow"
                          : mode == O_UNLIST ? "unlist"
                          : mode == O_LIST   ? "list"
                                             : "update-now";
        const char *f[4] = {cmd, domain ? domain : (rest ? argv[optind] : ""), reason ? reason : "",
                            s_who()};
        size_t lens[4];
        for (int i = 0; i < 4; i++)
            lens[i] = strlen(f[i]);
        rc = s_command(&c, f, lens, mode == O_UPDATE ? 1 : mode == O_LIST ? 2 : 4, true);
    } else {
        b->explain = mode == O_EXPLAIN;
        bool from_stdin = rest == 0 || (rest == 1 && strcmp(argv[optind], "-") == 0);
        int err = 0;
        if (from_stdin)
            err = s_stream(&c, b);
        else
            for (int i = optind; i < argc && !err; i++)
                err = s_add(&c, b, argv[i], strlen(argv[i]));
        if (!err && b->n)
            err = s_flush(&c, b);
        rc = err ? S_EXIT_FAIL : b->bad ? S_EXIT_FALSE : S_EXIT_GOOD;
    }
done:
    fflush(stdout);
    if (c.req)
        zmq_close(c.req);
    if (c.ctx)
        zmq_ctx_term(c.ctx);
    free(c.reply);
    free(b);
    return rc;
}
