/*
 * params.c — bql_script_params(): the ? and :name parameters of a
 * statement, in the order of the text, for a program that binds them
 * (bql_plan_options_t.params). It walks the statement's syntax tree.
 */
#include <stdlib.h>

#include "bulkql/ast.h"
#include "bulkql/parser.h"

typedef struct {
   bql_param_info_t *out;
   size_t max;
   size_t n;
   int ordered; /* the tree's order is the text's so far */
   int64_t last;
} collect_t;

static bool
enter (const bql_node_t *node, int depth, void *ctx)
{
   collect_t *c = ctx;
   (void) depth;
   if (bql_is (node, ParamRef)) {
      const bql_ParamRef_t *p = bql_cast (ParamRef, node);
      if (c->n < c->max) {
         c->out[c->n].number = p->name ? 0 : (int32_t) p->number;
         c->out[c->n].name = p->name;
         c->out[c->n].offset = node->location;
      }
      if (node->location < c->last) {
         c->ordered = 0;
      }
      c->last = node->location;
      c->n++;
   }
   return true;
}

static int
by_offset (const void *a, const void *b)
{
   const bql_param_info_t *x = a, *y = b;
   return x->offset < y->offset ? -1 : x->offset > y->offset;
}

size_t
bql_script_params (const bql_script_t *script, size_t i, bql_param_info_t *params, size_t max)
{
   if (!script || i >= bql_script_statement_count (script)) {
      return 0;
   }
   collect_t c = {params, params ? max : 0, 0, 1, -1};
   bql_node_walk (bql_script_statement (script, i), enter, NULL, &c);
   if (!c.ordered && c.n <= c.max) {
      qsort (params, c.n, sizeof *params, by_offset);
   } else if (!c.ordered && c.max > 0) {
      /* only some fit: collect all, sort, keep the first max */
      bql_param_info_t *all = calloc (c.n, sizeof *all);
      if (all) {
         collect_t d = {all, c.n, 0, 1, -1};
         bql_node_walk (bql_script_statement (script, i), enter, NULL, &d);
         qsort (all, d.n, sizeof *all, by_offset);
         for (size_t k = 0; k < c.max; k++) {
            params[k] = all[k];
         }
         free (all);
      }
   }
   return c.n;
}
