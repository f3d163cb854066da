/*
 * caps.h — what the server behind a connection can do, asked once per
 * connection (caps.c). The executor's steps consult these answers; no
 * code outside caps.c names a server product. Internal.
 */
#ifndef BQL_CAPS_H
#define BQL_CAPS_H

#include <mongoc/mongoc.h>
#include <stdbool.h>

/* The answers for one connection (one mongoc_client_t), filled lazily:
 * each is asked the first time a step needs it. Owned by whoever owns the
 * connection (a bql_writer_t); used by one thread at a time. */
typedef struct bql_caps {
   int update_keeps_counts; /* 1 yes, 0 no, -1 not asked yet */
} bql_caps_t;

/* Nothing asked yet. */
void bql_caps_init (bql_caps_t *caps);

/* Does the server keep the account of an update command in which one
 * statement fails (nMatched, nModified, upserted and writeErrors[].index
 * for the statements before and after it, as MongoDB does)? Asked once
 * per connection with the buildInfo command; when it cannot be asked,
 * false (one command per row is exact on every server). client is the
 * connection the updates go to. */
bool bql_caps_update_keeps_counts (bql_caps_t *caps, mongoc_client_t *client);

/* What to add to the message of a connection lost while a batch holding
 * Decimal128 values was on the wire: the servers known to hang up on
 * them, named. A static string. */
const char *bql_caps_decimal128_hangup_note (void);

#endif
