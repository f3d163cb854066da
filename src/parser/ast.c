/*
 * ast.c — the AST's constructors, names, walker and JSON writer. All four
 * are generated from bulkql/nodes.def, so adding a node kind or a field
 * there is enough for it to be built, walked and printed.
 */
#include <stdlib.h>
#include <string.h>

#include "parse_internal.h"

/* ---- construction ---- */

bql_list_t *
bql_list_make (bql_parse_state_t *st, bql_node_t *item)
{
   return bql_list_append (st, NULL, item);
}

bql_list_t *
bql_list_append (bql_parse_state_t *st, bql_list_t *list, bql_node_t *item)
{
   if (!list) {
      list = bql_arena_alloc (st->arena, sizeof *list);
      if (!list) {
         st->nomem = true;
         return NULL;
      }
   }
   if (!item) {
      return list;
   }
   if (list->length == list->capacity) {
      /* Lists grow by doubling inside the arena; the old array stays
       * behind, which costs at most as much again as the final array. */
      int32_t cap = list->capacity ? list->capacity * 2 : 4;
      bql_node_t **items = bql_arena_alloc_raw (st->arena, (size_t) cap * sizeof *items);
      if (!items) {
         st->nomem = true;
         return NULL;
      }
      if (list->length) {
         memcpy (items, list->items, (size_t) list->length * sizeof *items);
      }
      list->items = items;
      list->capacity = cap;
   }
   list->items[list->length++] = item;
   return list;
}

/* Double the room of st->pending (bql_pending_push's slow path). */
bool
bql_pending_grow (bql_parse_state_t *st)
{
   const bql_allocator_t *a = bql_arena_allocator (st->arena);
   size_t cap = st->pending_cap ? st->pending_cap * 2 : 64;
   if (cap > SIZE_MAX / sizeof *st->pending) {
      st->nomem = true;
      return false;
   }
   bql_node_t **items = st->pending ? a->realloc_fn (st->pending, cap * sizeof *items, a->ctx)
                                    : a->malloc_fn (cap * sizeof *items, a->ctx);
   if (!items) {
      st->nomem = true;
      return false;
   }
   st->pending = items;
   st->pending_cap = cap;
   return true;
}

bql_list_t *
bql_pending_finish (bql_parse_state_t *st, size_t mark)
{
   size_t n = st->pending_len - mark;
   if (n > INT32_MAX) {
      st->nomem = true;
      return NULL;
   }
   bql_list_t *list = bql_arena_alloc_raw (st->arena, sizeof *list + n * sizeof *list->items);
   if (!list) {
      st->nomem = true;
      return NULL;
   }
   list->length = (int32_t) n;
   list->capacity = (int32_t) n;
   list->items = (bql_node_t **) (void *) (list + 1);
   if (n) {
      memcpy (list->items, st->pending + mark, n * sizeof *list->items);
   }
   st->pending_len = mark;
   return list;
}

/* ---- names ---- */

#define NAME_FN(fn, LIST, X_ITEM)                                   \
   const char *fn (int v)                                           \
   {                                                                \
      static const char *const names[] = {LIST (X_ITEM)};          \
      if (v < 0 || (size_t) v >= sizeof names / sizeof names[0]) { \
         return "?";                                               \
      }                                                             \
      return names[v];                                              \
   }

#define X_NAME1(n) #n,
#define X_NAME2(n, s) s,
NAME_FN (bql_const_type_name, BQL_CONST_TYPES, X_NAME1)
NAME_FN (bql_binary_op_name, BQL_BINARY_OPS, X_NAME2)
NAME_FN (bql_unary_op_name, BQL_UNARY_OPS, X_NAME2)
NAME_FN (bql_conflict_action_name, BQL_CONFLICT_ACTIONS, X_NAME1)
NAME_FN (bql_special_value_name, BQL_SPECIAL_VALUES, X_NAME1)

const char *
bql_node_kind_name (bql_node_kind_t kind)
{
   static const char *const names[] = {
      "Invalid",
#define BQL_NODE(name, fields) #name,
#include "bulkql/nodes.def"
#undef BQL_NODE
   };
   if ((int) kind < 0 || kind >= BQL_T__COUNT) {
      return "?";
   }
   return names[kind];
}

/* ---- walking ---- */

static void
walk (const bql_node_t *node, int depth, bql_walk_enter_fn enter, bql_walk_leave_fn leave, void *ctx)
{
   if (!node) {
      return;
   }
   if (enter (node, depth, ctx)) {
      switch (node->kind) {
#define BQL_F_NODE(n) walk (s->n, depth + 1, enter, leave, ctx);
#define BQL_F_LIST(n)                                    \
   for (int32_t i = 0; s->n && i < s->n->length; i++) { \
      walk (s->n->items[i], depth + 1, enter, leave, ctx); \
   }
#define BQL_F_STR(n)
#define BQL_F_INT(n)
#define BQL_F_BOOL(n)
#define BQL_F_ENUM(n, T)
#define BQL_NODE(name, fields)                                       \
   case BQL_T_##name: {                                             \
      const bql_##name##_t *s = (const bql_##name##_t *) (const void *) node; \
      (void) s;                                                     \
      fields break;                                                 \
   }
#include "bulkql/nodes.def"
#undef BQL_NODE
#undef BQL_F_NODE
#undef BQL_F_LIST
#undef BQL_F_STR
#undef BQL_F_INT
#undef BQL_F_BOOL
#undef BQL_F_ENUM
      default:
         break;
      }
   }
   if (leave) {
      leave (node, depth, ctx);
   }
}

/* ---- depth ---- */

/* The first node deeper than max below root (root is at depth 0), in walk
 * order, or NULL; an explicit stack on the heap, so any depth is safe.
 * *nomem is set when the stack cannot grow. */
const bql_node_t *
bql_node_too_deep (const bql_node_t *root, int max, const bql_allocator_t *a, bool *nomem)
{
   typedef struct {
      const bql_node_t *node;
      int depth;
   } item_t;
   *nomem = false;
   if (!root) {
      return NULL;
   }
   size_t cap = 64, len = 0;
   item_t *stack = a->malloc_fn (cap * sizeof *stack, a->ctx);
   if (!stack) {
      *nomem = true;
      return NULL;
   }
   const bql_node_t *found = NULL;
   stack[len++] = (item_t) {root, 0};
   while (len && !found) {
      item_t top = stack[--len];
      if (top.depth > max) {
         found = top.node;
         break;
      }
      const bql_node_t *node = top.node;
      size_t first_kid = len;
#define PUSH_KID(k)                                                             \
   do {                                                                        \
      if ((k) && !*nomem) {                                                    \
         if (len == cap) {                                                     \
            item_t *grown = a->realloc_fn (stack, cap * 2 * sizeof *stack, a->ctx); \
            if (!grown) {                                                      \
               *nomem = true;                                                  \
               break;                                                          \
            }                                                                  \
            stack = grown;                                                     \
            cap *= 2;                                                          \
         }                                                                     \
         stack[len++] = (item_t) {(k), top.depth + 1};                         \
      }                                                                        \
   } while (0)
      switch (node->kind) {
#define BQL_F_NODE(n) PUSH_KID (s->n);
#define BQL_F_LIST(n)                                    \
   for (int32_t i = 0; s->n && i < s->n->length; i++) {  \
      PUSH_KID (s->n->items[i]);                         \
   }
#define BQL_F_STR(n)
#define BQL_F_INT(n)
#define BQL_F_BOOL(n)
#define BQL_F_ENUM(n, T)
#define BQL_NODE(name, fields)                                       \
   case BQL_T_##name: {                                             \
      const bql_##name##_t *s = (const bql_##name##_t *) (const void *) node; \
      (void) s;                                                     \
      fields break;                                                 \
   }
#include "bulkql/nodes.def"
#undef BQL_NODE
#undef BQL_F_NODE
#undef BQL_F_LIST
#undef BQL_F_STR
#undef BQL_F_INT
#undef BQL_F_BOOL
#undef BQL_F_ENUM
#undef PUSH_KID
      default:
         break;
      }
      if (*nomem) {
         break;
      }
      /* the first child on top, so that children are visited in order */
      for (size_t i = first_kid, j = len; i + 1 < j; i++, j--) {
         item_t t = stack[i];
         stack[i] = stack[j - 1];
         stack[j - 1] = t;
      }
   }
   a->free_fn (stack, a->ctx);
   return found;
}

void
bql_node_walk (const bql_node_t *node, bql_walk_enter_fn enter, bql_walk_leave_fn leave, void *ctx)
{
   if (enter) {
      walk (node, 0, enter, leave, ctx);
   }
}

/* ---- JSON ---- */

typedef struct {
   bql_buf_t *b;
   bool first; /* no field written yet in the current object */
} json_t;

static void write_node (json_t *w, const bql_node_t *node);

static void
key (json_t *w, const char *name)
{
   if (!w->first) {
      bql_buf_putc (w->b, ',');
   }
   w->first = false;
   bql_buf_json_string (w->b, name, strlen (name));
   bql_buf_putc (w->b, ':');
}

static void
field_node (json_t *w, const char *name, const bql_node_t *n)
{
   if (n) {
      key (w, name);
      write_node (w, n);
   }
}

static void
field_list (json_t *w, const char *name, const bql_list_t *l)
{
   if (!l || l->length == 0) {
      return;
   }
   key (w, name);
   bql_buf_putc (w->b, '[');
   for (int32_t i = 0; i < l->length; i++) {
      if (i) {
         bql_buf_putc (w->b, ',');
      }
      write_node (w, l->items[i]);
   }
   bql_buf_putc (w->b, ']');
}

static void
field_str (json_t *w, const char *name, const char *s)
{
   if (s && *s) {
      key (w, name);
      bql_buf_json_string (w->b, s, strlen (s));
   }
}

static void
field_int (json_t *w, const char *name, int64_t v)
{
   if (v) {
      key (w, name);
      bql_buf_printf (w->b, "%lld", (long long) v);
   }
}

static void
field_bool (json_t *w, const char *name, bool v)
{
   if (v) {
      key (w, name);
      bql_buf_puts (w->b, "true");
   }
}

static void
write_node (json_t *w, const bql_node_t *node)
{
   bql_buf_putc (w->b, '{');
   const char *kind = bql_node_kind_name (node->kind);
   bql_buf_json_string (w->b, kind, strlen (kind));
   bql_buf_puts (w->b, ":{");
   json_t inner = {w->b, true};
   switch (node->kind) {
#define BQL_F_NODE(n) field_node (&inner, #n, s->n);
#define BQL_F_LIST(n) field_list (&inner, #n, s->n);
#define BQL_F_STR(n) field_str (&inner, #n, s->n);
#define BQL_F_INT(n) field_int (&inner, #n, s->n);
#define BQL_F_BOOL(n) field_bool (&inner, #n, s->n);
#define BQL_F_ENUM(n, T) field_str (&inner, #n, T##_name (s->n));
#define BQL_NODE(name, fields)                                       \
   case BQL_T_##name: {                                             \
      const bql_##name##_t *s = (const bql_##name##_t *) (const void *) node; \
      fields break;                                                 \
   }
#include "bulkql/nodes.def"
#undef BQL_NODE
#undef BQL_F_NODE
#undef BQL_F_LIST
#undef BQL_F_STR
#undef BQL_F_INT
#undef BQL_F_BOOL
#undef BQL_F_ENUM
   default:
      break;
   }
   key (&inner, "location");
   bql_buf_printf (w->b, "%d", (int) node->location);
   key (&inner, "length");
   bql_buf_printf (w->b, "%d", (int) node->length);
   bql_buf_puts (w->b, "}}");
}

char *
bql_node_to_json (const bql_node_t *node, size_t *len)
{
   bql_buf_t b;
   bql_buf_init (&b);
   if (node) {
      json_t w = {&b, true};
      write_node (&w, node);
   } else {
      bql_buf_puts (&b, "null");
   }
   return bql_buf_steal (&b, len);
}

char *
bql_script_to_json (const bql_script_t *script, size_t *len)
{
   bql_buf_t b;
   bql_buf_init (&b);
   bql_buf_printf (&b, "{\"version\":%d,\"statements\":[", BQL_AST_VERSION);
   const bql_list_t *l = script ? script->statements : NULL;
   for (int32_t i = 0; l && i < l->length; i++) {
      if (i) {
         bql_buf_putc (&b, ',');
      }
      json_t w = {&b, true};
      write_node (&w, l->items[i]);
   }
   bql_buf_puts (&b, "]}");
   return bql_buf_steal (&b, len);
}
