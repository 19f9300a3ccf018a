/* oracle/common/privacy.h - what of a client's address is kept.
 *
 * Client addresses are personal data in many places, so the events table,
 * dnsoracled's log and the hook's log lines keep what [events] client says
 * (events_client_t): the whole address, the address truncated to
 * its network (an IPv4 address to its /24, an IPv6 one to its /56: the
 * subnet, not the host), or nothing. One function, shared by the daemon and
 * the hook's module, so both apply the same rule.
 */
#ifndef DNSORACLE_PRIVACY_H
#define DNSORACLE_PRIVACY_H

#include <stddef.h>

/* [events] client, in the order of its words in config.c. */
typedef enum { EVENTS_CLIENT_FULL, EVENTS_CLIENT_TRUNCATED, EVENTS_CLIENT_NONE } events_client_t;

/* Writes what is kept of the address text `addr` (no port; an IPv6 zone
 * "%eth0" is dropped when truncated) into out (cap bytes, at least 2) and
 * returns out. An empty or "-" address, mode none, or a text that is not
 * an address when truncating (nothing to truncate it to) all give "-". */
const char *privacy_client(const char *addr, events_client_t mode, char *out, size_t cap);

#endif
