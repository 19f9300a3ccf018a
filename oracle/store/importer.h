/* oracle/store/importer.h - a whole feed of domains loaded into one list at once.
 *
 * The control thread runs an import in steps (docs/protocol.md, "Imports"):
 * import-begin names the kind, reason, expiry and mode and gets an import
 * id; import-add sends up to IMPORTER_CHUNK domains a request, which go
 * into a staging table; import-commit merges the staged domains into the
 * `lists` table and, with replace, deletes the entries of that kind and
 * reason that are not in the feed, all in ONE transaction. Until that
 * transaction commits the lists are as they were: a client that dies, a
 * connection lost, a chunk refused leave the old list intact.
 *
 * The staging table is a TEMPORARY table of the control thread's
 * connection: it needs no schema change and vanishes with the connection.
 * store_connects() tells when the connection was made again since the
 * begin, which would have lost the staged rows: then the import is refused,
 * never committed half. Every statement handles at most IMPORTER_BATCH rows,
 * well inside the store's 2 s I/O timeout.
 *
 * An entry already on the list with another reason (an operator's block,
 * another feed) is left as it is and counted as "kept": refreshing a feed
 * never takes over, nor deletes, what someone else put there. Entries of
 * the other kinds are not touched (an allow of the same domain wins over a
 * block: lists.h).
 */
#ifndef DNSORACLE_IMPORTER_H
#define DNSORACLE_IMPORTER_H

#include <stdbool.h>
#include <stddef.h>

#include "lists.h"
#include "store.h"

#define IMPORTER_CHUNK 10000 /* domains per import-add at most */
#define IMPORTER_BATCH 5000  /* rows per statement of a commit: each well under 2 s */
#define IMPORTER_SLOTS 4     /* imports open at once */
#define IMPORTER_IDLE_S 600  /* an import idle this long is discarded */

typedef struct importer importer_t;

/* Checks one domain as the block and allow commands do: writes it
 * lowercased, without the final dot, to out; returns 0, -EINVAL (not a
 * domain name) or -EPERM (a public suffix). */
typedef int (*importer_check_fn)(void *user, const char *text, char *out, size_t cap);

/* Returns an importer working on `store` (not owned), or NULL. */
importer_t *importer_new(store_t *store, importer_check_fn check, void *user);

/* Frees; accepts NULL and sets *self_p to NULL. */
void importer_destroy(importer_t **self_p);

/* Each command fills `out` (cap bytes) with the reply text and returns
 * true for "ok", false for "error".
 * begin: argv = kind, reason, by, expires (seconds, "" or "0": never),
 *        mode ("replace" or ""); ok text "import ID".
 * add:   id, then `data`: domains separated by '\n'; ok text "staged N",
 *        then a line "rejected INDEX REASON" for each refused domain
 *        (INDEX from 0 in this chunk).
 * commit: id; ok text the counts. The caller republishes the lists.
 * abort: id. */
bool importer_begin(importer_t *self, char **argv, int argc, char *out, size_t cap);
bool importer_add(importer_t *self, const char *id, const char *data, size_t len, char *out,
                  size_t cap);
bool importer_commit(importer_t *self, const char *id, char *out, size_t cap);
bool importer_abort(importer_t *self, const char *id, char *out, size_t cap);

#endif
