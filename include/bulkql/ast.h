/*
 * bulkql/ast.h — the abstract syntax tree of a BulkQL script.
 *
 * Node kinds are listed once, in bulkql/nodes.def; this header turns that
 * list into an enum and one struct per kind. Every node starts with a
 * bql_node_t header carrying its kind and its byte span in the script's
 * source (location = byte offset, -1 when unknown; length in bytes). All
 * nodes, lists and strings belong to the bql_script_t that produced them
 * and live until bql_script_destroy(); they are read-only for callers.
 * Needs only libc. The node grammar is bulkql(1) "STATEMENTS".
 *
 * Threads: nodes are never changed after bql_parse, so any number of
 * threads may read one script's tree at once; the functions here are
 * thread-safe.
 */
#ifndef BULKQL_AST_H
#define BULKQL_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkql/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the AST JSON format written by bql_script_to_json().
 * 2: a chain of AND or of OR is one BoolExpr {op, args} (was nested
 * BinaryExpr nodes). */
#define BQL_AST_VERSION 2

/* ---- enums used by node fields (names are what the JSON writer prints) ---- */

#define BQL_CONST_TYPES(X) \
   X (STRING)              \
   X (INTEGER)             \
   X (FLOAT)               \
   X (DECIMAL)             \
   X (BOOLEAN)             \
   X (NULL)                \
   X (DATE)                \
   X (TIMESTAMP)           \
   X (INTERVAL)            \
   X (JSON)

typedef enum bql_const_type {
#define BQL_X(n) BQL_CONST_##n,
   BQL_CONST_TYPES (BQL_X)
#undef BQL_X
} bql_const_type;

#define BQL_BINARY_OPS(X) \
   X (ADD, "+")           \
   X (SUB, "-")           \
   X (MUL, "*")           \
   X (DIV, "/")           \
   X (MOD, "%")           \
   X (CONCAT, "||")       \
   X (EQ, "=")            \
   X (NE, "<>")           \
   X (LT, "<")            \
   X (LE, "<=")           \
   X (GT, ">")            \
   X (GE, ">=")           \
   X (AND, "AND")         \
   X (OR, "OR")

typedef enum bql_binary_op {
#define BQL_X(n, s) BQL_OP_##n,
   BQL_BINARY_OPS (BQL_X)
#undef BQL_X
} bql_binary_op;

#define BQL_UNARY_OPS(X) \
   X (NOT, "NOT")        \
   X (NEG, "-")          \
   X (PLUS, "+")

typedef enum bql_unary_op {
#define BQL_X(n, s) BQL_UOP_##n,
   BQL_UNARY_OPS (BQL_X)
#undef BQL_X
} bql_unary_op;

#define BQL_CONFLICT_ACTIONS(X) \
   X (NOTHING)                  \
   X (UPDATE)                   \
   X (REPLACE)

typedef enum bql_conflict_action {
#define BQL_X(n) BQL_CONFLICT_##n,
   BQL_CONFLICT_ACTIONS (BQL_X)
#undef BQL_X
} bql_conflict_action;

#define BQL_SPECIAL_VALUES(X) \
   X (CURRENT_TIMESTAMP)      \
   X (CURRENT_DATE)

typedef enum bql_special_value {
#define BQL_X(n) BQL_SV_##n,
   BQL_SPECIAL_VALUES (BQL_X)
#undef BQL_X
} bql_special_value;

/* Printable names of the enum values above ("INTEGER", "+", "UPDATE", ...);
 * "?" for a value out of range. The strings are static. */
BQL_EXPORT const char *bql_const_type_name (int v);
BQL_EXPORT const char *bql_binary_op_name (int v);
BQL_EXPORT const char *bql_unary_op_name (int v);
BQL_EXPORT const char *bql_conflict_action_name (int v);
BQL_EXPORT const char *bql_special_value_name (int v);

/* ---- node kinds and structs ---- */

typedef enum bql_node_kind {
   BQL_T_Invalid = 0,
#define BQL_NODE(name, fields) BQL_T_##name,
#include "bulkql/nodes.def"
#undef BQL_NODE
   BQL_T__COUNT
} bql_node_kind_t;

/* The header of every node. */
typedef struct bql_node {
   bql_node_kind_t kind;
   int32_t location; /* byte offset in the script source, -1 if unknown */
   int32_t length;   /* byte length of the node's text */
} bql_node_t;

/* A list of nodes; length may be 0. */
typedef struct bql_list {
   int32_t length;
   int32_t capacity;
   bql_node_t **items;
} bql_list_t;

#define BQL_F_NODE(n) bql_node_t *n;
#define BQL_F_LIST(n) bql_list_t *n;
#define BQL_F_STR(n) const char *n;
#define BQL_F_INT(n) int32_t n;
#define BQL_F_BOOL(n) bool n;
#define BQL_F_ENUM(n, T) int n;
#define BQL_NODE(name, fields) \
   typedef struct bql_##name { \
      bql_node_t node;         \
      fields                   \
   } bql_##name##_t;
#include "bulkql/nodes.def"
#undef BQL_NODE
#undef BQL_F_NODE
#undef BQL_F_LIST
#undef BQL_F_STR
#undef BQL_F_INT
#undef BQL_F_BOOL
#undef BQL_F_ENUM

/* bql_is(node, InsertStmt): true when node is non-NULL and of that kind.
 * bql_cast(InsertStmt, node): the node as a const bql_InsertStmt_t *. */
#define bql_is(node, Kind) ((node) != NULL && (node)->kind == BQL_T_##Kind)
#define bql_cast(Kind, node) ((const bql_##Kind##_t *) (const void *) (node))

/* The name of a node kind ("InsertStmt"), or "?" when out of range. */
BQL_EXPORT const char *bql_node_kind_name (bql_node_kind_t kind);

/* Walk the tree under node (node included) depth-first, children in
 * nodes.def field order. enter is called before a node's children and
 * leave (may be NULL) after them; depth is 0 for node itself. When enter
 * returns false the node's children are skipped (leave is still called).
 * Nothing is allocated; the walk does not fail. */
typedef bool (*bql_walk_enter_fn) (const bql_node_t *node, int depth, void *ctx);
typedef void (*bql_walk_leave_fn) (const bql_node_t *node, int depth, void *ctx);
BQL_EXPORT void bql_node_walk (const bql_node_t *node,
                               bql_walk_enter_fn enter,
                               bql_walk_leave_fn leave,
                               void *ctx);

/* Write node (and its subtree) as JSON in libpg_query's style: each node is
 * an object with one key, its kind, whose value holds its non-empty fields
 * in nodes.def order plus "location" and "length". Returns a malloc'd,
 * NUL-terminated string freed with bql_free(), its length in *len when len
 * is non-NULL; NULL only when out of memory. */
BQL_EXPORT char *bql_node_to_json (const bql_node_t *node, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* BULKQL_AST_H */
