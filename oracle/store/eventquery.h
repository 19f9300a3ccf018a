/* oracle/store/eventquery.h - the operator's questions about events, answered
 * from the events table (events.h) on the control socket.
 *
 *   report, SECONDS         what was refused over the last SECONDS: lines
 *                           "total EVENTS CLIENTS DOMAINS" (CLIENTS: the
 *                           known ones, "-" is not one), "unknown EVENTS"
 *                           (the events without a client), then the refused
 *                           registrable domains, most refused first
 *                           ("domain DOMAIN EVENTS CLIENTS FIRST LAST", at
 *                           most 50), the clients with the most refusals
 *                           ("client CLIENT EVENTS DOMAINS FIRST LAST", at
 *                           most 20) and the events by reason
 *                           ("reason REASON EVENTS"), fields tab-separated;
 *   events, KEY, SECONDS    what was looked for ("key domain REGISTRABLE
 *                           KEY" or "key client ADDRESS NETWORK"), then the
 *                           event rows of one registrable domain or one
 *                           client address (KEY), oldest first, at most
 *                           1,000: "FIRST LAST CLIENT DOMAIN REASON EVENTS
 *                           QNAME QTYPE ACTION RESOLVER", tab-separated.
 *
 * Times are UTC, 2026-01-02T03:04:05Z. A domain KEY is reduced to its
 * registrable domain (events are kept by it), by the Public Suffix List
 * given. An address KEY finds the rows of the address and those of its
 * network (/24, /56) whatever [events] client says now: rows keep the form
 * they were stored in, and the operator switching the setting must not miss
 * a host. The control thread runs these (it may wait on the database; no
 * request does).
 */
#ifndef DNSORACLE_EVENTQUERY_H
#define DNSORACLE_EVENTQUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "store.h"
#include "suffix.h"

/* Runs the command argv[0] ("report" or "events") with its arguments and
 * writes the reply text into out (cap bytes); psl may be NULL (a domain is
 * then taken whole). Returns true for "ok"; false
 * with the reason in out (bad arguments, "events need the database: ..."). */
bool eventquery_run(store_t *store, const suffix_t *psl, char **argv, int argc, char *out,
                    size_t cap);

#endif
