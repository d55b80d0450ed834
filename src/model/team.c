/*
 * team.c: a team of threads that lives for one fit.
 *
 * Growing a boosted tree hands the threads a short task list several times
 * per node (partition, histogram, split search): thousands of lists per
 * fit, many of them a few microseconds long; a solver evaluates its
 * objective over blocks of rows once or twice per iteration. Starting
 * threads per list (lathe__parallel_for) costs tens of microseconds each
 * time, and on a busy machine the caller then waits for threads the
 * scheduler has not run yet, so the team keeps its helpers and wakes them
 * per list.
 *
 * The caller never waits for a helper that has not started: tasks are
 * claimed from one 64-bit ticket holding (list number, next task), so a
 * helper that wakes late either claims a task of the current list or sees
 * that the list moved on, and the caller waits only until every task of
 * its list is done. On a busy machine, where a helper may not be scheduled
 * for milliseconds, the caller then simply runs the tasks itself.
 * Helpers spin briefly for the next list before they sleep on a condition
 * variable.
 *
 * Which thread runs a task varies from run to run; callers make results
 * independent of that (each task writes its own output, combined in task
 * order).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/internal.h"
#include "model/parallel.h"

#include "core/banned.h"

#define MAX_HELPERS 63
#define SPIN_ROUNDS 1000
#define TASK_BITS 32
#define TASK_MASK 0xffffffffu
#define NOT_READY TASK_MASK /* the next list is being set up */

struct lathe__team {
    size_t n_helpers;
    pthread_t helpers[MAX_HELPERS];
    pthread_mutex_t lock;
    pthread_cond_t wake; /* a new list, or stop */
    pthread_cond_t done; /* the last task of a list finished */
    bool stop;
    /* the current list: stable while any of its tasks is unfinished */
    lathe__task_fn fn;
    void *arg;
    atomic_size_t n_tasks;
    atomic_uint_fast64_t ticket; /* list number << TASK_BITS | next task (or NOT_READY) */
    atomic_size_t finished;      /* tasks of the current list done */
    bool caller_waiting;         /* under lock */
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Claims the next task of list `list`; false when it has none left or the list moved on. */
static bool claim(lathe__team *team, uint64_t list, size_t *task)
{
    uint64_t ticket = atomic_load(&team->ticket);
    for (;;) {
        uint64_t next = ticket & TASK_MASK;
        if (ticket >> TASK_BITS != list || next == NOT_READY || next >= atomic_load(&team->n_tasks))
            return false;
        /* a stale n_tasks cannot hand out a task: the ticket changed first, so this fails */
        if (atomic_compare_exchange_weak(&team->ticket, &ticket, ticket + 1)) {
            *task = (size_t)next;
            return true;
        }
    }
}

/* Runs tasks of list `list` until none are left. */
static void work_on(lathe__team *team, uint64_t list)
{
    size_t task;
    while (claim(team, list, &task)) {
        team->fn(team->arg, task);
        if (atomic_fetch_add(&team->finished, 1) + 1 == atomic_load(&team->n_tasks)) {
            pthread_mutex_lock(&team->lock);
            if (team->caller_waiting)
                pthread_cond_signal(&team->done);
            pthread_mutex_unlock(&team->lock);
        }
    }
}

static bool is_new(uint64_t ticket, uint64_t seen)
{
    return ticket >> TASK_BITS != seen && (ticket & TASK_MASK) != NOT_READY;
}

/* Waits for a list newer than `seen`; returns its number, or UINT64_MAX to stop. */
static uint64_t next_list(lathe__team *team, uint64_t seen)
{
    for (int spin = 0; spin < SPIN_ROUNDS; spin++) {
        uint64_t ticket = atomic_load(&team->ticket);
        if (is_new(ticket, seen))
            return ticket >> TASK_BITS;
        cpu_relax();
    }
    pthread_mutex_lock(&team->lock);
    while (!team->stop && !is_new(atomic_load(&team->ticket), seen))
        pthread_cond_wait(&team->wake, &team->lock);
    uint64_t list = team->stop ? UINT64_MAX : atomic_load(&team->ticket) >> TASK_BITS;
    pthread_mutex_unlock(&team->lock);
    return list;
}

static void *helper_main(void *data)
{
    lathe__team *team = data;
    uint64_t seen = 0;
    for (;;) {
        uint64_t list = next_list(team, seen);
        if (list == UINT64_MAX)
            return NULL;
        work_on(team, list);
        seen = list;
    }
}

lathe_status lathe__team_new(lathe_ctx *ctx, lathe__team **out, lathe_error *err)
{
    lathe__team *team = lathe__calloc(ctx, 1, sizeof *team);
    if (!team)
        return lathe__error_nomem(err);
    pthread_mutex_init(&team->lock, NULL);
    pthread_cond_init(&team->wake, NULL);
    pthread_cond_init(&team->done, NULL);
    atomic_init(&team->ticket, 0);
    atomic_init(&team->finished, 0);
    atomic_init(&team->n_tasks, 0);
    int threads = lathe_ctx_threads(ctx);
    size_t wanted = threads > 1 ? (size_t)threads - 1 : 0;
    if (wanted > MAX_HELPERS)
        wanted = MAX_HELPERS;
    while (team->n_helpers < wanted &&
           pthread_create(&team->helpers[team->n_helpers], NULL, helper_main, team) == 0)
        team->n_helpers++;
    *out = team;
    return LATHE_OK;
}

void lathe__team_free(lathe_ctx *ctx, lathe__team *team)
{
    if (!team)
        return;
    pthread_mutex_lock(&team->lock);
    team->stop = true;
    pthread_cond_broadcast(&team->wake);
    pthread_mutex_unlock(&team->lock);
    for (size_t i = 0; i < team->n_helpers; i++)
        pthread_join(team->helpers[i], NULL);
    pthread_mutex_destroy(&team->lock);
    pthread_cond_destroy(&team->wake);
    pthread_cond_destroy(&team->done);
    lathe__free(ctx, team);
}

void lathe__team_run(lathe__team *team, size_t n_tasks, lathe__task_fn fn, void *arg)
{
    if (team->n_helpers == 0 || n_tasks <= 1 || n_tasks >= NOT_READY) {
        for (size_t task = 0; task < n_tasks; task++)
            fn(arg, task);
        return;
    }
    /* every task of the previous list is finished: once the ticket says NOT_READY no
       helper can claim one, so the list can be rewritten */
    uint64_t list = (atomic_load(&team->ticket) >> TASK_BITS) + 1;
    atomic_store(&team->ticket, list << TASK_BITS | NOT_READY);
    team->fn = fn;
    team->arg = arg;
    atomic_store(&team->n_tasks, n_tasks);
    atomic_store(&team->finished, 0);
    pthread_mutex_lock(&team->lock);
    atomic_store(&team->ticket, list << TASK_BITS);
    pthread_cond_broadcast(&team->wake);
    pthread_mutex_unlock(&team->lock);
    work_on(team, list);
    for (int spin = 0; spin < SPIN_ROUNDS && atomic_load(&team->finished) < n_tasks; spin++)
        cpu_relax();
    if (atomic_load(&team->finished) == n_tasks)
        return;
    pthread_mutex_lock(&team->lock);
    team->caller_waiting = true;
    while (atomic_load(&team->finished) < n_tasks)
        pthread_cond_wait(&team->done, &team->lock);
    team->caller_waiting = false;
    pthread_mutex_unlock(&team->lock);
}
