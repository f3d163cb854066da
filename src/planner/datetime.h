/*
 * datetime.h — dates and intervals of the planner (datetime.c): the one
 * ISO 8601 parser of DATE and TIMESTAMP literals, of CSV/TSV typing
 * (TIMESTAMP and DATE columns, inference) and of "$date" strings in JSON,
 * the one ISO 8601 writer (|| and CONCAT of a date), interval texts, and
 * calendar arithmetic. Dates are milliseconds since the Unix epoch, UTC,
 * on the proleptic Gregorian calendar, as BSON's datetime. Needs libc only.
 */
#ifndef BQL_DATETIME_H
#define BQL_DATETIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BQL_MS_PER_DAY INT64_C (86400000)

/* Parse an ISO 8601 / RFC 3339 date or date-time s[0..len) (not
 * NUL-terminated) into milliseconds since the Unix epoch, UTC: the one
 * date parser of TIMESTAMP and DATE columns and literals and of "$date"
 * strings in JSON (files, literals; json_doc.c). Accepted: YYYY-MM-DD
 * alone, or followed by 'T' (or 't', or a space) and hh:mm, hh:mm:ss or
 * hh:mm:ss.f with 1 to 9 fraction digits ('.' or ','), truncated to
 * milliseconds; then Z (or z), +hh:mm, +hhmm, +hh or the same with '-'
 * (none = UTC). Calendar-checked (2023-02-29 is refused). False, *ms
 * untouched, for anything else, including blanks around the text.
 * Allocates nothing. */
bool bql_parse_iso8601 (const char *s, size_t len, int64_t *ms);

/* Write ms (milliseconds since the epoch, UTC) as ISO 8601 with
 * milliseconds, "2024-01-15T10:30:00.000Z" (years outside 0..9999 keep
 * their digits and sign), into buf (size bytes, always terminated).
 * Returns the length the full text has (as snprintf). */
int bql_format_iso8601 (int64_t ms, char *buf, size_t size);

/* The start (00:00 UTC) of the day that holds ms: floor division, so
 * that dates before 1970 round down too (CURRENT_DATE). */
int64_t bql_date_floor_day (int64_t ms);
/* ms truncated to the start of its unit (UTC): "year", "quarter",
 * "month", "week" (ISO: Monday), "day", "hour", "minute", "second" (any
 * case; false for another unit), as DATE_TRUNC and $dateTrunc do. */
bool bql_date_trunc (int64_t ms, const char *unit, int64_t *out);

/* Parse an interval text (NUL-terminated): one or more "n unit" with n
 * an integer of at most 10^9 in magnitude (may be negative) and unit one
 * of millisecond(s)/ms, second(s)/sec(s)/s, minute(s)/min(s), hour(s)/h,
 * day(s)/d, week(s), month(s)/mon(s), year(s)/y (any case), separated by
 * blanks: '7 days', '1 year 2 months'. Months and years go to *months
 * (calendar months), the rest to *ms. False, outputs untouched, for
 * anything else. Allocates nothing. */
bool bql_parse_interval (const char *s, int32_t *months, int64_t *ms);

/* date_ms + months calendar months + ms milliseconds. Adding months keeps
 * the time of day and clamps the day to the month's last (Jan 31 + 1
 * month = Feb 28 or 29, as PostgreSQL and MongoDB's $dateAdd). */
int64_t bql_date_add (int64_t date_ms, int32_t months, int64_t ms);

#endif /* BQL_DATETIME_H */
