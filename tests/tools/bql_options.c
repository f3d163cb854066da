/*
 * bql_options.c — a tool over the WITH option table (src/planner/options.c):
 *   bql_options                   the help text (bql_options_help)
 *   bql_options --man             the man page's option list, as roff
 *   bql_options --man-functions   the man page's function list, as roff, from
 *                                 the function table (src/planner/functions.c)
 *   bql_options --check-man FILE  exit 1 when one of FILE's generated lists
 *                                 (between their BEGIN and END marker lines)
 *                                 differs from --man or --man-functions,
 *                                 naming the first line that does
 *   bql_options --write-man FILE  replace FILE's generated lists with them
 * scripts/man-options runs --write-man on doc/bulkql.1; the ctest
 * man_options runs --check-man, so the man page cannot drift from either
 * table. Links the static planner library for the internal tables.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "functions.h"
#include "options.h"

/* One generated part of the man page: its marker lines and its text. */
typedef struct list_def list_def_t;

#define OPT_BEGIN ".\\\" BEGIN option list: generated from src/planner/options.c by scripts/man-options"
#define OPT_END ".\\\" END option list"
#define FN_BEGIN ".\\\" BEGIN function list: generated from src/planner/functions.c by scripts/man-options"
#define FN_END ".\\\" END function list"

typedef struct {
   char *data;
   size_t len, cap;
} text_t;

static void
put (text_t *t, const char *s)
{
   size_t n = strlen (s);
   if (t->len + n + 1 > t->cap) {
      t->cap = (t->len + n + 1) * 2;
      t->data = realloc (t->data, t->cap);
      if (!t->data) {
         abort ();
      }
   }
   memcpy (t->data + t->len, s, n + 1);
   t->len += n;
}

/* Plain text as roff: backslashes and hyphens escaped. */
static void
put_escaped (text_t *t, const char *s)
{
   char one[2] = {0, 0};
   for (; *s; s++) {
      if (*s == '\\') {
         put (t, "\\e");
      } else if (*s == '-') {
         put (t, "\\-");
      } else {
         one[0] = *s;
         put (t, one);
      }
   }
}

/* One sentence: the help line with a capital and a period. */
static void
put_sentence (text_t *t, const char *help)
{
   char *s = strdup (help);
   s[0] = (char) toupper ((unsigned char) s[0]);
   put_escaped (t, s);
   put (t, ".\n");
   free (s);
}

/* The .TP tag: name = value, the value in italics when it is a word
 * (n, bool) or a quoted word ('size'). */
static void
put_tag (text_t *t, const bql_opt_def_t *d)
{
   const char *s = d->syntax;
   size_t n = strlen (s);
   put (t, ".TP\n");
   if (n >= 2 && s[0] == '\'' && s[n - 1] == '\'' && !memchr (s + 1, '\'', n - 2)) {
      char inner[64];
      snprintf (inner, sizeof inner, "%.*s", (int) (n - 2), s + 1);
      put (t, ".BI \"");
      put (t, d->name);
      put (t, " = '\" \"");
      put_escaped (t, inner);
      put (t, "\" '\n");
   } else if (strspn (s, "abcdefghijklmnopqrstuvwxyz") == n) {
      put (t, ".BI \"");
      put (t, d->name);
      put (t, " = \" ");
      put (t, s);
      put (t, "\n");
   } else {
      put (t, ".BR \"");
      put (t, d->name);
      put (t, " = \" \"");
      put_escaped (t, s);
      put (t, "\"\n");
   }
}

static text_t
man_list (void)
{
   text_t t = {0};
   size_t n_groups, n_opts;
   const bql_opt_group_t *groups = bql_opt_groups (&n_groups);
   const bql_opt_def_t *opts = bql_opt_defs (&n_opts);
   char buf[256];

   put (&t, OPT_BEGIN "\n");
   put (&t, ".I group\nis any of\n");
   for (size_t g = 0; g < n_groups; g++) {
      put (&t, ".BR ");
      put (&t, groups[g].name);
      put (&t, g + 1 < n_groups ? " ,\n" : " ;\n");
   }
   put (&t, "they share one namespace, and an option given twice is an error.\n"
            "An unknown name is an error that suggests the nearest valid one.\n"
            "Each option is listed under the group it usually goes in.\n");
   for (size_t g = 0; g < n_groups; g++) {
      bool any = false;
      for (size_t i = 0; i < n_opts; i++) {
         any = any || !strcmp (opts[i].group, groups[g].name);
      }
      if (!any) {
         continue;
      }
      put (&t, ".PP\n.B ");
      put (&t, groups[g].name);
      put (&t, "\n\\(em ");
      put_escaped (&t, groups[g].help);
      put (&t, ":\n");
      for (size_t i = 0; i < n_opts; i++) {
         const bql_opt_def_t *d = &opts[i];
         if (strcmp (d->group, groups[g].name)) {
            continue;
         }
         put_tag (&t, d);
         put_sentence (&t, d->help);
         put (&t, "Default: ");
         put_escaped (&t, bql_opt_default_text (d, buf, sizeof buf));
         put (&t, ".\n");
         if (*bql_opt_range_text (d, buf, sizeof buf)) {
            put (&t, d->type == BQL_OPT_ENUM ? "Values: " : "Range: ");
            put_escaped (&t, buf);
            put (&t, ".\n");
         }
         if ((d->kinds & BQL_OPT_K_ALL) != BQL_OPT_K_ALL) {
            put (&t, "Only for ");
            put (&t, bql_opt_kinds_text (d, buf, sizeof buf));
            put (&t, ".\n");
         }
         if (d->doc) {
            put (&t, d->doc);
         }
      }
   }
   put (&t, OPT_END "\n");
   return t;
}

/* The function list: one .TP per row of the function table, in its order
 * (the order of the unknown-function hint). */
static text_t
man_functions (void)
{
   text_t t = {0};
   put (&t, FN_BEGIN "\n");
   for (size_t i = 0; i < bql_function_count; i++) {
      const bql_function_t *f = &bql_functions[i];
      put (&t, ".TP\n.B \"");
      put_escaped (&t, f->synopsis);
      put (&t, "\"\n");
      put (&t, "Gives ");
      put_escaped (&t, f->help);
      put (&t, ".\n");
      if (!f->agg) {
         put (&t, f->max_args == 0 ? "Computed on the client.\n"
                                   : "Computed on the client: its arguments cannot name stored fields.\n");
      }
   }
   put (&t, FN_END "\n");
   return t;
}

struct list_def {
   const char *name;
   const char *begin, *end;
   const char *source;
   text_t (*make) (void);
};

static const list_def_t lists[] = {
   {"option list", OPT_BEGIN, OPT_END, "the option table (src/planner/options.c)", man_list},
   {"function list", FN_BEGIN, FN_END, "the function table (src/planner/functions.c)", man_functions},
};

static char *
read_file (const char *path, size_t *len)
{
   FILE *f = fopen (path, "rb");
   if (!f) {
      perror (path);
      return NULL;
   }
   text_t t = {0};
   char chunk[8192];
   size_t r;
   put (&t, "");
   while ((r = fread (chunk, 1, sizeof chunk - 1, f)) > 0) {
      chunk[r] = '\0';
      put (&t, chunk);
   }
   fclose (f);
   *len = t.len;
   return t.data;
}

/* The generated part l of the man page text: [*begin, *end) including
 * the marker lines; false when a marker is missing. */
static bool
find_list (const char *text, const list_def_t *l, const char **begin, const char **end)
{
   char b[256], e[256];
   snprintf (b, sizeof b, "%s\n", l->begin);
   snprintf (e, sizeof e, "%s\n", l->end);
   *begin = strstr (text, b);
   *end = *begin ? strstr (*begin, e) : NULL;
   if (!*begin || !*end) {
      return false;
   }
   *end += strlen (e);
   return true;
}

/* 0 when FILE's part l is what the table makes, 1 (with the first line
 * that differs on stderr) when not. */
static int
check_list (const char *path, const char *text, const list_def_t *l)
{
   const char *b, *e;
   if (!find_list (text, l, &b, &e)) {
      fprintf (stderr, "%s: no generated %s (the lines %s ... %s)\n", path, l->name, l->begin, l->end);
      return 1;
   }
   text_t want = l->make ();
   int rc = 0;
   if ((size_t) (e - b) != want.len || memcmp (b, want.data, want.len)) {
      /* the first line that differs */
      int line = 1;
      for (const char *p = text; p < b; p++) {
         line += *p == '\n';
      }
      const char *p = b, *q = want.data;
      while (*p && *q && *p == *q) {
         line += *p == '\n';
         p++, q++;
      }
      while (p > b && p[-1] != '\n') {
         p--, q--;
      }
      fprintf (stderr,
               "%s:%d: the man page's %s differs from %s\n"
               "  man page: %.*s\n  table:    %.*s\n"
               "Run scripts/man-options to regenerate it.\n",
               path, line, l->name, l->source, (int) strcspn (p, "\n"), p, (int) strcspn (q, "\n"), q);
      rc = 1;
   }
   free (want.data);
   return rc;
}

static int
check_man (const char *path)
{
   size_t len;
   char *text = read_file (path, &len);
   if (!text) {
      return 2;
   }
   int rc = 0;
   for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
      rc |= check_list (path, text, &lists[i]);
   }
   free (text);
   return rc;
}

static int
write_man (const char *path)
{
   size_t len;
   char *text = read_file (path, &len);
   if (!text) {
      return 2;
   }
   for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
      const list_def_t *l = &lists[i];
      const char *b, *e;
      if (!find_list (text, l, &b, &e)) {
         fprintf (stderr, "%s: no generated %s (the lines %s ... %s)\n", path, l->name, l->begin, l->end);
         free (text);
         return 1;
      }
      text_t want = l->make ();
      text_t next = {0};
      put (&next, "");
      size_t head = (size_t) (b - text);
      char *tail = strdup (e);
      text[head] = '\0';
      put (&next, text);
      put (&next, want.data);
      put (&next, tail);
      free (tail);
      free (want.data);
      free (text);
      text = next.data;
      len = next.len;
   }
   FILE *f = fopen (path, "wb");
   if (!f) {
      perror (path);
      free (text);
      return 2;
   }
   fwrite (text, 1, len, f);
   int rc = fclose (f) ? 2 : 0;
   free (text);
   return rc;
}

int
main (int argc, char **argv)
{
   if (argc == 1) {
      size_t n = bql_options_help (NULL, 0);
      char *s = malloc (n + 1);
      bql_options_help (s, n + 1);
      fputs (s, stdout);
      free (s);
      return 0;
   }
   if (argc == 2 && !strcmp (argv[1], "--man")) {
      text_t t = man_list ();
      fputs (t.data, stdout);
      free (t.data);
      return 0;
   }
   if (argc == 2 && !strcmp (argv[1], "--man-functions")) {
      text_t t = man_functions ();
      fputs (t.data, stdout);
      free (t.data);
      return 0;
   }
   if (argc == 3 && !strcmp (argv[1], "--check-man")) {
      return check_man (argv[2]);
   }
   if (argc == 3 && !strcmp (argv[1], "--write-man")) {
      return write_man (argv[2]);
   }
   fprintf (stderr, "usage: bql_options [--man | --man-functions | --check-man FILE | --write-man FILE]\n");
   return 2;
}
