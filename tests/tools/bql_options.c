/*
 * bql_options.c — a tool over the WITH option table (src/planner/options.c):
 *   bql_options                   the help text (bql_options_help)
 *   bql_options --man             the man page's option list, as roff
 *   bql_options --check-man FILE  exit 1 when FILE's generated list (between
 *                                 the BEGIN and END marker lines) differs
 *                                 from --man, naming the first line that does
 *   bql_options --write-man FILE  replace FILE's generated list with --man
 * scripts/man-options runs --write-man on doc/bulkql.1; the ctest
 * man_options runs --check-man, so the man page cannot drift from the
 * table. Links the static planner library for the internal table.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#define BEGIN_MARK ".\\\" BEGIN option list: generated from src/planner/options.c by scripts/man-options"
#define END_MARK ".\\\" END option list"

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

   put (&t, BEGIN_MARK "\n");
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
   put (&t, END_MARK "\n");
   return t;
}

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

/* The generated part of the man page text: [*begin, *end) including the
 * marker lines; false when a marker is missing. */
static bool
find_list (const char *text, const char **begin, const char **end)
{
   *begin = strstr (text, BEGIN_MARK "\n");
   *end = *begin ? strstr (*begin, END_MARK "\n") : NULL;
   if (!*begin || !*end) {
      return false;
   }
   *end += strlen (END_MARK "\n");
   return true;
}

static int
check_man (const char *path)
{
   size_t len;
   char *text = read_file (path, &len);
   if (!text) {
      return 2;
   }
   const char *b, *e;
   if (!find_list (text, &b, &e)) {
      fprintf (stderr, "%s: no generated option list (the lines %s ... %s)\n", path, BEGIN_MARK, END_MARK);
      free (text);
      return 1;
   }
   text_t want = man_list ();
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
               "%s:%d: the man page's option list differs from the option table (src/planner/options.c)\n"
               "  man page: %.*s\n  table:    %.*s\n"
               "Run scripts/man-options to regenerate it.\n",
               path, line, (int) strcspn (p, "\n"), p, (int) strcspn (q, "\n"), q);
      rc = 1;
   }
   free (want.data);
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
   const char *b, *e;
   if (!find_list (text, &b, &e)) {
      fprintf (stderr, "%s: no generated option list (the lines %s ... %s)\n", path, BEGIN_MARK, END_MARK);
      free (text);
      return 1;
   }
   text_t want = man_list ();
   FILE *f = fopen (path, "wb");
   if (!f) {
      perror (path);
      return 2;
   }
   fwrite (text, 1, (size_t) (b - text), f);
   fwrite (want.data, 1, want.len, f);
   fwrite (e, 1, len - (size_t) (e - text), f);
   int rc = fclose (f) ? 2 : 0;
   free (want.data);
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
   if (argc == 3 && !strcmp (argv[1], "--check-man")) {
      return check_man (argv[2]);
   }
   if (argc == 3 && !strcmp (argv[1], "--write-man")) {
      return write_man (argv[2]);
   }
   fprintf (stderr, "usage: bql_options [--man | --check-man FILE | --write-man FILE]\n");
   return 2;
}
