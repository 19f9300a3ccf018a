/* tests/unit/test_lists.c - the drop, block and allow lists (oracle/lists.c):
 * precedence between the kinds, the text the hook reads, and the listbox:
 * a replaced object is freed only once every reader has moved past it,
 * however long a reader holds it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

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

static void test_text_and_kinds(void **state)
{
    (void)state;
    lists_t *l = s_lists();
    size_t len;
    const char *text = lists_text(l, &len);
    const char *want = "drop busy.test\nallow ok.busy.test\nallow cloudfront.net\n"
                       "block d123.cloudfront.net\n";
    assert_int_equal(len, strlen(want));
    assert_memory_equal(text, want, len);
    assert_int_equal(lists_kind_parse("block"), LIST_BLOCK);
    assert_int_equal(lists_kind_parse("nope"), -1);
    assert_string_equal(lists_kind_name(LIST_DROP), "drop");
    assert_int_equal(lists_add(l, LIST_DROP, "bad..name"), -EINVAL);
    lists_destroy(&l);
}

/* A reader that stalls inside a request keeps what it read alive across
 * any number of swaps; once it leaves, the next swap frees it. */
static void test_listbox_generations(void **state)
{
    (void)state;
    listbox_t *box = listbox_new(2);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_apply),
        cmocka_unit_test(test_text_and_kinds),
        cmocka_unit_test(test_listbox_generations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
