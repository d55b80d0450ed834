/*
 * test_pages.c: the shared blocks that tables are read into. A large block
 * of the default allocator is mapped on a huge-page boundary; a caller's
 * allocator gets every block, large or small, and sees it freed when the
 * last reference goes; discarding a part leaves the rest intact.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/pages.h"
#include "harness.h"

#define MB ((size_t)1 << 20)

static struct {
    size_t live;    /* blocks allocated and not yet freed */
    size_t largest; /* the largest allocation seen */
} watch;

static void *watched_malloc(void *user, size_t size)
{
    (void)user;
    watch.live++;
    if (size > watch.largest)
        watch.largest = size;
    return malloc(size);
}

static void *watched_realloc(void *user, void *ptr, size_t size)
{
    if (!ptr)
        return watched_malloc(user, size);
    return realloc(ptr, size);
}

static void watched_free(void *user, void *ptr)
{
    (void)user;
    if (ptr)
        watch.live--;
    free(ptr);
}

TEST(large_blocks_are_mapped_on_huge_page_boundaries)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__pages *pages = lathe__pages_new(ctx, 40 * MB + 3);
    CHECK(pages != NULL);
    CHECK(pages->mapped);
    CHECK(pages->bytes >= 40 * MB + 3);
    CHECK_EQ((uintptr_t)pages->base % (2 * MB), 0);
    memset(pages->base, 0x5a, 40 * MB + 3);
    CHECK_EQ((unsigned char)pages->base[40 * MB + 2], 0x5a);
    lathe__pages_retain(pages);
    lathe__pages_release(ctx, pages);
    CHECK_EQ(pages->refs, 1);
    CHECK_EQ((unsigned char)pages->base[0], 0x5a); /* still held by the other reference */
    lathe__pages_release(ctx, pages);

    lathe__pages *small = lathe__pages_new(ctx, MB);
    CHECK(small != NULL);
    CHECK(!small->mapped);
    lathe__pages_release(ctx, small);
    lathe__pages_release(ctx, NULL);
    lathe_ctx_free(ctx);
}

TEST(a_callers_allocator_gets_every_block)
{
    lathe_allocator allocator = {watched_malloc, watched_realloc, watched_free, NULL};
    lathe_ctx *ctx = lathe_ctx_new_with_allocator(&allocator);
    size_t before = watch.live;
    lathe__pages *pages = lathe__pages_new(ctx, 40 * MB);
    CHECK(pages != NULL);
    CHECK(!pages->mapped);
    CHECK(watch.largest >= 40 * MB);
    CHECK_EQ(watch.live, before + 2); /* the block and its header */
    lathe__pages_retain(pages);
    lathe__pages_release(ctx, pages);
    CHECK_EQ(watch.live, before + 2);
    lathe__pages_release(ctx, pages);
    CHECK_EQ(watch.live, before);
    lathe_ctx_free(ctx);
}

TEST(discarding_a_part_keeps_the_rest)
{
    lathe_ctx *ctx = lathe_ctx_new();
    lathe__pages *pages = lathe__pages_new(ctx, 40 * MB);
    CHECK(pages != NULL);
    double *values = (double *)(void *)pages->base;
    size_t n = 40 * MB / sizeof *values, cut = n / 3 + 5; /* not on a page boundary */
    for (size_t i = 0; i < n; i++)
        values[i] = (double)i;
    lathe__pages_discard(pages, values + cut, (n - cut - 7) * sizeof *values);
    for (size_t i = 0; i < cut; i++) {
        if (values[i] != (double)i) {
            CHECK_EQ(values[i], (double)i);
            break;
        }
    }
    for (size_t i = n - 7; i < n; i++)
        CHECK_EQ(values[i], (double)i);
    lathe__pages_discard(pages, values, 0);
    lathe__pages_release(ctx, pages);
    lathe_ctx_free(ctx);
}
