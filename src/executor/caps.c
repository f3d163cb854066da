/*
 * caps.c — the capabilities of the server behind a connection (caps.h),
 * probed once per connection, so that the executor's steps test what a
 * server can do and never which server it is. The only file that knows
 * server products by name, and why:
 *  - MongoDB is judged by its wire version (3.6 = 6 brings $dateToParts
 *    and $dateFromParts, 4.2 = 8 pipeline updates and $merge, 5.0 = 13
 *    $dateTrunc). The steps ask bql_caps_lacks before they send a
 *    command that needs one of these (steps.h: bql_step_needs), and
 *    refuse it, naming the feature, when the server lacks it; a pair of
 *    steps chooses between $dateTrunc and $dateToParts by date_trunc.
 *  - FerretDB (buildInfo.ferretdbVersion) speaks a recent wire version
 *    but lacks pipeline updates, $merge, TTL indexes, Decimal128 (it
 *    closes the connection on a Decimal128 value) and the date
 *    operators $dateTrunc, $dateToParts and $dateFromParts (v1.24's
 *    aggregation expressions are field paths, $type and $sum; those are
 *    "not implemented yet"), and its reply to an
 *    update command in which a statement fails is writeErrors
 *    [{index: 0}] with no counts, whichever statement failed, after
 *    having applied the statements before it and none after it (ordered
 *    or not): an update command then loses its account. It stores no
 *    ±Infinity: a row holding one is refused (code 2), or the whole
 *    insert command fails (code 1, after the rows before it were
 *    stored) when the value is in an array. NaN anywhere in a command
 *    closes the connection: that one is probed (bql_caps_refuses_double),
 *    and a row holding either is not sent to it.
 *  - FerretDB before 2.0 (ferretdbVersion "v1.x") pushes only equality
 *    ({_id: v}, $eq, $ne) down to its database, never $in (nor $or,
 *    $gt, $lt): a find of {_id: {$in: [...]}} decodes every document of
 *    the collection in FerretDB, whatever the number of _ids asked. Its
 *    explain says so (filterPushdown: false for $in, true for {_id: v};
 *    tests/integration/test_wire_caps.py asks it on a collection that
 *    exists), but an explain answers only for a collection that exists
 *    (an empty plan otherwise) and the capabilities are the
 *    connection's, not a collection's: the version decides, as for the
 *    other capabilities. FerretDB 2 (DocumentDB on PostgreSQL) serves
 *    _id lookups from its _id index, as MongoDB always does.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"

void
bql_caps_init (bql_caps_t *caps)
{
   memset (caps, 0, sizeof *caps);
   caps->update_keeps_counts = -1;
   caps->nan = -1;
}

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

/* Is buildInfo's ferretdbVersion ("v1.24.2") before 2.0? An unreadable
 * version counts as before (the lookups are then read once per
 * statement, which is exact on every server). */
static bool
ferretdb_before_2 (const bson_t *build_info)
{
   bson_iter_t it;
   if (!bson_iter_init_find (&it, build_info, "ferretdbVersion") || !BSON_ITER_HOLDS_UTF8 (&it)) {
      return true;
   }
   const char *v = bson_iter_utf8 (&it, NULL);
   v += *v == 'v';
   return !(*v >= '0' && *v <= '9') || strtol (v, NULL, 10) < 2;
}

bool
bql_caps_probe (mongoc_client_t *client, bql_caps_t *caps, bson_error_t *error)
{
   int nan = caps->nan; /* probed apart: kept */
   memset (caps, 0, sizeof *caps);
   caps->nan = nan;
   int32_t wire = max_wire_version (client);
   caps->wire_version = wire;
   caps->pipeline_updates = caps->merge = wire >= 8;
   caps->date_trunc = wire >= 13;
   caps->date_parts = wire >= 6;
   caps->ttl = true;
   caps->decimal128 = true;
   caps->infinity = true;

   bson_t cmd = BSON_INITIALIZER, reply;
   bson_error_t scratch;
   if (!error) {
      error = &scratch;
   }
   BSON_APPEND_INT32 (&cmd, "buildInfo", 1);
   bool ok = mongoc_client_command_simple (client, "admin", &cmd, NULL, &reply, error);
   if (ok && bson_has_field (&reply, "ferretdbVersion")) {
      caps->pipeline_updates = caps->merge = caps->ttl = caps->decimal128 = caps->infinity = false;
      caps->date_trunc = caps->date_parts = false;
      caps->update_keeps_counts = 0;
      caps->id_lookup_scans = ferretdb_before_2 (&reply);
      snprintf (caps->server, sizeof caps->server, "%s", "FerretDB");
   } else if (ok) {
      caps->update_keeps_counts = 1;
      snprintf (caps->server, sizeof caps->server, "%s", "MongoDB");
   } else {
      /* unknown: one statement per update command is exact everywhere */
      caps->update_keeps_counts = 0;
   }
   bson_destroy (&reply);
   bson_destroy (&cmd);
   return ok;
}

const bql_caps_t *
bql_caps_get (bql_caps_t *caps, mongoc_client_t *client)
{
   if (caps->update_keeps_counts < 0) {
      bql_caps_probe (client, caps, NULL);
   }
   return caps;
}

bool
bql_caps_id_lookup_scans (bql_caps_t *caps, mongoc_client_t *client)
{
   return bql_caps_get (caps, client)->id_lookup_scans;
}

bool
bql_caps_update_keeps_counts (bql_caps_t *caps, mongoc_client_t *client)
{
   return bql_caps_get (caps, client)->update_keeps_counts == 1;
}

/* 1 when the server behind client answers a find whose filter holds
 * NaN, 0 when it closes (or stops answering on) the connection after it
 * answered a ping on it, -1 when that cannot be told. On a client of its
 * own (connect's): client's connection stays as it is. */
static int
probe_nan (mongoc_client_t *client, bql_caps_connect_t connect, void *ctx, const char *db, const char *coll)
{
   mongoc_uri_t *uri = mongoc_uri_copy (mongoc_client_get_uri (client));
   mongoc_uri_set_option_as_int32 (uri, MONGOC_URI_SOCKETTIMEOUTMS, 10000);
   mongoc_client_t *own = connect (ctx, uri);
   mongoc_uri_destroy (uri);
   if (!own) {
      return -1;
   }
   int takes = -1;
   bson_t ping = BSON_INITIALIZER, find = BSON_INITIALIZER, filter, reply;
   bson_error_t berr;
   BSON_APPEND_INT32 (&ping, "ping", 1);
   if (mongoc_client_command_simple (own, "admin", &ping, NULL, &reply, &berr)) {
      bson_destroy (&reply);
      BSON_APPEND_UTF8 (&find, "find", coll);
      bson_append_document_begin (&find, "filter", -1, &filter);
      BSON_APPEND_DOUBLE (&filter, "_id", NAN);
      bson_append_document_end (&find, &filter);
      BSON_APPEND_INT32 (&find, "limit", 1);
      BSON_APPEND_BOOL (&find, "singleBatch", true);
      if (mongoc_client_command_simple (own, db, &find, NULL, &reply, &berr)) {
         takes = 1;
      } else if (berr.domain == MONGOC_ERROR_STREAM) {
         takes = 0; /* it answered the ping, and dropped the connection on NaN */
      }
   }
   bson_destroy (&reply);
   bson_destroy (&ping);
   bson_destroy (&find);
   mongoc_client_destroy (own);
   return takes;
}

const char *
bql_caps_refuses_double (bql_caps_t *caps, mongoc_client_t *client, bql_caps_connect_t connect, void *ctx,
                         const char *db, const char *coll, double d)
{
   if (d == d && d - d == 0.0) {
      return NULL; /* finite */
   }
   if (d != d) {
      if (caps->nan < 0) {
         caps->nan = probe_nan (client, connect, ctx, db, coll) == 0 ? 0 : 1; /* unknown: sent */
      }
      if (caps->nan != 0) {
         return NULL;
      }
      return !strcmp (bql_caps_get (caps, client)->server, "FerretDB") ? "FerretDB closes the connection on one"
                                                                        : "the server closes the connection on one";
   }
   const bql_caps_t *c = bql_caps_get (caps, client);
   if (c->infinity) {
      return NULL;
   }
   return !strcmp (c->server, "FerretDB") ? "FerretDB stores none" : "the server stores none";
}

const char *
bql_caps_refuses_decimal128 (bql_caps_t *caps, mongoc_client_t *client)
{
   const bql_caps_t *c = bql_caps_get (caps, client);
   if (c->decimal128) {
      return NULL;
   }
   return !strcmp (c->server, "FerretDB") ? "FerretDB closes the connection on one"
                                          : "the server closes the connection on one";
}

const char *
bql_caps_decimal128_hangup_note (bql_caps_t *caps, mongoc_client_t *client)
{
   const bql_caps_t *c = bql_caps_get (caps, client);
   if (c->decimal128) {
      return "";
   }
   return !strcmp (c->server, "FerretDB") ? " (the batch holds Decimal128 values, which some servers, FerretDB among them, "
                                "cannot store: they close the connection)"
                              : " (the batch holds Decimal128 values, which some servers cannot store: they close "
                                "the connection)";
}

const char *
bql_caps_lacks (bql_caps_t *caps, mongoc_client_t *client, unsigned need)
{
   const bql_caps_t *c = bql_caps_get (caps, client);
   bool has = need == BQL_NEEDS_PIPELINE_UPDATES ? c->pipeline_updates
              : need == BQL_NEEDS_MERGE          ? c->merge
              : need == BQL_NEEDS_TTL            ? c->ttl
              : need == BQL_NEEDS_DATE_TRUNC     ? c->date_trunc
              : need == BQL_NEEDS_DATE_PARTS     ? c->date_parts
                                                 : true;
   if (has) {
      return NULL;
   }
   if (!strcmp (c->server, "FerretDB")) {
      return "FerretDB has none";
   }
   if (c->wire_version > 0) {
      return need == BQL_NEEDS_DATE_TRUNC   ? "its wire version is below 13 (MongoDB 5.0)"
             : need == BQL_NEEDS_DATE_PARTS ? "its wire version is below 6 (MongoDB 3.6)"
                                            : "its wire version is below 8 (MongoDB 4.2)"; /* pipeline updates, $merge */
   }
   return NULL; /* unknown: sent, and the server answers */
}
