/*
 * datetime.h: ISO 8601 dates and timestamps as microseconds since the Unix
 * epoch (1970-01-01T00:00:00Z), for datetime columns.
 *
 * Pure arithmetic on the proleptic Gregorian calendar: no timegm, no time
 * zone database, no locale, no global state, so safe from any thread. POSIX
 * time has no leap seconds, so a second of 60 reads as the first second of
 * the next minute.
 */
#ifndef LATHE_DATETIME_H
#define LATHE_DATETIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Parses the whole of text[0..length) as a date "YYYY-MM-DD" or a timestamp
 * "YYYY-MM-DD[T or space]HH:MM[:SS[.fraction of 1-9 digits]][Z|+HH:MM|-HH:MM|+HHMM|-HHMM]"
 * into microseconds since 1970-01-01T00:00:00Z. An offset is subtracted to
 * reach UTC; no offset means UTC. Fraction digits past the sixth are
 * truncated. Validates ranges: year 0001-9999, month 1-12, day within the
 * month (leap years included), hour 0-23, minute 0-59, second 0-60, offset
 * hours 0-23 and minutes 0-59. *date_only is set true for a plain date.
 * Returns false, leaving the outputs as they were, for anything else
 * (no partial matches).
 */
bool lathe__parse_datetime(const char *text, size_t length, int64_t *micros, bool *date_only);

/*
 * Formats micros back as "YYYY-MM-DD" (date_only; the time of day is dropped)
 * or "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" (the six fraction digits only when the
 * fraction is nonzero). Any int64 is accepted; years outside 0000-9999 are
 * written with as many digits as they need and a leading '-' if negative.
 * Returns the length written; always NUL-terminates. size must be >= 32.
 */
size_t lathe__format_datetime(int64_t micros, bool date_only, char *buf, size_t size);

#endif
