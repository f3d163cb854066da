/*
 * bare_reader.c — the floor for BulkQL's client pipeline: a bare loop over
 * libbson's streaming JSON reader (bson_json_reader_new_from_file, the
 * reader BulkQL uses for NDJSON) that turns every document of an NDJSON
 * file into BSON and does nothing else with it.
 *
 *   bare_reader FILE
 *
 * Prints one JSON line: {"docs": N, "bson_bytes": B, "seconds": S} (S on
 * the monotonic clock, from before the file is opened to after the last
 * document). Exit status 0, 1 when the file cannot be opened or holds
 * invalid JSON (message on stderr), 2 on a usage error.
 */
#include <bson/bson.h>
#include <inttypes.h>
#include <stdio.h>

int
main (int argc, char **argv)
{
   if (argc != 2) {
      fprintf (stderr, "usage: bare_reader FILE\n");
      return 2;
   }
   int64_t start = bson_get_monotonic_time ();
   bson_error_t err;
   bson_json_reader_t *reader = bson_json_reader_new_from_file (argv[1], &err);
   if (!reader) {
      fprintf (stderr, "bare_reader: %s: %s\n", argv[1], err.message);
      return 1;
   }
   bson_t doc = BSON_INITIALIZER;
   int64_t docs = 0, bytes = 0;
   int r;
   while ((r = bson_json_reader_read (reader, &doc, &err)) == 1) {
      docs++;
      bytes += doc.len;
      bson_reinit (&doc);
   }
   bson_destroy (&doc);
   bson_json_reader_destroy (reader);
   double secs = (double) (bson_get_monotonic_time () - start) / 1e6;
   if (r < 0) {
      fprintf (stderr, "bare_reader: %s: document %" PRId64 ": %s\n", argv[1], docs + 1, err.message);
      return 1;
   }
   printf ("{\"docs\": %" PRId64 ", \"bson_bytes\": %" PRId64 ", \"seconds\": %.6f}\n", docs, bytes, secs);
   return 0;
}
