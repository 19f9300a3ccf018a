/* tests/unit/test_lists.c - the drop, block and allow lists (oracle/engine/lists.c):
 * precedence between the kinds, the text the hook reads (snapshot chunks
 * and change messages, written and parsed here), and the listbox:
 * a replaced object is freed only once every reader has moved past it,
 * however long a reader holds it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "listbox.h"
#include "lists.h"
#include "name.h"

static reason_t s_check(const lists_t *l, const char *text)
{
    name_t name;
    assert_int_equal(name_parse(text, strlen(text), &name), 0);
    return lists_check(l, &name);
}

static lists_t *s_lists(void)
{
    lists_t *l = lists_new();
    assert_non_null(l);
    assert_int_equal(lists_add(l, LIST_DROP, "busy.test"), 0);
    assert_int_equal(lists_add(l, LIST_ALLOW, "ok.busy.test"), 0);
    assert_int_equal(lists_add(l, LIST_ALLOW, "cloudfront.net"), 0);
    assert_int_equal(lists_add(l, LIST_BLOCK, "d123.cloudfront.net"), 0);
    return l;
}

static void test_precedence(void **state)
{
    (void)state;
    lists_t *l = s_lists();
    assert_int_equal(s_check(l, "x.busy.test"), REASON_DROPLIST);
    assert_int_equal(s_check(l, "a.ok.busy.test"), REASON_ALLOWLIST); /* allow beats drop */
    assert_int_equal(s_check(l, "www.cloudfront.net"), REASON_ALLOWLIST);
    /* the more specific of allow and block wins */
    assert_int_equal(s_check(l, "x.d123.cloudfront.net"), REASON_BLOCKLIST);
    assert_int_equal(s_check(l, "www.example.com"), REASON_OK);
    assert_int_equal(lists_size(l, LIST_ALLOW), 2);
    assert_int_equal(lists_size(l, LIST_BLOCK), 1);
    lists_destroy(&l);
    assert_null(l);
}

static void test_apply(void **state)
{
    (void)state;
    lists_t *l = s_lists();
    name_t name;
    verdict_t v = {.good = true, .reason_id = REASON_OK};
    assert_int_equal(name_parse("x.busy.test", 11, &name), 0);
    lists_apply(l, &name, &v);
    assert_false(v.good);
    assert_int_equal(v.reason_id, REASON_DROPLIST);
    /* the allow-list file's verdict beats a drop */
    v = (verdict_t){.good = true, .reason_id = REASON_ALLOWLIST};
    lists_apply(l, &name, &v);
    assert_true(v.good);
    v = (verdict_t){.good = true, .reason_id = REASON_OK};
    lists_apply(NULL, &name, &v);
    assert_true(v.good);
    lists_destroy(&l);
}

/* Every entry once, in chunks of any size; the concatenation is the same. */
static void s_walk(const lists_t *l, size_t cap, char *out, size_t outcap)
{
    char *buf = malloc(cap);
    assert_non_null(buf);
    uint64_t cursor = 0, next = 0;
    bool more = true;
    size_t used = 0;
    for (int chunks = 0; more; chunks++) {
        assert_true(chunks < 100000);
        size_t n = lists_chunk(l, cursor, buf, cap, &next, &more);
        assert_true(n <= cap);
        assert_true(used + n < outcap);
        memcpy(out + used, buf, n);
        used += n;
        cursor = next;
    }
    out[used] = 0;
    free(buf);
}

static size_t s_count_lines(const char *text)
{
    size_t n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

static void test_chunks_and_kinds(void **state)
{
    (void)state;
    lists_t *l = lists_new();
    assert_non_null(l);
    char domain[64];
    for (int i = 0; i < 3000; i++) {
        snprintf(domain, sizeof domain, "d%d.example.test", i);
        assert_int_equal(lists_add(l, (list_kind_t)(i % LIST_KINDS), domain), 0);
    }
    static char whole[200000], small[200000];
    s_walk(l, 1 << 20, whole, sizeof whole);
    s_walk(l, 301, small, sizeof small);
    assert_int_equal(s_count_lines(whole), 3000);
    assert_string_equal(whole, small); /* the order is fixed: chunks add up */
    assert_non_null(strstr(whole, "block d1.example.test\n"));
    assert_non_null(strstr(whole, "allow d2.example.test\n"));
    assert_int_equal(lists_kind_parse("block"), LIST_BLOCK);
    assert_int_equal(lists_kind_parse("nope"), -1);
    assert_string_equal(lists_kind_name(LIST_DROP), "drop");
    assert_int_equal(lists_add(l, LIST_DROP, "bad..name"), -EINVAL);
    /* the CRC of the chunks as the hook checks it: IEEE 802.3 */
    assert_int_equal(lists_crc32(0, "123456789", 9), 0xCBF43926u);
    lists_destroy(&l);
}

/* A change makes new lists and leaves the old ones as they were; the
 * difference of two lists turns one into the other. */
static void test_change_and_diff(void **state)
{
    (void)state;
    lists_t *a = s_lists();
    const list_change_t c[] = {
        {true, LIST_BLOCK, "evil.test"},
        {false, LIST_DROP, "busy.test"},
        {true, LIST_BLOCK, "evil.test"}, /* changes nothing: skipped */
        {false, LIST_ALLOW, "never.listed.test"},
    };
    lists_t *b = lists_change(a, c, 4);
    assert_non_null(b);
    assert_int_equal(s_check(a, "x.busy.test"), REASON_DROPLIST);
    assert_int_equal(s_check(a, "www.evil.test"), REASON_OK);
    assert_int_equal(s_check(b, "x.busy.test"), REASON_OK);
    assert_int_equal(s_check(b, "www.evil.test"), REASON_BLOCKLIST);
    assert_true(lists_has(b, LIST_BLOCK, "evil.test"));
    assert_false(lists_has(b, LIST_BLOCK, "www.evil.test")); /* an entry, not covered */
    assert_int_equal(lists_total(a), 4);
    assert_int_equal(lists_total(b), 4);
    list_change_t *d = NULL;
    size_t n = 0;
    assert_int_equal(lists_diff(a, b, &d, &n), 0);
    assert_int_equal(n, 2);
    lists_t *again = lists_change(a, d, n);
    free(d);
    assert_non_null(again);
    assert_int_equal(lists_diff(again, b, &d, &n), 0);
    assert_int_equal(n, 0);
    free(d);
    /* many changes fold the delta into a new base: still the same lists */
    lists_t *cur = b;
    char domain[64];
    for (int i = 0; i < 5000; i++) {
        snprintf(domain, sizeof domain, "n%d.test", i);
        list_change_t one = {true, LIST_DROP, domain};
        lists_t *next = lists_change(cur, &one, 1);
        assert_non_null(next);
        if (cur != b)
            lists_destroy(&cur);
        cur = next;
    }
    assert_int_equal(lists_size(cur, LIST_DROP), 5000);
    assert_int_equal(s_check(cur, "a.n4999.test"), REASON_DROPLIST);
    assert_int_equal(s_check(cur, "www.evil.test"), REASON_BLOCKLIST);
    assert_int_equal(s_check(b, "a.n1.test"), REASON_OK); /* b unchanged */
    lists_destroy(&cur);
    lists_destroy(&again);
    lists_destroy(&b);
    lists_destroy(&a);
}

#define S_UNIVERSE 6000

/* Every version against a model (a flag per kind and domain) through
 * 24000 changes in batches of 1 to 300 (every fifth version checked
 * whole), so that the top delta is merged
 * into the middle one many times and the middle one folded into a new
 * base: the entries, the sizes, the chunk walk and the diff agree, and
 * the version a change started from is left as it was. */
static void test_layers_against_a_model(void **state)
{
    (void)state;
    static char names[S_UNIVERSE][32];
    static bool model[LIST_KINDS][S_UNIVERSE], before[LIST_KINDS][S_UNIVERSE];
    unsigned seed = 42;
    lists_t *cur = lists_new();
    assert_non_null(cur);
    for (int i = 0; i < S_UNIVERSE; i++) {
        snprintf(names[i], sizeof names[i], "m%d.model.test", i);
        for (int k = 0; k < LIST_KINDS; k++)
            if ((model[k][i] = (i + k) % 2 == 0))
                assert_int_equal(lists_add(cur, (list_kind_t)k, names[i]), 0);
    }
    static list_change_t batch[300];
    static char buf[1 << 20];
    for (int done = 0, step = 0; done < 24000; step++) {
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 16) % 10 == 0 ? 300 : 1 + (seed >> 16) % 5;
        memcpy(before, model, sizeof model);
        for (size_t j = 0; j < n; j++) {
            seed = seed * 1103515245u + 12345u;
            int i = (int)((seed >> 8) % S_UNIVERSE), k = (int)((seed >> 4) % LIST_KINDS);
            batch[j] = (list_change_t){(seed >> 3) % 2 == 0, (list_kind_t)k, names[i]};
            model[k][i] = batch[j].add;
        }
        lists_t *next = lists_change(cur, batch, n);
        assert_non_null(next);
        done += (int)n;
        size_t total = 0;
        for (int k = 0; k < LIST_KINDS; k++)
            for (int i = 0; i < S_UNIVERSE; i++) {
                total += model[k][i];
                if (step % 50 == 0 && lists_has(cur, (list_kind_t)k, names[i]) != before[k][i])
                    fail_msg("step %d: the old version changed at %s", step, names[i]);
                if (step % 5 == 0 && lists_has(next, (list_kind_t)k, names[i]) != model[k][i])
                    fail_msg("step %d: %s %s", step, lists_kind_name((list_kind_t)k), names[i]);
            }
        for (size_t j = 0; j < n; j++)
            if (lists_has(next, batch[j].kind, batch[j].domain) !=
                model[batch[j].kind][atoi(batch[j].domain + 1)])
                fail_msg("step %d: %s", step, batch[j].domain);
        assert_int_equal(lists_total(next), total);
        lists_destroy(&cur);
        cur = next;
        if (step % 40 != 0)
            continue;
        /* the walk: every entry once, each a listed one */
        uint64_t cursor = 0;
        bool more = true;
        size_t lines = 0;
        while (more) {
            size_t len = lists_chunk(cur, cursor, buf, 4096, &cursor, &more);
            for (char *l = buf, *end = buf + len; l < end; lines++) {
                char *nl = memchr(l, '\n', (size_t)(end - l)),
                     *sp = memchr(l, ' ', (size_t)(end - l));
                assert_non_null(nl);
                *nl = *sp = 0;
                assert_true(lists_has(cur, (list_kind_t)lists_kind_parse(l), sp + 1));
                l = nl + 1;
            }
        }
        assert_int_equal(lines, total);
    }
    /* built afresh from the model: no difference */
    lists_t *fresh = lists_new();
    assert_non_null(fresh);
    for (int k = 0; k < LIST_KINDS; k++)
        for (int i = 0; i < S_UNIVERSE; i++)
            if (model[k][i])
                assert_int_equal(lists_add(fresh, (list_kind_t)k, names[i]), 0);
    list_change_t *d = NULL;
    size_t n = 1;
    assert_int_equal(lists_diff(cur, fresh, &d, &n), 0);
    assert_int_equal(n, 0);
    free(d);
    lists_destroy(&fresh);
    lists_destroy(&cur);
}

/* A reader that stalls inside a request keeps what it read alive across
 * any number of swaps; once it leaves, the next swap frees it. */
static void test_listbox_generations(void **state)
{
    (void)state;
    listbox_t *box = listbox_new(2, 0);
    assert_non_null(box);
    assert_null(listbox_enter(box, 0));
    listbox_leave(box, 0);
    lists_t *first = s_lists();
    listbox_put(box, first);
    const lists_t *held = listbox_enter(box, 0); /* reader 0 stalls with it */
    assert_ptr_equal(held, first);
    for (int i = 0; i < 3; i++)
        listbox_put(box, lists_new());
    /* the first and the two between are all that reader 0 may still see
     * as far as the box knows: none is freed */
    assert_int_equal(listbox_retired(box), 3);
    assert_int_equal(s_check(held, "x.busy.test"), REASON_DROPLIST); /* still valid */
    /* reader 1 came later: it holds the newest only */
    const lists_t *now = listbox_enter(box, 1);
    assert_ptr_not_equal(now, held);
    listbox_leave(box, 0);
    assert_int_equal(listbox_retired(box), 0);
    listbox_put(box, lists_new()); /* reader 1 still reads `now` */
    assert_int_equal(listbox_retired(box), 1);
    listbox_leave(box, 1);
    assert_int_equal(listbox_retired(box), 0);
    size_t sizes[LIST_KINDS];
    listbox_sizes(box, sizes);
    assert_int_equal(sizes[LIST_DROP] + sizes[LIST_BLOCK] + sizes[LIST_ALLOW], 0);
    listbox_destroy(&box);
    assert_null(box);
}

/* A chunk as lists_chunk() writes it, added by lists_add_chunk() (the
 * hook's snapshot), gives the same lists, in chunks of any size. */
static void test_chunk_round_trip(void **state)
{
    (void)state;
    lists_t *l = lists_new(), *copy = lists_new();
    assert_non_null(l);
    assert_non_null(copy);
    char domain[64], buf[512];
    for (int i = 0; i < 500; i++) {
        snprintf(domain, sizeof domain, "r%d.example.test", i);
        assert_int_equal(lists_add(l, (list_kind_t)(i % LIST_KINDS), domain), 0);
    }
    uint64_t cursor = 0;
    bool more = true;
    for (int chunks = 0; more; chunks++) {
        assert_true(chunks < 1000);
        size_t n = lists_chunk(l, cursor, buf, sizeof buf, &cursor, &more);
        assert_int_equal(lists_add_chunk(copy, buf, n), 0);
    }
    list_change_t *d = NULL;
    size_t n = 1;
    assert_int_equal(lists_diff(l, copy, &d, &n), 0);
    assert_int_equal(n, 0);
    free(d);
    assert_int_equal(lists_total(copy), 500);
    /* what is not a chunk line */
    char bad_kind[] = "block a.test\nkeep b.test\n", no_nl[] = "block c.test",
         bad_domain[] = "drop bad..name\n";
    assert_int_equal(lists_add_chunk(copy, bad_kind, strlen(bad_kind)), -EINVAL);
    assert_true(lists_has(copy, LIST_BLOCK, "a.test")); /* the lines before stay */
    assert_int_equal(lists_add_chunk(copy, no_nl, strlen(no_nl)), -EINVAL);
    assert_int_equal(lists_add_chunk(copy, bad_domain, strlen(bad_domain)), -EINVAL);
    lists_destroy(&copy);
    lists_destroy(&l);
}

typedef struct {
    char text[32768];
    size_t len;
    int messages;
} s_published_t;

static void s_publish(void *arg, const char *text, size_t len)
{
    s_published_t *p = arg;
    assert_true(len < sizeof p->text);
    memcpy(p->text, text, len);
    p->text[len] = 0;
    p->len = len;
    p->messages++;
}

/* The change messages the box publishes, parsed as the hook parses them
 * (listbox_parse_message, lists_parse_changes), turn the old lists into
 * the new ones. */
static void test_change_messages(void **state)
{
    (void)state;
    listbox_t *box = listbox_new(1, 0);
    assert_non_null(box);
    s_published_t *p = calloc(1, sizeof *p);
    assert_non_null(p);
    listbox_set_publisher(box, s_publish, p, "", "");
    listbox_put(box, s_lists());
    listbox_message_t m;
    assert_int_equal(listbox_parse_message(p->text, p->len, &m), 0);
    assert_int_equal(m.count, -1); /* a reset */
    uint64_t epoch = m.epoch, generation = m.generation;
    lists_t *mirror = s_lists();
    const list_change_t c[] = {
        {true, LIST_BLOCK, "evil.test"},
        {false, LIST_DROP, "busy.test"},
        {true, LIST_ALLOW, "good.example.test"},
    };
    assert_int_equal(listbox_change(box, c, 3), 0);
    assert_int_equal(p->messages, 2);
    assert_int_equal(listbox_parse_message(p->text, p->len, &m), 0);
    assert_true(m.epoch == epoch && m.generation == generation + 1);
    assert_int_equal(m.count, 3);
    list_change_t got[3];
    assert_int_equal(lists_parse_changes(m.body, got, 3), 3);
    lists_t *next = lists_change(mirror, got, 3);
    assert_non_null(next);
    const lists_t *cur = listbox_enter(box, 0);
    list_change_t *d = NULL;
    size_t n = 1;
    assert_int_equal(lists_diff(next, cur, &d, &n), 0);
    assert_int_equal(n, 0);
    free(d);
    listbox_leave(box, 0);
    /* one line written and read back; what is not a message or a change */
    char line[64];
    assert_int_equal(lists_format_change(&c[1], line, sizeof line), strlen("-drop busy.test\n"));
    assert_string_equal(line, "-drop busy.test\n");
    assert_int_equal(lists_format_change(&c[1], line, 8), 0);
    char not_msg[] = "list 1 2 3\n", no_count[] = "lists 1 2 x\n", bad_change[] = "*drop a.test\n",
         bad_kind[] = "+keep a.test\n";
    assert_int_equal(listbox_parse_message(not_msg, strlen(not_msg), &m), -EINVAL);
    assert_int_equal(listbox_parse_message(no_count, strlen(no_count), &m), -EINVAL);
    assert_int_equal(lists_parse_changes(bad_change, got, 3), -EINVAL);
    assert_int_equal(lists_parse_changes(bad_kind, got, 3), -EINVAL);
    lists_destroy(&next);
    lists_destroy(&mirror);
    listbox_destroy(&box);
    free(p);
}

/* A replaced version is kept for a snapshot only when one began on it: a
 * stream of single changes does not pile up keep_seconds of versions. */
static void test_listbox_wanted(void **state)
{
    (void)state;
    listbox_t *box = listbox_new(1, 30);
    assert_non_null(box);
    listbox_put(box, s_lists());
    for (int i = 0; i < 100; i++) {
        char d[32];
        snprintf(d, sizeof d, "c%d.churn.test", i);
        list_change_t c = {i % 2 == 0, LIST_BLOCK, d};
        assert_int_equal(listbox_change(box, &c, 1), 0);
    }
    assert_int_equal(listbox_retired(box), 0); /* nobody reads, nobody fetches */
    const lists_t *fetched = listbox_enter(box, 0);
    uint64_t gen = lists_generation(fetched);
    listbox_want(box, gen); /* a snapshot began on it */
    listbox_leave(box, 0);
    list_change_t c = {true, LIST_BLOCK, "after.churn.test"};
    assert_int_equal(listbox_change(box, &c, 1), 0);
    assert_int_equal(listbox_change(box, &c, 1), 0); /* changes nothing: no version */
    c.add = false;
    assert_int_equal(listbox_change(box, &c, 1), 0);
    assert_int_equal(listbox_retired(box), 1); /* kept for its snapshot, the other freed */
    const lists_t *cur = listbox_enter(box, 0);
    assert_ptr_not_equal(cur, fetched);
    assert_ptr_equal(listbox_find(box, 0, gen), fetched);
    assert_null(listbox_find(box, 0, gen + 1)); /* not wanted: gone */
    listbox_leave(box, 0);
    listbox_destroy(&box);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_apply),
        cmocka_unit_test(test_chunks_and_kinds),
        cmocka_unit_test(test_change_and_diff),
        cmocka_unit_test(test_layers_against_a_model),
        cmocka_unit_test(test_listbox_generations),
        cmocka_unit_test(test_listbox_wanted),
        cmocka_unit_test(test_chunk_round_trip),
        cmocka_unit_test(test_change_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
