/* client/report.h - dnsoracle_replay's report: domains, totals, labels.
 *
 * Plain text for a terminal, one header line per table, columns aligned:
 *
 *   - the domain table: every registrable domain with a refusal, most
 *     refused first, then the `top` busiest others; per domain its queries,
 *     distinct names, refused queries, the first refusal (query number in
 *     the domain, seconds after its first query, reason) and the query that
 *     cut it off;
 *   - the totals;
 *   - with labels: per label, queries and distinct names and the share of
 *     each refused; then per tunnel domain (names labelled "tunnel:...") the
 *     query that cut it off, the share of its data-carrying names (a label of
 *     16 or more bytes below the registrable domain) refused, and the share
 *     of its other, short names refused from the cut on. Each figure is
 *     marked against the project's target: benign names (labels starting
 *     with "benign") refused at most 0.1%, every tunnel cut within its first
 *     50 queries (a domain of fewer queries that was not cut is no miss
 *     yet), 99.5% of data-carrying names refused, 99% of the short names
 *     refused after the cut.
 *
 * Tunnel figures count queries, as the targets do on the project's data
 * (one query a name); the label table gives both queries and names.
 */
#ifndef DNSORACLE_REPORT_H
#define DNSORACLE_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "capture.h"
#include "labels.h"
#include "tally.h"

typedef struct {
    unsigned long queries, names;         /* names: distinct */
    unsigned long refused, refused_names; /* refused queries, distinct names refused */
} report_count_t;

/* What the replay counted; none of it owned by the report. */
typedef struct {
    tally_t *tally;
    labels_t *labels;         /* NULL: no labels */
    report_count_t *by_label; /* labels_count(labels) of them */
    report_count_t total;
    unsigned long bad_lines;
    unsigned long cut; /* domains cut off */
    capture_counts_t packets;
} report_t;

/* Prints the domain table. Returns 0, or -ENOMEM. */
int report_domains(report_t *rep, size_t top, FILE *out);

/* Prints the totals. Returns 0. */
int report_totals(const report_t *rep, FILE *out);

/* Prints the label tables when there are labels. Returns 0, or -ENOMEM. */
int report_labels(report_t *rep, FILE *out);

#endif
