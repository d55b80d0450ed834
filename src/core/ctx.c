/*
 * ctx.c: the context, its allocator, logging and progress reporting.
 *
 * The default allocator is the C library's. Everything the library allocates
 * goes through the context so that a caller-supplied allocator sees it all.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/internal.h"

#include "core/banned.h"

#define LATHE_VERSION_STRING "0.1.0"

static void *std_malloc(void *user, size_t size)
{
    (void)user;
    return malloc(size);
}

static void *std_realloc(void *user, void *ptr, size_t size)
{
    (void)user;
    return realloc(ptr, size);
}

static void std_free(void *user, void *ptr)
{
    (void)user;
    free(ptr);
}

lathe_ctx *lathe_ctx_new(void)
{
    lathe_allocator std = {std_malloc, std_realloc, std_free, NULL};
    return lathe_ctx_new_with_allocator(&std);
}

lathe_ctx *lathe_ctx_new_with_allocator(const lathe_allocator *allocator)
{
    lathe_ctx *ctx = allocator->malloc(allocator->user, sizeof *ctx);
    if (!ctx)
        return NULL;
    memset(ctx, 0, sizeof *ctx);
    ctx->allocator = *allocator;
    ctx->n_threads = 1;
    return ctx;
}

void lathe_ctx_free(lathe_ctx *ctx)
{
    if (!ctx)
        return;
    lathe_allocator allocator = ctx->allocator;
    allocator.free(allocator.user, ctx);
}

void lathe_ctx_set_log(lathe_ctx *ctx, lathe_log_fn fn, void *user)
{
    ctx->log = fn;
    ctx->log_user = user;
}

void lathe_ctx_set_progress(lathe_ctx *ctx, lathe_progress_fn fn, void *user)
{
    ctx->progress = fn;
    ctx->progress_user = user;
}

void lathe_ctx_set_threads(lathe_ctx *ctx, int n_threads)
{
    if (n_threads <= 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        n_threads = online > 0 ? (int)online : 1;
    }
    ctx->n_threads = n_threads;
}

int lathe_ctx_threads(const lathe_ctx *ctx)
{
    return ctx->n_threads;
}

void lathe_ctx_set_seed(lathe_ctx *ctx, uint64_t seed)
{
    ctx->seed = seed;
}

uint64_t lathe_ctx_seed(const lathe_ctx *ctx)
{
    return ctx->seed;
}

const char *lathe_version(void)
{
    return LATHE_VERSION_STRING;
}

bool lathe__ctx_has_default_allocator(const lathe_ctx *ctx)
{
    return ctx->allocator.malloc == std_malloc;
}

void *lathe__alloc(lathe_ctx *ctx, size_t size)
{
    return ctx->allocator.malloc(ctx->allocator.user, size ? size : 1);
}

void *lathe__calloc(lathe_ctx *ctx, size_t count, size_t size)
{
    size_t bytes;
    if (lathe__mul_overflows(count, size, &bytes))
        return NULL;
    void *ptr = lathe__alloc(ctx, bytes);
    if (ptr)
        memset(ptr, 0, bytes);
    return ptr;
}

void *lathe__realloc_array(lathe_ctx *ctx, void *ptr, size_t count, size_t size)
{
    size_t bytes;
    if (lathe__mul_overflows(count, size, &bytes))
        return NULL;
    return ctx->allocator.realloc(ctx->allocator.user, ptr, bytes ? bytes : 1);
}

void lathe__free(lathe_ctx *ctx, void *ptr)
{
    if (ptr)
        ctx->allocator.free(ctx->allocator.user, ptr);
}

char *lathe__strndup(lathe_ctx *ctx, const char *text, size_t length)
{
    size_t bytes;
    if (lathe__add_overflows(length, 1, &bytes))
        return NULL;
    char *copy = lathe__alloc(ctx, bytes);
    if (!copy)
        return NULL;
    if (length)
        memcpy(copy, text, length);
    copy[length] = '\0';
    return copy;
}

bool lathe__grow(lathe_ctx *ctx, void **items, size_t *capacity, size_t need, size_t size)
{
    if (need <= *capacity)
        return true;
    size_t next = *capacity < 8 ? 8 : *capacity + *capacity / 2;
    if (next < need)
        next = need;
    void *grown = lathe__realloc_array(ctx, *items, next, size);
    if (!grown)
        return false;
    *items = grown;
    *capacity = next;
    return true;
}

void lathe__log(lathe_ctx *ctx, lathe_log_level level, const char *format, ...)
{
    if (!ctx->log)
        return;
    char message[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    ctx->log(ctx->log_user, level, message);
}

bool lathe__progress(lathe_ctx *ctx, const char *stage, double done, double total)
{
    if (!ctx->progress)
        return false;
    return ctx->progress(ctx->progress_user, stage, done, total) != 0;
}
