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

#endif
