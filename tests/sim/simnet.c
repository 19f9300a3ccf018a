/* tests/sim/simnet.c - dnsoracle_simnet: the query log of a simulated network.
 *
 *   dnsoracle_simnet [-s SEED] [-H HOSTS] [-d HOURS] [-t DIR] [-T N] [-b DIR] [-f]
 *                    [-l LABELS] [-o LOG]
 *
 * Writes what a resolver of a company network would log over HOURS (default
 * 24): lines `UNIX_TIME CLIENT QNAME QTYPE` in time order, from HOSTS clients
 * (text addresses in 10.20.0.0/16; nothing is sent anywhere). The replay tool
 * feeds it to the engine's per-domain layer to measure two things at once:
 * the benign domains it would wrongly block and the tunnels it would miss.
 * So the benign side is built from the traps a per-domain rule falls into, at
 * a realistic volume and repetition (a host asks the same names again and
 * again, most of the lines are repeats):
 *
 * - popular parents with thousands of distinct machine names a day (apple.com
 *   push couriers and `p12-buy.itunes`, Microsoft delivery-optimisation nodes,
 *   akadns.net CNAME targets, google.com services): a count of names per
 *   parent alone blocks them;
 * - CDN and video nodes (nflxvideo.net, googlevideo.com, fbcdn.net,
 *   cloudfront.net, akamaiedge.net, Twitch playback) with ids in their names;
 * - connectivity checks (msftncsi.com, captive.apple.com, gstatic.com) that
 *   every host repeats all day;
 * - the company's own domain (example-corp.com): two thousand host names,
 *   Active Directory SRV names, and DNS-SD names (UUIDs, `Living\032Room`)
 *   leaked from `.local` to the unicast resolver;
 * - services that carry data in names by design, as tunnels do: anti-virus
 *   hash look-ups (Sophos, McAfee GTI, Avast), DNSBL look-ups of two mail
 *   servers (Spamhaus, SpamCop, Team Cymru), telemetry ids (footprintdns.com,
 *   permutive.app, Qualtrics), reverse look-ups;
 * - a long tail of sites, some seen by one or two hosts only (from the names
 *   of -b DIR when given, otherwise from a built-in word list).
 *
 * Against that, -T tunnel sessions (default 8), each from one infected host
 * under a fresh registrable domain, at the tools' own rhythm: bursts of 5-50
 * queries a second with polls (iodine-, dns2tcp-, Sliver- and TUNS-like
 * tools, or instead the captures of -t DIR; dnscat2-like always), and always
 * a Cobalt-Strike-like beacon every minute for hours (low and slow).
 * Captured names keep everything but their parent, so a detector cannot
 * score well by having learnt the development set's parents.
 *
 * -l LABELS writes `LABEL<TAB>NAME` for every distinct name of the log, e.g.
 * `benign:cdn` or `tunnel:iodine` (a name from both sides is a tunnel's). The
 * output depends on the options and the seed only: the PRNG is our own
 * (splitmix64), time starts at 2026-01-01 00:00 UTC, and every part of the
 * network draws from its own stream, so adding tunnel sessions does not move
 * the benign traffic. Names of the data directories are read at run time and
 * never built in (their licence asks for that).
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define EPOCH 1767225600LL /* 2026-01-01 00:00 UTC */
#define HOUR_MS 3600000LL
#define NAME_CAP 512 /* captured names can exceed 253 bytes (raw bytes as UTF-8) */
#define MAX_PICKS 64
#define MAX_TOOLS 32
#define MAX_LABELS (16 + MAX_TOOLS)
#define FORWARDER "10.20.255.53"

typedef struct {
    uint64_t s;
} rng_t;

enum { QT_A, QT_AAAA, QT_TXT, QT_NULL, QT_CNAME, QT_MX, QT_SRV, QT_PTR, QT_HTTPS };
static const char *const s_qtypes[] = {"A",  "AAAA", "TXT", "NULL", "CNAME",
                                       "MX", "SRV",  "PTR", "HTTPS"};

/* Benign labels come first; tunnel labels follow, one per tool, so "a tunnel
 * label wins" is a comparison with L_BENIGN. */
enum {
    L_POPULAR,
    L_CONNECTIVITY,
    L_CDN,
    L_TELEMETRY,
    L_INTRANET,
    L_DNSSD,
    L_AV,
    L_DNSBL,
    L_PTR,
    L_LONGTAIL,
    L_BENIGN
};
static const char *const s_benign_labels[L_BENIGN] = {
    "benign:popular", "benign:connectivity", "benign:cdn",   "benign:telemetry", "benign:intranet",
    "benign:dnssd",   "benign:av",           "benign:dnsbl", "benign:ptr",       "benign:longtail"};

/* What a host is decides which profiles it takes part in. */
enum {
    K_WIN = 1,
    K_MAC = 2,
    K_IOS = 4,
    K_ANDROID = 8,
    K_LINUX = 16,
    K_MAIL = 32,
    K_SOPHOS = 64,
    K_MCAFEE = 128,
    K_AVAST = 256
};
#define K_CLIENTS (K_WIN | K_MAC | K_IOS | K_ANDROID | K_LINUX)
#define K_APPLE (K_MAC | K_IOS)

/* Streams: every part of the network draws from its own. */
enum {
    R_HOSTS = 1,
    R_POOL,
    R_PROFILE,
    R_CHECKS,
    R_LONGTAIL,
    R_SITE,
    R_MAIL,
    R_PTR,
    R_TUNNEL,
    R_DATA
};

typedef struct {
    unsigned kind;
    double activity; /* how busy its user is, 1 = typical */
    double night;    /* share of the daytime rate left at night */
    bool aaaa;       /* asks AAAA beside A */
    bool https;      /* asks HTTPS beside A (Apple systems, Chrome) */
    char addr[20];
} host_t;

typedef struct {
    char *text;
    uint64_t hash;
    int label;
    uint32_t lines;
} name_t;

typedef struct {
    int64_t ms;
    uint32_t seq; /* tie-break, so equal times keep generation order */
    uint32_t name;
    uint32_t client;
    uint32_t qtype;
} event_t;

typedef struct {
    char **v;
    size_t n, cap;
} strvec_t;

enum { T_CAPTURE, T_IODINE, T_DNSCAT2, T_DNS2TCP, T_SLIVER, T_TUNS, T_COBALT };

typedef struct {
    char *label;       /* "tunnel:iodine" */
    int kind;          /* T_CAPTURE: names from a file */
    int qtype;         /* T_CAPTURE: the query type the tool uses */
    strvec_t prefixes; /* T_CAPTURE: the names without their registrable parent */
} tool_t;

typedef struct {
    const tool_t *tool;
    char parent[64];
    int qtype;
    bool dnscat_prefix;
    char d2t_id[8];
    size_t line;   /* next captured name: line * stride + base, modulo the file's names */
    size_t stride; /* coprime with the file's names: every name at most once */
    size_t base;
} session_t;

typedef struct {
    uint64_t seed;
    int hosts, hours, sessions;
    bool forwarder;
    const char *tunnel_dir, *benign_dir, *labels_path, *out_path;
    int64_t end_ms;
    double days; /* HOURS / 24: daily volumes scale with it */
    host_t *host;
    name_t *names;
    size_t nnames, names_cap;
    uint32_t *table; /* open addressing, name index + 1 */
    size_t table_cap;
    event_t *ev;
    size_t nev, ev_cap;
    const char *label[MAX_LABELS];
    int nlabels;
    tool_t tool[MAX_TOOLS];
    int ntools;
    strvec_t longtail; /* names of -b DIR */
    strvec_t domains;  /* registrable domains of -b DIR (top-sites.txt) */
    char parents[64][64];
    int nparents;
} sim_t;

/* ---- utilities ---- */

/* A generator of test data has nothing sensible to do without memory. */
static void *s_alloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q) {
        fprintf(stderr, "dnsoracle_simnet: out of memory\n");
        exit(1);
    }
    return q;
}

static char *s_strdup(const char *s)
{
    size_t len = strlen(s) + 1;
    return memcpy(s_alloc(NULL, len), s, len);
}

static void s_push(strvec_t *vec, char *s)
{
    if (vec->n == vec->cap) {
        vec->cap = vec->cap ? vec->cap * 2 : 1024;
        vec->v = s_alloc(vec->v, vec->cap * sizeof *vec->v);
    }
    vec->v[vec->n++] = s;
}

static void s_strvec_free(strvec_t *vec)
{
    for (size_t i = 0; i < vec->n; i++)
        free(vec->v[i]);
    free(vec->v);
    *vec = (strvec_t){0};
}

static uint64_t s_next(rng_t *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static rng_t s_stream(uint64_t seed, unsigned tag, uint64_t id)
{
    rng_t r = {seed ^ ((uint64_t)tag << 56) ^ (id * 0xd1342543de82ef95ULL)};
    s_next(&r);
    r.s ^= s_next(&r);
    return r;
}

/* Uniform in [0, 1). */
static double s_unit(rng_t *r) { return (double)(s_next(r) >> 11) * 0x1.0p-53; }

static uint32_t s_below(rng_t *r, uint32_t n) { return n ? (uint32_t)(s_unit(r) * n) : 0; }

static int s_range(rng_t *r, int lo, int hi)
{
    return lo + (int)s_below(r, (uint32_t)(hi - lo + 1));
}

/* An index in [0, n) that favours the head: a few items are asked by
 * everybody, the rest by a few. */
static size_t s_skewed(rng_t *r, size_t n, double power)
{
    size_t i = (size_t)((double)n * pow(s_unit(r), power));
    return i < n ? i : n - 1;
}

/* Exponential with the given mean: the gaps of a Poisson process. */
static double s_exp(rng_t *r, double mean) { return -log(1.0 - s_unit(r)) * mean; }

static uint64_t s_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

/* ---- names and events ---- */

static uint32_t s_intern(sim_t *sim, const char *text, int label)
{
    uint64_t h = s_hash(text);
    if (sim->nnames * 2 >= sim->table_cap) {
        size_t cap = sim->table_cap ? sim->table_cap * 2 : 1 << 16;
        uint32_t *table = s_alloc(NULL, cap * sizeof *table);
        memset(table, 0, cap * sizeof *table);
        for (size_t i = 0; i < sim->nnames; i++) {
            size_t j = sim->names[i].hash & (cap - 1);
            while (table[j])
                j = (j + 1) & (cap - 1);
            table[j] = (uint32_t)i + 1;
        }
        free(sim->table);
        sim->table = table;
        sim->table_cap = cap;
    }
    size_t j = h & (sim->table_cap - 1);
    for (; sim->table[j]; j = (j + 1) & (sim->table_cap - 1)) {
        name_t *n = &sim->names[sim->table[j] - 1];
        if (n->hash == h && strcmp(n->text, text) == 0) {
            if (label >= L_BENIGN && n->label < L_BENIGN)
                n->label = label; /* the tunnel label wins */
            return sim->table[j] - 1;
        }
    }
    if (sim->nnames == sim->names_cap) {
        sim->names_cap = sim->names_cap ? sim->names_cap * 2 : 1 << 15;
        sim->names = s_alloc(sim->names, sim->names_cap * sizeof *sim->names);
    }
    sim->names[sim->nnames] = (name_t){s_strdup(text), h, label, 0};
    sim->table[j] = (uint32_t)sim->nnames + 1;
    return (uint32_t)sim->nnames++;
}

/* One log line. Nothing outside the simulated time is kept, and a name
 * becomes known only with its first line, so every labelled name is logged. */
static void s_emit(sim_t *sim, int64_t ms, uint32_t client, const char *name, int qtype, int label)
{
    if (ms < 0 || ms >= sim->end_ms)
        return;
    uint32_t id = s_intern(sim, name, label);
    if (sim->nev == sim->ev_cap) {
        sim->ev_cap = sim->ev_cap ? sim->ev_cap * 2 : 1 << 18;
        sim->ev = s_alloc(sim->ev, sim->ev_cap * sizeof *sim->ev);
    }
    sim->ev[sim->nev] = (event_t){ms, (uint32_t)sim->nev, id, client, (uint32_t)qtype};
    sim->nev++;
    sim->names[id].lines++;
}

/* Office hours: the day's shape, 0 at night and 1 from 8:00 to 18:00. */
static double s_day_shape(double hour)
{
    if (hour < 6)
        return 0;
    if (hour < 8)
        return (hour - 6) / 2;
    if (hour < 18)
        return hour >= 12 && hour < 13 ? 0.8 : 1;
    if (hour < 23)
        return 1 - 0.85 * (hour - 18) / 5;
    return 0.1;
}

/* A moment of the simulation, drawn by thinning against the day's shape;
 * night > 0 is what is left of the activity at night, so this ends. */
static int64_t s_when(const sim_t *sim, rng_t *r, double night)
{
    for (;;) {
        int64_t ms = (int64_t)(s_unit(r) * (double)sim->end_ms);
        double hour = fmod((double)ms / HOUR_MS, 24);
        if (s_unit(r) < night + (1 - night) * s_day_shape(hour))
            return ms;
    }
}

static bool s_ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* A host resolves a name as its system would: the query type follows from
 * the name (SRV for AD services, PTR for reverse and DNS-SD browsing), and
 * for addresses many systems ask AAAA, and Apple systems HTTPS, beside A. */
static void s_resolve(sim_t *sim, rng_t *r, uint32_t h, int64_t ms, const char *name, int label)
{
    const host_t *host = &sim->host[h];
    bool dnssd = strstr(name, "._tcp.local") || strstr(name, "._udp.local");
    if (s_ends_with(name, ".in-addr.arpa") || strstr(name, "._dns-sd._udp.") ||
        (dnssd && name[0] == '_')) {
        s_emit(sim, ms, h, name, QT_PTR, label);
    } else if (dnssd) {
        s_emit(sim, ms, h, name, QT_SRV, label);
        s_emit(sim, ms + 1, h, name, QT_TXT, label);
    } else if (name[0] == '_') {
        s_emit(sim, ms, h, name, QT_SRV, label);
    } else {
        /* look-up services (anti-virus, the company's own names) ask A only;
         * HTTPS records are what browsers and Apple's network stack ask */
        bool lookup = label == L_AV || label == L_INTRANET || label == L_DNSBL;
        bool web = label == L_POPULAR || label == L_CDN || label == L_LONGTAIL;
        s_emit(sim, ms, h, name, QT_A, label);
        if (host->aaaa && !lookup)
            s_emit(sim, ms + s_range(r, 0, 2), h, name, QT_AAAA, label);
        if (host->https && web)
            s_emit(sim, ms + s_range(r, 0, 3), h, name, QT_HTTPS, label);
    }
}

/* ---- templates ---- */

static const char *const s_words[] = {
    "alpha",  "amber",   "anchor", "apex",   "arrow",   "atlas",   "aurora", "badger",  "banner",
    "beacon", "birch",   "blue",   "bolt",   "bridge",  "bright",  "brook",  "canyon",  "cedar",
    "cloud",  "clover",  "cobalt", "comet",  "coral",   "cosmo",   "crest",  "crown",   "delta",
    "desert", "drift",   "eagle",  "echo",   "ember",   "falcon",  "fern",   "field",   "flint",
    "forest", "fox",     "frost",  "garden", "giant",   "glacier", "gold",   "granite", "green",
    "harbor", "hawk",    "hazel",  "hill",   "horizon", "iron",    "island", "ivory",   "jade",
    "jet",    "juniper", "kite",   "lake",   "lantern", "leaf",    "light",  "lime",    "lotus",
    "lunar",  "maple",   "marble", "meadow", "mesa",    "metro",   "mint",   "moon",    "nova",
    "oak",    "ocean",   "olive",  "onyx",   "orbit",   "otter",   "palm",   "peak",    "pearl",
    "pine",   "pixel",   "planet", "polar",  "prairie", "prime",   "quartz", "rain",    "raven",
    "reef",   "ridge",   "river",  "rock",   "rose",    "ruby",    "sage",   "sand",    "shadow",
    "shore",  "silver",  "sky",    "slate",  "snow",    "solar",   "spark",  "spring",  "star",
    "stone",  "storm",   "summit", "sun",    "swift",   "tiger",   "timber", "trail",   "tulip",
    "valley", "vista",   "wave",   "willow", "wind",    "winter",  "wolf",   "zen",     "bakery",
    "books",  "travel",  "media",  "shop",   "news",    "music",   "photo",  "games",   "health"};
static const char *const s_airports[] = {"iah", "dfw", "lax", "sea", "ord", "atl", "mia", "jfk",
                                         "iad", "sjc", "den", "bos", "fra", "ams", "lhr", "cdg",
                                         "mad", "mxp", "waw", "arn", "sin", "nrt", "syd", "gru"};
static const char *const s_regions[] = {
    "us-east-1",    "us-east-2",  "us-west-1",  "us-west-2",      "eu-west-1",      "eu-west-2",
    "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1", "ap-southeast-2", "sa-east-1"};
static const char *const s_tlds[] = {"com", "com", "com",    "net",  "org", "de", "co.uk",
                                     "fr",  "nl",  "io",     "info", "ca",  "it", "es",
                                     "pl",  "se",  "com.au", "ch",   "be",  "at"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(r, a) ((a)[s_below((r), (uint32_t)COUNT(a))])

static const char s_hex[] = "0123456789abcdef";
static const char s_alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
static const char s_base32[] = "abcdefghijklmnopqrstuvwxyz234567";

typedef struct {
    char *p;
    size_t left;
} out_t;

static void s_put(out_t *o, const char *s, size_t len)
{
    if (len >= o->left)
        len = o->left - 1; /* the caller's buffer is the limit, silently */
    memcpy(o->p, s, len);
    o->p += len;
    o->left -= len;
    *o->p = '\0';
}

static void s_put_random(out_t *o, rng_t *r, const char *alphabet, int count)
{
    size_t n = strlen(alphabet);
    for (int i = 0; i < count; i++)
        s_put(o, &alphabet[s_below(r, (uint32_t)n)], 1);
}

/* One {token} of a template: w word, a airport, r region, u UUID, hN/zN/bN
 * N hex/alphanumeric/base32 characters, c:x,y,z one of them, i:LO-HI a
 * number (zero-padded to LO's width when LO starts with 0). */
static void s_token(out_t *o, rng_t *r, const char *t, size_t len)
{
    char buf[64];
    if (len == 1 && t[0] == 'w') {
        const char *w = PICK(r, s_words);
        s_put(o, w, strlen(w));
    } else if (len == 1 && t[0] == 'a') {
        s_put(o, PICK(r, s_airports), 3);
    } else if (len == 1 && t[0] == 'r') {
        const char *w = PICK(r, s_regions);
        s_put(o, w, strlen(w));
    } else if (len == 1 && t[0] == 'u') {
        static const int groups[] = {8, 4, 4, 4, 12};
        for (int g = 0; g < 5; g++) {
            if (g)
                s_put(o, "-", 1);
            s_put_random(o, r, s_hex, groups[g]);
        }
    } else if (len > 1 && (t[0] == 'h' || t[0] == 'z' || t[0] == 'b')) {
        const char *alphabet = t[0] == 'h' ? s_hex : t[0] == 'z' ? s_alnum : s_base32;
        s_put_random(o, r, alphabet, atoi(t + 1));
    } else if (len > 2 && t[0] == 'c' && t[1] == ':') {
        int n = 1;
        for (size_t i = 2; i < len; i++)
            n += t[i] == ',';
        int k = (int)s_below(r, (uint32_t)n);
        const char *s = t + 2, *end = t + len;
        while (k-- > 0)
            s = (const char *)memchr(s, ',', (size_t)(end - s)) + 1;
        const char *comma = memchr(s, ',', (size_t)(end - s));
        s_put(o, s, (size_t)((comma ? comma : end) - s));
    } else if (len > 2 && t[0] == 'i' && t[1] == ':') {
        char *dash;
        long lo = strtol(t + 2, &dash, 10), hi = strtol(dash + 1, NULL, 10);
        int width = t[2] == '0' ? (int)(dash - (t + 2)) : 0;
        long v = lo + (long)s_below(r, (uint32_t)(hi - lo + 1));
        int n = snprintf(buf, sizeof buf, "%0*ld", width, v);
        s_put(o, buf, (size_t)n);
    } else {
        s_put(o, t, len); /* a typo in a template shows in the output */
    }
}

static void s_expand(rng_t *r, const char *tpl, size_t len, char *out, size_t cap)
{
    out_t o = {out, cap};
    const char *end = tpl + len;
    *out = '\0';
    while (tpl < end) {
        const char *brace = memchr(tpl, '{', (size_t)(end - tpl));
        if (!brace) {
            s_put(&o, tpl, (size_t)(end - tpl));
            break;
        }
        s_put(&o, tpl, (size_t)(brace - tpl));
        const char *close = memchr(brace, '}', (size_t)(end - brace));
        if (!close)
            close = end;
        s_token(&o, r, brace + 1, (size_t)(close - brace - 1));
        tpl = close + 1;
    }
}

/* Lists of templates are '|'-separated. */
static int s_segments(const char *list)
{
    if (!list || !*list)
        return 0;
    int n = 1;
    for (; *list; list++)
        n += *list == '|';
    return n;
}

static void s_segment(rng_t *r, const char *list, int k, char *out, size_t cap)
{
    while (k-- > 0)
        list = strchr(list, '|') + 1;
    const char *bar = strchr(list, '|');
    s_expand(r, list, bar ? (size_t)(bar - list) : strlen(list), out, cap);
}

/* ---- benign profiles ---- */

/* A profile is a family of names that the same kind of host asks: the fixed
 * names everybody of that kind asks, and machine names made from templates.
 * The network has `pool` of the latter in a day (0: a fresh one every query,
 * -1: each host its own), a host asks `picks` of them, `queries` times in
 * all (per day, for a typical host). Hosts of the kinds in `os` take part
 * with probability `share`, other clients with `others`. */
typedef struct {
    int label;
    unsigned os;
    double share, others;
    const char *fixed;
    const char *vary;
    int pool, picks, queries;
    double skew; /* how strongly the pool's head is favoured */
} profile_t;

static const profile_t s_profiles[] = {
    {L_POPULAR, K_APPLE, 1, 0.25,
     "www.apple.com|gsp-ssl.ls.apple.com|gspe1-ssl.ls.apple.com|init.itunes.apple.com|"
     "xp.apple.com|mesu.apple.com|gdmf.apple.com|bag.itunes.apple.com|api.smoot.apple.com|"
     "configuration.apple.com|humb.apple.com|weather-data.apple.com",
     "p{i:01-99}-{c:buy,contacts,caldav,ckdatabase,fmip,escrowproxy,keyvalueservice,quota,"
     "bookmarks,streams}.itunes.apple.com|{i:1-50}-courier.push.apple.com|"
     "{c:courier,api,gateway,init,keyvalue}{i:1-40}-{c:us,eu,ap}{c:east,west,north,south}{i:1-"
     "9}.push.apple.com|gsp{i:1-99}-ssl.ls.apple.com|gspe{i:1-85}-{i:1-9}-ssl.ls.apple.com|"
     "{h6}-{a}{i:1-9}.smoot.apple.com|{c:ocsp,ocsp2,valid,crl}{c:,2,3}.apple.com",
     6000, 40, 60, 1.1},
    {L_POPULAR, K_APPLE, 1, 0.1,
     "www.icloud.com|gateway.icloud.com|setup.icloud.com|keyvalueservice.icloud.com|"
     "metrics.icloud.com",
     "p{i:01-99}-{c:caldav,contacts,ckdatabase,fmip,quota,sharedstreams,keyvalueservice,"
     "bookmarks,escrowproxy,fmf}.icloud.com",
     1200, 6, 20, 1.5},
    {L_POPULAR, K_CLIENTS, 1, 0,
     "www.google.com|accounts.google.com|clients1.google.com|clients2.google.com|"
     "clients4.google.com|mail.google.com|apis.google.com|play.google.com|ogs.google.com|"
     "docs.google.com|drive.google.com|calendar.google.com|meet.google.com",
     "{w}-pa.clients6.google.com|{c:alt1,alt2,alt3,alt4}.{c:aspmx,gmail-smtp-in}.l.google.com|"
     "{c:edgedl,dl,redirector,cache}.{a}{i:1-20}.google.com|{w}{i:1-99}.sandbox.google.com|"
     "{w}-{r}.{c:run,functions,notebooks}.google.com|{h8}{h4}.{c:safebrowsing,update,tools}"
     ".google.com",
     6000, 14, 40, 1.2},
    {L_POPULAR, K_CLIENTS, 1, 0,
     "www.googleapis.com|fonts.googleapis.com|ajax.googleapis.com|update.googleapis.com|"
     "safebrowsing.googleapis.com|firebaseinstallations.googleapis.com|android.googleapis.com|"
     "storage.googleapis.com|youtubei.googleapis.com",
     "{w}-pa.googleapis.com|{w}{c:,-api,-fe}.googleapis.com|{z12}.{c:storage,content-storage}"
     ".googleapis.com",
     1500, 6, 25, 1.5},
    {L_POPULAR, K_WIN, 1, 0.4,
     "www.microsoft.com|go.microsoft.com|settings-win.data.microsoft.com|"
     "v10.events.data.microsoft.com|watson.telemetry.microsoft.com|"
     "geo-prod.do.dsp.mp.microsoft.com|fe3.delivery.mp.microsoft.com|"
     "mobile.events.data.microsoft.com|self.events.data.microsoft.com",
     "{c:kv,disc,array}{i:101-999}.prod.do.dsp.mp.microsoft.com|"
     "{c:v10,v20,us-v10,eu-v20}.events.data.microsoft.com|"
     "{a}{i:01-99}p{i:1-99}.{c:wns,client}.notify.microsoft.com|"
     "{c:tsfe,fe2,fe3}.{c:update,delivery}.microsoft.com|{c:ocsp,crl,mscrl}.microsoft.com|"
     "{w}{i:1-9}.{c:officeapps,azure,visualstudio}.microsoft.com",
     6000, 32, 50, 1.1},
    {L_POPULAR, K_WIN, 1, 0,
     "ctldl.windowsupdate.com|download.windowsupdate.com|sls.update.microsoft.com",
     "{c:au,bg,dl,fg}{i:1-20}.v.download.windowsupdate.com", 200, 3, 8, 1.5},
    {L_POPULAR, K_CLIENTS, 0.8, 0, NULL,
     "{w}.{w}.{c:com,net}.akadns.net|{c:e,a}{i:100-9999}.dsc{c:a,b,e,g,x}.akadns.net|"
     "{w}-{r}.{c:gslb,gtm,trafficmanager}.akadns.net|"
     "{c:prod,geo,global}-{w}.{c:msedge,msft,ms-acdc}.akadns.net|{h8}.{c:v4,v6}.{a}.akadns.net",
     6000, 16, 20, 1.2},
    {L_POPULAR, K_WIN | K_MAC, 0.7, 0.2,
     "www.office.com|outlook.office.com|substrate.office.com|ecs.office.com|config.office.com",
     "{w}.{c:svc,ms,cdn}.office.com|{c:outlook,attachments}-{a}{i:1-20}.office.com", 500, 4, 30,
     1.5},
    {L_POPULAR, K_WIN, 0.8, 0.2,
     "login.live.com|outlook.live.com|onedrive.live.com|skyapi.live.com",
     "{c:bn,by,db,am,sn}{i:1-9}{c:p,f}.{c:storage,pipe,mail,skydrive}.live.com", 400, 3, 12, 1.5},
    {L_POPULAR, K_CLIENTS, 0.6, 0,
     "www.amazon.com|fls-na.amazon.com|completion.amazon.com|aan.amazon.com|unagi.amazon.com",
     "{c:fls,unagi,device-metrics}-{c:na,eu,fe}.amazon.com|{w}.{r}.amazon.com", 300, 3, 8, 1.5},
    {L_POPULAR, K_CLIENTS, 0.6, 0,
     "www.facebook.com|graph.facebook.com|edge-mqtt.facebook.com|star.c10r.facebook.com|"
     "b-graph.facebook.com|connect.facebook.net",
     "{c:edge,star,z-p3,z-m}-{c:mqtt,chat,api,web}.{c:xx,c10r}.facebook.com", 300, 3, 10, 1.5},
    {L_POPULAR, K_CLIENTS, 1, 0,
     "securepubads.g.doubleclick.net|googleads.g.doubleclick.net|stats.g.doubleclick.net|"
     "www.youtube.com|i.ytimg.com|www.gstatic.com|fonts.gstatic.com|github.com|"
     "api.github.com|slack.com|edgeapi.slack.com|zoom.us|www.wikipedia.org|www.linkedin.com|"
     "www.reddit.com|api.spotify.com|ocsp.digicert.com|r3.o.lencr.org|cdnjs.cloudflare.com|"
     "www.googletagmanager.com|www.google-analytics.com|api.twitter.com|www.instagram.com|"
     "web.whatsapp.com|teams.microsoft.com|login.microsoftonline.com|aadcdn.msftauth.net",
     NULL, 0, 0, 35, 1},
    /* CDN and video: the node and distribution ids are in the names. */
    {L_CDN, K_CLIENTS, 0.3, 0, "api-global.netflix.com|occ-0-1-2.1.nflxso.net",
     "ipv{c:4,6}-c{i:001-199}-{a}{i:001-009}-ix.1.oca.nflxvideo.net", 300, 5, 20, 1.5},
    {L_CDN, K_CLIENTS, 0.5, 0, "redirector.googlevideo.com",
     "r{i:1-20}---sn-{z8}.googlevideo.com|rr{i:1-5}---sn-{z8}.googlevideo.com", 600, 8, 25, 1.5},
    {L_CDN, K_CLIENTS, 0.4, 0, "static.xx.fbcdn.net",
     "video-{a}{i:1-9}-{i:1-2}.xx.fbcdn.net|scontent-{a}{i:1-9}-{i:1-2}.xx.fbcdn.net|"
     "scontent.f{a}{i:1-9}-{i:1-2}.fna.fbcdn.net",
     200, 4, 12, 1.5},
    {L_CDN, K_CLIENTS, 0.5, 0,
     "lh3.ggpht.com|lh4.ggpht.com|lh5.ggpht.com|lh6.ggpht.com|yt3.ggpht.com", NULL, 0, 0, 5, 1},
    {L_CDN, K_CLIENTS, 0.9, 0, NULL, "d{z13}.cloudfront.net", 1500, 10, 25, 1.4},
    {L_CDN, K_CLIENTS, 0.1, 0, "usher.ttvnw.net|gql.twitch.tv",
     "{h12}.{c:us-east-1,us-west-2,eu-west-1}.playback.live-video.net|"
     "video-edge-{h6}.{a}{i:01-99}.abs.hls.ttvnw.net",
     200, 3, 25, 1.5},
    {L_CDN, K_CLIENTS, 0.9, 0, NULL,
     "e{i:1-9999}.{c:dsca,dscb,dscd,dscg,dscx,b}.akamaiedge.net|"
     "a{i:1-2000}.{c:dscg,dscd,w7}.akamai.net",
     2000, 8, 20, 1.4},
    {L_CDN, K_CLIENTS, 0.5, 0, NULL, "{w}{i:1-99}.azureedge.net|{w}.{c:com,net}.edgekey.net", 500,
     4, 15, 1.5},
    /* Telemetry: ids of a measurement, a user, a survey. */
    {L_TELEMETRY, K_WIN, 0.6, 0.1, NULL, "{h32}.{c:clo,nrb}.footprintdns.com", 0, 0, 20, 1},
    {L_TELEMETRY, K_CLIENTS, 0.3, 0, NULL, "{u}.edge.permutive.app", -1, 2, 8, 1},
    {L_TELEMETRY, K_WIN, 0.3, 0, NULL, "{h16}.users.storage.live.com", -1, 1, 10, 1},
    {L_TELEMETRY, K_CLIENTS, 0.2, 0, NULL, "zn{z15}-{w}.siteintercept.qualtrics.com", 300, 3, 6,
     1.5},
    {L_TELEMETRY, K_CLIENTS, 0.3, 0, NULL, "o{i:1000-999999}.ingest.sentry.io", 500, 2, 6, 1.5},
    {L_TELEMETRY, K_CLIENTS, 0.3, 0, NULL, "{w}{w}.sc.omtrdc.net", 400, 3, 6, 1.5},
    /* The company's own domain: host names, AD services. */
    {L_INTRANET, K_WIN | K_MAC | K_LINUX, 1, 0.3,
     "intranet.example-corp.com|wiki.example-corp.com|mail.example-corp.com|"
     "vpn.example-corp.com|sharepoint.example-corp.com|jira.example-corp.com|"
     "git.example-corp.com|dc01.example-corp.com|dc02.example-corp.com|wpad.example-corp.com|"
     "example-corp.com|_ldap._tcp.dc._msdcs.example-corp.com|_kerberos._tcp.example-corp.com|"
     "_kerberos._udp.example-corp.com|_gc._tcp.example-corp.com|"
     "_ldap._tcp.Default-First-Site-Name._sites.dc._msdcs.example-corp.com|"
     "_kerberos._tcp.Default-First-Site-Name._sites.example-corp.com|"
     "_ldap._tcp.pdc._msdcs.example-corp.com|"
     "4f2a9c1e-6b7d-4e3a-9f10-2c5d8e7b1a63._msdcs.example-corp.com",
     "ws-{i:0001-1600}.example-corp.com|ws-{i:0001-1600}.example-corp.com|"
     "srv-{c:db,app,web,file,print,mail,backup,build,git,wiki,vpn,sql,log}-{i:01-20}"
     ".example-corp.com|printer-{i:001-150}.floor{i:1-6}.example-corp.com|"
     "ap-{i:001-200}.example-corp.com",
     2000, 14, 60, 1.0},
    /* DNS-SD, leaked from mDNS to the unicast resolver. */
    {L_DNSSD, K_APPLE | K_ANDROID | K_WIN, 0.5, 0,
     "_googlecast._tcp.local|_airplay._tcp.local|_raop._tcp.local|_spotify-connect._tcp.local|"
     "_ipp._tcp.local|_companion-link._tcp.local|b._dns-sd._udp.example-corp.com|"
     "lb._dns-sd._udp.example-corp.com|db._dns-sd._udp.example-corp.com|"
     "lb._dns-sd._udp.0.20.10.in-addr.arpa",
     "{u}._googlecast._tcp.local|Chromecast-{h32}._googlecast._tcp.local|"
     "{c:Living\\032Room,Kitchen,Office,Lobby,Board\\032Room}._airplay._tcp.local|"
     "Meeting\\032Room\\032{i:1-9}._airplay._tcp.local|"
     "{h12}@{c:Living\\032Room,Office,Lobby}._raop._tcp.local|"
     "{c:HP\\032LaserJet,Brother\\032MFC,Canon\\032iR}\\032{h6}._ipp._tcp.local|"
     "{u}._spotify-connect._tcp.local",
     250, 5, 25, 1.3},
    /* Anti-virus reputation look-ups: file hashes, one product a host. */
    {L_AV, K_SOPHOS, 1, 0, NULL, "{h40}.{c:3,4}.{c:f,u,i}.sxl.sophosxl.net", 8000, 40, 60, 1.1},
    {L_AV, K_MCAFEE, 1, 0, NULL, "0.0.0.0.1.0.0.4e.{b26}.avqs.mcafee.com", 8000, 40, 60, 1.1},
    {L_AV, K_AVAST, 1, 0, NULL, "{h8}.iavs9x.u.avast.com", 4000, 30, 50, 1.1},
};

static void s_profile(sim_t *sim, const profile_t *p, unsigned pi)
{
    rng_t pr = s_stream(sim->seed, R_POOL, pi);
    int nfixed = s_segments(p->fixed), nvary = s_segments(p->vary);
    char **pool = NULL;
    size_t npool = nvary && p->pool > 0 ? (size_t)p->pool : 0;
    char buf[NAME_CAP];
    if (npool) {
        pool = s_alloc(NULL, npool * sizeof *pool);
        for (size_t i = 0; i < npool; i++) {
            s_segment(&pr, p->vary, (int)s_below(&pr, (uint32_t)nvary), buf, sizeof buf);
            pool[i] = s_strdup(buf);
        }
    }
    static char mine[MAX_PICKS][NAME_CAP]; /* a host's own names (pool -1) */
    const char *pick[MAX_PICKS];
    for (uint32_t h = 0; h < (uint32_t)sim->hosts; h++) {
        rng_t r = s_stream(sim->seed, R_PROFILE, ((uint64_t)pi << 32) | h);
        const host_t *host = &sim->host[h];
        double share = (host->kind & p->os) ? p->share : (host->kind & K_CLIENTS) ? p->others : 0;
        if (s_unit(&r) >= share)
            continue;
        int picks = 0;
        if (nvary && p->pool != 0) {
            double f = sqrt(host->activity * sim->days) * (0.5 + s_unit(&r));
            picks = (int)lround(p->picks * f);
            picks = picks < 1 ? 1 : picks > MAX_PICKS ? MAX_PICKS : picks;
            for (int k = 0; k < picks; k++) {
                if (npool) {
                    pick[k] = pool[s_skewed(&r, npool, p->skew)];
                } else {
                    s_segment(&r, p->vary, (int)s_below(&r, (uint32_t)nvary), mine[k], NAME_CAP);
                    pick[k] = mine[k];
                }
            }
        }
        int queries =
            (int)lround(p->queries * host->activity * sim->days * (0.6 + 0.8 * s_unit(&r)));
        if (queries < picks)
            queries = picks; /* every name picked is asked at least once */
        for (int q = 0; q < queries; q++) {
            int64_t ms = s_when(sim, &r, host->night);
            const char *name;
            if (q < picks) {
                name = pick[q];
            } else if (nfixed && (!nvary || s_unit(&r) < 0.5)) {
                s_segment(&r, p->fixed, (int)s_skewed(&r, (size_t)nfixed, 1.5), buf, sizeof buf);
                name = buf;
            } else if (picks) {
                name = pick[s_skewed(&r, (size_t)picks, 2)];
            } else {
                s_segment(&r, p->vary, (int)s_below(&r, (uint32_t)nvary), buf, sizeof buf);
                name = buf; /* a fresh id every query */
            }
            s_resolve(sim, &r, h, ms, name, p->label);
        }
    }
    for (size_t i = 0; i < npool; i++)
        free(pool[i]);
    free(pool);
}

/* Connectivity checks: every client, on waking and then every 20-60 minutes
 * while it is in use, asks its system's probe names. */
static void s_checks(sim_t *sim)
{
    for (uint32_t h = 0; h < (uint32_t)sim->hosts; h++) {
        rng_t r = s_stream(sim->seed, R_CHECKS, h);
        const host_t *host = &sim->host[h];
        if (!(host->kind & K_CLIENTS))
            continue;
        bool legacy = s_unit(&r) < 0.3; /* older Windows probe www.msftncsi.com */
        const char *linux_probe =
            s_unit(&r) < 0.5 ? "connectivity-check.ubuntu.com" : "nmcheck.gnome.org";
        double period = (20 + 40 * s_unit(&r)) * 60000;
        for (int64_t ms = (int64_t)(s_unit(&r) * period); ms < sim->end_ms;
             ms += (int64_t)(period * (0.8 + 0.4 * s_unit(&r)))) {
            double hour = fmod((double)ms / HOUR_MS, 24);
            if (s_unit(&r) >= host->night + (1 - host->night) * s_day_shape(hour))
                continue; /* asleep */
            if (host->kind & K_WIN) {
                s_emit(sim, ms, h, legacy ? "www.msftncsi.com" : "www.msftconnecttest.com", QT_A,
                       L_CONNECTIVITY);
                s_emit(sim, ms + 3, h, "dns.msftncsi.com", QT_A, L_CONNECTIVITY);
                if (host->aaaa)
                    s_emit(sim, ms + 5, h,
                           legacy ? "ipv6.msftncsi.com" : "ipv6.msftconnecttest.com", QT_AAAA,
                           L_CONNECTIVITY);
            } else if (host->kind & K_APPLE) {
                s_resolve(sim, &r, h, ms, "captive.apple.com", L_CONNECTIVITY);
            } else if (host->kind & K_ANDROID) {
                s_resolve(sim, &r, h, ms, "connectivitycheck.gstatic.com", L_CONNECTIVITY);
                s_resolve(sim, &r, h, ms + 2, "www.google.com", L_POPULAR);
            } else {
                s_resolve(sim, &r, h, ms, linux_probe, L_CONNECTIVITY);
            }
        }
    }
}

/* A built-in long-tail site, the same for every host that visits it: its
 * registrable domain, and its 1-4 host names. */
static int s_site(const sim_t *sim, uint32_t site, char names[4][NAME_CAP])
{
    static const char *const hosts[] = {"www", "mail", "cdn",  "static", "api",
                                        "img", "shop", "blog", "m",      "media"};
    rng_t r = s_stream(sim->seed, R_SITE, site);
    char domain[128];
    static const char *const shapes[] = {"{w}{w}", "{w}-{w}", "{w}{i:1-99}", "my{w}", "{w}"};
    const char *shape = PICK(&r, shapes);
    s_expand(&r, shape, strlen(shape), domain, sizeof domain);
    size_t len = strlen(domain);
    snprintf(domain + len, sizeof domain - len, ".%s", PICK(&r, s_tlds));
    int n = s_range(&r, 1, 4);
    for (int i = 0; i < n; i++) {
        if (i == 0)
            snprintf(names[i], NAME_CAP, "%s%s", s_unit(&r) < 0.7 ? "www." : "", domain);
        else
            snprintf(names[i], NAME_CAP, "%s.%s", PICK(&r, hosts), domain);
    }
    return n;
}

static void s_site_domain(const sim_t *sim, rng_t *r, char *out, size_t cap)
{
    if (sim->domains.n) {
        snprintf(out, cap, "%s", sim->domains.v[s_skewed(r, sim->domains.n, 2)]);
        return;
    }
    char names[4][NAME_CAP];
    s_site(sim, (uint32_t)s_skewed(r, 8000, 2.5), names);
    const char *domain = strncmp(names[0], "www.", 4) == 0 ? names[0] + 4 : names[0];
    size_t len = strlen(domain) < cap ? strlen(domain) : cap - 1;
    memcpy(out, domain, len);
    out[len] = '\0';
}

/* The long tail: every client visits some sites a day, picked with a heavy
 * head, so many sites are seen by one or two hosts only. */
static void s_longtail(sim_t *sim)
{
    size_t sites = sim->longtail.n ? sim->longtail.n : 8000;
    for (uint32_t h = 0; h < (uint32_t)sim->hosts; h++) {
        rng_t r = s_stream(sim->seed, R_LONGTAIL, h);
        const host_t *host = &sim->host[h];
        if (!(host->kind & K_CLIENTS))
            continue;
        int visits = (int)lround((4 + 14 * s_unit(&r)) * host->activity * sim->days);
        for (int v = 0; v < visits; v++) {
            size_t site = s_skewed(&r, sites, 2.5);
            int again = s_unit(&r) < 0.5 ? s_range(&r, 1, 3) : 0; /* revisits later */
            for (int k = 0; k <= again; k++) {
                int64_t ms = s_when(sim, &r, host->night);
                if (sim->longtail.n) {
                    s_resolve(sim, &r, h, ms, sim->longtail.v[site], L_LONGTAIL);
                    continue;
                }
                char names[4][NAME_CAP];
                int n = s_site(sim, (uint32_t)site, names);
                for (int i = 0; i < n; i++)
                    s_resolve(sim, &r, h, ms + (int64_t)i * s_range(&r, 5, 300), names[i],
                              L_LONGTAIL);
            }
        }
    }
}

static void s_reverse(char *out, size_t cap, const uint8_t ip[4], const char *zone)
{
    snprintf(out, cap, "%u.%u.%u.%u.%s", ip[3], ip[2], ip[1], ip[0], zone);
}

static void s_public_ip(rng_t *r, uint8_t ip[4])
{
    do {
        ip[0] = (uint8_t)s_range(r, 1, 223);
    } while (ip[0] == 10 || ip[0] == 127 || ip[0] == 100 || ip[0] == 172 || ip[0] == 192);
    for (int i = 1; i < 4; i++)
        ip[i] = (uint8_t)s_range(r, i == 3 ? 1 : 0, i == 3 ? 254 : 255);
}

/* The mail servers check every incoming mail's sender against DNSBLs (its
 * address reversed, its domain, the hash of an attachment), check the
 * sender's reverse name, and look up MX records for outgoing mail. */
static void s_mail(sim_t *sim)
{
    enum { REGULARS = 900 };
    static uint8_t regular[REGULARS][4];
    rng_t pr = s_stream(sim->seed, R_MAIL, 0xffff);
    for (int i = 0; i < REGULARS; i++)
        s_public_ip(&pr, regular[i]);
    char buf[NAME_CAP], domain[256];
    for (uint32_t h = 0; h < (uint32_t)sim->hosts; h++) {
        if (!(sim->host[h].kind & K_MAIL))
            continue;
        rng_t r = s_stream(sim->seed, R_MAIL, h);
        int mails = (int)lround(2200 * sim->days * (0.8 + 0.4 * s_unit(&r)));
        for (int m = 0; m < mails; m++) {
            int64_t ms = s_when(sim, &r, 0.35);
            uint8_t fresh[4];
            const uint8_t *ip = regular[s_skewed(&r, REGULARS, 1.5)];
            if (s_unit(&r) < 0.45) {
                s_public_ip(&r, fresh);
                ip = fresh;
            }
            s_reverse(buf, sizeof buf, ip, "in-addr.arpa");
            s_emit(sim, ms, h, buf, QT_PTR, L_PTR);
            s_reverse(buf, sizeof buf, ip, "zen.spamhaus.org");
            s_emit(sim, ms + 20, h, buf, QT_A, L_DNSBL);
            s_reverse(buf, sizeof buf, ip, "bl.spamcop.net");
            s_emit(sim, ms + 22, h, buf, QT_A, L_DNSBL);
            s_site_domain(sim, &r, domain, sizeof domain);
            snprintf(buf, sizeof buf, "%s.dbl.spamhaus.org", domain);
            s_emit(sim, ms + 150, h, buf, QT_A, L_DNSBL);
            if (s_unit(&r) < 0.25) {
                out_t o = {buf, sizeof buf};
                s_put_random(&o, &r, s_hex, 32);
                s_put(&o, ".hash.cymru.com", 15);
                s_emit(sim, ms + 400, h, buf, QT_TXT, L_DNSBL);
            }
            if (s_unit(&r) < 0.3) {
                s_site_domain(sim, &r, domain, sizeof domain);
                s_emit(sim, s_when(sim, &r, 0.35), h, domain, QT_MX, L_LONGTAIL);
            }
        }
    }
}

/* Reverse look-ups by clients: of the company's addresses (file servers,
 * logs, tools) and some public ones. */
static void s_ptr(sim_t *sim)
{
    char buf[NAME_CAP];
    for (uint32_t h = 0; h < (uint32_t)sim->hosts; h++) {
        rng_t r = s_stream(sim->seed, R_PTR, h);
        const host_t *host = &sim->host[h];
        if (!(host->kind & (K_WIN | K_MAC | K_LINUX)))
            continue;
        int n = (int)lround(12 * s_unit(&r) * sim->days);
        for (int i = 0; i < n; i++) {
            uint8_t ip[4] = {10, 20, 0, 0};
            if (s_unit(&r) < 0.7) {
                uint32_t other = s_below(&r, (uint32_t)sim->hosts);
                bool server = s_unit(&r) < 0.5;
                ip[2] = (uint8_t)(server ? 250 : other / 200);
                ip[3] = (uint8_t)(server ? (uint32_t)s_range(&r, 1, 60) : 10 + other % 200);
            } else {
                s_public_ip(&r, ip);
            }
            s_reverse(buf, sizeof buf, ip, "in-addr.arpa");
            s_emit(sim, s_when(sim, &r, host->night), h, buf, QT_PTR, L_PTR);
        }
    }
}

static void s_make_hosts(sim_t *sim)
{
    sim->host = s_alloc(NULL, (size_t)sim->hosts * sizeof *sim->host);
    for (int i = 0; i < sim->hosts; i++) {
        rng_t r = s_stream(sim->seed, R_HOSTS, (uint64_t)i);
        host_t *h = &sim->host[i];
        double u = s_unit(&r);
        h->kind = u < 0.55   ? K_WIN
                  : u < 0.72 ? K_MAC
                  : u < 0.82 ? K_IOS
                  : u < 0.9  ? K_ANDROID
                             : K_LINUX;
        if (i < 2 && sim->hosts > 2)
            h->kind = K_MAIL; /* the first two are the mail servers */
        double av = s_unit(&r);
        if (h->kind == K_WIN && av < 0.45)
            h->kind |= av < 0.15 ? K_SOPHOS : av < 0.3 ? K_MCAFEE : K_AVAST;
        if ((h->kind & (K_MAC | K_LINUX | K_MAIL)) && av < 0.15)
            h->kind |= K_SOPHOS;
        /* about log-normal: a few users are far busier than the rest */
        double spread = s_unit(&r) - 1.5;
        spread += s_unit(&r);
        spread += s_unit(&r);
        h->activity = exp(spread);
        h->night = (h->kind & (K_IOS | K_ANDROID)) ? 0.12 : 0.06;
        h->aaaa = s_unit(&r) < 0.7;
        h->https = (h->kind & K_APPLE) || ((h->kind & K_WIN) && s_unit(&r) < 0.2);
        snprintf(h->addr, sizeof h->addr, "10.20.%d.%d", i / 200, 10 + i % 200);
    }
}

/* ---- tunnels ---- */

/* The labels of a name from the k-th last on; NULL when it has fewer. */
static const char *s_last_labels(const char *name, int k)
{
    const char *p = name + strlen(name);
    while (p > name) {
        p--;
        if (*p == '.' && --k == 0)
            return p + 1;
    }
    return k == 1 ? name : NULL;
}

/* The registrable part of a parent: its last two labels, three under the
 * country-code second levels that are public suffixes (co.uk, com.au). */
static const char *s_registrable(const char *parent)
{
    const char *two = s_last_labels(parent, 2), *three = s_last_labels(parent, 3);
    static const char *const slds[] = {"co.", "com.", "net.", "org.", "ac.", "gov.", "edu."};
    if (!two || !three || strlen(strrchr(parent, '.')) != 3)
        return two;
    for (size_t i = 0; i < COUNT(slds); i++)
        if (strncasecmp(two, slds[i], strlen(slds[i])) == 0)
            return three;
    return two;
}

static bool s_has_suffix(const char *name, const char *suffix)
{
    size_t a = strlen(name), b = strlen(suffix);
    return a == b ? strcasecmp(name, suffix) == 0
                  : a > b && name[a - b - 1] == '.' && strcasecmp(name + a - b, suffix) == 0;
}

/* The parent a capture's tunnel ran under: the longest suffix of two or more
 * labels that the names share. Names under other parents are the capture's
 * noise and are dropped; it fails when no parent has half of the names. */
static int s_capture_parent(const strvec_t *names, char *out, size_t cap)
{
    const char *cand = NULL;
    size_t votes = 0, n = 0;
    for (size_t i = 0; i < names->n; i++) { /* Boyer-Moore majority vote */
        const char *s = s_last_labels(names->v[i], 2);
        if (!s)
            continue;
        if (!votes) {
            cand = s;
            votes = 1;
        } else if (strcasecmp(s, cand) == 0) {
            votes++;
        } else {
            votes--;
        }
    }
    if (!cand)
        return -1;
    snprintf(out, cap, "%s", cand);
    for (size_t i = 0; i < names->n; i++)
        n += s_has_suffix(names->v[i], out);
    if (n * 2 < names->n)
        return -1;
    for (int k = 3;; k++) {
        const char *longer = NULL;
        bool shared = true;
        for (size_t i = 0; i < names->n && shared; i++) {
            if (!s_has_suffix(names->v[i], out))
                continue;
            const char *s = s_last_labels(names->v[i], k);
            if (!s || s == names->v[i] || (longer && strcasecmp(s, longer) != 0))
                shared = false; /* a name that is all suffix has no data left */
            longer = s;
        }
        if (!shared || !longer || strlen(longer) >= cap)
            break;
        snprintf(out, cap, "%s", longer);
    }
    return 0;
}

static bool s_valid_name(const char *s, size_t len)
{
    if (len == 0 || len >= NAME_CAP)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
            return false; /* a space or control byte would break the log's fields */
    return true;
}

static int s_load_names(const char *path, strvec_t *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "dnsoracle_simnet: %s: %s\n", path, strerror(errno));
        return -errno;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len > 1 && line[len - 1] == '.')
            line[--len] = '\0';
        if (s_valid_name(line, (size_t)len))
            s_push(out, s_strdup(line));
    }
    free(line);
    fclose(f);
    return 0;
}

static int s_compare_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static tool_t *s_add_tool(sim_t *sim, const char *name, int kind)
{
    tool_t *t = &sim->tool[sim->ntools++];
    size_t len = strlen(name) + 8;
    t->label = s_alloc(NULL, len);
    snprintf(t->label, len, "tunnel:%s", name);
    t->kind = kind;
    t->qtype = QT_TXT;
    t->prefixes = (strvec_t){0};
    sim->label[sim->nlabels++] = t->label;
    return t;
}

/* Each *.txt of DIR is one tool's capture, in its order; its names are kept
 * without their registrable parent, which each session replaces. */
static void s_load_captures(sim_t *sim, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "dnsoracle_simnet: %s: %s; built-in tunnels only\n", dir, strerror(errno));
        return;
    }
    strvec_t files = {0};
    const struct dirent *e;
    while ((e = readdir(d)))
        if (s_ends_with(e->d_name, ".txt") && strlen(e->d_name) > 4)
            s_push(&files, s_strdup(e->d_name));
    closedir(d);
    if (files.n) /* readdir's order is no order */
        qsort(files.v, files.n, sizeof *files.v, s_compare_str);
    for (size_t i = 0; i < files.n && sim->ntools < MAX_TOOLS - 2; i++) {
        char path[4096], parent[256];
        strvec_t names = {0};
        snprintf(path, sizeof path, "%s/%s", dir, files.v[i]);
        if (s_load_names(path, &names) < 0 || s_capture_parent(&names, parent, sizeof parent) < 0) {
            fprintf(stderr, "dnsoracle_simnet: %s: no parent domain shared by the names; skipped\n",
                    path);
            s_strvec_free(&names);
            continue;
        }
        files.v[i][strlen(files.v[i]) - 4] = '\0';
        tool_t *t = s_add_tool(sim, files.v[i], T_CAPTURE);
        const char *tool = files.v[i];
        t->qtype = strstr(tool, "iodine") ? QT_NULL : strstr(tool, "tuns") ? QT_CNAME : QT_TXT;
        size_t reg = strlen(s_registrable(parent));
        for (size_t k = 0; k < names.n; k++) {
            const char *s = names.v[k];
            if (!s_has_suffix(s, parent))
                continue;
            size_t keep = strlen(s) > reg ? strlen(s) - reg - 1 : 0;
            char *prefix = s_alloc(NULL, keep + 1);
            memcpy(prefix, s, keep);
            prefix[keep] = '\0';
            s_push(&t->prefixes, prefix);
        }
        fprintf(stderr, "dnsoracle_simnet: %s: %zu of %zu names under %s\n", path, t->prefixes.n,
                names.n, parent);
        s_strvec_free(&names);
        if (t->prefixes.n < 300) { /* too short for a session */
            s_strvec_free(&t->prefixes);
            sim->ntools--;
            sim->nlabels--;
            free(t->label);
        }
    }
    s_strvec_free(&files);
}

/* A registrable domain nobody has seen: pseudo-words, a number, a TLD. */
static void s_fresh_parent(sim_t *sim, rng_t *r, char *out, size_t cap)
{
    static const char *const syl[] = {"vor", "tex", "qua", "zen", "lio", "mar", "kel", "dri",
                                      "fan", "pix", "nor", "sul", "bek", "tor", "wyn", "gal",
                                      "rox", "vim", "dax", "jun", "qz",  "ul",  "ka",  "mo"};
    static const char *const tlds[] = {"com", "net", "org", "xyz", "info", "io"};
    for (;;) {
        /* one PRNG call a statement: the order of arguments is unspecified */
        int words = s_unit(r) < 0.5 ? 3 : 2, n = 0;
        for (int i = 0; i < words; i++)
            n += snprintf(out + n, cap - (size_t)n, "%s", PICK(r, syl));
        n += snprintf(out + n, cap - (size_t)n, "%d", s_range(r, 1, 99));
        snprintf(out + n, cap - (size_t)n, ".%s", PICK(r, tlds));
        bool seen = false;
        for (int i = 0; i < sim->nparents; i++)
            seen |= strcmp(sim->parents[i], out) == 0;
        if (!seen)
            break;
    }
    if (sim->nparents < (int)COUNT(sim->parents))
        snprintf(sim->parents[sim->nparents++], sizeof sim->parents[0], "%s", out);
}

/* `total` random characters of the encoding after what `out` holds (the
 * label begun there counts), in labels of at most `max`, then the parent;
 * shortened to fit 253 bytes. */
static void s_encoded(rng_t *r, const char *alphabet, int total, int max, const char *parent,
                      char *out, size_t cap)
{
    size_t len0 = strlen(out), tail = strlen(parent) + 1;
    const char *dot = strrchr(out, '.');
    int used = (int)(dot ? len0 - (size_t)(dot - out) - 1 : len0);
    while (total > 1 &&
           len0 + (size_t)total + (size_t)(total + used - 1) / (size_t)max + tail > 253)
        total--;
    out_t o = {out + len0, cap - len0};
    for (int done = 0, label = 0; done < total; label++) {
        int room = label ? max : max - used;
        int n = total - done < room ? total - done : room;
        if (label)
            s_put(&o, ".", 1);
        s_put_random(&o, r, alphabet, n);
        done += n;
    }
    s_put(&o, ".", 1);
    s_put(&o, parent, strlen(parent));
}

/* One query name of a session and its type; poll: the tool is idle. */
static int s_tunnel_name(session_t *s, rng_t *r, bool poll, char *out, size_t cap)
{
    static const char iodine32[] = "abcdefghijklmnopqrstuvwxyz012345";
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char upper32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    static const int dnscat_types[] = {QT_TXT, QT_CNAME, QT_MX};
    out[0] = '\0';
    switch (s->tool->kind) {
    case T_CAPTURE: {
        size_t n = s->tool->prefixes.n;
        const char *prefix = s->tool->prefixes.v[(s->line++ * s->stride + s->base) % n];
        snprintf(out, cap, "%s%s%s", prefix, *prefix ? "." : "", s->parent);
        return s->qtype;
    }
    case T_IODINE: /* user id and header in the first characters, base32 data */
        snprintf(out, cap, "%c", poll ? 'p' : s_hex[s_below(r, 4)]);
        s_encoded(r, iodine32, poll ? s_range(r, 6, 9) : s_range(r, 2 * 57 - 20, 4 * 57), 57,
                  s->parent, out, cap);
        return s->qtype;
    case T_DNSCAT2: /* hex packets; an idle poll is a bare header */
        if (s->dnscat_prefix)
            snprintf(out, cap, "dnscat.");
        s_encoded(r, s_hex, poll ? 2 * s_range(r, 15, 20) : 2 * s_range(r, 24, 110), 60, s->parent,
                  out, cap);
        return PICK(r, dnscat_types);
    case T_DNS2TCP:
        snprintf(out, cap, "%s", s->d2t_id);
        s_encoded(r, b64, poll ? 5 : s_range(r, 60, 3 * 63), 63, s->parent, out, cap);
        return QT_TXT;
    case T_SLIVER:
        s_encoded(r, s_base32, poll ? s_range(r, 20, 32) : s_range(r, 40, 4 * 63), 63, s->parent,
                  out, cap);
        return s_unit(r) < 0.7 ? QT_TXT : QT_A;
    case T_TUNS:
        if (poll) {
            snprintf(out, cap, "r%05d.%s", s_range(r, 0, 99999), s->parent);
        } else {
            snprintf(out, cap, "d");
            s_encoded(r, upper32, s_range(r, 62, 3 * 63), 63, s->parent, out, cap);
        }
        return QT_CNAME;
    default:
        return QT_A; /* T_COBALT has its own loop */
    }
}

/* Interactive tools: bursts at 5-50 queries a second, then pauses in
 * which the client polls every 0.5-2 s. */
static int s_interactive(sim_t *sim, session_t *s, rng_t *r, uint32_t h, int label, int64_t start,
                         int total)
{
    double t = (double)start;
    int sent = 0;
    char name[NAME_CAP];
    while (sent < total && t < (double)sim->end_ms) {
        double rate = 5 + 45 * s_unit(r);
        for (int n = s_range(r, 5, 200); n > 0 && sent < total; n--, sent++) {
            int qt = s_tunnel_name(s, r, false, name, sizeof name);
            s_emit(sim, (int64_t)t, h, name, qt, label);
            t += s_exp(r, 1000 / rate);
        }
        for (double end = t + 2000 + 60000 * s_unit(r); t < end && sent < total; sent++) {
            t += 500 + 1500 * s_unit(r);
            int qt = s_tunnel_name(s, r, true, name, sizeof name);
            s_emit(sim, (int64_t)t, h, name, qt, label);
        }
    }
    return sent;
}

/* Cobalt-Strike-like: an A query `<hex8>.<parent>` every 60 s with 20%
 * jitter, for 5-12 hours, and now and then a task whose data goes in
 * `<letter><hex12>.<hex8>.<hex8>.<parent>` at a few queries a second. */
static int s_cobalt(sim_t *sim, const session_t *s, rng_t *r, uint32_t h, int label, int64_t start)
{
    double t = (double)start, stop = t + (5 + 7 * s_unit(r)) * HOUR_MS;
    double task = t + (10 + 50 * s_unit(r)) * 60000;
    int sent = 0;
    char name[NAME_CAP];
    while (t < stop && t < (double)sim->end_ms && sent < 3000) {
        out_t o = {name, sizeof name};
        s_put_random(&o, r, s_hex, 8);
        s_put(&o, ".", 1);
        s_put(&o, s->parent, strlen(s->parent));
        s_emit(sim, (int64_t)t, h, name, QT_A, label);
        sent++;
        if (t >= task) {
            double q = t + 500;
            for (int n = s_range(r, 10, 80); n > 0; n--, sent++) {
                o = (out_t){name, sizeof name};
                s_put(&o, &"tpa"[s_below(r, 3)], 1);
                s_put_random(&o, r, s_hex, 12);
                s_put(&o, ".", 1);
                s_put_random(&o, r, s_hex, 8);
                s_put(&o, ".", 1);
                s_put_random(&o, r, s_hex, 8);
                s_put(&o, ".", 1);
                s_put(&o, s->parent, strlen(s->parent));
                s_emit(sim, (int64_t)q, h, name, s_unit(r) < 0.7 ? QT_TXT : QT_A, label);
                q += s_exp(r, 600);
            }
            task = t + (20 + 60 * s_unit(r)) * 60000;
        }
        t += 60000 * (0.8 + 0.4 * s_unit(r));
    }
    return sent;
}

static size_t s_gcd(size_t a, size_t b)
{
    while (b) {
        size_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static void s_tunnels(sim_t *sim)
{
    /* the first 20 hours; a shorter run leaves its last fifth to the sessions */
    double window = (sim->hours >= 25 ? 20 : 0.8 * sim->hours) * HOUR_MS;
    for (int i = 0; i < sim->sessions; i++) {
        rng_t r = s_stream(sim->seed, R_TUNNEL, (uint64_t)i);
        int ti = i % sim->ntools;
        session_t s = {.tool = &sim->tool[ti], .qtype = sim->tool[ti].qtype};
        uint32_t h = sim->hosts > 2 ? 2 + s_below(&r, (uint32_t)sim->hosts - 2)
                                    : s_below(&r, (uint32_t)sim->hosts);
        s_fresh_parent(sim, &r, s.parent, sizeof s.parent);
        int64_t start = (int64_t)(s_unit(&r) * window);
        int total = s_range(&r, 300, 3000), label = L_BENIGN + ti, sent;
        if (s.tool->kind == T_IODINE) {
            double u = s_unit(&r);
            s.qtype = u < 0.6 ? QT_NULL : u < 0.85 ? QT_TXT : QT_CNAME;
        }
        s.dnscat_prefix = s_unit(&r) < 0.3;
        static const char *const d2t[] = {"abcdefghijklmnopqrstuvwxyz", "+/AZ", "abcXYZ", "+/",
                                          "+/09"};
        for (int k = 0; k < 5; k++) /* the session's id, ahead of every name */
            s.d2t_id[k] = d2t[k][s_below(&r, (uint32_t)strlen(d2t[k]))];
        if (s.tool->kind == T_CAPTURE) {
            size_t n = s.tool->prefixes.n;
            if ((size_t)total > n)
                total = (int)n;
            /* Names spread over the whole file, not a contiguous slice: the
             * captures are deduplicated and sorted (tuns.txt holds its data
             * names first and its polls after), and a session mixes both. */
            s.base = s_below(&r, (uint32_t)n);
            s.stride = 1 + s_below(&r, (uint32_t)n);
            while (s_gcd(s.stride, n) != 1)
                s.stride++;
        }
        if (s.tool->kind == T_COBALT)
            sent = s_cobalt(sim, &s, &r, h, label, start);
        else
            sent = s_interactive(sim, &s, &r, h, label, start, total);
        fprintf(stderr, "dnsoracle_simnet: session %d: %s from %s at %.2f h under %s, %d queries\n",
                i + 1, s.tool->label, sim->host[h].addr, (double)start / HOUR_MS, s.parent, sent);
    }
}

/* ---- output ---- */

static int s_compare_events(const void *a, const void *b)
{
    const event_t *x = a, *y = b;
    if (x->ms != y->ms)
        return x->ms < y->ms ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int s_write(sim_t *sim)
{
    FILE *out = stdout;
    if (sim->out_path && !(out = fopen(sim->out_path, "w"))) {
        fprintf(stderr, "dnsoracle_simnet: %s: %s\n", sim->out_path, strerror(errno));
        return -errno;
    }
    qsort(sim->ev, sim->nev, sizeof *sim->ev, s_compare_events);
    for (size_t i = 0; i < sim->nev; i++) {
        const event_t *e = &sim->ev[i];
        fprintf(out, "%lld.%03d %s %s %s\n", (long long)(EPOCH + e->ms / 1000), (int)(e->ms % 1000),
                sim->forwarder ? FORWARDER : sim->host[e->client].addr, sim->names[e->name].text,
                s_qtypes[e->qtype]);
    }
    int rc = fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
    if (out != stdout && fclose(out) != 0)
        rc = -EIO;
    if (rc < 0)
        fprintf(stderr, "dnsoracle_simnet: writing the log failed\n");
    if (rc == 0 && sim->labels_path) {
        FILE *f = fopen(sim->labels_path, "w");
        if (!f) {
            fprintf(stderr, "dnsoracle_simnet: %s: %s\n", sim->labels_path, strerror(errno));
            return -errno;
        }
        for (size_t i = 0; i < sim->nnames; i++)
            fprintf(f, "%s\t%s\n", sim->label[sim->names[i].label], sim->names[i].text);
        if (fclose(f) != 0) {
            fprintf(stderr, "dnsoracle_simnet: %s: write failed\n", sim->labels_path);
            rc = -EIO;
        }
    }
    return rc;
}

static void s_summary(const sim_t *sim)
{
    static const char *const parents[] = {"apple.com",        "google.com",       "microsoft.com",
                                          "akadns.net",       "example-corp.com", "cloudfront.net",
                                          "footprintdns.com", "spamhaus.org"};
    size_t lines[MAX_LABELS] = {0}, distinct[MAX_LABELS] = {0}, under[COUNT(parents)] = {0};
    for (size_t i = 0; i < sim->nnames; i++) {
        lines[sim->names[i].label] += sim->names[i].lines;
        distinct[sim->names[i].label]++;
        for (size_t k = 0; k < COUNT(parents); k++)
            under[k] += s_has_suffix(sim->names[i].text, parents[k]);
    }
    fprintf(stderr, "dnsoracle_simnet: %zu lines, %zu distinct names, %d hosts, %d hours\n",
            sim->nev, sim->nnames, sim->hosts, sim->hours);
    fprintf(stderr, "%-22s %9s %9s\n", "label", "lines", "names");
    for (int l = 0; l < sim->nlabels; l++)
        if (lines[l])
            fprintf(stderr, "%-22s %9zu %9zu\n", sim->label[l], lines[l], distinct[l]);
    for (size_t k = 0; k < COUNT(parents); k++)
        fprintf(stderr, "names under %-16s %zu\n", parents[k], under[k]);
}

/* ---- main ---- */

static void s_usage(FILE *f)
{
    fprintf(f, "usage: dnsoracle_simnet [-s SEED] [-H HOSTS] [-d HOURS] [-t DIR] [-T N] [-b DIR] "
               "[-f]\n"
               "                        [-l LABELS] [-o LOG]\n"
               "  -s SEED    seed of the PRNG (default 1); a seed gives one log\n"
               "  -H HOSTS   client hosts, 1-40000 (default 300)\n"
               "  -d HOURS   simulated hours from 2026-01-01 00:00 UTC, 1-720 (default 24)\n"
               "  -t DIR     tunnel captures DIR/*.txt, one tool each (default: built-in tools)\n"
               "  -T N       tunnel sessions, 0-1000 (default 8)\n"
               "  -b DIR     benign names: DIR/resolver.txt, hosted.txt, top-sites.txt\n"
               "  -f         forwarder mode: every query from one client address\n"
               "  -l LABELS  write LABEL<TAB>NAME for every distinct name of the log\n"
               "  -o LOG     the log (default stdout): UNIX_TIME CLIENT QNAME QTYPE\n");
}

static int s_number(const char *arg, long lo, long hi, long *value)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < lo || v > hi)
        return -EINVAL;
    *value = v;
    return 0;
}

static int s_options(sim_t *sim, int argc, char **argv)
{
    int c;
    long v;
    char *end;
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        s_usage(stdout);
        exit(0);
    }
    while ((c = getopt(argc, argv, "s:H:d:t:T:b:fl:o:h")) != -1) {
        switch (c) {
        case 's':
            errno = 0;
            sim->seed = strtoull(optarg, &end, 0);
            if (errno || end == optarg || *end || optarg[0] == '-')
                goto bad;
            break;
        case 'H':
            if (s_number(optarg, 1, 40000, &v) < 0)
                goto bad;
            sim->hosts = (int)v;
            break;
        case 'd':
            if (s_number(optarg, 1, 720, &v) < 0)
                goto bad;
            sim->hours = (int)v;
            break;
        case 'T':
            if (s_number(optarg, 0, 1000, &v) < 0)
                goto bad;
            sim->sessions = (int)v;
            break;
        case 't':
            sim->tunnel_dir = optarg;
            break;
        case 'b':
            sim->benign_dir = optarg;
            break;
        case 'f':
            sim->forwarder = true;
            break;
        case 'l':
            sim->labels_path = optarg;
            break;
        case 'o':
            sim->out_path = optarg;
            break;
        case 'h':
            s_usage(stdout);
            exit(0);
        default:
            s_usage(stderr);
            return -EINVAL;
        }
    }
    if (optind == argc)
        return 0;
    fprintf(stderr, "dnsoracle_simnet: unexpected argument '%s'\n", argv[optind]);
    s_usage(stderr);
    return -EINVAL;
bad:
    fprintf(stderr, "dnsoracle_simnet: bad value '%s' for -%c\n", optarg, c);
    s_usage(stderr);
    return -EINVAL;
}

/* -b DIR: the long tail from real names, in an order of this seed. */
static void s_load_benign(sim_t *sim)
{
    static const char *const files[] = {"resolver.txt", "hosted.txt", "top-sites.txt"};
    for (size_t i = 0; i < COUNT(files); i++) {
        char path[4096];
        strvec_t names = {0};
        snprintf(path, sizeof path, "%s/%s", sim->benign_dir, files[i]);
        if (access(path, R_OK) != 0 || s_load_names(path, &names) < 0)
            continue;
        rng_t r = s_stream(sim->seed, R_DATA, i);
        for (size_t k = 0; k < names.n; k++) {
            if (i == 2) { /* registered domains: visited as themselves or www. */
                s_push(&sim->domains, s_strdup(names.v[k]));
                if (s_unit(&r) < 0.6) {
                    char buf[NAME_CAP + 4];
                    snprintf(buf, sizeof buf, "www.%s", names.v[k]);
                    if (strlen(buf) < NAME_CAP) {
                        free(names.v[k]);
                        names.v[k] = s_strdup(buf);
                    }
                }
            }
            s_push(&sim->longtail, names.v[k]);
        }
        free(names.v);
        fprintf(stderr, "dnsoracle_simnet: %s: %zu names\n", path, names.n);
    }
    rng_t r = s_stream(sim->seed, R_DATA, 99);
    for (size_t k = sim->longtail.n; k > 1; k--) { /* Fisher-Yates: no file's order is a rank */
        size_t j = s_below(&r, (uint32_t)k);
        char *tmp = sim->longtail.v[k - 1];
        sim->longtail.v[k - 1] = sim->longtail.v[j];
        sim->longtail.v[j] = tmp;
    }
    if (!sim->longtail.n)
        fprintf(stderr, "dnsoracle_simnet: %s: no names; built-in long tail\n", sim->benign_dir);
}

int main(int argc, char **argv)
{
    static sim_t sim = {.seed = 1, .hosts = 300, .hours = 24, .sessions = 8};
    if (s_options(&sim, argc, argv) < 0)
        return 2;
    sim.end_ms = sim.hours * HOUR_MS;
    sim.days = sim.hours / 24.0;
    for (int l = 0; l < L_BENIGN; l++)
        sim.label[sim.nlabels++] = s_benign_labels[l];
    if (sim.tunnel_dir)
        s_load_captures(&sim, sim.tunnel_dir);
    if (sim.ntools == 0) {
        s_add_tool(&sim, "iodine", T_IODINE);
        s_add_tool(&sim, "dns2tcp", T_DNS2TCP);
        s_add_tool(&sim, "sliver", T_SLIVER);
        s_add_tool(&sim, "tuns", T_TUNS);
    }
    s_add_tool(&sim, "dnscat2", T_DNSCAT2); /* always: hex, mostly short polls */
    s_add_tool(&sim, "cobalt", T_COBALT);   /* always: low and slow */
    if (sim.benign_dir)
        s_load_benign(&sim);
    s_make_hosts(&sim);

    for (unsigned i = 0; i < COUNT(s_profiles); i++)
        s_profile(&sim, &s_profiles[i], i);
    s_checks(&sim);
    s_longtail(&sim);
    s_mail(&sim);
    s_ptr(&sim);
    s_tunnels(&sim);

    int rc = s_write(&sim);
    s_summary(&sim);
    for (size_t i = 0; i < sim.nnames; i++)
        free(sim.names[i].text);
    free(sim.names);
    free(sim.table);
    free(sim.ev);
    free(sim.host);
    for (int t = 0; t < sim.ntools; t++) {
        free(sim.tool[t].label);
        s_strvec_free(&sim.tool[t].prefixes);
    }
    s_strvec_free(&sim.longtail);
    s_strvec_free(&sim.domains);
    return rc < 0 ? 1 : 0;
}
