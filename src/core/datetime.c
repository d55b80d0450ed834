/*
 * datetime.c: ISO 8601 text to microseconds since the epoch and back.
 *
 * Fields sit at fixed positions, so parsing is a few digit reads and range
 * checks with no scanning, cheap enough for a reader to try on every cell
 * while it guesses column types. Calendar arithmetic is Howard Hinnant's
 * days_from_civil / civil_from_days, exact for every int64 day count in the
 * proleptic Gregorian calendar.
 */
#include <assert.h>

#include "core/datetime.h"

#include "core/banned.h"

#define MICROS_PER_SECOND INT64_C(1000000)
#define MICROS_PER_MINUTE (60 * MICROS_PER_SECOND)
#define MICROS_PER_HOUR (60 * MICROS_PER_MINUTE)
#define MICROS_PER_DAY (24 * MICROS_PER_HOUR)
#define MAX_FRACTION_DIGITS 9
#define FORMAT_MIN_SIZE 32 /* "-292277-01-01T00:00:00.000000Z" is the longest, 31 with NUL */

/* Reads exactly `count` digits; false if any byte is not a digit. */
static bool read_digits(const char *text, int count, int *out)
{
    int value = 0;
    for (int i = 0; i < count; i++) {
        unsigned digit = (unsigned)(unsigned char)text[i] - '0';
        if (digit > 9)
            return false;
        value = value * 10 + (int)digit;
    }
    *out = value;
    return true;
}

static bool is_leap_year(int year)
{
    return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

static int days_in_month(int year, int month)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap_year(year) ? 29 : days[month - 1];
}

/* Days since 1970-01-01. Eras are 400-year cycles starting on March 1st, so
 * the leap day falls at the end of a year of the era. */
static int64_t days_from_civil(int64_t year, int month, int day)
{
    year -= month <= 2;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    int64_t year_of_era = year - era * 400;
    int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

static void civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t day_of_era = days - era * 146097;
    int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t month_from_march = (5 * day_of_year + 2) / 153;
    *day = (int)(day_of_year - (153 * month_from_march + 2) / 5 + 1);
    *month = (int)(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
    *year = year_of_era + era * 400 + (*month <= 2);
}

/* "YYYY-MM-DD" at text (length >= 10) as days since the epoch. */
static bool parse_date(const char *text, int64_t *days)
{
    int year, month, day;
    if (text[4] != '-' || text[7] != '-' || !read_digits(text, 4, &year) ||
        !read_digits(text + 5, 2, &month) || !read_digits(text + 8, 2, &day))
        return false;
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month))
        return false;
    *days = days_from_civil(year, month, day);
    return true;
}

/* ".fraction" digits at *p: 1-9 of them, kept to microseconds (truncated). */
static bool parse_fraction(const char **p, const char *end, int64_t *micros)
{
    const char *digits = *p;
    int64_t value = 0;
    int n = 0;
    while (digits + n != end && (unsigned)(unsigned char)digits[n] - '0' <= 9) {
        if (n == MAX_FRACTION_DIGITS)
            return false;
        if (n < 6)
            value = value * 10 + (digits[n] - '0');
        n++;
    }
    if (n == 0)
        return false;
    for (int i = n; i < 6; i++)
        value *= 10;
    *micros = value;
    *p = digits + n;
    return true;
}

/* Everything after the time of day: nothing, "Z", or +-HH:MM / +-HHMM, as
 * microseconds to add to local time to reach UTC. */
static bool parse_offset(const char *p, const char *end, int64_t *to_utc)
{
    *to_utc = 0;
    if (p == end)
        return true;
    if (*p == 'Z')
        return p + 1 == end;
    if (*p != '+' && *p != '-')
        return false;
    int sign = *p == '-' ? 1 : -1; /* local -08:00 is UTC +8 hours */
    p++;
    int hours, minutes;
    if (end - p == 5) {
        if (p[2] != ':' || !read_digits(p, 2, &hours) || !read_digits(p + 3, 2, &minutes))
            return false;
    } else if (end - p == 4) {
        if (!read_digits(p, 2, &hours) || !read_digits(p + 2, 2, &minutes))
            return false;
    } else {
        return false;
    }
    if (hours > 23 || minutes > 59)
        return false;
    *to_utc = sign * (hours * MICROS_PER_HOUR + minutes * MICROS_PER_MINUTE);
    return true;
}

/* "HH:MM[:SS[.fraction]][offset]" from p to end, as microseconds into the UTC day. */
static bool parse_time(const char *p, const char *end, int64_t *micros)
{
    int hour, minute, second = 0;
    int64_t fraction = 0;
    if (end - p < 5 || p[2] != ':' || !read_digits(p, 2, &hour) || !read_digits(p + 3, 2, &minute))
        return false;
    p += 5;
    if (end - p >= 3 && *p == ':') {
        if (!read_digits(p + 1, 2, &second))
            return false;
        p += 3;
        if (p != end && *p == '.') {
            p++;
            if (!parse_fraction(&p, end, &fraction))
                return false;
        }
    }
    int64_t to_utc;
    if (!parse_offset(p, end, &to_utc))
        return false;
    if (hour > 23 || minute > 59 || second > 60)
        return false;
    *micros = hour * MICROS_PER_HOUR + minute * MICROS_PER_MINUTE + second * MICROS_PER_SECOND +
              fraction + to_utc;
    return true;
}

bool lathe__parse_datetime(const char *text, size_t length, int64_t *micros, bool *date_only)
{
    int64_t days;
    if (length < 10 || !parse_date(text, &days))
        return false;
    if (length == 10) {
        *micros = days * MICROS_PER_DAY;
        *date_only = true;
        return true;
    }
    int64_t time_of_day;
    if ((text[10] != 'T' && text[10] != ' ') || !parse_time(text + 11, text + length, &time_of_day))
        return false;
    *micros = days * MICROS_PER_DAY + time_of_day;
    *date_only = false;
    return true;
}

/* Writes value (>= 0) zero-padded to at least `width` digits; returns the count. */
static size_t put_number(char *buf, int64_t value, int width)
{
    char reversed[20];
    int n = 0;
    do {
        reversed[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value > 0);
    while (n < width)
        reversed[n++] = '0';
    for (int i = 0; i < n; i++)
        buf[i] = reversed[n - 1 - i];
    return (size_t)n;
}

size_t lathe__format_datetime(int64_t micros, bool date_only, char *buf, size_t size)
{
    assert(size >= FORMAT_MIN_SIZE);
    (void)size;
    /* Floor division, so instants before 1970 fall on the right day. */
    int64_t days = micros / MICROS_PER_DAY;
    int64_t time_of_day = micros % MICROS_PER_DAY;
    if (time_of_day < 0) {
        time_of_day += MICROS_PER_DAY;
        days--;
    }
    int64_t year;
    int month, day;
    civil_from_days(days, &year, &month, &day);

    size_t n = 0;
    if (year < 0) {
        buf[n++] = '-';
        year = -year;
    }
    n += put_number(buf + n, year, 4);
    buf[n++] = '-';
    n += put_number(buf + n, month, 2);
    buf[n++] = '-';
    n += put_number(buf + n, day, 2);
    if (!date_only) {
        int64_t seconds = time_of_day / MICROS_PER_SECOND;
        int64_t fraction = time_of_day % MICROS_PER_SECOND;
        buf[n++] = 'T';
        n += put_number(buf + n, seconds / 3600, 2);
        buf[n++] = ':';
        n += put_number(buf + n, seconds / 60 % 60, 2);
        buf[n++] = ':';
        n += put_number(buf + n, seconds % 60, 2);
        if (fraction != 0) {
            buf[n++] = '.';
            n += put_number(buf + n, fraction, 6);
        }
        buf[n++] = 'Z';
    }
    buf[n] = '\0';
    return n;
}
