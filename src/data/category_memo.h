/*
 * category_memo.h: the codes of a categorical column's short values, kept
 * by the values' bytes (internal).
 *
 * Most categorical cells are 1 to 16 bytes long. Finding one here costs a
 * multiply and two compares instead of a call into the column's dictionary.
 * The builder fills a memo as it interns early categories; the CSV reader
 * looks its number rows' categories up in the same memo, so that a known
 * category never becomes a cell at all (lathe__row_rest.hits).
 *
 * Pure inline functions over caller-owned memory; not thread-safe.
 */
#ifndef LATHE_DATA_CATEGORY_MEMO_H
#define LATHE_DATA_CATEGORY_MEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define LATHE__MEMO_SLOTS 64 /* lathe__memo_slot takes the top 6 bits of a hash */
#define LATHE__MEMO_MAX_BYTES 16

/* A value of 1 to 16 bytes in two words, first byte lowest, zeros after
 * its end. With the length, the key is the value. */
typedef struct lathe__memo_key {
    uint64_t low, high;
} lathe__memo_key;

/* One slot: a value's key, its length and its code. A slot with length 0 is empty. */
typedef struct lathe__category_memo {
    lathe__memo_key key;
    uint32_t length;
    int32_t id;
} lathe__category_memo;

/*
 * The bytes of 1 to 8 bytes in one word, first byte lowest and zeros above
 * the last, without reading past them: two overlapping 4-byte reads, or
 * under 4 bytes the first, middle and last byte, which are all of them.
 */
static inline uint64_t lathe__memo_word(const char *text, size_t length)
{
    if (length >= 4) {
        uint32_t low, high;
        memcpy(&low, text, 4);
        memcpy(&high, text + length - 4, 4);
        return (uint64_t)low | (uint64_t)high << (8 * (length - 4));
    }
    return (uint64_t)(unsigned char)text[0] |
           (uint64_t)(unsigned char)text[length / 2] << (8 * (length / 2)) |
           (uint64_t)(unsigned char)text[length - 1] << (8 * (length - 1));
}

/* The key of a value of 1 to 16 bytes, without reading past it. */
static inline lathe__memo_key lathe__memo_key_of(const char *text, size_t length)
{
    if (length <= 8)
        return (lathe__memo_key){lathe__memo_word(text, length), 0};
    uint64_t low;
    memcpy(&low, text, sizeof low);
    return (lathe__memo_key){low, lathe__memo_word(text + 8, length - 8)};
}

/* For each length, the masks that keep a key's bytes of 16 loaded ones. */
static const uint64_t lathe__memo_masks[LATHE__MEMO_MAX_BYTES + 1][2] = {
    {UINT64_C(0x0000000000000000), UINT64_C(0x0000000000000000)},
    {UINT64_C(0x00000000000000ff), UINT64_C(0x0000000000000000)},
    {UINT64_C(0x000000000000ffff), UINT64_C(0x0000000000000000)},
    {UINT64_C(0x0000000000ffffff), UINT64_C(0x0000000000000000)},
    {UINT64_C(0x00000000ffffffff), UINT64_C(0x0000000000000000)},
    {UINT64_C(0x000000ffffffffff), UINT64_C(0x0000000000000000)},
    {UINT64_C(0x0000ffffffffffff), UINT64_C(0x0000000000000000)},
    {UINT64_C(0x00ffffffffffffff), UINT64_C(0x0000000000000000)},
    {UINT64_C(0xffffffffffffffff), UINT64_C(0x0000000000000000)},
    {UINT64_C(0xffffffffffffffff), UINT64_C(0x00000000000000ff)},
    {UINT64_C(0xffffffffffffffff), UINT64_C(0x000000000000ffff)},
    {UINT64_C(0xffffffffffffffff), UINT64_C(0x0000000000ffffff)},
    {UINT64_C(0xffffffffffffffff), UINT64_C(0x00000000ffffffff)},
    {UINT64_C(0xffffffffffffffff), UINT64_C(0x000000ffffffffff)},
    {UINT64_C(0xffffffffffffffff), UINT64_C(0x0000ffffffffffff)},
    {UINT64_C(0xffffffffffffffff), UINT64_C(0x00ffffffffffffff)},
    {UINT64_C(0xffffffffffffffff), UINT64_C(0xffffffffffffffff)},
};

/* The key of a value of 1 to 16 bytes from the 16 bytes that start it, for
 * a caller that may read past its end. */
static inline lathe__memo_key lathe__memo_key_in(const char *sixteen_bytes, size_t length)
{
    uint64_t low, high;
    memcpy(&low, sixteen_bytes, sizeof low);
    memcpy(&high, sixteen_bytes + 8, sizeof high);
    return (lathe__memo_key){low & lathe__memo_masks[length][0],
                             high & lathe__memo_masks[length][1]};
}

/* The slot of a value: where it is, or where it would go. Values that
 * share their first 8 bytes and length share a slot. */
static inline lathe__category_memo *lathe__memo_slot(lathe__category_memo *memo,
                                                     lathe__memo_key key, size_t length)
{
    return &memo[((key.low ^ length) * UINT64_C(0x9e3779b97f4a7c15)) >> 58];
}

static inline bool lathe__memo_holds(const lathe__category_memo *m, lathe__memo_key key,
                                     size_t length)
{
    return m->length == length && m->key.low == key.low && m->key.high == key.high;
}

/* The code of a value of 1 to 16 bytes, given by its key, if the memo holds it; else -1. */
static inline int32_t lathe__memo_find(lathe__category_memo *memo, lathe__memo_key key,
                                       size_t length)
{
    const lathe__category_memo *m = lathe__memo_slot(memo, key, length);
    return lathe__memo_holds(m, key, length) ? m->id : -1;
}

#endif
