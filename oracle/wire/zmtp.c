/* oracle/wire/zmtp.c - the oracle's side of one ZMTP 3 connection, without sockets. */
#include "zmtp.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_MAX_ENVELOPE_FRAME 255 /* a longer envelope frame makes a request malformed */
#define S_MAX_COMMAND 4096       /* a longer command ends the connection */

enum { S_GREETING, S_HEADER, S_BODY };

/* flags byte of a frame (RFC 23) */
#define F_MORE 0x01
#define F_LONG 0x02
#define F_COMMAND 0x04

struct zmtp {
    zmtp_limits_t lim;
    int state;
    bool ready; /* the peer's READY arrived */
    uint8_t in[ZMTP_GREETING];
    size_t have, need; /* bytes of the greeting or frame header read, wanted */
    /* the frame being read */
    uint8_t flags;
    uint64_t size, got;
    size_t keep;  /* bytes of it kept */
    bool name;    /* it is a name frame of the request, kept */
    uint8_t *cmd; /* a command's body (commands are small, and kept whole) */
    /* the request being read */
    bool delimited, malformed;
    unsigned nenvelope, nframes, overflow;
    uint64_t total;
    /* Frames kept: their bytes follow each other in the arena, in the
     * order they came (envelope first); `data` is set when the request is
     * handed over, as the arena may move until then. */
    zmtp_frame_t envelope[ZMTP_MAX_ENVELOPE];
    zmtp_frame_t *frames;
    size_t frames_cap;
    uint8_t *arena;
    size_t arena_len, arena_cap;
};

static const uint8_t s_greeting[ZMTP_GREETING] = {
    0xff, 0,   0,   0,   0, 0, 0, 0, 0, 0x7f, /* signature */
    3,    0,                                  /* version 3.0 */
    'N',  'U', 'L', 'L',                      /* mechanism, zero-padded to 20 bytes */
};

/* Our READY: Socket-Type ROUTER. */
static const uint8_t s_our_ready[] = {F_COMMAND, 28,  5,   'R', 'E', 'A', 'D', 'Y', 11,  'S',
                                      'o',       'c', 'k', 'e', 't', '-', 'T', 'y', 'p', 'e',
                                      0,         0,   0,   6,   'R', 'O', 'U', 'T', 'E', 'R'};

const uint8_t *zmtp_greeting(void) { return s_greeting; }

zmtp_t *zmtp_new(const zmtp_limits_t *limits)
{
    zmtp_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->lim = *limits;
    if (self->lim.max_name > self->lim.max_frame)
        self->lim.max_name = self->lim.max_frame;
    self->state = S_GREETING;
    self->need = ZMTP_GREETING;
    return self;
}

void zmtp_destroy(zmtp_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zmtp_t *self = *self_p;
    free(self->cmd);
    free(self->frames);
    free(self->arena);
    free(self);
    *self_p = NULL;
}

size_t zmtp_held(const zmtp_t *self)
{
    return sizeof *self + self->arena_cap + self->frames_cap * sizeof(zmtp_frame_t) +
           (self->cmd ? S_MAX_COMMAND : 0);
}

size_t zmtp_header(uint8_t *out, size_t len, bool more)
{
    if (len <= 255) {
        out[0] = more ? F_MORE : 0;
        out[1] = (uint8_t)len;
        return 2;
    }
    out[0] = (uint8_t)(F_LONG | (more ? F_MORE : 0));
    for (int i = 0; i < 8; i++)
        out[1 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    return 9;
}

/* Makes room for n more bytes in the arena; -1 when out of memory. */
static int s_arena_reserve(zmtp_t *self, size_t n)
{
    if (self->arena_len + n <= self->arena_cap)
        return 0;
    size_t cap = self->arena_cap ? self->arena_cap : 1024;
    while (cap < self->arena_len + n)
        cap *= 2;
    uint8_t *a = realloc(self->arena, cap);
    if (!a)
        return -1;
    self->arena = a;
    self->arena_cap = cap;
    return 0;
}

/* The request ended: hand it over, then forget it (keeping the buffers). */
static void s_request_done(zmtp_t *self, const zmtp_sink_t *sink)
{
    static const uint8_t none[1];
    size_t at = 0; /* (the arena is NULL while nothing was kept) */
    for (unsigned i = 0; i < self->nenvelope; i++) {
        self->envelope[i].data = self->envelope[i].len ? self->arena + at : none;
        at += self->envelope[i].len;
    }
    for (unsigned i = 0; i < self->nframes; i++) {
        self->frames[i].data = self->frames[i].len ? self->arena + at : none;
        at += self->frames[i].len;
    }
    zmtp_request_t r = {
        self->envelope, self->nenvelope,
        self->frames,   self->nframes,
        self->overflow, self->malformed || !self->delimited || self->nframes + self->overflow == 0};
    sink->request(sink->arg, &r);
    self->delimited = self->malformed = false;
    self->nenvelope = self->nframes = self->overflow = 0;
    self->total = 0;
    self->arena_len = 0;
}

/* A READY command's properties: the peer must be a REQ or DEALER socket. */
static int s_ready(zmtp_t *self, const uint8_t *p, size_t n, const char **why)
{
    bool typed = false;
    while (n > 0) {
        size_t nlen = p[0];
        if (n < 1 + nlen + 4) {
            *why = "a malformed READY command";
            return -1;
        }
        const uint8_t *name = p + 1;
        const uint8_t *v = p + 1 + nlen;
        size_t vlen = (size_t)v[0] << 24 | (size_t)v[1] << 16 | (size_t)v[2] << 8 | v[3];
        if (n - 1 - nlen - 4 < vlen) {
            *why = "a malformed READY command";
            return -1;
        }
        v += 4;
        if (nlen == 11 && strncasecmp((const char *)name, "Socket-Type", 11) == 0) {
            if (!((vlen == 3 && memcmp(v, "REQ", 3) == 0) ||
                  (vlen == 6 && memcmp(v, "DEALER", 6) == 0))) {
                *why = "the peer is not a REQ or DEALER socket";
                return -1;
            }
            typed = true;
        }
        p = v + vlen;
        n -= 1 + nlen + 4 + vlen;
    }
    if (!typed) {
        *why = "a READY command without Socket-Type";
        return -1;
    }
    self->ready = true;
    return 0;
}

/* A whole command is in self->cmd. */
static int s_command(zmtp_t *self, const zmtp_sink_t *sink, const char **why)
{
    const uint8_t *c = self->cmd;
    size_t n = (size_t)self->size;
    if (n < 1 || (size_t)c[0] + 1 > n) {
        *why = "a malformed command";
        return -1;
    }
    size_t nlen = c[0];
    const uint8_t *name = c + 1, *body = c + 1 + nlen;
    size_t blen = n - 1 - nlen;
    if (nlen == 5 && memcmp(name, "READY", 5) == 0) {
        if (self->ready) {
            *why = "a second READY command";
            return -1;
        }
        return s_ready(self, body, blen, why);
    }
    if (!self->ready) {
        *why = "a command before READY";
        return -1;
    }
    if (nlen == 5 && memcmp(name, "ERROR", 5) == 0) {
        *why = "the peer sent ERROR";
        return -1;
    }
    if (nlen == 4 && memcmp(name, "PING", 4) == 0 && blen >= 2) {
        /* PONG with the ping's context (at most 16 bytes) */
        uint8_t pong[2 + 5 + 16];
        size_t ctx = blen - 2 > 16 ? 16 : blen - 2;
        pong[0] = F_COMMAND;
        pong[1] = (uint8_t)(5 + ctx);
        memcpy(pong + 2, "\x04PONG", 5);
        memcpy(pong + 7, body + 2, ctx);
        if (sink->send(sink->arg, pong, 7 + ctx) != 0) {
            *why = "cannot answer PING";
            return -1;
        }
    }
    return 0; /* PONG, SUBSCRIBE, CANCEL and unknown commands: ignored */
}

/* The frame header in self->in is complete. */
static int s_frame_start(zmtp_t *self, const char **why)
{
    self->got = 0;
    self->keep = 0;
    self->name = false;
    if (self->flags & F_COMMAND) {
        if (self->flags & F_MORE) {
            *why = "a command with the MORE flag";
            return -1;
        }
        if (self->size > S_MAX_COMMAND) {
            *why = "a command over 4096 bytes";
            return -1;
        }
        if (!self->cmd && !(self->cmd = malloc(S_MAX_COMMAND))) {
            *why = "out of memory";
            return -1;
        }
        self->keep = (size_t)self->size;
        return 0;
    }
    if (!self->ready) {
        *why = "a message before READY";
        return -1;
    }
    if (self->size > self->lim.max_frame) {
        *why = "a frame over the size limit";
        return -1;
    }
    if (!self->delimited) { /* the envelope, up to the empty delimiter */
        if (self->size == 0)
            return 0;
        if (self->nenvelope == ZMTP_MAX_ENVELOPE || self->size > S_MAX_ENVELOPE_FRAME) {
            self->malformed = true;
            return 0;
        }
        self->keep = (size_t)self->size;
    } else {
        if (++self->total > self->lim.max_frames) {
            *why = "a request of too many frames";
            return -1;
        }
        if (self->nframes == self->lim.max_batch) {
            self->overflow++;
            return 0;
        }
        self->keep = self->size < self->lim.max_name ? (size_t)self->size : self->lim.max_name;
        self->name = true;
        if (self->nframes == self->frames_cap) {
            size_t cap = self->frames_cap ? 2 * self->frames_cap : 16;
            if (cap > self->lim.max_batch)
                cap = self->lim.max_batch;
            zmtp_frame_t *f = realloc(self->frames, cap * sizeof *f);
            if (!f) {
                *why = "out of memory";
                return -1;
            }
            self->frames = f;
            self->frames_cap = cap;
        }
    }
    if (s_arena_reserve(self, self->keep) != 0) {
        *why = "out of memory";
        return -1;
    }
    return 0;
}

/* The current frame's body is complete. */
static int s_frame_end(zmtp_t *self, const zmtp_sink_t *sink, const char **why)
{
    if (self->flags & F_COMMAND)
        return s_command(self, sink, why);
    zmtp_frame_t frame = {NULL, self->keep, (size_t)self->size};
    self->arena_len += self->keep;
    if (self->name)
        self->frames[self->nframes++] = frame;
    else if (!self->delimited && self->size == 0)
        self->delimited = true;
    else if (!self->delimited && !self->malformed)
        self->envelope[self->nenvelope++] = frame;
    if (!(self->flags & F_MORE))
        s_request_done(self, sink);
    return 0;
}

int zmtp_feed(zmtp_t *self, const uint8_t *data, size_t len, const zmtp_sink_t *sink,
              const char **why)
{
    while (len > 0) {
        if (self->state == S_GREETING || self->state == S_HEADER) {
            size_t n = self->need - self->have < len ? self->need - self->have : len;
            memcpy(self->in + self->have, data, n);
            self->have += n, data += n, len -= n;
            if (self->have < self->need)
                continue;
            if (self->state == S_GREETING) {
                const uint8_t *g = self->in;
                static const uint8_t null_mech[20] = {'N', 'U', 'L', 'L'};
                if (g[0] != 0xff || !(g[9] & 1)) {
                    *why = "not a ZeroMQ peer";
                    return -1;
                }
                if (g[10] < 3) {
                    *why = "a ZMTP 1 or 2 peer (libzmq before 4.0)";
                    return -1;
                }
                if (memcmp(g + 12, null_mech, sizeof null_mech) != 0) {
                    *why = "a peer that asks for security (CURVE?): this endpoint is plaintext";
                    return -1;
                }
                if (sink->send(sink->arg, s_our_ready, sizeof s_our_ready) != 0) {
                    *why = "cannot send READY";
                    return -1;
                }
                self->state = S_HEADER;
                self->have = 0, self->need = 2;
                continue;
            }
            /* a frame header: flags, then a 1-byte or 8-byte size */
            self->flags = self->in[0];
            if (self->flags & ~(F_MORE | F_LONG | F_COMMAND)) {
                *why = "a frame with reserved flags";
                return -1;
            }
            if ((self->flags & F_LONG) && self->need == 2) {
                self->need = 9;
                continue;
            }
            if (self->flags & F_LONG) {
                self->size = 0;
                for (int i = 1; i < 9; i++)
                    self->size = self->size << 8 | self->in[i];
            } else {
                self->size = self->in[1];
            }
            if (s_frame_start(self, why) != 0)
                return -1;
            self->state = S_BODY;
            self->have = 0, self->need = 2;
            if (self->size > 0)
                continue;
            /* an empty frame ends at once */
        } else {
            uint64_t left = self->size - self->got;
            size_t n = left < len ? (size_t)left : len;
            if (self->got < self->keep) {
                size_t k = self->keep - (size_t)self->got < n ? self->keep - (size_t)self->got : n;
                uint8_t *to = self->flags & F_COMMAND ? self->cmd + self->got
                                                      : self->arena + self->arena_len + self->got;
                memcpy(to, data, k);
            }
            self->got += n, data += n, len -= n;
            if (self->got < self->size)
                continue;
        }
        self->state = S_HEADER;
        if (s_frame_end(self, sink, why) != 0)
            return -1;
    }
    return 0;
}
