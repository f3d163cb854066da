/*
 * parse.c — the parser's driver: bql_parse() sets up the arena, the source
 * copy and a reentrant scanner, runs the pure bison parser, and turns the
 * outcome into a script or an error. Also here: the wording of syntax
 * errors with their expected tokens and "did you mean" hints, the script
 * accessors, and bql_statement_is_complete. (The token filter between
 * flex and bison is in grammar/parser.y.)
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse_internal.h"
#include "bql_grammar.h"

/* The parsers generated from grammar/parser.y (see parse_once). */
int bql_yyparse (yyscan_t scanner, bql_parse_state_t *st);
int bql_yyparse_fast (yyscan_t scanner, bql_parse_state_t *st);

/* ---- errors ---- */

void
bql_locate (const char *src, size_t len, int64_t offset, int32_t *line, int32_t *column)
{
   int32_t l = 1;
   int64_t line_start = 0;
   if (offset < 0 || !src) {
      *line = 0;
      *column = 0;
      return;
   }
   if ((size_t) offset > len) {
      offset = (int64_t) len;
   }
   for (int64_t i = 0; i < offset; i++) {
      if (src[i] == '\n') {
         l++;
         line_start = i + 1;
      }
   }
   *line = l;
   *column = (int32_t) (offset - line_start + 1);
}

bool
bql_parse_error (bql_parse_state_t *st, bql_error_code_t code, bql_loc_t loc, const char *hint, const char *fmt, ...)
{
   if (st->failed) {
      return false;
   }
   st->failed = true;
   bql_error_t *e = st->error;
   if (!e) {
      return false;
   }
   bql_error_clear (e);
   e->domain = BQL_ERROR_SYNTAX;
   e->code = code;
   e->offset = loc.start;
   e->length = loc.end > loc.start ? loc.end - loc.start : 0;
   bql_locate (st->source, (size_t) st->len, loc.start, &e->line, &e->column);
   va_list ap;
   va_start (ap, fmt);
   vsnprintf (e->message, sizeof e->message, fmt, ap);
   va_end (ap);
   if (hint) {
      snprintf (e->hint, sizeof e->hint, "%s", hint);
   }
   return false;
}

/* Bison's symbol names: "\"WITH\"" for keywords and aliases, "';'" for
 * characters, "end of file". Strip the quoting. */
static void
symbol_text (const char *name, char *out, size_t size)
{
   size_t n = strlen (name);
   if (n >= 2 && (name[0] == '"' || name[0] == '\'') && name[n - 1] == name[0]) {
      name++;
      n -= 2;
   }
   if (n >= size) {
      n = size - 1;
   }
   memcpy (out, name, n);
   out[n] = '\0';
}

typedef enum { SYM_KEYWORD_R, SYM_KEYWORD_U, SYM_PUNCT, SYM_CLASS } sym_class_t;

typedef struct {
   char text[48];
   sym_class_t cls;
   bool expr_start; /* can begin an expression */
} sym_t;

static void
classify (const char *name, sym_t *s)
{
   symbol_text (name, s->text, sizeof s->text);
   s->expr_start = false;
   const bql_keyword_t *kw = bql_keyword_lookup (s->text, strlen (s->text));
   if (kw) {
      s->cls = kw->category == BQL_KW_RESERVED ? SYM_KEYWORD_R : SYM_KEYWORD_U;
      static const char *const starters[] = {"NOT", "CASE", "EXISTS", "CURRENT_DATE", "CURRENT_TIMESTAMP",
                                             "TRUE", "FALSE", "NULL", "VALUES"};
      for (size_t i = 0; i < sizeof starters / sizeof starters[0]; i++) {
         if (strcmp (s->text, starters[i]) == 0) {
            s->expr_start = true;
         }
      }
      if (s->cls == SYM_KEYWORD_U) {
         s->expr_start = true; /* a field or function name */
      }
      return;
   }
   static const struct {
      const char *bison;
      const char *words;
      bool expr_start;
   } classes[] = {
      {"identifier", "a name", true},
      {"string literal", "a string literal", true},
      {"integer literal", "an integer", true},
      {"numeric literal", "a number", true},
      {"JSON literal", "a JSON literal", true},
      {"named parameter", "a parameter", true},
      {"end of file", "end of input", false},
      {"NOT (before IN, LIKE or BETWEEN)", "NOT", false},
   };
   for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
      if (strcmp (s->text, classes[i].bison) == 0) {
         s->cls = SYM_CLASS;
         s->expr_start = classes[i].expr_start;
         snprintf (s->text, sizeof s->text, "%s", classes[i].words);
         return;
      }
   }
   s->cls = SYM_PUNCT;
   s->expr_start = strcmp (s->text, "(") == 0 || strcmp (s->text, "-") == 0 || strcmp (s->text, "+") == 0 ||
                   strcmp (s->text, "?") == 0;
   size_t n = strlen (s->text);
   if (n > sizeof s->text - 3) {
      n = sizeof s->text - 3;
   }
   memmove (s->text + 1, s->text, n);
   s->text[0] = '"';
   s->text[n + 1] = '"';
   s->text[n + 2] = '\0';
}

void
bql_report_syntax_error (bql_parse_state_t *st,
                         bql_loc_t loc,
                         const char *found_name,
                         bool found_invalid,
                         const char *const *expected,
                         int nexpected)
{
   if (st->failed) {
      return;
   }
   if (found_invalid) {
      if (st->nomem) {
         bql_parse_error (st, BQL_ERR_NOMEM, loc, NULL, "out of memory");
      } else {
         bql_parse_error (st, BQL_ERR_LEXICAL, loc, NULL, "%s", st->lex_error ? st->lex_error : "invalid token");
      }
      return;
   }

   /* What was found, as written. */
   char near[64];
   const char *found_text = st->source + loc.start;
   int32_t found_len = loc.end - loc.start;
   bool truncated = found_len > 40;
   if (truncated) {
      found_len = 40;
   }
   snprintf (near, sizeof near, "%.*s%s", (int) found_len, found_text, truncated ? "..." : "");
   /* the token's source text stops at a newline for the message */
   char *nl = strchr (near, '\n');
   if (nl) {
      *nl = '\0';
   }

   sym_t syms[128];
   int n = nexpected < 128 ? nexpected : 128;
   bool want_expr = false, want_name = false, want_bulk = false;
   int nreserved = 0;
   for (int i = 0; i < n; i++) {
      classify (expected[i], &syms[i]);
      if (strcmp (syms[i].text, "an integer") == 0) {
         want_expr = true;
      }
      if (strcmp (syms[i].text, "a name") == 0) {
         want_name = true;
      }
      if (strcmp (syms[i].text, "BULK") == 0) {
         want_bulk = true;
      }
      if (syms[i].cls == SYM_KEYWORD_R) {
         nreserved++;
      }
   }

   /* The hint: a near miss of an expected keyword, BULK forgotten, or a
    * reserved word used as a name. */
   char hint[200] = "";
   sym_t found_sym;
   if (found_name) {
      classify (found_name, &found_sym);
   }
   bool found_word = found_name && (strcmp (found_sym.text, "a name") == 0 ||
                                    bql_keyword_lookup (found_text, (size_t) (loc.end - loc.start)));
   if (found_word) {
      const char *best = NULL;
      int best_d = 99;
      size_t wl = (size_t) (loc.end - loc.start);
      for (int i = 0; i < n; i++) {
         if (syms[i].cls != SYM_KEYWORD_R && syms[i].cls != SYM_KEYWORD_U) {
            continue;
         }
         int d = bql_edit_distance (found_text, wl, syms[i].text, strlen (syms[i].text));
         if (d > 0 && d < best_d) {
            best_d = d;
            best = syms[i].text;
         }
      }
      int limit = wl <= 3 ? 0 : (wl <= 5 ? 1 : 2);
      const bql_keyword_t *kw = bql_keyword_lookup (found_text, wl);
      if (want_bulk && kw &&
          (strcmp (kw->name, "INSERT") == 0 || strcmp (kw->name, "UPDATE") == 0 ||
           strcmp (kw->name, "DELETE") == 0 || strcmp (kw->name, "UPSERT") == 0)) {
         snprintf (hint, sizeof hint, "BulkQL statements start with BULK, as in BULK %s.", near);
      } else if (best && best_d <= limit) {
         snprintf (hint, sizeof hint, "Did you mean \"%.180s\"?", best);
      } else if (kw && strcmp (kw->name, "WHERE") == 0 && want_expr) {
         snprintf (hint, sizeof hint, "A value is missing before WHERE.");
      } else if (kw && strcmp (kw->name, "WHERE") == 0) {
         snprintf (hint, sizeof hint, "Only BULK UPDATE and BULK DELETE have a WHERE clause.");
      } else if (want_name && kw && kw->category == BQL_KW_RESERVED) {
         snprintf (hint, sizeof hint, "\"%s\" is a reserved word; quote it (\"%s\") to use it as a name.", near, near);
      }
   }

   /* The expected list, with expression and name starters folded into
    * "an expression" / "a name". */
   bql_buf_t detail;
   bql_buf_init (&detail);
   const char *items[130];
   int nitems = 0;
   if (want_expr) {
      items[nitems++] = "an expression";
   }
   for (int i = 0; i < n; i++) {
      const sym_t *s = &syms[i];
      if (want_expr && s->expr_start) {
         continue;
      }
      if (want_name && s->cls == SYM_KEYWORD_U) {
         continue;
      }
      if (want_name && s->cls == SYM_KEYWORD_R && nreserved > 12) {
         continue; /* any word is a name here */
      }
      if (strcmp (s->text, "\"lexical error\"") == 0 || strcmp (s->text, "SELECT") == 0 ||
          strcmp (s->text, "CREATE") == 0) {
         continue; /* never valid: recognised only to say "not supported" */
      }
      bool dup = false;
      for (int j = 0; j < nitems; j++) {
         if (strcmp (items[j], s->text) == 0) {
            dup = true;
         }
      }
      if (!dup) {
         items[nitems++] = s->text;
      }
   }
   for (int i = 0; i < nitems; i++) {
      if (i == 0) {
         bql_buf_puts (&detail, "expected ");
      } else if (i == nitems - 1) {
         bql_buf_puts (&detail, " or ");
      } else {
         bql_buf_puts (&detail, ", ");
      }
      bql_buf_puts (&detail, items[i]);
   }

   if (found_name) {
      bql_parse_error (st, BQL_ERR_SYNTAX, loc, hint[0] ? hint : NULL, "syntax error at or near \"%s\"", near);
   } else {
      bql_parse_error (st, BQL_ERR_SYNTAX, loc, hint[0] ? hint : NULL, "syntax error at end of input");
   }
   if (st->error && detail.data) {
      snprintf (st->error->detail, sizeof st->error->detail, "%s", detail.data);
   }
   bql_buf_cleanup (&detail);
}

/* ---- UTF-8 ---- */

size_t
bql_utf8_check (const char *text, size_t len, size_t *bad_len)
{
   const unsigned char *s = (const unsigned char *) text;
   size_t i = 0;
   while (i < len) {
      /* ASCII eight bytes at a time */
      while (i + 8 <= len) {
         uint64_t w;
         memcpy (&w, s + i, 8);
         if (w & 0x8080808080808080ull) {
            break;
         }
         i += 8;
      }
      if (i >= len) {
         break;
      }
      unsigned char c = s[i];
      if (c < 0x80) {
         i++;
         continue;
      }
      size_t n;
      unsigned char lo = 0x80, hi = 0xBF; /* range of the second byte */
      if (c >= 0xC2 && c <= 0xDF) {
         n = 2;
      } else if (c >= 0xE0 && c <= 0xEF) {
         n = 3;
         if (c == 0xE0) {
            lo = 0xA0; /* overlong */
         } else if (c == 0xED) {
            hi = 0x9F; /* surrogates */
         }
      } else if (c >= 0xF0 && c <= 0xF4) {
         n = 4;
         if (c == 0xF0) {
            lo = 0x90; /* overlong */
         } else if (c == 0xF4) {
            hi = 0x8F; /* above U+10FFFF */
         }
      } else {
         *bad_len = 1;
         return i;
      }
      size_t k = 1;
      for (; k < n && i + k < len; k++) {
         unsigned char b = s[i + k];
         if (k == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80) {
            break;
         }
      }
      if (k < n) {
         *bad_len = k;
         return i;
      }
      i += n;
   }
   *bad_len = 0;
   return len;
}

/* The error for invalid UTF-8 at text[bad, bad + bad_len). */
static void
utf8_error (const char *text, size_t len, size_t bad, size_t bad_len, bql_error_t *error)
{
   if (!error) {
      return;
   }
   bql_error_clear (error);
   error->domain = BQL_ERROR_SYNTAX;
   error->code = BQL_ERR_LEXICAL;
   error->offset = (int64_t) bad;
   error->length = (int64_t) bad_len;
   bql_locate (text, len, error->offset, &error->line, &error->column);
   char bytes[32] = "";
   for (size_t i = 0; i < bad_len && i < 4; i++) {
      snprintf (bytes + strlen (bytes), sizeof bytes - strlen (bytes), "%s0x%02X", i ? " " : "",
                (unsigned) (unsigned char) text[bad + i]);
   }
   snprintf (error->message, sizeof error->message, "invalid UTF-8: %s %s", bad_len == 1 ? "byte" : "bytes", bytes);
   snprintf (error->hint, sizeof error->hint, "Statements are UTF-8 text; convert the script (iconv -t UTF-8).");
}

/* ---- the driver ---- */

static void
state_cleanup (bql_parse_state_t *st)
{
   bql_buf_cleanup (&st->json);
   bql_buf_cleanup (&st->param_counts);
   if (st->pending) {
      const bql_allocator_t *a = bql_arena_allocator (st->arena);
      a->free_fn (st->pending, a->ctx);
      st->pending = NULL;
   }
}

/* Set up state and arena with a copy of text; false on OOM. */
static bool
state_init (bql_parse_state_t *st, const char *text, size_t len, const bql_allocator_t *alloc, bql_error_t *error)
{
   memset (st, 0, sizeof *st);
   st->error = error;
   st->arena = bql_arena_new (alloc);
   if (!st->arena) {
      return false;
   }
   /* The source copy and the nodes of a script of VALUES rows take about
    * four times its length: start with a block that size, which for a
    * big script is a huge-page mapping (see arena.c), rather than with a
    * string of small ones. */
   bql_arena_expect (st->arena, len < SIZE_MAX / 4 ? len * 4 : SIZE_MAX);
   char *src = bql_arena_alloc_raw (st->arena, len + 2);
   if (!src) {
      bql_arena_destroy (st->arena);
      st->arena = NULL;
      return false;
   }
   if (len) {
      memcpy (src, text, len);
   }
   src[len] = '\0';
   src[len + 1] = '\0';
   st->source = src;
   st->len = (int32_t) len;
   bql_buf_init (&st->json);
   bql_buf_init (&st->param_counts);
   return true;
}

static void
set_simple_error (bql_error_t *error, bql_error_domain_t domain, bql_error_code_t code, const char *msg)
{
   if (error) {
      bql_error_clear (error);
      error->domain = domain;
      error->code = code;
      snprintf (error->message, sizeof error->message, "%s", msg);
   }
}

/* The two parsers generated from grammar/parser.y: bql_yyparse with LAC
 * (lookahead correction), whose syntax errors list exactly the tokens
 * that could come next, and bql_yyparse_fast, the same tables without
 * LAC. Both accept the same language and run the same actions in the
 * same order on any input that parses, so the fast one's script is the
 * LAC one's; LAC only changes where an error is noticed (before any
 * reduction on a bad lookahead rather than after) and so what it can
 * say was expected there. LAC costs a simulation of the reductions of
 * every lookahead, about a tenth of the parse time of a big VALUES. */
typedef int (*parser_fn) (yyscan_t scanner, bql_parse_state_t *st);

/* Parse text once with parser into a new script (NULL on failure, with
 * the error in *error when error is not NULL). */
static bql_script_t *
parse_once (const char *text, size_t len, const bql_parse_options_t *options, parser_fn parser, bql_error_t *error)
{
   bql_parse_state_t st;
   yyscan_t scanner = NULL;
   bool ok = false;

   if (!state_init (&st, text, len, options ? options->allocator : NULL, error)) {
      set_simple_error (error, BQL_ERROR_SYNTAX, BQL_ERR_NOMEM, "out of memory");
      return NULL;
   }

   bql_script_t *s = bql_arena_alloc (st.arena, sizeof *s);
   const char *fname = options && options->filename ? options->filename : "<input>";
   char *fcopy = s ? bql_arena_strndup (st.arena, fname, strlen (fname)) : NULL;
   if (!s || !fcopy || bql_yylex_init_extra (&st, &scanner) != 0 || !bql_scan_start (&st, scanner)) {
      set_simple_error (error, BQL_ERROR_SYNTAX, BQL_ERR_NOMEM, "out of memory");
      goto done;
   }
   s->arena = st.arena;
   s->source = st.source;
   s->len = len;
   s->filename = fcopy;
   st.script = s;

   int rc = parser (scanner, &st);
   if (rc != 0 || st.failed || st.nomem) {
      if (!st.failed) {
         set_simple_error (error, BQL_ERROR_SYNTAX, BQL_ERR_NOMEM, "out of memory");
      }
      goto done;
   }
   s->statements = st.statements;
   if (st.param_counts.len) {
      s->param_counts = bql_arena_alloc_raw (st.arena, st.param_counts.len);
      if (!s->param_counts) {
         set_simple_error (error, BQL_ERROR_SYNTAX, BQL_ERR_NOMEM, "out of memory");
         goto done;
      }
      memcpy (s->param_counts, st.param_counts.data, st.param_counts.len);
   }
   ok = true;

done:
   if (scanner) {
      bql_yylex_destroy (scanner);
   }
   state_cleanup (&st);
   if (!ok) {
      bql_arena_destroy (st.arena);
   }
   return ok ? s : NULL;
}

bool
bql_parse (const char *text, size_t len, const bql_parse_options_t *options, bql_script_t **script, bql_error_t *error)
{
   if (error) {
      bql_error_clear (error);
   }
   if (!script || (!text && len)) {
      set_simple_error (error, BQL_ERROR_USAGE, BQL_ERR_INVALID_ARG, "bql_parse: NULL argument");
      return false;
   }
   *script = NULL;
   if (len > BQL_SCRIPT_MAX_BYTES) {
      set_simple_error (error, BQL_ERROR_SYNTAX, BQL_ERR_TOO_LARGE,
                        "script too large (the limit is 2 GiB); load big data with FROM 'file'");
      return false;
   }
   /* Invalid UTF-8 anywhere is refused before a token is read: the names
    * and strings made of it would be corrupt BSON on the server. */
   size_t bad_len = 0;
   size_t bad = bql_utf8_check (text, len, &bad_len);
   if (bad < len) {
      utf8_error (text, len, bad, bad_len, error);
      return false;
   }
   /* Only the fields the caller's struct has (its size field; 0 is this
    * header's size): the rest are taken as zero, as parser.h says. */
   bql_parse_options_t known;
   memset (&known, 0, sizeof known);
   if (options) {
      size_t n = options->size && options->size < sizeof known ? options->size : sizeof known;
      memcpy (&known, options, n);
      options = &known;
   }
   /* The fast parser first. Should it fail, for whatever reason, parse
    * again from scratch with the LAC parser, whose outcome is the answer:
    * errors are worded by it alone, at twice the parse time. */
   bql_script_t *s = parse_once (text, len, options, bql_yyparse_fast, NULL);
   if (!s) {
      s = parse_once (text, len, options, bql_yyparse, error);
   }
   *script = s;
   return s != NULL;
}

void
bql_script_destroy (bql_script_t *script)
{
   if (script) {
      bql_arena_destroy (script->arena);
   }
}

size_t
bql_script_statement_count (const bql_script_t *script)
{
   return script && script->statements ? (size_t) script->statements->length : 0;
}

const bql_node_t *
bql_script_statement (const bql_script_t *script, size_t i)
{
   if (i >= bql_script_statement_count (script)) {
      return NULL;
   }
   return script->statements->items[i];
}

const char *
bql_script_source (const bql_script_t *script, size_t *len)
{
   if (len) {
      *len = script ? script->len : 0;
   }
   return script ? script->source : NULL;
}

const char *
bql_script_filename (const bql_script_t *script)
{
   return script ? script->filename : NULL;
}

int32_t
bql_script_param_count (const bql_script_t *script, size_t i)
{
   if (i >= bql_script_statement_count (script) || !script->param_counts) {
      return 0;
   }
   return script->param_counts[i];
}

void
bql_script_position (const bql_script_t *script, int64_t offset, int32_t *line, int32_t *column)
{
   bql_locate (script ? script->source : NULL, script ? script->len : 0, offset, line, column);
}

void
bql_error_locate (bql_error_t *error, const char *source, size_t len)
{
   if (error) {
      bql_locate (source, len, error->offset, &error->line, &error->column);
   }
}

/* ---- completeness ---- */

/* What bql_statement_is_complete knows of the lexer (grammar/lexer.l),
 * in the manner of SQLite's sqlite3_complete: one pass over the bytes
 * with a state and, inside a JSON literal, the stack of its open
 * brackets (a bit per level), so that it allocates nothing whatever the
 * text. The states and the lexer's rules they follow:
 *   CODE     between tokens ({space}, and any token that is not one of
 *            those below: what matters is only whether it is ';')
 *   LINE     "--" to the end of the line
 *   BLOCK    slash-star to the first star-slash (not nested)
 *   STRING   '...' with '' for a quote; IDENT "..." and `...` likewise
 *   JSON     {...} or [...] up to the bracket that closes the first,
 *            at most BQL_JSON_MAX_DEPTH deep (past it, or at a bracket
 *            that does not match, the lexer reports an error and the
 *            literal ends there); no comments inside
 *   JSTRING  "..." or '...' inside JSON with backslash escapes; a
 *            newline inside one is an error at its opening quote, after
 *            which the lexer goes on scanning right after that quote. */
typedef enum { C_CODE, C_LINE, C_BLOCK, C_STRING, C_JSON, C_JSTRING } complete_state_t;

bool
bql_statement_is_complete (const char *text, size_t len)
{
   if (!text || len == 0 || len > BQL_SCRIPT_MAX_BYTES) {
      return false;
   }
   complete_state_t state = C_CODE;
   bool complete = false;   /* the last token was ';' */
   char quote = 0;          /* of STRING and JSTRING */
   size_t quote_at = 0;     /* JSTRING: where its opening quote is */
   uint64_t square[(BQL_JSON_MAX_DEPTH + 63) / 64] = {0}; /* JSON: bit set = '[' */
   int depth = 0;
   for (size_t i = 0; i < len; i++) {
      char c = text[i];
      switch (state) {
      case C_CODE:
         if (c == ' ' || (c >= '\t' && c <= '\r')) {
            continue;
         }
         if (c == '-' && i + 1 < len && text[i + 1] == '-') {
            state = C_LINE;
            i++;
            continue;
         }
         if (c == '/' && i + 1 < len && text[i + 1] == '*') {
            state = C_BLOCK;
            i++;
            continue;
         }
         complete = c == ';';
         if (c == '\'' || c == '"' || c == '`') {
            state = C_STRING;
            quote = c;
         } else if (c == '{' || c == '[') {
            state = C_JSON;
            depth = 1;
            square[0] = c == '[';
         }
         continue;
      case C_LINE:
         if (c == '\n') {
            state = C_CODE;
         }
         continue;
      case C_BLOCK:
         if (c == '*' && i + 1 < len && text[i + 1] == '/') {
            state = C_CODE;
            i++;
         }
         continue;
      case C_STRING:
         if (c == quote) {
            if (i + 1 < len && text[i + 1] == quote) {
               i++; /* a doubled quote */
            } else {
               state = C_CODE;
            }
         }
         continue;
      case C_JSON:
         if (c == '"' || c == '\'') {
            state = C_JSTRING;
            quote = c;
            quote_at = i;
         } else if (c == '{' || c == '[') {
            if (depth >= BQL_JSON_MAX_DEPTH) {
               state = C_CODE; /* nested too deeply: an error, and the end */
               continue;
            }
            uint64_t bit = UINT64_C (1) << (depth % 64);
            square[depth / 64] = c == '[' ? square[depth / 64] | bit : square[depth / 64] & ~bit;
            depth++;
         } else if (c == '}' || c == ']') {
            depth--;
            bool open_square = (square[depth / 64] >> (depth % 64)) & 1;
            if (open_square != (c == ']') || depth == 0) {
               state = C_CODE; /* mismatched (an error), or the literal's end */
            }
         }
         continue;
      case C_JSTRING:
         if (c == '\\' && i + 1 == len) {
            return false; /* cut by the end: more may come */
         }
         if (c == '\\' && text[i + 1] != '\n') {
            i++; /* an escape */
         } else if (c == quote) {
            state = C_JSON;
         } else if (c == '\n' || c == '\\') {
            /* a newline (or a backslash before one): an error at the
             * quote; the lexer scans on from the byte after it */
            state = C_CODE;
            i = quote_at;
         }
         continue;
      }
   }
   return state == C_CODE || state == C_LINE ? complete : false;
}
