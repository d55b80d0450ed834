/*
 * datetime_expand.c: the numbers a datetime column is expanded into.
 *
 * Each part is a table entry: its name (after "COLUMN."), its bit in
 * lathe__prep_options.datetime_parts, whether it needs a time of day, and
 * how to read it from microseconds since the epoch (UTC). Calendar fields
 * use Howard Hinnant's civil_from_days, exact for any day count; days of
 * the week count Monday 0 to Sunday 6, as pandas' dayofweek does.
 */
#include "core/internal.h"
#include "prep/step.h"

#include "core/banned.h"

#define MICROS_PER_SECOND INT64_C(1000000)
#define MICROS_PER_HOUR (3600 * MICROS_PER_SECOND)
#define MICROS_PER_DAY (24 * MICROS_PER_HOUR)

/* Days since the epoch, rounding toward minus infinity. */
static int64_t days_of(int64_t micros)
{
    int64_t days = micros / MICROS_PER_DAY;
    return micros % MICROS_PER_DAY < 0 ? days - 1 : days;
}

typedef struct civil {
    int64_t year;
    int month;
    int day;
} civil;

static civil civil_from_days(int64_t days)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t day_of_era = days - era * 146097;
    int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t mp = (5 * day_of_year + 2) / 153;
    civil c;
    c.day = (int)(day_of_year - (153 * mp + 2) / 5 + 1);
    c.month = (int)(mp < 10 ? mp + 3 : mp - 9);
    c.year = year_of_era + era * 400 + (c.month <= 2);
    return c;
}

static double part_year(int64_t micros)
{
    return (double)civil_from_days(days_of(micros)).year;
}

static double part_month(int64_t micros)
{
    return civil_from_days(days_of(micros)).month;
}

static double part_day(int64_t micros)
{
    return civil_from_days(days_of(micros)).day;
}

/* 1970-01-01 was a Thursday (3 when Monday is 0). */
static double part_day_of_week(int64_t micros)
{
    int64_t weekday = (days_of(micros) + 3) % 7;
    return (double)(weekday < 0 ? weekday + 7 : weekday);
}

static double part_hour(int64_t micros)
{
    return (double)((micros - days_of(micros) * MICROS_PER_DAY) / MICROS_PER_HOUR);
}

static double part_epoch_seconds(int64_t micros)
{
    return (double)micros / (double)MICROS_PER_SECOND;
}

static const lathe__date_part parts[] = {
    {"year", LATHE__DATE_YEAR, false, part_year},
    {"month", LATHE__DATE_MONTH, false, part_month},
    {"day", LATHE__DATE_DAY, false, part_day},
    {"day_of_week", LATHE__DATE_DAY_OF_WEEK, false, part_day_of_week},
    {"hour", LATHE__DATE_HOUR, true, part_hour},
    {"epoch_seconds", LATHE__DATE_EPOCH_SECONDS, false, part_epoch_seconds},
};

const lathe__date_part *lathe__date_parts(size_t *count)
{
    *count = sizeof parts / sizeof parts[0];
    return parts;
}
