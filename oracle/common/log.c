/* oracle/common/log.c - the daemon's one way to say something. */
#include "log.h"

#include "privacy.h"

#include <bsd/string.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

static const char *s_ident = "dnsoracled";
static atomic_int s_level = LEVEL_INFO;
static atomic_uint s_false_budget = 20;
static bool s_journal;
static atomic_int s_client_mode = EVENTS_CLIENT_FULL;

/* The false-verdict budget: a window of one second and what it has used. */
static atomic_llong s_window;
static atomic_uint s_used;
static atomic_ulong s_left_out;

static const int s_priority[] = {3, 4, 6, 7}; /* syslog LOG_ERR, LOG_WARNING, ... */
static const char *const s_level_name[] = {"error", "warning", "info", "debug"};

/* systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected to
 * stderr; if stderr is still that stream, we speak to the journal. */
static bool s_stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) != 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(const char *ident, level_t level, unsigned false_per_second)
{
    s_ident = ident;
    s_journal = s_stderr_is_journal();
    log_set_level(level);
    log_set_false_budget(false_per_second);
}

void log_set_level(level_t level) { atomic_store(&s_level, (int)level); }

void log_set_false_budget(unsigned n) { atomic_store(&s_false_budget, n); }

bool log_enabled(level_t level) { return (int)level <= atomic_load(&s_level); }

/* A verdict's fields for the journal: its name, verdict, reason and client. */
typedef struct {
    const char *qname, *verdict, *reason, *client, *action;
} s_fields_t;

static void s_write(level_t level, const char *subsystem, const s_fields_t *v, const char *text)
{
    if (s_journal) {
        if (v)
            sd_journal_send("MESSAGE=%s", text, "PRIORITY=%d", s_priority[level],
                            "SYSLOG_IDENTIFIER=%s", s_ident, "SUBSYSTEM=%s", subsystem, "QNAME=%s",
                            v->qname, "VERDICT=%s", v->verdict, "REASON=%s", v->reason, "CLIENT=%s",
                            v->client, "ACTION=%s", v->action, NULL);
        else
            sd_journal_send("MESSAGE=%s", text, "PRIORITY=%d", s_priority[level],
                            "SYSLOG_IDENTIFIER=%s", s_ident, "SUBSYSTEM=%s", subsystem, NULL);
        return;
    }
    /* One fprintf per line keeps lines whole between threads. */
    fprintf(stderr, "%s: %s: %s: %s\n", s_ident, s_level_name[level], subsystem, text);
}

void log_msg(level_t level, const char *subsystem, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is just above
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    s_write(level, subsystem, NULL, text);
}

void log_limited(log_limit_t *limit, unsigned seconds, level_t level, const char *subsystem,
                 const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    if (limit->last && ts.tv_sec - limit->last < (time_t)seconds) {
        limit->left_out++;
        return;
    }
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is just above
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (limit->left_out && n >= 0 && (size_t)n < sizeof text)
        snprintf(text + n, sizeof text - (size_t)n, " (and %lu more since the last such line)",
                 limit->left_out);
    s_write(level, subsystem, NULL, text);
    limit->last = ts.tv_sec ? ts.tv_sec : 1;
    limit->left_out = 0;
}

static void s_escape(const char *in, size_t len, char *out, size_t cap)
{
    size_t w = 0;
    for (size_t i = 0; i < len && w + 5 < cap; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c < 33 || c > 126 || c == '\\')
            w += (size_t)snprintf(out + w, cap - w, "\\%03u", c);
        else
            out[w++] = (char)c;
    }
    out[w] = 0;
}

/* Returns true when one more false verdict may be logged this second. */
static bool s_spend(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    long long now = (long long)ts.tv_sec, window = atomic_load(&s_window);
    if (window != now && atomic_compare_exchange_strong(&s_window, &window, now)) {
        atomic_store(&s_used, 0);
        unsigned long left_out = atomic_exchange(&s_left_out, 0);
        if (left_out)
            log_msg(LEVEL_INFO, "verdict", "%lu more false verdicts not logged (limit %u/s)",
                    left_out, atomic_load(&s_false_budget));
    }
    if (atomic_fetch_add(&s_used, 1) < atomic_load(&s_false_budget))
        return true;
    atomic_fetch_add(&s_left_out, 1);
    return false;
}

void log_verdict(const char *qname, size_t len, bool good, const char *reason)
{
    level_t level = good ? LEVEL_DEBUG : LEVEL_INFO;
    if (!log_enabled(level) || (!good && !s_spend()))
        return;
    char name[4 * 256 + 1], text[1200];
    if (len == 0)
        strlcpy(name, "(empty)", sizeof name);
    else
        s_escape(qname, len > 256 ? 256 : len, name, sizeof name);
    snprintf(text, sizeof text, "%s %s %s", good ? "true" : "false", name, reason);
    s_fields_t f = {name, good ? "true" : "false", reason, "-", good ? "-" : "refused"};
    s_write(level, "verdict", &f, text);
}

void log_set_client_mode(events_client_t mode) { atomic_store(&s_client_mode, (int)mode); }

void log_refusal(const char *qname, size_t len, const char *reason, const char *client,
                 const char *action)
{
    if (!log_enabled(LEVEL_INFO) || !s_spend())
        return;
    char name[4 * 256 + 1], who[64], text[1600];
    s_escape(qname, len > 256 ? 256 : len, name, sizeof name);
    privacy_client(client, (events_client_t)atomic_load(&s_client_mode), who, sizeof who);
    char safe[4 * sizeof who];
    s_escape(who, strlen(who), safe, sizeof safe);
    snprintf(text, sizeof text, "false %s %.40s client %s action %.20s", len ? name : "(empty)",
             reason, safe, action);
    s_fields_t f = {name, "false", reason, safe, action};
    s_write(LEVEL_INFO, "verdict", &f, text);
}
