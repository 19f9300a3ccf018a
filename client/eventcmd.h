/* client/eventcmd.h - the operator's questions about refusals: --report and
 * --events.
 *
 * Both ask the control socket (report, events: docs/protocol.md), whose
 * daemon reads the events table, and print its rows either as a table
 * aligned for a terminal or, with --json, as one JSON object for scripts
 * (every string escaped; an unknown client or domain is null).
 */
#ifndef DNSORACLE_EVENTCMD_H
#define DNSORACLE_EVENTCMD_H

#include <stdbool.h>

#include "request.h"

/* --report [--since DURATION]: the refused domains, the clients with the
 * most refusals, the counts by reason, over the last since_s seconds.
 * Returns the exit status (0, 1 refused, e.g. no database; 2 no answer). */
int eventcmd_report(request_t *req, unsigned long since_s, bool json);

/* --events DOMAIN|ADDRESS [--since DURATION]: the event rows of one
 * client, or of the registrable domain of DOMAIN (the oracle reduces a
 * subdomain to it, and the heading says so). Returns the exit status. */
int eventcmd_events(request_t *req, const char *key, unsigned long since_s, bool json);

/* Returns NULL when KEY can be asked for (an address, "-" the unknown
 * client, or a domain name), else why not (a static string): 999.1.1.1
 * and a..b are neither. */
const char *eventcmd_key_error(const char *key);

#endif
