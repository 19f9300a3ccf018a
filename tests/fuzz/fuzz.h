/* tests/fuzz/fuzz.h - what the libFuzzer harnesses share: a check that
 * aborts (so libFuzzer keeps the input that broke an invariant) and, for the
 * harnesses of file loaders, one temporary file rewritten for every input.
 * Header-only (static inline): each harness is its own program. */
#ifndef DNSORACLE_FUZZ_H
#define DNSORACLE_FUZZ_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The temporary file: its path, and its descriptor (-1 when not open). */
static char fuzz_path[4096] __attribute__((unused));
static int fuzz_fd __attribute__((unused)) = -1;

static inline void fuzz_file_close(void)
{
    if (fuzz_fd >= 0) {
        close(fuzz_fd);
        unlink(fuzz_path);
        fuzz_fd = -1;
    }
}

/* Makes $TMPDIR/PROG.XXXXXX (or under /tmp), removed at exit; exits when it
 * cannot. */
static inline void fuzz_file_open(const char *prog)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !dir[0])
        dir = "/tmp";
    snprintf(fuzz_path, sizeof fuzz_path, "%s/%s.XXXXXX", dir, prog);
    fuzz_fd = mkstemp(fuzz_path);
    if (fuzz_fd < 0) {
        fprintf(stderr, "%s: cannot make %s: %s\n", prog, fuzz_path, strerror(errno));
        exit(1);
    }
    atexit(fuzz_file_close);
}

/* Replaces the file's contents with `size` bytes. */
static inline void fuzz_file_write(const void *data, size_t size)
{
    FUZZ_CHECK(ftruncate(fuzz_fd, 0) == 0);
    size_t done = 0;
    while (done < size) {
        ssize_t n = pwrite(fuzz_fd, (const char *)data + done, size - done, (off_t)done);
        FUZZ_CHECK(n > 0);
        done += (size_t)n;
    }
}

#endif
