/*
 * parallel.c: a parallel for-loop over task indices with POSIX threads.
 *
 * Threads are started per call and take tasks from a shared atomic counter.
 * A call costs tens of microseconds, which the callers (one pass over the
 * training rows per call) never notice; a persistent pool can replace this
 * without changing the interface.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "core/internal.h"
#include "model/parallel.h"

#include "core/banned.h"

#define MAX_THREADS 64
#define MAX_BLOCKS 64

typedef struct shared_loop {
    lathe__task_fn fn;
    void *arg;
    size_t n_tasks;
    atomic_size_t next;
} shared_loop;

static void *run_tasks(void *data)
{
    shared_loop *loop = data;
    for (;;) {
        size_t task = atomic_fetch_add(&loop->next, 1);
        if (task >= loop->n_tasks)
            return NULL;
        loop->fn(loop->arg, task);
    }
}

void lathe__parallel_for(lathe_ctx *ctx, size_t n_tasks, lathe__task_fn fn, void *arg)
{
    size_t n_threads = (size_t)lathe_ctx_threads(ctx);
    if (n_threads > n_tasks)
        n_threads = n_tasks;
    if (n_threads > MAX_THREADS)
        n_threads = MAX_THREADS;
    if (n_threads <= 1) {
        for (size_t task = 0; task < n_tasks; task++)
            fn(arg, task);
        return;
    }
    shared_loop loop = {.fn = fn, .arg = arg, .n_tasks = n_tasks};
    atomic_init(&loop.next, 0);
    pthread_t threads[MAX_THREADS];
    size_t started = 0;
    while (started + 1 < n_threads &&
           pthread_create(&threads[started], NULL, run_tasks, &loop) == 0)
        started++;
    run_tasks(&loop);
    for (size_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
}

size_t lathe__row_blocks(size_t n_rows, size_t min_rows, size_t max_blocks)
{
    size_t blocks = min_rows ? n_rows / min_rows : n_rows;
    if (blocks > MAX_BLOCKS)
        blocks = MAX_BLOCKS;
    if (blocks > max_blocks)
        blocks = max_blocks;
    return blocks ? blocks : 1;
}
