/*
 * errors.c — the planner's errors (planner.h): domain PLAN, the first
 * error of a planning wins, located at a node's or an explicit span of
 * the script's source (line and column computed from the byte offset by
 * the parser's bql_error_locate).
 */
#include <stdarg.h>
#include <stdio.h>

#include "planner.h"

bool
bql_plan_error_at (bql_planner_t *pl, int64_t offset, int64_t length, bql_error_code_t code, const char *hint,
                   const char *fmt, ...)
{
   bql_error_t *e = pl->error;
   if (!e || e->domain != BQL_ERROR_NONE) {
      return false; /* the first error wins */
   }
   bql_error_clear (e);
   e->domain = BQL_ERROR_PLAN;
   e->code = code;
   e->offset = offset;
   e->length = length;
   va_list ap;
   va_start (ap, fmt);
   vsnprintf (e->message, sizeof e->message, fmt, ap);
   va_end (ap);
   if (hint) {
      snprintf (e->hint, sizeof e->hint, "%s", hint);
   }
   bql_error_locate (e, pl->source, pl->source_len);
   return false;
}

bool
bql_plan_error (bql_planner_t *pl, const bql_node_t *node, bql_error_code_t code, const char *hint, const char *fmt,
                ...)
{
   bql_error_t *e = pl->error;
   if (!e || e->domain != BQL_ERROR_NONE) {
      return false;
   }
   char msg[sizeof e->message];
   va_list ap;
   va_start (ap, fmt);
   vsnprintf (msg, sizeof msg, fmt, ap);
   va_end (ap);
   return bql_plan_error_at (pl, node ? node->location : -1, node ? node->length : 0, code, hint, "%s", msg);
}
