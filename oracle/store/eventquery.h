/* oracle/store/eventquery.h - the operator's questions about events, answered
 * from the events table (events.h) on the control socket.
 *
 *   report, SECONDS         what was refused over the last SECONDS: lines
 *                           "total EVENTS CLIENTS DOMAINS", then the refused
 *                           registrable domains, most refused first
 *                           ("domain DOMAIN EVENTS CLIENTS FIRST LAST", at
 *                           most 50), the clients with the most refusals
 *                           ("client CLIENT EVENTS DOMAINS FIRST LAST", at
 *                           most 20) and the events by reason
 *                           ("reason REASON EVENTS"), fields tab-separated;
 *   events, KEY, SECONDS    the event rows of one registrable domain or one
 *                           client address (KEY), oldest first, at most
 *                           1,000: "FIRST LAST CLIENT DOMAIN REASON EVENTS
 *                           QNAME QTYPE ACTION RESOLVER", tab-separated.
 *
 * Times are UTC, 2026-01-02T03:04:05Z. A client address is cut by [events]
 * client before it is looked for, as it was when stored. The control thread
 * runs these (it may wait on the database; no request does).
 */
#ifndef DNSORACLE_EVENTQUERY_H
#define DNSORACLE_EVENTQUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "store.h"

/* Runs the command argv[0] ("report" or "events") with its arguments and
 * writes the reply text into out (cap bytes). Returns true for "ok"; false
 * with the reason in out (bad arguments, "events need the database: ..."). */
bool eventquery_run(store_t *store, const config_t *cfg, char **argv, int argc, char *out,
                    size_t cap);

#endif
