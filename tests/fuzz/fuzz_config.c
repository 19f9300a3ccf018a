/* tests/fuzz/fuzz_config.c - libFuzzer harness for config_load() and config_dump().
 *
 * config_load() reads a path, so each input is written to one temporary file
 * made once per process (in $TMPDIR, else /tmp) and rewritten for every run;
 * it is removed at exit. config.h promises a negative errno code and a
 * message "FILE:LINE: reason" or "FILE: reason" on failure: the harness checks
 * the code, that the message is there, starts with the file name and is
 * NUL-terminated inside the buffer. A configuration that loads must be whole
 * (strings terminated inside their fields, choices in range, paths absolute)
 * and config_dump() must print it, to /dev/null. A violation aborts, which
 * libFuzzer reports as a crash with the input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *s_devnull;

static void s_cleanup(void)
{
    if (s_devnull) {
        fclose(s_devnull);
        s_devnull = NULL;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_file_open("fuzz_config");
    s_devnull = fopen("/dev/null", "w");
    if (!s_devnull) {
        fprintf(stderr, "fuzz_config: cannot open /dev/null: %s\n", strerror(errno));
        exit(1);
    }
    atexit(s_cleanup);
    return 0;
}

#define S_TERMINATED(field) FUZZ_CHECK(memchr((field), 0, sizeof(field)) != NULL)
#define S_ABSOLUTE(field) FUZZ_CHECK((field)[0] == 0 || (field)[0] == '/')

static void s_check_loaded(const config_t *cfg)
{
    S_TERMINATED(cfg->engine.model_path);
    S_TERMINATED(cfg->engine.allowlist_file);
    S_TERMINATED(cfg->engine.allow);
    S_TERMINATED(cfg->engine.psl_rules);
    S_TERMINATED(cfg->server.endpoints);
    S_TERMINATED(cfg->server.control_endpoint);
    S_TERMINATED(cfg->database.host);
    S_TERMINATED(cfg->database.socket);
    S_TERMINATED(cfg->database.user);
    S_TERMINATED(cfg->database.password);
    S_TERMINATED(cfg->database.name);
    S_TERMINATED(cfg->hook.endpoint);
    S_ABSOLUTE(cfg->engine.model_path);
    S_ABSOLUTE(cfg->engine.allowlist_file);
    S_ABSOLUTE(cfg->engine.psl_rules);
    S_ABSOLUTE(cfg->database.socket);
    FUZZ_CHECK(cfg->server.log_level <= LEVEL_DEBUG);
    FUZZ_CHECK(cfg->hook.query <= HOOK_QUERY_ORACLE);
    FUZZ_CHECK(cfg->hook.mode <= HOOK_MODE_MONITOR);
    FUZZ_CHECK(cfg->hook.action <= HOOK_ACTION_DROP);
    FUZZ_CHECK(cfg->hook.fail <= HOOK_FAIL_CLOSED);
    /* The ranges that matter to the engine (dnsoracle.conf.example). */
    FUZZ_CHECK(cfg->engine.max_label >= 1 && cfg->engine.max_label <= NAME_MAX_LABEL);
    FUZZ_CHECK(cfg->engine.max_labels >= 1 && cfg->engine.max_labels <= NAME_MAX_LABELS);
    FUZZ_CHECK(cfg->engine.max_length >= 1 && cfg->engine.max_length <= NAME_MAX_TEXT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_file_write(data, size);
    config_t *cfg = malloc(sizeof *cfg);
    char err[256];
    if (!cfg)
        return 0;
    memset(err, 'x', sizeof err); /* so that a missing NUL shows */
    int rc = config_load(fuzz_path, cfg, err, sizeof err);
    if (rc != 0) {
        FUZZ_CHECK(rc < 0);
        FUZZ_CHECK(memchr(err, 0, sizeof err) != NULL);
        FUZZ_CHECK(err[0] != 0);
        size_t plen = strlen(fuzz_path);
        FUZZ_CHECK(strncmp(err, fuzz_path, plen) == 0 && err[plen] == ':');
    } else {
        s_check_loaded(cfg);
        config_dump(cfg, s_devnull);
        FUZZ_CHECK(fflush(s_devnull) == 0 && !ferror(s_devnull));
    }
    free(cfg);
    return 0;
}
