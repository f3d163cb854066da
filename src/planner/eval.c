/*
 * eval.c — computing expressions on the client: literals, parameters,
 * incoming-row values, arithmetic, dates and intervals, JSON builders,
 * string functions and three-valued conditions. Whatever depends only on
 * constants and the incoming row is computed here, once per statement or
 * once per row; an expression that reads a field of the stored document
 * answers BQL_EVAL_FIELD so the caller can lower it to a query operator,
 * an update operator or an aggregation expression instead.
 *
 * Semantics: SQL NULL is BSON null and propagates through arithmetic and
 * comparisons (unknown); integers stay int32 while they fit, then int64,
 * and overflow is an error; "/" always divides as doubles (as MongoDB's
 * $divide); strings compare bytewise (MongoDB's simple collation).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json_doc.h"
#include "planner.h"

/* Helpers of eval() that must not be inlined into it: eval recurses once
 * per level of an expression (up to BQL_MAX_NESTING), and their locals
 * (message buffers, bson_t) would make every level's frame larger. */
#define NOINLINE __attribute__ ((noinline))

/* ---- values ---- */

void
bql_val_init_null (bql_val_t *v)
{
   memset (v, 0, sizeof *v);
   v->v.value_type = BSON_TYPE_NULL;
}

void
bql_val_destroy (bql_val_t *v)
{
   if (!v->is_interval) {
      bson_value_destroy (&v->v);
   }
   bql_val_init_null (v);
}

void
bql_val_from_bson (bql_val_t *out, const bson_value_t *src)
{
   bql_val_init_null (out);
   bson_value_copy (src, &out->v);
}

bool
bql_val_is_null (const bql_val_t *v)
{
   return !v->is_interval && (v->v.value_type == BSON_TYPE_NULL || v->v.value_type == BSON_TYPE_UNDEFINED);
}

const char *
bql_val_type_name (const bql_val_t *v)
{
   if (v->is_interval) {
      return "an interval";
   }
   switch (v->v.value_type) {
   case BSON_TYPE_NULL:
      return "NULL";
   case BSON_TYPE_UTF8:
      return "a string";
   case BSON_TYPE_INT32:
   case BSON_TYPE_INT64:
      return "an integer";
   case BSON_TYPE_DOUBLE:
      return "a number";
   case BSON_TYPE_DECIMAL128:
      return "a decimal";
   case BSON_TYPE_BOOL:
      return "a boolean";
   case BSON_TYPE_DATE_TIME:
      return "a date";
   case BSON_TYPE_DOCUMENT:
      return "a document";
   case BSON_TYPE_ARRAY:
      return "an array";
   case BSON_TYPE_OID:
      return "an ObjectId";
   default:
      return "a BSON value";
   }
}

static void
set_bool (bql_val_t *v, bool b)
{
   bql_val_init_null (v);
   v->v.value_type = BSON_TYPE_BOOL;
   v->v.value.v_bool = b;
}

static void
set_int (bql_val_t *v, int64_t i)
{
   bql_val_init_null (v);
   if (i >= INT32_MIN && i <= INT32_MAX) {
      v->v.value_type = BSON_TYPE_INT32;
      v->v.value.v_int32 = (int32_t) i;
   } else {
      v->v.value_type = BSON_TYPE_INT64;
      v->v.value.v_int64 = i;
   }
}

static void
set_double (bql_val_t *v, double d)
{
   bql_val_init_null (v);
   v->v.value_type = BSON_TYPE_DOUBLE;
   v->v.value.v_double = d;
}

static void
set_date (bql_val_t *v, int64_t ms)
{
   bql_val_init_null (v);
   v->v.value_type = BSON_TYPE_DATE_TIME;
   v->v.value.v_datetime = ms;
}

/* Takes ownership of s (bson_malloc'd). */
static void
set_string_owned (bql_val_t *v, char *s, size_t len)
{
   bql_val_init_null (v);
   v->v.value_type = BSON_TYPE_UTF8;
   v->v.value.v_utf8.str = s;
   v->v.value.v_utf8.len = (uint32_t) len;
}

/* Takes ownership of doc's buffer. */
static void
set_doc (bql_val_t *v, bson_t *doc, bool is_array)
{
   bql_val_init_null (v);
   uint32_t len;
   uint8_t *data = bson_destroy_with_steal (doc, true, &len);
   v->v.value_type = is_array ? BSON_TYPE_ARRAY : BSON_TYPE_DOCUMENT;
   v->v.value.v_doc.data = data;
   v->v.value.v_doc.data_len = len;
}

static bool
is_int (const bql_val_t *v)
{
   return !v->is_interval && (v->v.value_type == BSON_TYPE_INT32 || v->v.value_type == BSON_TYPE_INT64);
}

static int64_t
int_of (const bql_val_t *v)
{
   return v->v.value_type == BSON_TYPE_INT32 ? v->v.value.v_int32 : v->v.value.v_int64;
}

static bool
is_number (const bql_val_t *v)
{
   return is_int (v) || (!v->is_interval && v->v.value_type == BSON_TYPE_DOUBLE);
}

static double
double_of (const bql_val_t *v)
{
   return is_int (v) ? (double) int_of (v) : v->v.value.v_double;
}

static bool
is_type (const bql_val_t *v, bson_type_t t)
{
   return !v->is_interval && v->v.value_type == t;
}

/* ---- errors ---- */

bool
bql_plan_error_at (bql_planner_t *pl, int64_t offset, int64_t length, bql_error_code_t code, const char *hint,
                   const char *fmt, ...)
{
   bql_error_t *e = pl->error;
   if (!e || e->domain != BQL_ERROR_NONE) {
      return false; /* the first error wins */
   }
   bql_error_clear (e);
   e->domain = BQL_ERROR_PLAN;
   e->code = code;
   e->offset = offset;
   e->length = length;
   bql_locate (pl->source, pl->source_len, offset, &e->line, &e->column);
   va_list ap;
   va_start (ap, fmt);
   vsnprintf (e->message, sizeof e->message, fmt, ap);
   va_end (ap);
   if (hint) {
      snprintf (e->hint, sizeof e->hint, "%s", hint);
   }
   return false;
}

bool
bql_plan_error (bql_planner_t *pl, const bql_node_t *node, bql_error_code_t code, const char *hint, const char *fmt,
                ...)
{
   bql_error_t *e = pl->error;
   if (!e || e->domain != BQL_ERROR_NONE) {
      return false;
   }
   char msg[sizeof e->message];
   va_list ap;
   va_start (ap, fmt);
   vsnprintf (msg, sizeof msg, fmt, ap);
   va_end (ap);
   return bql_plan_error_at (pl, node ? node->location : -1, node ? node->length : 0, code, hint, "%s", msg);
}

/* ---- dates and intervals ---- */

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
      if (!isdigit ((unsigned char) s[i])) {
         return false;
      }
      v = v * 10 + (s[i] - '0');
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
            while (i < len && isdigit ((unsigned char) s[i])) {
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
bql_date_add (int64_t date_ms, int32_t months, int64_t ms)
{
   if (months) {
      int64_t day = date_ms >= 0 ? date_ms / 86400000 : -((-date_ms + 86399999) / 86400000);
      int64_t in_day = date_ms - day * 86400000;
      int64_t y;
      unsigned m, d;
      civil_from_days (day, &y, &m, &d);
      int64_t total = y * 12 + (m - 1) + months;
      y = total >= 0 ? total / 12 : -((-total + 11) / 12);
      m = (unsigned) (total - y * 12) + 1;
      if (d > month_days (y, m)) {
         d = month_days (y, m); /* Jan 31 + 1 month = Feb 28/29, as PostgreSQL */
      }
      date_ms = days_from_civil (y, m, d) * 86400000 + in_day;
   }
   return date_ms + ms;
}

/* ---- row references ---- */

static bool
prefix_is (const char *path, const char *word, bool icase, const char **rest)
{
   size_t n = strlen (word);
   if ((icase ? strncasecmp (path, word, n) : strncmp (path, word, n)) == 0 && path[n] == '.' && path[n + 1]) {
      *rest = path + n + 1;
      return true;
   }
   return false;
}

const char *
bql_row_column (const bql_row_ctx_t *rc, const bql_node_t *expr)
{
   if (!rc) {
      return NULL;
   }
   const char *rest;
   if (bql_is (expr, ColumnRef)) {
      const char *path = bql_cast (ColumnRef, expr)->path;
      if (rc->bare_is_row) {
         return path;
      }
      if (rc->excluded && prefix_is (path, "EXCLUDED", true, &rest)) {
         return rest;
      }
      if (rc->alias && prefix_is (path, rc->alias, false, &rest)) {
         return rest;
      }
   }
   if (rc->excluded && bql_is (expr, FuncCall) && !strcasecmp (bql_cast (FuncCall, expr)->name, "VALUES")) {
      const bql_list_t *args = bql_cast (FuncCall, expr)->args;
      if (args && args->length == 1 && bql_is (args->items[0], ColumnRef)) {
         return bql_cast (ColumnRef, args->items[0])->path;
      }
   }
   return NULL;
}

typedef struct {
   const bql_row_ctx_t *rc;
   bool found;
} row_walk_t;

static bool
row_walk_enter (const bql_node_t *node, int depth, void *ctx)
{
   (void) depth;
   row_walk_t *w = ctx;
   if (bql_row_column (w->rc, node)) {
      w->found = true;
      return false;
   }
   return !w->found;
}

bool
bql_refers_to_row (const bql_row_ctx_t *rc, const bql_node_t *expr)
{
   if (!rc) {
      return false;
   }
   row_walk_t w = {rc, false};
   bql_node_walk (expr, row_walk_enter, NULL, &w);
   return w.found;
}

/* JSON_EXTRACT's path '$.a.b[0]' as a dotted path "a.b.0"; false if it is
 * not of that form. */
static bool
json_path_to_dotted (const char *jp, char *out, size_t size)
{
   size_t o = 0;
   if (jp[0] != '$') {
      return false;
   }
   const char *p = jp + 1;
   while (*p) {
      const char *seg;
      size_t n;
      if (*p == '.') {
         p++;
         if (*p == '"') {
            seg = ++p;
            while (*p && *p != '"') {
               p++;
            }
            if (!*p) {
               return false;
            }
            n = (size_t) (p - seg);
            p++;
         } else {
            seg = p;
            while (*p && *p != '.' && *p != '[') {
               p++;
            }
            n = (size_t) (p - seg);
         }
      } else if (*p == '[') {
         seg = ++p;
         while (isdigit ((unsigned char) *p)) {
            p++;
         }
         n = (size_t) (p - seg);
         if (*p != ']' || n == 0) {
            return false;
         }
         p++;
      } else {
         return false;
      }
      if (n == 0 || memchr (seg, '$', 1) || o + n + 2 > size) {
         return false;
      }
      if (o) {
         out[o++] = '.';
      }
      memcpy (out + o, seg, n);
      o += n;
   }
   out[o] = '\0';
   return true;
}

const char *
bql_field_path (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *expr, char *buf, size_t size)
{
   if (bql_row_column (rc, expr)) {
      return NULL;
   }
   if (bql_is (expr, ColumnRef)) {
      const char *path = bql_cast (ColumnRef, expr)->path;
      const char *rest;
      if (pl->plan && pl->plan->collection && prefix_is (path, pl->plan->collection, false, &rest)) {
         path = rest;
      }
      if (strlen (path) + 1 > size) {
         return NULL;
      }
      memcpy (buf, path, strlen (path) + 1);
      return buf;
   }
   if (bql_is (expr, FuncCall) && !strcasecmp (bql_cast (FuncCall, expr)->name, "JSON_EXTRACT")) {
      const bql_list_t *args = bql_cast (FuncCall, expr)->args;
      if (!args || args->length != 2 || !bql_is (args->items[1], Const) ||
          bql_cast (Const, args->items[1])->type != BQL_CONST_STRING) {
         return NULL;
      }
      char inner[512];
      const char *base = bql_field_path (pl, rc, args->items[0], inner, sizeof inner);
      char rest[512];
      if (!base || !json_path_to_dotted (bql_cast (Const, args->items[1])->value, rest, sizeof rest)) {
         return NULL;
      }
      int n = rest[0] ? snprintf (buf, size, "%s.%s", base, rest) : snprintf (buf, size, "%s", base);
      return n > 0 && (size_t) n < size ? buf : NULL;
   }
   return NULL;
}

/* ---- key checks ---- */

static bool
check_keys_rec (bql_planner_t *pl, const bql_node_t *node, const bson_t *doc, const char *what, int depth)
{
   bson_iter_t it;
   if (depth > 100 || !bson_iter_init (&it, doc)) {
      return bql_plan_error (pl, node, BQL_ERR_VALUE, NULL, "%s is not a valid document", what);
   }
   while (bson_iter_next (&it)) {
      const char *k = bson_iter_key (&it);
      if (k[0] == '$') {
         return bql_plan_error (pl, node, BQL_ERR_VALUE, "Values are data: rename the field, or write Extended JSON for a typed value.",
                                "field name \"%s\" in %s starts with '$'", k, what);
      }
      bson_t sub;
      if (bql_iter_sub (&it, &sub) && !check_keys_rec (pl, node, &sub, what, depth + 1)) {
         return false;
      }
   }
   return true;
}

bool
bql_check_keys (bql_planner_t *pl, const bql_node_t *node, const bson_t *doc, const char *what)
{
   return check_keys_rec (pl, node, doc, what, 0);
}

/* ---- appending ---- */

bool
bql_append_val (bql_planner_t *pl, const bql_node_t *at, bson_t *doc, const char *key, const bql_val_t *v)
{
   if (v->is_interval) {
      return bql_plan_error (pl, at, BQL_ERR_TYPE, "Add the interval to a date: CURRENT_DATE - INTERVAL '7 days'.",
                             "an interval is not a value that can be stored");
   }
   return bson_append_value (doc, key, -1, &v->v);
}

/* ---- text forms ---- */

/* The text of a value for || and CONCAT (numbers as PostgreSQL prints
 * them, dates in ISO 8601). NULL for values with no text form. */
static char *
text_of (const bql_val_t *v)
{
   if (v->is_interval) {
      return NULL;
   }
   switch (v->v.value_type) {
   case BSON_TYPE_UTF8:
      return bson_strndup (v->v.value.v_utf8.str, v->v.value.v_utf8.len);
   case BSON_TYPE_INT32:
      return bson_strdup_printf ("%d", v->v.value.v_int32);
   case BSON_TYPE_INT64:
      return bson_strdup_printf ("%lld", (long long) v->v.value.v_int64);
   case BSON_TYPE_DOUBLE: {
      char b[40];
      snprintf (b, sizeof b, "%.15g", v->v.value.v_double);
      if (strtod (b, NULL) != v->v.value.v_double) {
         snprintf (b, sizeof b, "%.17g", v->v.value.v_double);
      }
      return bson_strdup (b);
   }
   case BSON_TYPE_BOOL:
      return bson_strdup (v->v.value.v_bool ? "true" : "false");
   case BSON_TYPE_DECIMAL128: {
      char b[BSON_DECIMAL128_STRING];
      bson_decimal128_to_string (&v->v.value.v_decimal128, b);
      return bson_strdup (b);
   }
   case BSON_TYPE_OID: {
      char b[25];
      bson_oid_to_string (&v->v.value.v_oid, b);
      return bson_strdup (b);
   }
   case BSON_TYPE_DATE_TIME: {
      int64_t ms = v->v.value.v_datetime;
      int64_t day = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
      int64_t rem = ms - day * 86400000;
      int64_t y;
      unsigned mo, d;
      civil_from_days (day, &y, &mo, &d);
      return bson_strdup_printf ("%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long) y, mo, d, (int) (rem / 3600000),
                                 (int) (rem / 60000 % 60), (int) (rem / 1000 % 60), (int) (rem % 1000));
   }
   default:
      return NULL;
   }
}

/* ---- comparison ---- */

/* Compare a and b: -1, 0, 1; 2 when unknown (NULL), 3 when the types
 * cannot be compared. */
static int
compare (const bql_val_t *a, const bql_val_t *b)
{
   if (bql_val_is_null (a) || bql_val_is_null (b)) {
      return 2;
   }
   if (is_number (a) && is_number (b)) {
      if (is_int (a) && is_int (b)) {
         int64_t x = int_of (a), y = int_of (b);
         return x < y ? -1 : x > y;
      }
      double x = double_of (a), y = double_of (b);
      return x < y ? -1 : x > y;
   }
   if (a->is_interval || b->is_interval) {
      if (a->is_interval && b->is_interval && a->months == b->months) {
         return a->ms < b->ms ? -1 : a->ms > b->ms;
      }
      return 3;
   }
   if (a->v.value_type != b->v.value_type) {
      return 3;
   }
   switch (a->v.value_type) {
   case BSON_TYPE_UTF8: {
      uint32_t la = a->v.value.v_utf8.len, lb = b->v.value.v_utf8.len;
      int c = memcmp (a->v.value.v_utf8.str, b->v.value.v_utf8.str, la < lb ? la : lb);
      if (c == 0) {
         c = la < lb ? -1 : la > lb;
      }
      return c < 0 ? -1 : c > 0;
   }
   case BSON_TYPE_BOOL:
      return (int) a->v.value.v_bool - (int) b->v.value.v_bool;
   case BSON_TYPE_DATE_TIME:
      return a->v.value.v_datetime < b->v.value.v_datetime ? -1 : a->v.value.v_datetime > b->v.value.v_datetime;
   case BSON_TYPE_OID: {
      int c = bson_oid_compare (&a->v.value.v_oid, &b->v.value.v_oid);
      return c < 0 ? -1 : c > 0;
   }
   case BSON_TYPE_DOCUMENT:
   case BSON_TYPE_ARRAY:
      /* equality only */
      if (a->v.value.v_doc.data_len == b->v.value.v_doc.data_len &&
          memcmp (a->v.value.v_doc.data, b->v.value.v_doc.data, a->v.value.v_doc.data_len) == 0) {
         return 0;
      }
      return 4;
   default:
      return 3;
   }
}

/* SQL LIKE with % and _ (one UTF-8 character) and \ as the escape. */
static bool
like_match (const char *s, const char *se, const char *p, const char *pe)
{
   while (p < pe) {
      if (*p == '%') {
         while (p < pe && *p == '%') {
            p++;
         }
         if (p == pe) {
            return true;
         }
         for (const char *t = s; t <= se; t++) {
            if (like_match (t, se, p, pe)) {
               return true;
            }
         }
         return false;
      }
      if (s >= se) {
         return false;
      }
      if (*p == '_') {
         p++;
         s++;
         while (s < se && ((unsigned char) *s & 0xC0) == 0x80) {
            s++;
         }
         continue;
      }
      if (*p == '\\' && p + 1 < pe) {
         p++;
      }
      if (*p != *s) {
         return false;
      }
      p++;
      s++;
   }
   return s == se;
}

/* ---- the evaluator ---- */

static bql_eval_rc_t eval (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *e, bql_val_t *out);

static NOINLINE bql_eval_rc_t
fail (bql_planner_t *pl, const bql_node_t *n, bql_error_code_t code, const char *hint, const char *msg)
{
   bql_plan_error (pl, n, code, hint, "%s", msg);
   return BQL_EVAL_ERROR;
}

static NOINLINE bql_eval_rc_t
eval_const (bql_planner_t *pl, const bql_Const_t *c, bql_val_t *out)
{
   const bql_node_t *n = &c->node;
   bql_val_init_null (out);
   switch ((bql_const_type) c->type) {
   case BQL_CONST_STRING: {
      size_t len = strlen (c->value);
      if (!bson_utf8_validate (c->value, len, false)) {
         return fail (pl, n, BQL_ERR_VALUE, NULL, "string literal is not valid UTF-8");
      }
      set_string_owned (out, bson_strndup (c->value, len), len);
      return BQL_EVAL_OK;
   }
   case BQL_CONST_INTEGER: {
      errno = 0;
      long long v = strtoll (c->value, NULL, 10);
      if (errno == ERANGE) {
         return fail (pl, n, BQL_ERR_VALUE, "Use DECIMAL '...' for numbers beyond 64 bits.", "integer out of range");
      }
      set_int (out, v);
      return BQL_EVAL_OK;
   }
   case BQL_CONST_FLOAT: {
      double d = strtod (c->value, NULL);
      if (!isfinite (d)) {
         return fail (pl, n, BQL_ERR_VALUE, "Use DECIMAL '...' for very large numbers.", "number out of range");
      }
      set_double (out, d);
      return BQL_EVAL_OK;
   }
   case BQL_CONST_DECIMAL: {
      bson_decimal128_t dec;
      if (!bson_decimal128_from_string (c->value, &dec)) {
         return fail (pl, n, BQL_ERR_VALUE, NULL, "invalid DECIMAL literal");
      }
      out->v.value_type = BSON_TYPE_DECIMAL128;
      out->v.value.v_decimal128 = dec;
      return BQL_EVAL_OK;
   }
   case BQL_CONST_BOOLEAN:
      set_bool (out, strcmp (c->value, "true") == 0);
      return BQL_EVAL_OK;
   case BQL_CONST_NULL:
      return BQL_EVAL_OK;
   case BQL_CONST_DATE:
   case BQL_CONST_TIMESTAMP: {
      int64_t ms;
      size_t len = strlen (c->value);
      bool date_only = c->type == BQL_CONST_DATE;
      if ((date_only && len != 10) || !bql_parse_iso8601 (c->value, len, &ms)) {
         return fail (pl, n, BQL_ERR_VALUE,
                      date_only ? "Write dates as DATE 'YYYY-MM-DD'."
                                : "Write timestamps in ISO 8601: TIMESTAMP '2024-01-15T10:30:00Z'.",
                      date_only ? "invalid DATE literal" : "invalid TIMESTAMP literal");
      }
      set_date (out, ms);
      return BQL_EVAL_OK;
   }
   case BQL_CONST_INTERVAL:
      out->is_interval = true;
      if (!bql_parse_interval (c->value, &out->months, &out->ms)) {
         out->is_interval = false;
         return fail (pl, n, BQL_ERR_VALUE, "Write intervals as INTERVAL '7 days' or INTERVAL '1 year 2 months'.",
                      "invalid INTERVAL literal");
      }
      return BQL_EVAL_OK;
   case BQL_CONST_JSON: {
      /* One value, Extended JSON scalars ({"$date": ...}) typed, by the
       * rules of JSON in files (json_doc.h): a field name given twice, a
       * "$date" that is not ISO 8601 are errors; integers beyond int64
       * are doubles. */
      bql_json_error_t jerr;
      if (!bql_json_parse_value (c->value, strlen (c->value), &out->v, &jerr)) {
         char msg[700];
         const char *why = jerr.message;
         if ((jerr.code == BQL_JSON_INVALID || jerr.code == BQL_JSON_TOO_DEEP) && !strncmp (why, "invalid JSON: ", 14)) {
            why += 14;
         }
         snprintf (msg, sizeof msg, "invalid JSON literal: %s", why);
         bql_val_init_null (out);
         return fail (pl, n, BQL_ERR_VALUE,
                      jerr.code == BQL_JSON_BAD_DATE ? "Write dates in ISO 8601: {\"$date\": \"2024-01-15T10:30:00Z\"}."
                                                     : NULL,
                      msg);
      }
      if (out->v.value_type == BSON_TYPE_DOCUMENT || out->v.value_type == BSON_TYPE_ARRAY) {
         bson_t sub;
         bson_init_static (&sub, out->v.value.v_doc.data, out->v.value.v_doc.data_len);
         if (!bql_check_keys (pl, n, &sub, "a JSON literal")) {
            bql_val_destroy (out);
            return BQL_EVAL_ERROR;
         }
      }
      return BQL_EVAL_OK;
   }
   }
   return fail (pl, n, BQL_ERR_UNSUPPORTED, NULL, "unknown literal");
}

static NOINLINE bql_eval_rc_t
eval_row_ref (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *e, const char *column, bql_val_t *out)
{
   bql_val_init_null (out);
   if (!rc->row) {
      /* planning without a row (EXPLAIN of a file source): the value is
       * known only at run time */
      return BQL_EVAL_FIELD;
   }
   bson_iter_t it, child;
   if (bson_iter_init (&it, rc->row) && bson_iter_find_descendant (&it, column, &child)) {
      bql_val_from_bson (out, bson_iter_value (&child));
      return BQL_EVAL_OK;
   }
   if (rc->missing_is_null) {
      return BQL_EVAL_OK;
   }
   char msg[300];
   snprintf (msg, sizeof msg, "the incoming row has no column \"%s\"", column);
   return fail (pl, e, BQL_ERR_VALUE, NULL, msg);
}

static NOINLINE bql_eval_rc_t
arith (bql_planner_t *pl, const bql_node_t *e, int op, const bql_val_t *a, const bql_val_t *b, bql_val_t *out)
{
   bql_val_init_null (out);
   if (bql_val_is_null (a) || bql_val_is_null (b)) {
      return BQL_EVAL_OK;
   }
   /* dates and intervals */
   if (is_type (a, BSON_TYPE_DATE_TIME) && b->is_interval && (op == BQL_OP_ADD || op == BQL_OP_SUB)) {
      int s = op == BQL_OP_ADD ? 1 : -1;
      set_date (out, bql_date_add (a->v.value.v_datetime, s * b->months, s * b->ms));
      return BQL_EVAL_OK;
   }
   if (a->is_interval && is_type (b, BSON_TYPE_DATE_TIME) && op == BQL_OP_ADD) {
      set_date (out, bql_date_add (b->v.value.v_datetime, a->months, a->ms));
      return BQL_EVAL_OK;
   }
   if (is_type (a, BSON_TYPE_DATE_TIME) && is_type (b, BSON_TYPE_DATE_TIME) && op == BQL_OP_SUB) {
      out->is_interval = true;
      out->ms = a->v.value.v_datetime - b->v.value.v_datetime;
      return BQL_EVAL_OK;
   }
   if (a->is_interval && b->is_interval && (op == BQL_OP_ADD || op == BQL_OP_SUB)) {
      int s = op == BQL_OP_ADD ? 1 : -1;
      out->is_interval = true;
      out->months = a->months + s * b->months;
      out->ms = a->ms + s * b->ms;
      return BQL_EVAL_OK;
   }
   if (is_type (a, BSON_TYPE_DECIMAL128) || is_type (b, BSON_TYPE_DECIMAL128)) {
      return fail (pl, e, BQL_ERR_UNSUPPORTED, "Compute with doubles, or let the server compute on stored fields.",
                   "not supported: arithmetic on DECIMAL values on the client");
   }
   if (!is_number (a) || !is_number (b)) {
      char msg[200];
      snprintf (msg, sizeof msg, "cannot apply \"%s\" to %s and %s", bql_binary_op_name (op), bql_val_type_name (a),
                bql_val_type_name (b));
      return fail (pl, e, BQL_ERR_TYPE, NULL, msg);
   }
   if (op == BQL_OP_DIV) {
      if (double_of (b) == 0) {
         return fail (pl, e, BQL_ERR_VALUE, NULL, "division by zero");
      }
      set_double (out, double_of (a) / double_of (b));
      return BQL_EVAL_OK;
   }
   if (is_int (a) && is_int (b)) {
      int64_t x = int_of (a), y = int_of (b), r = 0;
      bool overflow = false;
      switch (op) {
      case BQL_OP_ADD:
         overflow = __builtin_add_overflow (x, y, &r);
         break;
      case BQL_OP_SUB:
         overflow = __builtin_sub_overflow (x, y, &r);
         break;
      case BQL_OP_MUL:
         overflow = __builtin_mul_overflow (x, y, &r);
         break;
      case BQL_OP_MOD:
         if (y == 0) {
            return fail (pl, e, BQL_ERR_VALUE, NULL, "division by zero");
         }
         r = (y == -1) ? 0 : x % y;
         break;
      default:
         break;
      }
      if (overflow) {
         return fail (pl, e, BQL_ERR_VALUE, NULL, "integer out of range");
      }
      set_int (out, r);
      return BQL_EVAL_OK;
   }
   double x = double_of (a), y = double_of (b), r = 0;
   switch (op) {
   case BQL_OP_ADD:
      r = x + y;
      break;
   case BQL_OP_SUB:
      r = x - y;
      break;
   case BQL_OP_MUL:
      r = x * y;
      break;
   case BQL_OP_MOD:
      if (y == 0) {
         return fail (pl, e, BQL_ERR_VALUE, NULL, "division by zero");
      }
      r = fmod (x, y);
      break;
   default:
      break;
   }
   if (!isfinite (r)) {
      return fail (pl, e, BQL_ERR_VALUE, NULL, "number out of range");
   }
   set_double (out, r);
   return BQL_EVAL_OK;
}

/* Text of a for || and CONCAT, or an error naming the type. */
static bql_eval_rc_t
text_or_fail (bql_planner_t *pl, const bql_node_t *at, const bql_val_t *v, char **out)
{
   *out = text_of (v);
   if (!*out) {
      char msg[160];
      snprintf (msg, sizeof msg, "cannot concatenate %s", bql_val_type_name (v));
      return fail (pl, at, BQL_ERR_TYPE, NULL, msg);
   }
   return BQL_EVAL_OK;
}

static NOINLINE bql_eval_rc_t
concat2 (bql_planner_t *pl, const bql_node_t *e, const bql_val_t *a, const bql_val_t *b, bql_val_t *out)
{
   bql_val_init_null (out);
   if (bql_val_is_null (a) || bql_val_is_null (b)) {
      return BQL_EVAL_OK;
   }
   char *x, *y;
   if (text_or_fail (pl, e, a, &x) != BQL_EVAL_OK) {
      return BQL_EVAL_ERROR;
   }
   if (text_or_fail (pl, e, b, &y) != BQL_EVAL_OK) {
      bson_free (x);
      return BQL_EVAL_ERROR;
   }
   char *s = bson_strdup_printf ("%s%s", x, y);
   set_string_owned (out, s, strlen (s));
   bson_free (x);
   bson_free (y);
   return BQL_EVAL_OK;
}

/* Result of a comparison operator as a three-valued boolean. */
static NOINLINE bql_eval_rc_t
cmp_op (bql_planner_t *pl, const bql_node_t *e, int op, const bql_val_t *a, const bql_val_t *b, bql_val_t *out)
{
   bql_val_init_null (out);
   int c = compare (a, b);
   if (c == 2) {
      return BQL_EVAL_OK;
   }
   if (c == 4 && (op == BQL_OP_EQ || op == BQL_OP_NE)) {
      set_bool (out, op == BQL_OP_NE);
      return BQL_EVAL_OK;
   }
   if (c >= 3) {
      char msg[200];
      snprintf (msg, sizeof msg, "cannot compare %s with %s", bql_val_type_name (a), bql_val_type_name (b));
      return fail (pl, e, BQL_ERR_TYPE, NULL, msg);
   }
   bool r = false;
   switch (op) {
   case BQL_OP_EQ:
      r = c == 0;
      break;
   case BQL_OP_NE:
      r = c != 0;
      break;
   case BQL_OP_LT:
      r = c < 0;
      break;
   case BQL_OP_LE:
      r = c <= 0;
      break;
   case BQL_OP_GT:
      r = c > 0;
      break;
   case BQL_OP_GE:
      r = c >= 0;
      break;
   default:
      break;
   }
   set_bool (out, r);
   return BQL_EVAL_OK;
}

/* Three-valued truth: 1 true, 0 false, -1 unknown; -2 not a boolean. */
static int
truth (const bql_val_t *v)
{
   if (bql_val_is_null (v)) {
      return -1;
   }
   if (is_type (v, BSON_TYPE_BOOL)) {
      return v->v.value.v_bool ? 1 : 0;
   }
   return -2;
}

static NOINLINE bql_eval_rc_t
need_bool (bql_planner_t *pl, const bql_node_t *at, const bql_val_t *v, int *t)
{
   *t = truth (v);
   if (*t == -2) {
      char msg[160];
      snprintf (msg, sizeof msg, "expected a condition, found %s", bql_val_type_name (v));
      return fail (pl, at, BQL_ERR_TYPE, NULL, msg);
   }
   return BQL_EVAL_OK;
}

/* JSON_OBJECT's keys (vals[0], vals[2], ... of n values): the index of the
 * first key equal to an earlier one, or -1. Keys that are not strings are
 * skipped (they are refused on their own). Sorting the keys' indices makes
 * this O(n log n) where a lookup in the document built so far was O(n^2):
 * 40,000 pairs took 30 s (issue 12). */
typedef struct {
   const bql_val_t *v;
   int32_t index;
} key_ref_t;

static int
key_ref_cmp (const void *a, const void *b)
{
   const key_ref_t *x = a, *y = b;
   uint32_t lx = x->v->v.value.v_utf8.len, ly = y->v->v.value.v_utf8.len;
   int c = memcmp (x->v->v.value.v_utf8.str, y->v->v.value.v_utf8.str, lx < ly ? lx : ly);
   if (c == 0 && lx != ly) {
      c = lx < ly ? -1 : 1;
   }
   if (c == 0) {
      c = x->index < y->index ? -1 : x->index > y->index;
   }
   return c;
}

static int32_t
first_duplicate_key (const bql_val_t *vals, int32_t n)
{
   key_ref_t *keys = bson_malloc (sizeof *keys * (size_t) (n / 2 + 1));
   size_t nk = 0;
   for (int32_t i = 0; i + 1 < n; i += 2) {
      if (is_type (&vals[i], BSON_TYPE_UTF8)) {
         keys[nk++] = (key_ref_t) {&vals[i], i};
      }
   }
   qsort (keys, nk, sizeof *keys, key_ref_cmp);
   int32_t first = -1;
   for (size_t k = 1; k < nk; k++) {
      const bson_value_t *a = &keys[k - 1].v->v, *b = &keys[k].v->v;
      if (a->value.v_utf8.len == b->value.v_utf8.len &&
          !memcmp (a->value.v_utf8.str, b->value.v_utf8.str, a->value.v_utf8.len) &&
          (first < 0 || keys[k].index < first)) {
         first = keys[k].index;
      }
   }
   bson_free (keys);
   return first;
}

/* Evaluate the children of e into vals; FIELD or ERROR stops early. */
static bql_eval_rc_t
eval_list (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_list_t *l, bql_val_t *vals)
{
   int32_t n = l ? l->length : 0;
   for (int32_t i = 0; i < n; i++) {
      bql_val_init_null (&vals[i]);
   }
   for (int32_t i = 0; i < n; i++) {
      bql_eval_rc_t r = eval (pl, rc, l->items[i], &vals[i]);
      if (r != BQL_EVAL_OK) {
         for (int32_t j = 0; j < i; j++) {
            bql_val_destroy (&vals[j]);
         }
         return r;
      }
   }
   return BQL_EVAL_OK;
}

static void
destroy_vals (bql_val_t *vals, int32_t n)
{
   for (int32_t i = 0; i < n; i++) {
      bql_val_destroy (&vals[i]);
   }
}

typedef struct {
   const bql_row_ctx_t *rc;
   bool found;
} field_walk_t;

static bool
field_walk_enter (const bql_node_t *node, int depth, void *ctx)
{
   (void) depth;
   field_walk_t *w = ctx;
   if (w->found) {
      return false;
   }
   if (bql_row_column (w->rc, node)) {
      return false;
   }
   if (bql_is (node, ColumnRef)) {
      w->found = true;
      return false;
   }
   return true;
}

/* Does e read a field of the stored document? (CASE and COALESCE are
 * evaluated lazily, so they ask before evaluating anything.) */
bool
bql_refers_to_field (const bql_row_ctx_t *rc, const bql_node_t *e)
{
   field_walk_t w = {rc, false};
   bql_node_walk (e, field_walk_enter, NULL, &w);
   return w.found;
}

static bool
name_is (const bql_FuncCall_t *f, const char *name)
{
   return strcasecmp (f->name, name) == 0;
}

static bql_eval_rc_t
arity (bql_planner_t *pl, const bql_FuncCall_t *f, int32_t min, int32_t max)
{
   int32_t n = f->args ? f->args->length : 0;
   if (n < min || n > max) {
      char msg[160];
      if (min == max) {
         snprintf (msg, sizeof msg, "%s takes %d argument%s, not %d", f->name, min, min == 1 ? "" : "s", n);
      } else if (max > 1000) {
         snprintf (msg, sizeof msg, "%s takes at least %d argument%s", f->name, min, min == 1 ? "" : "s");
      } else {
         snprintf (msg, sizeof msg, "%s takes %d to %d arguments, not %d", f->name, min, max, n);
      }
      return fail (pl, &f->node, BQL_ERR_TYPE, NULL, msg);
   }
   return BQL_EVAL_OK;
}

/* Navigate a document or array value by a JSON path '$.a.b[0]'. */
static bql_eval_rc_t
json_extract (bql_planner_t *pl, const bql_node_t *at, const bql_val_t *doc, const char *jpath, bql_val_t *out)
{
   char dotted[512];
   bql_val_init_null (out);
   if (!json_path_to_dotted (jpath, dotted, sizeof dotted)) {
      return fail (pl, at, BQL_ERR_VALUE, "Paths look like '$.a.b' or '$.items[0].price'.", "invalid JSON path");
   }
   if (bql_val_is_null (doc)) {
      return BQL_EVAL_OK;
   }
   if (!dotted[0]) {
      bql_val_from_bson (out, &doc->v);
      return BQL_EVAL_OK;
   }
   if (!is_type (doc, BSON_TYPE_DOCUMENT) && !is_type (doc, BSON_TYPE_ARRAY)) {
      return BQL_EVAL_OK; /* MySQL: NULL when the path does not exist */
   }
   bson_t d;
   bson_iter_t it, child;
   bson_init_static (&d, doc->v.value.v_doc.data, doc->v.value.v_doc.data_len);
   if (bson_iter_init (&it, &d) && bson_iter_find_descendant (&it, dotted, &child)) {
      bql_val_from_bson (out, bson_iter_value (&child));
   }
   return BQL_EVAL_OK;
}

static NOINLINE bql_eval_rc_t
eval_func (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_FuncCall_t *f, bql_val_t *out)
{
   const bql_node_t *e = &f->node;
   int32_t n = f->args ? f->args->length : 0;
   bql_val_init_null (out);

   if (name_is (f, "VALUES")) {
      const char *col = bql_row_column (rc, e);
      if (!col) {
         return fail (pl, e, BQL_ERR_UNSUPPORTED, "VALUES(col) names the incoming row in ON DUPLICATE KEY UPDATE and ON CONFLICT.",
                      "VALUES(col) is not valid here");
      }
      return eval_row_ref (pl, rc, e, col, out);
   }
   if (name_is (f, "COALESCE")) {
      if (arity (pl, f, 1, INT32_MAX) != BQL_EVAL_OK) {
         return BQL_EVAL_ERROR;
      }
      if (bql_refers_to_field (rc, e)) {
         return BQL_EVAL_FIELD;
      }
      for (int32_t i = 0; i < n; i++) {
         bql_eval_rc_t r = eval (pl, rc, f->args->items[i], out);
         if (r != BQL_EVAL_OK || !bql_val_is_null (out)) {
            return r;
         }
      }
      return BQL_EVAL_OK;
   }
   if (name_is (f, "NOW")) {
      if (arity (pl, f, 0, 0) != BQL_EVAL_OK) {
         return BQL_EVAL_ERROR;
      }
      set_date (out, pl->plan->now_ms);
      return BQL_EVAL_OK;
   }
   if (name_is (f, "OBJECTID")) {
      if (arity (pl, f, 0, 1) != BQL_EVAL_OK) {
         return BQL_EVAL_ERROR;
      }
      bql_val_t arg;
      out->v.value_type = BSON_TYPE_OID;
      if (n == 0) {
         bson_oid_init (&out->v.value.v_oid, NULL);
         return BQL_EVAL_OK;
      }
      bql_eval_rc_t r = eval (pl, rc, f->args->items[0], &arg);
      if (r != BQL_EVAL_OK) {
         bql_val_init_null (out);
         return r;
      }
      bool ok = is_type (&arg, BSON_TYPE_UTF8) && arg.v.value.v_utf8.len == 24 &&
                bson_oid_is_valid (arg.v.value.v_utf8.str, 24);
      if (ok) {
         bson_oid_init_from_string (&out->v.value.v_oid, arg.v.value.v_utf8.str);
      }
      bql_val_destroy (&arg);
      if (!ok) {
         bql_val_init_null (out);
         return fail (pl, f->args->items[0], BQL_ERR_VALUE, NULL, "OBJECTID needs 24 hexadecimal digits");
      }
      return BQL_EVAL_OK;
   }

   bool known = name_is (f, "CONCAT") || name_is (f, "LOWER") || name_is (f, "UPPER") || name_is (f, "JSON_OBJECT") ||
                name_is (f, "JSON_ARRAY") || name_is (f, "JSON_EXTRACT") || name_is (f, "JSON_ARRAY_APPEND");
   if (!known) {
      char msg[200];
      snprintf (msg, sizeof msg, "not supported: function %s", f->name);
      bql_plan_error_at (pl, e->location, (int64_t) strlen (f->name), BQL_ERR_UNSUPPORTED,
                         "The functions are COALESCE, CONCAT, LOWER, UPPER, NOW, OBJECTID, JSON_OBJECT, JSON_ARRAY, "
                         "JSON_EXTRACT and JSON_ARRAY_APPEND.",
                         "%s", msg);
      return BQL_EVAL_ERROR;
   }
   if (name_is (f, "JSON_OBJECT") && n % 2 != 0) {
      return fail (pl, e, BQL_ERR_TYPE, NULL, "JSON_OBJECT takes key, value pairs");
   }
   if ((name_is (f, "LOWER") || name_is (f, "UPPER")) && arity (pl, f, 1, 1) != BQL_EVAL_OK) {
      return BQL_EVAL_ERROR;
   }
   if (name_is (f, "JSON_EXTRACT") && arity (pl, f, 2, 2) != BQL_EVAL_OK) {
      return BQL_EVAL_ERROR;
   }
   if (name_is (f, "JSON_ARRAY_APPEND") && arity (pl, f, 3, 3) != BQL_EVAL_OK) {
      return BQL_EVAL_ERROR;
   }

   bql_val_t *vals = bson_malloc0 (sizeof *vals * (size_t) (n ? n : 1));
   bql_eval_rc_t r = eval_list (pl, rc, f->args, vals);
   if (r != BQL_EVAL_OK) {
      bson_free (vals);
      return r;
   }

   if (name_is (f, "CONCAT")) {
      bql_buf_t b;
      bql_buf_init (&b);
      for (int32_t i = 0; i < n && r == BQL_EVAL_OK; i++) {
         if (bql_val_is_null (&vals[i])) {
            continue; /* CONCAT skips NULLs (PostgreSQL) */
         }
         char *t;
         r = text_or_fail (pl, f->args->items[i], &vals[i], &t);
         if (r == BQL_EVAL_OK) {
            bql_buf_puts (&b, t);
            bson_free (t);
         }
      }
      if (r == BQL_EVAL_OK) {
         size_t len;
         char *s = bql_buf_steal (&b, &len);
         set_string_owned (out, bson_strndup (s, len), len);
         free (s);
      }
      bql_buf_cleanup (&b);
   } else if (name_is (f, "LOWER") || name_is (f, "UPPER")) {
      if (bql_val_is_null (&vals[0])) {
         /* NULL */
      } else if (!is_type (&vals[0], BSON_TYPE_UTF8)) {
         char msg[160];
         snprintf (msg, sizeof msg, "%s takes a string, not %s", f->name, bql_val_type_name (&vals[0]));
         r = fail (pl, f->args->items[0], BQL_ERR_TYPE, NULL, msg);
      } else {
         /* ASCII only, as MongoDB's $toLower/$toUpper */
         size_t len = vals[0].v.value.v_utf8.len;
         char *s = bson_strndup (vals[0].v.value.v_utf8.str, len);
         bool up = name_is (f, "UPPER");
         for (size_t i = 0; i < len; i++) {
            unsigned char ch = (unsigned char) s[i];
            if (ch < 0x80) {
               s[i] = (char) (up ? toupper (ch) : tolower (ch));
            }
         }
         set_string_owned (out, s, len);
      }
   } else if (name_is (f, "JSON_OBJECT")) {
      bson_t doc = BSON_INITIALIZER;
      int32_t dup_at = first_duplicate_key (vals, n);
      for (int32_t i = 0; i + 1 < n && r == BQL_EVAL_OK; i += 2) {
         const bql_node_t *kn = f->args->items[i];
         if (!is_type (&vals[i], BSON_TYPE_UTF8)) {
            r = fail (pl, kn, BQL_ERR_TYPE, NULL, "JSON_OBJECT keys must be strings");
         } else if (vals[i].v.value.v_utf8.str[0] == '$') {
            r = fail (pl, kn, BQL_ERR_VALUE, "Values are data: rename the key.", "JSON_OBJECT key starts with '$'");
         } else if (strlen (vals[i].v.value.v_utf8.str) != vals[i].v.value.v_utf8.len) {
            r = fail (pl, kn, BQL_ERR_VALUE, NULL, "JSON_OBJECT key contains a NUL character");
         } else if (i == dup_at) {
            r = fail (pl, kn, BQL_ERR_VALUE, NULL, "JSON_OBJECT key given twice");
         } else if (!bql_append_val (pl, f->args->items[i + 1], &doc, vals[i].v.value.v_utf8.str, &vals[i + 1])) {
            r = BQL_EVAL_ERROR;
         }
      }
      if (r == BQL_EVAL_OK) {
         set_doc (out, &doc, false);
      } else {
         bson_destroy (&doc);
      }
   } else if (name_is (f, "JSON_ARRAY")) {
      bson_t arr = BSON_INITIALIZER;
      for (int32_t i = 0; i < n && r == BQL_EVAL_OK; i++) {
         char key[16];
         const char *k;
         bson_uint32_to_string ((uint32_t) i, &k, key, sizeof key);
         if (!bql_append_val (pl, f->args->items[i], &arr, k, &vals[i])) {
            r = BQL_EVAL_ERROR;
         }
      }
      if (r == BQL_EVAL_OK) {
         set_doc (out, &arr, true);
      } else {
         bson_destroy (&arr);
      }
   } else if (name_is (f, "JSON_EXTRACT")) {
      if (!is_type (&vals[1], BSON_TYPE_UTF8)) {
         r = fail (pl, f->args->items[1], BQL_ERR_TYPE, "Write the path as a string: '$.a.b'.", "JSON_EXTRACT needs a path string");
      } else {
         r = json_extract (pl, f->args->items[1], &vals[0], vals[1].v.value.v_utf8.str, out);
      }
   } else if (name_is (f, "JSON_ARRAY_APPEND")) {
      if (!is_type (&vals[1], BSON_TYPE_UTF8) || strcmp (vals[1].v.value.v_utf8.str, "$") != 0) {
         r = fail (pl, f->args->items[1], BQL_ERR_UNSUPPORTED, "Append to the array itself: JSON_ARRAY_APPEND(tags, '$', 'new').",
                   "not supported: JSON_ARRAY_APPEND with a path other than '$'");
      } else if (bql_val_is_null (&vals[0])) {
         /* NULL */
      } else if (!is_type (&vals[0], BSON_TYPE_ARRAY)) {
         char msg[160];
         snprintf (msg, sizeof msg, "JSON_ARRAY_APPEND needs an array, not %s", bql_val_type_name (&vals[0]));
         r = fail (pl, f->args->items[0], BQL_ERR_TYPE, NULL, msg);
      } else if (vals[2].is_interval) {
         r = fail (pl, f->args->items[2], BQL_ERR_TYPE, NULL, "an interval is not a value that can be stored");
      } else {
         bson_t old, arr = BSON_INITIALIZER;
         bson_init_static (&old, vals[0].v.value.v_doc.data, vals[0].v.value.v_doc.data_len);
         uint32_t count = 0;
         bson_iter_t it;
         bson_iter_init (&it, &old);
         while (bson_iter_next (&it)) {
            char key[16];
            const char *k;
            bson_uint32_to_string (count++, &k, key, sizeof key);
            bson_append_iter (&arr, k, -1, &it);
         }
         char key[16];
         const char *k;
         bson_uint32_to_string (count, &k, key, sizeof key);
         bson_append_value (&arr, k, -1, &vals[2].v);
         set_doc (out, &arr, true);
      }
   }
   destroy_vals (vals, n);
   bson_free (vals);
   if (r != BQL_EVAL_OK) {
      bql_val_destroy (out);
   }
   return r;
}

static bql_eval_rc_t
eval (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *e, bql_val_t *out)
{
   bql_val_init_null (out);
   const char *col = bql_row_column (rc, e);
   if (col && !bql_is (e, FuncCall)) {
      return eval_row_ref (pl, rc, e, col, out);
   }
   switch (e->kind) {
   case BQL_T_Const:
      return eval_const (pl, bql_cast (Const, e), out);
   case BQL_T_ColumnRef:
      return BQL_EVAL_FIELD;
   case BQL_T_ParamRef: {
      const bql_ParamRef_t *p = bql_cast (ParamRef, e);
      char key[16];
      const char *name = p->name;
      if (!name) {
         snprintf (key, sizeof key, "%d", (int) p->number);
         name = key;
      }
      bson_iter_t it;
      if (!bson_iter_init_find (&it, &pl->plan->params, name) && pl->plan->placeholders) {
         /* EXPLAIN without a value: the plan shows the parameter as a
          * placeholder string ":name" or "?n" (it never runs) */
         char shown[140];
         snprintf (shown, sizeof shown, "%s%s", p->name ? ":" : "?", name);
         bson_value_t v = {.value_type = BSON_TYPE_UTF8};
         v.value.v_utf8.str = shown;
         v.value.v_utf8.len = (uint32_t) strlen (shown);
         bql_val_from_bson (out, &v);
         return BQL_EVAL_OK;
      }
      if (!bson_iter_init_find (&it, &pl->plan->params, name)) {
         char msg[200];
         if (p->name) {
            snprintf (msg, sizeof msg, "no value bound for parameter :%s", p->name);
         } else {
            snprintf (msg, sizeof msg, "no value bound for parameter %d (?)", (int) p->number);
         }
         return fail (pl, e, BQL_ERR_PARAM, NULL, msg);
      }
      bql_val_from_bson (out, bson_iter_value (&it));
      return BQL_EVAL_OK;
   }
   case BQL_T_SpecialValue:
      if (bql_cast (SpecialValue, e)->kind == BQL_SV_CURRENT_DATE) {
         int64_t now = pl->plan->now_ms;
         int64_t day = now >= 0 ? now / 86400000 : -((-now + 86399999) / 86400000);
         set_date (out, day * 86400000);
      } else {
         set_date (out, pl->plan->now_ms);
      }
      return BQL_EVAL_OK;
   case BQL_T_FuncCall:
      return eval_func (pl, rc, bql_cast (FuncCall, e), out);
   case BQL_T_UnaryExpr: {
      const bql_UnaryExpr_t *u = bql_cast (UnaryExpr, e);
      bql_val_t a;
      bql_eval_rc_t r = eval (pl, rc, u->arg, &a);
      if (r != BQL_EVAL_OK) {
         return r;
      }
      if (u->op == BQL_UOP_NOT) {
         int t;
         r = need_bool (pl, u->arg, &a, &t);
         if (r == BQL_EVAL_OK && t >= 0) {
            set_bool (out, !t);
         }
      } else if (bql_val_is_null (&a)) {
         /* NULL */
      } else if (a.is_interval) {
         *out = a;
         if (u->op == BQL_UOP_NEG) {
            out->months = -out->months;
            out->ms = -out->ms;
         }
         return BQL_EVAL_OK;
      } else if (is_type (&a, BSON_TYPE_DECIMAL128)) {
         *out = a;
         if (u->op == BQL_UOP_NEG) {
            bql_decimal128_negate (&out->v.value.v_decimal128);
         }
         return BQL_EVAL_OK;
      } else if (!is_number (&a)) {
         char msg[160];
         snprintf (msg, sizeof msg, "cannot negate %s", bql_val_type_name (&a));
         r = fail (pl, e, BQL_ERR_TYPE, NULL, msg);
      } else if (u->op == BQL_UOP_PLUS) {
         bql_val_from_bson (out, &a.v);
      } else if (is_int (&a)) {
         if (int_of (&a) == INT64_MIN) {
            r = fail (pl, e, BQL_ERR_VALUE, NULL, "integer out of range");
         } else {
            set_int (out, -int_of (&a));
         }
      } else {
         set_double (out, -a.v.value.v_double);
      }
      bql_val_destroy (&a);
      return r;
   }
   case BQL_T_BinaryExpr: {
      const bql_BinaryExpr_t *b = bql_cast (BinaryExpr, e);
      bql_val_t l, rv;
      bql_eval_rc_t r = eval (pl, rc, b->left, &l);
      if (r != BQL_EVAL_OK) {
         return r;
      }
      r = eval (pl, rc, b->right, &rv);
      if (r != BQL_EVAL_OK) {
         bql_val_destroy (&l);
         return r;
      }
      switch (b->op) {
      case BQL_OP_AND:
      case BQL_OP_OR: {
         int x, y;
         r = need_bool (pl, b->left, &l, &x);
         if (r == BQL_EVAL_OK) {
            r = need_bool (pl, b->right, &rv, &y);
         }
         if (r == BQL_EVAL_OK) {
            if (b->op == BQL_OP_AND) {
               if (x == 0 || y == 0) {
                  set_bool (out, false);
               } else if (x == 1 && y == 1) {
                  set_bool (out, true);
               }
            } else {
               if (x == 1 || y == 1) {
                  set_bool (out, true);
               } else if (x == 0 && y == 0) {
                  set_bool (out, false);
               }
            }
         }
         break;
      }
      case BQL_OP_EQ:
      case BQL_OP_NE:
      case BQL_OP_LT:
      case BQL_OP_LE:
      case BQL_OP_GT:
      case BQL_OP_GE:
         r = cmp_op (pl, e, b->op, &l, &rv, out);
         break;
      case BQL_OP_CONCAT:
         r = concat2 (pl, e, &l, &rv, out);
         break;
      default:
         r = arith (pl, e, b->op, &l, &rv, out);
         break;
      }
      bql_val_destroy (&l);
      bql_val_destroy (&rv);
      return r;
   }
   case BQL_T_BoolExpr: {
      /* three-valued AND / OR over the operands in order: every operand is
       * evaluated first (its error, or FIELD, comes before any "expected
       * a condition"), then each is read as a truth value. A loop, not a
       * recursion: a chain of 100,000 terms is one node. */
      const bql_BoolExpr_t *b = bql_cast (BoolExpr, e);
      int32_t n = b->args->length;
      bql_val_t *vals = bson_malloc0 (sizeof *vals * (size_t) n);
      bql_eval_rc_t r = eval_list (pl, rc, b->args, vals);
      if (r != BQL_EVAL_OK) {
         bson_free (vals);
         return r;
      }
      int acc = b->op == BQL_OP_AND ? 1 : 0; /* 1 true, 0 false, -1 NULL */
      for (int32_t i = 0; i < n && r == BQL_EVAL_OK; i++) {
         int t;
         r = need_bool (pl, b->args->items[i], &vals[i], &t);
         if (r != BQL_EVAL_OK) {
            break;
         }
         if (b->op == BQL_OP_AND) {
            acc = t == 0 || acc == 0 ? 0 : (t == -1 || acc == -1 ? -1 : 1);
         } else {
            acc = t == 1 || acc == 1 ? 1 : (t == -1 || acc == -1 ? -1 : 0);
         }
      }
      if (r == BQL_EVAL_OK && acc >= 0) {
         set_bool (out, acc == 1);
      }
      destroy_vals (vals, n);
      bson_free (vals);
      return r;
   }
   case BQL_T_CaseExpr: {
      const bql_CaseExpr_t *c = bql_cast (CaseExpr, e);
      if (bql_refers_to_field (rc, e)) {
         return BQL_EVAL_FIELD;
      }
      bql_val_t arg;
      bql_val_init_null (&arg);
      bql_eval_rc_t r = BQL_EVAL_OK;
      if (c->arg && (r = eval (pl, rc, c->arg, &arg)) != BQL_EVAL_OK) {
         return r;
      }
      for (int32_t i = 0; c->whens && i < c->whens->length; i++) {
         const bql_CaseWhen_t *w = bql_cast (CaseWhen, c->whens->items[i]);
         bql_val_t cond, test;
         if ((r = eval (pl, rc, w->condition, &cond)) != BQL_EVAL_OK) {
            break;
         }
         int t;
         if (c->arg) {
            r = cmp_op (pl, w->condition, BQL_OP_EQ, &arg, &cond, &test);
            bql_val_destroy (&cond);
            if (r != BQL_EVAL_OK) {
               break;
            }
            t = truth (&test);
            bql_val_destroy (&test);
         } else {
            r = need_bool (pl, w->condition, &cond, &t);
            bql_val_destroy (&cond);
            if (r != BQL_EVAL_OK) {
               break;
            }
         }
         if (t == 1) {
            bql_val_destroy (&arg);
            return eval (pl, rc, w->result, out);
         }
      }
      bql_val_destroy (&arg);
      if (r != BQL_EVAL_OK) {
         return r;
      }
      if (c->default_result) {
         return eval (pl, rc, c->default_result, out);
      }
      return BQL_EVAL_OK;
   }
   case BQL_T_InExpr: {
      const bql_InExpr_t *in = bql_cast (InExpr, e);
      bql_val_t x;
      bql_eval_rc_t r = eval (pl, rc, in->expr, &x);
      if (r != BQL_EVAL_OK) {
         return r;
      }
      int32_t n = in->list->length;
      bql_val_t *vals = bson_malloc0 (sizeof *vals * (size_t) n);
      r = eval_list (pl, rc, in->list, vals);
      if (r == BQL_EVAL_OK) {
         /* x IN (a, b) = x = a OR x = b, three-valued */
         int result = 0;
         for (int32_t i = 0; i < n && r == BQL_EVAL_OK; i++) {
            bql_val_t t;
            r = cmp_op (pl, in->list->items[i], BQL_OP_EQ, &x, &vals[i], &t);
            if (r == BQL_EVAL_OK) {
               int tv = truth (&t);
               if (tv == 1) {
                  result = 1;
               } else if (tv == -1 && result == 0) {
                  result = -1;
               }
               bql_val_destroy (&t);
            }
         }
         if (r == BQL_EVAL_OK && result >= 0) {
            set_bool (out, in->negated ? !result : result);
         }
         destroy_vals (vals, n);
      }
      bson_free (vals);
      bql_val_destroy (&x);
      return r;
   }
   case BQL_T_BetweenExpr: {
      const bql_BetweenExpr_t *bt = bql_cast (BetweenExpr, e);
      bql_val_t x, lo, hi, a, b;
      bql_eval_rc_t r = eval (pl, rc, bt->expr, &x);
      if (r != BQL_EVAL_OK) {
         return r;
      }
      if ((r = eval (pl, rc, bt->low, &lo)) != BQL_EVAL_OK) {
         bql_val_destroy (&x);
         return r;
      }
      if ((r = eval (pl, rc, bt->high, &hi)) != BQL_EVAL_OK) {
         bql_val_destroy (&x);
         bql_val_destroy (&lo);
         return r;
      }
      r = cmp_op (pl, e, BQL_OP_GE, &x, &lo, &a);
      if (r == BQL_EVAL_OK) {
         r = cmp_op (pl, e, BQL_OP_LE, &x, &hi, &b);
         if (r == BQL_EVAL_OK) {
            int ta = truth (&a), tb = truth (&b);
            if (ta == 0 || tb == 0) {
               set_bool (out, bt->negated);
            } else if (ta == 1 && tb == 1) {
               set_bool (out, !bt->negated);
            }
            bql_val_destroy (&b);
         }
         bql_val_destroy (&a);
      }
      bql_val_destroy (&x);
      bql_val_destroy (&lo);
      bql_val_destroy (&hi);
      return r;
   }
   case BQL_T_LikeExpr: {
      const bql_LikeExpr_t *lk = bql_cast (LikeExpr, e);
      bql_val_t s, p;
      bql_eval_rc_t r = eval (pl, rc, lk->expr, &s);
      if (r != BQL_EVAL_OK) {
         return r;
      }
      if ((r = eval (pl, rc, lk->pattern, &p)) != BQL_EVAL_OK) {
         bql_val_destroy (&s);
         return r;
      }
      if (bql_val_is_null (&s) || bql_val_is_null (&p)) {
         /* NULL */
      } else if (!is_type (&s, BSON_TYPE_UTF8) || !is_type (&p, BSON_TYPE_UTF8)) {
         r = fail (pl, e, BQL_ERR_TYPE, NULL, "LIKE compares strings");
      } else {
         bool m = like_match (s.v.value.v_utf8.str, s.v.value.v_utf8.str + s.v.value.v_utf8.len, p.v.value.v_utf8.str,
                              p.v.value.v_utf8.str + p.v.value.v_utf8.len);
         set_bool (out, lk->negated ? !m : m);
      }
      bql_val_destroy (&s);
      bql_val_destroy (&p);
      return r;
   }
   case BQL_T_NullTest: {
      const bql_NullTest_t *nt = bql_cast (NullTest, e);
      bql_val_t x;
      bql_eval_rc_t r = eval (pl, rc, nt->expr, &x);
      if (r != BQL_EVAL_OK) {
         return r;
      }
      bool isnull = bql_val_is_null (&x);
      bql_val_destroy (&x);
      set_bool (out, nt->negated ? !isnull : isnull);
      return BQL_EVAL_OK;
   }
   case BQL_T_ExistsExpr: {
      const bql_ExistsExpr_t *ex = bql_cast (ExistsExpr, e);
      const char *c = bql_row_column (rc, ex->path);
      if (!c) {
         if (bql_is (ex->path, ColumnRef) || bql_is (ex->path, FuncCall)) {
            return BQL_EVAL_FIELD;
         }
         return fail (pl, ex->path, BQL_ERR_TYPE, "EXISTS takes a field path: EXISTS(address.city).",
                      "EXISTS needs a field path");
      }
      if (!rc->row) {
         return BQL_EVAL_FIELD;
      }
      bson_iter_t it, child;
      set_bool (out, bson_iter_init (&it, rc->row) && bson_iter_find_descendant (&it, c, &child));
      return BQL_EVAL_OK;
   }
   default: {
      char msg[120];
      snprintf (msg, sizeof msg, "%s is not an expression", bql_node_kind_name (e->kind));
      return fail (pl, e, BQL_ERR_UNSUPPORTED, NULL, msg);
   }
   }
}

bql_eval_rc_t
bql_eval (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *expr, bql_val_t *out)
{
   return eval (pl, rc, expr, out);
}

bql_eval_rc_t
bql_eval_condition (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *cond, bool *result, bool *is_null)
{
   bql_val_t v;
   bql_eval_rc_t r = eval (pl, rc, cond, &v);
   if (r != BQL_EVAL_OK) {
      return r;
   }
   int t;
   r = need_bool (pl, cond, &v, &t);
   bql_val_destroy (&v);
   if (r == BQL_EVAL_OK) {
      *result = t == 1;
      *is_null = t == -1;
   }
   return r;
}
