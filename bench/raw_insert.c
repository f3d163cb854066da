/*
 * raw_insert.c — the floor for BulkQL's end-to-end load: the least a C
 * program needs to load an NDJSON file with libmongoc. It reads the file
 * with libbson's streaming JSON reader and inserts the documents with
 * mongoc_bulk_operation_insert_with_opts in ordered bulk operations of
 * BATCH documents each (one `insert` command per batch, as BulkQL sends
 * with batch_size = BATCH), default write concern, one connection. No
 * retries, no error records, no _id of its own (libmongoc adds an ObjectId
 * _id to a document without one, as BulkQL does).
 *
 *   raw_insert URI DATABASE COLLECTION FILE BATCH
 *
 * Prints one JSON line: {"inserted": N, "batches": B, "seconds": S} (S on
 * the monotonic clock, from before connecting to after the last reply).
 * Exit status 0; 1 on invalid JSON, a refused batch or a lost server
 * (message on stderr); 2 on a usage error.
 */
#include <inttypes.h>
#include <mongoc/mongoc.h>
#include <stdio.h>
#include <stdlib.h>

/* Send one bulk operation; false (message on stderr) when any document was
 * not inserted. Adds the server's nInserted to *inserted. */
static bool
flush (mongoc_bulk_operation_t *bulk, int64_t *inserted)
{
   bson_t reply;
   bson_error_t err;
   uint32_t ok = mongoc_bulk_operation_execute (bulk, &reply, &err);
   bson_iter_t it;
   if (bson_iter_init_find (&it, &reply, "nInserted")) {
      *inserted += bson_iter_as_int64 (&it);
   }
   bson_destroy (&reply);
   if (!ok) {
      fprintf (stderr, "raw_insert: batch failed: %s\n", err.message);
   }
   return ok != 0;
}

int
main (int argc, char **argv)
{
   if (argc != 6 || atoi (argv[5]) < 1) {
      fprintf (stderr, "usage: raw_insert URI DATABASE COLLECTION FILE BATCH\n");
      return 2;
   }
   const int batch = atoi (argv[5]);
   int64_t start = bson_get_monotonic_time ();
   mongoc_init ();
   bson_error_t err;
   mongoc_uri_t *uri = mongoc_uri_new_with_error (argv[1], &err);
   if (!uri) {
      fprintf (stderr, "raw_insert: %s\n", err.message);
      return 2;
   }
   mongoc_client_t *client = mongoc_client_new_from_uri_with_error (uri, &err);
   mongoc_uri_destroy (uri);
   if (!client) {
      fprintf (stderr, "raw_insert: %s\n", err.message);
      return 2;
   }
   mongoc_client_set_appname (client, "raw_insert");
   mongoc_collection_t *coll = mongoc_client_get_collection (client, argv[2], argv[3]);
   bson_json_reader_t *reader = bson_json_reader_new_from_file (argv[4], &err);
   int rc = 0;
   int64_t read = 0, inserted = 0, batches = 0;
   if (!reader) {
      fprintf (stderr, "raw_insert: %s: %s\n", argv[4], err.message);
      rc = 1;
   }
   bson_t doc = BSON_INITIALIZER;
   mongoc_bulk_operation_t *bulk = NULL;
   int in_bulk = 0;
   while (rc == 0) {
      int r = bson_json_reader_read (reader, &doc, &err);
      if (r < 0) {
         fprintf (stderr, "raw_insert: %s: document %" PRId64 ": %s\n", argv[4], read + 1, err.message);
         rc = 1;
         break;
      }
      if (r == 0) {
         break;
      }
      read++;
      if (!bulk) {
         bulk = mongoc_collection_create_bulk_operation_with_opts (coll, NULL);
      }
      if (!mongoc_bulk_operation_insert_with_opts (bulk, &doc, NULL, &err)) {
         fprintf (stderr, "raw_insert: document %" PRId64 ": %s\n", read, err.message);
         rc = 1;
         break;
      }
      bson_reinit (&doc);
      if (++in_bulk == batch) {
         batches++;
         rc = flush (bulk, &inserted) ? 0 : 1;
         mongoc_bulk_operation_destroy (bulk);
         bulk = NULL;
         in_bulk = 0;
      }
   }
   if (rc == 0 && bulk && in_bulk) {
      batches++;
      rc = flush (bulk, &inserted) ? 0 : 1;
   }
   mongoc_bulk_operation_destroy (bulk);
   bson_destroy (&doc);
   if (reader) {
      bson_json_reader_destroy (reader);
   }
   mongoc_collection_destroy (coll);
   mongoc_client_destroy (client);
   mongoc_cleanup ();
   double secs = (double) (bson_get_monotonic_time () - start) / 1e6;
   if (rc == 0) {
      printf ("{\"inserted\": %" PRId64 ", \"batches\": %" PRId64 ", \"seconds\": %.6f}\n", inserted, batches, secs);
   }
   return rc;
}
