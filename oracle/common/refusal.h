/* oracle/common/refusal.h - one refusal, as the layers pass it on.
 *
 * The protocol (a refusal a hook reported, a false verdict of the daemon)
 * and the hook's module make events; the store's events queue (store/
 * events.h) aggregates and writes them. This header is their common part,
 * without the queue or the database.
 */
#ifndef DNSORACLE_REFUSAL_H
#define DNSORACLE_REFUSAL_H

#include <stddef.h>
#include <string.h>
#include <time.h>

typedef enum { EVENT_REFUSED, EVENT_WOULD_BLOCK } event_action_t;

/* One refusal, read during events_push() only. */
typedef struct {
    time_t time;        /* seconds since the epoch */
    const char *client; /* the client's address as text; NULL, "" or "-": unknown */
    const char *qname;  /* the name as received (escaped \DDD when stored) */
    size_t qname_len;
    const char *domain; /* its registrable domain; NULL or "": none */
    size_t domain_len;
    unsigned qtype;     /* 0: unknown */
    const char *reason; /* engine_reason_name(), or the hook's reason */
    event_action_t action;
    const char *resolver; /* the resolver's host; NULL or "": this host */
} event_t;

/* "refused" or "would-block"; events_action_parse() returns the action of
 * such a word, or -1. Inline, for the protocol and the hook. */
static inline const char *events_action_name(event_action_t action)
{
    return action == EVENT_WOULD_BLOCK ? "would-block" : "refused";
}

static inline int events_action_parse(const char *word)
{
    if (!strcmp(word, "refused"))
        return EVENT_REFUSED;
    if (!strcmp(word, "would-block"))
        return EVENT_WOULD_BLOCK;
    return -1;
}

#endif
