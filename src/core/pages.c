/*
 * pages.c: large shared blocks in huge pages (see pages.h).
 */
#include <stdint.h>
#include <sys/mman.h>

#include "core/internal.h"
#include "core/pages.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LATHE__ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define LATHE__ASAN 1
#endif
#ifdef LATHE__ASAN
#include <sanitizer/asan_interface.h>
#define POISON(at, bytes) ASAN_POISON_MEMORY_REGION(at, bytes)
#define UNPOISON(at, bytes) ASAN_UNPOISON_MEMORY_REGION(at, bytes)
#else
#define POISON(at, bytes) ((void)(at), (void)(bytes))
#define UNPOISON(at, bytes) ((void)(at), (void)(bytes))
#endif

#include "core/banned.h"

#define HUGE_PAGE ((size_t)2 << 20)
#define SMALL_PAGE ((size_t)4096)
/* Smaller blocks gain too little from huge pages to leave the allocator: a block written
   once in order saves only faults, one read in scattered order TLB misses too. */
#define MIN_MAPPED (16 * HUGE_PAGE)
#define MIN_MAPPED_SCATTERED (2 * HUGE_PAGE)

/* `bytes` (a multiple of HUGE_PAGE) mapped at a HUGE_PAGE boundary, so every
 * 2 MiB of it can be one huge page; NULL if the system has no room. */
static char *map_aligned(size_t bytes)
{
    size_t padded = bytes + HUGE_PAGE;
    char *raw = mmap(NULL, padded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    char *aligned = (char *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    if (aligned > raw)
        munmap(raw, (size_t)(aligned - raw));
    size_t tail = (size_t)(raw + padded - (aligned + bytes));
    if (tail)
        munmap(aligned + bytes, tail);
#ifdef MADV_HUGEPAGE
    madvise(aligned, bytes, MADV_HUGEPAGE); /* only advice: without it the block still works */
#endif
    return aligned;
}

static lathe__pages *pages_new(lathe_ctx *ctx, size_t bytes, size_t min_mapped)
{
    lathe__pages *pages = lathe__calloc(ctx, 1, sizeof *pages);
    if (!pages)
        return NULL;
    pages->refs = 1;
    if (lathe__ctx_has_default_allocator(ctx) && bytes >= min_mapped &&
        bytes <= SIZE_MAX - 2 * HUGE_PAGE) {
        pages->bytes = (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
        pages->base = map_aligned(pages->bytes);
        pages->mapped = pages->base != NULL;
    }
    if (!pages->base) {
        pages->bytes = bytes ? bytes : 1;
        pages->base = lathe__alloc(ctx, pages->bytes);
    }
    if (!pages->base) {
        lathe__free(ctx, pages);
        return NULL;
    }
    return pages;
}

lathe__pages *lathe__pages_new(lathe_ctx *ctx, size_t bytes)
{
    return pages_new(ctx, bytes, MIN_MAPPED);
}

lathe__pages *lathe__pages_new_scattered(lathe_ctx *ctx, size_t bytes)
{
    return pages_new(ctx, bytes, MIN_MAPPED_SCATTERED);
}

void lathe__pages_retain(lathe__pages *pages)
{
    pages->refs++;
}

void lathe__pages_release(lathe_ctx *ctx, lathe__pages *pages)
{
    if (!pages || --pages->refs > 0)
        return;
    UNPOISON(pages->base, pages->bytes);
    if (pages->mapped)
        munmap(pages->base, pages->bytes);
    else
        lathe__free(ctx, pages->base);
    lathe__free(ctx, pages);
}

void lathe__pages_discard(lathe__pages *pages, void *at, size_t bytes)
{
    if (bytes == 0)
        return;
    char *start = at, *stop = start + bytes;
    char *first = (char *)(((uintptr_t)start + SMALL_PAGE - 1) & ~(uintptr_t)(SMALL_PAGE - 1));
    char *last = (char *)((uintptr_t)stop & ~(uintptr_t)(SMALL_PAGE - 1));
    if (pages->mapped && last > first)
        madvise(first, (size_t)(last - first), MADV_DONTNEED);
    POISON(start, bytes);
}
