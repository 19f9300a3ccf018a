/* lua/event.c - the hook's refusals as events. */
#include "event.h"

#include <bsd/string.h>
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "refusal.h"
#include "privacy.h"

int event_fields(char *out, size_t cap, unsigned qtype, const char *client, evidence_t evidence,
                 double bits, const event_refusal_t *refusal, const char *resolver)
{
    char qt[8], ev[32];
    snprintf(qt, sizeof qt, "%u", qtype);
    snprintf(ev, sizeof ev, "%s %.1f", engine_evidence_name(evidence), bits);
    const char *c = client[0] ? client : "-";
    if (refusal->action < 0)
        return snprintf(out, cap, "%s %s %s", qtype ? qt : "-", c, ev);
    return snprintf(out, cap, "%s %s %s %s %s %s", qtype ? qt : "-", c,
                    refusal->event_only ? "- -" : ev, refusal->reason,
                    events_action_name((event_action_t)refusal->action),
                    resolver[0] ? resolver : "-");
}

void event_host(char *out, size_t cap)
{
    if (gethostname(out, cap - 1) != 0 || strchr(out, ' '))
        strlcpy(out, "-", cap);
    out[cap - 1] = 0;
}

void event_refusal(event_refusal_t *r, const char *reason, const config_t *cfg, bool event_only)
{
    r->action = cfg->hook.mode == HOOK_MODE_MONITOR ? EVENT_WOULD_BLOCK : EVENT_REFUSED;
    r->event_only = event_only;
    /* a reason is one word (the fields are space-separated) */
    strlcpy(r->reason, reason && reason[0] ? reason : "-", sizeof r->reason);
    for (char *p = r->reason; *p; p++)
        if (*p == ' ' || (unsigned char)*p < 33 || (unsigned char)*p > 126)
            *p = '_';
}

int event_l_client(lua_State *L)
{
    static const char *const modes[] = {"full", "truncated", "none", NULL};
    const char *addr = luaL_checkstring(L, 1);
    int mode = luaL_checkoption(L, 2, "full", modes);
    char out[64];
    lua_pushstring(L, privacy_client(addr, (events_client_t)mode, out, sizeof out));
    return 1;
}
