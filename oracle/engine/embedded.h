/* oracle/engine/embedded.h - data files compiled into the binaries.
 *
 * Generated at build time from oracle/default.model, oracle/allowlist.default
 * and oracle/established.default (cmake/Embed.cmake), so that a binary straight
 * from the build tree works with no files installed.
 */
#ifndef DNSORACLE_EMBEDDED_H
#define DNSORACLE_EMBEDDED_H

#include <stddef.h>

extern const char embedded_default_model[];
extern const size_t embedded_default_model_len;
extern const char embedded_default_allowlist[];
extern const size_t embedded_default_allowlist_len;
extern const char embedded_default_established[];
extern const size_t embedded_default_established_len;

#endif
