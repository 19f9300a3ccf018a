/* client/labels.h - what each name is known to be, for measuring a replay.
 *
 * A labels file has lines `LABEL<TAB>NAME` ("benign", "tunnel:iodine"; '#'
 * comments and blank lines skipped). Names are matched by tally_key()
 * (tally.h): case and a trailing dot make no difference. A name given two
 * labels keeps the first. Labels starting with "tunnel:" mark the names of a
 * tunnel, which the replay measures per tunnel domain too; a name not in the
 * file has the label "unlabelled", always the last one.
 */
#ifndef DNSORACLE_LABELS_H
#define DNSORACLE_LABELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct labels labels_t;

/* Reads a labels file. Returns NULL after printing "PROG: PATH: reason" on
 * stderr when it cannot be read or memory runs out; lines without a tab are
 * skipped and counted in *skipped. */
labels_t *labels_load(const char *prog, const char *path, unsigned long *skipped);

/* Frees it; accepts NULL and sets *self_p to NULL. */
void labels_destroy(labels_t **self_p);

/* The label of a name key: 0 <= index < labels_count(), the last one being
 * "unlabelled" for names not in the file. */
size_t labels_find(const labels_t *self, uint64_t key);

/* Labels, in the order of the file, then "unlabelled". */
size_t labels_count(const labels_t *self);
const char *labels_name(const labels_t *self, size_t i);

/* Whether label i is a tunnel's ("tunnel:..."). */
bool labels_tunnel(const labels_t *self, size_t i);

#endif
