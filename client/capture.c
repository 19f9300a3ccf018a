/* client/capture.c - DNS queries out of pcap and pcapng captures. */

/* pcap/pcap.h uses u_char and u_int, which glibc's <sys/types.h> declares
 * only for _DEFAULT_SOURCE, not under the _POSIX_C_SOURCE the build sets. */
#define _DEFAULT_SOURCE
#include "capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <string.h>

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

#define S_PORT 53
#define S_ETH_IPV4 0x0800
#define S_ETH_IPV6 0x86dd

static uint16_t s_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

bool capture_magic(const uint8_t *p, size_t len)
{
    static const uint8_t magics[][4] = {
        {0xa1, 0xb2, 0xc3, 0xd4}, {0xd4, 0xc3, 0xb2, 0xa1}, /* pcap, microseconds */
        {0xa1, 0xb2, 0x3c, 0x4d}, {0x4d, 0x3c, 0xb2, 0xa1}, /* pcap, nanoseconds */
        {0xa1, 0xb2, 0xcd, 0x34}, {0x34, 0xcd, 0xb2, 0xa1}, /* Kuznetzov's pcap */
        {0x0a, 0x0d, 0x0d, 0x0a},                           /* pcapng section header */
    };
    if (len < 4)
        return false;
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++) {
        if (memcmp(p, magics[i], 4) == 0)
            return true;
    }
    return false;
}

/* Appends one label byte in presentation form. */
static size_t s_escape(char *out, size_t at, uint8_t c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_') {
        out[at++] = (char)c;
    } else if (c == '.') {
        out[at++] = '\\';
        out[at++] = '.';
    } else {
        out[at++] = '\\';
        out[at++] = (char)('0' + c / 100);
        out[at++] = (char)('0' + c / 10 % 10);
        out[at++] = (char)('0' + c % 10);
    }
    return at;
}

int capture_dns(const uint8_t *msg, size_t len, capture_query_t *q, const char **why)
{
    if (len < 12) {
        *why = "DNS header truncated";
        return -EINVAL;
    }
    if ((msg[2] & 0x80) || ((msg[2] >> 3) & 0x0f) != 0)
        return 0; /* a response, or not a standard query */
    if (s_be16(msg + 4) == 0) {
        *why = "DNS query without a question";
        return -EINVAL;
    }
    size_t at = 12, out = 0, wire = 1;
    for (;;) {
        if (at >= len) {
            *why = "question truncated";
            return -EINVAL;
        }
        unsigned l = msg[at++];
        if (l == 0)
            break;
        if (l > 63) {
            *why = (l & 0xc0) == 0xc0 ? "compression pointer in the question"
                                      : "bad label length in the question";
            return -EINVAL;
        }
        wire += l + 1;
        if (wire > 255) {
            *why = "question name over 255 bytes";
            return -EINVAL;
        }
        if (at + l > len) {
            *why = "question truncated";
            return -EINVAL;
        }
        if (out)
            q->name[out++] = '.';
        for (unsigned i = 0; i < l; i++)
            out = s_escape(q->name, out, msg[at + i]);
        at += l;
    }
    if (at + 4 > len) {
        *why = "question truncated";
        return -EINVAL;
    }
    if (out == 0)
        q->name[out++] = '.';
    q->name[out] = '\0';
    q->name_len = out;
    q->qtype = s_be16(msg + at);
    return 1;
}

/* The link layer: finds the IP packet and says which version it is. */
static int s_link(int dlt, const uint8_t *p, size_t len, size_t *off, int *version)
{
    uint32_t family;
    uint16_t type;
    switch (dlt) {
    case DLT_EN10MB:
        if (len < 14)
            return -EINVAL;
        type = s_be16(p + 12);
        *off = 14;
        while ((type == 0x8100 || type == 0x88a8) && len >= *off + 4) { /* VLAN tags */
            type = s_be16(p + *off + 2);
            *off += 4;
        }
        break;
    case DLT_LINUX_SLL:
        if (len < 16)
            return -EINVAL;
        type = s_be16(p + 14);
        *off = 16;
        break;
    case DLT_LINUX_SLL2:
        if (len < 20)
            return -EINVAL;
        type = s_be16(p);
        *off = 20;
        break;
    case DLT_NULL:
    case DLT_LOOP: /* the address family, in either byte order */
        if (len < 4)
            return -EINVAL;
        memcpy(&family, p, 4);
        if (family > 0xffff)
            family =
                family >> 24 | (family >> 8 & 0xff00) | (family << 8 & 0xff0000) | family << 24;
        *off = 4;
        type = family == 2 ? S_ETH_IPV4 : S_ETH_IPV6;
        if (family != 2 && family != 10 && family != 24 && family != 28 && family != 30)
            type = 0;
        break;
    default: /* DLT_RAW and its aliases */
        *off = 0;
        type = len && p[0] >> 4 == 4 ? S_ETH_IPV4 : S_ETH_IPV6;
        break;
    }
    *version = type == S_ETH_IPV4 ? 4 : type == S_ETH_IPV6 ? 6 : 0;
    return 0;
}

/* IPv4: the transport header and its length, the source address. */
static int s_ipv4(const uint8_t *p, size_t len, size_t *off, size_t *end, int *proto,
                  capture_query_t *q, const char **why)
{
    size_t ihl = (size_t)(p[0] & 0x0f) * 4, total;
    if (len < 20 || ihl < 20 || ihl > len || (total = s_be16(p + 2)) < ihl) {
        *why = "IPv4 header truncated or bad";
        return -EINVAL;
    }
    if (total > len) {
        *why = "IPv4 packet truncated";
        return -EINVAL;
    }
    if (s_be16(p + 6) & 0x1fff) {
        *why = "IPv4 fragment";
        return -EINVAL;
    }
    inet_ntop(AF_INET, p + 12, q->client, sizeof q->client);
    *proto = p[9];
    *off = ihl;
    *end = total; /* Ethernet pads short frames: the IP length counts */
    return 0;
}

/* IPv6: the same, past the extension headers. */
static int s_ipv6(const uint8_t *p, size_t len, size_t *off, size_t *end, int *proto,
                  capture_query_t *q, const char **why)
{
    if (len < 40 || p[0] >> 4 != 6) {
        *why = "IPv6 header truncated or bad";
        return -EINVAL;
    }
    *end = 40 + (size_t)s_be16(p + 4);
    if (*end > len) {
        *why = "IPv6 packet truncated";
        return -EINVAL;
    }
    int nh = p[6];
    size_t at = 40;
    for (int i = 0; i < 8 && (nh == 0 || nh == 43 || nh == 44 || nh == 60); i++) {
        if (at + 8 > *end) {
            *why = "IPv6 extension header truncated";
            return -EINVAL;
        }
        if (nh == 44 && (s_be16(p + at + 2) & 0xfff8)) {
            *why = "IPv6 fragment";
            return -EINVAL;
        }
        size_t hlen = nh == 44 ? 8 : ((size_t)p[at + 1] + 1) * 8;
        nh = p[at];
        at += hlen;
    }
    if (at > *end) {
        *why = "IPv6 extension header truncated";
        return -EINVAL;
    }
    inet_ntop(AF_INET6, p + 8, q->client, sizeof q->client);
    *proto = nh;
    *off = at;
    return 0;
}

/* UDP or TCP on port 53: the DNS message. Returns 0 (skip) for a TCP
 * segment without data. */
static int s_transport(int proto, const uint8_t *p, size_t len, const uint8_t **msg, size_t *mlen,
                       const char **why)
{
    size_t hlen = proto == IPPROTO_UDP ? 8 : 20;
    if (proto != IPPROTO_UDP && proto != IPPROTO_TCP) {
        *why = "not UDP or TCP";
        return -EINVAL;
    }
    if (len < hlen || (proto == IPPROTO_TCP && (hlen = (size_t)(p[12] >> 4) * 4) < 20) ||
        hlen > len) {
        *why = proto == IPPROTO_UDP ? "UDP header truncated" : "TCP header truncated or bad";
        return -EINVAL;
    }
    if (s_be16(p) != S_PORT && s_be16(p + 2) != S_PORT) {
        *why = "not DNS (neither port is 53)";
        return -EINVAL;
    }
    if (proto == IPPROTO_UDP) {
        size_t ulen = s_be16(p + 4);
        if (ulen < 8 || ulen > len) {
            *why = "UDP datagram truncated";
            return -EINVAL;
        }
        *msg = p + 8;
        *mlen = ulen - 8;
        return 1;
    }
    if (len == hlen)
        return 0;
    if (len - hlen < 2 || s_be16(p + hlen) > len - hlen - 2) {
        *why = "DNS message over TCP truncated";
        return -EINVAL;
    }
    *msg = p + hlen + 2;
    *mlen = s_be16(p + hlen);
    return 1;
}

/* One packet: 1 a query in *q, 0 skipped, -EINVAL bad with *why. */
static int s_packet(int dlt, const uint8_t *p, size_t len, capture_query_t *q, const char **why)
{
    size_t off, l4, end;
    int version, proto, rc;
    if (s_link(dlt, p, len, &off, &version) != 0) {
        *why = "link-layer header truncated";
        return -EINVAL;
    }
    if (version == 0) {
        *why = "not IP";
        return -EINVAL;
    }
    p += off;
    len -= off;
    rc = version == 4 ? s_ipv4(p, len, &l4, &end, &proto, q, why)
                      : s_ipv6(p, len, &l4, &end, &proto, q, why);
    if (rc != 0)
        return rc;
    const uint8_t *msg = NULL;
    size_t mlen = 0;
    if ((rc = s_transport(proto, p + l4, end - l4, &msg, &mlen, why)) <= 0)
        return rc;
    return capture_dns(msg, mlen, q, why);
}

static bool s_link_known(int dlt)
{
    return dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2 || dlt == DLT_NULL ||
           dlt == DLT_LOOP || dlt == DLT_RAW || dlt == DLT_IPV4 || dlt == DLT_IPV6;
}

int capture_each(FILE *f, capture_fn fn, capture_bad_fn bad, void *user, capture_counts_t *counts,
                 char *err, size_t errcap)
{
    char perr[PCAP_ERRBUF_SIZE] = "";
    pcap_t *pc = pcap_fopen_offline(f, perr);
    if (!pc) {
        fclose(f);
        snprintf(err, errcap, "not a capture libpcap can read: %s", perr);
        return -EINVAL;
    }
    int dlt = pcap_datalink(pc), rc = 0;
    if (!s_link_known(dlt)) {
        snprintf(err, errcap, "link type %s not supported", pcap_datalink_val_to_name(dlt));
        pcap_close(pc);
        return -EINVAL;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    unsigned long n = 0;
    while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
        capture_query_t q;
        const char *why = "?";
        n++;
        counts->packets++;
        int r = s_packet(dlt, data, h->caplen, &q, &why);
        if (r < 0) {
            counts->bad++;
            bad(user, n, why);
        } else if (r == 0) {
            counts->skipped++;
        } else {
            counts->queries++;
            q.time = (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6;
            if (fn(user, &q) != 0)
                break;
        }
    }
    if (rc == PCAP_ERROR) { /* a record cut short: bad input, the file ends there */
        counts->bad++;
        bad(user, n + 1, pcap_geterr(pc));
    }
    pcap_close(pc);
    return 0;
}
