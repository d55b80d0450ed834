/*
 * test_datetime.c: ISO 8601 parsing against epoch values computed with
 * Python's datetime, rejection of invalid text, and format/parse round trips.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/datetime.h"
#include "harness.h"

static bool parse(const char *text, int64_t *micros, bool *date_only)
{
    return lathe__parse_datetime(text, strlen(text), micros, date_only);
}

TEST(datetime_known_values)
{
    static const struct {
        const char *text;
        int64_t micros;
        bool date_only;
    } cases[] = {
        {"1970-01-01", 0, true},
        {"2000-02-29", INT64_C(951782400000000), true},
        {"1900-03-01", INT64_C(-2203891200000000), true},
        {"0001-01-01", INT64_C(-62135596800000000), true},
        {"1970-01-01T00:00", 0, false},
        {"1970-01-01 00:00:01", 1000000, false},
        {"1970-01-01T00:00:00Z", 0, false},
        {"1969-12-31T23:59:59.5Z", -500000, false},
        {"2024-12-31T23:59:59.999999Z", INT64_C(1735689599999999), false},
        {"2024-12-31T23:59:59.999999999Z", INT64_C(1735689599999999), false},
        {"9999-12-31T23:59:59.999999", INT64_C(253402300799999999), false},
        {"2024-03-10T12:00:00+05:30", INT64_C(1710052200000000), false},
        {"2024-03-10T12:00:00+0530", INT64_C(1710052200000000), false},
        {"2024-03-10T12:00:00-0800", INT64_C(1710100800000000), false},
        {"2024-03-10 12:00-08:00", INT64_C(1710100800000000), false},
        {"2024-03-10T12:00:00.000-08:00", INT64_C(1710100800000000), false},
        {"1970-01-01T00:00:00+00:00", 0, false},
        {"1970-01-01T00:00:00-00:00", 0, false},
        {"1970-01-01T00:00:00.1", 100000, false},
        {"1970-01-01T00:00:00.000001", 1, false},
        {"1970-01-01T00:00:00.0000009", 0, false},
        /* A leap second reads as the next minute's first second. */
        {"2016-12-31T23:59:60Z", INT64_C(1483228800000000), false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int64_t micros = -1;
        bool date_only = !cases[i].date_only;
        CHECK_MSG(parse(cases[i].text, &micros, &date_only), "\"%s\" rejected", cases[i].text);
        CHECK_MSG(micros == cases[i].micros, "\"%s\": %lld, want %lld", cases[i].text,
                  (long long)micros, (long long)cases[i].micros);
        CHECK_MSG(date_only == cases[i].date_only, "\"%s\": date_only", cases[i].text);
    }
}

TEST(datetime_invalid)
{
    static const char *const bad[] = {
        "",
        "2024",
        "2023-02-29",
        "1900-02-29",
        "2024-02-30",
        "2024-04-31",
        "2024-13-01",
        "2024-00-10",
        "2024-01-00",
        "0000-01-01",
        "2024-1-1",
        "2024-01-1",
        "24-01-01",
        "2024/01/01",
        "20240101",
        "2024-01-01 ",
        " 2024-01-01",
        "2024-01-01x",
        "2024-01-01T",
        "2024-01-01Z",
        "2024-01-01t10:00",
        "2024-01-01T24:00:00",
        "2024-01-01T23:60",
        "2024-01-01T23:59:61",
        "2024-01-01T1:00",
        "2024-01-01T10",
        "2024-01-01T10:0",
        "2024-01-01T10:00:",
        "2024-01-01T10:00:0",
        "2024-01-01T10:00:00.",
        "2024-01-01T10:00:00.1234567890",
        "2024-01-01T10:00.5",
        "2024-01-01T10:00:00Zjunk",
        "2024-01-01T10:00:00 Z",
        "2024-01-01T10:00:00+05",
        "2024-01-01T10:00:00+5:30",
        "2024-01-01T10:00:00+05:3",
        "2024-01-01T10:00:00+24:00",
        "2024-01-01T10:00:00+05:60",
        "2024-01-01T10:00:00+05:30:00",
        "2024-01-01T10:00:00z",
        "2024-01-01T10:00:00 ",
        "+2024-01-01",
        "2024-01-01T10:00:00+-5:30",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t micros = 42;
        bool date_only = false;
        CHECK_MSG(!parse(bad[i], &micros, &date_only), "\"%s\" accepted", bad[i]);
        CHECK_MSG(micros == 42 && !date_only, "\"%s\" changed the outputs", bad[i]);
    }
}

TEST(datetime_uses_length_not_nul)
{
    int64_t micros;
    bool date_only;
    CHECK(lathe__parse_datetime("2000-02-29,next", 10, &micros, &date_only));
    CHECK(micros == INT64_C(951782400000000) && date_only);
    CHECK(!lathe__parse_datetime("2000-02-29", 9, &micros, &date_only));
}

TEST(datetime_format)
{
    char buf[32];
    CHECK_EQ(lathe__format_datetime(0, true, buf, sizeof buf), 10);
    CHECK_STR(buf, "1970-01-01");
    CHECK_EQ(lathe__format_datetime(0, false, buf, sizeof buf), 20);
    CHECK_STR(buf, "1970-01-01T00:00:00Z");
    lathe__format_datetime(INT64_C(1735689599999999), false, buf, sizeof buf);
    CHECK_STR(buf, "2024-12-31T23:59:59.999999Z");
    lathe__format_datetime(INT64_C(1735689599999999), true, buf, sizeof buf);
    CHECK_STR(buf, "2024-12-31");
    lathe__format_datetime(-500000, false, buf, sizeof buf);
    CHECK_STR(buf, "1969-12-31T23:59:59.500000Z");
    lathe__format_datetime(INT64_C(-62135596800000000), true, buf, sizeof buf);
    CHECK_STR(buf, "0001-01-01");
    lathe__format_datetime(INT64_C(1), false, buf, sizeof buf);
    CHECK_STR(buf, "1970-01-01T00:00:00.000001Z");
    /* The extremes of int64 still fit in 32 bytes. */
    size_t n = lathe__format_datetime(INT64_MIN, false, buf, sizeof buf);
    CHECK(n < sizeof buf && buf[0] == '-' && buf[n] == '\0');
    n = lathe__format_datetime(INT64_MAX, false, buf, sizeof buf);
    CHECK(n < sizeof buf && buf[n] == '\0');
    CHECK_STR(buf, "294247-01-10T04:00:54.775807Z");
}

static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15)); /* splitmix64 */
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Every instant in 0001-9999 formats to text that parses back to it. */
TEST(datetime_round_trip)
{
    const int64_t first = INT64_C(-62135596800000000);
    const int64_t last = INT64_C(253402300799999999);
    uint64_t state = 1;
    char buf[32];
    for (int i = 0; i < 200000; i++) {
        int64_t micros = first + (int64_t)(next_random(&state) % (uint64_t)(last - first + 1));
        if (i % 4 == 0)
            micros -= micros % 1000000; /* whole seconds too, which print no fraction */
        bool date_only = i % 8 == 1;
        if (date_only)
            micros -= ((micros % 86400000000) + 86400000000) % 86400000000;
        size_t n = lathe__format_datetime(micros, date_only, buf, sizeof buf);
        int64_t back;
        bool back_date_only;
        CHECK_MSG(lathe__parse_datetime(buf, n, &back, &back_date_only), "\"%s\" rejected", buf);
        CHECK_MSG(back == micros && back_date_only == date_only, "\"%s\": %lld, want %lld", buf,
                  (long long)back, (long long)micros);
    }
}

/* Consecutive days are consecutive day numbers across every month and leap
 * rule in 0001-9999. */
TEST(datetime_every_day)
{
    char text[40]; /* room for any int, to keep gcc's truncation check quiet */
    int64_t expected = INT64_C(-62135596800000000);
    for (int year = 1; year <= 9999; year++) {
        bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        static const int month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        for (int month = 1; month <= 12; month++) {
            int n_days = month_days[month - 1] + (month == 2 && leap);
            for (int day = 1; day <= n_days + 1; day++) {
                snprintf(text, sizeof text, "%04d-%02d-%02d", year, month, day);
                int64_t micros;
                bool date_only;
                bool ok = lathe__parse_datetime(text, 10, &micros, &date_only);
                if (day > n_days) {
                    CHECK_MSG(!ok, "\"%s\" accepted", text);
                    continue;
                }
                CHECK_MSG(ok && micros == expected, "\"%s\"", text);
                expected += INT64_C(86400000000);
            }
        }
    }
}
