/* client/capture.h - DNS queries out of pcap and pcapng captures.
 *
 * capture_each() reads a capture with libpcap (pcap_fopen_offline() reads
 * both formats) and takes every packet apart: the link layer (Ethernet with
 * VLAN tags, Linux cooked v1 and v2, raw IP, BSD loopback), IPv4 or IPv6
 * (extension headers walked; later fragments carry no UDP header), then UDP
 * or TCP to or from port 53 (TCP: the first message of a segment, after its
 * 2-byte length). Every DNS query (QR bit 0, opcode QUERY) goes to a
 * callback with its first question: the packet's time, the source address,
 * the name in presentation form and the type.
 *
 * Responses, other opcodes and TCP segments without data are skipped.
 * Packets that are truncated, are not DNS on port 53, or hold a bad question
 * (a compression pointer, a label running past the end) are bad: counted and
 * handed to a second callback with the reason, never fatal.
 *
 * The name is written back as the daemon would receive it in presentation
 * form: letters, digits, '-' and '_' as they are, a dot inside a label as
 * `\.`, every other byte as `\DDD`; name_parse() (name.h) decodes it to the
 * same bytes. capture_dns() is the wire parser on its own, for any bytes.
 */
#ifndef DNSORACLE_CAPTURE_H
#define DNSORACLE_CAPTURE_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* 255 wire bytes, each at most 4 presentation bytes, and a NUL. */
#define CAPTURE_NAME_MAX 1024

typedef struct {
    double time;                   /* seconds, from the packet header */
    char client[INET6_ADDRSTRLEN]; /* source address, inet_ntop() form */
    char name[CAPTURE_NAME_MAX];   /* presentation form, NUL-terminated */
    size_t name_len;
    unsigned qtype;
} capture_query_t;

typedef struct {
    unsigned long packets, queries;
    unsigned long skipped; /* responses, other opcodes, TCP without data */
    unsigned long bad;     /* truncated or not DNS */
} capture_counts_t;

/* Called for every query; return 0 to go on, non-zero to stop. */
typedef int (*capture_fn)(void *user, const capture_query_t *q);

/* Called for every bad packet: its number in the file (1-based), why. */
typedef void (*capture_bad_fn)(void *user, unsigned long packet, const char *why);

/* Whether the first `len` bytes of a file are a pcap or pcapng magic. */
bool capture_magic(const uint8_t *p, size_t len);

/* Reads the capture in `f` from its start. libpcap takes `f` over: it is
 * closed when this returns, whatever happens. Adds to *counts. Returns 0, or
 * -EINVAL with the reason in err when the file is no capture libpcap can
 * read or has a link type not listed above. A record that cannot be read (a
 * file cut short) is one more bad packet, and the file ends there. */
int capture_each(FILE *f, capture_fn fn, capture_bad_fn bad, void *user, capture_counts_t *counts,
                 char *err, size_t errcap);

/* Parses a DNS message. Returns 1 with q->name, q->name_len and q->qtype
 * set for a query, 0 for a message to skip (a response, another opcode),
 * -EINVAL with a static reason in *why for a bad one. */
int capture_dns(const uint8_t *msg, size_t len, capture_query_t *q, const char **why);

#endif
