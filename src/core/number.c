/*
 * number.c: decimal text to double and int64, exact and fast.
 *
 * Cells of at most 8 bytes that are digits with at most one '.' (most cells:
 * "0", "255", "0.64", "1135.2") go into one 64-bit word and convert without a
 * branch per byte (SWAR, as in fast_float), since random cell lengths make a
 * digit loop's exit a branch misprediction per cell. The word arithmetic is
 * in number_scan.h, shared with lathe__scan_number, the tokenizers' scanner.
 *
 * Otherwise the text is read once, validated, and its digits gathered into a
 * 64-bit mantissa and a decimal exponent. When the mantissa has at most 19
 * digits and both it and 10^|exponent| are exact doubles
 * (mantissa <= 2^53, |exponent| <= 22), one IEEE multiply or divide rounds
 * once and so gives the correctly rounded result (Clinger 1990). That covers
 * nearly every other cell of real data.
 *
 * Everything else is rewritten on the stack into a canonical form,
 * "-DDDDe-12", and handed to strtod, which is exact. The form keeps at most
 * MAX_SIGNIFICANT digits plus a sticky '1' standing for any nonzero digits
 * dropped: every double and every midpoint between two doubles has at most
 * 767 significant digits, so beyond that only "is anything left nonzero"
 * can change the rounding. This bounds the buffer for text of any length
 * without allocating, and since the form has no decimal point strtod's
 * locale never matters.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/number.h"
#include "core/number_scan.h"

#include "core/banned.h"

#define MAX_SIGNIFICANT 800
#define EXPONENT_CAP INT64_C(1000000000000000) /* saturate; far past any finite result */
#define PRINTED_EXPONENT_CAP 99999             /* already inf or 0 for any 801 digits */

static inline unsigned digit_value(char c)
{
    return (unsigned)(unsigned char)c - '0'; /* > 9 for anything but a digit */
}

/* text[0..length), 1 to 8 bytes, as a word with the first byte lowest, never
 * reading past the end: two overlapping 4-byte loads, or three single bytes. */
static inline uint64_t load_short(const char *text, size_t length)
{
    if (length >= 4) {
        uint32_t head, tail;
        memcpy(&head, text, 4);
        memcpy(&tail, text + length - 4, 4);
        return head | (uint64_t)tail << (8 * (length - 4));
    }
    uint64_t first = (unsigned char)text[0];
    uint64_t middle = (unsigned char)text[length / 2];
    uint64_t last = (unsigned char)text[length - 1];
    return first | middle << (8 * (length / 2)) | last << (8 * (length - 1));
}

/* Text of 1 to 8 bytes that is digits with at most one '.', as in most cells. */
static inline bool parse_short(const char *text, size_t length, double *value)
{
    return lathe__short_decimal(load_short(text, length), length, value);
}

/* "inf" or "infinity" in any case; c | 0x20 lowercases letters and maps no
 * other byte onto these letters. */
static bool is_infinity(const char *text, size_t length)
{
    static const char word[] = "infinity";
    if (length != 3 && length != 8)
        return false;
    for (size_t i = 0; i < length; i++)
        if ((text[i] | 0x20) != word[i])
            return false;
    return true;
}

/* The digits of a number with the decimal point taken out. */
typedef struct digit_run {
    const char *integer; /* digits before the point */
    size_t n_integer;
    const char *fraction; /* digits after it */
    size_t n_fraction;
} digit_run;

static char digit_at(const digit_run *run, size_t k)
{
    return k < run->n_integer ? run->integer[k] : run->fraction[k - run->n_integer];
}

/* Reads an exponent's digits, saturating far past any finite result. */
static const char *read_exponent(const char *p, const char *end, int64_t *exponent)
{
    bool negative = false;
    if (p != end && (*p == '-' || *p == '+')) {
        negative = *p == '-';
        p++;
    }
    int64_t value = 0;
    unsigned d;
    while (p != end && (d = digit_value(*p)) <= 9) {
        if (value < EXPONENT_CAP)
            value = value * 10 + d;
        p++;
    }
    *exponent = negative ? -value : value;
    return p;
}

/*
 * The exact path, for text already found valid and not infinity: reads it
 * again as digits * 10^exponent, builds the canonical form described at the
 * top and calls strtod.
 */
static lathe__number_result parse_slow(const char *text, size_t length, double *out)
{
    const char *p = text;
    const char *end = text + length;
    bool negative = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    digit_run run = {p, 0, p, 0};
    while (p != end && digit_value(*p) <= 9)
        p++;
    run.n_integer = (size_t)(p - run.integer);
    if (p != end && *p == '.') {
        run.fraction = ++p;
        while (p != end && digit_value(*p) <= 9)
            p++;
        run.n_fraction = (size_t)(p - run.fraction);
    }
    int64_t exponent = 0;
    if (p != end)
        read_exponent(p + 1, end, &exponent);
    exponent -= (int64_t)run.n_fraction;

    char buf[1 + MAX_SIGNIFICANT + 1 + 8 + 1]; /* sign, digits, sticky, "e-99999", NUL */
    size_t n_total = run.n_integer + run.n_fraction;
    size_t k = 0;
    while (k < n_total && digit_at(&run, k) == '0')
        k++;
    if (k == n_total) {
        *out = negative ? -0.0 : 0.0;
        return LATHE__NUMBER_OK;
    }

    size_t pos = 0;
    if (negative)
        buf[pos++] = '-';
    size_t kept_end = n_total - k > MAX_SIGNIFICANT ? k + MAX_SIGNIFICANT : n_total;
    for (; k < kept_end; k++)
        buf[pos++] = digit_at(&run, k);
    /* Each digit dropped from the right of the integer multiplies by ten. */
    int64_t scale = exponent + (int64_t)(n_total - kept_end);
    for (; k < n_total; k++) {
        if (digit_at(&run, k) != '0') {
            buf[pos++] = '1';
            scale--;
            break;
        }
    }
    if (scale > PRINTED_EXPONENT_CAP)
        scale = PRINTED_EXPONENT_CAP;
    if (scale < -PRINTED_EXPONENT_CAP)
        scale = -PRINTED_EXPONENT_CAP;
    buf[pos++] = 'e';
    if (scale < 0) {
        buf[pos++] = '-';
        scale = -scale;
    }
    char reversed[8];
    size_t n_exponent_digits = 0;
    do {
        reversed[n_exponent_digits++] = (char)('0' + scale % 10);
        scale /= 10;
    } while (scale > 0);
    while (n_exponent_digits > 0)
        buf[pos++] = reversed[--n_exponent_digits];
    buf[pos] = '\0';

    int saved_errno = errno; /* strtod's ERANGE is reported through the result instead */
    double value = strtod(buf, NULL);
    errno = saved_errno;
    *out = value;
    return isinf(value) ? LATHE__NUMBER_RANGE : LATHE__NUMBER_OK;
}

static inline lathe__number_result finish(double value, uint64_t sign, double *out)
{
    *out = lathe__with_sign(value, sign);
    return LATHE__NUMBER_OK;
}

lathe__number_result lathe__parse_double(const char *text, size_t length, double *out)
{
    const char *p = text;
    const char *end = text + length;
    uint64_t sign = 0;
    if (p != end && (*p == '-' || *p == '+')) {
        sign = (uint64_t)(*p == '-') << 63;
        p++;
    }

    double value;
    if (LATHE__LITTLE_ENDIAN && LATHE__EXACT_DOUBLE_OPS && (size_t)(end - p) - 1 < 8 &&
        parse_short(p, (size_t)(end - p), &value))
        return finish(value, sign, out);

    const char *digits = p;
    uint64_t mantissa = 0; /* wraps past 19 digits; only trusted up to that */
    unsigned d;
    while (p != end && (d = digit_value(*p)) <= 9) {
        mantissa = mantissa * 10 + d;
        p++;
    }
    size_t n_digits = (size_t)(p - digits);
    /* Integers first: the commonest cell, and up to 18 digits fit int64_t,
     * whose conversion is a single instruction. */
    if (p == end && n_digits - 1 < 18)
        return finish((double)(int64_t)mantissa, sign, out);

    int64_t exponent = 0;
    if (p != end && *p == '.') {
        const char *fraction = ++p;
        while (p != end && (d = digit_value(*p)) <= 9) {
            mantissa = mantissa * 10 + d;
            p++;
        }
        exponent = fraction - p;
        n_digits += (size_t)(p - fraction);
    }
    if (n_digits == 0) {
        if (p != digits || !is_infinity(p, (size_t)(end - p)))
            return LATHE__NUMBER_INVALID;
        return finish(HUGE_VAL, sign, out);
    }
    if (p != end) {
        if ((*p | 0x20) != 'e')
            return LATHE__NUMBER_INVALID;
        const char *exponent_digits = p + 1;
        if (exponent_digits != end && (*exponent_digits == '-' || *exponent_digits == '+'))
            exponent_digits++;
        int64_t written;
        p = read_exponent(p + 1, end, &written);
        if (p == exponent_digits || p != end)
            return LATHE__NUMBER_INVALID;
        exponent += written;
    }

    if (n_digits > LATHE__MAX_FAST_DIGITS)
        return parse_slow(text, length, out);
    if (exponent == 0 || mantissa == 0) {
        value = (double)mantissa; /* one correctly rounded conversion */
    } else if (!LATHE__EXACT_DOUBLE_OPS || mantissa > LATHE__MAX_EXACT_MANTISSA) {
        return parse_slow(text, length, out);
    } else if (exponent < 0 && exponent >= -LATHE__MAX_EXACT_POW10) {
        value = (double)mantissa / lathe__exact_pow10[-exponent];
    } else if (exponent > 0 && exponent <= LATHE__MAX_EXACT_POW10) {
        value = (double)mantissa * lathe__exact_pow10[exponent];
    } else if (exponent > LATHE__MAX_EXACT_POW10 && exponent <= LATHE__MAX_EXACT_POW10 + 15 &&
               mantissa <= LATHE__MAX_EXACT_MANTISSA /
                               lathe__int_pow10[exponent - LATHE__MAX_EXACT_POW10]) {
        value = (double)(mantissa * lathe__int_pow10[exponent - LATHE__MAX_EXACT_POW10]) *
                lathe__exact_pow10[LATHE__MAX_EXACT_POW10];
    } else {
        return parse_slow(text, length, out);
    }
    return finish(value, sign, out);
}

lathe__number_result lathe__parse_int64(const char *text, size_t length, int64_t *out)
{
    const char *p = text;
    const char *end = text + length;
    bool negative = false;
    if (p != end && (*p == '-' || *p == '+')) {
        negative = *p == '-';
        p++;
    }
    size_t n_digits = (size_t)(end - p);
    if (n_digits == 0)
        return LATHE__NUMBER_INVALID;
    if (LATHE__LITTLE_ENDIAN && n_digits <= 8) {
        unsigned shift = 8 * (unsigned)(8 - n_digits);
        uint64_t word =
            load_short(p, n_digits) << shift | (LATHE__EIGHT('0') & ~(UINT64_MAX << shift));
        if (!lathe__all_digits(word))
            return LATHE__NUMBER_INVALID;
        int64_t value = (int64_t)lathe__eight_digits_value(word);
        *out = negative ? -value : value;
        return LATHE__NUMBER_OK;
    }

    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t value = 0;
    bool overflow = false; /* keep reading: junk after the overflow is INVALID, not RANGE */
    for (; p != end; p++) {
        unsigned d = digit_value(*p);
        if (d > 9)
            return LATHE__NUMBER_INVALID;
        if (value > (limit - d) / 10)
            overflow = true;
        else
            value = value * 10 + d;
    }
    if (overflow)
        return LATHE__NUMBER_RANGE;
    /* -(value - 1) - 1 reaches INT64_MIN without overflowing int64_t. */
    *out = !negative ? (int64_t)value : value == 0 ? 0 : -(int64_t)(value - 1) - 1;
    return LATHE__NUMBER_OK;
}
