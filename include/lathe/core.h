/*
 * core.h: the context and the error record.
 *
 * A lathe_ctx carries everything that would otherwise be global: allocator,
 * log sink, thread count, seed, and the progress/cancel callback. One context
 * may be shared by many objects; it must outlive them. A context is not
 * thread-safe to modify, but may be read from many threads once set up.
 *
 * A lathe_error is caller-owned and holds a message written for a person:
 * the problem first, then where ("data.csv:1042:7: unterminated quoted field").
 */
#ifndef LATHE_CORE_H
#define LATHE_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "lathe/export.h"
#include "lathe/status.h"

#define LATHE_ERROR_MESSAGE_MAX 512

typedef struct lathe_error {
    lathe_status status;
    char message[LATHE_ERROR_MESSAGE_MAX];
} lathe_error;

/* Clears an error record to LATHE_OK with an empty message. */
LATHE_API void lathe_error_clear(lathe_error *err);

typedef enum lathe_log_level {
    LATHE_LOG_DEBUG,
    LATHE_LOG_INFO,
    LATHE_LOG_WARN,
    LATHE_LOG_ERROR
} lathe_log_level;

typedef void (*lathe_log_fn)(void *user, lathe_log_level level, const char *message);

/*
 * Called during long work with the stage name and progress so far (total may
 * be 0 when unknown). Return non-zero to cancel: the running call then
 * returns LATHE_CANCELED and leaves its inputs untouched.
 */
typedef int (*lathe_progress_fn)(void *user, const char *stage, double done, double total);

typedef struct lathe_allocator {
    void *(*malloc)(void *user, size_t size);
    void *(*realloc)(void *user, void *ptr, size_t size);
    void (*free)(void *user, void *ptr);
    void *user;
} lathe_allocator;

typedef struct lathe_ctx lathe_ctx;

/* A context with the C allocator, no log sink, 1 thread and seed 0. NULL if out of memory. */
LATHE_API lathe_ctx *lathe_ctx_new(void);
/* As lathe_ctx_new but allocating everything through `allocator` (copied). */
LATHE_API lathe_ctx *lathe_ctx_new_with_allocator(const lathe_allocator *allocator);
LATHE_API void lathe_ctx_free(lathe_ctx *ctx);

LATHE_API void lathe_ctx_set_log(lathe_ctx *ctx, lathe_log_fn fn, void *user);
LATHE_API void lathe_ctx_set_progress(lathe_ctx *ctx, lathe_progress_fn fn, void *user);
/* 0 means one thread per online processor. */
LATHE_API void lathe_ctx_set_threads(lathe_ctx *ctx, int n_threads);
LATHE_API int lathe_ctx_threads(const lathe_ctx *ctx);
LATHE_API void lathe_ctx_set_seed(lathe_ctx *ctx, uint64_t seed);
LATHE_API uint64_t lathe_ctx_seed(const lathe_ctx *ctx);

/* The library's version, "MAJOR.MINOR.PATCH". */
LATHE_API const char *lathe_version(void);

#endif
