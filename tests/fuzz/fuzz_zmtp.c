/* tests/fuzz/fuzz_zmtp.c - libFuzzer harness for the ZMTP server side
 * (oracle/wire/zmtp.c), the code that reads a plaintext TCP client's raw bytes.
 *
 * Input: one byte of options, then the bytes a client sends. Options: bit 0
 * puts a valid greeting and READY (DEALER) first, so that the fuzzer spends
 * its time on frames; bit 1 picks small limits (max_batch 3, max_frames 40,
 * max_frame 300) instead of the daemon's; the high bits seed where the bytes
 * are cut into the pieces they are fed in.
 *
 * Checked: every request within the limits (envelope, frames kept, bytes
 * kept of each, frames on the wire), the memory held within its bound, and
 * the same requests, the same end and the same bytes sent back whether the
 * input comes in one piece or in many. A violation aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "zmtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A running digest of everything the sink saw (FNV-1a). */
typedef struct {
    const zmtp_limits_t *lim;
    uint64_t digest;
    unsigned requests;
} s_seen_t;

static void s_mix(s_seen_t *s, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        s->digest = (s->digest ^ b[i]) * 1099511628211u;
}

static int s_send(void *arg, const void *data, size_t len)
{
    s_mix(arg, "send", 4);
    s_mix(arg, data, len);
    return 0;
}

static void s_request(void *arg, const zmtp_request_t *r)
{
    s_seen_t *s = arg;
    const zmtp_limits_t *lim = s->lim;
    s->requests++;
    FUZZ_CHECK(r->nenvelope <= ZMTP_MAX_ENVELOPE);
    FUZZ_CHECK(r->nframes <= lim->max_batch);
    FUZZ_CHECK(r->overflow == 0 || r->nframes == lim->max_batch);
    FUZZ_CHECK((uint64_t)r->nframes + r->overflow <= lim->max_frames);
    FUZZ_CHECK(r->malformed || r->nframes > 0);
    for (unsigned i = 0; i < r->nenvelope; i++)
        FUZZ_CHECK(r->envelope[i].len == r->envelope[i].size && r->envelope[i].len <= 255 &&
                   r->envelope[i].len > 0);
    for (unsigned i = 0; i < r->nframes; i++) {
        const zmtp_frame_t *f = &r->frames[i];
        FUZZ_CHECK(f->size <= lim->max_frame);
        FUZZ_CHECK(f->len == (f->size < lim->max_name ? f->size : lim->max_name));
    }
    s_mix(s, &r->malformed, sizeof r->malformed);
    s_mix(s, &r->overflow, sizeof r->overflow);
    for (unsigned i = 0; i < r->nenvelope; i++)
        s_mix(s, r->envelope[i].data, r->envelope[i].len);
    for (unsigned i = 0; i < r->nframes; i++) {
        s_mix(s, &r->frames[i].size, sizeof r->frames[i].size);
        s_mix(s, r->frames[i].data, r->frames[i].len);
    }
}

/* Feeds `in` cut at pseudo-random places (seed 0: in one piece). Returns
 * the end (0 or -1) and fills *seen. */
static int s_run(const zmtp_limits_t *lim, const uint8_t *in, size_t n, unsigned seed,
                 s_seen_t *seen, const char **why)
{
    zmtp_t *z = zmtp_new(lim);
    FUZZ_CHECK(z != NULL);
    *seen = (s_seen_t){lim, 14695981039346656037u, 0};
    zmtp_sink_t sink = {seen, s_send, s_request};
    /* what one connection may hold: the struct, the arena (names kept and
     * the envelope, doubled by growth), the frame records, a command */
    size_t bound = 4096 + 2 * ((size_t)lim->max_batch * lim->max_name + 4 * 255 + 1024) +
                   (size_t)lim->max_batch * sizeof(zmtp_frame_t) + 4096;
    int rc = 0;
    size_t at = 0;
    while (at < n && rc == 0) {
        size_t piece = n - at;
        if (seed) {
            seed = seed * 1103515245u + 12345u;
            piece = 1 + (seed >> 16) % 97;
            if (piece > n - at)
                piece = n - at;
        }
        rc = zmtp_feed(z, in + at, piece, &sink, why);
        at += piece;
        FUZZ_CHECK(zmtp_held(z) <= bound);
    }
    zmtp_destroy(&z);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[1 << 17];
    static const uint8_t hello[] = {
        0xff, 0,   0,   0,   0,   0,   0,   0,   1,   0x7f, 3,   1,   'N', 'U', 'L', 'L',
        0,    0,   0,   0,   0,   0,   0,   0,   0,   0,    0,   0,   0,   0,   0,   0,
        0,    0,   0,   0,   0,   0,   0,   0,   0,   0,    0,   0,   0,   0,   0,   0,
        0,    0,   0,   0,   0,   0,   0,   0,   0,   0,    0,   0,   0,   0,   0,   0,
        4,    28,  5,   'R', 'E', 'A', 'D', 'Y', 11,  'S',  'o', 'c', 'k', 'e', 't', '-',
        'T',  'y', 'p', 'e', 0,   0,   0,   6,   'D', 'E',  'A', 'L', 'E', 'R'};
    if (size < 1 || size - 1 + sizeof hello > sizeof buf)
        return 0;
    uint8_t opt = data[0];
    size_t n = 0;
    if (opt & 1) {
        memcpy(buf, hello, sizeof hello);
        n = sizeof hello;
    }
    memcpy(buf + n, data + 1, size - 1);
    n += size - 1;
    static const zmtp_limits_t daemon = {4096, 256, 1024, 65536}, small = {300, 16, 3, 40};
    const zmtp_limits_t *lim = opt & 2 ? &small : &daemon;

    s_seen_t whole, pieces;
    const char *why_whole = NULL, *why_pieces = NULL;
    int rc_whole = s_run(lim, buf, n, 0, &whole, &why_whole);
    int rc_pieces = s_run(lim, buf, n, (opt >> 2) + 1, &pieces, &why_pieces);
    FUZZ_CHECK(rc_whole == rc_pieces);
    FUZZ_CHECK(whole.requests == pieces.requests);
    FUZZ_CHECK(whole.digest == pieces.digest);
    FUZZ_CHECK(rc_whole == 0 || (why_whole && why_pieces && strcmp(why_whole, why_pieces) == 0));
    return 0;
}
