/* oracle/engine/suffix.c - registrable domains through the Public Suffix List. */
#include "suffix.h"

#include <errno.h>
#include <libpsl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suffixset.h"

struct suffix {
    psl_ctx_t *owned; /* from psl_latest(), freed with us */
    const psl_ctx_t *psl;
    suffixset_t *interior; /* proper suffixes of rules: the walk must go on */
    unsigned id;           /* tags this instance's entries in the caches */
};

/* One per thread: libpsl's answers to "is this suffix public?". */
#define S_MEMO_SLOTS 4096
#define S_MEMO_KEY 80
typedef struct {
    uint64_t hash;
    unsigned id;
    uint8_t length;
    uint8_t is_public;
    char key[S_MEMO_KEY];
} s_memo_t;

static pthread_key_t s_memo_key;
static pthread_once_t s_memo_once = PTHREAD_ONCE_INIT;
static atomic_uint s_next_id = 1;

static void s_memo_free(void *memo) { free(memo); }
static void s_memo_init(void) { (void)pthread_key_create(&s_memo_key, s_memo_free); }

static s_memo_t *s_memo(void)
{
    (void)pthread_once(&s_memo_once, s_memo_init);
    s_memo_t *memo = pthread_getspecific(s_memo_key);
    if (!memo) {
        memo = calloc(S_MEMO_SLOTS, sizeof *memo);
        if (memo && pthread_setspecific(s_memo_key, memo) != 0) {
            free(memo);
            memo = NULL;
        }
    }
    return memo; /* NULL: no cache, every question goes to libpsl */
}

/* Adds every proper suffix of a rule ("*.kawasaki.jp" -> "kawasaki.jp",
 * "jp"; "a.b.c" -> "b.c", "c") to the interior set. */
static int s_add_rule_tails(suffixset_t *set, const char *rule)
{
    if (rule[0] == '!')
        rule++;
    for (const char *dot = strchr(rule, '.'); dot; dot = strchr(dot + 1, '.')) {
        int rc = suffixset_add(set, dot + 1);
        if (rc == -ENOMEM)
            return rc;
    }
    return 0;
}

static suffixset_t *s_load_interior(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    suffixset_t *set = suffixset_new();
    char line[512];
    size_t rules = 0;
    while (set && fgets(line, sizeof line, f)) {
        size_t n = strcspn(line, " \t\r\n");
        line[n] = 0;
        if (n == 0 || (line[0] == '/' && line[1] == '/'))
            continue;
        rules++;
        if (s_add_rule_tails(set, line) != 0)
            suffixset_destroy(&set);
    }
    fclose(f);
    if (rules == 0)
        suffixset_destroy(&set); /* an empty file would make the walk wrong */
    return set;
}

suffix_t *suffix_new(const char *rules_file)
{
    suffix_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->owned = psl_latest(NULL);
    self->psl = self->owned ? self->owned : psl_builtin();
    if (!self->psl) {
        free(self);
        return NULL;
    }
    if (!rules_file)
        rules_file = psl_builtin_filename();
    if (rules_file)
        self->interior = s_load_interior(rules_file);
    self->id = atomic_fetch_add(&s_next_id, 1);
    return self;
}

void suffix_destroy(suffix_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    suffix_t *self = *self_p;
    suffixset_destroy(&self->interior);
    psl_free(self->owned);
    free(self);
    *self_p = NULL;
}

int suffix_is_fast(const suffix_t *self) { return self->interior != NULL; }

static int s_is_public(const suffix_t *self, s_memo_t *memo, uint64_t hash, const char *key,
                       size_t length)
{
    s_memo_t *slot = NULL;
    if (memo && length < S_MEMO_KEY) {
        slot = &memo[hash & (S_MEMO_SLOTS - 1)];
        if (slot->id == self->id && slot->hash == hash && slot->length == length &&
            memcmp(slot->key, key, length) == 0)
            return slot->is_public;
    }
    int pub = psl_is_public_suffix2(self->psl, key, PSL_TYPE_ANY) ? 1 : 0;
    if (slot) {
        slot->id = self->id;
        slot->hash = hash;
        slot->length = (uint8_t)length;
        slot->is_public = (uint8_t)pub;
        memcpy(slot->key, key, length);
    }
    return pub;
}

size_t suffix_split(const suffix_t *self, const name_t *name)
{
    size_t n = name->nlabels;
    if (n == 0)
        return 0;
    if (!self->interior) {
        const char *all = (const char *)name->lower;
        const char *reg = psl_registrable_domain(self->psl, all);
        if (!reg)
            return n;
        /* libpsl sees a '.' byte inside a label (from "\.") as a separator;
         * answer with the label holding the split, as the fast walk does. */
        for (size_t l = n; l-- > 0;)
            if (all + name->off[l] <= reg)
                return l;
        return n;
    }
    s_memo_t *memo = s_memo();
    size_t public_labels = 0;
    uint64_t h = suffixset_hash_init();
    for (size_t k = 1; k <= n; k++) {
        size_t l = n - k;
        h = suffixset_hash_label(h, name->lower + name->off[l], name->len[l]);
        const char *key = (const char *)name->lower + name->off[l];
        int pub = s_is_public(self, memo, h, key, name->length - name->off[l]);
        if (pub)
            public_labels = k;
        else if (!suffixset_contains(self->interior, name, l))
            break;
    }
    return public_labels >= n ? n : n - public_labels - 1;
}
