/* oracle/engine/exempt.h - names that are good by their structure, and the allow
 * list.
 *
 * Structure, never substrings: a reverse-lookup name is exempt only when its
 * labels really are octets (in-addr.arpa) or nibbles (ip6.arpa); a service
 * label (RFC 6335 shape: '_' then 1-15 letters, digits or hyphens) and a GUID
 * directly under _msdcs are left out of the lexical tests, but every other
 * label of the name is still tested, so "<data>._ldap._tcp.evil.example" is
 * judged on <data>. The allow list holds domain suffixes matched on label
 * boundaries (see suffixset.h); its file format is one suffix per line with
 * '#' comments, as in oracle/allowlist.default.
 */
#ifndef DNSORACLE_EXEMPT_H
#define DNSORACLE_EXEMPT_H

#include <stddef.h>

#include "name.h"
#include "suffixset.h"

/* Returns 1 when `name` is a well-formed reverse-lookup name under
 * in-addr.arpa or ip6.arpa (or one of those zones itself), else 0. */
int exempt_reverse(const name_t *name);

/* Sets skip[l] = 1 for each label of `name` that is a service label or an
 * _msdcs GUID, 0 for the others. skip must hold name->nlabels entries.
 * Returns the number of labels marked. */
size_t exempt_service_labels(const name_t *name, unsigned char *skip);

/* Adds the suffixes listed in `text` (allow-list file format) to `set`.
 * Returns 0, or a negative errno code with "ORIGIN:LINE: reason" in err. */
int exempt_parse_list(suffixset_t *set, const char *text, size_t len, const char *origin, char *err,
                      size_t errcap);

/* Reads an allow-list file into `set`; errors as exempt_parse_list(). */
int exempt_load_list(suffixset_t *set, const char *path, char *err, size_t errcap);

/* Adds the built-in default allow list (oracle/allowlist.default). */
int exempt_default_list(suffixset_t *set, char *err, size_t errcap);

#endif
