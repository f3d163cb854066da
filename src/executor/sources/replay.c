/*
 * replay.c — rows kept in memory to be read again: DELETE ... USING STDIN
 * with max_delete_count reads its input twice (once to count what the
 * rows match, once to delete), and standard input cannot be read twice.
 * Each row is kept as it was read (row number, line, document, and the
 * reason of a failed row) in one BSON array, so memory_limit can bound it.
 */
#include <string.h>

#include "source.h"

typedef struct {
   bson_t entries; /* [{r: rownum, l: line, d: doc, w: why?}] */
   bson_iter_t it;
   bool started;
   uint32_t n;
   bql_source_status_t *st;
   char why[600];
} replay_t;

static bql_row_rc_t
replay_next (void *impl, bql_source_status_t *st, bson_t *doc, int64_t *rownum, const char **why)
{
   replay_t *r = impl;
   if (!r->started) {
      bson_iter_init (&r->it, &r->entries);
      r->started = true;
   }
   if (!bson_iter_next (&r->it)) {
      return BQL_ROW_END;
   }
   bson_t e;
   bson_iter_t f;
   bool failed = false;
   if (!bql_iter_sub (&r->it, &e) || !bson_iter_init (&f, &e)) {
      return BQL_ROW_END;
   }
   while (bson_iter_next (&f)) {
      const char *k = bson_iter_key (&f);
      bson_t sub;
      if (!strcmp (k, "r")) {
         *rownum = bson_iter_as_int64 (&f);
      } else if (!strcmp (k, "l")) {
         st->line = bson_iter_as_int64 (&f);
      } else if (!strcmp (k, "d") && bql_iter_sub (&f, &sub)) {
         bson_concat (doc, &sub);
      } else if (!strcmp (k, "w") && BSON_ITER_HOLDS_UTF8 (&f)) {
         snprintf (r->why, sizeof r->why, "%s", bson_iter_utf8 (&f, NULL));
         *why = r->why;
         failed = true;
      }
   }
   return failed ? BQL_ROW_FAILED : BQL_ROW_OK;
}

static void
replay_close (void *impl)
{
   replay_t *r = impl;
   bson_destroy (&r->entries);
   bson_free (r);
}

static const bql_source_vtable_t replay_vtable = {"replay", replay_next, replay_close};

bql_source_t *
bql_source_replay_new (void)
{
   replay_t *r = bson_malloc0 (sizeof *r);
   bson_init (&r->entries);
   bql_source_t *s = bql_source_new (&replay_vtable, r, &r->st);
   r->st->rows_total = 0;
   return s;
}

bool
bql_source_replay_add (bql_source_t *replay, int64_t rownum, int64_t line, const bson_t *doc, const char *why,
                       int64_t limit)
{
   replay_t *r = bql_source_impl (replay);
   char kb[16];
   const char *k;
   bson_uint32_to_string (r->n++, &k, kb, sizeof kb);
   r->st->rows_total = r->n;
   bson_t e;
   bson_append_document_begin (&r->entries, k, -1, &e);
   BSON_APPEND_INT64 (&e, "r", rownum);
   BSON_APPEND_INT64 (&e, "l", line);
   BSON_APPEND_DOCUMENT (&e, "d", doc);
   if (why) {
      BSON_APPEND_UTF8 (&e, "w", why);
   }
   bson_append_document_end (&r->entries, &e);
   return (int64_t) r->entries.len <= limit;
}
