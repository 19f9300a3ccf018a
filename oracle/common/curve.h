/* oracle/common/curve.h - ZeroMQ CURVE keys: key files, key pairs, client set-up.
 *
 * A query endpoint that other hosts can reach is served with ZeroMQ's CURVE
 * mechanism (encryption and authentication, RFC 26): the daemon has a key
 * pair, and a client is let in only when its public key is in a file of the
 * clients directory ([server] curve_clients). Key files are text, one key per
 * line in Z85 (ZeroMQ's base-85), the way CZMQ writes certificates, so keys
 * made by other ZeroMQ tools work too:
 *
 *     # a comment
 *     public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
 *     secret-key = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
 *
 * The secret-key line is only in a key pair file (NAME.key), never in the
 * public file (NAME.pub) that is copied to the other side. This module is
 * shared by the daemon, dnsoracle_client, the Lua hook's module and the
 * benchmark.
 */
#ifndef DNSORACLE_CURVE_H
#define DNSORACLE_CURVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CURVE_Z85_LEN 40 /* a 32-byte key in Z85 */

typedef struct {
    char public_z85[CURVE_Z85_LEN + 1];
    char secret_z85[CURVE_Z85_LEN + 1]; /* "" when the file holds no secret key */
} curve_keys_t;

/* Reads the key file `path` into *keys. With need_secret the file must hold
 * a secret key (its public key is then derived, and must match a public-key
 * line if there is one). With private_only a file that group or others may
 * read is refused: a secret key must stay with its owner. Returns 0, or a
 * negative errno code with "PATH: reason" in err. */
int curve_load(const char *path, bool need_secret, bool private_only, curve_keys_t *keys, char *err,
               size_t errcap);

/* Makes a key pair and writes PREFIX.key (both keys, mode 0600) and
 * PREFIX.pub (the public key, mode 0644); an existing file is never
 * overwritten. Copies the public key into public_z85 (41 bytes). Returns 0,
 * or a negative errno code with the reason in err. */
int curve_generate(const char *prefix, char *public_z85, char *err, size_t errcap);

/* Makes `socket` a CURVE client with our key pair `mine` and the server's
 * public key in `server`. Returns 0, or a negative errno code. */
int curve_client_keys(void *socket, const curve_keys_t *mine, const curve_keys_t *server);

/* Makes `socket` a CURVE client: the server's public key from the file
 * `server_key_file`, our key pair from `key_file`. Returns 0, or a negative
 * errno code with the reason in err. */
int curve_client(void *socket, const char *key_file, const char *server_key_file, char *err,
                 size_t errcap);

/* Makes `socket` a CURVE server with the secret key of keys, its clients
 * checked by the ZAP handler (RFC 27) in domain "dnsoracle". Returns 0, or a
 * negative errno code with the reason in err. */
int curve_server(void *socket, const curve_keys_t *keys, char *err, size_t errcap);

/* Looks for the 32-byte public key `key` in the files of directory `dir`
 * (names starting with '.' are skipped). Returns 1 and the file's name in
 * who when found, 0 when not, or a negative errno code when `dir` cannot
 * be read. */
int curve_find_client(const char *dir, const uint8_t key[32], char *who, size_t whocap);

#endif
