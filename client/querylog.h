/* client/querylog.h - query log lines: [TIME] [CLIENT] NAME [QTYPE].
 *
 * A text capture holds one query a line, its fields separated by spaces or
 * tabs. The fields are told apart by what they are, so a log may carry any
 * of them as long as the name is there: a first field that is wholly a
 * number (digits, an optional fraction) is the time in seconds; a field that
 * inet_pton() takes as an IPv4 or IPv6 address is the client; a last field
 * that names a query type (A, AAAA, TXT, ..., a number or TYPEnnn) is the
 * type; the one field left is the name. A field is only taken for the time,
 * the client or the type while another one is left for the name, so a line
 * holding only "ns" or "1.2.3.4" is a name. Lines starting with '#' and blank
 * lines are no queries; lines with more fields, or two names, are bad.
 */
#ifndef DNSORACLE_QUERYLOG_H
#define DNSORACLE_QUERYLOG_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    bool has_time;
    double time;                   /* seconds, when has_time */
    char client[INET6_ADDRSTRLEN]; /* the address as inet_ntop() writes it, "" = none */
    const char *name;              /* the name field, pointing into the line */
    size_t name_len;
    unsigned qtype; /* 0 = none given */
} querylog_t;

/* Parses `len` bytes of one line into *q. Returns 1 for a query, 0 for a
 * comment or blank line, -EINVAL for a bad line with a static reason in
 * *why. */
int querylog_parse(const char *line, size_t len, querylog_t *q, const char **why);

/* The number of a query type written as a mnemonic ("txt", any case), a
 * number or TYPEnnn, 1 to 65535; -1 when the text is none of these. */
int querylog_qtype(const char *s, size_t len);

/* Writes the mnemonic of a query type, or TYPEnnn, into buf; returns buf. */
const char *querylog_qtype_name(unsigned qtype, char *buf, size_t cap);

#endif
