/*
 * columns.c — column lists: their types (SPEC §4: INT, BIGINT, DOUBLE,
 * DECIMAL, STRING, BOOL, DATE, TIMESTAMP, OBJECTID, JSON), the conversion
 * of values to those types, and the layout that turns a row of values into
 * a document, dotted names becoming nested documents ("address.city" →
 * {address: {city: ...}}). The layout is built once per statement so that
 * rows are assembled without looking names up again.
 */
#include <ctype.h>
#include <errno.h>
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
};

const char *
bql_coltype_name (bql_coltype_t t)
{
   static const char *const names[] = {"auto",   "INT",  "BIGINT", "DOUBLE",    "DECIMAL", "STRING",
                                       "BOOL",   "DATE", "TIMESTAMP", "OBJECTID", "JSON"};
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
   bson_free (l->key);
}

void
bql_columns_cleanup (bql_columns_t *c)
{
   for (size_t i = 0; i < c->n; i++) {
      bson_free (c->cols[i].path);
   }
   bson_free (c->cols);
   layout_free (&c->root);
   memset (c, 0, sizeof *c);
}

/* Insert column index col at dotted path p under node l. */
static bool
layout_add (bql_layout_t *l, const char *p, int col)
{
   const char *dot = strchr (p, '.');
   size_t n = dot ? (size_t) (dot - p) : strlen (p);
   bql_layout_t *kid = NULL;
   for (size_t i = 0; i < l->nkids; i++) {
      if (strlen (l->kids[i].key) == n && !strncmp (l->kids[i].key, p, n)) {
         kid = &l->kids[i];
      }
   }
   if (!kid) {
      l->kids = bson_realloc (l->kids, sizeof *l->kids * (l->nkids + 1));
      kid = &l->kids[l->nkids++];
      memset (kid, 0, sizeof *kid);
      kid->key = bson_strndup (p, n);
      kid->col = -1;
   } else if (!dot || kid->col >= 0) {
      return false; /* "a" twice, or "a" and "a.b" */
   }
   if (!dot) {
      if (kid->nkids) {
         return false;
      }
      kid->col = col;
      return true;
   }
   return layout_add (kid, dot + 1, col);
}

bool
bql_columns_add (bql_columns_t *c, const char *path, bql_coltype_t type, char *err, size_t errlen)
{
   const char *p = path;
   for (;;) {
      const char *dot = strchr (p, '.');
      size_t n = dot ? (size_t) (dot - p) : strlen (p);
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
   if (!layout_add (&c->root, path, (int) c->n)) {
      snprintf (err, errlen, "column \"%s\" is given twice or overlaps another column", path);
      return false;
   }
   c->cols = bson_realloc (c->cols, sizeof *c->cols * (c->n + 1));
   c->cols[c->n].path = bson_strdup (path);
   c->cols[c->n].type = type;
   c->n++;
   return true;
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
            snprintf (hint, sizeof hint, "Types are INT, BIGINT, DOUBLE, DECIMAL, STRING, BOOL, DATE, TIMESTAMP, OBJECTID and JSON.");
         }
         const char *src = pl->source + d->node.location;
         const char *tp = strstr (src, d->type_name);
         int64_t off = tp && tp - src < d->node.length ? d->node.location + (tp - src) : d->node.location;
         bql_columns_cleanup (c);
         return bql_plan_error_at (pl, off, (int64_t) strlen (d->type_name), BQL_ERR_TYPE, hint, "unknown column type %s",
                                   d->type_name);
      }
      char err[300];
      if (!bql_columns_add (c, d->name, t, err, sizeof err)) {
         bql_columns_cleanup (c);
         return bql_plan_error (pl, &d->node, BQL_ERR_VALUE, NULL, "%s", err);
      }
      c->cols[c->n - 1].node = &d->node;
   }
   return true;
}

static bool
emit (const bql_layout_t *l, bson_t *doc, const bson_value_t *vals)
{
   for (size_t i = 0; i < l->nkids; i++) {
      const bql_layout_t *k = &l->kids[i];
      if (k->col >= 0) {
         if (vals[k->col].value_type == BSON_TYPE_EOD) {
            continue; /* column left out of this row */
         }
         if (!bson_append_value (doc, k->key, -1, &vals[k->col])) {
            return false;
         }
      } else {
         bson_t sub;
         if (!bson_append_document_begin (doc, k->key, -1, &sub)) {
            return false;
         }
         bool ok = emit (k, &sub, vals);
         if (!bson_append_document_end (doc, &sub) || !ok) {
            return false;
         }
      }
   }
   return true;
}

bool
bql_columns_emit (const bql_columns_t *c, bson_t *doc, const bson_value_t *vals)
{
   return emit (&c->root, doc, vals);
}

/* ---- conversion ---- */

static bool
parse_int64 (const char *s, size_t len, int64_t *out)
{
   char buf[32];
   if (len == 0 || len >= sizeof buf) {
      return false;
   }
   memcpy (buf, s, len);
   buf[len] = '\0';
   if (!isdigit ((unsigned char) buf[0]) && buf[0] != '-' && buf[0] != '+') {
      return false; /* strtoll would skip spaces */
   }
   char *end;
   errno = 0;
   long long v = strtoll (buf, &end, 10);
   if (errno || *end || end == buf) {
      return false;
   }
   *out = v;
   return true;
}

static bool
parse_double (const char *s, size_t len, double *out)
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

bool
bql_convert_text (bql_coltype_t t, const char *s, size_t len, bson_value_t *out, char *err, size_t errlen)
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
      out->value.v_utf8.str = bson_strndup (s, len);
      out->value.v_utf8.len = (uint32_t) len;
      return true;
   case BQL_COL_INT:
   case BQL_COL_BIGINT:
      if (!parse_int64 (s, len, &i)) {
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
      if (!parse_double (s, len, &d)) {
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
      static const char *const yes[] = {"true", "t", "yes", "y", "1"};
      static const char *const no[] = {"false", "f", "no", "n", "0"};
      for (size_t k = 0; k < 5; k++) {
         if (strlen (yes[k]) == len && !strncasecmp (s, yes[k], len)) {
            out->value_type = BSON_TYPE_BOOL;
            out->value.v_bool = true;
            return true;
         }
         if (strlen (no[k]) == len && !strncasecmp (s, no[k], len)) {
            out->value_type = BSON_TYPE_BOOL;
            out->value.v_bool = false;
            return true;
         }
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
   case BQL_COL_JSON: {
      bql_json_error_t jerr;
      if (!bql_json_parse_value (s, len, out, &jerr)) {
         if (jerr.code == BQL_JSON_TRAILING || jerr.code == BQL_JSON_BAD_DATE || jerr.code == BQL_JSON_BAD_VALUE) {
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
