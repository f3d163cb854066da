/*
 * parser.y — the BulkQL grammar: tokens to AST.
 *
 * A pure (reentrant) LALR(1) parser with %expect 0: ambiguities are settled
 * with SQL precedence, never left to bison's defaults. Every node is built
 * through the constructors of ast.c into the script's arena and carries its
 * byte span. Option names and option-group names are plain words checked
 * later by the planner (like PostgreSQL's DefElem); keywords come from the
 * sorted table of keywords.c and unreserved ones remain usable as names.
 * Syntax errors are reported by yyreport_syntax_error (parse.c) with the
 * tokens that LAC says were possible. The build makes a second parser of
 * this grammar without LAC (bql_yyparse_fast, -Fparse.lac=none), which
 * bql_parse runs first; only when it fails is the input parsed again by
 * this one, so LAC costs nothing on input that parses. Constructs of SQL
 * that BulkQL does not have are recognised just far enough to say "not
 * supported: ..." at their span.
 *
 * There is no %destructor: semantic values live in the arena and are freed
 * with it, so error recovery cannot leak.
 */

%code top {
/* generated from grammar/parser.y by bison; do not edit */
}

%code requires {
#include "parse_internal.h"
}

%code {
#include <string.h>

/* The token filter between flex and bison, the parser's yylex: NOT before
 * IN, LIKE or BETWEEN becomes NOT_LA (NOT IN / NOT LIKE / NOT BETWEEN bind
 * like IN, LIKE and BETWEEN, not like the prefix NOT), as in PostgreSQL,
 * looking one token ahead so that the grammar stays LALR(1) with
 * %expect 0. Static, so that it is inlined into the parser: it runs once
 * per token. */
static int
bql_yylex (bql_value_t *value, bql_loc_t *loc, yyscan_t scanner, bql_parse_state_t *st)
{
   int tok;
   if (st->have_ahead) {
      st->have_ahead = false;
      tok = st->ahead_token;
      *value = st->ahead_value;
      *loc = st->ahead_loc;
   } else {
      tok = bql_scan_token (value, loc, scanner);
   }
   if (tok == NOT) {
      st->ahead_token = bql_scan_token (&st->ahead_value, &st->ahead_loc, scanner);
      st->have_ahead = true;
      if (st->ahead_token == IN_P || st->ahead_token == LIKE || st->ahead_token == BETWEEN) {
         tok = NOT_LA;
      }
   }
   return tok;
}

/* The span of a rule: from its first non-empty symbol to its last one.
 * Most reductions have one symbol, whose span it is, or begin and end
 * with non-empty ones; the others go to bql_loc_default. */
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                            \
   do {                                                                        \
      if ((N) == 1) {                                                          \
         (Cur) = YYRHSLOC ((Rhs), 1);                                          \
      } else if ((N) > 1 && YYRHSLOC ((Rhs), 1).start != YYRHSLOC ((Rhs), 1).end \
                 && YYRHSLOC ((Rhs), (N)).start != YYRHSLOC ((Rhs), (N)).end) { \
         (Cur).start = YYRHSLOC ((Rhs), 1).start;                              \
         (Cur).end = YYRHSLOC ((Rhs), (N)).end;                                \
      } else {                                                                 \
         bql_loc_default (&(Cur), (Rhs), (N));                                 \
      }                                                                        \
   } while (0)

static void
bql_loc_default (bql_loc_t *cur, const bql_loc_t *rhs, int n)
{
   if (n == 0) {
      cur->start = cur->end = rhs[0].end;
      return;
   }
   int first = 1;
   while (first < n && rhs[first].start == rhs[first].end) {
      first++;
   }
   int last = n;
   while (last > first && rhs[last].start == rhs[last].end) {
      last--;
   }
   cur->start = rhs[first].start;
   cur->end = rhs[last].end;
}

/* Allocation failures end the parse through bison's YYNOMEM. */
#define NEW(var, Kind, loc)                  \
   bql_##Kind##_t *var = BQL_MAKE (st, Kind, loc); \
   if (!var)                                  \
      YYNOMEM
#define APPEND(dst, list, item)                              \
   do {                                                     \
      if (!((dst) = bql_list_append (st, (list), (item))))  \
         YYNOMEM;                                           \
   } while (0)
/* Pending lists: the items of a list being parsed wait on st->pending, a
 * stack shared by all such lists, and move to the arena in one array of
 * the exact length when the rule that closes the list is reduced. The
 * value of a pending list is the stack height where it starts. Lists nest
 * (a list inside an item is closed before the next item), so the items
 * of the innermost open list are always on top. */
#define PENDING_MARK (st->pending_len)
#define PUSH(item)                             \
   do {                                        \
      if (!bql_pending_push (st, (item)))      \
         YYNOMEM;                              \
   } while (0)
#define FINISH(dst, mark)                                    \
   do {                                                     \
      if (!((dst) = bql_pending_finish (st, (mark))))       \
         YYNOMEM;                                           \
   } while (0)
#define OK(expr)             \
   do {                      \
      if (!(expr)) {         \
         st->nomem = true;   \
         YYNOMEM;            \
      }                      \
   } while (0)
#define FAIL(code, loc, hint, ...)                               \
   do {                                                         \
      bql_parse_error (st, (code), (loc), (hint), __VA_ARGS__); \
      YYABORT;                                                  \
   } while (0)
#define UNSUPPORTED(loc, hint, ...) \
   FAIL (BQL_ERR_UNSUPPORTED, (loc), (hint), "not supported: " __VA_ARGS__)

static const char *join_path (bql_parse_state_t *st, const char *a, const char *b);
static const char *kw_text (bql_parse_state_t *st, bql_loc_t loc);
static bql_node_t *make_binary (bql_parse_state_t *st, int op, bql_node_t *l, bql_node_t *r, bql_loc_t loc);
static bql_node_t *make_bool (bql_parse_state_t *st, int op, bql_node_t *l, bql_node_t *r, bql_loc_t loc);
static inline bql_node_t *make_const (bql_parse_state_t *st, int type, const char *value, bql_loc_t loc);
static bool apply_tail (bql_parse_state_t *st, bql_node_t *stmt, bql_tail_t *tail);
static bool tail_check (bql_parse_state_t *st, bql_tail_t *tail, bql_node_t *check, bql_loc_t loc);
static bool finish_file_source (bql_parse_state_t *st, bql_node_t *fs, const char *path, bql_loc_t loc, const char *aliased);
static bool add_statement (bql_parse_state_t *st, bql_node_t *stmt);
static bool attach_ctes (bql_parse_state_t *st, bql_node_t *stmt, bql_list_t *ctes, bql_loc_t loc);
static void bql_yyerror (const bql_loc_t *loc, yyscan_t scanner, bql_parse_state_t *st, const char *msg);
}

%define api.pure full
%define api.prefix {bql_yy}
%define api.value.type {bql_value_t}
%define api.location.type {bql_loc_t}
%define parse.error custom
%define parse.lac full
%locations
%param {yyscan_t scanner} {bql_parse_state_t *st}
%expect 0

%token <str> IDENT "identifier"
%token <str> SCONST "string literal"
%token <str> ICONST "integer literal"
%token <str> FCONST "numeric literal"
%token <str> JSONLIT "JSON literal"
%token <str> NAMED_PARAM "named parameter"
%token PARAM "?"
%token INVALID "lexical error"
%token LE "<=" GE ">=" NE "<>" CONCAT "||" TYPECAST "::"
%token NOT_LA "NOT (before IN, LIKE or BETWEEN)"

/* Keywords, as listed in keywords.c and in its order (tokens AND to WITH
 * follow the table; tests/unit/test_keywords.c checks it). They carry no
 * value: where one is used as a name, kw_text copies its text from the
 * source. */
%token AND "AND" AS "AS" ASC "ASC" BETWEEN "BETWEEN" BULK "BULK" BY "BY"
%token CASE "CASE" CHECK "CHECK" COMPRESSION "COMPRESSION" CONFLICT "CONFLICT"
%token CREATE "CREATE" CURRENT_DATE "CURRENT_DATE"
%token CURRENT_TIMESTAMP "CURRENT_TIMESTAMP" DATE "DATE" DECIMAL "DECIMAL"
%token DELETE "DELETE" DESC "DESC" DISTINCT "DISTINCT" DO "DO"
%token DUPLICATE "DUPLICATE" ELSE "ELSE" END_P "END" EXISTS "EXISTS"
%token EXPLAIN "EXPLAIN" FALSE_P "FALSE" FILTER "FILTER" FORMAT "FORMAT"
%token FROM "FROM" GROUP_P "GROUP" HAVING "HAVING" IN_P "IN" INSERT "INSERT"
%token INTERVAL "INTERVAL" INTO "INTO" IS "IS" JOIN "JOIN" KEY "KEY"
%token LATERAL "LATERAL" LIKE "LIKE" LIMIT "LIMIT" NOT "NOT" NOTHING "NOTHING"
%token NULL_P "NULL" ON "ON" OPERATION "OPERATION" OR "OR" ORDER "ORDER" OVER "OVER"
%token REMOVE "REMOVE" REPLACE "REPLACE" RESUME "RESUME" SELECT "SELECT" SET "SET"
%token STDIN "STDIN" THEN "THEN"
%token TIMESTAMP "TIMESTAMP" TRUE_P "TRUE" UPDATE "UPDATE" UPSERT "UPSERT"
%token USING "USING" VALUES "VALUES" WHEN "WHEN" WHERE "WHERE" WITH "WITH"

%type <node> stmt bulk_stmt resume_stmt insert_stmt update_stmt upsert_stmt delete_stmt
%type <node> relation insert_source update_from delete_using column_def row
%type <node> check_clause with_item with_group option on_duplicate on_conflict set_item file_items
%type <node> a_expr b_expr c_expr literal func_call case_expr when_clause
%type <node> case_arg case_default col_ref
%type <node> select_source from_clause select_target sort_item cte opt_where opt_having opt_limit
%type <list> target_list group_list sort_list cte_list with_ctes opt_group opt_order
%type <boolean> opt_distinct
%type <list> opt_column_defs column_def_list option_list set_list
%type <list> col_ref_list opt_key_cols paren_item_list
%type <mark> row_list expr_list
%type <list> lead_groups when_list
%type <str> attr_path_str
%type <tail> insert_tail upsert_tail filter_tail
%type <str> col_path col_name any_name col_label attr_name
%type <str> opt_group_name type_name opt_type_name

/* SQL precedence, lowest first (as PostgreSQL's gram.y). */
%left OR
%left AND
%precedence NOT
%precedence IS
%nonassoc '<' '>' '=' LE GE NE
%nonassoc BETWEEN IN_P LIKE NOT_LA
%left CONCAT
%left '+' '-'
%left '*' '/' '%'
%precedence UMINUS
%precedence TYPECAST

%start script

%%

/* Statements are separated by semicolons; empty statements are allowed
 * and the last statement needs no semicolon. */
script:
     stmt_list
   ;

stmt_list:
     opt_stmt
   | stmt_list ';' opt_stmt
   ;

opt_stmt:
     %empty
   | stmt                        {
                                    if (!add_statement (st, $1)) {
                                       if (st->failed) {
                                          YYABORT;
                                       }
                                       OK (false);
                                    }
                                 }
   ;

stmt:
     bulk_stmt
   | with_ctes bulk_stmt         {
                                    if (!attach_ctes (st, $2, $1, @1))
                                       YYABORT;
                                    $$ = $2;
                                 }
   | EXPLAIN bulk_stmt           {
                                    NEW (n, ExplainStmt, @$);
                                    n->statement = $2;
                                    $$ = &n->node;
                                 }
   | EXPLAIN with_ctes bulk_stmt {
                                    if (!attach_ctes (st, $3, $2, @2))
                                       YYABORT;
                                    NEW (n, ExplainStmt, @$);
                                    n->statement = $3;
                                    $$ = &n->node;
                                 }
   | resume_stmt
   | EXPLAIN resume_stmt         {
                                    /* the statement to resume is stored on the server, and EXPLAIN
                                     * connects to nothing */
                                    FAIL (BQL_ERR_UNSUPPORTED, @$,
                                          "The statement an operation runs is stored on the server: EXPLAIN it as written (bulkql -c "
                                          "'EXPLAIN <statement>'), or read it with bulkql --operations.",
                                          "not supported: EXPLAIN RESUME OPERATION (the statement to resume is stored on the server, "
                                          "and EXPLAIN reads nothing from it)");
                                 }
   | CREATE                      { UNSUPPORTED (@1, "BulkQL runs BULK INSERT, UPDATE, UPSERT and DELETE statements.", "CREATE statements"); }
   | SELECT                      { UNSUPPORTED (@1, "BulkQL runs BULK INSERT, UPDATE, UPSERT and DELETE statements; read data with mongosh or a driver.", "SELECT statements"); }
   ;

/* RESUME OPERATION 'id': run again what an interrupted operation did not
 * finish (bulkql(1) "OPERATIONS AND RESUME"); the id is an operation id, 24 hex digits. */
resume_stmt:
     RESUME OPERATION SCONST     {
                                    size_t len = strlen ($3);
                                    bool hex = len == 24;
                                    for (size_t k = 0; hex && k < len; k++) {
                                       char c = $3[k];
                                       hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
                                    }
                                    if (!hex)
                                       FAIL (BQL_ERR_VALUE, @3,
                                             "An operation id is the operationId of a result, 24 hexadecimal digits; "
                                             "bulkql --operations lists them.",
                                             "invalid operation id: expected 24 hexadecimal digits");
                                    NEW (n, ResumeStmt, @$);
                                    n->operation_id = $3;
                                    $$ = &n->node;
                                 }
   ;

bulk_stmt:
     insert_stmt
   | update_stmt
   | upsert_stmt
   | delete_stmt
   ;

insert_stmt:
     BULK INSERT INTO relation opt_column_defs lead_groups insert_source insert_tail
                                 {
                                    NEW (n, InsertStmt, @$);
                                    n->relation = $4;
                                    n->columns = $5;
                                    n->source = $7;
                                    n->options = $6;
                                    if (!apply_tail (st, &n->node, $8))
                                       YYABORT;
                                    $$ = &n->node;
                                 }
   ;

upsert_stmt:
     BULK UPSERT INTO relation opt_column_defs lead_groups insert_source upsert_tail
                                 {
                                    NEW (n, UpsertStmt, @$);
                                    n->relation = $4;
                                    n->columns = $5;
                                    n->source = $7;
                                    n->options = $6;
                                    if (!apply_tail (st, &n->node, $8))
                                       YYABORT;
                                    $$ = &n->node;
                                 }
   ;

update_stmt:
     BULK UPDATE relation SET set_list update_from filter_tail
                                 {
                                    NEW (n, UpdateStmt, @$);
                                    n->relation = $3;
                                    n->set_clause = $5;
                                    n->from = $6;
                                    if (!apply_tail (st, &n->node, $7))
                                       YYABORT;
                                    $$ = &n->node;
                                 }
   | BULK UPDATE relation SET '*' update_from filter_tail
                                 {
                                    NEW (n, UpdateStmt, @$);
                                    n->relation = $3;
                                    if (!$6)
                                       FAIL (BQL_ERR_SYNTAX, @5, "SET * sets the columns of incoming rows: BULK UPDATE c SET * FROM 'file' AS v WHERE c.k = v.k.",
                                             "SET * needs FROM ... AS v");
                                    n->set_all = true;
                                    n->from = $6;
                                    if (!apply_tail (st, &n->node, $7))
                                       YYABORT;
                                    $$ = &n->node;
                                 }
   ;

delete_stmt:
     BULK DELETE FROM relation delete_using filter_tail
                                 {
                                    NEW (n, DeleteStmt, @$);
                                    n->relation = $4;
                                    n->using_source = $5;
                                    if (!apply_tail (st, &n->node, $6))
                                       YYABORT;
                                    $$ = &n->node;
                                 }
   ;

/* [database.]collection; a collection name may itself contain dots. */
relation:
     any_name                    {
                                    NEW (n, RangeVar, @$);
                                    n->collection = $1;
                                    $$ = &n->node;
                                 }
   | any_name '.' attr_path_str  {
                                    NEW (n, RangeVar, @$);
                                    n->database = $1;
                                    n->collection = $3;
                                    $$ = &n->node;
                                 }
   ;

attr_path_str:
     attr_name                   { $$ = $1; }
   | attr_path_str '.' attr_name { $$ = join_path (st, $1, $3); OK ($$); }
   ;

opt_column_defs:
     %empty                      { $$ = NULL; }
   | '(' column_def_list ')'     { $$ = $2; }
   ;

column_def_list:
     column_def                  { APPEND ($$, NULL, $1); }
   | column_def_list ',' column_def
                                 { APPEND ($$, $1, $3); }
   ;

column_def:
     col_path opt_type_name      {
                                    NEW (n, ColumnDef, @$);
                                    n->name = $1;
                                    n->type_name = $2;
                                    $$ = &n->node;
                                 }
   | col_path type_name FORMAT SCONST
                                 {
                                    NEW (n, ColumnDef, @$);
                                    n->name = $1;
                                    n->type_name = $2;
                                    n->format = $4;
                                    $$ = &n->node;
                                 }
   ;

opt_type_name:
     %empty                      { $$ = NULL; }
   | type_name
   ;

type_name:
     IDENT
   | DATE                        { OK ($$ = kw_text (st, @1)); }
   | TIMESTAMP                   { OK ($$ = kw_text (st, @1)); }
   | DECIMAL                     { OK ($$ = kw_text (st, @1)); }
   | INTERVAL                    { OK ($$ = kw_text (st, @1)); }
   ;

/* Option groups may also come before the row source. */
lead_groups:
     %empty                      { $$ = NULL; }
   | lead_groups with_group      { APPEND ($$, $1, $2); }
   ;

insert_source:
     VALUES row_list             {
                                    NEW (n, ValuesSource, @$);
                                    FINISH (n->rows, $2);
                                    $$ = &n->node;
                                 }
   | FROM SCONST file_items      {
                                    if (!finish_file_source (st, $3, $2, @$, NULL))
                                       YYABORT;
                                    $$ = $3;
                                 }
   | FROM STDIN file_items       {
                                    if (!finish_file_source (st, $3, NULL, @$, NULL))
                                       YYABORT;
                                    $$ = $3;
                                 }
   | select_source
   | with_ctes select_source     {
                                    ((bql_SelectSource_t *) (void *) $2)->ctes = $1;
                                    $$ = $2;
                                 }
   ;

/* ---- rows computed by the server: SELECT ... FROM collection ---- */

with_ctes:
     WITH cte_list               { $$ = $2; }
   ;

cte_list:
     cte                         { APPEND ($$, NULL, $1); }
   | cte_list ',' cte            { APPEND ($$, $1, $3); }
   ;

cte:
     any_name AS '(' select_source ')'
                                 {
                                    NEW (n, CommonTable, @$);
                                    n->name = $1;
                                    n->query = $4;
                                    $$ = &n->node;
                                 }
   ;

select_source:
     SELECT opt_distinct target_list FROM from_clause opt_where opt_group opt_having opt_order opt_limit
                                 {
                                    bql_SelectSource_t *n = (bql_SelectSource_t *) (void *) $5;
                                    n->node.location = @$.start;
                                    n->node.length = @$.end - @$.start;
                                    n->distinct = $2;
                                    n->star = $3 == NULL;
                                    n->targets = $3;
                                    n->where = $6;
                                    n->group_by = $7;
                                    n->having = $8;
                                    n->order_by = $9;
                                    n->limit = $10;
                                    $$ = $5;
                                 }
   ;

opt_distinct:
     %empty                      { $$ = false; }
   | DISTINCT                    { $$ = true; }
   ;

/* NULL for SELECT * */
target_list:
     '*'                         { $$ = NULL; }
   | select_target               { APPEND ($$, NULL, $1); }
   | target_list ',' select_target
                                 {
                                    if (!$1)
                                       FAIL (BQL_ERR_SYNTAX, @3, "Write SELECT * alone, or name every column.", "SELECT * takes no other columns");
                                    APPEND ($$, $1, $3);
                                 }
   ;

select_target:
     a_expr                      {
                                    NEW (n, SelectTarget, @$);
                                    n->expr = $1;
                                    $$ = &n->node;
                                 }
   | a_expr AS col_label         {
                                    NEW (n, SelectTarget, @$);
                                    n->expr = $1;
                                    n->alias = $3;
                                    $$ = &n->node;
                                 }
   ;

/* The one collection (or WITH query) rows are read from, with an
 * optional alias. Joins are recognised just far enough to refuse them. */
from_clause:
     relation                    {
                                    NEW (n, SelectSource, @$);
                                    n->from = $1;
                                    $$ = &n->node;
                                 }
   | relation IDENT              {
                                    NEW (n, SelectSource, @$);
                                    n->from = $1;
                                    n->alias = $2;
                                    $$ = &n->node;
                                 }
   | relation AS any_name        {
                                    NEW (n, SelectSource, @$);
                                    n->from = $1;
                                    n->alias = $3;
                                    $$ = &n->node;
                                 }
   | relation join_word          { $$ = NULL; }
   | relation IDENT join_word    { $$ = NULL; }
   | relation IDENT IDENT join_word
                                 { $$ = NULL; }
   | relation AS any_name join_word
                                 { $$ = NULL; }
   | relation AS any_name IDENT join_word
                                 { $$ = NULL; }
   | relation ','                { UNSUPPORTED (@2, "Rows come from one collection: join the data before loading it.", "joins (FROM a, b)"); }
   | relation IDENT ','          { UNSUPPORTED (@3, "Rows come from one collection: join the data before loading it.", "joins (FROM a, b)"); }
   | relation AS any_name ','    { UNSUPPORTED (@4, "Rows come from one collection: join the data before loading it.", "joins (FROM a, b)"); }
   | '(' SELECT                  { UNSUPPORTED (@2, "Name the rows with WITH name AS (SELECT ...) and read FROM name.", "subquery"); }
   ;

/* JOIN and what is joined: a collection, a subquery, or LATERAL (...) */
join_word:
     JOIN relation               { UNSUPPORTED (@1, "Rows come from one collection: join the data before loading it.", "joins"); }
   | JOIN relation IDENT         { UNSUPPORTED (@1, "Rows come from one collection: join the data before loading it.", "joins"); }
   | JOIN relation AS any_name   { UNSUPPORTED (@1, "Rows come from one collection: join the data before loading it.", "joins"); }
   | JOIN relation USING         { UNSUPPORTED (@1, "Rows come from one collection: join the data before loading it.", "joins"); }
   | JOIN '('                    { UNSUPPORTED (@1, "Rows come from one collection: join the data before loading it.", "joins"); }
   | JOIN LATERAL '('            { UNSUPPORTED (@2, "Rows come from one collection.", "LATERAL"); }
   ;

opt_where:
     %empty                      { $$ = NULL; }
   | WHERE a_expr                { $$ = $2; }
   ;

opt_group:
     %empty                      { $$ = NULL; }
   | GROUP_P BY group_list       { $$ = $3; }
   ;

group_list:
     a_expr                      { APPEND ($$, NULL, $1); }
   | group_list ',' a_expr       { APPEND ($$, $1, $3); }
   ;

opt_having:
     %empty                      { $$ = NULL; }
   | HAVING a_expr               { $$ = $2; }
   ;

opt_order:
     %empty                      { $$ = NULL; }
   | ORDER BY sort_list          { $$ = $3; }
   ;

sort_list:
     sort_item                   { APPEND ($$, NULL, $1); }
   | sort_list ',' sort_item     { APPEND ($$, $1, $3); }
   ;

sort_item:
     a_expr                      {
                                    NEW (n, SortItem, @$);
                                    n->expr = $1;
                                    $$ = &n->node;
                                 }
   | a_expr ASC                  {
                                    NEW (n, SortItem, @$);
                                    n->expr = $1;
                                    $$ = &n->node;
                                 }
   | a_expr DESC                 {
                                    NEW (n, SortItem, @$);
                                    n->expr = $1;
                                    n->descending = true;
                                    $$ = &n->node;
                                 }
   ;

opt_limit:
     %empty                      { $$ = NULL; }
   | LIMIT ICONST                { OK ($$ = make_const (st, BQL_CONST_INTEGER, $2, @2)); }
   ;

/* row_list and expr_list, the lists of a big VALUES, are pending lists
 * (see PUSH and FINISH): no array is regrown in the arena. */
row_list:
     row                         { $$ = PENDING_MARK; PUSH ($1); }
   | row_list ',' row            { $$ = $1; PUSH ($3); }
   ;

row:
     '(' expr_list ')'           {
                                    NEW (n, Row, @$);
                                    FINISH (n->values, $2);
                                    $$ = &n->node;
                                 }
   ;

/* File clauses, in any order: FORMAT f, COMPRESSION c, AS alias, and
 * parenthesised lists mixing file options (name = value) with typed alias
 * columns (name [type]). They accumulate in one FileSource node. */
file_items:
     %empty                      {
                                    NEW (n, FileSource, @$);
                                    $$ = &n->node;
                                 }
   | file_items FORMAT any_name  {
                                    bql_FileSource_t *fs = (bql_FileSource_t *) $1;
                                    if (fs->format)
                                       FAIL (BQL_ERR_SYNTAX, @2, NULL, "FORMAT given twice");
                                    fs->format = $3;
                                    $$ = $1;
                                 }
   | file_items COMPRESSION any_name
                                 {
                                    bql_FileSource_t *fs = (bql_FileSource_t *) $1;
                                    if (fs->compression)
                                       FAIL (BQL_ERR_SYNTAX, @2, NULL, "COMPRESSION given twice");
                                    fs->compression = $3;
                                    $$ = $1;
                                 }
   | file_items AS any_name      {
                                    bql_FileSource_t *fs = (bql_FileSource_t *) $1;
                                    if (fs->alias)
                                       FAIL (BQL_ERR_SYNTAX, @2, NULL, "AS given twice");
                                    fs->alias = $3;
                                    $$ = $1;
                                 }
   | file_items '(' paren_item_list ')'
                                 {
                                    bql_FileSource_t *fs = (bql_FileSource_t *) $1;
                                    for (int32_t i = 0; i < $3->length; i++) {
                                       bql_node_t *item = $3->items[i];
                                       if (bql_is (item, ColumnDef))
                                          APPEND (fs->alias_columns, fs->alias_columns, item);
                                       else
                                          APPEND (fs->file_options, fs->file_options, item);
                                    }
                                    $$ = $1;
                                 }
   ;

paren_item_list:
     option                      { APPEND ($$, NULL, $1); }
   | column_def                  { APPEND ($$, NULL, $1); }
   | paren_item_list ',' option  { APPEND ($$, $1, $3); }
   | paren_item_list ',' column_def
                                 { APPEND ($$, $1, $3); }
   ;

update_from:
     %empty                      { $$ = NULL; }
   | FROM '(' VALUES row_list ')' AS any_name opt_column_defs
                                 {
                                    NEW (n, ValuesSource, @$);
                                    FINISH (n->rows, $4);
                                    n->alias = $7;
                                    n->alias_columns = $8;
                                    $$ = &n->node;
                                 }
   | FROM SCONST file_items      {
                                    if (!finish_file_source (st, $3, $2, @$, "BULK UPDATE ... FROM"))
                                       YYABORT;
                                    $$ = $3;
                                 }
   | FROM STDIN file_items       {
                                    if (!finish_file_source (st, $3, NULL, @$, "BULK UPDATE ... FROM"))
                                       YYABORT;
                                    $$ = $3;
                                 }
   | FROM '(' SELECT             { UNSUPPORTED (@3, "Join incoming rows with FROM (VALUES ...) AS v or FROM 'file' AS v.", "subquery"); }
   ;

/* BULK DELETE FROM c USING 'file' AS v WHERE c.k = v.k: PostgreSQL's
 * DELETE ... USING, the rows of a file (or VALUES) naming the documents
 * to delete. */
delete_using:
     %empty                      { $$ = NULL; }
   | USING '(' VALUES row_list ')' AS any_name opt_column_defs
                                 {
                                    NEW (n, ValuesSource, @$);
                                    FINISH (n->rows, $4);
                                    n->alias = $7;
                                    n->alias_columns = $8;
                                    $$ = &n->node;
                                 }
   | USING SCONST file_items     {
                                    if (!finish_file_source (st, $3, $2, @$, "BULK DELETE ... USING"))
                                       YYABORT;
                                    $$ = $3;
                                 }
   | USING STDIN file_items      {
                                    if (!finish_file_source (st, $3, NULL, @$, "BULK DELETE ... USING"))
                                       YYABORT;
                                    $$ = $3;
                                 }
   | USING '(' SELECT            { UNSUPPORTED (@3, "Name the documents to delete with USING (VALUES ...) AS v or USING 'file' AS v.", "subquery"); }
   ;

/* The clauses after the row source, in any order; each statement kind has
 * its own list so that syntax errors name exactly what may come next.
 * The actions refuse a clause given twice. */
insert_tail:
     %empty                      { OK ($$ = bql_arena_alloc (st->arena, sizeof (bql_tail_t))); }
   | insert_tail check_clause    { $$ = $1; if (!tail_check (st, $$, $2, @2)) YYABORT; }
   | insert_tail with_item       { $$ = $1; APPEND ($$->options, $$->options, $2); }
   | insert_tail on_duplicate    {
                                    $$ = $1;
                                    if ($$->on_duplicate)
                                       FAIL (BQL_ERR_SYNTAX, @2, NULL, "ON DUPLICATE KEY given twice");
                                    $$->on_duplicate = $2;
                                 }
   ;

upsert_tail:
     %empty                      { OK ($$ = bql_arena_alloc (st->arena, sizeof (bql_tail_t))); }
   | upsert_tail check_clause    { $$ = $1; if (!tail_check (st, $$, $2, @2)) YYABORT; }
   | upsert_tail with_item       { $$ = $1; APPEND ($$->options, $$->options, $2); }
   | upsert_tail on_conflict     {
                                    $$ = $1;
                                    if ($$->on_conflict)
                                       FAIL (BQL_ERR_SYNTAX, @2, NULL, "ON CONFLICT given twice");
                                    $$->on_conflict = $2;
                                 }
   ;

filter_tail:
     %empty                      { OK ($$ = bql_arena_alloc (st->arena, sizeof (bql_tail_t))); }
   | filter_tail WHERE a_expr    {
                                    $$ = $1;
                                    if ($$->where)
                                       FAIL (BQL_ERR_SYNTAX, @2, NULL, "WHERE given twice");
                                    $$->where = $3;
                                    $$->where_loc = @2;
                                 }
   | filter_tail with_item       { $$ = $1; APPEND ($$->options, $$->options, $2); }
   ;

check_clause:
     CHECK '(' a_expr ')'        { $$ = $3; }
   ;

with_item:
     with_group
   | with_group AND              { UNSUPPORTED (@2, "Put every condition in the WHERE clause, before WITH.", "a condition after a WITH clause"); }
   | WITH any_name AS            { UNSUPPORTED (@$, NULL, "WITH ... AS (common table expressions)"); }
   ;

with_group:
     WITH opt_group_name '(' option_list ')'
                                 {
                                    NEW (n, OptionGroup, @$);
                                    n->name = $2;
                                    n->options = $4;
                                    $$ = &n->node;
                                 }
   ;

opt_group_name:
     %empty                      { $$ = NULL; }
   | any_name
   ;

option_list:
     option                      { APPEND ($$, NULL, $1); }
   | option_list ',' option      { APPEND ($$, $1, $3); }
   ;

/* Option names are words, not keywords; the planner checks them. */
option:
     col_label '=' a_expr        {
                                    NEW (n, Option, @$);
                                    n->name = $1;
                                    n->value = $3;
                                    $$ = &n->node;
                                 }
   ;

on_duplicate:
     ON DUPLICATE KEY opt_key_cols UPDATE set_list
                                 {
                                    NEW (n, OnDuplicateKey, @$);
                                    n->keys = $4;
                                    n->set_clause = $6;
                                    $$ = &n->node;
                                 }
   ;

on_conflict:
     ON CONFLICT opt_key_cols DO UPDATE SET set_list
                                 {
                                    if (!$3)
                                       FAIL (BQL_ERR_SYNTAX, @3, "Name the key columns, as in ON CONFLICT (_id).", "ON CONFLICT needs a list of key columns");
                                    NEW (n, OnConflict, @$);
                                    n->keys = $3;
                                    n->action = BQL_CONFLICT_UPDATE;
                                    n->set_clause = $7;
                                    $$ = &n->node;
                                 }
   | ON CONFLICT opt_key_cols DO UPDATE SET '*'
                                 {
                                    if (!$3)
                                       FAIL (BQL_ERR_SYNTAX, @3, "Name the key columns, as in ON CONFLICT (_id).", "ON CONFLICT needs a list of key columns");
                                    NEW (n, OnConflict, @$);
                                    n->keys = $3;
                                    n->action = BQL_CONFLICT_UPDATE;
                                    n->set_all = true;
                                    $$ = &n->node;
                                 }
   | ON CONFLICT opt_key_cols DO REPLACE
                                 {
                                    if (!$3)
                                       FAIL (BQL_ERR_SYNTAX, @3, "Name the key columns, as in ON CONFLICT (_id).", "ON CONFLICT needs a list of key columns");
                                    NEW (n, OnConflict, @$);
                                    n->keys = $3;
                                    n->action = BQL_CONFLICT_REPLACE;
                                    $$ = &n->node;
                                 }
   | ON CONFLICT opt_key_cols DO NOTHING
                                 {
                                    if (!$3)
                                       FAIL (BQL_ERR_SYNTAX, @3, "Name the key columns, as in ON CONFLICT (_id).", "ON CONFLICT needs a list of key columns");
                                    NEW (n, OnConflict, @$);
                                    n->keys = $3;
                                    n->action = BQL_CONFLICT_NOTHING;
                                    $$ = &n->node;
                                 }
   ;

opt_key_cols:
     %empty                      { $$ = NULL; }
   | '(' col_ref_list ')'        { $$ = $2; }
   ;

col_ref_list:
     col_ref                     { APPEND ($$, NULL, $1); }
   | col_ref_list ',' col_ref    { APPEND ($$, $1, $3); }
   ;

col_ref:
     col_path                    {
                                    NEW (n, ColumnRef, @$);
                                    n->path = $1;
                                    $$ = &n->node;
                                 }
   ;

set_list:
     set_item                    { APPEND ($$, NULL, $1); }
   | set_list ',' set_item       { APPEND ($$, $1, $3); }
   ;

set_item:
     col_path '=' a_expr         {
                                    NEW (n, SetItem, @$);
                                    n->path = $1;
                                    n->value = $3;
                                    $$ = &n->node;
                                 }
   | REMOVE col_path             {
                                    NEW (n, SetItem, @$);
                                    n->path = $2;
                                    n->remove = true;
                                    $$ = &n->node;
                                 }
   ;

/* ---- expressions ---- */

/* a_expr has the literals itself, not through literal and c_expr: one
 * reduction per value of a VALUES row instead of three. The rules are
 * those of literal, which the bounds of BETWEEN use. */
a_expr:
     c_expr
   | SCONST                      { OK ($$ = make_const (st, BQL_CONST_STRING, $1, @$)); }
   | ICONST                      { OK ($$ = make_const (st, BQL_CONST_INTEGER, $1, @$)); }
   | FCONST                      { OK ($$ = make_const (st, BQL_CONST_FLOAT, $1, @$)); }
   | TRUE_P                      { OK ($$ = make_const (st, BQL_CONST_BOOLEAN, "true", @$)); }
   | FALSE_P                     { OK ($$ = make_const (st, BQL_CONST_BOOLEAN, "false", @$)); }
   | NULL_P                      { OK ($$ = make_const (st, BQL_CONST_NULL, NULL, @$)); }
   | JSONLIT                     { OK ($$ = make_const (st, BQL_CONST_JSON, $1, @$)); }
   | DATE SCONST                 { OK ($$ = make_const (st, BQL_CONST_DATE, $2, @$)); }
   | TIMESTAMP SCONST            { OK ($$ = make_const (st, BQL_CONST_TIMESTAMP, $2, @$)); }
   | DECIMAL SCONST              { OK ($$ = make_const (st, BQL_CONST_DECIMAL, $2, @$)); }
   | INTERVAL SCONST             { OK ($$ = make_const (st, BQL_CONST_INTERVAL, $2, @$)); }
   | a_expr '+' a_expr           { OK ($$ = make_binary (st, BQL_OP_ADD, $1, $3, @$)); }
   | a_expr '-' a_expr           { OK ($$ = make_binary (st, BQL_OP_SUB, $1, $3, @$)); }
   | a_expr '*' a_expr           { OK ($$ = make_binary (st, BQL_OP_MUL, $1, $3, @$)); }
   | a_expr '/' a_expr           { OK ($$ = make_binary (st, BQL_OP_DIV, $1, $3, @$)); }
   | a_expr '%' a_expr           { OK ($$ = make_binary (st, BQL_OP_MOD, $1, $3, @$)); }
   | a_expr CONCAT a_expr        { OK ($$ = make_binary (st, BQL_OP_CONCAT, $1, $3, @$)); }
   | a_expr '=' a_expr           { OK ($$ = make_binary (st, BQL_OP_EQ, $1, $3, @$)); }
   | a_expr NE a_expr            { OK ($$ = make_binary (st, BQL_OP_NE, $1, $3, @$)); }
   | a_expr '<' a_expr           { OK ($$ = make_binary (st, BQL_OP_LT, $1, $3, @$)); }
   | a_expr LE a_expr            { OK ($$ = make_binary (st, BQL_OP_LE, $1, $3, @$)); }
   | a_expr '>' a_expr           { OK ($$ = make_binary (st, BQL_OP_GT, $1, $3, @$)); }
   | a_expr GE a_expr            { OK ($$ = make_binary (st, BQL_OP_GE, $1, $3, @$)); }
   | a_expr AND a_expr           { OK ($$ = make_bool (st, BQL_OP_AND, $1, $3, @$)); }
   | a_expr OR a_expr            { OK ($$ = make_bool (st, BQL_OP_OR, $1, $3, @$)); }
   | NOT a_expr                  {
                                    NEW (n, UnaryExpr, @$);
                                    n->op = BQL_UOP_NOT;
                                    n->arg = $2;
                                    $$ = &n->node;
                                 }
   | '-' a_expr %prec UMINUS     {
                                    bql_Const_t *c = bql_is ($2, Const) ? (bql_Const_t *) $2 : NULL;
                                    if (c && (c->type == BQL_CONST_INTEGER || c->type == BQL_CONST_FLOAT) &&
                                        c->value[0] != '-') {
                                       /* fold -5 into one literal (so INT64_MIN is representable) */
                                       size_t len = strlen (c->value);
                                       char *v = bql_arena_alloc_raw (st->arena, len + 2);
                                       OK (v);
                                       v[0] = '-';
                                       memcpy (v + 1, c->value, len + 1);
                                       c->value = v;
                                       c->node.location = @$.start;
                                       c->node.length = @$.end - @$.start;
                                       $$ = $2;
                                    } else {
                                       NEW (n, UnaryExpr, @$);
                                       n->op = BQL_UOP_NEG;
                                       n->arg = $2;
                                       $$ = &n->node;
                                    }
                                 }
   | '+' a_expr %prec UMINUS     {
                                    NEW (n, UnaryExpr, @$);
                                    n->op = BQL_UOP_PLUS;
                                    n->arg = $2;
                                    $$ = &n->node;
                                 }
   | a_expr IS NULL_P            {
                                    NEW (n, NullTest, @$);
                                    n->expr = $1;
                                    $$ = &n->node;
                                 }
   | a_expr IS NOT NULL_P        {
                                    NEW (n, NullTest, @$);
                                    n->expr = $1;
                                    n->negated = true;
                                    $$ = &n->node;
                                 }
   | a_expr LIKE a_expr          {
                                    NEW (n, LikeExpr, @$);
                                    n->expr = $1;
                                    n->pattern = $3;
                                    $$ = &n->node;
                                 }
   | a_expr NOT_LA LIKE a_expr %prec NOT_LA
                                 {
                                    NEW (n, LikeExpr, @$);
                                    n->expr = $1;
                                    n->pattern = $4;
                                    n->negated = true;
                                    $$ = &n->node;
                                 }
   | a_expr IN_P '(' expr_list ')'
                                 {
                                    NEW (n, InExpr, @$);
                                    n->expr = $1;
                                    FINISH (n->list, $4);
                                    $$ = &n->node;
                                 }
   | a_expr NOT_LA IN_P '(' expr_list ')' %prec NOT_LA
                                 {
                                    NEW (n, InExpr, @$);
                                    n->expr = $1;
                                    FINISH (n->list, $5);
                                    n->negated = true;
                                    $$ = &n->node;
                                 }
   | a_expr IN_P '(' SELECT      { UNSUPPORTED (@4, "List the values: IN ('a', 'b').", "subquery"); }
   | a_expr NOT_LA IN_P '(' SELECT
                                 { UNSUPPORTED (@5, "List the values: NOT IN ('a', 'b').", "subquery"); }
   | a_expr BETWEEN b_expr AND a_expr %prec BETWEEN
                                 {
                                    NEW (n, BetweenExpr, @$);
                                    n->expr = $1;
                                    n->low = $3;
                                    n->high = $5;
                                    $$ = &n->node;
                                 }
   | a_expr NOT_LA BETWEEN b_expr AND a_expr %prec NOT_LA
                                 {
                                    NEW (n, BetweenExpr, @$);
                                    n->expr = $1;
                                    n->low = $4;
                                    n->high = $6;
                                    n->negated = true;
                                    $$ = &n->node;
                                 }
   | a_expr TYPECAST any_name    { UNSUPPORTED (@2, "Give column types in the column list, or write DATE '...', TIMESTAMP '...', DECIMAL '...'.", "the :: cast operator"); }
   ;

/* The bounds of BETWEEN: arithmetic without boolean operators, so that
 * "a BETWEEN 1 AND 2" keeps its AND. */
b_expr:
     c_expr
   | literal
   | b_expr '+' b_expr           { OK ($$ = make_binary (st, BQL_OP_ADD, $1, $3, @$)); }
   | b_expr '-' b_expr           { OK ($$ = make_binary (st, BQL_OP_SUB, $1, $3, @$)); }
   | b_expr '*' b_expr           { OK ($$ = make_binary (st, BQL_OP_MUL, $1, $3, @$)); }
   | b_expr '/' b_expr           { OK ($$ = make_binary (st, BQL_OP_DIV, $1, $3, @$)); }
   | b_expr '%' b_expr           { OK ($$ = make_binary (st, BQL_OP_MOD, $1, $3, @$)); }
   | b_expr CONCAT b_expr        { OK ($$ = make_binary (st, BQL_OP_CONCAT, $1, $3, @$)); }
   | '-' b_expr %prec UMINUS     {
                                    NEW (n, UnaryExpr, @$);
                                    n->op = BQL_UOP_NEG;
                                    n->arg = $2;
                                    $$ = &n->node;
                                 }
   ;

c_expr:
     col_ref
   | PARAM                       {
                                    NEW (n, ParamRef, @$);
                                    n->number = ++st->nparams;
                                    $$ = &n->node;
                                 }
   | NAMED_PARAM                 {
                                    NEW (n, ParamRef, @$);
                                    ++st->nparams;
                                    n->name = $1;
                                    $$ = &n->node;
                                 }
   | '(' a_expr ')'              { $$ = $2; }
   | '(' SELECT                  { UNSUPPORTED (@2, "BulkQL expressions read the current document and the incoming row.", "subquery"); }
   | func_call
   | func_call FILTER '(' WHERE a_expr ')'
                                 {
                                    ((bql_FuncCall_t *) (void *) $1)->filter = $5;
                                    $1->location = @$.start;
                                    $1->length = @$.end - @$.start;
                                    $$ = $1;
                                 }
   | func_call OVER              { UNSUPPORTED (@2, "Aggregate with GROUP BY.", "window functions (OVER)"); }
   | func_call FILTER '(' WHERE a_expr ')' OVER
                                 { UNSUPPORTED (@7, "Aggregate with GROUP BY.", "window functions (OVER)"); }
   | case_expr
   | CURRENT_TIMESTAMP           {
                                    NEW (n, SpecialValue, @$);
                                    n->kind = BQL_SV_CURRENT_TIMESTAMP;
                                    $$ = &n->node;
                                 }
   | CURRENT_DATE                {
                                    NEW (n, SpecialValue, @$);
                                    n->kind = BQL_SV_CURRENT_DATE;
                                    $$ = &n->node;
                                 }
   | EXISTS '(' a_expr ')'       {
                                    NEW (n, ExistsExpr, @$);
                                    n->path = $3;
                                    $$ = &n->node;
                                 }
   | EXISTS '(' SELECT           { UNSUPPORTED (@3, "EXISTS takes a field path: EXISTS(address.city).", "subquery"); }
   | VALUES '(' col_ref ')'      {
                                    /* MySQL's VALUES(col): the incoming row's value */
                                    NEW (n, FuncCall, @$);
                                    n->name = "VALUES";
                                    APPEND (n->args, NULL, $3);
                                    $$ = &n->node;
                                 }
   ;

literal:
     SCONST                      { OK ($$ = make_const (st, BQL_CONST_STRING, $1, @$)); }
   | ICONST                      { OK ($$ = make_const (st, BQL_CONST_INTEGER, $1, @$)); }
   | FCONST                      { OK ($$ = make_const (st, BQL_CONST_FLOAT, $1, @$)); }
   | TRUE_P                      { OK ($$ = make_const (st, BQL_CONST_BOOLEAN, "true", @$)); }
   | FALSE_P                     { OK ($$ = make_const (st, BQL_CONST_BOOLEAN, "false", @$)); }
   | NULL_P                      { OK ($$ = make_const (st, BQL_CONST_NULL, NULL, @$)); }
   | JSONLIT                     { OK ($$ = make_const (st, BQL_CONST_JSON, $1, @$)); }
   | DATE SCONST                 { OK ($$ = make_const (st, BQL_CONST_DATE, $2, @$)); }
   | TIMESTAMP SCONST            { OK ($$ = make_const (st, BQL_CONST_TIMESTAMP, $2, @$)); }
   | DECIMAL SCONST              { OK ($$ = make_const (st, BQL_CONST_DECIMAL, $2, @$)); }
   | INTERVAL SCONST             { OK ($$ = make_const (st, BQL_CONST_INTERVAL, $2, @$)); }
   ;

func_call:
     col_name '(' ')'            {
                                    NEW (n, FuncCall, @$);
                                    n->name = $1;
                                    $$ = &n->node;
                                 }
   | col_name '(' expr_list ')'  {
                                    NEW (n, FuncCall, @$);
                                    n->name = $1;
                                    FINISH (n->args, $3);
                                    $$ = &n->node;
                                 }
   | col_name '(' '*' ')'        {
                                    NEW (n, FuncCall, @$);
                                    n->name = $1;
                                    n->star = true;
                                    $$ = &n->node;
                                 }
   | col_name '(' a_expr FROM     { UNSUPPORTED (@4, "Truncate dates with DATE_TRUNC('hour', ts) or DATE(ts).", "%s(... FROM ...)", $1); }
   | col_name '(' DISTINCT expr_list ')'
                                 {
                                    NEW (n, FuncCall, @$);
                                    n->name = $1;
                                    n->distinct = true;
                                    FINISH (n->args, $4);
                                    $$ = &n->node;
                                 }
   ;

case_expr:
     CASE case_arg when_list case_default END_P
                                 {
                                    NEW (n, CaseExpr, @$);
                                    n->arg = $2;
                                    n->whens = $3;
                                    n->default_result = $4;
                                    $$ = &n->node;
                                 }
   ;

case_arg:
     %empty                      { $$ = NULL; }
   | a_expr
   ;

when_list:
     when_clause                 { APPEND ($$, NULL, $1); }
   | when_list when_clause       { APPEND ($$, $1, $2); }
   ;

when_clause:
     WHEN a_expr THEN a_expr     {
                                    NEW (n, CaseWhen, @$);
                                    n->condition = $2;
                                    n->result = $4;
                                    $$ = &n->node;
                                 }
   ;

case_default:
     %empty                      { $$ = NULL; }
   | ELSE a_expr                 { $$ = $2; }
   ;

expr_list:
     a_expr                      { $$ = PENDING_MARK; PUSH ($1); }
   | expr_list ',' a_expr        { $$ = $1; PUSH ($3); }
   ;

/* ---- names ---- */

/* A field path: a.b.c, a.0.b, "quoted name".x */
col_path:
     col_name
   | col_path '.' attr_name      { OK ($$ = join_path (st, $1, $3)); }
   ;

/* A name that can start a path or name a column: not a reserved keyword. */
col_name:
     IDENT
   | unreserved_keyword          { OK ($$ = kw_text (st, @1)); }
   ;

/* Any word: option-group names, aliases, collection names. */
any_name:
     IDENT
   | unreserved_keyword          { OK ($$ = kw_text (st, @1)); }
   ;

/* After a dot, or as an option name, every keyword is just a word. */
attr_name:
     col_label
   | ICONST
   ;

col_label:
     IDENT
   | unreserved_keyword          { OK ($$ = kw_text (st, @1)); }
   | reserved_keyword            { OK ($$ = kw_text (st, @1)); }
   ;

unreserved_keyword:
     ASC | BULK | BY | COMPRESSION | CONFLICT | CREATE | DATE | DECIMAL | DELETE
   | DESC | DO | DUPLICATE | EXPLAIN | FILTER | FORMAT | GROUP_P | HAVING
   | INSERT | INTERVAL | JOIN | KEY | LATERAL | LIMIT | NOTHING | OPERATION | ORDER
   | OVER | REMOVE | REPLACE | RESUME | TIMESTAMP | UPDATE | UPSERT | USING
   ;

reserved_keyword:
     AND | AS | BETWEEN | CASE | CHECK | CURRENT_DATE | CURRENT_TIMESTAMP
   | DISTINCT | ELSE | END_P | EXISTS | FALSE_P | FROM | IN_P | INTO | IS | LIKE | NOT
   | NULL_P | ON | OR | SELECT | SET | STDIN | THEN | TRUE_P | VALUES | WHEN
   | WHERE
   | WITH
   ;

%%

static const char *
join_path (bql_parse_state_t *st, const char *a, const char *b)
{
   size_t la = strlen (a), lb = strlen (b);
   char *s = bql_arena_alloc_raw (st->arena, la + lb + 2);
   if (!s) {
      return NULL;
   }
   memcpy (s, a, la);
   s[la] = '.';
   memcpy (s + la + 1, b, lb + 1);
   return s;
}

/* The text of a keyword token as written (a keyword used as a name). */
static const char *
kw_text (bql_parse_state_t *st, bql_loc_t loc)
{
   return bql_strdup_span (st, st->source + loc.start, (size_t) (loc.end - loc.start));
}

static bql_node_t *
make_binary (bql_parse_state_t *st, int op, bql_node_t *l, bql_node_t *r, bql_loc_t loc)
{
   bql_BinaryExpr_t *n = BQL_MAKE (st, BinaryExpr, loc);
   if (!n) {
      return NULL;
   }
   n->op = op;
   n->left = l;
   n->right = r;
   return &n->node;
}

/* l AND r, l OR r: a BoolExpr. AND and OR are left-associative, so in a
 * chain l is the BoolExpr of the terms so far: r joins its operands
 * (amortised O(1), bql_list_append doubles) and its span grows to r's end,
 * instead of a new node above it; a chain of any length is one level. */
static bql_node_t *
make_bool (bql_parse_state_t *st, int op, bql_node_t *l, bql_node_t *r, bql_loc_t loc)
{
   bql_BoolExpr_t *n = bql_is (l, BoolExpr) ? (bql_BoolExpr_t *) (void *) l : NULL;
   if (n && (int) n->op == op) {
      if (!bql_list_append (st, n->args, r)) {
         return NULL;
      }
      n->node.location = loc.start;
      n->node.length = loc.end - loc.start;
      return &n->node;
   }
   n = BQL_MAKE (st, BoolExpr, loc);
   if (!n || !(n->args = bql_list_make (st, l)) || !bql_list_append (st, n->args, r)) {
      return NULL;
   }
   n->op = op;
   return &n->node;
}

static inline bql_node_t *
make_const (bql_parse_state_t *st, int type, const char *value, bql_loc_t loc)
{
   bql_Const_t *n = BQL_MAKE (st, Const, loc);
   if (!n) {
      return NULL;
   }
   n->type = type;
   n->value = value;
   return &n->node;
}

/* Append a statement to the script, once it is known to be at most
 * BQL_MAX_NESTING deep (else the error, st->failed, and false; false
 * without st->failed is out of memory). */
static bool
add_statement (bql_parse_state_t *st, bql_node_t *stmt)
{
   bool nomem;
   const bql_node_t *deep = bql_node_too_deep (stmt, BQL_MAX_NESTING, bql_arena_allocator (st->arena), &nomem);
   if (nomem) {
      return false;
   }
   if (deep) {
      bql_loc_t at = {deep->location, deep->location + deep->length};
      bql_parse_error (st, BQL_ERR_TOO_LARGE, at, "Split the expression or statement.",
                       "expression nested too deeply (the limit is %d levels)", BQL_MAX_NESTING);
      return false;
   }
   if (!(st->statements = bql_list_append (st, st->statements, stmt))) {
      return false;
   }
   bql_buf_append (&st->param_counts, &st->nparams, sizeof st->nparams);
   st->nparams = 0;
   return !st->param_counts.oom;
}

/* WITH name AS (SELECT ...) before a statement: the queries name row
 * sources of its SELECT, which must have none of its own. */
static bool
attach_ctes (bql_parse_state_t *st, bql_node_t *stmt, bql_list_t *ctes, bql_loc_t loc)
{
   bql_node_t *source = NULL;
   if (bql_is (stmt, InsertStmt)) {
      source = bql_cast (InsertStmt, stmt)->source;
   } else if (bql_is (stmt, UpsertStmt)) {
      source = bql_cast (UpsertStmt, stmt)->source;
   }
   if (!source || !bql_is (source, SelectSource)) {
      return bql_parse_error (st, BQL_ERR_SYNTAX, loc,
                              "Read the named rows with BULK INSERT INTO c SELECT ... FROM name (or BULK UPSERT).",
                              "WITH ... AS names rows for INSERT ... SELECT or UPSERT ... SELECT");
   }
   bql_SelectSource_t *sel = (bql_SelectSource_t *) (void *) source;
   if (sel->ctes) {
      return bql_parse_error (st, BQL_ERR_SYNTAX, loc, "Give all the WITH queries in one place.",
                              "WITH ... AS given twice");
   }
   sel->ctes = ctes;
   int64_t end = stmt->location + stmt->length;
   stmt->location = loc.start;
   stmt->length = end - loc.start;
   return true;
}

/* Complete a FileSource built by file_items: its path, its span, and the
 * clauses only a source with an alias may have: aliased names the clause
 * ("BULK UPDATE ... FROM", "BULK DELETE ... USING"), NULL for the rows of
 * INSERT and UPSERT. */
static bool
finish_file_source (bql_parse_state_t *st, bql_node_t *node, const char *path, bql_loc_t loc, const char *aliased)
{
   bool is_update = aliased != NULL;
   bql_FileSource_t *fs = (bql_FileSource_t *) node;
   fs->path = path;
   fs->is_stdin = path == NULL;
   node->location = loc.start;
   node->length = loc.end - loc.start;
   if (!is_update && fs->alias) {
      return bql_parse_error (st, BQL_ERR_SYNTAX, loc,
                              "An alias names the incoming row in BULK UPDATE ... FROM 'file' AS v.",
                              "AS is not allowed after FROM here");
   }
   if (!is_update && fs->alias_columns) {
      const bql_node_t *c = fs->alias_columns->items[0];
      bql_loc_t l = {c->location, c->location + c->length};
      return bql_parse_error (st, BQL_ERR_SYNTAX, l,
                              "Put the column list after the collection name, as in BULK INSERT INTO c (a, b) FROM 'file'.",
                              "expected a file option (name = value), found a column");
   }
   if (is_update && !fs->alias) {
      bool del = !strncmp (aliased, "BULK DELETE", 11);
      return bql_parse_error (st, BQL_ERR_SYNTAX, loc,
                              del ? "Name the incoming row, as in USING 'keys.csv' AS v, and join it in WHERE."
                                  : "Name the incoming row, as in FROM 'prices.csv' AS v, and join it in WHERE.",
                              "%s needs an alias (AS v)", aliased);
   }
   return true;
}

static bool
tail_check (bql_parse_state_t *st, bql_tail_t *t, bql_node_t *check, bql_loc_t loc)
{
   if (t->check) {
      return bql_parse_error (st, BQL_ERR_SYNTAX, loc, NULL, "CHECK given twice");
   }
   t->check = check;
   t->check_loc = loc;
   return true;
}

/* Move the tail clauses into the statement; check the required ones. */
static bool
apply_tail (bql_parse_state_t *st, bql_node_t *stmt, bql_tail_t *t)
{
   bql_list_t **options = NULL;
   bql_loc_t end = {stmt->location + stmt->length, stmt->location + stmt->length};
   switch (stmt->kind) {
   case BQL_T_InsertStmt: {
      bql_InsertStmt_t *s = (bql_InsertStmt_t *) stmt;
      options = &s->options;
      s->check = t->check;
      s->on_duplicate = t->on_duplicate;
      break;
   }
   case BQL_T_UpsertStmt: {
      bql_UpsertStmt_t *s = (bql_UpsertStmt_t *) stmt;
      options = &s->options;
      s->check = t->check;
      s->on_conflict = t->on_conflict;
      if (!t->on_conflict) {
         return bql_parse_error (st, BQL_ERR_SYNTAX, end,
                                 "Add ON CONFLICT (key, ...) DO UPDATE SET ..., DO REPLACE or DO NOTHING.",
                                 "BULK UPSERT requires an ON CONFLICT clause");
      }
      break;
   }
   case BQL_T_UpdateStmt: {
      bql_UpdateStmt_t *s = (bql_UpdateStmt_t *) stmt;
      options = &s->options;
      s->where = t->where;
      if (!t->where) {
         return bql_parse_error (st, BQL_ERR_SYNTAX, end, "Add WHERE TRUE to update every document.",
                                 "BULK UPDATE requires a WHERE clause");
      }
      break;
   }
   case BQL_T_DeleteStmt: {
      bql_DeleteStmt_t *s = (bql_DeleteStmt_t *) stmt;
      options = &s->options;
      s->where = t->where;
      if (!t->where) {
         return bql_parse_error (st, BQL_ERR_SYNTAX, end, "Add WHERE TRUE to delete every document.",
                                 "BULK DELETE requires a WHERE clause");
      }
      break;
   }
   default:
      return true;
   }
   for (int32_t i = 0; t->options && i < t->options->length; i++) {
      if (!(*options = bql_list_append (st, *options, t->options->items[i]))) {
         return false;
      }
   }
   return true;
}

/* Bison's own failures (its stack exhausted by very deep nesting, or
 * YYNOMEM from an action) arrive here. */
static void
bql_yyerror (const bql_loc_t *loc, yyscan_t scanner, bql_parse_state_t *st, const char *msg)
{
   (void) scanner;
   if (st->nomem || strcmp (msg, "memory exhausted") != 0) {
      bql_parse_error (st, BQL_ERR_NOMEM, *loc, NULL, "out of memory");
   } else {
      bql_parse_error (st, BQL_ERR_TOO_LARGE, *loc, "Split the expression or statement.",
                       "statement nested too deeply: the parser holds at most %d open parentheses, operators "
                       "and clauses (an expression nests at most %d levels)",
                       (int) YYMAXDEPTH, BQL_MAX_NESTING);
   }
}

/* Collect what LAC says was possible and let parse.c word the message. */
static int
yyreport_syntax_error (const yypcontext_t *ctx, yyscan_t scanner, bql_parse_state_t *st)
{
   (void) scanner;
   yysymbol_kind_t kinds[YYNTOKENS];
   const char *expected[YYNTOKENS];
   int n = yypcontext_expected_tokens (ctx, kinds, YYNTOKENS);
   for (int i = 0; i < n; i++) {
      expected[i] = yysymbol_name (kinds[i]);
   }
   yysymbol_kind_t found = yypcontext_token (ctx);
   bql_report_syntax_error (st,
                            *yypcontext_location (ctx),
                            found == YYSYMBOL_YYEOF ? NULL : yysymbol_name (found),
                            found == YYSYMBOL_INVALID,
                            expected,
                            n < 0 ? 0 : n);
   return 0;
}
