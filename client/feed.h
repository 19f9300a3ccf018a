/* client/feed.h - the domains of a threat feed or a list file, line by line.
 *
 * dnsoracle_client --import reads lists published in several formats; one
 * parser takes them all, a line at a time, so one file may even mix them:
 *   - a domain a line;                       evil.example
 *   - a hosts file: address, then the name;  0.0.0.0 evil.example
 *     (localhost, broadcasthost, ip6-... entries are skipped)
 *   - an RPZ zone's owner names;             evil.example CNAME .
 *     *.evil.example (the wildcard) is the suffix evil.example, which a
 *     list entry covers already; $ORIGIN is followed and an owner name under
 *     it (evil.example.rpz.zone. with $ORIGIN rpz.zone.) loses it; SOA and
 *     NS records, $TTL and the other directives, rpz-ip style triggers and
 *     the zone apex are skipped. Without $ORIGIN the SOA record's owner
 *     names the zone.
 * Comments start with '#' or ';', anywhere on a line; blank lines are
 * skipped. The domain is checked here (labels of letters, digits, '-',
 * '_'), lowercased and without its final dot; whether it is a public
 * suffix is for the oracle to say (it knows its Public Suffix List).
 */
#ifndef DNSORACLE_FEED_H
#define DNSORACLE_FEED_H

#include <stddef.h>

#define FEED_DOMAIN_MAX 253

typedef enum { FEED_SKIP, FEED_DOMAIN, FEED_BAD } feed_result_t;

typedef struct feed feed_t;

/* Returns a parser at the top of a file, or NULL when out of memory. */
feed_t *feed_new(void);

/* Frees; accepts NULL and sets *self_p to NULL. */
void feed_destroy(feed_t **self_p);

/* Parses one line (`len` bytes, without its newline; a final "\r" is
 * ignored). FEED_DOMAIN: the domain in `out` (FEED_DOMAIN_MAX + 1 bytes);
 * FEED_BAD: *why says what is wrong (a static string); FEED_SKIP: nothing
 * to import on this line. */
feed_result_t feed_line(feed_t *self, const char *line, size_t len, char *out, const char **why);

#endif
