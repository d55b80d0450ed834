/*
 * internal.h: helpers shared by every library file: allocation through the
 * context, error formatting, checked size arithmetic and logging.
 *
 * Nothing here is installed. Every allocation of the library goes through
 * lathe__alloc and friends so a caller's allocator sees all of it.
 */
#ifndef LATHE_INTERNAL_H
#define LATHE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lathe/core.h"

struct lathe_ctx {
    lathe_allocator allocator;
    lathe_log_fn log;
    void *log_user;
    lathe_progress_fn progress;
    void *progress_user;
    int n_threads;
    uint64_t seed;
};

void *lathe__alloc(lathe_ctx *ctx, size_t size);
/* Zero-filled; NULL if count * size overflows or memory runs out. */
void *lathe__calloc(lathe_ctx *ctx, size_t count, size_t size);
/* NULL if count * size overflows or memory runs out; `ptr` is then still valid. */
void *lathe__realloc_array(lathe_ctx *ctx, void *ptr, size_t count, size_t size);
void lathe__free(lathe_ctx *ctx, void *ptr);
/* True unless the context was made with a caller's allocator. */
bool lathe__ctx_has_default_allocator(const lathe_ctx *ctx);
/* A NUL-terminated copy of text[0..length). */
char *lathe__strndup(lathe_ctx *ctx, const char *text, size_t length);

/* Sets err (which may be NULL) and returns `status`, so callers can `return lathe__error(...)`. */
lathe_status lathe__error(lathe_error *err, lathe_status status, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes the existing message with "prefix: " (for file/line locations). */
void lathe__error_prefix(lathe_error *err, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
lathe_status lathe__error_nomem(lathe_error *err);

void lathe__log(lathe_ctx *ctx, lathe_log_level level, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
/* Reports progress; true if the caller asked to cancel. */
bool lathe__progress(lathe_ctx *ctx, const char *stage, double done, double total);

static inline bool lathe__mul_overflows(size_t a, size_t b, size_t *out)
{
    return __builtin_mul_overflow(a, b, out);
}

static inline bool lathe__add_overflows(size_t a, size_t b, size_t *out)
{
    return __builtin_add_overflow(a, b, out);
}

/*
 * Makes room for `need` elements of `size` bytes in *items (capacity in
 * *capacity), growing by half again. Returns false when out of memory.
 */
bool lathe__grow(lathe_ctx *ctx, void **items, size_t *capacity, size_t need, size_t size);

#endif
