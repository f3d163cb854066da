/*
 * options.c — the WITH option groups (SPEC §2). One table lists every
 * option with its type, range, default and the statements it applies to;
 * the grammar accepted any name = value, and this file gives unknown,
 * repeated, mistyped and out-of-range options an error at their own span
 * with the nearest valid name (as mongo-c-driver checks opts against a
 * table and names unknown keys).
 */
#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "planner.h"

typedef enum {
   OT_INT,           /* integer in [min, max] */
   OT_BOOL,          /* TRUE / FALSE */
   OT_STRING,        /* string (or a bare word) */
   OT_SIZE,          /* '64MB', '1GB', or bytes */
   OT_SECONDS,       /* number of seconds, or an interval */
   OT_INTERVAL,      /* '2 years', INTERVAL '30 days' */
   OT_WRITE_CONCERN  /* 'majority', w as an integer, or {w, j, wtimeout} */
} opt_type_t;

#define K_INSERT (1u << BQL_KIND_INSERT)
#define K_UPDATE (1u << BQL_KIND_UPDATE)
#define K_UPSERT (1u << BQL_KIND_UPSERT)
#define K_DELETE (1u << BQL_KIND_DELETE)
#define K_ALL (K_INSERT | K_UPDATE | K_UPSERT | K_DELETE)

typedef struct opt_def {
   const char *name;
   opt_type_t type;
   int64_t min;
   int64_t max;
   unsigned kinds;
   size_t offset; /* into bql_options_t */
} opt_def_t;

#define OFF(f) offsetof (bql_options_t, f)

static const opt_def_t options_table[] = {
   {"allow_system", OT_BOOL, 0, 0, K_ALL, OFF (allow_system)},
   {"archive_collection", OT_STRING, 0, 0, K_DELETE, OFF (archive_collection)},
   {"archive_reason", OT_STRING, 0, 0, K_DELETE, OFF (archive_reason)},
   {"batch_size", OT_INT, 0, 100000, K_ALL, OFF (batch_size)},
   {"bypass_validation", OT_BOOL, 0, 0, K_ALL, OFF (bypass_validation)},
   {"checkpoint_interval", OT_INT, 1, INT64_MAX, K_ALL, OFF (checkpoint_interval)},
   {"continue_on_error", OT_BOOL, 0, 0, K_ALL, OFF (continue_on_error)},
   {"drop", OT_BOOL, 0, 0, K_INSERT | K_UPSERT, OFF (drop)},
   {"dry_run", OT_BOOL, 0, 0, K_ALL, OFF (dry_run)},
   {"error_collection", OT_STRING, 0, 0, K_ALL, OFF (error_collection)},
   {"failed_records_file", OT_STRING, 0, 0, K_ALL, OFF (failed_records_file)},
   {"failed_records_mode", OT_STRING, 0, 0, K_ALL, OFF (failed_records_mode)},
   {"journal", OT_BOOL, 0, 0, K_ALL, 0},
   {"max_delete_count", OT_INT, 0, INT64_MAX, K_DELETE, OFF (max_delete_count)},
   {"max_errors", OT_INT, 0, INT64_MAX, K_ALL, OFF (max_errors)},
   {"max_execution_time", OT_SECONDS, 0, 0, K_ALL, OFF (max_execution_ms)},
   {"memory_limit", OT_SIZE, 1 << 20, (int64_t) 1 << 40, K_ALL, OFF (memory_limit)},
   {"metrics", OT_BOOL, 0, 0, K_ALL, OFF (metrics)},
   {"ordered", OT_BOOL, 0, 0, K_ALL, OFF (ordered)},
   {"parallel_workers", OT_INT, 1, 64, K_ALL, OFF (parallel_workers)},
   {"progress", OT_BOOL, 0, 0, K_ALL, OFF (progress)},
   {"retention_period", OT_INTERVAL, 0, 0, K_DELETE, OFF (retention_seconds)},
   {"retry_attempts", OT_INT, 0, 100, K_ALL, OFF (retry_attempts)},
   {"retry_backoff_ms", OT_INT, 0, 600000, K_ALL, OFF (retry_backoff_ms)},
   {"soft_delete", OT_BOOL, 0, 0, K_DELETE, OFF (soft_delete)},
   {"upsert_mode", OT_BOOL, 0, 0, K_INSERT, OFF (upsert_mode)},
   {"write_concern", OT_WRITE_CONCERN, 0, 0, K_ALL, 0},
};

#define N_OPTIONS (sizeof options_table / sizeof options_table[0])

static const char *const group_names[] = {"BULK_OPTIONS", "BATCH_CONFIG", "DELETE_OPTIONS", "ARCHIVAL_STRATEGY",
                                          "OPTIONS"};

static const char *const kind_names[] = {"BULK INSERT", "BULK UPDATE", "BULK UPSERT", "BULK DELETE"};

void
bql_options_init (bql_options_t *o)
{
   memset (o, 0, sizeof *o);
   o->batch_size = 1000;
   o->ordered = true;
   o->max_errors = -1;
   bson_init (&o->write_concern);
   o->retry_attempts = 3;
   o->retry_backoff_ms = 100;
   o->parallel_workers = 1;
   o->memory_limit = (int64_t) 256 << 20;
   o->max_delete_count = -1;
   o->error_collection = bson_strdup ("bulk_operation_errors");
   o->progress = -1;
   o->metrics = true;
}

void
bql_options_cleanup (bql_options_t *o)
{
   bson_destroy (&o->write_concern);
   bson_free (o->archive_collection);
   bson_free (o->archive_reason);
   bson_free (o->error_collection);
   bson_free (o->failed_records_file);
   bson_free (o->failed_records_mode);
   memset (o, 0, sizeof *o);
}

static const char *
nearest (const char *word, const char *const *names, size_t n, size_t stride)
{
   const char *best = NULL;
   int best_d = 99;
   size_t wl = strlen (word);
   for (size_t i = 0; i < n; i++) {
      const char *name = *(const char *const *) ((const char *) names + i * stride);
      int d = bql_edit_distance (word, wl, name, strlen (name));
      if (d < best_d) {
         best_d = d;
         best = name;
      }
   }
   int limit = wl <= 4 ? 1 : (wl <= 8 ? 2 : 3);
   return best_d <= limit ? best : NULL;
}

static bool
type_error (bql_planner_t *pl, const bql_node_t *at, const opt_def_t *d, const char *want, const bql_val_t *v)
{
   return bql_plan_error (pl, at, BQL_ERR_OPTION, NULL, "option \"%s\" takes %s, not %s", d->name, want,
                          bql_val_type_name (v));
}

static bool
as_int (const bql_val_t *v, int64_t *out)
{
   if (v->is_interval) {
      return false;
   }
   switch (v->v.value_type) {
   case BSON_TYPE_INT32:
      *out = v->v.value.v_int32;
      return true;
   case BSON_TYPE_INT64:
      *out = v->v.value.v_int64;
      return true;
   default:
      return false;
   }
}

static bool
as_number (const bql_val_t *v, double *out)
{
   int64_t i;
   if (as_int (v, &i)) {
      *out = (double) i;
      return true;
   }
   if (!v->is_interval && v->v.value_type == BSON_TYPE_DOUBLE) {
      *out = v->v.value.v_double;
      return true;
   }
   return false;
}

static const char *
as_string (const bql_val_t *v)
{
   return !v->is_interval && v->v.value_type == BSON_TYPE_UTF8 ? v->v.value.v_utf8.str : NULL;
}

/* '64MB' -> bytes; false if not a size. */
static bool
parse_size (const char *s, int64_t *out)
{
   char *end;
   double n = strtod (s, &end);
   if (end == s || n < 0 || !isfinite (n)) {
      return false;
   }
   while (*end == ' ') {
      end++;
   }
   double mult = 1;
   if (*end) {
      char unit[8];
      size_t i = 0;
      for (; end[i] && i < sizeof unit - 1; i++) {
         unit[i] = (char) toupper ((unsigned char) end[i]);
      }
      unit[i] = '\0';
      if (end[i]) {
         return false;
      }
      if (!strcmp (unit, "B")) {
         mult = 1;
      } else if (!strcmp (unit, "KB") || !strcmp (unit, "K") || !strcmp (unit, "KIB")) {
         mult = 1024.0;
      } else if (!strcmp (unit, "MB") || !strcmp (unit, "M") || !strcmp (unit, "MIB")) {
         mult = 1024.0 * 1024;
      } else if (!strcmp (unit, "GB") || !strcmp (unit, "G") || !strcmp (unit, "GIB")) {
         mult = 1024.0 * 1024 * 1024;
      } else if (!strcmp (unit, "TB") || !strcmp (unit, "T") || !strcmp (unit, "TIB")) {
         mult = 1024.0 * 1024 * 1024 * 1024;
      } else {
         return false;
      }
   }
   double bytes = n * mult;
   if (bytes > 9.0e18) {
      return false;
   }
   *out = (int64_t) bytes;
   return true;
}

/* An interval or interval text in whole seconds (months count 30 days,
 * as TTL indexes need a fixed number of seconds). */
static bool
interval_seconds (const bql_val_t *v, double *out)
{
   int32_t months;
   int64_t ms;
   if (v->is_interval) {
      months = v->months;
      ms = v->ms;
   } else if (as_string (v)) {
      if (!bql_parse_interval (as_string (v), &months, &ms)) {
         return false;
      }
   } else {
      return false;
   }
   *out = (double) months * 30 * 86400 + (double) ms / 1000.0;
   return true;
}

static bool
set_write_concern (bql_planner_t *pl, const bql_node_t *at, const opt_def_t *d, const bql_val_t *v, bson_t *wc)
{
   int64_t w;
   const char *s = as_string (v);
   bson_t keep;
   bson_init (&keep);
   /* keep a j set by journal = ... */
   bson_iter_t it;
   if (bson_iter_init_find (&it, wc, "j")) {
      bson_append_iter (&keep, "j", 1, &it);
   }
   bson_reinit (wc);
   if (s) {
      if (strcmp (s, "majority") != 0) {
         bson_destroy (&keep);
         return bql_plan_error (pl, at, BQL_ERR_OPTION, "Use 'majority', a number of members, or {w: ..., j: ..., wtimeout: ...}.",
                                "write_concern '%s' is not a write concern", s);
      }
      BSON_APPEND_UTF8 (wc, "w", "majority");
   } else if (as_int (v, &w)) {
      if (w < 1 || w > 50) {
         bson_destroy (&keep);
         return bql_plan_error (pl, at, BQL_ERR_OPTION,
                                w == 0 ? "BulkQL counts every row, so it needs acknowledged writes (w >= 1)." : NULL,
                                "write_concern w must be between 1 and 50, not %lld", (long long) w);
      }
      BSON_APPEND_INT32 (wc, "w", (int32_t) w);
   } else if (!v->is_interval && v->v.value_type == BSON_TYPE_DOCUMENT) {
      bson_t doc;
      bson_init_static (&doc, v->v.value.v_doc.data, v->v.value.v_doc.data_len);
      bson_iter_init (&it, &doc);
      while (bson_iter_next (&it)) {
         const char *k = bson_iter_key (&it);
         if (!strcmp (k, "w")) {
            if (BSON_ITER_HOLDS_UTF8 (&it) && !strcmp (bson_iter_utf8 (&it, NULL), "majority")) {
               BSON_APPEND_UTF8 (wc, "w", "majority");
            } else if (BSON_ITER_HOLDS_NUMBER (&it) && bson_iter_as_int64 (&it) >= 1 && bson_iter_as_int64 (&it) <= 50) {
               BSON_APPEND_INT32 (wc, "w", (int32_t) bson_iter_as_int64 (&it));
            } else if (BSON_ITER_HOLDS_UTF8 (&it)) {
               /* a tag set name */
               BSON_APPEND_UTF8 (wc, "w", bson_iter_utf8 (&it, NULL));
            } else {
               bson_destroy (&keep);
               return bql_plan_error (pl, at, BQL_ERR_OPTION,
                                      "BulkQL counts every row, so it needs acknowledged writes (w >= 1).",
                                      "write_concern w must be 'majority', a tag name or 1..50");
            }
         } else if (!strcmp (k, "j")) {
            if (!BSON_ITER_HOLDS_BOOL (&it)) {
               bson_destroy (&keep);
               return bql_plan_error (pl, at, BQL_ERR_OPTION, NULL, "write_concern j must be true or false");
            }
            bson_destroy (&keep);
            bson_init (&keep);
            BSON_APPEND_BOOL (&keep, "j", bson_iter_bool (&it));
         } else if (!strcmp (k, "wtimeout") || !strcmp (k, "wtimeoutMS")) {
            if (!BSON_ITER_HOLDS_NUMBER (&it) || bson_iter_as_int64 (&it) < 0) {
               bson_destroy (&keep);
               return bql_plan_error (pl, at, BQL_ERR_OPTION, NULL, "write_concern wtimeout must be a number of milliseconds");
            }
            BSON_APPEND_INT64 (wc, "wtimeout", bson_iter_as_int64 (&it));
         } else {
            bson_destroy (&keep);
            return bql_plan_error (pl, at, BQL_ERR_OPTION, "A write concern has the fields w, j and wtimeout.",
                                   "unknown write_concern field \"%s\"", k);
         }
      }
   } else {
      bson_destroy (&keep);
      return type_error (pl, at, d, "'majority', a number or a document {w, j, wtimeout}", v);
   }
   if (!bson_empty (&keep) && !bson_has_field (wc, "j")) {
      bson_concat (wc, &keep);
   }
   bson_destroy (&keep);
   return true;
}

static bool
set_option (bql_planner_t *pl, const bql_Option_t *opt, const opt_def_t *d, const bql_val_t *v, bql_options_t *o)
{
   const bql_node_t *at = opt->value;
   void *field = (char *) o + d->offset;
   int64_t i;
   double x;
   const char *s;

   switch (d->type) {
   case OT_INT:
      if (!as_int (v, &i)) {
         return type_error (pl, at, d, "an integer", v);
      }
      if (i < d->min || i > d->max) {
         return bql_plan_error (pl, at, BQL_ERR_OPTION, NULL, "option \"%s\" must be between %lld and %lld, not %lld",
                                d->name, (long long) d->min, (long long) d->max, (long long) i);
      }
      if (d->offset == OFF (batch_size) || d->offset == OFF (retry_attempts) || d->offset == OFF (retry_backoff_ms) ||
          d->offset == OFF (parallel_workers)) {
         *(int32_t *) field = (int32_t) i;
      } else {
         *(int64_t *) field = i;
      }
      return true;
   case OT_BOOL:
      if (v->is_interval || v->v.value_type != BSON_TYPE_BOOL) {
         return type_error (pl, at, d, "TRUE or FALSE", v);
      }
      if (!strcmp (d->name, "journal")) {
         bson_iter_t it;
         if (bson_iter_init_find (&it, &o->write_concern, "j")) {
            return bql_plan_error (pl, at, BQL_ERR_OPTION, NULL, "journal given twice (also as write_concern j)");
         }
         BSON_APPEND_BOOL (&o->write_concern, "j", v->v.value.v_bool);
      } else if (!strcmp (d->name, "progress")) {
         o->progress = v->v.value.v_bool ? 1 : 0;
      } else {
         *(bool *) field = v->v.value.v_bool;
      }
      return true;
   case OT_STRING:
      if (!(s = as_string (v))) {
         return type_error (pl, at, d, "a string", v);
      }
      bson_free (*(char **) field);
      if (!strcmp (d->name, "error_collection") && !*s) {
         *(char **) field = NULL; /* '' turns error records off */
      } else if (!*s) {
         return bql_plan_error (pl, at, BQL_ERR_OPTION, NULL, "option \"%s\" must not be empty", d->name);
      } else if (d->offset == OFF (failed_records_mode) && strcmp (s, "append") && strcmp (s, "overwrite")) {
         *(char **) field = NULL;
         return bql_plan_error (pl, at, BQL_ERR_OPTION,
                                "Without failed_records_mode an existing file is refused; 'append' adds to it, "
                                "'overwrite' replaces it.",
                                "option \"failed_records_mode\" takes 'append' or 'overwrite', not '%s'", s);
      } else {
         *(char **) field = bson_strdup (s);
      }
      return true;
   case OT_SIZE:
      if (as_int (v, &i)) {
         /* bytes */
      } else if (!(s = as_string (v)) || !parse_size (s, &i)) {
         return bql_plan_error (pl, at, BQL_ERR_OPTION, "Write a size such as '64MB' or '1GB'.",
                                "option \"%s\" takes a size, not %s", d->name,
                                as_string (v) ? "that text" : bql_val_type_name (v));
      }
      if (i < d->min || i > d->max) {
         return bql_plan_error (pl, at, BQL_ERR_OPTION, NULL, "option \"%s\" must be between 1MB and 1TB", d->name);
      }
      *(int64_t *) field = i;
      return true;
   case OT_SECONDS:
      if (!as_number (v, &x) && !interval_seconds (v, &x)) {
         return bql_plan_error (pl, at, BQL_ERR_OPTION, "Give a number of seconds, or an interval such as '5 minutes'.",
                                "option \"%s\" takes seconds, not %s", d->name, bql_val_type_name (v));
      }
      if (x <= 0 || x > 1e9) {
         return bql_plan_error (pl, at, BQL_ERR_OPTION, NULL, "option \"%s\" must be a positive number of seconds", d->name);
      }
      *(int64_t *) field = (int64_t) llround (x * 1000.0);
      return true;
   case OT_INTERVAL:
      if (!interval_seconds (v, &x)) {
         return bql_plan_error (pl, at, BQL_ERR_OPTION, "Write a period such as '2 years' or '90 days'.",
                                "option \"%s\" takes a period of time", d->name);
      }
      if (x < 1) {
         return bql_plan_error (pl, at, BQL_ERR_OPTION, NULL, "option \"%s\" must be at least one second", d->name);
      }
      *(int64_t *) field = (int64_t) x;
      return true;
   case OT_WRITE_CONCERN:
      return set_write_concern (pl, at, d, v, &o->write_concern);
   }
   return false;
}

/* The BSON value of an opts document as an option value: an interval
 * cannot be given there. */
static void
val_from_iter (const bson_iter_t *it, bql_val_t *v)
{
   bql_val_init_null (v);
   bson_iter_t at = *it; /* bson_iter_value takes a mutable iterator */
   bson_value_copy (bson_iter_value (&at), &v->v);
   if (v->v.value_type == BSON_TYPE_INT32) {
      int64_t i = v->v.value.v_int32;
      v->v.value_type = BSON_TYPE_INT64;
      v->v.value.v_int64 = i;
   }
}

/* Apply an opts document (bql_plan_options_t.opts): with defaults, the
 * keys under "defaults" (options not given in the statement); else the
 * top-level keys (they override the statement). */
static bool
apply_opts_doc (bql_planner_t *pl, const bson_t *doc, bool defaults, bql_kind_t k, bql_options_t *o)
{
   bson_iter_t it;
   bson_t sub;
   if (!doc) {
      return true;
   }
   if (defaults) {
      if (!bson_iter_init_find (&it, doc, "defaults")) {
         return true;
      }
      uint32_t len;
      const uint8_t *data;
      if (!BSON_ITER_HOLDS_DOCUMENT (&it)) {
         return bql_plan_error (pl, NULL, BQL_ERR_OPTION, NULL, "opts: \"defaults\" must be a document");
      }
      bson_iter_document (&it, &len, &data);
      if (!bson_init_static (&sub, data, len)) {
         return bql_plan_error (pl, NULL, BQL_ERR_OPTION, NULL, "opts: \"defaults\" is not valid BSON");
      }
      doc = &sub;
   }
   if (!bson_iter_init (&it, doc)) {
      return bql_plan_error (pl, NULL, BQL_ERR_OPTION, NULL, "opts: not a valid BSON document");
   }
   while (bson_iter_next (&it)) {
      const char *key = bson_iter_key (&it);
      if (!defaults && !strcmp (key, "defaults")) {
         continue;
      }
      size_t idx = N_OPTIONS;
      for (size_t i = 0; i < N_OPTIONS; i++) {
         if (!strcmp (key, options_table[i].name)) {
            idx = i;
            break;
         }
      }
      if (idx == N_OPTIONS) {
         const char *near = nearest (key, &options_table[0].name, N_OPTIONS, sizeof options_table[0]);
         char hint[96];
         if (near) {
            snprintf (hint, sizeof hint, "Did you mean \"%s\"?", near);
         }
         return bql_plan_error (pl, NULL, BQL_ERR_OPTION, near ? hint : "bql_option_names() lists the options.",
                                "opts: unknown option \"%s\"%s", key, defaults ? " in \"defaults\"" : "");
      }
      const opt_def_t *d = &options_table[idx];
      if (!(d->kinds & (1u << k))) {
         if (defaults) {
            continue; /* a default for statements of another kind */
         }
         return bql_plan_error (pl, NULL, BQL_ERR_OPTION, NULL, "opts: option \"%s\" is not valid for %s", key,
                                kind_names[k]);
      }
      if (defaults && (o->given & ((uint64_t) 1 << idx))) {
         continue; /* the statement says */
      }
      bql_val_t v;
      val_from_iter (&it, &v);
      bql_Option_t opt;
      memset (&opt, 0, sizeof opt);
      bool ok = set_option (pl, &opt, d, &v, o);
      bql_val_destroy (&v);
      if (!ok) {
         /* name where the value came from */
         char msg[sizeof pl->error->message];
         snprintf (msg, sizeof msg, "opts%s: %.480s", defaults ? " defaults" : "", pl->error->message);
         snprintf (pl->error->message, sizeof pl->error->message, "%s", msg);
         return false;
      }
      o->given |= (uint64_t) 1 << idx;
   }
   return true;
}

bool
bql_options_resolve (bql_planner_t *pl, const bql_list_t *groups, bql_kind_t k, const bson_t *opts,
                     bql_options_t *o)
{
   const bql_node_t *given_at[N_OPTIONS] = {0};

   for (int32_t g = 0; groups && g < groups->length; g++) {
      const bql_OptionGroup_t *grp = bql_cast (OptionGroup, groups->items[g]);
      if (grp->name) {
         bool known = false;
         for (size_t i = 0; i < sizeof group_names / sizeof group_names[0]; i++) {
            if (!strcasecmp (grp->name, group_names[i])) {
               known = true;
            }
         }
         if (!known) {
            const char *near = nearest (grp->name, group_names, sizeof group_names / sizeof group_names[0],
                                        sizeof group_names[0]);
            char hint[160];
            if (near) {
               snprintf (hint, sizeof hint, "Did you mean \"%s\"?", near);
            } else {
               snprintf (hint, sizeof hint,
                         "Option groups are BULK_OPTIONS, BATCH_CONFIG, DELETE_OPTIONS, ARCHIVAL_STRATEGY and OPTIONS.");
            }
            /* the name follows WITH */
            const char *src = pl->source + grp->node.location;
            const char *p = strstr (src, grp->name);
            int64_t off = p && p - src < grp->node.length ? grp->node.location + (p - src) : grp->node.location;
            return bql_plan_error_at (pl, off, (int64_t) strlen (grp->name), BQL_ERR_UNSUPPORTED, hint,
                                      "not supported: option group %s", grp->name);
         }
      }
      for (int32_t j = 0; grp->options && j < grp->options->length; j++) {
         const bql_Option_t *opt = bql_cast (Option, grp->options->items[j]);
         size_t idx = N_OPTIONS;
         for (size_t i = 0; i < N_OPTIONS; i++) {
            if (!strcasecmp (opt->name, options_table[i].name)) {
               idx = i;
               break;
            }
         }
         if (idx == N_OPTIONS) {
            const char *near = nearest (opt->name, &options_table[0].name, N_OPTIONS, sizeof options_table[0]);
            char hint[96];
            if (near) {
               snprintf (hint, sizeof hint, "Did you mean \"%s\"?", near);
            }
            return bql_plan_error_at (pl, opt->node.location, (int64_t) strlen (opt->name), BQL_ERR_OPTION,
                                      near ? hint : "\\help options lists the options.", "unknown option \"%s\"",
                                      opt->name);
         }
         const opt_def_t *d = &options_table[idx];
         if (given_at[idx]) {
            int32_t line, col;
            bql_locate (pl->source, pl->source_len, given_at[idx]->location, &line, &col);
            bql_plan_error_at (pl, opt->node.location, (int64_t) strlen (opt->name), BQL_ERR_OPTION, NULL,
                               "option \"%s\" given twice", d->name);
            snprintf (pl->error->detail, sizeof pl->error->detail, "It was first given at line %d, column %d.",
                      (int) line, (int) col);
            return false;
         }
         given_at[idx] = &opt->node;
         if (!(d->kinds & (1u << k))) {
            char kinds[96] = "";
            for (int q = 0; q < 4; q++) {
               if (d->kinds & (1u << q)) {
                  if (kinds[0]) {
                     strncat (kinds, ", ", sizeof kinds - strlen (kinds) - 1);
                  }
                  strncat (kinds, kind_names[q], sizeof kinds - strlen (kinds) - 1);
               }
            }
            char hint[160];
            snprintf (hint, sizeof hint, "\"%s\" applies to %s.", d->name, kinds);
            return bql_plan_error_at (pl, opt->node.location, (int64_t) strlen (opt->name), BQL_ERR_OPTION, hint,
                                      "option \"%s\" is not valid for %s", d->name, kind_names[k]);
         }

         /* Option values are constant expressions; a bare word is text. */
         bql_val_t v;
         bql_val_init_null (&v);
         bql_eval_rc_t rc;
         if (bql_is (opt->value, ColumnRef)) {
            v.v.value_type = BSON_TYPE_UTF8;
            v.v.value.v_utf8.str = bson_strdup (bql_cast (ColumnRef, opt->value)->path);
            v.v.value.v_utf8.len = (uint32_t) strlen (v.v.value.v_utf8.str);
            rc = BQL_EVAL_OK;
         } else {
            rc = bql_eval (pl, NULL, opt->value, &v);
         }
         if (rc == BQL_EVAL_FIELD) {
            return bql_plan_error (pl, opt->value, BQL_ERR_OPTION, NULL, "option \"%s\" needs a constant value", d->name);
         }
         if (rc == BQL_EVAL_ERROR) {
            return false;
         }
         bool ok = set_option (pl, opt, d, &v, o);
         bql_val_destroy (&v);
         if (!ok) {
            return false;
         }
         o->given |= (uint64_t) 1 << idx;
      }
   }

   /* The caller's opts document: defaults where the statement says
    * nothing, then the overrides. */
   if (!apply_opts_doc (pl, opts, true, k, o) || !apply_opts_doc (pl, opts, false, k, o)) {
      return false;
   }

   /* Rules between options. */
   size_t i_bs = 0, i_pw = 0, i_ord = 0;
   for (size_t i = 0; i < N_OPTIONS; i++) {
      if (!strcmp (options_table[i].name, "batch_size")) {
         i_bs = i;
      } else if (!strcmp (options_table[i].name, "parallel_workers")) {
         i_pw = i;
      } else if (!strcmp (options_table[i].name, "ordered")) {
         i_ord = i;
      }
   }
   if (o->batch_size == 0 && (k == BQL_KIND_INSERT || k == BQL_KIND_UPSERT)) {
      return bql_plan_error (pl, given_at[i_bs] ? bql_cast (Option, given_at[i_bs])->value : NULL, BQL_ERR_OPTION,
                             "batch_size = 0 (one unbatched command) is for BULK UPDATE and BULK DELETE.",
                             "option \"batch_size\" must be between 1 and 100000 for %s", kind_names[k]);
   }
   if (o->parallel_workers > 1 && o->ordered) {
      const bql_node_t *at = given_at[i_ord] ? given_at[i_ord] : given_at[i_pw];
      return bql_plan_error_at (pl, at ? at->location : -1, at ? (int64_t) strlen (bql_cast (Option, at)->name) : 0,
                                BQL_ERR_OPTION,
                                "Add ordered = false: batches in flight at once cannot keep their order.",
                                "parallel_workers > 1 needs ordered = false");
   }
   if (o->archive_reason && !o->archive_collection) {
      return bql_plan_error (pl, groups && groups->length ? groups->items[0] : NULL, BQL_ERR_OPTION,
                             "Name the archive with archive_collection = '...'.", "archive_reason needs archive_collection");
   }
   if (o->retention_seconds && !o->archive_collection) {
      return bql_plan_error (pl, groups && groups->length ? groups->items[0] : NULL, BQL_ERR_OPTION,
                             "Name the archive with archive_collection = '...'.", "retention_period needs archive_collection");
   }
   if (o->archive_collection && pl->plan && pl->plan->collection &&
       !strcmp (o->archive_collection, pl->plan->collection)) {
      /* archiving into the source: each document would be replaced by its
       * archive copy and then deleted, the archive with it */
      size_t i_ac = 0;
      for (size_t i = 0; i < N_OPTIONS; i++) {
         if (!strcmp (options_table[i].name, "archive_collection")) {
            i_ac = i;
         }
      }
      return bql_plan_error (pl, given_at[i_ac] ? bql_cast (Option, given_at[i_ac])->value : NULL, BQL_ERR_OPTION,
                             "Name another collection: the archive must survive the delete.",
                             "archive_collection \"%s\" is the collection being deleted from", o->archive_collection);
   }
   if (o->failed_records_mode && !o->failed_records_file) {
      return bql_plan_error (pl, groups && groups->length ? groups->items[0] : NULL, BQL_ERR_OPTION,
                             "Name the file with failed_records_file = '...'.",
                             "failed_records_mode needs failed_records_file");
   }
   if (o->soft_delete && o->archive_collection) {
      return bql_plan_error (pl, groups && groups->length ? groups->items[0] : NULL, BQL_ERR_OPTION, NULL,
                             "soft_delete and archive_collection exclude each other: a soft delete keeps the document");
   }
   if (o->checkpoint_interval == 0) {
      o->checkpoint_interval = o->batch_size ? o->batch_size : 1000;
   }
   return true;
}

size_t
bql_option_names (const char **names, size_t max)
{
   size_t n = 0;
   for (; n < N_OPTIONS && n < max; n++) {
      names[n] = options_table[n].name;
   }
   return n;
}

void
bql_options_append (const bql_options_t *o, bql_kind_t k, bson_t *doc)
{
   for (size_t i = 0; i < N_OPTIONS; i++) {
      const opt_def_t *d = &options_table[i];
      if (!(d->kinds & (1u << k))) {
         continue;
      }
      const void *field = (const char *) o + d->offset;
      bson_iter_t it;
      if ((d->offset == OFF (allow_system) || d->offset == OFF (failed_records_mode) || d->offset == OFF (metrics)) &&
          !(o->given & ((uint64_t) 1 << i))) {
         continue; /* shown only when given */
      }
      switch (d->type) {
      case OT_INT:
         if (d->offset == OFF (batch_size) || d->offset == OFF (retry_attempts) ||
             d->offset == OFF (retry_backoff_ms) || d->offset == OFF (parallel_workers)) {
            BSON_APPEND_INT32 (doc, d->name, *(const int32_t *) field);
         } else if (*(const int64_t *) field < 0) {
            BSON_APPEND_NULL (doc, d->name);
         } else {
            BSON_APPEND_INT64 (doc, d->name, *(const int64_t *) field);
         }
         break;
      case OT_BOOL:
         if (!strcmp (d->name, "journal")) {
            if (bson_iter_init_find (&it, &o->write_concern, "j")) {
               BSON_APPEND_BOOL (doc, d->name, bson_iter_bool (&it));
            } else {
               BSON_APPEND_NULL (doc, d->name);
            }
         } else if (!strcmp (d->name, "progress")) {
            if (o->progress < 0) {
               BSON_APPEND_NULL (doc, d->name);
            } else {
               BSON_APPEND_BOOL (doc, d->name, o->progress == 1);
            }
         } else {
            BSON_APPEND_BOOL (doc, d->name, *(const bool *) field);
         }
         break;
      case OT_STRING: {
         const char *s = *(char *const *) field;
         if (s) {
            BSON_APPEND_UTF8 (doc, d->name, s);
         } else {
            BSON_APPEND_NULL (doc, d->name);
         }
         break;
      }
      case OT_SIZE:
         BSON_APPEND_INT64 (doc, d->name, *(const int64_t *) field);
         break;
      case OT_SECONDS:
         if (*(const int64_t *) field) {
            BSON_APPEND_DOUBLE (doc, d->name, (double) *(const int64_t *) field / 1000.0);
         } else {
            BSON_APPEND_NULL (doc, d->name);
         }
         break;
      case OT_INTERVAL:
         if (*(const int64_t *) field) {
            BSON_APPEND_INT64 (doc, d->name, *(const int64_t *) field);
         } else {
            BSON_APPEND_NULL (doc, d->name);
         }
         break;
      case OT_WRITE_CONCERN: {
         bson_t w = BSON_INITIALIZER;
         bson_copy_to_excluding_noinit (&o->write_concern, &w, "j", NULL);
         if (bson_empty (&w)) {
            BSON_APPEND_NULL (doc, d->name);
         } else {
            BSON_APPEND_DOCUMENT (doc, d->name, &w);
         }
         bson_destroy (&w);
         break;
      }
      }
   }
}
