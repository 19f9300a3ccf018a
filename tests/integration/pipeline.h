/* tests/integration/pipeline.h - many requests in flight on one DEALER
 * socket, for the test programs that flood the daemon (dnsoracle_probe
 * burst, dnsoracle_hostile). Header-only: each program is its own binary.
 *
 * A DEALER sends requests without waiting; a reply is an empty delimiter
 * and frames. The sender keeps a bounded number unanswered (a client that
 * never reads has its replies dropped at the ROUTER's high-water mark, which
 * is right, but these tests count every answer).
 */
#ifndef DNSORACLE_PIPELINE_H
#define DNSORACLE_PIPELINE_H

#include <time.h>
#include <zmq.h>

#define PIPELINE_WINDOW 200 /* requests unanswered at most */

static inline double pipeline_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads the replies waiting on the DEALER and returns how many requests they
 * answered. The first read may wait (flags 0: up to RCVTIMEO), the rest take
 * only what is there. */
static inline long pipeline_replies(void *dealer, int flags)
{
    long n = 0;
    char b[64];
    for (int f = flags; zmq_recv(dealer, b, sizeof b, f) >= 0; f = ZMQ_DONTWAIT) {
        int more = 0;
        size_t len = sizeof more;
        zmq_getsockopt(dealer, ZMQ_RCVMORE, &more, &len);
        n += !more;
    }
    return n;
}

/* Reads replies into *answered until it reaches `want`, a read times out or
 * `end` (monotonic seconds) passes. */
static inline void pipeline_wait(void *dealer, long *answered, long want, double end)
{
    while (*answered < want && pipeline_now() < end) {
        long n = pipeline_replies(dealer, 0);
        if (n == 0)
            break;
        *answered += n;
    }
}

/* After sending one more request: takes the replies already there, and
 * waits while PIPELINE_WINDOW requests are unanswered. */
static inline void pipeline_sent(void *dealer, long *answered, long sent, double end)
{
    *answered += pipeline_replies(dealer, ZMQ_DONTWAIT);
    pipeline_wait(dealer, answered, sent - PIPELINE_WINDOW + 1, end);
}

#endif
