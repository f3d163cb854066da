/*
 * datetime.c — dates and intervals (datetime.h): the one ISO 8601 parser
 * (literals, CSV/TSV typing, "$date"), the one ISO 8601 writer, interval
 * texts and calendar arithmetic, on H. Hinnant's days-from-civil
 * algorithms over the proleptic Gregorian calendar. Pure functions of
 * their arguments: no allocation, no locale, no time zone but UTC.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "datetime.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil (int64_t y, unsigned m, unsigned d)
{
   y -= m <= 2;
   const int64_t era = (y >= 0 ? y : y - 399) / 400;
   const unsigned yoe = (unsigned) (y - era * 400);
   const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
   const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
   return era * 146097 + (int64_t) doe - 719468;
}

static void
civil_from_days (int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
   z += 719468;
   const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
   const unsigned doe = (unsigned) (z - era * 146097);
   const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
   const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
   const unsigned mp = (5 * doy + 2) / 153;
   *d = doy - (153 * mp + 2) / 5 + 1;
   *m = mp < 10 ? mp + 3 : mp - 9;
   *y = (int64_t) yoe + era * 400 + (*m <= 2);
}

static bool
is_leap (int64_t y)
{
   return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned
month_days (int64_t y, unsigned m)
{
   static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
   return m == 2 && is_leap (y) ? 29 : days[m - 1];
}

static bool
digits (const char *s, size_t n, int *out)
{
   int v = 0;
   for (size_t i = 0; i < n; i++) {
      unsigned dg = (unsigned) ((unsigned char) s[i] - '0'); /* isdigit in the C locale, inline */
      if (dg > 9) {
         return false;
      }
      v = v * 10 + (int) dg;
   }
   *out = v;
   return true;
}

bool
bql_parse_iso8601 (const char *s, size_t len, int64_t *ms)
{
   int y, mo, d, h = 0, mi = 0, sec = 0;
   int64_t frac_ms = 0;
   size_t i = 0;
   if (len < 10 || !digits (s, 4, &y) || s[4] != '-' || !digits (s + 5, 2, &mo) || s[7] != '-' ||
       !digits (s + 8, 2, &d)) {
      return false;
   }
   if (mo < 1 || mo > 12 || d < 1 || (unsigned) d > month_days (y, (unsigned) mo)) {
      return false;
   }
   i = 10;
   int64_t offset_min = 0;
   if (i < len && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
      i++;
      if (len - i < 5 || !digits (s + i, 2, &h) || s[i + 2] != ':' || !digits (s + i + 3, 2, &mi)) {
         return false;
      }
      i += 5;
      if (i < len && s[i] == ':') {
         if (len - i < 3 || !digits (s + i + 1, 2, &sec)) {
            return false;
         }
         i += 3;
         if (i < len && (s[i] == '.' || s[i] == ',')) {
            /* 1 to 9 digits (down to nanoseconds), truncated to
             * milliseconds: never rounded up into the next second */
            i++;
            size_t start = i;
            int64_t scale = 100;
            while (i < len && (unsigned) ((unsigned char) s[i] - '0') <= 9) {
               frac_ms += (s[i] - '0') * scale;
               scale /= 10;
               i++;
            }
            if (i == start || i - start > 9) {
               return false;
            }
         }
      }
      if (h > 23 || mi > 59 || sec > 60) {
         return false;
      }
      if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
         i++;
      } else if (i < len && (s[i] == '+' || s[i] == '-')) {
         int oh, om = 0;
         int sign = s[i] == '-' ? -1 : 1;
         i++;
         if (len - i < 2 || !digits (s + i, 2, &oh)) {
            return false;
         }
         i += 2;
         if (i < len && s[i] == ':') {
            /* +hh:mm: the minutes must follow the colon */
            if (len - i < 3 || !digits (s + i + 1, 2, &om)) {
               return false;
            }
            i += 3;
         } else if (len - i >= 2 && digits (s + i, 2, &om)) {
            i += 2; /* +hhmm */
         }
         if (oh > 23 || om > 59) {
            return false;
         }
         offset_min = sign * (oh * 60 + om);
      }
   }
   if (i != len) {
      return false;
   }
   int64_t days = days_from_civil (y, (unsigned) mo, (unsigned) d);
   *ms = ((days * 86400 + h * 3600 + mi * 60 + sec) - offset_min * 60) * 1000 + frac_ms;
   return true;
}

bool
bql_parse_interval (const char *s, int32_t *months, int64_t *ms)
{
   static const struct {
      const char *unit;
      int32_t months;
      int64_t ms;
   } units[] = {
      {"millisecond", 0, 1},       {"milliseconds", 0, 1}, {"ms", 0, 1},
      {"second", 0, 1000},         {"seconds", 0, 1000},   {"sec", 0, 1000},   {"secs", 0, 1000}, {"s", 0, 1000},
      {"minute", 0, 60000},        {"minutes", 0, 60000},  {"min", 0, 60000},  {"mins", 0, 60000},
      {"hour", 0, 3600000},        {"hours", 0, 3600000},  {"h", 0, 3600000},
      {"day", 0, 86400000},        {"days", 0, 86400000},  {"d", 0, 86400000},
      {"week", 0, 604800000},      {"weeks", 0, 604800000},
      {"month", 1, 0},             {"months", 1, 0},       {"mon", 1, 0},      {"mons", 1, 0},
      {"year", 12, 0},             {"years", 12, 0},       {"y", 12, 0},
   };
   int64_t m = 0, t = 0;
   const char *p = s;
   bool any = false;
   while (*p) {
      while (*p == ' ') {
         p++;
      }
      if (!*p) {
         break;
      }
      char *end;
      errno = 0;
      long long n = strtoll (p, &end, 10);
      if (end == p || errno || n < -1000000000LL || n > 1000000000LL) {
         return false;
      }
      p = end;
      while (*p == ' ') {
         p++;
      }
      const char *u = p;
      while (*p && isalpha ((unsigned char) *p)) {
         p++;
      }
      size_t ul = (size_t) (p - u);
      bool found = false;
      for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
         if (strlen (units[i].unit) == ul && !strncasecmp (u, units[i].unit, ul)) {
            m += n * units[i].months;
            t += n * units[i].ms;
            found = true;
            break;
         }
      }
      if (!found) {
         return false;
      }
      any = true;
   }
   if (!any || m > INT32_MAX || m < INT32_MIN) {
      return false;
   }
   *months = (int32_t) m;
   *ms = t;
   return true;
}

int64_t
bql_date_floor_day (int64_t ms)
{
   int64_t day = ms >= 0 ? ms / BQL_MS_PER_DAY : -((-ms + BQL_MS_PER_DAY - 1) / BQL_MS_PER_DAY);
   return day * BQL_MS_PER_DAY;
}

bool
bql_date_trunc (int64_t ms, const char *unit, int64_t *out)
{
   static const struct {
      const char *name;
      int64_t ms;
   } fixed[] = {{"day", BQL_MS_PER_DAY}, {"hour", 3600000}, {"minute", 60000}, {"second", 1000}};
   for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
      if (!strcasecmp (unit, fixed[i].name)) {
         int64_t u = fixed[i].ms;
         *out = (ms >= 0 ? ms / u : -((-ms + u - 1) / u)) * u;
         return true;
      }
   }
   int64_t days = bql_date_floor_day (ms) / BQL_MS_PER_DAY;
   int64_t y;
   unsigned m, d;
   civil_from_days (days, &y, &m, &d);
   if (!strcasecmp (unit, "week")) {
      /* 1970-01-01 was a Thursday: Monday-based weekday of days */
      int64_t wd = ((days % 7) + 7 + 3) % 7;
      *out = (days - wd) * BQL_MS_PER_DAY;
   } else if (!strcasecmp (unit, "month")) {
      *out = days_from_civil (y, m, 1) * BQL_MS_PER_DAY;
   } else if (!strcasecmp (unit, "quarter")) {
      *out = days_from_civil (y, (m - 1) / 3 * 3 + 1, 1) * BQL_MS_PER_DAY;
   } else if (!strcasecmp (unit, "year")) {
      *out = days_from_civil (y, 1, 1) * BQL_MS_PER_DAY;
   } else {
      return false;
   }
   return true;
}

int
bql_format_iso8601 (int64_t ms, char *buf, size_t size)
{
   int64_t start = bql_date_floor_day (ms);
   int64_t rem = ms - start;
   int64_t y;
   unsigned mo, d;
   civil_from_days (start / BQL_MS_PER_DAY, &y, &mo, &d);
   return snprintf (buf, size, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long) y, mo, d, (int) (rem / 3600000),
                    (int) (rem / 60000 % 60), (int) (rem / 1000 % 60), (int) (rem % 1000));
}

int64_t
bql_date_add (int64_t date_ms, int32_t months, int64_t ms)
{
   if (months) {
      int64_t day = bql_date_floor_day (date_ms) / BQL_MS_PER_DAY;
      int64_t in_day = date_ms - day * BQL_MS_PER_DAY;
      int64_t y;
      unsigned m, d;
      civil_from_days (day, &y, &m, &d);
      int64_t total = y * 12 + (m - 1) + months;
      y = total >= 0 ? total / 12 : -((-total + 11) / 12);
      m = (unsigned) (total - y * 12) + 1;
      if (d > month_days (y, m)) {
         d = month_days (y, m); /* Jan 31 + 1 month = Feb 28/29, as PostgreSQL */
      }
      date_ms = days_from_civil (y, m, d) * BQL_MS_PER_DAY + in_day;
   }
   return date_ms + ms;
}
