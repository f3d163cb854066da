/*
 * caps.h — what the server can do, probed once per statement's connection
 * (caps.c): the executor's steps consult these flags instead of asking
 * which server they talk to. Internal to the executor; needs libmongoc.
 */
#ifndef BQL_CAPS_H
#define BQL_CAPS_H

#include <mongoc/mongoc.h>
#include <stdbool.h>

typedef struct bql_caps {
   bool pipeline_updates;   /* update with an aggregation pipeline (MongoDB 4.2, wire version 8) */
   bool merge;              /* the $merge aggregation stage (MongoDB 4.2) */
   bool ttl;                /* TTL indexes (expireAfterSeconds) */
   bool decimal128;         /* stores Decimal128 values */
   bool update_counts_kept; /* an update command in which a statement fails still
                               reports the counts (nMatched, nModified, upserted)
                               of the statements it applied */
   char server[32];         /* the server's name, for messages ("MongoDB", ...) */
} bql_caps_t;

/* Probe client's server: its hello reply (from libmongoc's server
 * description: no command) and one buildInfo command. Always fills *caps:
 * when buildInfo fails, with what is known (wire version) and
 * update_counts_kept false (one statement per command is exact on every
 * server); false is returned then, with error set (may be NULL). */
bool bql_caps_probe (mongoc_client_t *client, bql_caps_t *caps, bson_error_t *error);

#endif /* BQL_CAPS_H */
