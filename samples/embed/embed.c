/*
 * samples/embed/embed.c — BulkQL inside a program of your own.
 *
 * Parses one BULK UPSERT with a positional and a named parameter, lists
 * them (bql_script_params), binds them from a BSON document, prints the plan (EXPLAIN) and runs it on a
 * mongoc_client_t of the caller's, with a per-batch callback and a
 * progress callback, then prints the statement's result.
 *
 * Usage: embed URI DATABASE
 * Build it against an installed BulkQL with CMake (CMakeLists.txt here:
 * find_package(bulkql)) or with pkg-config:
 *     cc embed.c $(pkg-config --cflags --libs bulkql) -o embed
 */
#include <bulkql/bulkql.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char statement[] =
   "BULK UPSERT INTO inventory (sku, qty, warehouse)\n"
   "VALUES (?, 5, :warehouse), ('B-2', 7, :warehouse), ('C-3', 1, 'south')\n"
   "ON CONFLICT (sku) DO UPDATE SET qty = qty + excluded.qty\n"
   "WITH BULK_OPTIONS (batch_size = 2, ordered = true);";

static bool
on_batch (const bql_batch_info_t *info, void *ctx)
{
   (void) ctx;
   printf ("batch %lld: rows %lld..%lld, nMatched %lld, nUpserted %lld, nFailed %lld\n",
           (long long) info->batch_index + 1, (long long) info->first_row,
           (long long) (info->first_row + info->size - 1), (long long) info->n_matched,
           (long long) info->n_upserted, (long long) info->n_failed);
   return true; /* false would stop the statement after this batch */
}

/* Called after every batch, and about every 500 ms while a batch waits
 * for the server (batch_wait_ms > 0 then): count the calls after batches. */
static void
on_progress (const bql_progress_t *p, void *ctx)
{
   int64_t *calls = ctx;
   if (p->batch_wait_ms == 0) {
      ++*calls;
   }
}

static int
fail (const bql_error_t *error, const char *source)
{
   char *text = bql_error_render (error, "embed.c", source, source ? strlen (source) : 0);
   fprintf (stderr, "%s (%s)\n", text ? text : error->message, bql_errstr (error->code));
   bql_free (text);
   return 1;
}

int
main (int argc, char **argv)
{
   if (argc != 3) {
      fprintf (stderr, "usage: %s URI DATABASE\n", argv[0]);
      return 2;
   }
   bql_error_t error;
   bql_script_t *script = NULL;
   bql_parse_options_t popts = {.size = sizeof (bql_parse_options_t), .filename = "embed.c"};
   if (!bql_parse (statement, strlen (statement), &popts, &script, &error)) {
      return fail (&error, statement);
   }
   printf ("bulkql %s: %zu statement(s), %d parameter(s)\n", bql_version (),
           bql_script_statement_count (script), (int) bql_script_param_count (script, 0));
   /* what to bind: ? by its position, :name by its name */
   bql_param_info_t params_info[8];
   size_t nparams = bql_script_params (script, 0, params_info, 8);
   for (size_t i = 0; i < nparams && i < 8; i++) {
      if (params_info[i].name) {
         printf ("parameter :%s, bound under \"%s\"\n", params_info[i].name, params_info[i].name);
      } else {
         printf ("parameter ? number %d, bound under \"%d\"\n", (int) params_info[i].number,
                 (int) params_info[i].number);
      }
   }

   /* ? is parameter "1"; :warehouse is "warehouse" */
   bson_t *params = BCON_NEW ("1", BCON_UTF8 ("A-1"), "warehouse", BCON_UTF8 ("north"));
   bql_plan_options_t plopts = {.size = sizeof (bql_plan_options_t), .database = argv[2], .params = params, .now_ms = 0, .dry_run = false};
   bql_plan_t *plan = NULL;
   bool ok = bql_plan_new (script, 0, &plopts, &plan, &error);
   bson_destroy (params);
   if (!ok) {
      int rc = fail (&error, statement);
      bql_script_destroy (script);
      return rc;
   }
   char *explain = bql_plan_explain_json (plan, &error);
   if (!explain) {
      int rc = fail (&error, statement);
      bql_plan_destroy (plan);
      bql_script_destroy (script);
      return rc;
   }
   printf ("plan:\n%s\n", explain);
   bql_free (explain);

   mongoc_init ();
   bson_error_t berr;
   mongoc_uri_t *uri = mongoc_uri_new_with_error (argv[1], &berr);
   if (!uri) {
      fprintf (stderr, "bad URI: %s\n", berr.message);
      return 2;
   }
   mongoc_client_t *client = mongoc_client_new_from_uri (uri);
   mongoc_client_set_appname (client, "bulkql-embed-sample");

   int64_t progress_calls = 0;
   bql_exec_options_t xopts = {
      .size = sizeof (bql_exec_options_t), .progress = on_progress, .progress_ctx = &progress_calls, .on_batch = on_batch};
   bson_t reply;
   ok = bql_execute (client, plan, &xopts, &reply, &error);
   char *json = bson_as_relaxed_extended_json (&reply, NULL);
   printf ("result: %s\nprogress callbacks after batches: %lld\n", json, (long long) progress_calls);
   bson_free (json);
   bson_destroy (&reply);
   int rc = ok ? 0 : fail (&error, NULL);

   mongoc_client_destroy (client);
   mongoc_uri_destroy (uri);
   mongoc_cleanup ();
   bql_plan_destroy (plan);
   bql_script_destroy (script);
   return rc;
}
