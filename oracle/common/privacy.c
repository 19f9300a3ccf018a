/* oracle/common/privacy.c - what of a client's address is kept. */
#include "privacy.h"

#include <arpa/inet.h>
#include <bsd/string.h>
#include <string.h>

const char *privacy_client(const char *addr, events_client_t mode, char *out, size_t cap)
{
    strlcpy(out, "-", cap);
    if (!addr || !addr[0] || !strcmp(addr, "-") || mode == EVENTS_CLIENT_NONE)
        return out;
    if (mode == EVENTS_CLIENT_FULL) {
        strlcpy(out, addr, cap);
        return out;
    }
    char text[INET6_ADDRSTRLEN + 1];
    strlcpy(text, addr, sizeof text);
    text[strcspn(text, "%")] = 0; /* a zone names an interface, not a network */
    unsigned char bytes[16];
    if (inet_pton(AF_INET, text, bytes) == 1) {
        bytes[3] = 0;
        inet_ntop(AF_INET, bytes, text, sizeof text);
    } else if (inet_pton(AF_INET6, text, bytes) == 1) {
        memset(bytes + 7, 0, 9); /* the first 56 bits are 7 bytes */
        inet_ntop(AF_INET6, bytes, text, sizeof text);
    } else {
        return out;
    }
    strlcpy(out, text, cap);
    return out;
}
