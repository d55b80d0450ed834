/*
 * fuzz_datetime.c: libFuzzer target for ISO 8601 parsing and formatting.
 * The first byte picks the check. Odd: the next 8 bytes are an instant in
 * microseconds; any instant formats, and formatted text parses back to the
 * same instant (as a date, to its day's start) exactly when the instant is
 * in years 0001-9999, the parser's range. Even: the rest is text; an instant
 * parsed from it must pass the same check (a leap second or an offset can
 * carry it out of range), and a plain date must be a day's start. Any
 * mismatch aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/datetime.h"

#define MICROS_PER_DAY INT64_C(86400000000)
#define FORMAT_SIZE 40

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void mismatch(const char *what, const char *text, size_t length, int64_t got, int64_t want)
{
    fprintf(stderr, "fuzz_datetime: %s on \"%.*s\": %lld, expected %lld\n", what, (int)length, text,
            (long long)got, (long long)want);
    abort();
}

/* Floor division, as the formatter does: the first instant of the day. */
static int64_t day_start(int64_t micros)
{
    int64_t days = micros / MICROS_PER_DAY;
    if (micros % MICROS_PER_DAY < 0)
        days--;
    return days * MICROS_PER_DAY;
}

static void check_instant(int64_t micros)
{
    /* 0001-01-01 and 10000-01-01, the parser's range. */
    const int64_t first = INT64_C(-62135596800000000), past_last = INT64_C(253402300800000000);
    for (int date_only = 0; date_only < 2; date_only++) {
        char text[FORMAT_SIZE];
        size_t n = lathe__format_datetime(micros, date_only, text, sizeof text);
        int64_t back;
        bool back_date_only;
        bool parsed = lathe__parse_datetime(text, n, &back, &back_date_only);
        bool in_range = micros >= first && micros < past_last;
        if (parsed != in_range)
            mismatch(in_range ? "an instant in range does not parse back"
                              : "an instant out of range parses",
                     text, n, back, micros);
        if (!parsed)
            continue;
        int64_t want = date_only ? day_start(micros) : micros; /* in range: no overflow */
        if (back != want || back_date_only != (bool)date_only)
            mismatch("an instant does not round-trip", text, n, back, want);
    }
}

/* A parsed instant must round-trip as any instant does, and a plain date is a day's start. */
static void check_text(const char *text, size_t length)
{
    int64_t micros;
    bool date_only;
    if (!lathe__parse_datetime(text, length, &micros, &date_only))
        return;
    if (date_only && micros != day_start(micros))
        mismatch("a plain date is not a day's start", text, length, micros, day_start(micros));
    check_instant(micros);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] % 2 == 0) {
        check_text((const char *)data + 1, size - 1);
    } else if (size >= 9) {
        int64_t micros;
        memcpy(&micros, data + 1, sizeof micros);
        check_instant(micros);
    }
    return 0;
}
