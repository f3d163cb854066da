/*
 * caps.h — what the server behind a connection can do, probed once per
 * connection (caps.c): the executor's steps consult these answers instead
 * of asking which server they talk to; no code outside caps.c names a
 * server product. Internal to the executor; needs libmongoc.
 */
#ifndef BQL_CAPS_H
#define BQL_CAPS_H

#include <mongoc/mongoc.h>
#include <stdbool.h>

#include "steps.h"

/* The answers for one connection (one mongoc_client_t), probed together
 * the first time a step needs one of them (bql_caps_get): a statement
 * that needs none sends no extra command. Owned by whoever owns the
 * connection (a bql_writer_t); used by one thread at a time. */
typedef struct bql_caps {
   int update_keeps_counts; /* an update command in which a statement fails
                               still reports the counts (nMatched, nModified,
                               upserted, writeErrors[].index) of the other
                               statements: 1 yes; 0 no (it applied the
                               statements before the failing one and none
                               after it, and replies writeErrors [{index: 0}]
                               with no counts); -1 not probed yet (then the
                               fields below are not set either) */
   bool pipeline_updates;   /* update with an aggregation pipeline (MongoDB 4.2, wire version 8) */
   bool merge;              /* the $merge aggregation stage (MongoDB 4.2) */
   bool ttl;                /* TTL indexes (expireAfterSeconds) */
   bool date_trunc;         /* the $dateTrunc expression (MongoDB 5.0, wire version 13) */
   bool date_parts;         /* $dateToParts and $dateFromParts (MongoDB 3.6, wire version 6) */
   bool decimal128;         /* stores Decimal128 values */
   bool infinity;           /* stores +Infinity and -Infinity doubles */
   int nan;                 /* takes a NaN double in a command: 1 yes; 0
                               no (it closes the connection on one); -1
                               not probed yet. Probed apart from the rest
                               (bql_caps_refuses_double), the first time a
                               row holds a NaN, and kept by bql_caps_probe */
   bool id_lookup_scans;    /* a find of {_id: {$in: [...]}} reads the whole
                               collection on the server (no index serves an
                               _id $in lookup): a read of a batch's _ids costs
                               as much as a read of every stored _id */
   int32_t wire_version;    /* maxWireVersion of its hello, 0 when unknown */
   char server[32];         /* the server's name, for messages ("MongoDB",
                               "FerretDB"; "" when buildInfo failed) */
} bql_caps_t;

/* Nothing probed yet. */
void bql_caps_init (bql_caps_t *caps);

/* Probe client's server now: its hello reply (from libmongoc's server
 * description: no command) and one buildInfo command. Always fills *caps:
 * when buildInfo fails, with what is known (wire version) and
 * update_keeps_counts 0 (one statement per command is exact on every
 * server); false is returned then, with error set (may be NULL). */
bool bql_caps_probe (mongoc_client_t *client, bql_caps_t *caps, bson_error_t *error);

/* *caps for client, probed (bql_caps_probe) unless it was already: once
 * per connection. Returns caps. */
const bql_caps_t *bql_caps_get (bql_caps_t *caps, mongoc_client_t *client);

/* Does the server keep the account of an update command in which one
 * statement fails (nMatched, nModified, upserted and writeErrors[].index
 * for the statements before and after it, as MongoDB does)? Probed once
 * per connection (bql_caps_get); when it cannot be asked, false (one
 * command per row is exact on every server). client is the connection
 * the updates go to. */
bool bql_caps_update_keeps_counts (bql_caps_t *caps, mongoc_client_t *client);

/* Does the server behind client lack the feature need (one
 * BQL_NEEDS_* bit of steps.h), by its probe (bql_caps_get: once per
 * connection)? NULL when it has it, or when the probe cannot tell (then
 * the command is sent and the server answers); else why it lacks it, for
 * the message that names the feature ("FerretDB has none"; a static
 * string). */
const char *bql_caps_lacks (bql_caps_t *caps, mongoc_client_t *client, unsigned need);

/* Why the server behind client cannot take the double d (a NaN or
 * ±Infinity that a row holds), for the row's error: "FerretDB closes the
 * connection on one" (a static string). NULL when it takes d (every
 * finite double), or when that cannot be told: the row is then sent and
 * the server answers.
 *  - NaN (MongoDB stores it): probed once per connection, the first time
 *    it is asked: a find of {_id: NaN} (limit 1: it reads nothing) in
 *    db.coll, on a connection of its own that connect (ctx, uri) makes
 *    for client's URI with a socket timeout of 10 s (the caller's, so
 *    that it has the caller's TLS options; the probe destroys it),
 *    after a ping on it. A server that then closes (or stops answering
 *    on) that connection does not take NaN; client's own connection is
 *    never touched. A reply, or any other failure, counts as taking
 *    it.
 *  - ±Infinity (MongoDB stores it): by bql_caps_get's buildInfo; storing
 *    a document is the only test, and no probe writes.
 * caps is client's (one thread at a time). */
typedef mongoc_client_t *(*bql_caps_connect_t) (void *ctx, const mongoc_uri_t *uri);
const char *bql_caps_refuses_double (bql_caps_t *caps, mongoc_client_t *client, bql_caps_connect_t connect, void *ctx,
                                     const char *db, const char *coll, double d);

/* Does a find of {_id: {$in: [...]}} read the whole collection on the
 * server behind client (bql_caps_t.id_lookup_scans, probed once per
 * connection as bql_caps_get)? False when it cannot be asked (the
 * lookups then run as on any server). */
bool bql_caps_id_lookup_scans (bql_caps_t *caps, mongoc_client_t *client);

/* Why the server behind client cannot take a Decimal128 value (one that
 * a row or a statement holds), for the error: "FerretDB closes the
 * connection on one" (a static string). NULL when it stores Decimal128
 * (MongoDB 3.4), or when that cannot be told (buildInfo failed: the value
 * is sent and the server answers). By bql_caps_get's buildInfo, once per
 * connection. caps is client's (one thread at a time). */
const char *bql_caps_refuses_decimal128 (bql_caps_t *caps, mongoc_client_t *client);

/* What to add to the message of a connection lost while a batch holding
 * Decimal128 values was on the wire, when the server behind client cannot
 * store them (probed as bql_caps_get): its name, as one of the servers
 * that close the connection on them. "" when it can store them (or could
 * not be asked). A static string. */
const char *bql_caps_decimal128_hangup_note (bql_caps_t *caps, mongoc_client_t *client);

#endif /* BQL_CAPS_H */
