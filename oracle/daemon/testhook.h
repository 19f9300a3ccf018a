/* oracle/daemon/testhook.h - faults the integration tests provoke, compiled in only for tests.
 *
 * Some defects show only when a thread hangs: the watchdog must stop
 * pinging systemd while a worker is stuck, and a proxy that misses its stop
 * deadline must not leave the CURVE socket without its handler. The tests
 * make a thread hang through environment variables that only a build with
 * -DDNSORACLE_TESTING=ON (the default when DNSORACLE_TESTS is ON; never in
 * install.sh's build) reads; elsewhere every hook compiles to nothing.
 *
 *   DNSORACLE_TEST_HANG_NAME=NAME, DNSORACLE_TEST_HANG_MS=MS
 *       a worker that gets a request whose first frame is NAME sleeps MS ms
 *       before it serves it (server.c);
 *   DNSORACLE_TEST_PROXY_STOP_MS=MS
 *       the proxy sleeps MS ms when told to stop, holding its sockets
 *       (routing.c).
 */
#ifndef DNSORACLE_TESTHOOK_H
#define DNSORACLE_TESTHOOK_H

#ifdef DNSORACLE_TESTING
#include <errno.h>
#include <stdlib.h>
#include <time.h>

/* The whole number of ms in environment variable `var`; 0 when unset. */
static inline unsigned testhook_ms(const char *var)
{
    const char *v = getenv(var);
    return v ? (unsigned)strtoul(v, NULL, 10) : 0;
}

/* Sleeps ms milliseconds. */
static inline void testhook_sleep(unsigned ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

/* Sleeps testhook_ms(var) ms. */
static inline void testhook_stall(const char *var) { testhook_sleep(testhook_ms(var)); }

/* The value of `var`, or NULL. */
static inline const char *testhook_text(const char *var) { return getenv(var); }
#else
#define testhook_ms(var) 0u
#define testhook_sleep(ms) ((void)0)
#define testhook_stall(var) ((void)0)
#define testhook_text(var) ((const char *)0)
#endif

#endif
