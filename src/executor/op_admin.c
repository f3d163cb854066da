/*
 * op_admin.c — operations seen from outside the statement that runs them
 * (bulkql/operations.h): bql_operations_list, bql_operation_get and
 * bql_operation_abort, for bulkql --operations, --abort, \operations and
 * \operation. The documents are the ones operation.c writes; an abort is
 * one conditional update, which the running statement's next checkpoint
 * (its filter wants Open or InProgress) finds matching nothing.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bulkql/operations.h"
#include "executor.h"
#include "operation.h"
#include "resume.h"
#include "steps.h"

static bool fail (bql_error_t *e, bql_error_code_t code, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

static bool
fail (bql_error_t *e, bql_error_code_t code, const char *fmt, ...)
{
   va_list ap;
   va_start (ap, fmt);
   bql_exec_error_setv (e, code, 0, fmt, ap);
   va_end (ap);
   if (code == BQL_ERR_INVALID_ARG) {
      e->domain = BQL_ERROR_USAGE;
   }
   return false;
}

/* The caller's options, with the defaults. */
static bql_operations_options_t
options_of (const bql_operations_options_t *given)
{
   bql_operations_options_t o;
   memset (&o, 0, sizeof o);
   if (given) {
      size_t n = given->size && given->size < sizeof o ? given->size : sizeof o;
      memcpy (&o, given, n);
   }
   o.size = sizeof o;
   if (!o.database) {
      o.database = "test";
   }
   if (o.limit <= 0) {
      o.limit = 100;
   }
   if (o.stale_ms <= 0) {
      o.stale_ms = BQL_OPERATION_STALE_MS;
   }
   return o;
}

/* A 24 hex digit id, lowercased into out[25]. */
static bool
id_ok (const char *id, char out[25], bql_error_t *error)
{
   size_t n = id ? strlen (id) : 0;
   bool ok = n == 24;
   for (size_t i = 0; ok && i < n; i++) {
      ok = isxdigit ((unsigned char) id[i]) != 0;
      out[i] = (char) tolower ((unsigned char) id[i]);
   }
   if (!ok) {
      return fail (error, BQL_ERR_INVALID_ARG, "invalid operation id '%.40s': 24 hexadecimal digits, as operationId "
                   "shows it", id ? id : "(null)");
   }
   out[24] = '\0';
   return true;
}

/* doc with shownState and heartbeatAgeMs (and operationsDatabase, when
 * given) into out (initialised). */
static void
shown (const bson_t *doc, const bql_operations_options_t *o, const char *database, bson_t *out)
{
   bson_iter_t it;
   bson_copy_to (doc, out);
   const char *state = bson_iter_init_find (&it, doc, "state") && BSON_ITER_HOLDS_UTF8 (&it)
                          ? bson_iter_utf8 (&it, NULL)
                          : "?";
   int64_t age = -1;
   if (bson_iter_init_find (&it, doc, "heartbeatAt") && BSON_ITER_HOLDS_DATE_TIME (&it)) {
      age = bql_wall_ms () - bson_iter_date_time (&it);
   }
   bool live = !strcmp (state, "Open") || !strcmp (state, "InProgress");
   BSON_APPEND_UTF8 (out, "shownState", live && age >= o->stale_ms ? "Interrupted" : state);
   if (age >= 0) {
      BSON_APPEND_INT64 (out, "heartbeatAgeMs", age);
   }
   if (database) {
      BSON_APPEND_UTF8 (out, "operationsDatabase", database);
   }
}

bool
bql_operations_list (mongoc_client_t *client, const bql_operations_options_t *options, bson_t *reply,
                     bql_error_t *error)
{
   bql_error_t scratch;
   if (!error) {
      error = &scratch;
   }
   bql_error_clear (error);
   if (reply) {
      bson_init (reply);
   }
   if (!client || !reply) {
      return fail (error, BQL_ERR_INVALID_ARG, "bql_operations_list: NULL argument");
   }
   bql_operations_options_t o = options_of (options);
   mongoc_collection_t *coll = mongoc_client_get_collection (client, o.database, BQL_OPERATIONS_COLLECTION);
   bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, sort, arr;
   bson_append_document_begin (&opts, "sort", -1, &sort);
   BSON_APPEND_INT32 (&sort, "startedAt", -1);
   BSON_APPEND_INT32 (&sort, "_id", -1);
   bson_append_document_end (&opts, &sort);
   BSON_APPEND_INT64 (&opts, "limit", o.limit);
   mongoc_cursor_t *cur = mongoc_collection_find_with_opts (coll, &filter, &opts, NULL);
   BSON_APPEND_UTF8 (reply, "database", o.database);
   bson_append_array_begin (reply, "operations", -1, &arr);
   const bson_t *d;
   uint32_t i = 0;
   while (mongoc_cursor_next (cur, &d)) {
      char kb[16];
      const char *k;
      bson_uint32_to_string (i++, &k, kb, sizeof kb);
      bson_t one, s;
      shown (d, &o, NULL, &s);
      bson_append_document_begin (&arr, k, -1, &one);
      bson_concat (&one, &s);
      bson_append_document_end (&arr, &one);
      bson_destroy (&s);
   }
   bson_append_array_end (reply, &arr);
   bson_error_t berr;
   bool ok = !mongoc_cursor_error (cur, &berr);
   if (!ok) {
      char what[200];
      snprintf (what, sizeof what, "read %s.%s", o.database, BQL_OPERATIONS_COLLECTION);
      bql_operation_server_error (error, &berr, what);
   }
   mongoc_cursor_destroy (cur);
   mongoc_collection_destroy (coll);
   bson_destroy (&filter);
   bson_destroy (&opts);
   return ok;
}

/* Find operation_id (its document, shown, in *doc; its database in
 * *db, bson_malloc'd). */
static bool
get (mongoc_client_t *client, const char *operation_id, const bql_operations_options_t *o, bson_t *doc, char **db,
     char id[25], bql_error_t *error)
{
   if (!id_ok (operation_id, id, error)) {
      return false;
   }
   bson_t found;
   if (!bql_operation_find (client, NULL, o->database, id, &found, db, error)) {
      return false;
   }
   bson_destroy (doc);
   shown (&found, o, *db, doc);
   bson_destroy (&found);
   return true;
}

bool
bql_operation_get (mongoc_client_t *client, const char *operation_id, const bql_operations_options_t *options,
                   bson_t *doc, bql_error_t *error)
{
   bql_error_t scratch;
   if (!error) {
      error = &scratch;
   }
   bql_error_clear (error);
   if (doc) {
      bson_init (doc);
   }
   if (!client || !doc) {
      return fail (error, BQL_ERR_INVALID_ARG, "bql_operation_get: NULL argument");
   }
   bql_operations_options_t o = options_of (options);
   char id[25], *db = NULL;
   bool ok = get (client, operation_id, &o, doc, &db, id, error);
   bson_free (db);
   return ok;
}

bool
bql_operation_abort (mongoc_client_t *client, const char *operation_id, const bql_operations_options_t *options,
                     bson_t *doc, bql_error_t *error)
{
   bql_error_t scratch;
   bson_t own;
   if (!error) {
      error = &scratch;
   }
   bql_error_clear (error);
   if (!doc) {
      doc = &own;
   }
   bson_init (doc);
   if (!client) {
      if (doc == &own) {
         bson_destroy (&own);
      }
      return fail (error, BQL_ERR_INVALID_ARG, "bql_operation_abort: NULL argument");
   }
   bql_operations_options_t o = options_of (options);
   char id[25], *db = NULL;
   bool ok = get (client, operation_id, &o, doc, &db, id, error);
   bson_iter_t it;
   const char *state = ok && bson_iter_init_find (&it, doc, "state") && BSON_ITER_HOLDS_UTF8 (&it)
                          ? bson_iter_utf8 (&it, NULL)
                          : NULL;
   if (ok && state && (!strcmp (state, "Complete") || !strcmp (state, "Aborted"))) {
      ok = fail (error, BQL_ERR_REFUSED, "operation %s is %s already: there is nothing to abort", id, state);
   }
   if (ok) {
      /* the states a run or a resume may still leave */
      bson_t *filter = BCON_NEW ("_id", BCON_UTF8 (id), "state", "{", "$in", "[", BCON_UTF8 ("Open"),
                                 BCON_UTF8 ("InProgress"), BCON_UTF8 ("Failed"), "]", "}");
      int64_t now = bql_wall_ms ();
      bson_t *update = BCON_NEW ("$set", "{", "state", BCON_UTF8 ("Aborted"), "reason",
                                 BCON_UTF8 (o.reason ? o.reason : "aborted by bql_operation_abort"), "updatedAt",
                                 BCON_DATE_TIME (now), "finishedAt", BCON_DATE_TIME (now), "}");
      mongoc_collection_t *coll = mongoc_client_get_collection (client, db, BQL_OPERATIONS_COLLECTION);
      bson_t reply;
      bson_error_t berr;
      if (!mongoc_collection_update_one (coll, filter, update, NULL, &reply, &berr)) {
         char what[200];
         snprintf (what, sizeof what, "mark operation %s Aborted in %s.%s", id, db, BQL_OPERATIONS_COLLECTION);
         ok = bql_operation_server_error (error, &berr, what);
      } else if (!bson_iter_init_find (&it, &reply, "matchedCount") || bson_iter_as_int64 (&it) == 0) {
         /* it ended (or was aborted) between the read and the update */
         ok = fail (error, BQL_ERR_REFUSED, "operation %s is no longer Open, InProgress or Failed: it ended while "
                    "being aborted", id);
      }
      bson_destroy (&reply);
      mongoc_collection_destroy (coll);
      bson_destroy (filter);
      bson_destroy (update);
   }
   bson_free (db);
   if (doc == &own) {
      bson_destroy (&own);
   }
   return ok;
}
