/* tests/unit/test_routing.c - the frames between the proxy and the workers
 * (oracle/daemon/routing.c): a stamp and a header read back as written,
 * anything else refused, and the one limit every front keeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "routing.h"

static void test_stamp_round_trip(void **state)
{
    (void)state;
    uint8_t b[ROUTING_STAMP_SIZE];
    routing_stamp_t st;
    for (int via = 0; via < ROUTING_VIAS; via++) {
        routing_stamp_encode((routing_stamp_t){123456789012345ull, (routing_via_t)via}, b);
        assert_int_equal(routing_stamp_decode(b, sizeof b, &st), 0);
        assert_true(st.t0 == 123456789012345ull);
        assert_int_equal(st.via, via);
    }
}

static void test_stamp_refused(void **state)
{
    (void)state;
    uint8_t b[ROUTING_STAMP_SIZE + 1] = {0};
    routing_stamp_t st;
    routing_stamp_encode((routing_stamp_t){42, ROUTING_VIA_CURVE}, b);
    assert_int_equal(routing_stamp_decode(b, sizeof b, &st), -1); /* one byte too many */
    assert_int_equal(routing_stamp_decode(b, ROUTING_STAMP_SIZE - 1, &st), -1);
    b[8] = ROUTING_VIAS; /* no such socket */
    assert_int_equal(routing_stamp_decode(b, ROUTING_STAMP_SIZE, &st), -1);
    /* refused: the reply goes to the plain ROUTER, with no latency */
    assert_int_equal(st.via, ROUTING_VIA_ROUTER);
    assert_true(st.t0 == 0);
}

static void test_header(void **state)
{
    (void)state;
    uint8_t b[ROUTING_HEADER_SIZE];
    uint32_t n = 7;
    routing_header_encode(70000, b);
    assert_int_equal(routing_header_decode(b, sizeof b, &n), 0);
    assert_int_equal(n, 70000);
    assert_int_equal(routing_header_decode(b, 3, &n), -1);
    assert_int_equal(n, 0);
}

/* A command frame and max_batch names, of 256 bytes at most. */
static void test_limits(void **state)
{
    (void)state;
    zmtp_limits_t lim = routing_limits(2);
    assert_int_equal(lim.max_batch, 3);
    assert_int_equal(lim.max_name, 256);
    assert_int_equal(lim.max_frame, ROUTING_MAX_FRAME);
    assert_true(lim.max_frames > lim.max_batch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stamp_round_trip),
        cmocka_unit_test(test_stamp_refused),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
