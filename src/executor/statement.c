/*
 * statement.c — the bottom of the executor's files: what every other
 * file calls and that calls no other executor file. The statement's
 * error (the first one stands), its reply's write errors, the checks made
 * after every batch (progress, on_batch, max_errors, cancel,
 * max_execution_time) and the wall clock; the lists of a batch's refused
 * rows (bql_row_errors_t); whether the plan has a step of a kind; a
 * small map from _id values to positions (bql_id_map_t); and the
 * statement's record of stored _ids (bql_id_record_t: its entries and
 * bound; write_rows.c reads and keeps it). No MongoDB command is sent
 * here.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "executor.h"

int64_t
bql_wall_ms (void)
{
   struct timeval tv;
   gettimeofday (&tv, NULL);
   return (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

double
bql_exec_elapsed_ms (const bql_exec_t *x)
{
   return (double) (bson_get_monotonic_time () - x->start_us) / 1000.0;
}

void
bql_exec_error_setv (bql_error_t *e, bql_error_code_t code, int32_t server_code, const char *fmt, va_list ap)
{
   bql_error_clear (e);
   e->domain = BQL_ERROR_EXECUTE;
   e->code = code;
   e->server_code = server_code;
   vsnprintf (e->message, sizeof e->message, fmt, ap);
}

bool
bql_exec_fail (bql_exec_t *x, bql_error_code_t code, int32_t server_code, const char *fmt, ...)
{
   if (atomic_exchange (&x->fatal, true)) {
      return false; /* the first error stands */
   }
   va_list ap;
   va_start (ap, fmt);
   bql_exec_error_setv (x->error, code, server_code, fmt, ap);
   va_end (ap);
   return false;
}

bool
bql_exec_fail_with (bql_exec_t *x, const bql_error_t *error)
{
   if (atomic_exchange (&x->fatal, true)) {
      return false;
   }
   *x->error = *error;
   return false;
}

void
bql_exec_append_code (bson_t *doc, int32_t code)
{
   if (code == BQL_CODE_IN_DOUBT) {
      BSON_APPEND_UTF8 (doc, "code", BQL_CODE_IN_DOUBT_NAME);
   } else {
      BSON_APPEND_INT32 (doc, "code", code);
   }
}

/* "row" (row > 0), else "_id" when id is given: what an entry is about. */
static void
append_row_or_id (bson_t *doc, int64_t row, const bson_value_t *id)
{
   if (row > 0) {
      BSON_APPEND_INT64 (doc, "row", row);
   } else if (id) {
      bson_append_value (doc, "_id", 3, id);
   }
}

void
bql_exec_note_in_doubt (bql_exec_t *x, int64_t row, const bson_value_t *id)
{
   x->n_in_doubt++;
   if (x->n_in_doubt_listed < BQL_REPLY_MAX_ERRORS) {
      char kb[16];
      const char *k;
      bson_uint32_to_string (x->n_in_doubt_listed, &k, kb, sizeof kb);
      bson_t e;
      bson_append_document_begin (&x->in_doubt, k, -1, &e);
      append_row_or_id (&e, row, id);
      bson_append_document_end (&x->in_doubt, &e);
   }
   x->n_in_doubt_listed++;
}

void
bql_exec_add_write_error (bql_exec_t *x, bson_t *batch_errors, int64_t row, const bson_value_t *id, int32_t code,
                          const char *errmsg)
{
   if (x->n_write_errors < BQL_REPLY_MAX_ERRORS) {
      char kb[16];
      const char *k;
      bson_uint32_to_string (x->n_write_errors, &k, kb, sizeof kb);
      bson_t e;
      bson_append_document_begin (&x->write_errors, k, -1, &e);
      append_row_or_id (&e, row, id);
      bql_exec_append_code (&e, code);
      BSON_APPEND_UTF8 (&e, "errmsg", errmsg);
      bson_append_document_end (&x->write_errors, &e);
   }
   if (x->n_write_errors == 0) {
      snprintf (x->first_errmsg, sizeof x->first_errmsg, "%s", errmsg);
   }
   x->n_write_errors++;
   if (batch_errors) {
      bson_t e;
      char key[16];
      snprintf (key, sizeof key, "%d", bson_count_keys (batch_errors));
      bson_append_document_begin (batch_errors, key, -1, &e);
      append_row_or_id (&e, row, id);
      bql_exec_append_code (&e, code);
      BSON_APPEND_UTF8 (&e, "errmsg", errmsg);
      bson_append_document_end (batch_errors, &e);
   }
}

/* The statement stops early, for the reason given; the first reason
 * stands (batches still in flight are accounted for after it). */
static void stop_with (bql_exec_t *x, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
stop_with (bql_exec_t *x, const char *fmt, ...)
{
   if (x->stopped) {
      return;
   }
   x->stopped = true;
   va_list ap;
   va_start (ap, fmt);
   vsnprintf (x->stop_reason, sizeof x->stop_reason, fmt, ap);
   va_end (ap);
}

void
bql_exec_progress_waiting (bql_exec_t *x, int64_t rows_sent, double wait_ms, int retry_attempt,
                           int64_t retry_backoff_ms)
{
   if (x->xo.progress) {
      bql_progress_t p = {x->rows_done, x->rows_total, x->bytes_read,   x->bytes_total,  bql_exec_elapsed_ms (x),
                          rows_sent,    wait_ms,       retry_attempt, retry_backoff_ms};
      x->xo.progress (&p, x->xo.progress_ctx);
   }
   if (x->wait_hook && rows_sent > 0) {
      /* a command waits for its reply (not a backoff: the server is
       * away then, and the batch's retry is what matters) */
      x->wait_hook (x);
   }
}

bool
bql_exec_after_batch (bql_exec_t *x, const bql_batch_info_t *info)
{
   const bql_options_t *o = x->opts;
   x->batches++;
   bql_exec_progress_waiting (x, 0, 0, 0, 0);
   if (x->xo.on_batch && !x->xo.on_batch (info, x->xo.batch_ctx)) {
      stop_with (x, "stopped by the caller after batch %lld", (long long) info->batch_index + 1);
      return false;
   }
   /* rows in doubt (a resume's, not sent again) are reported, not
    * refused: they stop nothing */
   if (info->n_failed - x->batch_in_doubt > 0 && !o->continue_on_error) {
      return false; /* the statement failed; nothing more is attempted */
   }
   if (o->max_errors >= 0 && x->n_failed - x->n_in_doubt > 0 && x->n_failed - x->n_in_doubt >= o->max_errors) {
      stop_with (x, "stopped: %lld rows failed (max_errors = %lld)", (long long) x->n_failed,
                 (long long) o->max_errors);
      return false;
   }
   if (x->xo.cancel && *x->xo.cancel) {
      stop_with (x, "cancelled after batch %lld", (long long) info->batch_index + 1);
      return false;
   }
   if (o->max_execution_ms > 0 && bql_exec_elapsed_ms (x) >= (double) o->max_execution_ms) {
      stop_with (x, "stopped after %.1f s (max_execution_time)", (double) o->max_execution_ms / 1000.0);
      return false;
   }
   return true;
}

void
bql_row_errors_add (bql_row_errors_t *e, size_t index, int64_t row, int32_t code, const char *errmsg)
{
   if (e->n == e->cap) {
      e->cap = e->cap ? e->cap * 2 : 16;
      e->items = bson_realloc (e->items, sizeof *e->items * e->cap);
   }
   e->items[e->n].index = index;
   e->items[e->n].row = row;
   e->items[e->n].code = code;
   e->items[e->n].errmsg = bson_strdup (errmsg);
   e->items[e->n].doc = NULL;
   e->items[e->n].line = 0;
   e->items[e->n].write_concern = false;
   e->n++;
}

void
bql_row_errors_add_doc (bql_row_errors_t *e, int64_t row, int32_t code, const char *errmsg, const bson_t *doc)
{
   bql_row_errors_add (e, (size_t) -1, row, code, errmsg);
   if (doc && !bson_empty (doc)) {
      e->items[e->n - 1].doc = bson_copy (doc);
   }
}

void
bql_row_errors_truncate (bql_row_errors_t *e, size_t n)
{
   while (e->n > n) {
      e->n--;
      bson_free (e->items[e->n].errmsg);
      if (e->items[e->n].doc) {
         bson_destroy (e->items[e->n].doc);
      }
   }
}

void
bql_row_errors_cleanup (bql_row_errors_t *e)
{
   for (size_t i = 0; i < e->n; i++) {
      bson_free (e->items[i].errmsg);
      if (e->items[i].doc) {
         bson_destroy (e->items[i].doc);
      }
   }
   bson_free (e->items);
   memset (e, 0, sizeof *e);
}

void
bql_row_errors_append (bql_row_errors_t *dst, const bql_row_error_t *e)
{
   bql_row_errors_add (dst, e->index, e->row, e->code, e->errmsg);
   bql_row_error_t *c = &dst->items[dst->n - 1];
   c->line = e->line;
   c->write_concern = e->write_concern;
   if (e->doc) {
      c->doc = bson_copy (e->doc);
   }
}

bool
bql_exec_has_step (const bql_exec_t *x, bql_step_kind_t k)
{
   return bql_steps_find (&x->plan->steps, k) != NULL;
}

bool
bql_writer_has_step (const bql_writer_t *w, bql_step_kind_t k)
{
   return bql_steps_find (&w->plan->steps, k) != NULL;
}

/* ---- a small map from _id values to positions ---- */


static uint64_t
value_hash (const bson_value_t *v)
{
   bson_t tmp = BSON_INITIALIZER;
   bson_append_value (&tmp, "", 0, v);
   const uint8_t *p = bson_get_data (&tmp);
   uint64_t h = 1469598103934665603ULL;
   for (uint32_t i = 4; i < tmp.len; i++) {
      h = (h ^ p[i]) * 1099511628211ULL;
   }
   bson_destroy (&tmp);
   return h;
}

static uint64_t
bytes_hash (uint64_t h, const void *p, size_t n)
{
   const uint8_t *b = p;
   for (size_t i = 0; i < n; i++) {
      h = (h ^ b[i]) * 1099511628211ULL;
   }
   return h;
}

static bool
is_number (bson_type_t t)
{
   return t == BSON_TYPE_INT32 || t == BSON_TYPE_INT64 || t == BSON_TYPE_DOUBLE || t == BSON_TYPE_DECIMAL128;
}

/* The number text s ("-1.25E+3", "0.000", "12") in canonical form
 * "[-]D e E": D its significant digits without leading or trailing
 * zeros, E the power of ten of D's last digit; zero (of either sign) is
 * "0". */
static void
canonical_digits (const char *s, char *out, size_t cap)
{
   bool neg = false;
   if (*s == '-' || *s == '+') {
      neg = *s == '-';
      s++;
   }
   char *digits = bson_malloc (strlen (s) + 1);
   size_t nd = 0;
   long frac = 0; /* digits after the point */
   bool point = false;
   for (; *s && *s != 'e' && *s != 'E'; s++) {
      if (*s == '.') {
         point = true;
      } else if (*s >= '0' && *s <= '9') {
         if (nd || *s != '0') {
            digits[nd++] = *s;
         }
         frac += point;
      }
   }
   long exp = (*s == 'e' || *s == 'E') ? strtol (s + 1, NULL, 10) : 0;
   exp -= frac;
   while (nd && digits[nd - 1] == '0') {
      nd--;
      exp++;
   }
   digits[nd] = '\0';
   if (!nd) {
      bson_snprintf (out, cap, "0");
   } else {
      bson_snprintf (out, cap, "%s%se%ld", neg ? "-" : "", digits, exp);
   }
   bson_free (digits);
}

/* canonical_digits of the decimal text of i, without printing it: the
 * form of every integral _id, the common case of a load's key map. */
static void
canonical_int (int64_t i, char *out, size_t cap)
{
   uint64_t u = i < 0 ? 0 - (uint64_t) i : (uint64_t) i;
   if (u == 0) {
      bson_snprintf (out, cap, "0");
      return;
   }
   long exp = 0;
   while (u % 10 == 0) {
      u /= 10;
      exp++;
   }
   char rev[24];
   size_t n = 0;
   for (; u; u /= 10) {
      rev[n++] = (char) ('0' + u % 10);
   }
   char digits[24];
   for (size_t k = 0; k < n; k++) {
      digits[k] = rev[n - 1 - k];
   }
   digits[n] = '\0';
   bson_snprintf (out, cap, "%s%se%ld", i < 0 ? "-" : "", digits, exp);
}

/* The numeric value of v in a form equal for equal numbers of any type
 * (MongoDB's comparison: int32, int64, double and decimal128 by value;
 * NaN equals NaN; -0 equals 0): its exact decimal digits. */
static void
canonical_number (const bson_value_t *v, char *out, size_t cap)
{
   char text[BSON_DECIMAL128_STRING > 1100 ? BSON_DECIMAL128_STRING : 1100];
   double d;
   switch (v->value_type) {
   case BSON_TYPE_INT32:
      canonical_int (v->value.v_int32, out, cap);
      return;
   case BSON_TYPE_INT64:
      canonical_int (v->value.v_int64, out, cap);
      return;
   case BSON_TYPE_DOUBLE:
      d = v->value.v_double;
      if (isnan (d)) {
         bson_snprintf (out, cap, "NaN");
         return;
      }
      if (isinf (d)) {
         bson_snprintf (out, cap, d < 0 ? "-Inf" : "Inf");
         return;
      }
      if (d == trunc (d) && fabs (d) < 9.2e18) {
         canonical_int ((int64_t) d, out, cap); /* -0 is 0 */
         return;
      } else {
         /* exact: a double has at most 767 significant decimal digits */
         snprintf (text, sizeof text, "%.770e", d);
      }
      break;
   default: /* decimal128 */
      bson_decimal128_to_string (&v->value.v_decimal128, text);
      if (strstr (text, "NaN")) {
         bson_snprintf (out, cap, "NaN");
         return;
      }
      if (strstr (text, "Inf")) {
         bson_snprintf (out, cap, text[0] == '-' ? "-Inf" : "Inf");
         return;
      }
      break;
   }
   canonical_digits (text, out, cap);
}

#define CANON_CAP 1100

bool
bql_id_equal (const bson_value_t *a, const bson_value_t *b)
{
   if (is_number (a->value_type) && is_number (b->value_type)) {
      bool ia = a->value_type == BSON_TYPE_INT32 || a->value_type == BSON_TYPE_INT64;
      bool ib = b->value_type == BSON_TYPE_INT32 || b->value_type == BSON_TYPE_INT64;
      if (ia && ib) {
         return (a->value_type == BSON_TYPE_INT32 ? a->value.v_int32 : a->value.v_int64) ==
                (b->value_type == BSON_TYPE_INT32 ? b->value.v_int32 : b->value.v_int64);
      }
      char x[CANON_CAP], y[CANON_CAP];
      canonical_number (a, x, sizeof x);
      canonical_number (b, y, sizeof y);
      return strcmp (x, y) == 0;
   }
   bool docs = (a->value_type == BSON_TYPE_DOCUMENT || a->value_type == BSON_TYPE_ARRAY);
   if (a->value_type != b->value_type || !docs) {
      return a->value_type == b->value_type && bql_value_equal (a, b);
   }
   bson_t da, db;
   bson_iter_t ia, ib;
   if (!bson_init_static (&da, a->value.v_doc.data, a->value.v_doc.data_len) ||
       !bson_init_static (&db, b->value.v_doc.data, b->value.v_doc.data_len) || !bson_iter_init (&ia, &da) ||
       !bson_iter_init (&ib, &db)) {
      return bql_value_equal (a, b);
   }
   for (;;) {
      bool na = bson_iter_next (&ia), nb = bson_iter_next (&ib);
      if (!na || !nb) {
         return na == nb;
      }
      if (strcmp (bson_iter_key (&ia), bson_iter_key (&ib)) != 0 ||
          !bql_id_equal (bson_iter_value (&ia), bson_iter_value (&ib))) {
         return false;
      }
   }
}

static uint64_t
id_hash (uint64_t h, const bson_value_t *v)
{
   if (is_number (v->value_type)) {
      char x[CANON_CAP];
      canonical_number (v, x, sizeof x);
      return bytes_hash (h ^ 'n', x, strlen (x));
   }
   if (v->value_type != BSON_TYPE_DOCUMENT && v->value_type != BSON_TYPE_ARRAY) {
      return bytes_hash (h, &(uint64_t){value_hash (v)}, sizeof (uint64_t));
   }
   bson_t d;
   bson_iter_t it;
   h = bytes_hash (h, &(uint8_t){(uint8_t) v->value_type}, 1);
   if (bson_init_static (&d, v->value.v_doc.data, v->value.v_doc.data_len) && bson_iter_init (&it, &d)) {
      while (bson_iter_next (&it)) {
         const char *k = bson_iter_key (&it);
         h = bytes_hash (h, k, strlen (k) + 1);
         h = id_hash (h, bson_iter_value (&it));
      }
   }
   return h;
}

uint64_t
bql_id_hash (const bson_value_t *v)
{
   return id_hash (1469598103934665603ULL, v) | 1; /* 0 marks a free slot */
}

void
bql_id_map_init (bql_id_map_t *m, size_t n)
{
   m->cap = 16;
   while (m->cap < n * 2) {
      m->cap *= 2;
   }
   m->n = 0;
   m->hash = bson_malloc0 (sizeof *m->hash * m->cap);
   m->pos = bson_malloc0 (sizeof *m->pos * m->cap);
   m->ids = bson_malloc0 (sizeof *m->ids * m->cap);
}

bool
bql_id_map_get (const bql_id_map_t *m, const bson_value_t *id, size_t *pos)
{
   uint64_t h = bql_id_hash (id);
   size_t i = h & (m->cap - 1);
   while (m->hash[i]) {
      if (m->hash[i] == h && bql_id_equal (&m->ids[i], id)) {
         if (pos) {
            *pos = m->pos[i];
         }
         return true;
      }
      i = (i + 1) & (m->cap - 1);
   }
   return false;
}

/* Map id to pos unless id is mapped already (the first position wins). */
void
bql_id_map_put (bql_id_map_t *m, const bson_value_t *id, size_t pos)
{
   if (bql_id_map_get (m, id, NULL)) {
      return;
   }
   if ((m->n + 1) * 2 > m->cap) {
      bql_id_map_t bigger;
      bql_id_map_init (&bigger, m->cap);
      for (size_t i = 0; i < m->cap; i++) {
         if (m->hash[i]) {
            bql_id_map_put (&bigger, &m->ids[i], m->pos[i]);
            bson_value_destroy (&m->ids[i]);
         }
      }
      bson_free (m->hash);
      bson_free (m->pos);
      bson_free (m->ids);
      *m = bigger;
   }
   uint64_t h = bql_id_hash (id);
   size_t i = h & (m->cap - 1);
   while (m->hash[i]) {
      i = (i + 1) & (m->cap - 1);
   }
   m->hash[i] = h;
   m->pos[i] = pos;
   bson_value_copy (id, &m->ids[i]);
   m->n++;
}

void
bql_id_map_set (bql_id_map_t *m, const bson_value_t *id, size_t pos)
{
   uint64_t h = bql_id_hash (id);
   for (size_t i = h & (m->cap - 1); m->hash[i]; i = (i + 1) & (m->cap - 1)) {
      if (m->hash[i] == h && bql_id_equal (&m->ids[i], id)) {
         m->pos[i] = pos;
         return;
      }
   }
   bql_id_map_put (m, id, pos);
}

void
bql_id_map_cleanup (bql_id_map_t *m)
{
   for (size_t i = 0; i < m->cap; i++) {
      if (m->hash[i]) {
         bson_value_destroy (&m->ids[i]);
      }
   }
   bson_free (m->hash);
   bson_free (m->pos);
   bson_free (m->ids);
   memset (m, 0, sizeof *m);
}

/* ---- the statement's record of stored _ids ---- */

void
bql_id_record_init (bql_id_record_t *r, int64_t memory_limit)
{
   memset (r, 0, sizeof *r);
   pthread_mutex_init (&r->lock, NULL);
   r->state = BQL_IDS_UNREAD;
   r->max_bytes = (size_t) (memory_limit / 4);
   bql_id_map_init (&r->ids, 0);
}

void
bql_id_record_give_up (bql_id_record_t *r)
{
   bql_id_map_cleanup (&r->ids);
   bql_id_map_init (&r->ids, 0);
   r->bytes = 0;
   r->state = BQL_IDS_GIVEN_UP;
}

bool
bql_id_record_set (bql_id_record_t *r, const bson_value_t *id, size_t entry)
{
   size_t n = r->ids.n;
   bql_id_map_set (&r->ids, id, entry);
   if (r->ids.n == n) {
      return true; /* held already */
   }
   r->bytes += BQL_ID_RECORD_BYTES + (id->value_type == BSON_TYPE_UTF8 ? id->value.v_utf8.len : 0);
   if (r->bytes > r->max_bytes) {
      bql_id_record_give_up (r);
      return false;
   }
   return true;
}

void
bql_id_record_cleanup (bql_id_record_t *r)
{
   bql_id_map_cleanup (&r->ids);
   pthread_mutex_destroy (&r->lock);
}
