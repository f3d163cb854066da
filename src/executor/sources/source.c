/*
 * source.c — the source object every kind of row source shares: a vtable
 * (next, close), the implementation it drives, and the status the
 * implementation reports (line, bytes, totals, failed, cancelled, the
 * error, the stop asked by another thread). The concrete sources (file.c,
 * values.c, replay.c) are built on it; it calls none of them (the plan's
 * source is picked by open.c).
 */
#include "source.h"

struct bql_source {
   const bql_source_vtable_t *vt;
   void *impl;
   bql_source_status_t st;
};

bql_source_t *
bql_source_new (const bql_source_vtable_t *vt, void *impl, bql_source_status_t **st)
{
   bql_source_t *s = bson_malloc0 (sizeof *s);
   s->vt = vt;
   s->impl = impl;
   s->st.bytes_total = -1;
   s->st.rows_total = -1;
   atomic_init (&s->st.stop, false);
   if (st) {
      *st = &s->st;
   }
   return s;
}

void *
bql_source_impl (bql_source_t *s)
{
   return s->impl;
}

const char *
bql_source_kind (const bql_source_t *s)
{
   return s->vt->kind;
}

bql_row_rc_t
bql_source_next (bql_source_t *s, bson_t *doc, int64_t *rownum, const char **why)
{
   s->st.row_id = -1;
   s->st.row_facts = 0;
   return s->vt->next (s->impl, &s->st, doc, rownum, why);
}

int
bql_source_row_has_id (const bql_source_t *s)
{
   return s->st.row_id;
}

unsigned
bql_source_row_facts (const bql_source_t *s)
{
   return s->st.row_facts;
}

int64_t
bql_source_line (const bql_source_t *s)
{
   return s->st.line;
}

int64_t
bql_source_bytes_read (const bql_source_t *s)
{
   return s->st.bytes_read;
}

int64_t
bql_source_bytes_total (const bql_source_t *s)
{
   return s->st.bytes_total;
}

int64_t
bql_source_rows_total (const bql_source_t *s)
{
   return s->st.rows_total;
}

bool
bql_source_failed (const bql_source_t *s)
{
   return s->st.failed;
}

bool
bql_source_cancelled (const bql_source_t *s)
{
   return s->st.cancelled;
}

const bql_error_t *
bql_source_error (const bql_source_t *s)
{
   return &s->st.error;
}

void
bql_source_stop (bql_source_t *s)
{
   atomic_store (&s->st.stop, true);
}

void
bql_source_close (bql_source_t *s)
{
   if (s) {
      s->vt->close (s->impl);
      bson_free (s);
   }
}
