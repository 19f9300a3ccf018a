/* oracle/common/log.h - the daemon's one way to say something.
 *
 * Levels as in syslog (level_t below), a subsystem tag on every line, and
 * printf-format checking. Under systemd (stderr connected to the journal, as
 * $JOURNAL_STREAM says) entries go to the journal with structured fields:
 * PRIORITY, SUBSYSTEM, and for verdicts QNAME, VERDICT, REASON and CLIENT
 * (`-` when unknown), so that `journalctl -u dnsoracled VERDICT=false` finds
 * every blocked name and `CLIENT=192.0.2.7` what one host asked.
 * Elsewhere they are plain lines on stderr. Thread-safe.
 */
#ifndef DNSORACLE_LOG_H
#define DNSORACLE_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "privacy.h"

/* Log levels, most severe first (as in syslog). */
typedef enum { LEVEL_ERROR, LEVEL_WARNING, LEVEL_INFO, LEVEL_DEBUG } level_t;

/* Sets the program name, the level and the false-verdict budget, and picks
 * journal or stderr. Call once before the threads start; log_set_level and
 * log_set_false_budget may be called again later (SIGHUP). */
void log_init(const char *ident, level_t level, unsigned false_per_second);
void log_set_level(level_t level);
void log_set_false_budget(unsigned false_per_second);

/* Returns true when messages of `level` are written. */
bool log_enabled(level_t level);

void log_msg(level_t level, const char *subsystem, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(sub, ...) log_msg(LEVEL_ERROR, sub, __VA_ARGS__)
#define log_warning(sub, ...) log_msg(LEVEL_WARNING, sub, __VA_ARGS__)
#define log_info(sub, ...) log_msg(LEVEL_INFO, sub, __VA_ARGS__)
#define log_debug(sub, ...) log_msg(LEVEL_DEBUG, sub, __VA_ARGS__)

/* A message that could come at any rate (one per refused connection):
 * logged at most once every `seconds` per limit_t, with the number left
 * out since the last line. A limit_t starts zeroed and belongs to one
 * thread. */
typedef struct {
    long last;
    unsigned long left_out;
} log_limit_t;
void log_limited(log_limit_t *limit, unsigned seconds, level_t level, const char *subsystem,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Logs one verdict on `len` bytes of a query name: false verdicts at info
 * level, at most `false_per_second` a second (a tunnel sends thousands; the
 * number left out is logged once the second is over), true verdicts only at
 * debug level. The name is escaped (\DDD) before it is written. */
void log_verdict(const char *qname, size_t len, bool good, const char *reason);

/* What of a client's address log_refusal() writes ([events] client,
 * privacy.h); full until set. May be called again (SIGHUP). */
void log_set_client_mode(events_client_t mode);

/* Logs a refusal a hook reported, as log_verdict() logs a false verdict
 * (same budget), with the client (cut as log_set_client_mode() says; NULL
 * or "" for unknown) and the action ("refused", "would-block"): the
 * journal gets CLIENT= and ACTION= beside QNAME=, VERDICT=false, REASON=. */
void log_refusal(const char *qname, size_t len, const char *reason, const char *client,
                 const char *action);

#endif
