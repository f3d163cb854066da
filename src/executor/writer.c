/*
 * writer.c — the state of one thread that writes (bql_writer_t: its
 * connection and the server's capabilities) and of one batch's writes
 * (bql_write_tally_t), and how the statement's thread adds a batch's
 * tally to the statement. executor.h says who owns and writes what.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "executor.h"

void
bql_write_tally_init (bql_write_tally_t *t)
{
   memset (t, 0, sizeof *t);
   bson_init (&t->upserted);
   bson_init (&t->unmatched);
}

void
bql_write_tally_reset (bql_write_tally_t *t)
{
   bson_reinit (&t->upserted);
   bson_reinit (&t->unmatched);
   t->n_upserted_ids = t->n_unmatched_rows = 0;
   t->n_unmatched = t->n_would_write = t->retries = t->n_already_written = t->n_modified_unknown = 0;
   t->failed = false;
   bql_error_clear (&t->error);
}

void
bql_write_tally_cleanup (bql_write_tally_t *t)
{
   bson_destroy (&t->upserted);
   bson_destroy (&t->unmatched);
}

/* Append the {row, ...} documents of array src to the statement's list
 * dst of *n entries (the first BQL_REPLY_MAX_ERRORS are kept). */
static void
append_entries (bson_t *dst, uint32_t *n, const bson_t *src, uint32_t counted)
{
   bson_iter_t it;
   uint32_t kept = *n;
   if (bson_iter_init (&it, src)) {
      while (bson_iter_next (&it) && kept < BQL_REPLY_MAX_ERRORS) {
         char kb[16];
         const char *k;
         bson_uint32_to_string (kept++, &k, kb, sizeof kb);
         bson_append_iter (dst, k, -1, &it);
      }
   }
   *n += counted;
}

bool
bql_exec_add_tally (bql_exec_t *x, bql_write_tally_t *t)
{
   append_entries (&x->upserted, &x->n_upserted_ids, &t->upserted, t->n_upserted_ids);
   append_entries (&x->unmatched, &x->n_unmatched_rows, &t->unmatched, t->n_unmatched_rows);
   x->n_unmatched += t->n_unmatched;
   x->n_modified_unknown += t->n_modified_unknown;
   x->n_would_write += t->n_would_write;
   x->retries += t->retries;
   x->n_already_written += t->n_already_written;
   bool failed = t->failed;
   if (failed) {
      bql_exec_fail_with (x, &t->error);
   }
   bql_write_tally_reset (t);
   return !failed;
}

mongoc_client_t *
bql_exec_client_new (const bql_exec_options_t *xo, const mongoc_uri_t *uri)
{
   mongoc_client_t *client = mongoc_client_new_from_uri (uri);
   if (!client) {
      return NULL;
   }
   mongoc_client_set_error_api (client, MONGOC_ERROR_API_VERSION_2);
   mongoc_client_set_appname (client, "bulkql");
#ifdef MONGOC_ENABLE_SSL
   if (xo && xo->ssl_opts) {
      mongoc_client_set_ssl_opts (client, xo->ssl_opts);
   }
#else
   if (xo && xo->ssl_opts) {
      mongoc_client_destroy (client);
      return NULL;
   }
#endif
   return client;
}

mongoc_client_pool_t *
bql_exec_pool_new (const bql_exec_options_t *xo, const mongoc_uri_t *uri)
{
   mongoc_client_pool_t *pool = mongoc_client_pool_new (uri);
   if (!pool) {
      return NULL;
   }
#ifdef MONGOC_ENABLE_SSL
   if (xo && xo->ssl_opts) {
      mongoc_client_pool_set_ssl_opts (pool, xo->ssl_opts);
   }
#else
   if (xo && xo->ssl_opts) {
      mongoc_client_pool_destroy (pool);
      return NULL;
   }
#endif
   return pool;
}

void
bql_writer_init (bql_writer_t *w, const bql_exec_t *x, mongoc_client_t *client)
{
   memset (w, 0, sizeof *w);
   w->plan = x->plan;
   w->opts = x->opts;
   w->xo = &x->xo;
   w->client = client;
   w->coll = mongoc_client_get_collection (client, x->plan->database, x->plan->collection);
   bql_caps_init (&w->caps);
   /* the statement's own client: this writer is on its thread */
   w->stmt = client == x->client ? (struct bql_exec *) x : NULL;
   w->row_steps = x->row_steps;
   w->n_row_steps = x->n_row_steps;
   w->op = x->op;
   w->resume = x->resume;
   w->id_record = x->id_record;
   bson_oid_copy (&x->operation_oid, &w->operation_oid);
}

void
bql_writer_init_bare (bql_writer_t *w, const bql_plan_t *plan, const bql_options_t *opts,
                      const bql_exec_options_t *xo, mongoc_client_t *client, bql_write_tally_t *tally)
{
   memset (w, 0, sizeof *w);
   w->plan = plan;
   w->opts = opts;
   w->xo = xo;
   w->client = client;
   w->coll = plan ? mongoc_client_get_collection (client, plan->database, plan->collection) : NULL;
   bql_caps_init (&w->caps);
   w->tally = tally;
}

void
bql_writer_cleanup (bql_writer_t *w)
{
   if (w->coll) {
      mongoc_collection_destroy (w->coll);
   }
   if (w->sender) {
      w->sender_stop (w->sender); /* idle: before its client goes */
   }
   if (w->send_client) {
      mongoc_client_destroy (w->send_client);
   }
   if (w->seen) {
      bql_id_map_cleanup (w->seen);
      bson_free (w->seen);
   }
   memset (w, 0, sizeof *w);
}

bool
bql_writer_fail (bql_writer_t *w, bql_error_code_t code, int32_t server_code, const char *fmt, ...)
{
   bql_write_tally_t *t = w->tally;
   if (t->failed) {
      return false; /* the first error stands */
   }
   t->failed = true;
   va_list ap;
   va_start (ap, fmt);
   bql_exec_error_setv (&t->error, code, server_code, fmt, ap);
   va_end (ap);
   return false;
}

void
bql_writer_note_unmatched (bql_writer_t *w, int64_t row)
{
   bql_write_tally_t *t = w->tally;
   if (t->n_unmatched_rows < BQL_REPLY_MAX_ERRORS) {
      char kb[16];
      const char *k;
      bson_uint32_to_string (t->n_unmatched_rows, &k, kb, sizeof kb);
      bson_t one;
      bson_append_document_begin (&t->unmatched, k, -1, &one);
      BSON_APPEND_INT64 (&one, "row", row);
      bson_append_document_end (&t->unmatched, &one);
   }
   t->n_unmatched_rows++;
}

const char *
bql_writer_lacks (bql_writer_t *w, unsigned needs, const char **why)
{
   static const struct {
      unsigned need;
      const char *name;
   } features[] = {{BQL_NEEDS_PIPELINE_UPDATES, BQL_FEATURE_PIPELINE_UPDATES},
                   {BQL_NEEDS_MERGE, BQL_FEATURE_MERGE},
                   {BQL_NEEDS_TTL, BQL_FEATURE_TTL},
                   {BQL_NEEDS_DATE_TRUNC, BQL_FEATURE_DATE_TRUNC},
                   {BQL_NEEDS_DATE_PARTS, BQL_FEATURE_DATE_PARTS}};
   for (size_t i = 0; i < sizeof features / sizeof features[0]; i++) {
      if (needs & features[i].need) {
         const char *reason = bql_caps_lacks (&w->caps, w->client, features[i].need);
         if (reason) {
            if (why) {
               *why = reason;
            }
            return features[i].name;
         }
      }
   }
   return NULL;
}

/* ---- doubles a server cannot take ---- */

/* Levels searched (libbson's parser and ours stop well before). */
#define MAX_DEPTH 1000

/* A search of a document for a double or a Decimal128: the first one the
 * server behind w refuses (w set), or the first one that is the same as
 * d or dv (w NULL: NaN matches NaN). path is the dotted path of what was
 * found. */
typedef struct {
   bql_writer_t *w;
   double d;
   bool dec;              /* a Decimal128 (dv), not the double d */
   bson_decimal128_t dv;
   const char *why;
   char path[256];
} double_search_t;

static bool
same_double (double a, double b)
{
   return (a != a && b != b) || a == b;
}

/* The NaN probe's own connection (caps.c), with the caller's TLS options. */
static mongoc_client_t *
probe_client (void *ctx, const mongoc_uri_t *uri)
{
   const bql_writer_t *w = ctx;
   return bql_exec_client_new (w->xo, uri);
}

/* f->path up to plen, then ".key" of it (cut to the buffer): the new
 * length. A copy, not snprintf: it runs for every nested document and
 * every Decimal128 or non-finite double of every row. */
static size_t
path_append (double_search_t *f, size_t plen, const bson_iter_t *it)
{
   const size_t room = sizeof f->path - 1;
   size_t at = plen;
   if (plen && at < room) {
      f->path[at++] = '.';
   }
   size_t klen = bson_iter_key_len (it);
   size_t n = klen < room - at ? klen : room - at;
   memcpy (f->path + at, bson_iter_key (it), n);
   at += n;
   f->path[at] = '\0';
   return at;
}

static bool
search_doubles (double_search_t *f, bson_iter_t *it, int depth, size_t plen)
{
   while (bson_iter_next (it)) {
      bool dbl = BSON_ITER_HOLDS_DOUBLE (it);
      bool dec = BSON_ITER_HOLDS_DECIMAL128 (it);
      bool nested = BSON_ITER_HOLDS_DOCUMENT (it) || BSON_ITER_HOLDS_ARRAY (it);
      if (!dbl && !dec && !nested) {
         continue;
      }
      if (dbl) {
         double d = bson_iter_double (it);
         if (d == d && d - d == 0.0) {
            continue; /* finite: every server takes it */
         }
      }
      size_t end = path_append (f, plen, it);
      if (dec) {
         bson_decimal128_t v;
         bson_iter_decimal128 (it, &v);
         if (!f->w ? f->dec && v.high == f->dv.high && v.low == f->dv.low
                   : (f->why = bql_caps_refuses_decimal128 (&f->w->caps, f->w->client)) != NULL) {
            f->dec = true;
            f->dv = v;
            return true;
         }
      } else if (dbl) {
         double d = bson_iter_double (it);
         if (!f->w ? !f->dec && same_double (d, f->d)
                   : (f->why = bql_caps_refuses_double (&f->w->caps, f->w->client, probe_client, f->w,
                                                        f->w->plan->database, mongoc_collection_get_name (f->w->coll),
                                                        d)) != NULL) {
            f->d = d;
            return true;
         }
      } else if (depth < MAX_DEPTH) {
         bson_iter_t sub;
         if (bson_iter_recurse (it, &sub) && search_doubles (f, &sub, depth + 1, end)) {
            return true;
         }
      }
   }
   return false;
}

static bool
search_doc (double_search_t *f, const bson_t *doc)
{
   bson_iter_t it;
   f->path[0] = '\0';
   return doc && bson_iter_init (&it, doc) && search_doubles (f, &it, 0, 0);
}

/* Is the server behind w known to take every double and Decimal128 (as
 * probed already: nothing is asked here)? Then no search is needed. */
static bool
takes_every_value (const bql_writer_t *w)
{
   const bql_caps_t *c = &w->caps;
   return c->update_keeps_counts >= 0 && c->decimal128 && c->infinity && c->nan == 1;
}

bool
bql_writer_refuses_row (bql_writer_t *w, const bson_t *row, const bson_t *const *sent, size_t nsent, char *msg,
                        size_t len)
{
   if (takes_every_value (w)) {
      return false;
   }
   double_search_t f = {.w = w};
   size_t k = 0;
   while (k < nsent && !search_doc (&f, sent[k])) {
      k++;
   }
   if (k == nsent) {
      return false;
   }
   /* the field named is the row's own that holds the value (the write's
    * documents are commands: $set.x, {k: {$eq: ...}}) */
   double_search_t in_row = {.d = f.d, .dec = f.dec, .dv = f.dv};
   bool named = row == sent[k] || search_doc (&in_row, row);
   const char *path = row == sent[k] ? f.path : in_row.path;
   if (f.dec) {
      /* the value itself is not repeated (it is the row's data) */
      snprintf (msg, len, "not written: the server does not support %s: %s%s holds a Decimal128 (%s)",
                BQL_FEATURE_DECIMAL128, named ? "field " : "", named ? path : "the row's write", f.why);
      return true;
   }
   const char *value = f.d != f.d ? "NaN" : f.d > 0 ? "Infinity" : "-Infinity";
   snprintf (msg, len, "not written: the server does not support %s: %s%s holds %s (%s)",
             f.d != f.d ? BQL_FEATURE_NAN : BQL_FEATURE_INFINITY, named ? "field " : "", named ? path : "the row's write",
             value, f.why);
   return true;
}

const char *
bql_writer_refuses_command (bql_writer_t *w, const bson_t *command, const char **why)
{
   double_search_t f = {.w = w};
   if (takes_every_value (w) || !search_doc (&f, command)) {
      return NULL;
   }
   *why = f.why;
   return f.dec ? BQL_FEATURE_DECIMAL128 : f.d != f.d ? BQL_FEATURE_NAN : BQL_FEATURE_INFINITY;
}
