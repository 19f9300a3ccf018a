/* client/lines.c - reading names one per line from files or stdin. */
#include "lines.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int lines_each(const char *prog, const char *path, lines_fn fn, void *user)
{
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        int e = errno;
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(e));
        return -e;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        size_t len = (size_t)n;
        if (len && line[len - 1] == '\n')
            len--;
        if (len && line[len - 1] == '\r')
            len--;
        if (fn(user, line, len) != 0)
            break;
    }
    if (ferror(f)) {
        rc = -EIO;
        fprintf(stderr, "%s: %s: read error\n", prog, is_stdin ? "stdin" : path);
    }
    free(line);
    if (!is_stdin)
        fclose(f);
    return rc;
}

void lines_print_escaped(FILE *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 33 || c > 126)
            fprintf(out, "\\%03u", c);
        else
            fputc(c, out);
    }
}
