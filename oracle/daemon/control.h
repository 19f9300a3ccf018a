/* oracle/daemon/control.h - operator commands, on their own socket.
 *
 * The verdict socket is open to anyone who can reach port 5555; changing the
 * lists must not be. The control thread binds [server] control_endpoint, by
 * default ipc:///run/dnsoracle/control.sock, a Unix socket made mode 0660:
 * only root and members of the daemon's group (dnsoracle) can connect.
 *
 * Protocol (REQ/REP, one request, one reply of two frames: "ok" or "error",
 * then text):
 *   block DOMAIN [REASON [BY]]   add to the block list (and leave the allow list)
 *   allow DOMAIN [REASON [BY]]   add to the allow list (and leave block and drop)
 *   unlist DOMAIN                remove from every list
 *   list [KIND [REASON [AFTER [LIMIT]]]]  up to 1,000 entries a reply, one a line:
 *                                kind domain added_by added_at expires reason
 *   count [KIND [REASON]]        "kind N" lines
 *   update-now                   update the drop list now
 *   import-begin, import-add, import-commit, import-abort
 *                                a feed, in chunks, applied at once (importer.h)
 * Every change is written to the database, then the lists are reread and
 * published, so the next request already sees it.
 */
#ifndef DNSORACLE_CONTROL_H
#define DNSORACLE_CONTROL_H

#include <stddef.h>

#include "config.h"
#include "listbox.h"
#include "stats.h"

typedef struct control control_t;

/* Binds the control endpoint in `zmq_ctx` and starts the thread. Returns
 * NULL with the reason in err (endpoint cannot be bound). */
control_t *control_new(void *zmq_ctx, const config_t *cfg, listbox_t *lists, domain_t *domains,
                       stats_slot_t *slot, char *err, size_t errcap);

/* Stops and joins the thread and frees; accepts NULL. Call before the
 * ZeroMQ context is terminated. */
void control_destroy(control_t **self_p);

#endif
