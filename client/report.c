/* client/report.c - dnsoracle_replay's report: domains, totals, labels. */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define S_MAX_WIDTH 48 /* a longer domain pushes its row, not every row */

/* The project's targets (README, "Detection targets"). */
#define S_BENIGN_MAX 0.1 /* % of benign queries refused, at most */
#define S_CUT_WITHIN 50  /* a tunnel is cut within its first 50 queries */
#define S_DATA_MIN 99.5  /* % of data-carrying names refused, at least */
#define S_SHORT_MIN 99.0 /* % of short names refused after the cut, at least */

static double s_pct(unsigned long part, unsigned long whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0;
}

/* Most refused first, then the busiest, then by name. */
static int s_by_refused(const void *a, const void *b)
{
    const tally_domain_t *x = *(tally_domain_t *const *)a, *y = *(tally_domain_t *const *)b;
    if (x->refused != y->refused)
        return x->refused < y->refused ? 1 : -1;
    if (x->queries != y->queries)
        return x->queries < y->queries ? 1 : -1;
    return strcmp(x->domain, y->domain);
}

static int s_width(tally_domain_t **rows, size_t n, const char *title)
{
    size_t w = strlen(title);
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(rows[i]->domain);
        w = l > w ? l : w;
    }
    return (int)(w > S_MAX_WIDTH ? S_MAX_WIDTH : w);
}

static void s_domain_row(FILE *out, int w, const tally_domain_t *d)
{
    char first[16] = "-", after[32] = "-", cut[16] = "-";
    if (d->first_refused) {
        snprintf(first, sizeof first, "#%u", (unsigned)d->first_refused);
        snprintf(after, sizeof after, "%.1fs", d->refused_after);
    }
    if (d->cut_at)
        snprintf(cut, sizeof cut, "#%u", (unsigned)d->cut_at);
    fprintf(out, "%-*s %9u %9u %9u %11s %9s  %-20s %s\n", w, d->domain, (unsigned)d->queries,
            (unsigned)d->names, (unsigned)d->refused, first, after,
            d->first_refused ? engine_reason_name((reason_t)d->reason) : "-", cut);
}

int report_domains(report_t *rep, size_t top, FILE *out)
{
    size_t n = tally_count(rep->tally), refused = 0, k = 0;
    tally_domain_t **rows = malloc((n ? n : 1) * sizeof(tally_domain_t *));
    if (!rows)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) { /* those with refusals first, the others after */
        tally_domain_t *d = tally_at(rep->tally, i);
        if (d->refused)
            rows[refused++] = d;
    }
    k = refused;
    for (size_t i = 0; i < n; i++) {
        tally_domain_t *d = tally_at(rep->tally, i);
        if (!d->refused)
            rows[k++] = d;
    }
    qsort(rows, refused, sizeof(tally_domain_t *), s_by_refused);
    qsort(rows + refused, n - refused, sizeof(tally_domain_t *), s_by_refused);
    size_t shown = refused + (n - refused < top ? n - refused : top);
    int w = s_width(rows, shown, "domain");
    fprintf(out, "%-*s %9s %9s %9s %11s %9s  %-20s %s\n", w, "domain", "queries", "names",
            "refused", "1st refusal", "after", "reason", "cut at");
    for (size_t i = 0; i < shown; i++)
        s_domain_row(out, w, rows[i]);
    if (n > shown)
        fprintf(out, "(%zu more domains without refusals; --top N shows the busiest N)\n",
                n - shown);
    fprintf(out, "(1st refusal, cut at: query number within the domain; after: seconds from "
                 "its first query)\n\n");
    free(rows);
    return 0;
}

int report_totals(const report_t *rep, FILE *out)
{
    const report_count_t *t = &rep->total;
    fprintf(out, "totals\n");
    fprintf(out, "  queries          %12lu\n", t->queries);
    fprintf(out, "  distinct names   %12lu\n", t->names);
    fprintf(out, "  refused queries  %12lu (%.3f%%)\n", t->refused, s_pct(t->refused, t->queries));
    fprintf(out, "  refused names    %12lu distinct (%.3f%%)\n", t->refused_names,
            s_pct(t->refused_names, t->names));
    fprintf(out, "  domains          %12zu\n", tally_count(rep->tally));
    fprintf(out, "  domains cut off  %12lu\n", rep->cut);
    fprintf(out, "  bad lines        %12lu\n", rep->bad_lines);
    fprintf(out, "  bad packets      %12lu of %lu packets (%lu responses and others skipped)\n",
            rep->packets.bad, rep->packets.packets, rep->packets.skipped);
    return 0;
}

/* "12 99.500%" or "0 -": a count and its share. */
static const char *s_share(char *buf, size_t cap, unsigned long part, unsigned long whole)
{
    if (whole)
        snprintf(buf, cap, "%lu %7.3f%%", part, s_pct(part, whole));
    else
        snprintf(buf, cap, "%lu %8s", part, "-");
    return buf;
}

static void s_label_table(const report_t *rep, FILE *out)
{
    size_t n = labels_count(rep->labels);
    int w = 5;
    for (size_t i = 0; i < n; i++) {
        int l = (int)strlen(labels_name(rep->labels, i));
        w = l > w ? l : w;
    }
    fprintf(out, "%-*s %10s %10s %20s %20s  %s\n", w, "label", "queries", "names",
            "refused queries", "refused names", "target");
    for (size_t i = 0; i < n; i++) {
        const report_count_t *c = &rep->by_label[i];
        const char *label = labels_name(rep->labels, i);
        char q[48], nm[48], target[48] = "";
        if (strncmp(label, "benign", 6) == 0 && c->queries)
            snprintf(target, sizeof target, "<= %.1f%% refused: %s", S_BENIGN_MAX,
                     s_pct(c->refused, c->queries) <= S_BENIGN_MAX ? "ok" : "MISS");
        fprintf(out, "%-*s %10lu %10lu %20s %20s%s%s\n", w, label, c->queries, c->names,
                s_share(q, sizeof q, c->refused, c->queries),
                s_share(nm, sizeof nm, c->refused_names, c->names), target[0] ? "  " : "", target);
    }
    fputc('\n', out);
}

/* By label, then by name. */
static int s_by_tunnel(const void *a, const void *b)
{
    const tally_domain_t *x = *(tally_domain_t *const *)a, *y = *(tally_domain_t *const *)b;
    if (x->tunnel != y->tunnel)
        return x->tunnel < y->tunnel ? -1 : 1;
    return strcmp(x->domain, y->domain);
}

static void s_tunnel_row(const report_t *rep, FILE *out, int w, int lw, const tally_domain_t *d)
{
    char cut[32] = "never MISS", data[64] = "-", brief[64] = "-";
    if (!d->cut_at && d->queries < S_CUT_WITHIN) /* too few queries to miss the target */
        snprintf(cut, sizeof cut, "never");
    if (d->cut_at)
        snprintf(cut, sizeof cut, "#%u %s", (unsigned)d->cut_at,
                 d->cut_at <= S_CUT_WITHIN ? "ok" : "MISS");
    if (d->data)
        snprintf(data, sizeof data, "%u/%u %.2f%% %s", (unsigned)d->data_refused, (unsigned)d->data,
                 s_pct(d->data_refused, d->data),
                 s_pct(d->data_refused, d->data) >= S_DATA_MIN ? "ok" : "MISS");
    if (d->short_after)
        snprintf(brief, sizeof brief, "%u/%u %.2f%% %s", (unsigned)d->short_after_refused,
                 (unsigned)d->short_after, s_pct(d->short_after_refused, d->short_after),
                 s_pct(d->short_after_refused, d->short_after) >= S_SHORT_MIN ? "ok" : "MISS");
    fprintf(out, "%-*s %-*s %9u  %-14s %-30s %s\n", w, d->domain, lw,
            labels_name(rep->labels, (size_t)d->tunnel), (unsigned)d->queries, cut, data, brief);
}

int report_labels(report_t *rep, FILE *out)
{
    if (!rep->labels)
        return 0;
    fputc('\n', out);
    s_label_table(rep, out);
    size_t n = tally_count(rep->tally), k = 0;
    tally_domain_t **rows = malloc((n ? n : 1) * sizeof(tally_domain_t *));
    if (!rows)
        return -ENOMEM;
    int lw = 5;
    for (size_t i = 0; i < n; i++) {
        tally_domain_t *d = tally_at(rep->tally, i);
        if (d->tunnel < 0)
            continue;
        rows[k++] = d;
        int l = (int)strlen(labels_name(rep->labels, (size_t)d->tunnel));
        lw = l > lw ? l : lw;
    }
    if (k) {
        qsort(rows, k, sizeof(tally_domain_t *), s_by_tunnel);
        int w = s_width(rows, k, "tunnel domain");
        fprintf(out, "%-*s %-*s %9s  %-14s %-30s %s\n", w, "tunnel domain", lw, "label", "queries",
                "cut at (<=50)", "data names refused (>=99.5%)",
                "short names refused after the cut (>=99%)");
        for (size_t i = 0; i < k; i++)
            s_tunnel_row(rep, out, w, lw, rows[i]);
        fprintf(out, "(cut at: query number within the domain, MISS when never cut in 50 or "
                     "more; data names: a label of 16+ bytes; short names: every label shorter, "
                     "counted from the cut on)\n");
    }
    free(rows);
    return 0;
}
