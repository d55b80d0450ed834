/*
 * test_number.c: lathe__parse_double against glibc's strtod, bit for bit, on
 * hand-picked edge cases and a million seeded random strings; and
 * lathe__parse_int64 at its limits.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/number.h"
#include "core/number_scan.h"
#include "harness.h"

static uint64_t bits_of(double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

static lathe__number_result parse(const char *text, double *out)
{
    return lathe__parse_double(text, strlen(text), out);
}

/* What lathe__parse_double should say for text that strtod takes whole. */
static lathe__number_result strtod_expect(const char *text, double *out)
{
    errno = 0;
    *out = strtod(text, NULL);
    return errno == ERANGE && isinf(*out) ? LATHE__NUMBER_RANGE : LATHE__NUMBER_OK;
}

/* Empty when text parses exactly as strtod parses it, else a description. */
static bool matches_strtod(const char *text, char *why, size_t why_size)
{
    double expected, got = 12345.0;
    lathe__number_result want = strtod_expect(text, &expected);
    lathe__number_result result = parse(text, &got);
    if (result != want || bits_of(got) != bits_of(expected)) {
        snprintf(why, why_size,
                 "\"%.200s\": result %d value %.17g (%016llx), strtod %d %.17g (%016llx)", text,
                 (int)result, got, (unsigned long long)bits_of(got), (int)want, expected,
                 (unsigned long long)bits_of(expected));
        return false;
    }
    return true;
}

TEST(double_simple_values)
{
    double value;
    CHECK_EQ(parse("0", &value), LATHE__NUMBER_OK);
    CHECK(value == 0.0 && !signbit(value));
    CHECK_EQ(parse("-0", &value), LATHE__NUMBER_OK);
    CHECK(value == 0.0 && signbit(value));
    CHECK_EQ(parse("-0.0e5", &value), LATHE__NUMBER_OK);
    CHECK(value == 0.0 && signbit(value));
    CHECK_EQ(parse("255", &value), LATHE__NUMBER_OK);
    CHECK(value == 255.0);
    CHECK_EQ(parse("0.64", &value), LATHE__NUMBER_OK);
    CHECK(value == 0.64);
    CHECK_EQ(parse("1135.2", &value), LATHE__NUMBER_OK);
    CHECK(value == 1135.2);
    CHECK_EQ(parse("+3.756", &value), LATHE__NUMBER_OK);
    CHECK(value == 3.756);
    CHECK_EQ(parse("1.", &value), LATHE__NUMBER_OK);
    CHECK(value == 1.0);
    CHECK_EQ(parse(".5", &value), LATHE__NUMBER_OK);
    CHECK(value == 0.5);
    CHECK_EQ(parse("-.5E-1", &value), LATHE__NUMBER_OK);
    CHECK(value == -0.05);
    CHECK_EQ(parse("1e0005", &value), LATHE__NUMBER_OK);
    CHECK(value == 1e5);
}

TEST(double_infinity)
{
    double value;
    CHECK_EQ(parse("inf", &value), LATHE__NUMBER_OK);
    CHECK(isinf(value) && value > 0);
    CHECK_EQ(parse("-Infinity", &value), LATHE__NUMBER_OK);
    CHECK(isinf(value) && value < 0);
    CHECK_EQ(parse("+INF", &value), LATHE__NUMBER_OK);
    CHECK(isinf(value) && value > 0);
    CHECK_EQ(parse("iNfInItY", &value), LATHE__NUMBER_OK);
    CHECK(isinf(value) && value > 0);
    CHECK_EQ(parse("infinit", &value), LATHE__NUMBER_INVALID);
    CHECK_EQ(parse("infinityy", &value), LATHE__NUMBER_INVALID);
    CHECK_EQ(parse("in", &value), LATHE__NUMBER_INVALID);
    CHECK_EQ(parse("-inf5", &value), LATHE__NUMBER_INVALID);
}

TEST(double_invalid)
{
    static const char *const bad[] = {
        "",      "-",   "+",  ".",     "-.",    "1e",  "1e+", "1e-",      "e5",   "E5",    ".e5",
        "1.2.3", " 1",  "1 ", "0x10",  "0X1p3", "nan", "NaN", "-nan",     "1,5",  "1e5.5", "1..2",
        "--1",   "+-1", "1-", "1e5e5", "1d5",   "\t1", "1\n", "\xd9\xa1", "1e 5", "5f",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        double value = 42.0;
        lathe__number_result result = parse(bad[i], &value);
        CHECK_MSG(result == LATHE__NUMBER_INVALID, "\"%s\" gave %d", bad[i], (int)result);
        CHECK_MSG(value == 42.0, "\"%s\" changed the output", bad[i]);
    }
}

TEST(double_uses_length_not_nul)
{
    double value;
    CHECK_EQ(lathe__parse_double("12345", 3, &value), LATHE__NUMBER_OK);
    CHECK(value == 123.0);
    CHECK_EQ(lathe__parse_double("1.5,2.5", 3, &value), LATHE__NUMBER_OK);
    CHECK(value == 1.5);
    CHECK_EQ(lathe__parse_double("1\0"
                                 "5",
                                 3, &value),
             LATHE__NUMBER_INVALID);
    /* Long text not NUL-terminated, which takes the strtod path. */
    char digits[64];
    memset(digits, '7', sizeof digits);
    CHECK_EQ(lathe__parse_double(digits, sizeof digits, &value), LATHE__NUMBER_OK);
    CHECK(value == 7.777777777777777e63);
}

TEST(double_edges_match_strtod)
{
    static const char *const edges[] = {
        "9007199254740992", /* 2^53 */
        "9007199254740993", /* 2^53 + 1, halfway: rounds to even */
        "9007199254740995",
        "9007199254740993.0000000000000000001",
        "18446744073709551615",
        "18446744073709551616",
        "9999999999999999999",
        "99999999999999999999",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "1.797693134862315807e308",
        "2.2250738585072014e-308",
        "2.2250738585072011e-308",
        "4.9e-324",
        "2.4703282292062328e-324", /* just above half the smallest subnormal */
        "2.4703282292062327e-324", /* just below: rounds to 0 */
        "1e-400",
        "1e-999",
        "0.1",
        "0.3",
        "123456789012345678e-10",
        "1e22",
        "1e23",
        "9007199254740992e22",
        "9007199254740993e-22",
        "123e30",
        "123e37",
        "1e308",
        "0.000000000000000000000000000000000001",
        "1000000000000000000000000000000000000",
        "0e999999999999999999999",
        "1e-99999999999999999999999",
        "3.14159265358979323846264338327950288419716939937510582097494459",
        "0.0000000000000000000000000000000000000000000000000000000000000000000001e70",
    };
    char why[512];
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++)
        CHECK_MSG(matches_strtod(edges[i], why, sizeof why), "%s", why);
}

TEST(double_range)
{
    double value;
    CHECK_EQ(parse("1.8e308", &value), LATHE__NUMBER_RANGE);
    CHECK(isinf(value) && value > 0);
    CHECK_EQ(parse("-1e999", &value), LATHE__NUMBER_RANGE);
    CHECK(isinf(value) && value < 0);
    CHECK_EQ(parse("1e99999999999999999999", &value), LATHE__NUMBER_RANGE);
    CHECK_EQ(parse("1e-400", &value), LATHE__NUMBER_OK);
    CHECK(value == 0.0 && !signbit(value));
    CHECK_EQ(parse("-1e-400", &value), LATHE__NUMBER_OK);
    CHECK(value == 0.0 && signbit(value));
    CHECK_EQ(parse("4.9e-324", &value), LATHE__NUMBER_OK);
    CHECK(value == 4.9e-324 && value > 0);
    CHECK_EQ(parse("1.7976931348623157e308", &value), LATHE__NUMBER_OK);
    CHECK(value == DBL_MAX);
}

/* Digits far past the 800 kept, where only their being nonzero matters. */
TEST(double_long_text)
{
    enum { LONG = 3000 };
    char *text = malloc(LONG + 64);
    CHECK(text != NULL);
    char why[512] = "parsed to the wrong value";
    bool ok = true;

    /* 2^53 + 1 is halfway between two doubles: with zeros after the point it
     * goes to even, with a 1 far out it goes up. */
    size_t n = (size_t)snprintf(text, 64, "9007199254740993.");
    memset(text + n, '0', LONG - n);
    text[LONG] = '\0';
    double value;
    ok = ok && matches_strtod(text, why, sizeof why);
    ok = ok && parse(text, &value) == LATHE__NUMBER_OK && value == 9007199254740992.0;
    text[LONG - 1] = '1';
    ok = ok && matches_strtod(text, why, sizeof why);
    ok = ok && parse(text, &value) == LATHE__NUMBER_OK && value == 9007199254740994.0;
    CHECK_MSG(ok, "%s", why);

    /* Many leading zeros before and after the point. */
    memset(text, '0', LONG);
    text[LONG / 2] = '.';
    memcpy(text + LONG - 4, "123", 4);
    CHECK_MSG(matches_strtod(text, why, sizeof why), "%s", why);
    text[LONG - 4] = '\0';
    CHECK_MSG(matches_strtod(text, why, sizeof why), "%s", why);
    free(text);
}

#if LDBL_MANT_DIG >= 64 && LDBL_MAX_EXP > DBL_MAX_EXP
/* The exact decimal expansion of a midpoint between two subnormals (751
 * significant digits), which long double holds exactly: exact ties go to even,
 * anything past them, however far out, goes up. */
TEST(double_exact_midpoints)
{
    enum { SIZE = 4000 };
    char *text = malloc(SIZE);
    CHECK(text != NULL);
    char why[512] = "parsed to the wrong value";
    bool ok = true;
    static const long double odd_multiples[] = {1, 3, 12345, 4503599627370495.0L};
    for (size_t i = 0; i < sizeof odd_multiples / sizeof *odd_multiples && ok; i++) {
        long double midpoint = odd_multiples[i] * ldexpl(1.0L, -1075);
        snprintf(text, SIZE, "%.1200Lf", midpoint);
        size_t n = strlen(text);
        while (text[n - 1] == '0')
            n--;
        text[n] = '\0';
        ok = matches_strtod(text, why, sizeof why);
        memset(text + n, '0', 1500);
        text[n + 1500] = '1';
        text[n + 1501] = '\0';
        ok = ok && matches_strtod(text, why, sizeof why);
    }
    free(text);
    CHECK_MSG(ok, "%s", why);
}
#endif

static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15)); /* splitmix64 */
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static unsigned below(uint64_t *state, unsigned n)
{
    return (unsigned)(next_random(state) % n);
}

/* A random valid number: sign, 1-25 digits (maybe leading zeros), a point
 * anywhere or nowhere, maybe an exponent in -330..330. */
static void random_number(uint64_t *state, char *buf)
{
    size_t n = 0;
    unsigned sign = below(state, 4);
    if (sign == 0)
        buf[n++] = '-';
    else if (sign == 1)
        buf[n++] = '+';
    unsigned n_digits = 1 + below(state, 25);
    unsigned n_leading_zeros = below(state, 3) == 0 ? below(state, n_digits + 1) : 0;
    int point = below(state, 3) == 0 ? -1 : (int)below(state, n_digits + 1);
    for (unsigned i = 0; i < n_digits; i++) {
        if ((int)i == point)
            buf[n++] = '.';
        buf[n++] = i < n_leading_zeros ? '0' : (char)('0' + below(state, 10));
    }
    if ((int)n_digits == point)
        buf[n++] = '.';
    if (below(state, 2) == 0) {
        buf[n++] = below(state, 2) ? 'e' : 'E';
        int exponent = (int)below(state, 661) - 330;
        if (below(state, 8) == 0)
            exponent = (int)below(state, 45) - 22; /* the fast path's range */
        const char *exponent_sign = exponent < 0 ? "-" : below(state, 2) ? "+" : "";
        const char *padding = below(state, 10) == 0 ? "00" : "";
        n += (size_t)snprintf(buf + n, 16, "%s%s%d", exponent_sign, padding, abs(exponent));
    }
    buf[n] = '\0';
}

/* Numbers like the benchmark files': "0", "255", "0.64", "3.756", "1135.2". */
static void random_short_number(uint64_t *state, char *buf)
{
    unsigned integer = below(state, 2) ? below(state, 256) : below(state, 100000);
    unsigned n_fraction = below(state, 5);
    int n = snprintf(buf, 32, "%s%u", below(state, 4) == 0 ? "-" : "", integer);
    if (n_fraction > 0) {
        buf[n++] = '.';
        for (unsigned i = 0; i < n_fraction; i++)
            buf[n++] = (char)('0' + below(state, 10));
        buf[n] = '\0';
    }
}

TEST(double_random_match_strtod)
{
    uint64_t state = 20240611;
    char buf[64], why[512];
    for (int i = 0; i < 1000000; i++) {
        random_number(&state, buf);
        CHECK_MSG(matches_strtod(buf, why, sizeof why), "case %d: %s", i, why);
    }
    for (int i = 0; i < 200000; i++) {
        random_short_number(&state, buf);
        CHECK_MSG(matches_strtod(buf, why, sizeof why), "short case %d: %s", i, why);
    }
}

/* Round trips of random doubles through "%.17g", the way files written by
 * other tools hold full-precision values. */
TEST(double_random_round_trip)
{
    uint64_t state = 7;
    char buf[64], why[512];
    for (int i = 0; i < 100000; i++) {
        uint64_t bits = next_random(&state);
        double value;
        memcpy(&value, &bits, sizeof value);
        if (isnan(value))
            continue;
        snprintf(buf, sizeof buf, i % 2 ? "%.17g" : "%.15g", value);
        CHECK_MSG(matches_strtod(buf, why, sizeof why), "case %d: %s", i, why);
    }
}

/* strtod's verdict on text made only of the bytes in random_junk's alphabet
 * (no letters but e/E/x, so no nan or inf): valid when it takes the whole
 * text, the text does not start with a space, which strtod skips, and is not
 * hex, which strtod reads. */
static lathe__number_result strtod_verdict(const char *text, size_t length, double *value)
{
    char *end;
    errno = 0;
    *value = strtod(text, &end);
    if (length == 0 || text[0] == ' ' || end != text + length || memchr(text, 'x', length))
        return LATHE__NUMBER_INVALID;
    return errno == ERANGE && isinf(*value) ? LATHE__NUMBER_RANGE : LATHE__NUMBER_OK;
}

/* 1-12 bytes from digits, signs, points, exponent letters and a few bytes
 * that are none of these: the shapes the word-at-a-time short path must
 * reject or accept exactly like the byte-at-a-time reading. */
static size_t random_junk(uint64_t *state, char *buf)
{
    static const char alphabet[] = "0123456789000999..--++eE /:x\x80\xff";
    size_t length = 1 + below(state, 12);
    for (size_t i = 0; i < length; i++)
        buf[i] = alphabet[below(state, sizeof alphabet - 1)];
    buf[length] = '\0';
    return length;
}

TEST(double_random_junk_match_strtod)
{
    uint64_t state = 31337;
    char buf[16];
    for (int i = 0; i < 500000; i++) {
        size_t length = random_junk(&state, buf);
        double expected, got = 0;
        lathe__number_result want = strtod_verdict(buf, length, &expected);
        lathe__number_result result = lathe__parse_double(buf, length, &got);
        CHECK_MSG(result == want &&
                      (want == LATHE__NUMBER_INVALID || bits_of(got) == bits_of(expected)),
                  "\"%s\": %d %.17g, strtod %d %.17g", buf, (int)result, got, (int)want, expected);
    }
}

TEST(int64_random_junk_match_strtoll)
{
    uint64_t state = 4242;
    char buf[32];
    for (int i = 0; i < 300000; i++) {
        size_t length = random_junk(&state, buf);
        if (below(&state, 4) == 0) /* long digit runs too, for the overflow checks */
            length = (size_t)snprintf(buf, sizeof buf, "%s%llu%llu", below(&state, 2) ? "-" : "",
                                      (unsigned long long)next_random(&state) >> below(&state, 64),
                                      (unsigned long long)below(&state, 100));
        char *end;
        errno = 0;
        long long expected = strtoll(buf, &end, 10);
        bool whole = end == buf + length && buf[0] != ' ' && buf[0] != '\0';
        lathe__number_result want = !whole            ? LATHE__NUMBER_INVALID
                                    : errno == ERANGE ? LATHE__NUMBER_RANGE
                                                      : LATHE__NUMBER_OK;
        int64_t got = 12345;
        lathe__number_result result = lathe__parse_int64(buf, length, &got);
        CHECK_MSG(result == want && (want != LATHE__NUMBER_OK || got == expected),
                  "\"%s\": %d %lld, strtoll %d %lld", buf, (int)result, (long long)got, (int)want,
                  expected);
    }
}

TEST(int64_values)
{
    int64_t value;
    CHECK_EQ(lathe__parse_int64("0", 1, &value), LATHE__NUMBER_OK);
    CHECK_EQ(value, 0);
    CHECK_EQ(lathe__parse_int64("-0", 2, &value), LATHE__NUMBER_OK);
    CHECK_EQ(value, 0);
    CHECK_EQ(lathe__parse_int64("+255", 4, &value), LATHE__NUMBER_OK);
    CHECK_EQ(value, 255);
    CHECK_EQ(lathe__parse_int64("-42", 3, &value), LATHE__NUMBER_OK);
    CHECK_EQ(value, -42);
    CHECK_EQ(lathe__parse_int64("007", 3, &value), LATHE__NUMBER_OK);
    CHECK_EQ(value, 7);
    CHECK_EQ(lathe__parse_int64("9223372036854775807", 19, &value), LATHE__NUMBER_OK);
    CHECK(value == INT64_MAX);
    CHECK_EQ(lathe__parse_int64("-9223372036854775808", 20, &value), LATHE__NUMBER_OK);
    CHECK(value == INT64_MIN);
    CHECK_EQ(lathe__parse_int64("000000000000000000000000009223372036854775807", 45, &value),
             LATHE__NUMBER_OK);
    CHECK(value == INT64_MAX);
    CHECK_EQ(lathe__parse_int64("12345", 2, &value), LATHE__NUMBER_OK);
    CHECK_EQ(value, 12);
}

TEST(int64_range_and_invalid)
{
    static const char *const too_big[] = {
        "9223372036854775808",        "-9223372036854775809",   "18446744073709551616",
        "99999999999999999999999999", "-100000000000000000000",
    };
    for (size_t i = 0; i < sizeof too_big / sizeof *too_big; i++) {
        int64_t value = 42;
        lathe__number_result result = lathe__parse_int64(too_big[i], strlen(too_big[i]), &value);
        CHECK_MSG(result == LATHE__NUMBER_RANGE, "\"%s\" gave %d", too_big[i], (int)result);
        CHECK_EQ(value, 42);
    }
    static const char *const bad[] = {
        "", "-", "+", "1.0", "1e5", " 1", "1 ", "0x10", "--1", "1-", "99999999999999999999x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t value = 42;
        lathe__number_result result = lathe__parse_int64(bad[i], strlen(bad[i]), &value);
        CHECK_MSG(result == LATHE__NUMBER_INVALID, "\"%s\" gave %d", bad[i], (int)result);
        CHECK_EQ(value, 42);
    }
}

TEST(int64_random_match_strtoll)
{
    uint64_t state = 99;
    char buf[32];
    for (int i = 0; i < 200000; i++) {
        uint64_t bits = next_random(&state);
        int64_t expected;
        memcpy(&expected, &bits, sizeof expected);
        expected >>= below(&state, 64); /* every magnitude */
        int n = snprintf(buf, sizeof buf, "%lld", (long long)expected);
        int64_t value;
        CHECK_MSG(lathe__parse_int64(buf, (size_t)n, &value) == LATHE__NUMBER_OK &&
                      value == expected,
                  "\"%s\"", buf);
    }
}

/*
 * The tokenizer's fast paths against lathe__parse_double on the same bytes:
 * lathe__field_number (extent known) must say "yes" only with the same bits,
 * and lathe__scan_number must stop where a plain decimal stops. The text
 * sits in a buffer followed by bytes that look like more digits, as in a
 * row of a CSV file, since both read past the field.
 */
static bool fast_paths_agree(const char *text, size_t length, char *why, size_t why_size)
{
    char buf[128];
    if (length + LATHE__SCAN_NUMBER_BYTES > sizeof buf)
        return true;
    memcpy(buf, text, length);
    memset(buf + length, '7', sizeof buf - length);
    double slow = 0, fast = 0;
    lathe__number_result result = lathe__parse_double(buf, length, &slow);
    if (lathe__field_number(buf, length, &fast) &&
        (result != LATHE__NUMBER_OK || bits_of(fast) != bits_of(slow))) {
        snprintf(why, why_size, "field \"%.*s\": fast %.17g, parse_double %d %.17g", (int)length,
                 text, fast, (int)result, slow);
        return false;
    }
    /* Cut where the scan stops, the text must be that number. */
    buf[length] = ',';
    size_t n = lathe__scan_number(buf, &fast);
    if (n > 0 && (lathe__parse_double(buf, n, &slow) != LATHE__NUMBER_OK ||
                  bits_of(fast) != bits_of(slow))) {
        snprintf(why, why_size, "scan \"%.*s\": %zu bytes, %.17g vs %.17g", (int)length, text, n,
                 fast, slow);
        return false;
    }
    return true;
}

TEST(field_number_edges)
{
    static const char *const cases[] = {
        "0",
        "-0",
        "+0",
        "007",
        "-007",
        "+5",
        "1.",
        "-1.",
        ".5",
        "-.5",
        "+.5",
        "0.000",
        "255",
        "12345678",
        "123456789",
        "-12345678",
        "1234567.8",
        "0.0400752",
        "-0.0400752",
        "9007199254740992",
        "9007199254740993",
        "900719925474099.3",
        "1234567890123456789",
        "12345678901234567890",
        "0000000000000000001",
        "00000000000000000001",
        "1.7976931348623157",
        "99999999999999999999",
        "4.9e-324",
        "1e5",
        "1E5",
        "-",
        "+",
        ".",
        "-.",
        "+-1",
        "--1",
        "1.2.3",
        "1..2",
        "..",
        "1-",
        "1+1",
        " 1",
        "1 ",
        "0x10",
        "inf",
        "nan",
        "1,5",
        "\xff\x31",
        "1\x80",
    };
    char why[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_MSG(fast_paths_agree(cases[i], strlen(cases[i]), why, sizeof why), "%s", why);
    double value = 0;
    CHECK(lathe__field_number("-0,1111111111111111111111111111111111111", 2, &value));
    CHECK(value == 0.0 && signbit(value));
    CHECK(lathe__field_number("1.,1111111111111111111111111111111111111", 2, &value));
    CHECK_EQ(value, 1.0);
    CHECK(!lathe__field_number("-,11111111111111111111111111111111111111", 1, &value));
    CHECK(!lathe__field_number(".,11111111111111111111111111111111111111", 1, &value));
    CHECK(!lathe__field_number(",111111111111111111111111111111111111111", 0, &value));
    CHECK_EQ(lathe__scan_number("12e5,1111111111111111111111111111111111", &value), 2);
}

TEST(field_number_random_match_parse_double)
{
    uint64_t state = 1902;
    char buf[64], why[512];
    for (int i = 0; i < 300000; i++) {
        size_t length;
        if (i % 3 == 0) {
            random_short_number(&state, buf);
            length = strlen(buf);
        } else if (i % 3 == 1) {
            random_number(&state, buf);
            length = strlen(buf);
        } else {
            length = random_junk(&state, buf);
        }
        CHECK_MSG(fast_paths_agree(buf, length, why, sizeof why), "case %d: %s", i, why);
    }
}
