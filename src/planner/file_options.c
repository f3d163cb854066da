/*
 * file_options.c — the format, compression and (name = value) options of
 * FROM 'path' / FROM STDIN (SPEC §4). The format comes from FORMAT, else
 * from the file name (.csv, .tsv, .ndjson/.jsonl, .json, each optionally
 * .gz); options are checked against a table like the WITH options:
 * header, delimiter, quote, null_string, infer_rows, blanks and
 * array_index_fields for CSV and TSV, skip_lines for every format.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "planner.h"

static const char *const file_option_names[] = {"array_index_fields", "blanks", "delimiter", "header",
                                                "infer_rows", "null_string", "quote", "skip_lines"};

static bool
ends_with (const char *s, const char *suffix)
{
   size_t ls = strlen (s), lx = strlen (suffix);
   return ls >= lx && !strcasecmp (s + ls - lx, suffix);
}

void
bql_file_opts_cleanup (bql_file_opts_t *o)
{
   bson_free (o->null_string);
   memset (o, 0, sizeof *o);
}

static bool
one_char (bql_planner_t *pl, const bql_Option_t *opt, const bql_val_t *v, char *out)
{
   if (v->is_interval || v->v.value_type != BSON_TYPE_UTF8 || v->v.value.v_utf8.len != 1) {
      return bql_plan_error (pl, opt->value, BQL_ERR_OPTION, NULL, "file option \"%s\" takes one character, as '%s'",
                             opt->name, !strcmp (opt->name, "quote") ? "\"" : ";");
   }
   *out = v->v.value.v_utf8.str[0];
   return true;
}

bool
bql_file_options_resolve (bql_planner_t *pl, const bql_FileSource_t *fs, bql_file_opts_t *o)
{
   memset (o, 0, sizeof *o);
   const char *name = fs->path ? fs->path : "";
   char base[1024];
   snprintf (base, sizeof base, "%s", name);
   if (ends_with (base, ".gz")) {
      o->gzip = true;
      base[strlen (base) - 3] = '\0';
   }
   if (fs->compression) {
      o->gzip = !strcasecmp (fs->compression, "GZIP");
   }
   if (fs->format) {
      o->format = !strcasecmp (fs->format, "CSV")      ? BQL_FMT_CSV
                  : !strcasecmp (fs->format, "TSV")    ? BQL_FMT_TSV
                  : !strcasecmp (fs->format, "NDJSON") ? BQL_FMT_NDJSON
                                                       : BQL_FMT_JSON;
   } else if (ends_with (base, ".csv")) {
      o->format = BQL_FMT_CSV;
   } else if (ends_with (base, ".tsv") || ends_with (base, ".tab")) {
      o->format = BQL_FMT_TSV;
   } else if (ends_with (base, ".ndjson") || ends_with (base, ".jsonl")) {
      o->format = BQL_FMT_NDJSON;
   } else if (ends_with (base, ".json")) {
      o->format = BQL_FMT_JSON;
   } else {
      return bql_plan_error (pl, &fs->node, BQL_ERR_VALUE, "Add FORMAT CSV, TSV, NDJSON or JSON.",
                             "cannot tell the format of '%s' from its name", name);
   }
   o->header = o->format == BQL_FMT_CSV || o->format == BQL_FMT_TSV;
   o->delimiter = o->format == BQL_FMT_TSV ? '\t' : ',';
   o->quote = '"';
   o->infer_rows = BQL_INFER_ROWS_DEFAULT;
   o->blanks = BQL_BLANKS_NULL;

   bool given[sizeof file_option_names / sizeof file_option_names[0]] = {false};
   for (int32_t i = 0; fs->file_options && i < fs->file_options->length; i++) {
      const bql_Option_t *opt = bql_cast (Option, fs->file_options->items[i]);
      size_t idx = sizeof file_option_names / sizeof file_option_names[0];
      for (size_t k = 0; k < sizeof file_option_names / sizeof file_option_names[0]; k++) {
         if (!strcasecmp (opt->name, file_option_names[k])) {
            idx = k;
         }
      }
      if (idx == sizeof file_option_names / sizeof file_option_names[0]) {
         const char *best = NULL;
         int bd = 99;
         for (size_t k = 0; k < sizeof file_option_names / sizeof file_option_names[0]; k++) {
            int d = bql_edit_distance (opt->name, strlen (opt->name), file_option_names[k], strlen (file_option_names[k]));
            if (d < bd) {
               bd = d;
               best = file_option_names[k];
            }
         }
         char hint[120];
         if (bd <= 2) {
            snprintf (hint, sizeof hint, "Did you mean \"%s\"?", best);
         } else {
            snprintf (hint, sizeof hint,
                      "File options are array_index_fields, blanks, delimiter, header, infer_rows, null_string, quote and "
                      "skip_lines.");
         }
         bql_file_opts_cleanup (o);
         return bql_plan_error_at (pl, opt->node.location, (int64_t) strlen (opt->name), BQL_ERR_OPTION, hint,
                                   "unknown file option \"%s\"", opt->name);
      }
      if (given[idx]) {
         bql_file_opts_cleanup (o);
         return bql_plan_error_at (pl, opt->node.location, (int64_t) strlen (opt->name), BQL_ERR_OPTION, NULL,
                                   "file option \"%s\" given twice", opt->name);
      }
      given[idx] = true;
      bql_val_t v;
      bql_eval_rc_t rc = bql_eval (pl, NULL, opt->value, &v);
      if (rc != BQL_EVAL_OK) {
         bql_file_opts_cleanup (o);
         return rc == BQL_EVAL_ERROR ? false
                                     : bql_plan_error (pl, opt->value, BQL_ERR_OPTION, NULL,
                                                       "file option \"%s\" needs a constant value", opt->name);
      }
      bool ok = true;
      const char *n = file_option_names[idx];
      bool is_csv = o->format == BQL_FMT_CSV || o->format == BQL_FMT_TSV;
      if (!is_csv && strcmp (n, "skip_lines") != 0) {
         ok = bql_plan_error_at (pl, opt->node.location, (int64_t) strlen (opt->name), BQL_ERR_OPTION, NULL,
                                 "file option \"%s\" applies to CSV and TSV files", n);
      } else if (!strcmp (n, "header") || !strcmp (n, "array_index_fields")) {
         if (v.is_interval || v.v.value_type != BSON_TYPE_BOOL) {
            ok = bql_plan_error (pl, opt->value, BQL_ERR_OPTION, NULL, "file option \"%s\" takes TRUE or FALSE", n);
         } else if (!strcmp (n, "header")) {
            o->header = v.v.value.v_bool;
         } else {
            o->array_index_fields = v.v.value.v_bool;
         }
      } else if (!strcmp (n, "blanks")) {
         const char *b = !v.is_interval && v.v.value_type == BSON_TYPE_UTF8 ? v.v.value.v_utf8.str : "";
         if (!strcasecmp (b, "null")) {
            o->blanks = BQL_BLANKS_NULL;
         } else if (!strcasecmp (b, "omit")) {
            o->blanks = BQL_BLANKS_OMIT;
         } else if (!strcasecmp (b, "empty")) {
            o->blanks = BQL_BLANKS_EMPTY;
         } else {
            ok = bql_plan_error (pl, opt->value, BQL_ERR_OPTION, NULL,
                                 "file option \"blanks\" takes 'null', 'omit' or 'empty'");
         }
      } else if (!strcmp (n, "infer_rows")) {
         if (v.is_interval || (v.v.value_type != BSON_TYPE_INT32 && v.v.value_type != BSON_TYPE_INT64)) {
            ok = bql_plan_error (pl, opt->value, BQL_ERR_OPTION, NULL, "file option \"infer_rows\" takes an integer");
         } else {
            o->infer_rows = v.v.value_type == BSON_TYPE_INT32 ? v.v.value.v_int32 : v.v.value.v_int64;
            if (o->infer_rows < 1) {
               ok = bql_plan_error (pl, opt->value, BQL_ERR_OPTION, NULL, "file option \"infer_rows\" must be at least 1");
            }
         }
      } else if (!strcmp (n, "delimiter")) {
         ok = one_char (pl, opt, &v, &o->delimiter);
      } else if (!strcmp (n, "quote")) {
         ok = one_char (pl, opt, &v, &o->quote);
      } else if (!strcmp (n, "null_string")) {
         if (v.is_interval || v.v.value_type != BSON_TYPE_UTF8) {
            ok = bql_plan_error (pl, opt->value, BQL_ERR_OPTION, NULL, "file option \"null_string\" takes a string");
         } else {
            o->null_string = bson_strdup (v.v.value.v_utf8.str);
         }
      } else if (!strcmp (n, "skip_lines")) {
         if (v.is_interval || (v.v.value_type != BSON_TYPE_INT32 && v.v.value_type != BSON_TYPE_INT64)) {
            ok = bql_plan_error (pl, opt->value, BQL_ERR_OPTION, NULL, "file option \"skip_lines\" takes an integer");
         } else {
            o->skip_lines = v.v.value_type == BSON_TYPE_INT32 ? v.v.value.v_int32 : v.v.value.v_int64;
            if (o->skip_lines < 0) {
               ok = bql_plan_error (pl, opt->value, BQL_ERR_OPTION, NULL, "file option \"skip_lines\" must not be negative");
            }
         }
      }
      bql_val_destroy (&v);
      if (!ok) {
         bql_file_opts_cleanup (o);
         return false;
      }
   }
   if (o->delimiter == o->quote) {
      bql_file_opts_cleanup (o);
      return bql_plan_error (pl, &fs->node, BQL_ERR_OPTION, NULL, "the delimiter and the quote must differ");
   }
   return true;
}

bool
bql_file_options_check (bql_planner_t *pl, const bql_FileSource_t *fs)
{
   bql_file_opts_t o;
   if (!bql_file_options_resolve (pl, fs, &o)) {
      return false;
   }
   bql_file_opts_cleanup (&o);
   return true;
}
