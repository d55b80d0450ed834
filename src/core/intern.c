/*
 * intern.c: the string interner (see intern.h) and the byte hash it uses.
 *
 * The hash is a 64-bit multiply-mix over 8-byte words (in the family of
 * wyhash/rapidhash); it is not cryptographic. Category values come from
 * outside, so the seed can be varied, but the table's half-full bound keeps
 * probing short for ordinary data either way.
 */
#include <string.h>

#include "core/intern.h"
#include "core/internal.h"

#include "core/banned.h"

static inline uint64_t mix(uint64_t a, uint64_t b)
{
    __uint128_t product = (__uint128_t)a * b;
    return (uint64_t)product ^ (uint64_t)(product >> 64);
}

static inline uint64_t read64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Inlined into the interner's lookups, which run once per categorical cell. */
static inline __attribute__((always_inline)) uint64_t hash_bytes(const void *data, size_t length,
                                                                 uint64_t seed)
{
    const unsigned char *p = data;
    const uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL;
    uint64_t h = seed ^ mix(length ^ k0, k1);
    size_t i = 0;
    for (; i + 8 <= length; i += 8)
        h = mix(h ^ read64(p + i), k1) + k0;
    /* The last 1 to 7 bytes without a loop (as wyhash reads them): two
     * overlapping 4-byte reads, or the first, middle and last byte. */
    uint64_t tail = 0;
    size_t rest = length - i;
    if (rest >= 4) {
        uint32_t low, high;
        memcpy(&low, p + i, 4);
        memcpy(&high, p + length - 4, 4);
        tail = (uint64_t)low | (uint64_t)high << 32;
    } else if (rest) {
        tail = (uint64_t)p[i] << 16 | (uint64_t)p[i + rest / 2] << 8 | p[length - 1];
    }
    return mix(h ^ tail ^ k1, k0 ^ length);
}

uint64_t lathe__hash_bytes(const void *data, size_t length, uint64_t seed)
{
    return hash_bytes(data, length, seed);
}

void lathe__interner_init(lathe__interner *interner, lathe_ctx *ctx)
{
    memset(interner, 0, sizeof *interner);
    interner->ctx = ctx;
}

void lathe__interner_release(lathe__interner *interner)
{
    lathe_ctx *ctx = interner->ctx;
    for (size_t i = 0; i < interner->n_keys && interner->keys; i++)
        lathe__free(ctx, interner->keys[i]);
    lathe__free(ctx, interner->keys);
    lathe__free(ctx, interner->lengths);
    lathe__free(ctx, interner->hashes);
    lathe__free(ctx, interner->slots);
    lathe__interner_init(interner, ctx);
}

/*
 * True if two keys of the same length are equal. Category values are
 * short, and for them a library memcmp call costs more than the compare:
 * up to 16 bytes take two overlapping reads from each side (or, under 4
 * bytes, the first, middle and last bytes, which are all of them).
 */
static inline bool same_key(const char *a, const char *b, size_t length)
{
    if (length > 16)
        return memcmp(a, b, length) == 0;
    if (length >= 8) {
        uint64_t a0, a1, b0, b1;
        memcpy(&a0, a, 8);
        memcpy(&a1, a + length - 8, 8);
        memcpy(&b0, b, 8);
        memcpy(&b1, b + length - 8, 8);
        return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
    if (length >= 4) {
        uint32_t a0, a1, b0, b1;
        memcpy(&a0, a, 4);
        memcpy(&a1, a + length - 4, 4);
        memcpy(&b0, b, 4);
        memcpy(&b1, b + length - 4, 4);
        return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
    return length == 0 ||
           (a[0] == b[0] && a[length / 2] == b[length / 2] && a[length - 1] == b[length - 1]);
}

static inline __attribute__((always_inline)) size_t
probe(const lathe__interner *interner, const char *key, size_t length, uint64_t hash)
{
    size_t mask = interner->n_slots - 1;
    for (size_t s = hash & mask;; s = (s + 1) & mask) {
        int32_t id = interner->slots[s];
        if (id < 0)
            return s;
        if (interner->hashes[id] == hash && interner->lengths[id] == length &&
            same_key(interner->keys[id], key, length))
            return s;
    }
}

static bool rehash(lathe__interner *interner)
{
    size_t n_slots = interner->n_slots ? interner->n_slots * 2 : 16;
    int32_t *slots = lathe__realloc_array(interner->ctx, NULL, n_slots, sizeof *slots);
    if (!slots)
        return false;
    memset(slots, 0xff, n_slots * sizeof *slots);
    for (size_t id = 0; id < interner->n_keys; id++) {
        size_t s = interner->hashes[id] & (n_slots - 1);
        while (slots[s] >= 0)
            s = (s + 1) & (n_slots - 1);
        slots[s] = (int32_t)id;
    }
    lathe__free(interner->ctx, interner->slots);
    interner->slots = slots;
    interner->n_slots = n_slots;
    return true;
}

int32_t lathe__interner_find(const lathe__interner *interner, const char *key, size_t length)
{
    if (!interner->n_slots)
        return -1;
    uint64_t hash = hash_bytes(key, length, 0);
    return interner->slots[probe(interner, key, length, hash)];
}

static bool reserve_keys(lathe__interner *interner)
{
    if (interner->n_keys < interner->capacity)
        return true;
    size_t capacity = interner->capacity;
    void *keys = interner->keys, *lengths = interner->lengths, *hashes = interner->hashes;
    size_t c1 = capacity, c2 = capacity, c3 = capacity;
    bool ok = lathe__grow(interner->ctx, &keys, &c1, capacity + 1, sizeof(char *));
    interner->keys = keys;
    ok = ok && lathe__grow(interner->ctx, &lengths, &c2, capacity + 1, sizeof(size_t));
    interner->lengths = lengths;
    ok = ok && lathe__grow(interner->ctx, &hashes, &c3, capacity + 1, sizeof(uint64_t));
    interner->hashes = hashes;
    if (!ok)
        return false;
    interner->capacity = c1 < c2 ? (c1 < c3 ? c1 : c3) : (c2 < c3 ? c2 : c3);
    return true;
}

lathe_status lathe__interner_put(lathe__interner *interner, const char *key, size_t length,
                                 int32_t *id, bool *added)
{
    if ((interner->n_keys + 1) * 2 > interner->n_slots && !rehash(interner))
        return LATHE_NOMEM;
    uint64_t hash = hash_bytes(key, length, 0);
    size_t s = probe(interner, key, length, hash);
    if (interner->slots[s] >= 0) {
        *id = interner->slots[s];
        if (added)
            *added = false;
        return LATHE_OK;
    }
    if (interner->n_keys >= INT32_MAX)
        return LATHE_LIMIT;
    if (!reserve_keys(interner))
        return LATHE_NOMEM;
    char *copy = lathe__strndup(interner->ctx, key, length);
    if (!copy)
        return LATHE_NOMEM;
    size_t new_id = interner->n_keys++;
    interner->keys[new_id] = copy;
    interner->lengths[new_id] = length;
    interner->hashes[new_id] = hash;
    interner->slots[s] = (int32_t)new_id;
    interner->key_bytes += length + 1;
    *id = (int32_t)new_id;
    if (added)
        *added = true;
    return LATHE_OK;
}

char **lathe__interner_steal_keys(lathe__interner *interner)
{
    char **keys = interner->keys;
    interner->keys = NULL;
    interner->n_keys = 0;
    lathe__interner_release(interner);
    return keys;
}
