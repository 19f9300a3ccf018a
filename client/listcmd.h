/* client/listcmd.h - the operator commands for big lists: --import, --list.
 *
 * A feed of a million domains is sent to the control socket in chunks of
 * IMPORTER_CHUNK (10,000) domains, staged by the oracle and applied in one
 * transaction at the end (docs/protocol.md, "Imports"); a failure on the
 * way aborts the import and leaves the lists as they were. --list pages
 * through the lists a kind at a time, so no reply grows with the list, and
 * refuses to print more than LISTCMD_PRINT_MAX entries without --all.
 */
#ifndef DNSORACLE_LISTCMD_H
#define DNSORACLE_LISTCMD_H

#include <stdbool.h>

#include "request.h"

#define LISTCMD_PRINT_MAX 10000
#define LISTCMD_CHUNK 10000 /* domains per import-add: the oracle's IMPORTER_CHUNK */

typedef struct {
    const char *kind;        /* block or allow */
    const char *path;        /* the feed file, "-" for stdin */
    const char *reason;      /* NULL: "import BASENAME" */
    unsigned long expires_s; /* 0: never */
    bool replace;
    const char *by;
} listcmd_import_t;

/* Parses a duration: a number and s, m, h, d or w (30m, 12h, 7d). Returns
 * seconds, or 0 when it is not one (or over ten years). */
unsigned long listcmd_duration(const char *text);

/* --import: reports bad lines as FILE:LINE on stderr, progress on stderr,
 * the oracle's counts on stdout. Returns the exit status (0 applied, 1
 * refused, 2 no answer or an unreadable file). */
int listcmd_import(request_t *req, const listcmd_import_t *o);

/* --list [KIND] [--reason TEXT] [--count] [--all]. Returns the exit
 * status (1 also when the lists are too long to print without --all). */
int listcmd_list(request_t *req, const char *kind, const char *reason, bool count, bool all);

#endif
