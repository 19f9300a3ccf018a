/* lua/event.h - the hook's refusals as events: the \0report fields frame
 * and the client address as the hook may log it.
 *
 * Kept apart from module.c (the sockets, the engine, the Lua methods): a
 * refusal travels in the same \0report batches as every judged name, with
 * the 7-field form of the fields frame (docs/protocol.md), so the resolver
 * never waits for it either.
 */
#ifndef DNSORACLE_LUA_EVENT_H
#define DNSORACLE_LUA_EVENT_H

#include <lua.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "engine.h"

/* What a refusal adds to a report; action < 0: the name was not refused. */
typedef struct {
    int action;      /* event_action_t (oracle/common/refusal.h), or -1 */
    bool event_only; /* answered from the hook's cache: not for the domain layer */
    char reason[32]; /* the reason it was refused for */
} event_refusal_t;

/* Writes the fields frame of one reported name into out (cap bytes) and
 * returns its length: "QTYPE CLIENT EVIDENCE BITS", and for a refusal
 * "REASON ACTION RESOLVER" after it (EVIDENCE and BITS "-" when the
 * refusal is an event only). qtype 0 and client "" are unknown ("-"). */
int event_fields(char *out, size_t cap, unsigned qtype, const char *client, evidence_t evidence,
                 double bits, const event_refusal_t *refusal, const char *resolver);

/* Fills *r for a name refused for `reason`: the action is cfg's [hook]
 * mode's (would-block in monitor mode). */
void event_refusal(event_refusal_t *r, const char *reason, const config_t *cfg, bool event_only);

/* This host's name, the resolver of the events, or "-" (cap bytes). */
void event_host(char *out, size_t cap);

/* The Lua function dnsoracle_c.client(address, mode): what of the address
 * the hook's log line shows, by [events] client ("full", "truncated" or
 * "none"; privacy.h): the address, its /24 or /56, or "-". */
int event_l_client(lua_State *L);

#endif
