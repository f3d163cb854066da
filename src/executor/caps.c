/*
 * caps.c — server capabilities (caps.h). The only file that knows server
 * products by name: MongoDB is judged by its wire version (4.2 = 8 brings
 * pipeline updates and $merge); FerretDB (recognised by
 * buildInfo.ferretdbVersion)
 * speaks a recent wire version but lacks pipeline updates, $merge, TTL
 * indexes and Decimal128, and answers an update command in which a
 * statement fails with writeErrors [{index: 0}] and no counts.
 */
#include <stdio.h>
#include <string.h>

#include "caps.h"

static int32_t
max_wire_version (mongoc_client_t *client)
{
   bson_error_t berr;
   int32_t v = 0;
   mongoc_server_description_t *sd = mongoc_client_select_server (client, true, NULL, &berr);
   if (sd) {
      bson_iter_t it;
      const bson_t *hello = mongoc_server_description_hello_response (sd);
      if (hello && bson_iter_init_find (&it, hello, "maxWireVersion") && BSON_ITER_HOLDS_INT (&it)) {
         v = (int32_t) bson_iter_as_int64 (&it);
      }
      mongoc_server_description_destroy (sd);
   }
   return v;
}

bool
bql_caps_probe (mongoc_client_t *client, bql_caps_t *caps, bson_error_t *error)
{
   memset (caps, 0, sizeof *caps);
   int32_t wire = max_wire_version (client);
   caps->pipeline_updates = caps->merge = wire >= 8;
   caps->ttl = true;
   caps->decimal128 = true;
   snprintf (caps->server, sizeof caps->server, "%s", "MongoDB");

   bson_t cmd = BSON_INITIALIZER, reply;
   bson_error_t scratch;
   if (!error) {
      error = &scratch;
   }
   BSON_APPEND_INT32 (&cmd, "buildInfo", 1);
   bool ok = mongoc_client_command_simple (client, "admin", &cmd, NULL, &reply, error);
   if (ok && bson_has_field (&reply, "ferretdbVersion")) {
      caps->pipeline_updates = caps->merge = caps->ttl = caps->decimal128 = false;
      caps->update_counts_kept = false;
      snprintf (caps->server, sizeof caps->server, "%s", "FerretDB");
   } else {
      /* unknown: one statement per update command is exact everywhere */
      caps->update_counts_kept = ok;
   }
   bson_destroy (&reply);
   bson_destroy (&cmd);
   return ok;
}
