/* tests/integration/fakesnap.c - an oracle that serves a bad snapshot.
 *
 *   dnsoracle_fakesnap REP_ENDPOINT PUB_ENDPOINT crc|truncated|lines SECONDS
 *
 * Answers every \0snapshot with one chunk whose CRC-32 is wrong, whose
 * frame is shorter than its header says, or whose lines are not "kind
 * domain", and publishes a heartbeat of its own epoch every 200 ms so that a
 * hook subscribed there fetches from it. For tests/integration/
 * test_listsync.sh: the hook must refuse the chunk and keep its lists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "lists.h"

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Replies to one request on `rep` (its frames are read and dropped). */
static void s_answer(void *rep, const char *mode, const char *pub_ep)
{
    char buf[256];
    int more = 1;
    size_t sz = sizeof more;
    while (more && zmq_recv(rep, buf, sizeof buf, 0) >= 0)
        zmq_getsockopt(rep, ZMQ_RCVMORE, &more, &sz);
    const char *chunk = strcmp(mode, "lines") == 0 ? "block fake.test\nnot a line\n"
                                                   : "block fake.test\nblock other.test\n";
    size_t len = strlen(chunk), told = len;
    unsigned long crc = lists_crc32(0, chunk, len);
    if (strcmp(mode, "crc") == 0)
        crc ^= 1;
    if (strcmp(mode, "truncated") == 0)
        len -= 5; /* the frame ends early; the header has the full length */
    char head[400];
    int n = snprintf(head, sizeof head, "snapshot 42 7 0 0 %zu %lu %s", told, crc, pub_ep);
    zmq_send(rep, head, (size_t)n, ZMQ_SNDMORE);
    zmq_send(rep, chunk, len, 0);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s REP PUB crc|truncated|lines SECONDS\n", argv[0]);
        return 2;
    }
    void *ctx = zmq_ctx_new();
    void *rep = zmq_socket(ctx, ZMQ_REP), *pub = zmq_socket(ctx, ZMQ_PUB);
    int zero = 0;
    zmq_setsockopt(rep, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(pub, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind(rep, argv[1]) != 0 || zmq_bind(pub, argv[2]) != 0) {
        fprintf(stderr, "fakesnap: cannot bind: %s\n", zmq_strerror(zmq_errno()));
        return 1;
    }
    double end = s_now() + atof(argv[4]), beat = 0;
    unsigned answered = 0;
    while (s_now() < end) {
        zmq_pollitem_t item = {rep, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 50) > 0) {
            s_answer(rep, argv[3], argv[2]);
            answered++;
        }
        if (s_now() >= beat) {
            zmq_send(pub, "lists 42 7 0\n", 13, ZMQ_DONTWAIT);
            beat = s_now() + 0.2;
        }
    }
    printf("%u\n", answered);
    zmq_close(rep);
    zmq_close(pub);
    zmq_ctx_term(ctx);
    return 0;
}
