/*
 * columns.c — column lists: their types (SPEC §4: INT, BIGINT, DOUBLE,
 * DECIMAL, STRING, BOOL, DATE, TIMESTAMP, OBJECTID, JSON, BINARY) and
 * FORMAT layouts, the conversion of values to those types, the inference
 * of a column's type from text values, and the layout that turns a row of
 * values into a document, dotted names becoming nested documents
 * ("address.city" → {address: {city: ...}}, and with array_index_fields
 * "tags.0" → {tags: [...]}). The layout is built once per statement so
 * that rows are assembled without looking names up again.
 */
#define _XOPEN_SOURCE 700 /* strptime */
#include <ctype.h>
#include <errno.h>
#include <time.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "columns.h"
#include "json_doc.h"

static const struct {
   const char *name;
   bql_coltype_t type;
} type_names[] = {
   {"INT", BQL_COL_INT},           {"INTEGER", BQL_COL_INT},      {"INT32", BQL_COL_INT},
   {"BIGINT", BQL_COL_BIGINT},     {"LONG", BQL_COL_BIGINT},      {"INT64", BQL_COL_BIGINT},
   {"DOUBLE", BQL_COL_DOUBLE},     {"FLOAT", BQL_COL_DOUBLE},     {"REAL", BQL_COL_DOUBLE},
   {"DECIMAL", BQL_COL_DECIMAL},   {"NUMERIC", BQL_COL_DECIMAL},  {"DECIMAL128", BQL_COL_DECIMAL},
   {"STRING", BQL_COL_STRING},     {"TEXT", BQL_COL_STRING},      {"VARCHAR", BQL_COL_STRING},
   {"BOOL", BQL_COL_BOOL},         {"BOOLEAN", BQL_COL_BOOL},
   {"DATE", BQL_COL_DATE},
   {"TIMESTAMP", BQL_COL_TIMESTAMP}, {"DATETIME", BQL_COL_TIMESTAMP},
   {"OBJECTID", BQL_COL_OBJECTID},
   {"JSON", BQL_COL_JSON},         {"DOCUMENT", BQL_COL_JSON},
   {"BINARY", BQL_COL_BINARY},
};

const char *
bql_coltype_name (bql_coltype_t t)
{
   static const char *const names[] = {"auto", "INT",  "BIGINT",    "DOUBLE",   "DECIMAL", "STRING",
                                       "BOOL", "DATE", "TIMESTAMP", "OBJECTID", "JSON",    "BINARY"};
   return (size_t) t < sizeof names / sizeof names[0] ? names[t] : "?";
}

static bool
coltype_from_name (const char *name, bql_coltype_t *t)
{
   for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++) {
      if (!strcasecmp (name, type_names[i].name)) {
         *t = type_names[i].type;
         return true;
      }
   }
   return false;
}

static void
layout_free (bql_layout_t *l)
{
   for (size_t i = 0; i < l->nkids; i++) {
      layout_free (&l->kids[i]);
   }
   bson_free (l->kids);
   bson_free (l->index);
   bson_free (l->key);
}

void
bql_columns_cleanup (bql_columns_t *c)
{
   for (size_t i = 0; i < c->n; i++) {
      bson_free (c->cols[i].path);
      bson_free (c->cols[i].format);
   }
   bson_free (c->cols);
   layout_free (&c->root);
   memset (c, 0, sizeof *c);
}

typedef enum { LAYOUT_OK, LAYOUT_OVERLAP, LAYOUT_INDEX, LAYOUT_MIXED } layout_rc_t;

static bool
all_digits (const char *p, size_t n)
{
   for (size_t i = 0; i < n; i++) {
      if (!isdigit ((unsigned char) p[i])) {
         return false;
      }
   }
   return n > 0;
}

/* FNV-1a of the n bytes of a key. */
static size_t
key_hash (const char *p, size_t n)
{
   uint64_t h = 14695981039346656037ULL;
   for (size_t i = 0; i < n; i++) {
      h = (h ^ (unsigned char) p[i]) * 1099511628211ULL;
   }
   return (size_t) h;
}

/* The slot of l->index where the kid named p[0..n) is, or the free slot
 * where it would go. */
static size_t
index_slot (const bql_layout_t *l, const char *p, size_t n)
{
   size_t mask = l->index_cap - 1;
   for (size_t s = key_hash (p, n) & mask;; s = (s + 1) & mask) {
      size_t k = l->index[s];
      if (!k || (strlen (l->kids[k - 1].key) == n && !memcmp (l->kids[k - 1].key, p, n))) {
         return s;
      }
   }
}

/* The kid of l named p[0..n), or NULL: a hash lookup, so that adding the
 * columns of a list is linear in their number (a 40,000-column list took
 * 6 s with a scan of the kids per column; issue 12). */
static bql_layout_t *
layout_find (const bql_layout_t *l, const char *p, size_t n)
{
   if (!l->index_cap) {
      return NULL;
   }
   size_t k = l->index[index_slot (l, p, n)];
   return k ? &l->kids[k - 1] : NULL;
}

/* A new kid of l named p[0..n), indexed. */
const bql_layout_t *
bql_layout_find (const bql_layout_t *l, const char *key, size_t len)
{
   return layout_find (l, key, len);
}

int
bql_columns_find (const bql_columns_t *c, const char *path)
{
   const bql_layout_t *l = &c->root;
   const char *p = path;
   for (;;) {
      const char *dot = strchr (p, '.');
      size_t n = dot ? (size_t) (dot - p) : strlen (p);
      l = layout_find (l, p, n);
      if (!l) {
         return -1;
      }
      if (!dot) {
         return l->col;
      }
      p = dot + 1;
   }
}

static bql_layout_t *
layout_new_kid (bql_layout_t *l, const char *p, size_t n)
{
   if (l->nkids == l->kids_cap) {
      l->kids_cap = l->kids_cap ? l->kids_cap * 2 : 4;
      l->kids = bson_realloc (l->kids, sizeof *l->kids * l->kids_cap);
   }
   bql_layout_t *kid = &l->kids[l->nkids++];
   memset (kid, 0, sizeof *kid);
   kid->key = bson_strndup (p, n);
   kid->col = -1;
   if (l->nkids * 2 > l->index_cap) {
      /* rehash into twice the room */
      bson_free (l->index);
      l->index_cap = l->index_cap ? l->index_cap * 2 : 8;
      l->index = bson_malloc0 (sizeof *l->index * l->index_cap);
      for (size_t i = 0; i < l->nkids; i++) {
         l->index[index_slot (l, l->kids[i].key, strlen (l->kids[i].key))] = i + 1;
      }
   } else {
      l->index[index_slot (l, p, n)] = l->nkids;
   }
   return kid;
}

/* Insert column index col at dotted path p under node l (depth: parts
 * above it). With arrays, a numeric part below the top level is an
 * array index: the first under a name must be 0 and each new one the
 * next; names and indexes cannot mix under one name. */
static layout_rc_t
layout_add (bql_layout_t *l, const char *p, int col, bool arrays, int depth)
{
   const char *dot = strchr (p, '.');
   size_t n = dot ? (size_t) (dot - p) : strlen (p);
   bql_layout_t *kid = layout_find (l, p, n);
   if (!kid && arrays && depth > 0) {
      bool index = all_digits (p, n);
      if (l->nkids > 0 && index != l->array) {
         return LAYOUT_MIXED;
      }
      if (index) {
         char want[24];
         int wl = snprintf (want, sizeof want, "%zu", l->nkids);
         if ((size_t) wl != n || strncmp (want, p, n) != 0) {
            return LAYOUT_INDEX;
         }
         l->array = true;
      }
   }
   if (!kid) {
      kid = layout_new_kid (l, p, n);
   } else if (!dot || kid->col >= 0) {
      return LAYOUT_OVERLAP; /* "a" twice, or "a" and "a.b" */
   }
   if (!dot) {
      if (kid->nkids) {
         return LAYOUT_OVERLAP;
      }
      kid->col = col;
      return LAYOUT_OK;
   }
   return layout_add (kid, dot + 1, col, arrays, depth + 1);
}

bool
bql_columns_add (bql_columns_t *c, const char *path, bql_coltype_t type, char *err, size_t errlen)
{
   const char *p = path;
   for (size_t parts = 1;; parts++) {
      const char *dot = strchr (p, '.');
      size_t n = dot ? (size_t) (dot - p) : strlen (p);
      if (parts > BQL_MAX_PATH_PARTS) {
         int shown = 60; /* the name's start, cut between UTF-8 characters */
         while (shown > 0 && ((unsigned char) path[shown] & 0xC0) == 0x80) {
            shown--;
         }
         snprintf (err, errlen,
                   "column name \"%.*s...\" has more than %d dotted parts: a document nests at most %d levels",
                   shown, path, BQL_MAX_PATH_PARTS, BQL_MAX_PATH_PARTS);
         return false;
      }
      if (n == 0) {
         snprintf (err, errlen, "column name \"%s\" has an empty part", path);
         return false;
      }
      if (*p == '$') {
         snprintf (err, errlen, "column name \"%s\" has a part starting with '$'", path);
         return false;
      }
      if (!dot) {
         break;
      }
      p = dot + 1;
   }
   switch (layout_add (&c->root, path, (int) c->n, c->array_index, 0)) {
   case LAYOUT_OK:
      break;
   case LAYOUT_OVERLAP:
      snprintf (err, errlen, "column \"%s\" is given twice or overlaps another column", path);
      return false;
   case LAYOUT_INDEX:
      snprintf (err, errlen,
                "column \"%s\": array indexes must start at 0 and increase by one from column to column "
                "(array_index_fields)",
                path);
      return false;
   case LAYOUT_MIXED:
      snprintf (err, errlen, "column \"%s\": array indexes and field names cannot be mixed under one name "
                             "(array_index_fields)",
                path);
      return false;
   }
   if ((c->n & (c->n - 1)) == 0) {
      /* room for a power of two of columns: grows by doubling */
      c->cols = bson_realloc (c->cols, sizeof *c->cols * (c->n ? c->n * 2 : 1));
   }
   memset (&c->cols[c->n], 0, sizeof c->cols[c->n]);
   c->cols[c->n].path = bson_strdup (path);
   c->cols[c->n].type = type;
   c->n++;
   return true;
}

/* FORMAT 'x' of column d: a layout for DATE and TIMESTAMP, 'hex' or
 * 'base64' for BINARY, and no other type takes one. The error is located
 * from the FORMAT keyword to the end of the column. */
static bool
format_check (bql_planner_t *pl, const bql_ColumnDef_t *d, bql_coltype_t t)
{
   int64_t off = d->node.location, len = d->node.length;
   const char *src = pl->source + d->node.location;
   for (int64_t i = (int64_t) strlen (d->name); i + 6 <= d->node.length; i++) {
      if (!strncasecmp (src + i, "FORMAT", 6)) {
         off = d->node.location + i;
         len = d->node.length - i;
         break;
      }
   }
   if (t == BQL_COL_BINARY) {
      if (strcasecmp (d->format, "hex") != 0 && strcasecmp (d->format, "base64") != 0) {
         return bql_plan_error_at (pl, off, len, BQL_ERR_TYPE, "Use FORMAT 'hex' or FORMAT 'base64' (the default).",
                                   "unknown BINARY format '%s'", d->format);
      }
      return true;
   }
   if (t == BQL_COL_DATE || t == BQL_COL_TIMESTAMP) {
      if (!strchr (d->format, '%')) {
         return bql_plan_error_at (pl, off, len, BQL_ERR_TYPE, "A layout uses strftime letters, as '%d/%m/%Y %H:%M'.",
                                   "the layout '%s' of a %s column has no %% field", d->format, bql_coltype_name (t));
      }
      return true;
   }
   return bql_plan_error_at (pl, off, len, BQL_ERR_TYPE, "FORMAT applies to DATE, TIMESTAMP and BINARY columns.",
                             "%s %s column takes no FORMAT", t == BQL_COL_INT || t == BQL_COL_OBJECTID ? "an" : "a",
                             t == BQL_COL_AUTO ? "untyped" : bql_coltype_name (t));
}

bool
bql_columns_init (bql_planner_t *pl, const bql_list_t *defs, bql_columns_t *c)
{
   memset (c, 0, sizeof *c);
   c->root.col = -1;
   for (int32_t i = 0; defs && i < defs->length; i++) {
      const bql_ColumnDef_t *d = bql_cast (ColumnDef, defs->items[i]);
      bql_coltype_t t = BQL_COL_AUTO;
      if (d->type_name && !coltype_from_name (d->type_name, &t)) {
         const char *best = NULL;
         int bd = 99;
         for (size_t k = 0; k < sizeof type_names / sizeof type_names[0]; k++) {
            int dd = bql_edit_distance (d->type_name, strlen (d->type_name), type_names[k].name, strlen (type_names[k].name));
            if (dd < bd) {
               bd = dd;
               best = type_names[k].name;
            }
         }
         char hint[200];
         if (bd <= 2) {
            snprintf (hint, sizeof hint, "Did you mean %s?", best);
         } else {
            snprintf (hint, sizeof hint,
                      "Types are INT, BIGINT, DOUBLE, DECIMAL, STRING, BOOL, DATE, TIMESTAMP, OBJECTID, JSON and BINARY.");
         }
         const char *src = pl->source + d->node.location;
         const char *tp = strstr (src, d->type_name);
         int64_t off = tp && tp - src < d->node.length ? d->node.location + (tp - src) : d->node.location;
         bql_columns_cleanup (c);
         return bql_plan_error_at (pl, off, (int64_t) strlen (d->type_name), BQL_ERR_TYPE, hint, "unknown column type %s",
                                   d->type_name);
      }
      if (d->format && !format_check (pl, d, t)) {
         bql_columns_cleanup (c);
         return false;
      }
      char err[300];
      if (!bql_columns_add (c, d->name, t, err, sizeof err)) {
         bql_columns_cleanup (c);
         return bql_plan_error (pl, &d->node, BQL_ERR_VALUE, NULL, "%s", err);
      }
      c->cols[c->n - 1].node = &d->node;
      if (d->format) {
         c->cols[c->n - 1].format = bson_strdup (d->format);
      }
   }
   return true;
}

/* The first column under l (for a message). */
static int
first_col (const bql_layout_t *l)
{
   while (l->col < 0 && l->nkids > 0) {
      l = &l->kids[0];
   }
   return l->col;
}

static bool
emit (const bql_columns_t *c, const bql_layout_t *l, bson_t *doc, const bson_value_t *vals, char *err, size_t errlen)
{
   int left_out = -1; /* array: the first element left out */
   for (size_t i = 0; i < l->nkids; i++) {
      const bql_layout_t *k = &l->kids[i];
      if (k->col >= 0) {
         if (vals[k->col].value_type == BSON_TYPE_EOD) {
            if (l->array && left_out < 0) {
               left_out = k->col;
            }
            continue; /* column left out of this row */
         }
      }
      if (left_out >= 0) {
         snprintf (err, errlen, "column %s is left out (blanks = 'omit'), so column %s cannot be stored at its array index",
                   c->cols[left_out].path, c->cols[first_col (k)].path);
         return false;
      }
      if (k->col >= 0) {
         if (!bson_append_value (doc, k->key, -1, &vals[k->col])) {
            snprintf (err, errlen, "the document cannot be built");
            return false;
         }
      } else {
         bson_t sub;
         bool begun = k->array ? bson_append_array_begin (doc, k->key, -1, &sub)
                               : bson_append_document_begin (doc, k->key, -1, &sub);
         if (!begun) {
            snprintf (err, errlen, "the document cannot be built");
            return false;
         }
         bool ok = emit (c, k, &sub, vals, err, errlen);
         bool ended = k->array ? bson_append_array_end (doc, &sub) : bson_append_document_end (doc, &sub);
         if (!ended || !ok) {
            return false;
         }
      }
   }
   return true;
}

bool
bql_columns_emit (const bql_columns_t *c, bson_t *doc, const bson_value_t *vals)
{
   char err[300];
   return emit (c, &c->root, doc, vals, err, sizeof err);
}

bool
bql_columns_emit_row (const bql_columns_t *c, bson_t *doc, const bson_value_t *vals, char *err, size_t errlen)
{
   return emit (c, &c->root, doc, vals, err, errlen);
}

/* ---- conversion ---- */

bool
bql_parse_int64 (const char *s, size_t len, int64_t *out)
{
   /* what strtoll (base 10) took of a copy of s shorter than 32 bytes
    * starting with a digit or a sign, when it took all of it without
    * ERANGE: an optional sign, then digits, within int64 */
   if (len == 0 || len >= 32) {
      return false;
   }
   size_t i = s[0] == '-' || s[0] == '+' ? 1 : 0, first = i;
   bool neg = s[0] == '-';
   uint64_t u = 0;
   for (; i < len; i++) {
      unsigned d = (unsigned) ((unsigned char) s[i] - '0');
      if (d > 9) {
         if (s[i] == '\0') {
            break; /* strtoll stopped there, and took the text before it */
         }
         return false;
      }
      /* 19 digits fit: only a longer number can overflow */
      if (i - first >= 19 && u > (UINT64_MAX - d) / 10) {
         return false;
      }
      u = u * 10 + d;
   }
   if (i == first) {
      return false; /* no digit (before a NUL) */
   }
   if (u > (uint64_t) INT64_MAX + neg) {
      return false;
   }
   *out = neg ? (u ? -(int64_t) (u - 1) - 1 : 0) : (int64_t) u;
   return true;
}

bool
bql_parse_bool (const char *s, size_t len, bool *out)
{
   /* in any case (ASCII: no locale is set): true t yes y 1 and false f
    * no n 0 */
   char lc[5];
   if (len == 0 || len > sizeof lc) {
      return false;
   }
   for (size_t i = 0; i < len; i++) {
      char c = s[i];
      lc[i] = c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
   }
   bool yes;
   switch (len) {
   case 1:
      yes = lc[0] == 't' || lc[0] == 'y' || lc[0] == '1';
      if (!yes && lc[0] != 'f' && lc[0] != 'n' && lc[0] != '0') {
         return false;
      }
      break;
   case 2:
      yes = false;
      if (memcmp (lc, "no", 2) != 0) {
         return false;
      }
      break;
   case 3:
   case 4:
      yes = true;
      if (memcmp (lc, len == 3 ? "yes" : "true", len) != 0) {
         return false;
      }
      break;
   default:
      yes = false;
      if (memcmp (lc, "false", 5) != 0) {
         return false;
      }
      break;
   }
   *out = yes;
   return true;
}

bool
bql_parse_number (const char *s, size_t len, double *out)
{
   char buf[64];
   if (len == 0 || len >= sizeof buf) {
      return false;
   }
   memcpy (buf, s, len);
   buf[len] = '\0';
   /* decimal notation only: strtod would also take spaces, hexadecimal,
    * "inf" and "nan" */
   if (strspn (buf, "0123456789+-.eE") != len) {
      return false;
   }
   char *end;
   errno = 0;
   double v = strtod (buf, &end);
   if (*end || end == buf || !isfinite (v)) {
      return false;
   }
   *out = v;
   return true;
}

bql_coltype_t
bql_infer_value (const char *s, size_t len, bson_value_t *out)
{
   memset (out, 0, sizeof *out);
   if ((len == 4 && !strncasecmp (s, "true", 4)) || (len == 5 && !strncasecmp (s, "false", 5))) {
      out->value_type = BSON_TYPE_BOOL;
      out->value.v_bool = len == 4;
      return BQL_COL_BOOL;
   }
   size_t i = len > 0 && (s[0] == '-' || s[0] == '+') ? 1 : 0;
   if (i + 1 < len && s[i] == '0' && isdigit ((unsigned char) s[i + 1])) {
      return BQL_COL_STRING; /* a leading zero: a code, not a number */
   }
   if (i < len && all_digits (s + i, len - i)) {
      int64_t v;
      if (!bql_parse_int64 (s, len, &v)) {
         return BQL_COL_STRING; /* beyond int64: kept as written */
      }
      if (v >= INT32_MIN && v <= INT32_MAX) {
         out->value_type = BSON_TYPE_INT32;
         out->value.v_int32 = (int32_t) v;
         return BQL_COL_INT;
      }
      out->value_type = BSON_TYPE_INT64;
      out->value.v_int64 = v;
      return BQL_COL_BIGINT;
   }
   double d;
   if (bql_parse_number (s, len, &d)) {
      out->value_type = BSON_TYPE_DOUBLE;
      out->value.v_double = d;
      return BQL_COL_DOUBLE;
   }
   int64_t ms;
   if (len > 0 && isdigit ((unsigned char) s[0]) && bql_parse_iso8601 (s, len, &ms)) {
      out->value_type = BSON_TYPE_DATE_TIME;
      out->value.v_datetime = ms;
      return BQL_COL_TIMESTAMP;
   }
   return BQL_COL_STRING;
}

bql_coltype_t
bql_infer_text (const char *s, size_t len)
{
   bson_value_t v;
   return bql_infer_value (s, len, &v);
}

static bool
numeric (bql_coltype_t t)
{
   return t == BQL_COL_INT || t == BQL_COL_BIGINT || t == BQL_COL_DOUBLE;
}

bql_coltype_t
bql_infer_join (bql_coltype_t a, bql_coltype_t b)
{
   if (a == BQL_COL_AUTO || a == b) {
      return b;
   }
   if (b == BQL_COL_AUTO) {
      return a;
   }
   if (numeric (a) && numeric (b)) {
      return a > b ? a : b; /* INT < BIGINT < DOUBLE in the enum */
   }
   return BQL_COL_STRING;
}

static int
hex_digit (char c)
{
   return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int
b64_digit (char c)
{
   return c >= 'A' && c <= 'Z'   ? c - 'A'
          : c >= 'a' && c <= 'z' ? c - 'a' + 26
          : c >= '0' && c <= '9' ? c - '0' + 52
          : c == '+'             ? 62
          : c == '/'             ? 63
                                 : -1;
}

/* Hex or base64 (RFC 4648, padded, as Extended JSON writes it) text as
 * BSON binary subtype 0. */
static bool
convert_binary (const char *fmt, const char *s, size_t len, bson_value_t *out, char *err, size_t errlen)
{
   bool hex = fmt && !strcasecmp (fmt, "hex");
   uint8_t *data = bson_malloc (len / 2 + 4);
   size_t n = 0;
   bool ok = true;
   if (hex) {
      ok = len % 2 == 0;
      for (size_t i = 0; ok && i < len; i += 2) {
         int hi = hex_digit (s[i]), lo = hex_digit (s[i + 1]);
         ok = hi >= 0 && lo >= 0;
         data[n++] = (uint8_t) (hi * 16 + lo);
      }
   } else {
      ok = len % 4 == 0;
      for (size_t i = 0; ok && i < len; i += 4) {
         int d[4];
         int pad = 0;
         for (int k = 0; k < 4; k++) {
            if (s[i + k] == '=' && i + 4 == len && k >= 2) {
               d[k] = 0;
               pad++;
            } else {
               d[k] = pad ? -1 : b64_digit (s[i + k]);
               ok = ok && d[k] >= 0;
            }
         }
         if (!ok) {
            break;
         }
         uint32_t v = (uint32_t) (d[0] << 18 | d[1] << 12 | d[2] << 6 | d[3]);
         data[n++] = (uint8_t) (v >> 16);
         if (pad < 2) {
            data[n++] = (uint8_t) (v >> 8);
         }
         if (pad < 1) {
            data[n++] = (uint8_t) v;
         }
      }
   }
   if (!ok) {
      bson_free (data);
      snprintf (err, errlen, "\"%.*s%s\" is not %s", (int) (len > 40 ? 40 : len), s, len > 40 ? "..." : "",
                hex ? "hexadecimal (FORMAT 'hex': two digits a byte)" : "base64 (RFC 4648, padded with '=')");
      return false;
   }
   out->value_type = BSON_TYPE_BINARY;
   out->value.v_binary.subtype = BSON_SUBTYPE_BINARY;
   out->value.v_binary.data = data;
   out->value.v_binary.data_len = (uint32_t) n;
   return true;
}

/* Text read with a strptime layout, as milliseconds since the epoch (UTC
 * unless the layout reads an offset with %z). */
static bool
convert_layout (bql_coltype_t t, const char *fmt, const char *s, size_t len, bson_value_t *out, char *err, size_t errlen)
{
   char buf[256];
   const char *rest = NULL;
   struct tm tm;
   memset (&tm, 0, sizeof tm);
   tm.tm_mday = 1;
   if (len < sizeof buf && !memchr (s, '\0', len)) {
      memcpy (buf, s, len);
      buf[len] = '\0';
      rest = strptime (buf, fmt, &tm);
   }
   if (!rest || *rest) {
      snprintf (err, errlen, "\"%.*s%s\" does not match the %s layout '%s'%s", (int) (len > 40 ? 40 : len), s,
                len > 40 ? "..." : "", bql_coltype_name (t), fmt, rest && *rest ? " (text is left over)" : "");
      return false;
   }
   long off = tm.tm_gmtoff;
   tm.tm_isdst = 0;
   time_t secs = timegm (&tm);
   out->value_type = BSON_TYPE_DATE_TIME;
   out->value.v_datetime = ((int64_t) secs - off) * 1000;
   return true;
}

/* NaN and ±Infinity as a DOUBLE column reads them (bql_convert_text): the
 * spellings mongoimport's double() takes (Go's strconv.ParseFloat). */
static bool
parse_special_double (const char *s, size_t len, double *out)
{
   if (len == 3 && !strncasecmp (s, "nan", 3)) {
      *out = NAN;
      return true;
   }
   double sign = 1.0;
   if (len > 0 && (s[0] == '+' || s[0] == '-')) {
      sign = s[0] == '-' ? -1.0 : 1.0;
      s++;
      len--;
   }
   if ((len == 3 && !strncasecmp (s, "inf", 3)) || (len == 8 && !strncasecmp (s, "infinity", 8))) {
      *out = sign * INFINITY;
      return true;
   }
   return false;
}

static bool
convert_text (bql_coltype_t t, const char *s, size_t len, const bql_convert_opts_t *opts, bson_value_t *out,
              bool *borrowed, char *err, size_t errlen)
{
   memset (out, 0, sizeof *out);
   int64_t i;
   double d;
   switch (t) {
   case BQL_COL_AUTO:
   case BQL_COL_STRING:
      if (!bson_utf8_validate (s, len, false)) {
         snprintf (err, errlen, "not valid UTF-8");
         return false;
      }
      out->value_type = BSON_TYPE_UTF8;
      if (opts && opts->borrow_text && borrowed) {
         out->value.v_utf8.str = (char *) s;
         *borrowed = true;
      } else {
         out->value.v_utf8.str = bson_strndup (s, len);
      }
      out->value.v_utf8.len = (uint32_t) len;
      return true;
   case BQL_COL_INT:
   case BQL_COL_BIGINT:
      if (!bql_parse_int64 (s, len, &i)) {
         snprintf (err, errlen, "\"%.*s\" is not an integer", (int) (len > 40 ? 40 : len), s);
         return false;
      }
      if (t == BQL_COL_INT) {
         if (i < INT32_MIN || i > INT32_MAX) {
            snprintf (err, errlen, "%lld is out of range for INT", (long long) i);
            return false;
         }
         out->value_type = BSON_TYPE_INT32;
         out->value.v_int32 = (int32_t) i;
      } else {
         out->value_type = BSON_TYPE_INT64;
         out->value.v_int64 = i;
      }
      return true;
   case BQL_COL_DOUBLE:
      if (!bql_parse_number (s, len, &d) && !parse_special_double (s, len, &d)) {
         snprintf (err, errlen, "\"%.*s\" is not a number", (int) (len > 40 ? 40 : len), s);
         return false;
      }
      out->value_type = BSON_TYPE_DOUBLE;
      out->value.v_double = d;
      return true;
   case BQL_COL_DECIMAL: {
      char buf[64];
      if (len == 0 || len >= sizeof buf) {
         snprintf (err, errlen, "not a decimal number");
         return false;
      }
      memcpy (buf, s, len);
      buf[len] = '\0';
      if (!bson_decimal128_from_string (buf, &out->value.v_decimal128)) {
         snprintf (err, errlen, "\"%s\" is not a decimal number", buf);
         return false;
      }
      out->value_type = BSON_TYPE_DECIMAL128;
      return true;
   }
   case BQL_COL_BOOL: {
      bool b;
      if (bql_parse_bool (s, len, &b)) {
         out->value_type = BSON_TYPE_BOOL;
         out->value.v_bool = b;
         return true;
      }
      snprintf (err, errlen, "\"%.*s\" is not a boolean", (int) (len > 40 ? 40 : len), s);
      return false;
   }
   case BQL_COL_DATE:
   case BQL_COL_TIMESTAMP: {
      int64_t ms;
      if (!bql_parse_iso8601 (s, len, &ms)) {
         snprintf (err, errlen, "\"%.*s\" is not an ISO 8601 date", (int) (len > 40 ? 40 : len), s);
         return false;
      }
      out->value_type = BSON_TYPE_DATE_TIME;
      out->value.v_datetime = ms;
      return true;
   }
   case BQL_COL_OBJECTID:
      if (len != 24 || !bson_oid_is_valid (s, 24)) {
         snprintf (err, errlen, "\"%.*s\" is not an ObjectId (24 hexadecimal digits)", (int) (len > 40 ? 40 : len), s);
         return false;
      }
      out->value_type = BSON_TYPE_OID;
      bson_oid_init_from_string (&out->value.v_oid, s);
      return true;
   case BQL_COL_BINARY:
      return convert_binary (NULL, s, len, out, err, errlen);
   case BQL_COL_JSON: {
      bql_json_error_t jerr;
      bool parsed = opts && opts->json ? opts->json (opts->json_ctx, s, len, out, &jerr)
                                       : bql_json_parse_value (s, len, out, &jerr);
      if (!parsed) {
         if (jerr.code == BQL_JSON_TRAILING || jerr.code == BQL_JSON_TOO_DEEP || jerr.code == BQL_JSON_BAD_DATE ||
             jerr.code == BQL_JSON_BAD_VALUE) {
            snprintf (err, errlen, "%s (character %zu of the value)", jerr.message,
                      bql_utf8_chars (s, jerr.offset) + 1);
         } else {
            snprintf (err, errlen, "%s", jerr.message);
         }
         return false;
      }
      return true;
   }
   }
   snprintf (err, errlen, "unknown type");
   return false;
}

bool
bql_column_convert_text_ex (const bql_column_t *col, const char *s, size_t len, const bql_convert_opts_t *opts,
                            bson_value_t *out, bool *borrowed, char *err, size_t errlen)
{
   memset (out, 0, sizeof *out);
   if (borrowed) {
      *borrowed = false;
   }
   if (col->type == BQL_COL_BINARY) {
      return convert_binary (col->format, s, len, out, err, errlen);
   }
   if ((col->type == BQL_COL_DATE || col->type == BQL_COL_TIMESTAMP) && col->format) {
      return convert_layout (col->type, col->format, s, len, out, err, errlen);
   }
   return convert_text (col->type, s, len, opts, out, borrowed, err, errlen);
}

bool
bql_column_convert_text (const bql_column_t *col, const char *s, size_t len, bson_value_t *out, char *err,
                         size_t errlen)
{
   return bql_column_convert_text_ex (col, s, len, NULL, out, NULL, err, errlen);
}

bool
bql_column_convert_value (const bql_column_t *col, bson_value_t *v, char *err, size_t errlen)
{
   bool custom = col->type == BQL_COL_BINARY ||
                 ((col->type == BQL_COL_DATE || col->type == BQL_COL_TIMESTAMP) && col->format);
   if (custom && v->value_type == BSON_TYPE_UTF8) {
      bson_value_t out;
      if (!bql_column_convert_text (col, v->value.v_utf8.str, v->value.v_utf8.len, &out, err, errlen)) {
         return false;
      }
      bson_value_destroy (v);
      *v = out;
      return true;
   }
   return bql_convert_value (col->type, v, err, errlen);
}

bool
bql_convert_text (bql_coltype_t t, const char *s, size_t len, bson_value_t *out, char *err, size_t errlen)
{
   return convert_text (t, s, len, NULL, out, NULL, err, errlen);
}

bool
bql_convert_value (bql_coltype_t t, bson_value_t *v, char *err, size_t errlen)
{
   bson_value_t out;
   switch (v->value_type) {
   case BSON_TYPE_NULL:
   case BSON_TYPE_EOD:
      return true;
   case BSON_TYPE_UTF8:
      if (t == BQL_COL_AUTO || t == BQL_COL_STRING) {
         return true;
      }
      if (!bql_convert_text (t, v->value.v_utf8.str, v->value.v_utf8.len, &out, err, errlen)) {
         return false;
      }
      bson_value_destroy (v);
      *v = out;
      return true;
   case BSON_TYPE_INT32:
   case BSON_TYPE_INT64: {
      int64_t i = v->value_type == BSON_TYPE_INT32 ? v->value.v_int32 : v->value.v_int64;
      switch (t) {
      case BQL_COL_AUTO:
         return true;
      case BQL_COL_INT:
         if (i < INT32_MIN || i > INT32_MAX) {
            snprintf (err, errlen, "%lld is out of range for INT", (long long) i);
            return false;
         }
         v->value_type = BSON_TYPE_INT32;
         v->value.v_int32 = (int32_t) i;
         return true;
      case BQL_COL_BIGINT:
         v->value_type = BSON_TYPE_INT64;
         v->value.v_int64 = i;
         return true;
      case BQL_COL_DOUBLE:
         v->value_type = BSON_TYPE_DOUBLE;
         v->value.v_double = (double) i;
         return true;
      case BQL_COL_DECIMAL: {
         char buf[32];
         snprintf (buf, sizeof buf, "%lld", (long long) i);
         bson_decimal128_from_string (buf, &v->value.v_decimal128);
         v->value_type = BSON_TYPE_DECIMAL128;
         return true;
      }
      default:
         break;
      }
      break;
   }
   case BSON_TYPE_DOUBLE:
      if (t == BQL_COL_AUTO || t == BQL_COL_DOUBLE) {
         return true;
      }
      if (t == BQL_COL_DECIMAL) {
         char buf[40];
         snprintf (buf, sizeof buf, "%.17g", v->value.v_double);
         bson_decimal128_from_string (buf, &v->value.v_decimal128);
         v->value_type = BSON_TYPE_DECIMAL128;
         return true;
      }
      if ((t == BQL_COL_INT || t == BQL_COL_BIGINT) && v->value.v_double != floor (v->value.v_double)) {
         snprintf (err, errlen, "%.17g is not an integer", v->value.v_double);
         return false;
      }
      if ((t == BQL_COL_INT || t == BQL_COL_BIGINT) && fabs (v->value.v_double) < 9.0e15) {
         int64_t i = (int64_t) v->value.v_double;
         if (t == BQL_COL_INT && (i < INT32_MIN || i > INT32_MAX)) {
            snprintf (err, errlen, "%lld is out of range for INT", (long long) i);
            return false;
         }
         if (t == BQL_COL_INT) {
            v->value_type = BSON_TYPE_INT32;
            v->value.v_int32 = (int32_t) i;
         } else {
            v->value_type = BSON_TYPE_INT64;
            v->value.v_int64 = i;
         }
         return true;
      }
      break;
   case BSON_TYPE_BOOL:
      if (t == BQL_COL_AUTO || t == BQL_COL_BOOL) {
         return true;
      }
      break;
   case BSON_TYPE_DATE_TIME:
      if (t == BQL_COL_AUTO || t == BQL_COL_DATE || t == BQL_COL_TIMESTAMP) {
         return true;
      }
      break;
   case BSON_TYPE_OID:
      if (t == BQL_COL_AUTO || t == BQL_COL_OBJECTID) {
         return true;
      }
      break;
   case BSON_TYPE_BINARY:
      if (t == BQL_COL_AUTO || t == BQL_COL_BINARY || t == BQL_COL_JSON) {
         return true;
      }
      break;
   case BSON_TYPE_DECIMAL128:
      if (t == BQL_COL_AUTO || t == BQL_COL_DECIMAL) {
         return true;
      }
      break;
   case BSON_TYPE_DOCUMENT:
   case BSON_TYPE_ARRAY:
      if (t == BQL_COL_AUTO || t == BQL_COL_JSON) {
         return true;
      }
      break;
   default:
      if (t == BQL_COL_AUTO || t == BQL_COL_JSON) {
         return true;
      }
      break;
   }
   bql_val_t view;
   memset (&view, 0, sizeof view);
   view.v = *v;
   snprintf (err, errlen, "%s does not fit %s %s column", bql_val_type_name (&view),
             t == BQL_COL_INT || t == BQL_COL_OBJECTID ? "an" : "a", bql_coltype_name (t));
   return false;
}
