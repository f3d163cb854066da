/*
 * caps.c — the capabilities of the server behind a connection, probed
 * once per connection, so that the executor's steps test what a server
 * can do and never which server it is. The products this file knows by
 * name, and why:
 *  - FerretDB (buildInfo.ferretdbVersion): its reply to an update command
 *    in which a statement fails is writeErrors [{index: 0}] with no
 *    counts, whichever statement failed, after having applied the
 *    statements before it. An update command then loses its account.
 *    It also closes the connection on a Decimal128 value, which it
 *    cannot store: named in the message of such a lost batch.
 */
#include "caps.h"

void
bql_caps_init (bql_caps_t *caps)
{
   caps->update_keeps_counts = -1;
}

bool
bql_caps_update_keeps_counts (bql_caps_t *caps, mongoc_client_t *client)
{
   if (caps->update_keeps_counts < 0) {
      bson_t cmd = BSON_INITIALIZER, reply;
      bson_error_t berr;
      BSON_APPEND_INT32 (&cmd, "buildInfo", 1);
      if (mongoc_client_command_simple (client, "admin", &cmd, NULL, &reply, &berr)) {
         caps->update_keeps_counts = bson_has_field (&reply, "ferretdbVersion") ? 0 : 1;
      } else {
         caps->update_keeps_counts = 0; /* unknown: one command per row is exact everywhere */
      }
      bson_destroy (&reply);
      bson_destroy (&cmd);
   }
   return caps->update_keeps_counts == 1;
}

const char *
bql_caps_decimal128_hangup_note (void)
{
   return " (the batch holds Decimal128 values, which some servers, FerretDB among them, cannot store: they close "
          "the connection)";
}
