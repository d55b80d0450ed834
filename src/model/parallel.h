/*
 * parallel.h: running a fixed list of tasks on the context's threads
 * (internal).
 *
 * Determinism comes from the caller, not the scheduler: the list of tasks
 * (say, blocks of rows) depends only on the data's shape, each task writes
 * its own output slot, and the caller combines the slots in task order. The
 * result is then the same bits whatever the thread count.
 */
#ifndef LATHE_MODEL_PARALLEL_H
#define LATHE_MODEL_PARALLEL_H

#include <stddef.h>

#include "lathe/core.h"

typedef void (*lathe__task_fn)(void *arg, size_t task);

/*
 * Calls fn(arg, task) once for every task in [0, n_tasks), on up to
 * lathe_ctx_threads(ctx) threads including the caller's, and returns when
 * all are done. If threads cannot be started the caller runs every task.
 */
void lathe__parallel_for(lathe_ctx *ctx, size_t n_tasks, lathe__task_fn fn, void *arg);

/*
 * How many blocks to cut n_rows rows into: enough for the threads to share
 * (at most 64), none smaller than `min_rows`, and at most `max_blocks` (the
 * caller's memory cap for per-block outputs, at least 1). Depends only on
 * its arguments, never on the thread count.
 */
size_t lathe__row_blocks(size_t n_rows, size_t min_rows, size_t max_blocks);

/* ---- a team of threads that lives for one fit (team.c) ------------------ */

/*
 * For fits that run many short task lists (a boosting round, a solver's
 * objective): the helpers start once and wait between lists, and the caller
 * never waits on a helper the scheduler has not run yet.
 */
typedef struct lathe__team lathe__team;

/*
 * Starts lathe_ctx_threads(ctx) - 1 helper threads (none for one thread; fewer
 * if the system refuses, which only costs speed). The team runs task lists
 * until freed; results never depend on how many threads it has.
 */
lathe_status lathe__team_new(lathe_ctx *ctx, lathe__team **out, lathe_error *err);
void lathe__team_free(lathe_ctx *ctx, lathe__team *team);
/* Calls fn(arg, task) for every task in [0, n_tasks) on the team, the caller included. */
void lathe__team_run(lathe__team *team, size_t n_tasks, lathe__task_fn fn, void *arg);

#endif
