/* oracle/engine/decision.c - the domain layer's rule: its defaults, the
 * decision and its reason text, pure functions of the evidence (domain.h);
 * the table that gathers the evidence is domain.c. */
#include "domain.h"

#include <bsd/string.h>
#include <stdio.h>
#include <string.h>

void domain_settings_default(domain_settings_t *s)
{
    memset(s, 0, sizeof *s);
    s->window_seconds = 3600;
    s->threshold = 10;
    s->weak_bits = 400;
    s->min_share = 0.3;
    s->bits_budget = 500000;
    s->few_clients = 3;
    s->clients_factor = 10;
    s->established_factor = 10;
    s->established_days = 3;
    s->repeat_factor = 10;
    s->drop_seconds = 86400;
    s->max_domains = 200000;
    s->max_names = 1000000;
}

bool domain_decide(const domain_settings_t *s, const domain_evidence_t *e)
{
    double f = 1;
    if (e->clients > s->few_clients)
        f *= s->clients_factor;
    if (e->established)
        f *= s->established_factor;
    /* Data is never asked for twice; a service's names are, again and again
     * (many hosts behind one forwarder, short TTLs). */
    double again = e->names > 0 ? 1 + e->repeats / e->names : 1;
    f *= again < s->repeat_factor ? again : s->repeat_factor;
    if (e->strong + e->weak >= s->threshold * f && e->flagged >= s->min_share * e->names)
        return true;
    /* Volume alone never cuts: a busy intranet or CDN domain asked through
     * one forwarder carries as many bits as a slow tunnel. The budget needs
     * a third of min_share's names with evidence too. */
    return e->bits >= s->bits_budget * f && e->flagged >= s->min_share / 3 * e->names;
}

int domain_reason(const domain_evidence_t *e, char *buf, size_t cap)
{
    char clients[32];
    if (e->clients == 0)
        strlcpy(clients, "clients unknown", sizeof clients);
    else
        snprintf(clients, sizeof clients, "%u%s client%s", e->clients,
                 e->clients >= DOMAIN_MAX_CLIENTS ? "+" : "", e->clients == 1 ? "" : "s");
    int n = snprintf(buf, cap,
                     "evidence: %.0f names, %.0f with evidence (%.0f strong, weak weighing %.1f), "
                     "%.0f bits, %.0f odd qtypes, %.0f repeats, %s%s",
                     e->names, e->flagged, e->strong, e->weak, e->bits, e->odd, e->repeats, clients,
                     e->established ? ", established" : "");
    if (n < 0)
        return 0;
    return (size_t)n >= cap ? (int)cap - 1 : n;
}
