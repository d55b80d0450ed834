/*
 * number.h: exact text-to-number parsing for the readers (CSV, JSON, ARFF),
 * called once per cell.
 *
 * Text is a byte range, not a C string, so a reader can parse a cell in
 * place. The whole range must be the number: no surrounding spaces and no
 * trailing junk. Results do not depend on the locale. Nothing here allocates
 * or keeps state, so every function is safe to call from any thread.
 */
#ifndef LATHE_NUMBER_H
#define LATHE_NUMBER_H

#include <stddef.h>
#include <stdint.h>

typedef enum lathe__number_result {
    LATHE__NUMBER_OK,
    LATHE__NUMBER_INVALID,
    LATHE__NUMBER_RANGE
} lathe__number_result;

/*
 * Parses the whole of text[0..length) (no NUL needed, no surrounding spaces
 * allowed) as a decimal floating-point number: [+-]digits[.digits][(e|E)[+-]digits],
 * also ".5", "5.", and inf/infinity (case-insensitive, with sign). Not
 * accepted: hex, "nan" (the readers treat NaN as a missing token), the empty
 * string, spaces, trailing junk, "1e", "e5", ".", "-".
 *
 * *out is the correctly rounded double, bit for bit what glibc's strtod gives
 * for the same text (in the default rounding mode). Overflow returns
 * LATHE__NUMBER_RANGE with *out set to +-HUGE_VAL; underflow (1e-999) is OK
 * with 0 or a subnormal. On LATHE__NUMBER_INVALID *out is left as it was.
 * Text of any length is handled, without allocating.
 */
lathe__number_result lathe__parse_double(const char *text, size_t length, double *out);

/*
 * Strict integer parse of the whole of text[0..length): [+-]digits. Returns
 * LATHE__NUMBER_RANGE outside [INT64_MIN, INT64_MAX] (*out untouched) and
 * LATHE__NUMBER_INVALID for anything that is not an integer.
 */
lathe__number_result lathe__parse_int64(const char *text, size_t length, int64_t *out);

#endif
