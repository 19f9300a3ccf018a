/* oracle/common/curve.c - ZeroMQ CURVE keys: key files, key pairs, client set-up. */
#include "curve.h"

#include <bsd/string.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#define S_FILE_MAX 8192 /* a key file is a few lines; only this much is read */

/* Reads at most cap - 1 bytes of the open file fd into buf (NUL added). */
static int s_read_all(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = 0;
    return 0;
}

/* Finds `key = "Z85"` (quotes optional) on a line of text and copies the
 * value into out (CURVE_Z85_LEN + 1 bytes). Returns 1 found, 0 absent, -1
 * present but not 40 characters of Z85. */
static int s_find_key(const char *text, const char *key, char *out)
{
    size_t klen = strlen(key);
    for (const char *line = text; line && *line;
         line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || strncmp(p, key, klen) != 0)
            continue;
        p += klen;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p++ != '=')
            continue;
        while (*p == ' ' || *p == '\t')
            p++;
        bool quoted = *p == '"';
        p += quoted;
        size_t len = strcspn(p, quoted ? "\"\n" : " \t\r\n");
        uint8_t bin[32];
        if (len != CURVE_Z85_LEN)
            return -1;
        memcpy(out, p, len);
        out[len] = 0;
        return zmq_z85_decode(bin, out) ? 1 : -1;
    }
    return 0;
}

int curve_load(const char *path, bool need_secret, bool private_only, curve_keys_t *keys, char *err,
               size_t errcap)
{
    char text[S_FILE_MAX];
    struct stat st;
    memset(keys, 0, sizeof *keys);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errcap, "%s: %s", path, strerror(e));
        return -e;
    }
    int rc = fstat(fd, &st) != 0 ? -errno : 0;
    if (rc == 0 && !S_ISREG(st.st_mode))
        rc = -EINVAL;
    if (rc == 0)
        rc = s_read_all(fd, text, sizeof text);
    close(fd);
    if (rc != 0) {
        snprintf(err, errcap, "%s: %s", path, rc == -EINVAL ? "not a regular file" : strerror(-rc));
        return rc;
    }
    int pub = s_find_key(text, "public-key", keys->public_z85);
    int sec = s_find_key(text, "secret-key", keys->secret_z85);
    explicit_bzero(text, sizeof text);
    if (pub < 0 || sec < 0) {
        snprintf(err, errcap, "%s: a %s-key that is not 40 characters of Z85", path,
                 pub < 0 ? "public" : "secret");
        return -EINVAL;
    }
    if (need_secret && sec == 0) {
        snprintf(err, errcap,
                 "%s: no secret-key line (a key pair file made by --gen-keys, "
                 "NAME.key, not NAME.pub)",
                 path);
        return -EINVAL;
    }
    if (sec == 1 && private_only && (st.st_mode & 077)) {
        snprintf(err, errcap,
                 "%s: a secret key that group or others may read (mode %03o): chmod 600 it, "
                 "owned by the user that runs the program",
                 path, (unsigned)(st.st_mode & 0777));
        explicit_bzero(keys, sizeof *keys);
        return -EPERM;
    }
    if (sec == 1) {
        char derived[CURVE_Z85_LEN + 1];
        if (zmq_curve_public(derived, keys->secret_z85) != 0) {
            snprintf(err, errcap, "%s: %s", path, zmq_strerror(errno));
            return -ENOTSUP;
        }
        if (pub == 1 && strcmp(derived, keys->public_z85) != 0) {
            snprintf(err, errcap, "%s: the public-key line does not belong to the secret key",
                     path);
            return -EINVAL;
        }
        memcpy(keys->public_z85, derived, sizeof derived);
    } else if (pub == 0) {
        snprintf(err, errcap, "%s: no public-key line", path);
        return -EINVAL;
    }
    return 0;
}

/* Creates `path` with `mode`, never over an existing file, and writes text. */
static int s_write_new(const char *path, mode_t mode, const char *text, char *err, size_t errcap)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errcap, "%s: %s%s", path, strerror(e),
                 e == EEXIST ? " (remove it first: keys are never overwritten)" : "");
        return -e;
    }
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len);
    int e = w == (ssize_t)len ? 0 : w < 0 ? errno : EIO;
    if (fchmod(fd, mode) != 0 && e == 0) /* whatever the umask said */
        e = errno;
    if (close(fd) != 0 && e == 0)
        e = errno;
    if (e) {
        unlink(path);
        snprintf(err, errcap, "%s: %s", path, strerror(e));
        return -e;
    }
    return 0;
}

int curve_generate(const char *prefix, char *public_z85, char *err, size_t errcap)
{
    char pub[CURVE_Z85_LEN + 1], sec[CURVE_Z85_LEN + 1];
    char key_path[4096], pub_path[4096], text[4096 + 256];
    if (!zmq_has("curve") || zmq_curve_keypair(pub, sec) != 0) {
        snprintf(err, errcap, "this libzmq has no CURVE support");
        return -ENOTSUP;
    }
    if ((size_t)snprintf(key_path, sizeof key_path, "%s.key", prefix) >= sizeof key_path ||
        (size_t)snprintf(pub_path, sizeof pub_path, "%s.pub", prefix) >= sizeof pub_path) {
        snprintf(err, errcap, "%s: name too long", prefix);
        return -ENAMETOOLONG;
    }
    if (access(key_path, F_OK) == 0 || access(pub_path, F_OK) == 0) {
        snprintf(err, errcap, "%s: exists (remove it first: keys are never overwritten)",
                 access(key_path, F_OK) == 0 ? key_path : pub_path);
        return -EEXIST;
    }
    snprintf(text, sizeof text,
             "# dnsoracle CURVE key pair (dnsoracle_client --gen-keys): keep it secret.\n"
             "# Its public half is %s.\n"
             "public-key = \"%s\"\nsecret-key = \"%s\"\n",
             pub_path, pub, sec);
    int rc = s_write_new(key_path, 0600, text, err, errcap);
    explicit_bzero(sec, sizeof sec);
    explicit_bzero(text, sizeof text);
    if (rc != 0)
        return rc;
    snprintf(text, sizeof text,
             "# dnsoracle CURVE public key (dnsoracle_client --gen-keys): give it to the\n"
             "# other side. The secret half is %s.\n"
             "public-key = \"%s\"\n",
             key_path, pub);
    rc = s_write_new(pub_path, 0644, text, err, errcap);
    if (rc != 0) {
        unlink(key_path);
        return rc;
    }
    strlcpy(public_z85, pub, CURVE_Z85_LEN + 1);
    return 0;
}

int curve_client_keys(void *socket, const curve_keys_t *mine, const curve_keys_t *server)
{
    if (zmq_setsockopt(socket, ZMQ_CURVE_SERVERKEY, server->public_z85, CURVE_Z85_LEN + 1) != 0 ||
        zmq_setsockopt(socket, ZMQ_CURVE_PUBLICKEY, mine->public_z85, CURVE_Z85_LEN + 1) != 0 ||
        zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, mine->secret_z85, CURVE_Z85_LEN + 1) != 0)
        return -errno;
    return 0;
}

int curve_client(void *socket, const char *key_file, const char *server_key_file, char *err,
                 size_t errcap)
{
    curve_keys_t mine, server;
    /* The client's key pair may be shared with a group (the recursor's). */
    int rc = curve_load(key_file, true, false, &mine, err, errcap);
    if (rc == 0)
        rc = curve_load(server_key_file, false, false, &server, err, errcap);
    if (rc == 0 && (rc = curve_client_keys(socket, &mine, &server)) != 0)
        snprintf(err, errcap, "CURVE: %s", zmq_strerror(-rc));
    explicit_bzero(&mine, sizeof mine);
    return rc;
}

int curve_server(void *socket, const curve_keys_t *keys, char *err, size_t errcap)
{
    int one = 1;
    if (zmq_setsockopt(socket, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
        zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, keys->secret_z85, CURVE_Z85_LEN + 1) != 0 ||
        zmq_setsockopt(socket, ZMQ_ZAP_DOMAIN, "dnsoracle", 9) != 0) {
        int e = errno;
        snprintf(err, errcap, "CURVE: %s", zmq_strerror(e));
        return -e;
    }
    return 0;
}

int curve_find_client(const char *dir, const uint8_t key[32], char *who, size_t whocap)
{
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        char err[256];
        curve_keys_t k;
        uint8_t bin[32];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path ||
            curve_load(path, false, false, &k, err, sizeof err) != 0)
            continue;
        explicit_bzero(k.secret_z85, sizeof k.secret_z85);
        if (zmq_z85_decode(bin, k.public_z85) && memcmp(bin, key, sizeof bin) == 0) {
            strlcpy(who, e->d_name, whocap);
            found = 1;
        }
    }
    closedir(d);
    return found;
}
