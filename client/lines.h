/* client/lines.h - reading names one per line from files or stdin.
 *
 * The offline tools share this: a line is a query name, its trailing "\n" or
 * "\r\n" removed. Lines are handed over as bytes with a length, since a bad
 * line may hold NUL bytes; nothing is ever truncated silently.
 */
#ifndef DNSORACLE_LINES_H
#define DNSORACLE_LINES_H

#include <stddef.h>
#include <stdio.h>

/* Called for every line; return 0 to go on, non-zero to stop. */
typedef int (*lines_fn)(void *user, const char *line, size_t len);

/* Reads every line of `path` ("-" = stdin) and calls fn on each. Returns 0,
 * or -errno after printing "PROG: PATH: reason" on stderr. */
int lines_each(const char *prog, const char *path, lines_fn fn, void *user);

/* Writes `len` bytes to out with tabs, newlines, backslashes and bytes
 * outside printable ASCII escaped as \DDD, so every record stays one line. */
void lines_print_escaped(FILE *out, const char *s, size_t len);

#endif
