/*
 * fuzz_number.c: libFuzzer target for the number parsers. The input is the
 * text of one cell. lathe__parse_double must agree with glibc's strtod on a
 * NUL-terminated copy, bit for bit, wherever the text is in its grammar
 * ([+-]digits[.digits][(e|E)[+-]digits], or inf/infinity), and reject
 * everything else; the tokenizer's fast paths (lathe__field_number,
 * lathe__scan_number) must never disagree with it; lathe__parse_int64 must
 * agree with strtoll. Any mismatch aborts.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/number.h"
#include "core/number_scan.h"

#define MAX_TEXT 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static void mismatch(const char *what, const char *text, size_t length, double got, double want)
{
    fprintf(stderr, "fuzz_number: %s on \"%.*s\": %.17g, expected %.17g\n", what, (int)length, text,
            got, want);
    abort();
}

static size_t digits(const char *p, const char *end)
{
    const char *start = p;
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    return (size_t)(p - start);
}

/* True if text[0..length) is in lathe__parse_double's grammar (number.h). */
static bool in_grammar(const char *text, size_t length, bool *infinity)
{
    const char *p = text, *end = text + length;
    if (p < end && (*p == '-' || *p == '+'))
        p++;
    size_t rest = (size_t)(end - p);
    *infinity = (rest == 3 && strncasecmp(p, "inf", 3) == 0) ||
                (rest == 8 && strncasecmp(p, "infinity", 8) == 0);
    if (*infinity)
        return true;
    size_t n = digits(p, end);
    p += n;
    if (p < end && *p == '.') {
        size_t fraction = digits(p + 1, end);
        p += 1 + fraction;
        n += fraction;
    }
    if (n == 0)
        return false;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '-' || *p == '+'))
            p++;
        size_t exponent = digits(p, end);
        if (exponent == 0)
            return false;
        p += exponent;
    }
    return p == end;
}

static void check_double(const char *text, size_t length)
{
    bool infinity;
    bool valid = in_grammar(text, length, &infinity);
    double got = 0;
    lathe__number_result result = lathe__parse_double(text, length, &got);
    if (!valid) {
        if (result != LATHE__NUMBER_INVALID)
            mismatch("accepted text outside the grammar", text, length, got, 0);
        return;
    }
    errno = 0;
    double want = strtod(text, NULL); /* text is NUL-terminated */
    lathe__number_result expected =
        isinf(want) && !infinity ? LATHE__NUMBER_RANGE : LATHE__NUMBER_OK;
    if (result != expected || !same_bits(got, want))
        mismatch("parse_double differs from strtod", text, length, got, want);
}

/* The fast paths read past the field, so they get a copy with room behind it. */
static void check_fast_paths(const char *text, size_t length)
{
    static char padded[MAX_TEXT + LATHE__SCAN_NUMBER_BYTES];
    memcpy(padded, text, length);
    memset(padded + length, length % 2 ? '9' : ',', LATHE__SCAN_NUMBER_BYTES);
    double fast, slow;
    if (lathe__field_number(padded, length, &fast) &&
        (lathe__parse_double(text, length, &slow) != LATHE__NUMBER_OK || !same_bits(fast, slow)))
        mismatch("field_number differs from parse_double", text, length, fast, slow);
    size_t n = lathe__scan_number(padded, &fast);
    if (n > 0 &&
        (n > length + LATHE__SCAN_NUMBER_BYTES ||
         lathe__parse_double(padded, n, &slow) != LATHE__NUMBER_OK || !same_bits(fast, slow)))
        mismatch("scan_number differs from parse_double", padded, n, fast, slow);
}

static void check_int64(const char *text, size_t length)
{
    int64_t got = 0;
    lathe__number_result result = lathe__parse_int64(text, length, &got);
    char *end;
    errno = 0;
    long long want = strtoll(text, &end, 10);
    bool whole = length > 0 && end == text + length && text[0] != ' ' &&
                 !(text[0] >= '\t' && text[0] <= '\r');
    lathe__number_result expected = !whole            ? LATHE__NUMBER_INVALID
                                    : errno == ERANGE ? LATHE__NUMBER_RANGE
                                                      : LATHE__NUMBER_OK;
    if (result != expected || (result == LATHE__NUMBER_OK && got != want))
        mismatch("parse_int64 differs from strtoll", text, length, (double)got, (double)want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char text[MAX_TEXT + 1];
    if (size > MAX_TEXT)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    /* strtod stops at a NUL, and the grammar has none, so both reject such text. */
    check_double(text, size);
    check_fast_paths(text, size);
    check_int64(text, size);
    return 0;
}
