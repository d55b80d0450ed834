/*
 * category_memo.h: the codes of a categorical column's short values, kept
 * by the values' bytes (internal).
 *
 * Most categorical cells are 1 to 8 bytes long. Finding one here costs a
 * multiply and a compare instead of a call into the column's dictionary.
 * The builder fills a memo as it interns early categories; the CSV reader
 * looks its number rows' categories up in the same memo, so that a known
 * category never becomes a cell at all (lathe__row_rest.hits).
 *
 * Pure inline functions over caller-owned memory; not thread-safe.
 */
#ifndef LATHE_DATA_CATEGORY_MEMO_H
#define LATHE_DATA_CATEGORY_MEMO_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define LATHE__MEMO_SLOTS 64 /* lathe__memo_slot takes the top 6 bits of a hash */
#define LATHE__MEMO_MAX_BYTES 8

/* One slot: a value's bytes (as lathe__memo_word packs them), its length and
 * its code. A slot with length 0 is empty. */
typedef struct lathe__category_memo {
    uint64_t word;
    uint32_t length;
    int32_t id;
} lathe__category_memo;

/*
 * The bytes of a value of 1 to 8 bytes in one word, first byte lowest and
 * zeros above the last, without reading past it: two overlapping 4-byte
 * reads, or under 4 bytes the first, middle and last byte, which are all
 * of them. With the length, the word is the value.
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

/* lathe__memo_word of a value of 1 to 8 bytes from the 8 bytes that start
 * it, for a caller that may read past its end. */
static inline uint64_t lathe__memo_word_of(uint64_t eight_bytes, size_t length)
{
    return eight_bytes & (UINT64_MAX >> (64 - 8 * length));
}

/* The slot of a value of 1 to 8 bytes: where it is, or where it would go. */
static inline lathe__category_memo *lathe__memo_slot(lathe__category_memo *memo, uint64_t word,
                                                     size_t length)
{
    return &memo[((word ^ length) * UINT64_C(0x9e3779b97f4a7c15)) >> 58];
}

/* The code of a value of 1 to 8 bytes, given as lathe__memo_word packs
 * them, if the memo holds it; else -1. */
static inline int32_t lathe__memo_find(lathe__category_memo *memo, uint64_t word, size_t length)
{
    const lathe__category_memo *m = lathe__memo_slot(memo, word, length);
    return m->length == length && m->word == word ? m->id : -1;
}

#endif
