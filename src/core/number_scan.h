/*
 * number_scan.h: the word-at-a-time (SWAR) digit arithmetic behind
 * number.c, and lathe__scan_number, the plain-decimal scanner that a
 * tokenizer's inner loop calls once per field.
 *
 * Everything here is static inline so that the scanner inlines into the
 * tokenizer's loop: a call per cell, with its register saves, costs about
 * as much as the scan. Eight digit bytes go into one 64-bit word and convert
 * without a branch per byte (as in fast_float), since random cell lengths
 * make a digit loop's exit a branch misprediction per cell.
 *
 * Pure functions of their input; safe from any thread.
 */
#ifndef LATHE_NUMBER_SCAN_H
#define LATHE_NUMBER_SCAN_H

#include <float.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Clinger's method needs each double operation rounded once, to double, not
 * to x87 extended precision first. */
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
#define LATHE__EXACT_DOUBLE_OPS 1
#else
#define LATHE__EXACT_DOUBLE_OPS 0
#endif

/* The word tricks assume the first byte of a word is its lowest. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LATHE__LITTLE_ENDIAN 1
#else
#define LATHE__LITTLE_ENDIAN 0
#endif

#define LATHE__MAX_FAST_DIGITS 19 /* 10^19 - 1 < 2^64: a mantissa cannot wrap */
#define LATHE__MAX_EXACT_MANTISSA (UINT64_C(1) << 53)
#define LATHE__MAX_EXACT_POW10 22 /* 5^22 < 2^53, so 10^22 is an exact double */

/* How many bytes lathe__scan_number may read, whatever it finds. */
#define LATHE__SCAN_NUMBER_BYTES 40

#define LATHE__EIGHT(byte) (UINT64_C(0x0101010101010101) * (byte))

static const double lathe__exact_pow10[LATHE__MAX_EXACT_POW10 + 1] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static const uint64_t lathe__int_pow10[16] = {
    UINT64_C(1),
    UINT64_C(10),
    UINT64_C(100),
    UINT64_C(1000),
    UINT64_C(10000),
    UINT64_C(100000),
    UINT64_C(1000000),
    UINT64_C(10000000),
    UINT64_C(100000000),
    UINT64_C(1000000000),
    UINT64_C(10000000000),
    UINT64_C(100000000000),
    UINT64_C(1000000000000),
    UINT64_C(10000000000000),
    UINT64_C(100000000000000),
    UINT64_C(1000000000000000),
};

/* For 1 to 8 bytes shifted to a word's top: the '0's that fill the bytes below them. */
static const uint64_t lathe__zero_fill[9] = {
    0,
    UINT64_C(0x0030303030303030),
    UINT64_C(0x0000303030303030),
    UINT64_C(0x0000003030303030),
    UINT64_C(0x0000000030303030),
    UINT64_C(0x0000000000303030),
    UINT64_C(0x0000000000003030),
    UINT64_C(0x0000000000000030),
    0,
};

/*
 * A byte flag (0x80) for each byte of the word that is not '0'-'9'. Only the
 * lowest flag is exact for any byte values: carries and borrows move towards
 * later bytes only, and the bytes below the first non-digit make none.
 */
static inline uint64_t lathe__non_digits(uint64_t word)
{
    return ((word + LATHE__EIGHT(0x46)) | (word - LATHE__EIGHT(0x30))) & LATHE__EIGHT(0x80);
}

/* True if all eight bytes are '0'-'9' (from fast_float). */
static inline bool lathe__all_digits(uint64_t word)
{
    return lathe__non_digits(word) == 0;
}

/* Eight digit characters, first byte most significant, as their value (fast_float). */
static inline uint32_t lathe__eight_digits_value(uint64_t word)
{
    const uint64_t mask = UINT64_C(0x000000FF000000FF);
    const uint64_t mul1 = UINT64_C(0x000F424000000064); /* 100 + (1000000 << 32) */
    const uint64_t mul2 = UINT64_C(0x0000271000000001); /* 1 + (10000 << 32) */
    word -= LATHE__EIGHT(0x30);
    word = word * 10 + (word >> 8);
    return (uint32_t)(((word & mask) * mul1 + ((word >> 16) & mask) * mul2) >> 32);
}

/*
 * The value of 1 to 8 bytes that are digits with at most one '.', given as
 * a word holding them first byte lowest (bytes past `length` are ignored),
 * without a branch per byte: the bytes go into the word's top behind
 * leading '0's, the point is cut out, and all eight digits convert at once.
 * At most 8 digits and 10^7, so the one division rounds once, exactly as
 * lathe__parse_double must. False for anything else.
 */
static inline bool lathe__short_decimal(uint64_t bytes, size_t length, double *value)
{
    uint64_t word = bytes << (8 * (8 - length)) | lathe__zero_fill[length];
    uint64_t flags = lathe__non_digits(word);
    if (flags == 0) { /* an integer, the commonest cell: no point to cut out */
        *value = (double)lathe__eight_digits_value(word);
        return true;
    }
    /* The first non-digit (the lowest flag, which is exact) may only be the
     * point, at byte k: the bytes below it move up one over it. */
    unsigned shift = (unsigned)__builtin_ctzll(flags) & 56; /* 8 k */
    uint64_t below = (UINT64_C(1) << shift) - 1;
    uint64_t digits = (word & below) << 8 | (word & ~below << 8) | '0';
    if ((uint8_t)(word >> shift) != '.' || !lathe__all_digits(digits) || length < 2)
        return false;
    *value = (double)lathe__eight_digits_value(digits) / lathe__exact_pow10[7 - shift / 8];
    return true;
}

/* The leading digits of the eight bytes at text: how many (0 to 8), and their value. */
static inline unsigned lathe__leading_digits(const char *text, uint64_t *value)
{
    uint64_t word;
    memcpy(&word, text, sizeof word);
    uint64_t flags = lathe__non_digits(word);
    unsigned n = flags ? (unsigned)__builtin_ctzll(flags) / 8 : 8;
    /* The digits move to the top bytes behind leading '0's; none is a shift
     * by 64, which C leaves undefined, so that case is masked instead. */
    unsigned shift = 8 * (8 - n) & 63;
    uint64_t digits = (word << shift | (LATHE__EIGHT('0') & ~(UINT64_MAX << shift)));
    *value = n ? lathe__eight_digits_value(digits) : 0;
    return n;
}

/* Up to 16 leading digits (two words); 16 means there may be more. */
static inline unsigned lathe__leading_digits16(const char *text, uint64_t *value)
{
    unsigned n = lathe__leading_digits(text, value);
    if (n < 8)
        return n;
    uint64_t low;
    unsigned more = lathe__leading_digits(text + 8, &low);
    *value = *value * lathe__int_pow10[more] + low;
    return 8 + more;
}

/* Sets the sign bit rather than negating, which would need a branch. */
static inline double lathe__with_sign(double value, uint64_t sign)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    bits |= sign;
    memcpy(&value, &bits, sizeof bits);
    return value;
}

/*
 * A tokenizer's fast path: recognizes the plain decimal that text starts
 * with, [+-]digits[.digits] or [+-].digits with at most 19 digits and a
 * mantissa of at most 2^53, and returns its length, with *out exactly what
 * lathe__parse_double gives for those bytes. Returns 0 (and leaves *out)
 * when text starts with anything else, or with a longer or finer number,
 * which the caller then hands to lathe__parse_double. The byte after the
 * number is not looked at: the caller decides whether the field ends there
 * ("12e5" scans as 2 bytes). Reads up to LATHE__SCAN_NUMBER_BYTES bytes from
 * text; the caller makes sure they are readable.
 */
static inline size_t lathe__scan_number(const char *text, double *out)
{
    if (!LATHE__LITTLE_ENDIAN || !LATHE__EXACT_DOUBLE_OPS)
        return 0;
    const char *p = text;
    uint64_t sign = 0;
    if (*p == '-' || *p == '+') {
        sign = (uint64_t)(*p == '-') << 63;
        p++;
    }
    uint64_t integer, fraction = 0;
    unsigned n_integer = lathe__leading_digits16(p, &integer), n_fraction = 0;
    p += n_integer;
    if (*p == '.') {
        n_fraction = lathe__leading_digits16(p + 1, &fraction);
        p += 1 + n_fraction;
    }
    /* A run of 16 may go on; past 19 digits in all the mantissa could wrap. */
    unsigned n_digits = n_integer + n_fraction;
    if (n_digits == 0 || n_integer == 16 || n_fraction == 16 || n_digits > LATHE__MAX_FAST_DIGITS)
        return 0;
    uint64_t mantissa = integer * lathe__int_pow10[n_fraction] + fraction;
    if (mantissa > LATHE__MAX_EXACT_MANTISSA)
        return 0;
    /* Exact mantissa (converted as int64_t: one instruction), exact power of
     * ten, one rounding: Clinger's fast path, the same double
     * lathe__parse_double computes. Integers skip the division, as above. */
    double value = (double)(int64_t)mantissa;
    if (n_fraction)
        value /= lathe__exact_pow10[n_fraction];
    *out = lathe__with_sign(value, sign);
    return (size_t)(p - text);
}

/*
 * The tokenizer's fast path for a field whose extent it knows: true, with
 * *out exactly what lathe__parse_double gives for text[0..length), when
 * the field is a plain decimal of at most 19 digits that converts without
 * strtod; false otherwise, and then lathe__parse_double decides. Up to 8
 * bytes after the sign take lathe__short_decimal, longer ones
 * lathe__scan_number. Reads up to LATHE__SCAN_NUMBER_BYTES bytes from text
 * whatever the length; the caller makes sure they are readable.
 */
static inline __attribute__((always_inline)) bool lathe__field_number(const char *text,
                                                                      size_t length, double *out)
{
    if (!LATHE__LITTLE_ENDIAN || !LATHE__EXACT_DOUBLE_OPS || length == 0)
        return false;
    size_t signed_ = (*text == '-') | (*text == '+');
    uint64_t sign = (uint64_t)(*text == '-') << 63;
    size_t body = length - signed_;
    if (body - 1 >= 8)
        return lathe__scan_number(text, out) == length;
    uint64_t bytes;
    double value;
    memcpy(&bytes, text + signed_, sizeof bytes);
    if (!lathe__short_decimal(bytes, body, &value))
        return false;
    *out = lathe__with_sign(value, sign);
    return true;
}

#endif
