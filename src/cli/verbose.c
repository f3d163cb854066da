/*
 * verbose.c — what --verbose and \verbose show: one line on stderr for
 * every batch as it completes (its index, rows, what it did, the server)
 * and for every retry of a lost batch (attempt, backoff), from the
 * executor's on_batch and on_retry callbacks (bulkql/exec.h).
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

void
cli_server_hosts (const cli_t *cli, char *out, size_t size)
{
   out[0] = '\0';
   if (!cli->client) {
      return;
   }
   const mongoc_host_list_t *h = mongoc_uri_get_hosts (mongoc_client_get_uri (cli->client));
   size_t used = 0;
   for (; h; h = h->next) {
      size_t n = strlen (h->host_and_port);
      if (used + (used > 0) + n >= size) {
         break; /* the hosts that fit */
      }
      if (used > 0) {
         out[used++] = ',';
      }
      memcpy (out + used, h->host_and_port, n + 1);
      used += n;
   }
}

bool
cli_verbose_batch (const bql_batch_info_t *info, void *ctx)
{
   const cli_t *cli = ctx;
   char server[256];
   cli_server_hosts (cli, server, sizeof server);
   char rows[64] = "";
   if (info->first_row > 0) {
      snprintf (rows, sizeof rows, " rows %" PRId64 "-%" PRId64 ",", info->first_row,
                info->first_row + info->size - 1);
   }
   char did[200] = "";
   const struct {
      const char *what;
      int64_t n;
   } counts[] = {{"inserted", info->n_inserted}, {"matched", info->n_matched}, {"modified", info->n_modified},
                 {"upserted", info->n_upserted}, {"removed", info->n_removed}, {"archived", info->n_archived}};
   for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
      if (counts[i].n) {
         size_t used = strlen (did);
         snprintf (did + used, sizeof did - used, " %" PRId64 " %s,", counts[i].n, counts[i].what);
      }
   }
   fprintf (stderr, "batch %" PRId64 ":%s %" PRId64 " sent,%s %" PRId64 " failed (server %s)\n", info->batch_index + 1,
            rows, info->size, did, info->n_failed, server);
   return true;
}

void
cli_verbose_retry (const bql_retry_info_t *info, void *ctx)
{
   const cli_t *cli = ctx;
   char server[256];
   cli_server_hosts (cli, server, sizeof server);
   fprintf (stderr, "retry: attempt %d of %d after %" PRId64 " batch%s done, waiting %" PRId64 " ms (server %s)\n",
            info->attempt, info->max_attempts, info->batches_done, info->batches_done == 1 ? "" : "es",
            info->backoff_ms, server);
}
