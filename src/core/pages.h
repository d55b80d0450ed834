/*
 * pages.h: large shared blocks in huge pages, for tables built in place
 * (internal).
 *
 * A reader writes every value of a table once into fresh memory, and each
 * fresh 4 KiB page costs a fault: for a 377 MB table of 785 columns the
 * faults took a third of the load. A block mapped 2 MiB-aligned and marked
 * MADV_HUGEPAGE faults once per 2 MiB instead, but only when one block
 * holds many columns, so a block is shared: whoever keeps a part of it
 * holds a reference.
 *
 * Tables read in scattered order gain from huge pages at smaller sizes:
 * fewer TLB misses (lathe__pages_new_scattered).
 *
 * A context with its caller's allocator gets its blocks from that
 * allocator, which sees every byte Lathe allocates; so does any block too
 * small to hold a huge page.
 */
#ifndef LATHE_CORE_PAGES_H
#define LATHE_CORE_PAGES_H

#include <stdbool.h>
#include <stddef.h>

#include "lathe/core.h"

typedef struct lathe__pages {
    size_t refs;
    char *base;
    size_t bytes;
    bool mapped; /* from mmap, else from the context's allocator */
} lathe__pages;

/* A block of at least `bytes` bytes (contents undefined), with one reference; NULL if out of
 * memory. */
lathe__pages *lathe__pages_new(lathe_ctx *ctx, size_t bytes);
/*
 * lathe__pages_new for a block read in scattered order (a boosted tree's
 * deep nodes read rows of its codes far apart): in huge pages from 4 MiB
 * up, since then each read risks a TLB miss, which a huge page makes
 * 512 times rarer.
 */
lathe__pages *lathe__pages_new_scattered(lathe_ctx *ctx, size_t bytes);
void lathe__pages_retain(lathe__pages *pages);
/* Drops a reference; the last one frees the block. NULL is ignored. */
void lathe__pages_release(lathe_ctx *ctx, lathe__pages *pages);
/*
 * Says [at, at + bytes) of the block will not be read again: the whole
 * pages in it go back to the system, and under AddressSanitizer the range
 * is poisoned, so a stray read of it is caught.
 */
void lathe__pages_discard(lathe__pages *pages, void *at, size_t bytes);

#endif
