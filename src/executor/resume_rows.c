/*
 * resume_rows.c — a resumed operation's checkpoint as the writers read
 * it (resume.h): loading checkpoint and counters from the operation
 * document, the state of a row (done, in doubt, new), whether a stored
 * _id is this operation's deterministic ObjectId, and the filter that
 * continues a WHERE scan after checkpoint.lastId. No server is contacted
 * here; everything is read-only once loaded, so every thread may ask.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "resume.h"

uint64_t
bql_fnv1a64 (const void *data, size_t len)
{
   return bql_fnv1a64_add (BQL_FNV1A64_INIT, data, len);
}

void
bql_fnv1a64_hex (const void *data, size_t len, char hex[17])
{
   snprintf (hex, 17, "%016llx", (unsigned long long) bql_fnv1a64 (data, len));
}

void
bql_resume_init (bql_resume_t *r)
{
   memset (r, 0, sizeof *r);
   bson_init (&r->last_id);
   bson_init (&r->in_flight_ids);
}

void
bql_resume_cleanup (bql_resume_t *r)
{
   bson_free (r->completed);
   bson_free (r->in_flight);
   bson_destroy (&r->last_id);
   bson_destroy (&r->in_flight_ids);
   memset (r, 0, sizeof *r);
}

static bool
bad (bql_error_t *error, const char *field, const char *want)
{
   bql_error_clear (error);
   error->domain = BQL_ERROR_EXECUTE;
   error->code = BQL_ERR_VALUE;
   snprintf (error->message, sizeof error->message, "the operation document's %s is not %s", field, want);
   return false;
}

static bool
is_number (const bson_iter_t *it)
{
   return BSON_ITER_HOLDS_INT32 (it) || BSON_ITER_HOLDS_INT64 (it) || BSON_ITER_HOLDS_DOUBLE (it);
}

static int
range_cmp (const void *a, const void *b)
{
   const bql_row_range_t *x = a, *y = b;
   return x->first < y->first ? -1 : x->first > y->first;
}

/* [[first, last], ...] or [{first, last}, ...] at it into *out: sorted, and with merge,
 * adjacent and overlapping ranges merged into one. */
static bool
load_ranges (bson_iter_t *it, const char *field, bool merge, bql_row_range_t **out, size_t *n, bql_error_t *error)
{
   bson_iter_t ai;
   *out = NULL;
   *n = 0;
   if (!BSON_ITER_HOLDS_ARRAY (it) || !bson_iter_recurse (it, &ai)) {
      return bad (error, field, "an array of [firstRow, lastRow] ranges");
   }
   size_t cap = 0;
   while (bson_iter_next (&ai)) {
      bson_iter_t ri;
      int64_t v[2] = {0, 0};
      int k = 0;
      if (!(BSON_ITER_HOLDS_ARRAY (&ai) || BSON_ITER_HOLDS_DOCUMENT (&ai)) || !bson_iter_recurse (&ai, &ri)) {
         bson_free (*out);
         *out = NULL;
         return bad (error, field, "an array of [firstRow, lastRow] ranges");
      }
      /* [first, last], or {first, last} (servers without nested arrays) */
      bool named = BSON_ITER_HOLDS_DOCUMENT (&ai);
      while (bson_iter_next (&ri) && k < 3) {
         if (!is_number (&ri) || k == 2) {
            k = 3;
            break;
         }
         if (named && !strcmp (bson_iter_key (&ri), "last")) {
            v[1] = bson_iter_as_int64 (&ri);
         } else if (named && strcmp (bson_iter_key (&ri), "first") != 0) {
            k = 3;
            break;
         } else {
            v[named ? 0 : k] = bson_iter_as_int64 (&ri);
         }
         k++;
      }
      if (k != 2 || v[0] < 1 || v[1] < v[0]) {
         bson_free (*out);
         *out = NULL;
         return bad (error, field, "an array of [firstRow, lastRow] ranges");
      }
      if (*n == cap) {
         cap = cap ? cap * 2 : 16;
         *out = bson_realloc (*out, sizeof **out * cap);
      }
      (*out)[(*n)++] = (bql_row_range_t) {v[0], v[1]};
   }
   if (*n > 1) {
      qsort (*out, *n, sizeof **out, range_cmp);
   }
   if (merge && *n > 1) {
      size_t m = 0;
      for (size_t i = 1; i < *n; i++) {
         if ((*out)[i].first <= (*out)[m].last + 1) {
            if ((*out)[i].last > (*out)[m].last) {
               (*out)[m].last = (*out)[i].last;
            }
         } else {
            (*out)[++m] = (*out)[i];
         }
      }
      *n = m + 1;
   }
   return true;
}

static bool
load_counters (bql_op_counters_t *c, const bson_t *doc, bql_error_t *error)
{
   bson_iter_t it, ci;
   memset (c, 0, sizeof *c);
   if (!bson_iter_init_find (&it, doc, "counters")) {
      return true; /* none yet: nothing was counted */
   }
   if (!BSON_ITER_HOLDS_DOCUMENT (&it) || !bson_iter_recurse (&it, &ci)) {
      return bad (error, "counters", "a document");
   }
   static const struct {
      const char *name;
      size_t off;
   } fields[] = {
      {"nInserted", offsetof (bql_op_counters_t, n_inserted)},
      {"nMatched", offsetof (bql_op_counters_t, n_matched)},
      {"nModified", offsetof (bql_op_counters_t, n_modified)},
      {"nUpserted", offsetof (bql_op_counters_t, n_upserted)},
      {"nRemoved", offsetof (bql_op_counters_t, n_removed)},
      {"nArchived", offsetof (bql_op_counters_t, n_archived)},
      {"nFailed", offsetof (bql_op_counters_t, n_failed)},
      {"nInDoubt", offsetof (bql_op_counters_t, n_in_doubt)},
      {"nAlreadyWritten", offsetof (bql_op_counters_t, n_already_written)},
      {"rowsDone", offsetof (bql_op_counters_t, rows_done)},
      {"batches", offsetof (bql_op_counters_t, batches)},
   };
   while (bson_iter_next (&ci)) {
      for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
         if (!strcmp (bson_iter_key (&ci), fields[i].name)) {
            if (!is_number (&ci)) {
               char f[64];
               snprintf (f, sizeof f, "counters.%s", fields[i].name);
               return bad (error, f, "a number");
            }
            *(int64_t *) (void *) ((char *) c + fields[i].off) = bson_iter_as_int64 (&ci);
         }
      }
   }
   return true;
}

bool
bql_resume_load (bql_resume_t *r, const bson_t *doc, bql_error_t *error)
{
   bson_iter_t it, cp;
   if (!bson_iter_init_find (&it, doc, "_id") || !BSON_ITER_HOLDS_UTF8 (&it) || !bson_oid_is_valid (bson_iter_utf8 (&it, NULL), 24)) {
      return bad (error, "_id", "an operation id (24 hex digits)");
   }
   snprintf (r->operation_id, sizeof r->operation_id, "%s", bson_iter_utf8 (&it, NULL));
   bson_oid_init_from_string (&r->oid, r->operation_id);
   if (bson_iter_init_find (&it, doc, "resumes")) {
      if (!is_number (&it)) {
         return bad (error, "resumes", "a number");
      }
      r->resumes = (int32_t) bson_iter_as_int64 (&it);
   }
   r->resumes++;
   if (!load_counters (&r->carried, doc, error)) {
      return false;
   }
   if (!bson_iter_init_find (&it, doc, "checkpoint")) {
      return true; /* none: nothing completed, nothing sent */
   }
   if (!BSON_ITER_HOLDS_DOCUMENT (&it) || !bson_iter_recurse (&it, &cp)) {
      return bad (error, "checkpoint", "a document");
   }
   while (bson_iter_next (&cp)) {
      const char *k = bson_iter_key (&cp);
      if (!strcmp (k, "completed")) {
         if (!load_ranges (&cp, "checkpoint.completed", true, &r->completed, &r->n_completed, error)) {
            return false;
         }
      } else if (!strcmp (k, "inFlight")) {
         if (!load_ranges (&cp, "checkpoint.inFlight", true, &r->in_flight, &r->n_in_flight, error)) {
            return false;
         }
      } else if (!strcmp (k, "sentThrough")) {
         if (!is_number (&cp)) {
            return bad (error, "checkpoint.sentThrough", "a number");
         }
         r->sent_through = bson_iter_as_int64 (&cp);
      } else if (!strcmp (k, "lastId") && !BSON_ITER_HOLDS_NULL (&cp)) {
         r->has_last_id = true;
         bson_append_iter (&r->last_id, "", 0, &cp);
      } else if (!strcmp (k, "inFlightAll")) {
         r->in_flight_all = BSON_ITER_HOLDS_BOOL (&cp) && bson_iter_bool (&cp);
      } else if (!strcmp (k, "inFlightIds")) {
         bson_iter_t ai;
         if (!BSON_ITER_HOLDS_ARRAY (&cp) || !bson_iter_recurse (&cp, &ai)) {
            return bad (error, "checkpoint.inFlightIds", "an array");
         }
         uint32_t n = 0;
         while (bson_iter_next (&ai)) {
            char kb[16];
            const char *key;
            bson_uint32_to_string (n++, &key, kb, sizeof kb);
            bson_append_iter (&r->in_flight_ids, key, -1, &ai);
         }
      }
   }
   return true;
}

/* Is row in one of ranges[0..n) (sorted by first)? */
static bool
in_ranges (const bql_row_range_t *ranges, size_t n, int64_t row)
{
   size_t lo = 0, hi = n;
   while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (ranges[mid].first <= row) {
         lo = mid + 1;
      } else {
         hi = mid;
      }
   }
   /* lo ranges start at or before row; merged, so only the last of
    * them may hold it */
   return lo > 0 && ranges[lo - 1].last >= row;
}

bql_resume_row_t
bql_resume_row (const bql_resume_t *r, int64_t row)
{
   if (!r) {
      return BQL_RESUME_ROW_NEW;
   }
   if (in_ranges (r->completed, r->n_completed, row)) {
      return BQL_RESUME_ROW_DONE;
   }
   if (row <= r->sent_through || in_ranges (r->in_flight, r->n_in_flight, row)) {
      return BQL_RESUME_ROW_IN_DOUBT;
   }
   return BQL_RESUME_ROW_NEW;
}

bool
bql_resume_id_is_ours (const bql_resume_t *r, int64_t row, const bson_value_t *id)
{
   if (!r || !id || id->value_type != BSON_TYPE_OID || row < 0 || row > INT64_C (0xffffffffff)) {
      return false;
   }
   uint8_t want[12];
   bql_row_oid_bytes (r->oid.bytes, row, want);
   return memcmp (want, id->value.v_oid.bytes, 12) == 0;
}

/* The server's order of BSON types for comparisons (the "type bracket"
 * of a value): numbers together, strings and symbols together. */
static int
bracket (bson_type_t t)
{
   switch (t) {
   case BSON_TYPE_MINKEY:
      return 0;
   case BSON_TYPE_NULL:
   case BSON_TYPE_UNDEFINED:
      return 1;
   case BSON_TYPE_INT32:
   case BSON_TYPE_INT64:
   case BSON_TYPE_DOUBLE:
   case BSON_TYPE_DECIMAL128:
      return 2;
   case BSON_TYPE_UTF8:
   case BSON_TYPE_SYMBOL:
      return 3;
   case BSON_TYPE_DOCUMENT:
      return 4;
   case BSON_TYPE_ARRAY:
      return 5;
   case BSON_TYPE_BINARY:
      return 6;
   case BSON_TYPE_OID:
      return 7;
   case BSON_TYPE_BOOL:
      return 8;
   case BSON_TYPE_DATE_TIME:
      return 9;
   case BSON_TYPE_TIMESTAMP:
      return 10;
   case BSON_TYPE_REGEX:
      return 11;
   case BSON_TYPE_MAXKEY:
      return 13;
   default:
      return 12; /* DBPointer, code, code with scope: rare as _ids */
   }
}

void
bql_resume_scan_filter (const bql_resume_t *r, const bson_t *filter, bool exclude_in_flight, bson_t *out)
{
   bool after = r && r->has_last_id;
   bool exclude = r && exclude_in_flight && !bson_empty (&r->in_flight_ids);
   bson_init (out);
   if (!after && !exclude) {
      bson_concat (out, filter);
      return;
   }
   bson_t and, k;
   uint32_t n = 0;
   char kb[16];
   const char *key;
   bson_append_array_begin (out, "$and", 4, &and);
   bson_uint32_to_string (n++, &key, kb, sizeof kb);
   bson_append_document (&and, key, -1, filter);
   if (after) {
      bson_iter_t it;
      bson_iter_init (&it, &r->last_id);
      bson_iter_next (&it);
      int b = bracket (bson_iter_type (&it));
      /* {$or: [{_id: {$gt: lastId}}, {_id: {$type: [later brackets]}}]} */
      bson_t or, a, id, gt, types;
      bson_uint32_to_string (n++, &key, kb, sizeof kb);
      bson_append_document_begin (&and, key, -1, &k);
      bson_append_array_begin (&k, "$or", 3, &or);
      bson_append_document_begin (&or, "0", 1, &a);
      bson_append_document_begin (&a, "_id", 3, &gt);
      bson_append_iter (&gt, "$gt", 3, &it);
      bson_append_document_end (&a, &gt);
      bson_append_document_end (&or, &a);
      static const struct {
         int bracket;
         const char *alias;
      } later[] = {{1, "null"},  {2, "number"}, {3, "string"}, {4, "object"}, {5, "array"}, {6, "binData"},
                   {7, "objectId"}, {8, "bool"}, {9, "date"}, {10, "timestamp"}, {11, "regex"}};
      /* (not "maxKey": a MaxKey _id is next to unheard of, and servers
       * without the type refuse the alias) */
      uint32_t nt = 0;
      for (size_t i = 0; i < sizeof later / sizeof later[0]; i++) {
         if (later[i].bracket > b) {
            if (nt == 0) {
               bson_append_document_begin (&or, "1", 1, &a);
               bson_append_document_begin (&a, "_id", 3, &id);
               bson_append_array_begin (&id, "$type", 5, &types);
            }
            char tb[16];
            const char *tk;
            bson_uint32_to_string (nt++, &tk, tb, sizeof tb);
            bson_append_utf8 (&types, tk, -1, later[i].alias, -1);
         }
      }
      if (nt > 0) {
         bson_append_array_end (&id, &types);
         bson_append_document_end (&a, &id);
         bson_append_document_end (&or, &a);
      }
      bson_append_array_end (&k, &or);
      bson_append_document_end (&and, &k);
   }
   if (exclude) {
      bson_t id;
      bson_uint32_to_string (n++, &key, kb, sizeof kb);
      bson_append_document_begin (&and, key, -1, &k);
      bson_append_document_begin (&k, "_id", 3, &id);
      bson_append_array (&id, "$nin", 4, &r->in_flight_ids);
      bson_append_document_end (&k, &id);
      bson_append_document_end (&and, &k);
   }
   bson_append_array_end (out, &and);
}
