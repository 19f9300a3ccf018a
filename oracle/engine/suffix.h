/* oracle/engine/suffix.h - registrable domains through the Public Suffix List.
 *
 * Splits a name into public suffix, registrable domain and the subdomain part
 * to its left: a.b.example.co.uk -> subdomain "a.b", registrable
 * "example.co.uk", public suffix "co.uk". libpsl decides what is a public
 * suffix (ICANN and private sections, wildcards and exceptions). Asking
 * libpsl costs about 250 ns a question, so the walk from the last label asks
 * only while a longer public suffix is still possible (the suffix is public,
 * or is the tail of some longer rule, known from the rule file libpsl was
 * built from) and remembers libpsl's answers in a small per-thread cache. A
 * name therefore costs a few hash probes once its registrable domain has
 * been seen. Without the rule file it falls back to psl_registrable_domain()
 * for every name: slower, same answers.
 *
 * Thread-safe: any number of threads may call suffix_split() on one suffix_t.
 */
#ifndef DNSORACLE_SUFFIX_H
#define DNSORACLE_SUFFIX_H

#include <stddef.h>

#include "name.h"

typedef struct suffix suffix_t;

/* Loads the newest PSL libpsl knows (its built-in list or the system's
 * compiled list, whichever is newer). `rules_file` names the text rule file
 * used to bound the walk; NULL means the one libpsl was built from. Returns
 * NULL when libpsl has no list at all. */
suffix_t *suffix_new(const char *rules_file);

/* Frees the splitter; accepts NULL and sets *self_p to NULL. */
void suffix_destroy(suffix_t **self_p);

/* Returns the index of the first label of the registrable domain of `name`
 * (so labels [0, result) are the subdomain part), or name->nlabels when the
 * name is itself a public suffix and has no registrable domain. */
size_t suffix_split(const suffix_t *self, const name_t *name);

/* Returns 1 when the fast walk is in use (the rule file was read), else 0. */
int suffix_is_fast(const suffix_t *self);

#endif
