/* client/eventcmd.c - the operator's questions about refusals. */
#include "eventcmd.h"

#include <arpa/inet.h>
#include <bsd/string.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_COLS 10
#define S_MAX_ROWS 1100 /* the oracle sends at most 1,000 event rows */

/* A column of a table: its heading (and JSON key), and whether it holds
 * numbers (right-aligned, JSON numbers) or text that may be unknown ("-",
 * JSON null). */
typedef struct {
    const char *name;
    bool number, nullable;
} s_col_t;

/* The rows of one kind of the reply: each row's fields point into the
 * reply text, which s_split cuts with NULs. */
typedef struct {
    char *field[S_MAX_ROWS][S_MAX_COLS];
    size_t n;
} s_rows_t;

static void s_json_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 32 || *p > 126)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

/* Cuts the reply into lines and fields; keeps the lines whose first field
 * is `kind` (kind NULL: every line, all its fields) with their ncols fields
 * after it. */
static void s_split(char *text, const char *kind, size_t ncols, s_rows_t *rows)
{
    rows->n = 0;
    for (char *line = text, *next; line && *line && rows->n < S_MAX_ROWS; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        char *f[S_MAX_COLS + 1] = {line};
        size_t n = 0;
        for (char *p = line; p && n <= S_MAX_COLS; n++) {
            f[n] = p;
            p = strchr(p, '\t');
            if (p)
                *p++ = 0;
        }
        size_t skip = kind ? 1 : 0;
        if ((kind && strcmp(f[0], kind) != 0) || n != ncols + skip)
            continue;
        memcpy(rows->field[rows->n++], f + skip, ncols * sizeof *f);
    }
}

static void s_table(const char *title, const s_col_t *cols, size_t ncols, const s_rows_t *rows)
{
    int width[S_MAX_COLS];
    for (size_t c = 0; c < ncols; c++) {
        width[c] = (int)strlen(cols[c].name);
        for (size_t r = 0; r < rows->n; r++)
            if ((int)strlen(rows->field[r][c]) > width[c])
                width[c] = (int)strlen(rows->field[r][c]);
    }
    if (title)
        printf("\n%s\n", title);
    for (size_t c = 0; c < ncols; c++)
        printf("%s%*s", c ? "  " : "",
               cols[c].number   ? width[c]
               : c + 1 == ncols ? 0
                                : -width[c],
               cols[c].name);
    putchar('\n');
    for (size_t r = 0; r < rows->n; r++) {
        for (size_t c = 0; c < ncols; c++) {
            bool last = c + 1 == ncols;
            /* no padding after the last column: lines end with their text */
            int w = cols[c].number ? width[c] : last ? 0 : -width[c];
            printf("%s%*s", c ? "  " : "", w, rows->field[r][c]);
        }
        putchar('\n');
    }
    if (rows->n == 0)
        printf("(none)\n");
}

static void s_json_rows(const s_col_t *cols, size_t ncols, const s_rows_t *rows)
{
    putchar('[');
    for (size_t r = 0; r < rows->n; r++) {
        printf("%s{", r ? "," : "");
        for (size_t c = 0; c < ncols; c++) {
            const char *v = rows->field[r][c];
            printf("%s\"%s\":", c ? "," : "", cols[c].name);
            if (cols[c].number)
                printf("%llu", strtoull(v, NULL, 10));
            else if (cols[c].nullable && !strcmp(v, "-"))
                printf("null");
            else
                s_json_string(v);
        }
        putchar('}');
    }
    putchar(']');
}

/* Asks the control socket; returns the reply text (owned by r) or NULL
 * with *rc set. */
static const char *s_ask(request_t *req, const char *const *f, int n, request_reply_t *r, int *rc)
{
    size_t lens[3];
    for (int i = 0; i < n; i++)
        lens[i] = strlen(f[i]);
    const char *text;
    bool failed = false;
    if (request_operator(req, f, lens, n, r, &text, &failed))
        return text;
    *rc = failed ? 2 : 1;
    return NULL;
}

static const s_col_t s_domain_cols[] = {{"domain", false, true},
                                        {"events", true, false},
                                        {"clients", true, false},
                                        {"first", false, false},
                                        {"last", false, false}};
static const s_col_t s_client_cols[] = {{"client", false, true},
                                        {"events", true, false},
                                        {"domains", true, false},
                                        {"first", false, false},
                                        {"last", false, false}};
static const s_col_t s_reason_cols[] = {{"reason", false, false}, {"events", true, false}};

/* "1 event", "2 events": a count and its noun, singular or plural. */
static const char *s_count(char *buf, size_t cap, const char *n, const char *noun)
{
    snprintf(buf, cap, "%s %s%s", n, noun, strcmp(n, "1") != 0 ? "s" : "");
    return buf;
}

/* The report's first line. The unknown client "-" (a refusal asked on the
 * query port, or [events] client = none) is not a client: its events are
 * said apart. */
static void s_report_heading(unsigned long since_s, const char *const *t, const char *unknown)
{
    char events[48], clients[48], domains[48];
    printf("refusals over the last %lu s: %s, %s", since_s,
           s_count(events, sizeof events, t[0], "event"),
           s_count(clients, sizeof clients, t[1], "client"));
    if (strcmp(unknown, "0") != 0) {
        char without[48];
        printf(" and %s without a client", s_count(without, sizeof without, unknown, "event"));
    }
    printf(", %s\n", s_count(domains, sizeof domains, t[2], "domain"));
}

int eventcmd_report(request_t *req, unsigned long since_s, bool json)
{
    char secs[32];
    snprintf(secs, sizeof secs, "%lu", since_s);
    const char *f[] = {"report", secs};
    request_reply_t r;
    int rc = 0;
    const char *text = s_ask(req, f, 2, &r, &rc);
    s_rows_t *rows = calloc(5, sizeof *rows);
    char *copy[5] = {NULL};
    for (int i = 0; text && i < 5; i++)
        copy[i] = strdup(text);
    if (text && (!rows || !copy[0] || !copy[1] || !copy[2] || !copy[3] || !copy[4])) {
        fprintf(stderr, "dnsoracle_client: out of memory\n");
        rc = 2;
    } else if (text) {
        s_split(copy[0], "total", 3, &rows[0]);
        s_split(copy[1], "domain", 5, &rows[1]);
        s_split(copy[2], "client", 5, &rows[2]);
        s_split(copy[3], "reason", 2, &rows[3]);
        s_split(copy[4], "unknown", 1, &rows[4]);
        const char *t[3] = {"0", "0", "0"};
        if (rows[0].n)
            memcpy(t, rows[0].field[0], sizeof t);
        const char *unknown = rows[4].n ? rows[4].field[0][0] : "0";
        if (json) {
            printf("{\"since_seconds\":%lu,\"events\":%s,\"clients\":%s,"
                   "\"events_without_client\":%s,\"domains\":%s,\"by_domain\":",
                   since_s, t[0], t[1], unknown, t[2]);
            s_json_rows(s_domain_cols, 5, &rows[1]);
            printf(",\"by_client\":");
            s_json_rows(s_client_cols, 5, &rows[2]);
            printf(",\"by_reason\":");
            s_json_rows(s_reason_cols, 2, &rows[3]);
            printf("}\n");
        } else {
            s_report_heading(since_s, t, unknown);
            s_table("refused domains", s_domain_cols, 5, &rows[1]);
            s_table("clients with the most refusals", s_client_cols, 5, &rows[2]);
            s_table("by reason", s_reason_cols, 2, &rows[3]);
        }
    }
    for (int i = 0; i < 5; i++)
        free(copy[i]);
    free(rows);
    request_reply_free(&r);
    return rc;
}

static const s_col_t s_event_cols[] = {{"first", false, false},  {"last", false, false},
                                       {"client", false, true},  {"domain", false, true},
                                       {"reason", false, false}, {"events", true, false},
                                       {"qname", false, false},  {"qtype", true, false},
                                       {"action", false, false}, {"resolver", false, false}};

/* The event rows as a table, the query name last (it is the longest).
 * Returns 0, or 2 when out of memory. */
static int s_event_table(const s_rows_t *rows)
{
    static const int order[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 6};
    s_rows_t *shown = calloc(1, sizeof *shown);
    if (!shown) {
        fprintf(stderr, "dnsoracle_client: out of memory\n");
        return 2;
    }
    s_col_t cols[10];
    for (size_t c = 0; c < 10; c++)
        cols[c] = s_event_cols[order[c]];
    for (size_t i = 0; i < rows->n; i++)
        for (size_t c = 0; c < 10; c++)
            shown->field[i][c] = rows->field[i][order[c]];
    shown->n = rows->n;
    s_table(NULL, cols, 10, shown);
    free(shown);
    return 0;
}

/* A domain name as the oracle takes one: 1 to 253 bytes (a final dot
 * aside) of labels of 1 to 63 printable bytes, the last not a number. */
static bool s_domain_name(const char *key)
{
    size_t n = strlen(key), label = 0, last = 0;
    if (n && key[n - 1] == '.')
        n--;
    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c <= ' ' || c > '~')
            return false;
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
            last = i + 1;
        } else if (++label > 63) {
            return false;
        }
    }
    return label > 0 && strspn(key + last, "0123456789") < n - last;
}

const char *eventcmd_key_error(const char *key)
{
    char plain[64];
    unsigned char bytes[16];
    strlcpy(plain, key, sizeof plain);
    plain[strcspn(plain, "%")] = 0; /* fe80::1%eth0 */
    if (!strcmp(key, "-") || inet_pton(AF_INET, plain, bytes) == 1 ||
        inet_pton(AF_INET6, plain, bytes) == 1 || s_domain_name(key))
        return NULL;
    return "neither an address nor a domain name";
}

/* The heading of --events: what was looked for (the reply's "key" line). */
static void s_events_heading(const s_rows_t *key, const char *asked, unsigned long since_s,
                             size_t n)
{
    char rows[48], count[24];
    snprintf(count, sizeof count, "%zu", n);
    printf("events of ");
    char *const *k = key->field[0];
    if (key->n && !strcmp(k[0], "domain") && strcmp(k[1], k[2]) != 0)
        printf("%s (the registrable domain of %s)", k[1], k[2]);
    else if (key->n && !strcmp(k[0], "client") && strcmp(k[1], k[2]) != 0)
        printf("%s and of its network %s (rows stored truncated)", k[1], k[2]);
    else
        printf("%s", key->n ? k[1] : asked);
    printf(" over the last %lu s: %s (one per minute, client, domain and reason)\n", since_s,
           s_count(rows, sizeof rows, count, "row"));
}

int eventcmd_events(request_t *req, const char *key, unsigned long since_s, bool json)
{
    char secs[32];
    snprintf(secs, sizeof secs, "%lu", since_s);
    const char *f[] = {"events", key, secs};
    request_reply_t r;
    int rc = 0;
    const char *text = s_ask(req, f, 3, &r, &rc);
    s_rows_t *rows = calloc(2, sizeof *rows);
    char *copy = text ? strdup(text) : NULL, *copy2 = text ? strdup(text) : NULL;
    if (text && (!rows || !copy || !copy2)) {
        fprintf(stderr, "dnsoracle_client: out of memory\n");
        rc = 2;
    } else if (text) {
        s_split(copy, NULL, 10, &rows[0]);
        s_split(copy2, "key", 3, &rows[1]);
        if (json) {
            printf("{\"since_seconds\":%lu,\"key\":", since_s);
            s_json_string(key);
            if (rows[1].n) {
                printf(",\"%s\":", rows[1].field[0][0]);
                s_json_string(rows[1].field[0][1]);
            }
            if (rows[1].n && !strcmp(rows[1].field[0][0], "client")) {
                printf(",\"network\":");
                s_json_string(rows[1].field[0][2]);
            }
            printf(",\"events\":");
            s_json_rows(s_event_cols, 10, &rows[0]);
            printf("}\n");
        } else {
            s_events_heading(&rows[1], key, since_s, rows[0].n);
            rc = s_event_table(&rows[0]);
        }
    }
    free(copy);
    free(copy2);
    free(rows);
    request_reply_free(&r);
    return rc;
}
