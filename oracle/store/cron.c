/* oracle/store/cron.c - the timer thread: the database's periodic duties. */
#include "cron.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actor.h"
#include "droplist.h"
#include "events.h"
#include "log.h"
#include "store.h"

#define S_PENDING 256 /* cuts waiting for the database, at most */

struct cron {
    config_t cfg;
    listbox_t *lists;
    domain_t *domains;
    char instance[64]; /* this oracle's rows in the evidence table */
    domain_evidence_t pending[S_PENDING];
    size_t npending;
    stats_slot_t *stats;
    store_t *store;
    duty_clock_t clock; /* its rows of the duty table */
    actor_t *actor;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
};

bool cron_reread(void *arg)
{
    cron_t *self = arg;
    lists_t *lists;
    if (droplist_load(self->store, &lists) == 0) {
        log_debug("cron", "lists: %zu drop, %zu block, %zu allow", lists_size(lists, LIST_DROP),
                  lists_size(lists, LIST_BLOCK), lists_size(lists, LIST_ALLOW));
        listbox_reload(self->lists, lists); /* publishes the difference */
        stats_add(self->stats, STAT_LIST_REFRESHES, 1);
    }
    return false;
}

/* Those the database did not take wait (at most S_PENDING, the oldest
 * dropped: they stay cut in this oracle's memory anyway). */
bool cron_cuts(void *arg)
{
    cron_t *self = arg;
    domain_evidence_t e;
    while (domain_take_cut(self->domains, &e)) {
        if (self->npending == S_PENDING)
            memmove(self->pending, self->pending + 1, --self->npending * sizeof e);
        self->pending[self->npending++] = e;
    }
    size_t done = 0;
    bool reread = false;
    while (done < self->npending) {
        int rc = droplist_cut(self->store, &self->cfg, &self->pending[done]);
        if (rc != 0 && rc != -EINVAL)
            break; /* the database is away: next second */
        if (rc == 0) {
            log_info("cron", "drop list: %s added", self->pending[done].domain);
            list_change_t c = {true, LIST_DROP, self->pending[done].domain};
            reread |= listbox_change(self->lists, &c, 1) != 0;
        }
        done++;
    }
    memmove(self->pending, self->pending + done, (self->npending - done) * sizeof e);
    self->npending -= done;
    return reread;
}

bool cron_exchange(void *arg)
{
    cron_t *self = arg;
    unsigned long long cuts = 0;
    if (droplist_update(self->store, &self->cfg, self->domains, self->instance, domain_now(),
                        &cuts) == 0) {
        stats_add(self->stats, STAT_DROPLIST_UPDATES, 1);
        if (cuts)
            log_info("cron", "evidence of every oracle: %llu domains cut off", cuts);
    }
    return true; /* publish the new drop list now */
}

bool cron_retention(void *arg)
{
    cron_t *self = arg;
    unsigned long long deleted = 0;
    if (droplist_retention(self->store, &self->cfg, &deleted) == 0 && deleted)
        log_info("cron", "retention: %llu names older than %u s deleted", deleted,
                 self->cfg.droplist.retention_seconds);
    return false;
}

bool cron_events_retention(void *arg)
{
    cron_t *self = arg;
    unsigned long long deleted = 0;
    if (events_retention(self->store, &self->cfg, &deleted) == 0 && deleted)
        log_info("cron", "retention: %llu event rows older than %u days deleted", deleted,
                 self->cfg.events.retention_days);
    return false;
}

static void s_run(void *pipe, void *arg)
{
    cron_t *self = arg;
    if (actor_ready(pipe, 0) != 0)
        return;
    pthread_mutex_lock(&self->lock);
    while (!self->stop) {
        pthread_mutex_unlock(&self->lock);
        duty_clock_run(&self->clock, self, duty_now());
        pthread_mutex_lock(&self->lock);
        if (self->stop)
            break;
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until); /* the condvar's clock */
        until.tv_sec += 1;
        pthread_cond_timedwait(&self->wake, &self->lock, &until);
    }
    pthread_mutex_unlock(&self->lock);
    /* cron_destroy() sent its command before it set `stop`: answer it */
    while (!actor_stop_asked(pipe))
        ;
}

static void s_free(cron_t *self)
{
    store_destroy(&self->store);
    pthread_mutex_destroy(&self->lock);
    pthread_cond_destroy(&self->wake);
    free(self);
}

cron_t *cron_new(const config_t *cfg, listbox_t *lists, domain_t *domains, stats_slot_t *slot,
                 const duty_t *duties, size_t nduties)
{
    cron_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->cfg = *cfg;
    duty_clock_init(&self->clock, duties, nduties, DUTY_CRON, cfg, duty_now());
    self->lists = lists;
    self->domains = domains;
    droplist_instance(cfg, self->instance, sizeof self->instance);
    self->stats = slot;
    self->store = store_new(cfg, "cron");
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&self->lock, NULL);
    pthread_cond_init(&self->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (self->store)
        self->actor = actor_new(NULL, "cron", s_run, self, NULL);
    if (!self->actor) {
        s_free(self);
        return NULL;
    }
    return self;
}

void cron_destroy(cron_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cron_t *self = *self_p;
    uint32_t seq = actor_send(self->actor, "stop", NULL, 0);
    pthread_mutex_lock(&self->lock);
    self->stop = true;
    pthread_cond_signal(&self->wake);
    pthread_mutex_unlock(&self->lock);
    /* a duty under way (a slow database) finishes first */
    if (actor_wait(self->actor, seq, ACTOR_TIMEOUT_MS, NULL, 0, NULL) != 0)
        log_warning("cron", "the timer did not stop within %d ms (a database call?): waiting",
                    ACTOR_TIMEOUT_MS);
    actor_join(self->actor);
    actor_destroy(&self->actor);
    s_free(self);
    *self_p = NULL;
}
