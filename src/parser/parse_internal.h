/*
 * parse_internal.h — what the scanner (grammar/lexer.l), the grammar
 * (grammar/parser.y) and the parser's C files share: the parse state passed
 * to both as their extra/param, the location type, node constructors and
 * error helpers. Internal to the parser library.
 */
#ifndef BQL_PARSE_INTERNAL_H
#define BQL_PARSE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "edit_distance.h"
#include "span.h"
#include "bulkql/ast.h"
#include "bulkql/error.h"
#include "bulkql/parser.h"

/* Deepest nesting of a JSON literal: a value is stored inside a document,
 * and a document nests at most BQL_JSON_MAX_LEVELS (98, json_doc.h), so a
 * value at most 97 levels. */
#define BQL_JSON_MAX_DEPTH 97
/* A macro's value as a string literal: BQL_STR (BQL_JSON_MAX_DEPTH) is "97". */
#define BQL_STR_(x) #x
#define BQL_STR(x) BQL_STR_ (x)


/* The clauses after a statement's row source, gathered in any order by
 * the grammar's stmt_tail and then checked against the statement kind. */
typedef struct bql_tail {
   bql_node_t *where;
   bql_loc_t where_loc;
   bql_node_t *check;
   bql_loc_t check_loc;
   bql_list_t *options;
   bql_node_t *on_duplicate;
   bql_node_t *on_conflict;
} bql_tail_t;

/* The semantic value of a token or grammar symbol. */
typedef union bql_value {
   const char *str;
   bql_node_t *node;
   bql_list_t *list;
   bql_tail_t *tail;
   size_t mark; /* a pending list: where its items start on st->pending */
   bool boolean;
} bql_value_t;

struct bql_script {
   bql_arena_t *arena;
   const char *source; /* arena copy, followed by two NULs for flex */
   size_t len;
   const char *filename;
   bql_list_t *statements;
   int32_t *param_counts; /* one per statement */
};

/* Keyword categories: an unreserved keyword can still name a field. */
typedef enum { BQL_KW_UNRESERVED, BQL_KW_RESERVED } bql_kw_category_t;

typedef struct bql_keyword {
   const char *name; /* upper case */
   size_t len;       /* strlen (name) */
   int token;
   bql_kw_category_t category;
} bql_keyword_t;

/* The keyword table (keywords.c), strictly sorted by strcmp of the names
 * (bql_keyword_lookup binary-searches it for the word's first letter and
 * tries the names from there), and that lookup: ASCII case-insensitive,
 * text[0..len) need not be NUL-terminated; NULL if it is no keyword.
 * Every name is BQL_KEYWORD_MIN_LEN..BQL_KEYWORD_MAX_LEN bytes long
 * (tests/unit/test_keywords.c checks both). */
#define BQL_KEYWORD_MIN_LEN 2  /* AS */
#define BQL_KEYWORD_MAX_LEN 17 /* CURRENT_TIMESTAMP */
extern const bql_keyword_t bql_keywords[];
extern const size_t bql_keyword_count;
const bql_keyword_t *bql_keyword_lookup (const char *text, size_t len);

typedef struct bql_parse_state {
   bql_script_t *script;
   bql_arena_t *arena;
   char *source;          /* the arena copy (flex's buffer: flex writes into
                             it while scanning, and restores it) */
   int32_t len;

   /* scanner */
   int32_t offset;        /* byte offset of the next unread character */
   int32_t token_start;   /* start of a token scanned in several pieces */
   int last_token;        /* previous token returned (0 at start) */
   const char *lex_error; /* why the scanner returned INVALID */
   int json_depth;        /* nesting inside a JSON literal */
   char json_stack[BQL_JSON_MAX_DEPTH]; /* the open brackets */
   bql_buf_t json;        /* JSON literal being normalised */

   /* one-token lookahead used to turn NOT into NOT_LA before IN/LIKE/BETWEEN */
   bool have_ahead;
   int ahead_token;
   bql_value_t ahead_value;
   bql_loc_t ahead_loc;

   /* items of the lists being parsed (see bql_pending_push); from the
    * arena's allocator, freed with the parse state */
   bql_node_t **pending;
   size_t pending_len;
   size_t pending_cap;

   /* results */
   bql_list_t *statements;
   bql_buf_t param_counts; /* int32_t per statement */
   int32_t nparams;        /* parameters seen in the current statement */
   bool in_statement;      /* a statement has started and not ended */

   /* errors */
   bql_error_t *error;
   bool failed;
   bool nomem;
} bql_parse_state_t;

/* ---- node construction (ast.c) ---- */

/* A zeroed node of the given kind and struct size spanning loc, in the
 * arena. NULL (and st->nomem) on OOM. Inline so that the zeroing of a
 * node of constant size is a few stores. */
static inline bql_node_t *
bql_make_node (bql_parse_state_t *st, bql_node_kind_t kind, size_t size, bql_loc_t loc)
{
   bql_node_t *n = bql_arena_alloc (st->arena, size);
   if (!n) {
      st->nomem = true;
      return NULL;
   }
   n->kind = kind;
   n->location = loc.start;
   n->length = loc.end - loc.start;
   return n;
}
#define BQL_MAKE(st, Kind, loc) \
   ((bql_##Kind##_t *) bql_make_node ((st), BQL_T_##Kind, sizeof (bql_##Kind##_t), (loc)))

/* A new list holding item (item may be NULL for an empty list). */
bql_list_t *bql_list_make (bql_parse_state_t *st, bql_node_t *item);
/* Append item to list (list may be NULL: a new list is made). Returns the
 * list, NULL on OOM. */
bql_list_t *bql_list_append (bql_parse_state_t *st, bql_list_t *list, bql_node_t *item);

/* Pending lists, for lists that may be long (the rows of a VALUES and
 * the values of a row): bql_pending_push puts item (not NULL) on top of
 * st->pending, which grows by doubling; false (and st->nomem) on OOM.
 * bql_pending_finish moves the items from mark (st->pending_len when the
 * list began) to the top into a new arena list of exactly that length,
 * header and array in one allocation, and pops them; NULL (and st->nomem)
 * on OOM. A list begun after mark must be finished before mark's. */
bool bql_pending_grow (bql_parse_state_t *st);
bql_list_t *bql_pending_finish (bql_parse_state_t *st, size_t mark);
static inline bool
bql_pending_push (bql_parse_state_t *st, bql_node_t *item)
{
   if (st->pending_len == st->pending_cap && !bql_pending_grow (st)) {
      return false;
   }
   st->pending[st->pending_len++] = item;
   return true;
}

/* A NUL-terminated arena copy of s[0..n). NULL (and st->nomem) on OOM. */
static inline char *
bql_strdup_span (bql_parse_state_t *st, const char *s, size_t n)
{
   char *p = bql_arena_strndup (st->arena, s, n);
   if (!p) {
      st->nomem = true;
   }
   return p;
}

/* The first node deeper than max below root (at depth 0), in the walk's
 * order, or NULL; iterative (ast.c). *nomem is set when a's allocation of
 * its stack fails. */
const bql_node_t *bql_node_too_deep (const bql_node_t *root, int max, const bql_allocator_t *a, bool *nomem);

/* ---- errors (parse.c) ---- */

/* Record an error at loc (the first one wins). Returns false. */
bool bql_parse_error (bql_parse_state_t *st,
                      bql_error_code_t code,
                      bql_loc_t loc,
                      const char *hint,
                      const char *fmt,
                      ...) __attribute__ ((format (printf, 5, 6)));


/* The offset of the first byte of text[0..len) that is not well-formed
 * UTF-8 (RFC 3629: no overlong forms, surrogates or code points above
 * U+10FFFF), with in *bad_len the bytes of the broken sequence (1..3);
 * len and *bad_len = 0 when the whole text is valid. */
size_t bql_utf8_check (const char *text, size_t len, size_t *bad_len);


/* Word a syntax error (parse.c): found_name is bison's name of the token
 * found (NULL at end of input), expected the names of the tokens LAC says
 * were possible there. */
void bql_report_syntax_error (bql_parse_state_t *st,
                              bql_loc_t loc,
                              const char *found_name,
                              bool found_invalid,
                              const char *const *expected,
                              int nexpected);

/* ---- the generated scanner's entry points (lexer.l) ---- */
typedef void *yyscan_t;
int bql_yylex_init_extra (bql_parse_state_t *st, yyscan_t *scanner);
int bql_yylex_destroy (yyscan_t scanner);
/* Start scanning the NUL-NUL terminated buffer st->source. */
bool bql_scan_start (bql_parse_state_t *st, yyscan_t scanner);

/* One token from flex, without the NOT lookahead of the grammar's filter:
 * flex's own function, called directly (once per token). */
int bql_scan_lex (bql_value_t *value, bql_loc_t *loc, yyscan_t scanner);
static inline int
bql_scan_token (bql_value_t *value, bql_loc_t *loc, yyscan_t scanner)
{
   return bql_scan_lex (value, loc, scanner);
}

#endif /* BQL_PARSE_INTERNAL_H */
