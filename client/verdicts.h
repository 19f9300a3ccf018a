/* client/verdicts.h - dnsoracle_client's names judged, in batches.
 *
 * Names come from the command line or stdin; those on stdin are streamed,
 * up to 256 per request, and a batch is sent as soon as stdin has nothing
 * more to give, so an interactive user or a pipe that trickles gets each
 * answer at once. One line per name: "true NAME", "false NAME", with
 * --explain the reason and scores.
 */
#ifndef DNSORACLE_CLIENT_VERDICTS_H
#define DNSORACLE_CLIENT_VERDICTS_H

#include <stdbool.h>

#include "request.h"

/* The exit statuses of dnsoracle_client. */
enum { VERDICTS_GOOD = 0, VERDICTS_FALSE = 1, VERDICTS_FAIL = 2 };

/* Judges names[0..n-1], or the lines of stdin when n is 0 or the one name
 * is "-" (asking with \0explain when `explain`). Returns VERDICTS_GOOD when
 * every name is good, VERDICTS_FALSE when one is not, VERDICTS_FAIL when
 * the oracle did not answer. */
int verdicts_run(request_t *c, bool explain, char **names, int n);

#endif
