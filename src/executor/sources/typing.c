/*
 * typing.c — a row's values as its columns say, and the checks every
 * good row passes, all through the planner: a CSV/TSV field's text is
 * converted to its column's type by bql_column_convert_text_ex (columns.c:
 * a STRING value points into the row's field buffer, not a copy, and a
 * JSON column is parsed by the parser csv.c hands it in f->csv.conv, the
 * JSON fast path, which this file does not call), or checked against the type inferred from the sample (bql_infer_value,
 * bql_infer_join); the listed columns of a JSON document are converted in
 * place by bql_column_convert_value; then no field name may start with
 * '$', the document must fit the server's 16 MiB, and CHECK is evaluated
 * by bql_eval_condition (eval.c) on the row. A value or row that does not
 * pass is a failed row with its reason ("line N: ...", bql_file_why, used
 * by csv.c and json.c too).
 */
#include <ctype.h>
#include <stdarg.h>
#include <string.h>

#include "file.h"

void
bql_file_why (bql_file_source_t *f, int64_t line, const char *fmt, ...)
{
   int n = snprintf (f->why, sizeof f->why, "line %lld: ", (long long) line);
   f->why_text = f->why + n;
   va_list ap;
   va_start (ap, fmt);
   vsnprintf (f->why + n, sizeof f->why - (size_t) n, fmt, ap);
   va_end (ap);
}

void
bql_shown (const char *s, size_t len, char *out, size_t size)
{
   size_t o = 0;
   for (size_t i = 0; i < len && o + 4 < size; i++) {
      if (i == 60) {
         memcpy (out + o, "...", 3);
         o += 3;
         break;
      }
      if (s[i] == '\0') {
         out[o++] = '\\';
         out[o++] = '0';
      } else {
         out[o++] = s[i];
      }
   }
   out[o] = '\0';
}

/* Field names: none may start with '$' (Extended JSON is already read as
 * values) or be empty of a name that MongoDB would refuse. */
static bool
keys_ok (bql_file_source_t *f, const bson_t *doc, char *path, size_t plen, int depth)
{
   bson_iter_t it;
   if (depth > BQL_SRC_MAX_DEPTH || !bson_iter_init (&it, doc)) {
      bql_file_why (f, f->rowline, "not a valid document");
      return false;
   }
   while (bson_iter_next (&it)) {
      const char *k = bson_iter_key (&it);
      size_t klen = strlen (k);
      size_t n = plen;
      if (n && n < 400) {
         path[n++] = '.';
      }
      size_t room = 400 - n;
      size_t copy = klen < room ? klen : room;
      memcpy (path + n, k, copy);
      path[n + copy] = '\0';
      if (k[0] == '$') {
         bql_file_why (f, f->rowline, "column \"%s\": a field name cannot start with '$'", path);
         return false;
      }
      bson_t sub;
      if (bql_iter_sub (&it, &sub) && !keys_ok (f, &sub, path, n + copy, depth + 1)) {
         return false;
      }
      path[plen] = '\0';
   }
   return true;
}

/* A column path as a column list spells it: each part that is not a
 * plain identifier in double quotes ("first name".x), at most size - 1
 * bytes. */
static void
path_in_sql (const char *path, char *out, size_t size)
{
   size_t o = 0;
   const char *p = path;
   while (*p && o + 8 < size) {
      size_t n = strcspn (p, ".");
      bool plain = n > 0 && (isalpha ((unsigned char) p[0]) || p[0] == '_');
      for (size_t i = 0; plain && i < n; i++) {
         plain = isalnum ((unsigned char) p[i]) || p[i] == '_';
      }
      if (!plain) {
         out[o++] = '"';
      }
      for (size_t i = 0; i < n && o + 6 < size; i++) {
         if (p[i] == '"') {
            out[o++] = '"';
         }
         out[o++] = p[i];
      }
      if (!plain) {
         out[o++] = '"';
      }
      p += n;
      if (*p == '.') {
         out[o++] = '.';
         p++;
      }
   }
   out[o] = '\0';
}

static const char *
article (bql_coltype_t t)
{
   return t == BQL_COL_INT || t == BQL_COL_OBJECTID ? "an" : "a";
}

bool
bql_typing_field (bql_file_source_t *f, size_t i, bson_value_t *v)
{
   const bql_field_t *fd = &f->csv.fields[i];
   const char *s = f->csv.fields_buf.data + fd->off;
   const bql_column_t *col = &f->cols->cols[i];
   bool *borrowed = &f->csv.borrowed[i];
   memset (v, 0, sizeof *v);
   *borrowed = false;
   if (!fd->null && f->fo.null_string && !strcmp (s, f->fo.null_string)) {
      v->value_type = BSON_TYPE_NULL;
      return true;
   }
   if (bql_field_blank (fd)) {
      /* blanks = 'null': an empty field is null, "" the empty string in a
       * text column; 'omit': the field is left out; 'empty': the empty
       * string in a text column. A column of another type holds no empty
       * string: null. */
      bool text = col->type == BQL_COL_STRING || col->type == BQL_COL_AUTO;
      if (f->fo.blanks == BQL_BLANKS_OMIT) {
         v->value_type = BSON_TYPE_EOD;
      } else if (text && (f->fo.blanks == BQL_BLANKS_EMPTY || !fd->null)) {
         v->value_type = BSON_TYPE_UTF8;
         v->value.v_utf8.str = (char *) "";
         v->value.v_utf8.len = 0;
         *borrowed = true;
      } else {
         v->value_type = BSON_TYPE_NULL;
      }
      return true;
   }
   if (memchr (s, '\0', fd->len)) {
      bql_file_why (f, f->csv.row_line, "column %s: the value contains a NUL byte", col->path);
      return false;
   }
   if (col->inferred && col->type != BQL_COL_STRING) { /* a STRING column takes any text */
      bql_coltype_t got = bql_infer_value (s, fd->len, v);
      bql_coltype_t fits = bql_infer_join (col->type, got);
      if (fits != col->type) {
         char shownv[80], sql[300];
         bql_shown (s, fd->len, shownv, sizeof shownv);
         path_in_sql (col->path, sql, sizeof sql);
         bql_file_why (f, f->csv.row_line,
                       "column %s: \"%s\" is not %s %s (the type inferred from the first %lld rows); give the column "
                       "a type in a column list, e.g. (%s %s), or raise infer_rows",
                       col->path, shownv, article (col->type), bql_coltype_name (col->type),
                       (long long) f->csv.sample_rows, sql, bql_coltype_name (fits));
         memset (v, 0, sizeof *v);
         return false;
      }
      /* widen to the column's type: INT → BIGINT, INT and BIGINT → DOUBLE
       * (a double rounds an int64 as strtod rounds its text) */
      if (col->type == BQL_COL_BIGINT && v->value_type == BSON_TYPE_INT32) {
         int64_t i = v->value.v_int32;
         v->value_type = BSON_TYPE_INT64;
         v->value.v_int64 = i;
      } else if (col->type == BQL_COL_DOUBLE && v->value_type != BSON_TYPE_DOUBLE) {
         double d = v->value_type == BSON_TYPE_INT32 ? (double) v->value.v_int32 : (double) v->value.v_int64;
         v->value_type = BSON_TYPE_DOUBLE;
         v->value.v_double = d;
      }
      return true;
   }
   char err[300];
   if (!bql_column_convert_text_ex (col, s, fd->len, &f->csv.conv, v, borrowed, err, sizeof err)) {
      bql_file_why (f, f->csv.row_line, "column %s: %s", col->path, err);
      return false;
   }
   return true;
}

/* Type the listed columns of a document read from JSON: the value at each
 * listed path is converted in place; other fields and the field order
 * stay as read. */
static bool
retype (bql_file_source_t *f, const bson_t *src, bson_t *dst, const bql_layout_t *node)
{
   bson_iter_t it;
   if (!bson_iter_init (&it, src)) {
      return false;
   }
   while (bson_iter_next (&it)) {
      const char *k = bson_iter_key (&it);
      const bql_layout_t *kid = bql_layout_find (node, k, strlen (k));
      if (!kid) {
         bson_append_iter (dst, NULL, 0, &it);
      } else if (kid->col >= 0) {
         const bql_column_t *col = &f->cols->cols[kid->col];
         bson_value_t v;
         bson_value_copy (bson_iter_value (&it), &v);
         char err[300];
         if (!bql_column_convert_value (col, &v, err, sizeof err)) {
            bql_file_why (f, f->rowline, "column %s: %s", col->path, err);
            bson_value_destroy (&v);
            return false;
         }
         bson_append_value (dst, k, -1, &v);
         bson_value_destroy (&v);
      } else if (BSON_ITER_HOLDS_DOCUMENT (&it)) {
         uint32_t len;
         const uint8_t *data;
         bson_iter_document (&it, &len, &data);
         bson_t sub, out;
         bson_init_static (&sub, data, len);
         bson_append_document_begin (dst, k, -1, &out);
         bool ok = retype (f, &sub, &out, kid);
         bson_append_document_end (dst, &out);
         if (!ok) {
            return false;
         }
      } else {
         bson_append_iter (dst, NULL, 0, &it); /* not a document: the path does not apply */
      }
   }
   return true;
}

static bool
type_json_columns (bql_file_source_t *f, bson_t *doc)
{
   if (!f->typed) {
      return true;
   }
   bson_t out = BSON_INITIALIZER;
   bool ok = retype (f, doc, &out, &f->cols->root);
   if (ok) {
      bson_reinit (doc);
      bson_concat (doc, &out);
   }
   bson_destroy (&out);
   return ok;
}

bql_row_rc_t
bql_typing_check_row (bql_file_source_t *f, bson_t *doc, bool json)
{
   if (json && !type_json_columns (f, doc)) {
      return BQL_ROW_FAILED;
   }
   char path[480];
   path[0] = '\0';
   /* a document the JSON fast path built has no '$' field name (checked
    * as it was built) unless typing changed it */
   bool keys_done = json ? f->json.facts.built && !f->typed : f->csv.row_keys_checked;
   if ((json || f->json_cols) && !keys_done && !keys_ok (f, doc, path, 0, 0)) {
      bson_reinit (doc); /* such a document cannot be logged either */
      return BQL_ROW_FAILED;
   }
   if (doc->len > BQL_SRC_MAX_DOC) {
      bql_file_why (f, f->rowline,
                    "the document is %u bytes, larger than the 16 MiB limit of the server (maxBsonObjectSize)",
                    (unsigned) doc->len);
      bson_reinit (doc); /* too large to log */
      return BQL_ROW_FAILED;
   }
   if (f->plan->check) {
      bql_error_t err;
      bql_error_clear (&err);
      size_t source_len;
      const char *source = bql_script_source (f->plan->script, &source_len);
      bql_planner_t pl = {f->plan, source, source_len, &err, NULL};
      f->rc.row = doc;
      bool pass, is_null;
      if (bql_eval_condition (&pl, &f->rc, f->plan->check, &pass, &is_null) != BQL_EVAL_OK) {
         bql_file_why (f, f->rowline, "CHECK: %s", err.message);
         return BQL_ROW_FAILED;
      }
      if (!pass && !is_null) {
         int len = (int) f->plan->check->length;
         bql_file_why (f, f->rowline, "CHECK (%.*s) failed", len, bql_script_source (f->plan->script, NULL) + f->plan->check->location);
         return BQL_ROW_FAILED;
      }
   }
   return BQL_ROW_OK;
}
