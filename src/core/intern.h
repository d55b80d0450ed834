/*
 * intern.h: maps byte strings to dense ids 0, 1, 2, ... in first-seen order.
 *
 * Used for category dictionaries and column names. Keys are copied, NUL-
 * terminated, and may contain any bytes. Open addressing with linear probing
 * over a power-of-two table kept at most half full; lookups compare the
 * stored hash before the bytes.
 */
#ifndef LATHE_INTERN_H
#define LATHE_INTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lathe/core.h"

typedef struct lathe__interner {
    lathe_ctx *ctx;
    char **keys;      /* id -> key */
    size_t *lengths;  /* id -> key length */
    uint64_t *hashes; /* id -> hash */
    size_t n_keys;
    size_t capacity; /* of keys, lengths, hashes */
    int32_t *slots;  /* -1 empty, else an id */
    size_t n_slots;
    size_t key_bytes; /* total bytes held by keys */
} lathe__interner;

void lathe__interner_init(lathe__interner *interner, lathe_ctx *ctx);
void lathe__interner_release(lathe__interner *interner);
/* The id of key, adding it if new (*added says which). LATHE_NOMEM or LATHE_LIMIT past INT32_MAX
 * ids. */
lathe_status lathe__interner_put(lathe__interner *interner, const char *key, size_t length,
                                 int32_t *id, bool *added);
/* The id of key, or -1. */
int32_t lathe__interner_find(const lathe__interner *interner, const char *key, size_t length);
/* Takes the key array (n_keys strings) away from the interner, which is left empty. */
char **lathe__interner_steal_keys(lathe__interner *interner);

uint64_t lathe__hash_bytes(const void *data, size_t length, uint64_t seed);

#endif
