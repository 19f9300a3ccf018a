/* oracle/engine/domain.c - the domain layer: evidence per registrable domain, over time. */
#include "domain.h"

#include <bsd/string.h>
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_SHARDS 16 /* locks: enough that workers rarely meet */
#define S_MAX_CLIENTS DOMAIN_MAX_CLIENTS
#define S_CUTS 256        /* cuts waiting for the drop list */
#define S_SAMPLE 4        /* entries looked at to choose one to evict */
#define S_NONE UINT32_MAX /* end of a chain, no entry */
#define S_DAY 86400.0

/* ---- the table ---------------------------------------------------------- */

typedef struct {
    uint64_t hash; /* of the domain text; 0 = free */
    char *domain;  /* `inline_name`, or a copy for longer names */
    uint32_t next; /* bucket chain, or the free list */
    bool listed;   /* on the established list */
    uint8_t nclients;
    uint16_t days;
    int32_t day; /* the last day with traffic */
    double last; /* the time the counters are decayed to */
    double cut_until;
    float names, flagged, strong, weak, bits, odd, repeats;
    uint64_t clients[S_MAX_CLIENTS];
    char inline_name[48]; /* most registrable domains fit: no malloc */
} s_entry_t;

static void s_free_name(s_entry_t *e)
{
    if (e->domain != e->inline_name)
        free(e->domain);
}

typedef struct {
    pthread_mutex_t lock;
    s_entry_t *entries;
    uint32_t cap, used, free_head;
    uint32_t *buckets; /* nbuckets, a power of two */
    uint32_t nbuckets;
    uint32_t cursor; /* where eviction samples next */
    /* Name fingerprints, two generations: a name is "seen" in either. */
    uint64_t *gen[2];
    uint32_t gen_cap, gen_limit, gen_used[2];
    int cur;
    double gen_start;
} s_shard_t;

struct domain {
    domain_settings_t s;
    uint64_t *established; /* sorted hashes */
    size_t nestablished;
    s_shard_t shards[S_SHARDS];
    pthread_mutex_t cut_lock;
    domain_evidence_t cuts[S_CUTS];
    size_t cut_head, cut_count;
};

/* FNV-1a, then a finaliser so that the low bits are well mixed. */
static uint64_t s_hash(const uint8_t *p, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h ? h : 1;
}

double domain_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t domain_client_hash(const char *text, size_t len)
{
    return s_hash((const uint8_t *)text, len);
}

static uint32_t s_pow2(uint64_t n)
{
    uint32_t c = 16;
    while (c < n && c < (1u << 30))
        c *= 2;
    return c;
}

static int s_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The established list's text: one domain a line, '#' comments. */
static int s_load_established(domain_t *self, const char *text)
{
    size_t cap = 0;
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char buf[NAME_MAX_TEXT + 2];
        size_t n = 0;
        for (size_t i = 0; i < len && line[i] != '#'; i++) {
            unsigned char c = (unsigned char)line[i];
            if (isspace(c)) {
                if (n)
                    break;
                continue;
            }
            if (n < sizeof buf - 1)
                buf[n++] = (char)tolower(c);
        }
        while (n && buf[n - 1] == '.')
            n--;
        if (n > 0 && n <= NAME_MAX_TEXT) {
            if (self->nestablished == cap) {
                cap = cap ? 2 * cap : 256;
                uint64_t *p = realloc(self->established, cap * sizeof *p);
                if (!p)
                    return -1;
                self->established = p;
            }
            self->established[self->nestablished++] = s_hash((const uint8_t *)buf, n);
        }
        line = nl ? nl + 1 : NULL;
    }
    if (self->nestablished)
        qsort(self->established, self->nestablished, sizeof(uint64_t), s_cmp_u64);
    return 0;
}

static bool s_is_established(const domain_t *self, uint64_t hash)
{
    return self->nestablished &&
           bsearch(&hash, self->established, self->nestablished, sizeof(uint64_t), s_cmp_u64);
}

domain_t *domain_new(const domain_settings_t *s, const char *established)
{
    domain_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->s = *s;
    pthread_mutex_init(&self->cut_lock, NULL);
    uint32_t per = s->max_domains / S_SHARDS + 1;
    uint32_t names = s->max_names / S_SHARDS / 2 + 1;
    for (int i = 0; i < S_SHARDS; i++) {
        s_shard_t *sh = &self->shards[i];
        pthread_mutex_init(&sh->lock, NULL);
        sh->cap = per;
        sh->nbuckets = s_pow2(per);
        sh->entries = calloc(per, sizeof *sh->entries);
        sh->buckets = malloc(sh->nbuckets * sizeof *sh->buckets);
        sh->gen_limit = names;
        sh->gen_cap = s_pow2(2 * (uint64_t)names);
        sh->gen[0] = calloc(sh->gen_cap, sizeof(uint64_t));
        sh->gen[1] = calloc(sh->gen_cap, sizeof(uint64_t));
        if (!sh->entries || !sh->buckets || !sh->gen[0] || !sh->gen[1])
            goto fail;
        memset(sh->buckets, 0xff, sh->nbuckets * sizeof *sh->buckets);
        for (uint32_t e = 0; e < per; e++)
            sh->entries[e].next = e + 1 < per ? e + 1 : S_NONE;
        sh->free_head = 0;
    }
    if (established && s_load_established(self, established) != 0)
        goto fail;
    return self;
fail:
    domain_destroy(&self);
    return NULL;
}

void domain_destroy(domain_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    domain_t *self = *self_p;
    for (int i = 0; i < S_SHARDS; i++) {
        s_shard_t *sh = &self->shards[i];
        for (uint32_t e = 0; sh->entries && e < sh->cap; e++)
            if (sh->entries[e].hash)
                s_free_name(&sh->entries[e]);
        free(sh->entries);
        free(sh->buckets);
        free(sh->gen[0]);
        free(sh->gen[1]);
        pthread_mutex_destroy(&sh->lock);
    }
    pthread_mutex_destroy(&self->cut_lock);
    free(self->established);
    free(self);
    *self_p = NULL;
}

/* ---- name fingerprints ---------------------------------------------------- */

static bool s_gen_has(const s_shard_t *sh, int g, uint64_t fp)
{
    for (uint32_t j = (uint32_t)fp & (sh->gen_cap - 1);; j = (j + 1) & (sh->gen_cap - 1)) {
        if (sh->gen[g][j] == fp)
            return true;
        if (!sh->gen[g][j])
            return false;
    }
}

static void s_gen_add(s_shard_t *sh, uint64_t fp)
{
    uint64_t *slots = sh->gen[sh->cur];
    uint32_t j = (uint32_t)fp & (sh->gen_cap - 1);
    while (slots[j] && slots[j] != fp)
        j = (j + 1) & (sh->gen_cap - 1);
    if (!slots[j]) {
        slots[j] = fp;
        sh->gen_used[sh->cur]++;
    }
}

/* Whether the name was seen within about a window; remembers it. A full
 * or old generation makes the older one the new one, emptied. */
static bool s_seen(s_shard_t *sh, uint64_t fp, double now, double window)
{
    if (sh->gen_used[sh->cur] >= sh->gen_limit || now - sh->gen_start >= window ||
        now < sh->gen_start) {
        sh->cur = 1 - sh->cur;
        memset(sh->gen[sh->cur], 0, sh->gen_cap * sizeof(uint64_t));
        sh->gen_used[sh->cur] = 0;
        sh->gen_start = now;
    }
    bool seen = s_gen_has(sh, sh->cur, fp);
    if (!seen) {
        seen = s_gen_has(sh, 1 - sh->cur, fp);
        s_gen_add(sh, fp);
    }
    return seen;
}

/* ---- entries ---------------------------------------------------------------- */

static void s_decay(const domain_settings_t *s, s_entry_t *e, double now)
{
    if (now <= e->last)
        return;
    float f = (float)exp(-(now - e->last) / s->window_seconds);
    e->names *= f;
    e->flagged *= f;
    e->strong *= f;
    e->weak *= f;
    e->bits *= f;
    e->odd *= f;
    e->repeats *= f;
    e->last = now;
}

/* The figures of an entry, without its name (the decision needs none). */
static void s_figures(const domain_t *self, const s_entry_t *e, domain_evidence_t *out)
{
    out->names = e->names;
    out->flagged = e->flagged;
    out->strong = e->strong;
    out->weak = e->weak;
    out->bits = e->bits;
    out->odd = e->odd;
    out->repeats = e->repeats;
    out->clients = e->nclients;
    out->days = e->days;
    out->established = e->listed || e->days >= self->s.established_days;
    out->cut = false;
}

static void s_fill(const domain_t *self, const s_entry_t *e, domain_evidence_t *out)
{
    s_figures(self, e, out);
    strlcpy(out->domain, e->domain, sizeof out->domain);
}

static uint32_t s_find(const s_shard_t *sh, uint64_t hash, const char *dom, size_t len)
{
    for (uint32_t i = sh->buckets[hash & (sh->nbuckets - 1)]; i != S_NONE;
         i = sh->entries[i].next) {
        const s_entry_t *e = &sh->entries[i];
        if (e->hash == hash && strncmp(e->domain, dom, len) == 0 && e->domain[len] == 0)
            return i;
    }
    return S_NONE;
}

static void s_unlink(s_shard_t *sh, uint32_t i)
{
    uint32_t *p = &sh->buckets[sh->entries[i].hash & (sh->nbuckets - 1)];
    while (*p != i)
        p = &sh->entries[*p].next;
    *p = sh->entries[i].next;
    s_free_name(&sh->entries[i]);
    memset(&sh->entries[i], 0, sizeof sh->entries[i]);
    sh->entries[i].next = sh->free_head;
    sh->free_head = i;
    sh->used--;
}

/* Frees the entry with the least evidence of S_SAMPLE (cut ones are kept:
 * their cut must last). */
static void s_evict(const domain_t *self, s_shard_t *sh, double now)
{
    uint32_t victim = S_NONE;
    double least = 0;
    /* neighbouring entries (cache lines the hardware fetches ahead), the
     * value of each its evidence over its age in windows */
    for (int k = 0; k < S_SAMPLE * 4 && k < (int)sh->cap * 2; k++) {
        uint32_t i = sh->cursor++ % sh->cap;
        const s_entry_t *e = &sh->entries[i];
        if (!e->hash || e->cut_until > now)
            continue;
        double age = now > e->last ? (now - e->last) / self->s.window_seconds : 0;
        double value = (e->strong + e->weak + e->bits / self->s.bits_budget * self->s.threshold +
                        e->names * 0.01) /
                       (1 + age);
        if (victim == S_NONE || value < least) {
            victim = i;
            least = value;
        }
        if (k >= S_SAMPLE && victim != S_NONE)
            break;
    }
    if (victim != S_NONE)
        s_unlink(sh, victim);
}

/* The entry of a domain, made if needed (NULL only when the table is full
 * of cut domains or out of memory). */
static s_entry_t *s_entry(const domain_t *self, s_shard_t *sh, uint64_t hash, const char *dom,
                          size_t len, double now)
{
    uint32_t i = s_find(sh, hash, dom, len);
    if (i != S_NONE)
        return &sh->entries[i];
    if (sh->free_head == S_NONE)
        s_evict(self, sh, now);
    if (sh->free_head == S_NONE)
        return NULL;
    i = sh->free_head;
    s_entry_t *e = &sh->entries[i];
    char *copy = len < sizeof e->inline_name ? e->inline_name : strndup(dom, len);
    if (!copy)
        return NULL;
    sh->free_head = e->next;
    memset(e, 0, sizeof *e);
    if (copy == e->inline_name) {
        memcpy(e->inline_name, dom, len);
        e->inline_name[len] = 0;
    }
    e->hash = hash;
    e->domain = copy;
    e->last = now;
    e->day = -1;
    e->listed = s_is_established(self, hash);
    uint32_t b = hash & (sh->nbuckets - 1);
    e->next = sh->buckets[b];
    sh->buckets[b] = i;
    sh->used++;
    return e;
}

static void s_queue_cut(domain_t *self, const domain_evidence_t *ev)
{
    pthread_mutex_lock(&self->cut_lock);
    if (self->cut_count == S_CUTS) { /* the oldest goes: the timer finds it again */
        self->cut_head = (self->cut_head + 1) % S_CUTS;
        self->cut_count--;
    }
    self->cuts[(self->cut_head + self->cut_count++) % S_CUTS] = *ev;
    pthread_mutex_unlock(&self->cut_lock);
}

bool domain_take_cut(domain_t *self, domain_evidence_t *e)
{
    pthread_mutex_lock(&self->cut_lock);
    bool any = self->cut_count > 0;
    if (any) {
        *e = self->cuts[self->cut_head];
        self->cut_head = (self->cut_head + 1) % S_CUTS;
        self->cut_count--;
    }
    pthread_mutex_unlock(&self->cut_lock);
    return any;
}

/* Names that cannot be a channel through a recursive resolver, or are not
 * one domain: the root and public suffixes (no registrable domain), DNS-SD
 * service labels in the registrable place (`_tcp.local`), and special-use
 * names no public server answers (RFC 6761: local, localhost, invalid). */
static bool s_skip(const name_t *name, size_t reg)
{
    if (reg >= name->nlabels)
        return true;
    if (name->len[reg] > 0 && name->lower[name->off[reg]] == '_')
        return true;
    size_t last = name->nlabels - 1;
    const char *tld = (const char *)name->lower + name->off[last];
    size_t n = name->len[last];
    return (n == 5 && memcmp(tld, "local", 5) == 0) ||
           (n == 9 && memcmp(tld, "localhost", 9) == 0) ||
           (n == 7 && memcmp(tld, "invalid", 7) == 0);
}

static bool s_odd_qtype(unsigned qtype)
{
    /* CNAME 5, NULL 10, MX 15, TXT 16, ANY 255: what tunnels ask for */
    return qtype == 5 || qtype == 10 || qtype == 15 || qtype == 16 || qtype == 255;
}

static void s_add_client(s_entry_t *e, uint64_t client)
{
    if (!client || e->nclients >= S_MAX_CLIENTS)
        return;
    for (unsigned i = 0; i < e->nclients; i++)
        if (e->clients[i] == client)
            return;
    e->clients[e->nclients++] = client;
}

static s_shard_t *s_shard(domain_t *self, uint64_t hash)
{
    return &self->shards[(hash >> 40) % S_SHARDS];
}

domain_result_t domain_observe(domain_t *self, const domain_obs_t *obs, domain_evidence_t *ev)
{
    const name_t *name = obs->name;
    size_t reg = obs->registrable;
    if (s_skip(name, reg))
        return DOMAIN_SKIP;
    const char *dom = (const char *)name->lower + name->off[reg];
    size_t dlen = name->length - name->off[reg];
    uint64_t hash = s_hash((const uint8_t *)dom, dlen);
    uint64_t fp = s_hash(name->lower, name->length);
    double now = obs->now;
    s_shard_t *sh = s_shard(self, hash);
    domain_result_t result = DOMAIN_PASS;
    /* The table is far bigger than the caches: start the three memory
     * reads that miss (the bucket, a slot of each generation) together. */
    __builtin_prefetch(&sh->buckets[hash & (sh->nbuckets - 1)]);
    __builtin_prefetch(&sh->gen[0][(uint32_t)fp & (sh->gen_cap - 1)]);
    __builtin_prefetch(&sh->gen[1][(uint32_t)fp & (sh->gen_cap - 1)]);

    pthread_mutex_lock(&sh->lock);
    s_entry_t *e = s_entry(self, sh, hash, dom, dlen, now);
    if (!e) {
        pthread_mutex_unlock(&sh->lock);
        return DOMAIN_SKIP;
    }
    s_decay(&self->s, e, now);
    s_add_client(e, obs->client);
    int32_t day = (int32_t)floor(now / S_DAY);
    if (day != e->day) {
        e->day = day;
        e->days += e->days < UINT16_MAX;
    }
    bool fresh = !s_seen(sh, fp, now, self->s.window_seconds);
    if (!fresh)
        e->repeats += 1;
    if (fresh) {
        bool odd = s_odd_qtype(obs->qtype);
        e->names += 1;
        e->bits += (float)obs->bits;
        e->odd += odd;
        if (obs->evidence == EVIDENCE_STRONG) {
            e->strong += 1;
            e->flagged += 1;
        } else if (obs->evidence == EVIDENCE_WEAK) {
            double w = obs->bits / self->s.weak_bits * (odd ? 2 : 1);
            e->weak += (float)(w < 1 ? w : 1);
            e->flagged += 1;
        }
    }
    domain_evidence_t local;
    if (e->cut_until > now) {
        result = DOMAIN_CUT;
    } else if (fresh) {
        s_figures(self, e, &local);
        if (domain_decide(&self->s, &local)) {
            strlcpy(local.domain, e->domain, sizeof local.domain);
            e->cut_until = now + self->s.drop_seconds;
            local.cut = true;
            result = DOMAIN_CUT_NOW;
            if (ev)
                *ev = local;
        }
    }
    pthread_mutex_unlock(&sh->lock);
    if (result == DOMAIN_CUT_NOW)
        s_queue_cut(self, &local);
    return result;
}

bool domain_is_cut(domain_t *self, const name_t *name, size_t reg, double now)
{
    if (s_skip(name, reg))
        return false;
    const char *dom = (const char *)name->lower + name->off[reg];
    size_t dlen = name->length - name->off[reg];
    uint64_t hash = s_hash((const uint8_t *)dom, dlen);
    s_shard_t *sh = s_shard(self, hash);
    pthread_mutex_lock(&sh->lock);
    uint32_t i = s_find(sh, hash, dom, dlen);
    bool cut = i != S_NONE && sh->entries[i].cut_until > now;
    pthread_mutex_unlock(&sh->lock);
    return cut;
}

size_t domain_export(domain_t *self, double now, size_t max, domain_each_fn fn, void *arg)
{
    size_t given = 0;
    double floor_bits = self->s.bits_budget / 10;
    for (int i = 0; i < S_SHARDS && given < max; i++) {
        s_shard_t *sh = &self->shards[i];
        pthread_mutex_lock(&sh->lock);
        for (uint32_t k = 0; k < sh->cap && given < max; k++) {
            s_entry_t copy = sh->entries[k];
            if (!copy.hash)
                continue;
            s_decay(&self->s, &copy, now);
            if (copy.strong + copy.weak < 0.01 && copy.bits < floor_bits)
                continue;
            domain_evidence_t ev;
            s_fill(self, &copy, &ev);
            ev.cut = copy.cut_until > now;
            fn(arg, &ev);
            given++;
        }
        pthread_mutex_unlock(&sh->lock);
    }
    return given;
}

bool domain_merge(domain_t *self, const domain_evidence_t *sum, double now)
{
    size_t len = strnlen(sum->domain, sizeof sum->domain);
    if (len == 0 || len > NAME_MAX_TEXT)
        return false;
    uint64_t hash = s_hash((const uint8_t *)sum->domain, len);
    s_shard_t *sh = s_shard(self, hash);
    bool cut = false;
    domain_evidence_t ev = *sum;
    pthread_mutex_lock(&sh->lock);
    s_entry_t *e = s_entry(self, sh, hash, sum->domain, len, now);
    if (e) {
        if (sum->days > e->days)
            e->days = (uint16_t)(sum->days < UINT16_MAX ? sum->days : UINT16_MAX);
        ev.established = sum->established || e->listed || e->days >= self->s.established_days;
        if (e->cut_until <= now && domain_decide(&self->s, &ev)) {
            e->cut_until = now + self->s.drop_seconds;
            ev.cut = cut = true;
        }
    }
    pthread_mutex_unlock(&sh->lock);
    if (cut)
        s_queue_cut(self, &ev);
    return cut;
}

size_t domain_count(domain_t *self)
{
    size_t n = 0;
    for (int i = 0; i < S_SHARDS; i++) {
        pthread_mutex_lock(&self->shards[i].lock);
        n += self->shards[i].used;
        pthread_mutex_unlock(&self->shards[i].lock);
    }
    return n;
}

size_t domain_memory(const domain_t *self)
{
    size_t bytes = sizeof *self + self->nestablished * sizeof(uint64_t);
    for (int i = 0; i < S_SHARDS; i++) {
        const s_shard_t *sh = &self->shards[i];
        /* an entry, and a copy (with malloc's overhead) of a long name */
        bytes += (size_t)sh->cap * (sizeof(s_entry_t) + NAME_MAX_TEXT + 1 + 16);
        bytes += (size_t)sh->nbuckets * sizeof(uint32_t);
        bytes += 2 * (size_t)sh->gen_cap * sizeof(uint64_t);
    }
    return bytes;
}
