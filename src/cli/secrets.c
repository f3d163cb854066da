/*
 * secrets.c — keeping the secrets of a connection string out of what the
 * bulkql command prints and stores (SPEC §5: passwords in URIs are never
 * printed). cli_redact_uri masks a URI's password, even one holding an
 * unescaped '@', '/' or ':', and the values of query options that carry
 * secrets (tlsCertificateKeyFilePassword, authMechanismProperties such as
 * AWS_SESSION_TOKEN, and any option named *password*, *token* or
 * *secret*). cli_secrets_add_uri remembers those secrets, raw and
 * percent-decoded, so that cli_redact_text can take them out of any text
 * the command did not write itself: libmongoc's error messages and log
 * lines, which may echo the URI or a part of it.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

#define MASK "****"

/* Secrets shorter than this are not searched for in free text (every "a"
 * of a message would go); cli_redact_uri masks them in URIs whatever
 * their length. */
#define SECRET_MIN_LEN 3

static char **secrets;
static size_t nsecrets;

static char *replace_secrets (char *text);

static bool
is_secret_option (const char *name, size_t n)
{
   static const char *const words[] = {"password", "token", "secret"};
   for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
      size_t wl = strlen (words[w]);
      for (size_t i = 0; i + wl <= n; i++) {
         if (!strncasecmp (name + i, words[w], wl)) {
            return true;
         }
      }
   }
   static const char amp[] = "authMechanismProperties";
   return n == sizeof amp - 1 && !strncasecmp (name, amp, n);
}

/* Where the userinfo of uri ends: its last '@' before the options (the
 * password may hold an unescaped '@', '/' or ':'; the host list holds
 * none), or NULL without userinfo. rest is just after "://". */
static const char *
userinfo_end (const char *rest)
{
   const char *q = strchr (rest, '?');
   const char *at = NULL;
   for (const char *p = rest; *p && (!q || p < q); p++) {
      if (*p == '@') {
         at = p;
      }
   }
   if (!at && q) {
      /* an '@' only after a '?': a password holding '?' ("a?b@host"),
       * unless it is in an option value; mask to be safe when a ':' comes
       * before it */
      at = strrchr (q, '@');
      if (at && !memchr (rest, ':', (size_t) (q - rest))) {
         at = NULL;
      }
   }
   return at;
}

/* Call fn for each secret option value of the query string q (after '?'):
 * [start, end) of the value. */
static void
each_secret_value (const char *q, void (*fn) (const char *start, const char *end, void *ctx), void *ctx)
{
   const char *p = q;
   while (*p) {
      size_t n = strcspn (p, "&;");
      const char *eq = memchr (p, '=', n);
      if (eq && is_secret_option (p, (size_t) (eq - p))) {
         fn (eq + 1, p + n, ctx);
      }
      p += n;
      if (*p) {
         p++;
      }
   }
}

typedef struct {
   char *out;
   size_t len;
} strbuf_t;

static void
sb_add (strbuf_t *b, const char *s, size_t n)
{
   b->out = realloc (b->out, b->len + n + 1);
   memcpy (b->out + b->len, s, n);
   b->len += n;
   b->out[b->len] = '\0';
}

typedef struct {
   strbuf_t *b;
   const char *from; /* copied up to here */
} mask_ctx_t;

static void
mask_value (const char *start, const char *end, void *ctx)
{
   mask_ctx_t *m = ctx;
   sb_add (m->b, m->from, (size_t) (start - m->from));
   if (end > start) {
      sb_add (m->b, MASK, strlen (MASK));
   }
   m->from = end;
}

char *
cli_redact_uri (const char *uri)
{
   if (!uri) {
      uri = "";
   }
   strbuf_t b = {NULL, 0};
   sb_add (&b, "", 0);
   const char *scheme = strstr (uri, "://");
   const char *p = uri;
   if (scheme) {
      const char *rest = scheme + 3;
      const char *at = userinfo_end (rest);
      const char *colon = at ? memchr (rest, ':', (size_t) (at - rest)) : NULL;
      if (colon) {
         sb_add (&b, uri, (size_t) (colon + 1 - uri));
         sb_add (&b, MASK, strlen (MASK));
         p = at;
      }
   }
   const char *q = strchr (p, '?');
   if (q) {
      mask_ctx_t m = {&b, p};
      each_secret_value (q + 1, mask_value, &m);
      p = m.from;
   }
   sb_add (&b, p, strlen (p));
   /* and the secrets wherever else the URI repeats them */
   cli_secrets_add_uri (uri);
   return replace_secrets (b.out);
}

static void
add_secret (const char *s, size_t n)
{
   if (n == 0) {
      return;
   }
   for (size_t i = 0; i < nsecrets; i++) {
      if (strlen (secrets[i]) == n && !memcmp (secrets[i], s, n)) {
         return;
      }
   }
   char *copy = malloc (n + 1);
   memcpy (copy, s, n);
   copy[n] = '\0';
   secrets = realloc (secrets, sizeof *secrets * (nsecrets + 1));
   secrets[nsecrets++] = copy;
   /* and percent-decoded, as the driver shows it */
   char *dec = malloc (n + 1);
   size_t k = 0;
   for (size_t i = 0; i < n; i++) {
      if (s[i] == '%' && i + 2 < n && isxdigit ((unsigned char) s[i + 1]) &&
          isxdigit ((unsigned char) s[i + 2])) {
         char hex[3] = {s[i + 1], s[i + 2], 0};
         dec[k++] = (char) strtol (hex, NULL, 16);
         i += 2;
      } else {
         dec[k++] = s[i];
      }
   }
   if (k != n) {
      add_secret (dec, k);
   }
   free (dec);
}

static void
add_value (const char *start, const char *end, void *ctx)
{
   (void) ctx;
   add_secret (start, (size_t) (end - start));
   /* authMechanismProperties=K1:V1,K2:V2: each value too */
   const char *p = start;
   while (p < end) {
      const char *comma = memchr (p, ',', (size_t) (end - p));
      const char *e = comma ? comma : end;
      const char *colon = memchr (p, ':', (size_t) (e - p));
      if (colon) {
         add_secret (colon + 1, (size_t) (e - colon - 1));
      }
      p = comma ? comma + 1 : end;
   }
}

void
cli_secrets_add_uri (const char *uri)
{
   if (!uri) {
      return;
   }
   const char *scheme = strstr (uri, "://");
   const char *p = uri;
   if (scheme) {
      const char *rest = scheme + 3;
      const char *at = userinfo_end (rest);
      const char *colon = at ? memchr (rest, ':', (size_t) (at - rest)) : NULL;
      if (colon) {
         add_secret (colon + 1, (size_t) (at - colon - 1));
         p = at;
      }
   }
   const char *q = strchr (p, '?');
   if (q) {
      each_secret_value (q + 1, add_value, NULL);
   }
}

char *
cli_redact_text (const char *text)
{
   if (!text) {
      return NULL;
   }
   /* URIs in the text first, then the secrets wherever they are */
   strbuf_t b = {NULL, 0};
   sb_add (&b, "", 0);
   const char *p = text;
   const char *m = text;
   while ((m = strstr (m, "mongodb"))) {
      if (strncmp (m, "mongodb://", 10) && strncmp (m, "mongodb+srv://", 14)) {
         m += 7;
         continue;
      }
      size_t n = strcspn (m, " \t\n\"'");
      sb_add (&b, p, (size_t) (m - p));
      char *u = malloc (n + 1);
      memcpy (u, m, n);
      u[n] = '\0';
      char *r = cli_redact_uri (u);
      sb_add (&b, r, strlen (r));
      free (r);
      free (u);
      p = m = m + n;
   }
   sb_add (&b, p, strlen (p));
   return replace_secrets (b.out);
}

/* text (malloc'd, taken) with every remembered secret of SECRET_MIN_LEN
 * bytes or more replaced by MASK (malloc'd). */
static char *
replace_secrets (char *text)
{
   strbuf_t b = {text, strlen (text)};
   for (size_t i = 0; i < nsecrets; i++) {
      size_t sl = strlen (secrets[i]);
      if (sl < SECRET_MIN_LEN) {
         continue;
      }
      char *hit;
      size_t from = 0;
      while ((hit = strstr (b.out + from, secrets[i]))) {
         size_t off = (size_t) (hit - b.out);
         strbuf_t nb = {NULL, 0};
         sb_add (&nb, b.out, off);
         sb_add (&nb, MASK, strlen (MASK));
         sb_add (&nb, hit + sl, strlen (hit + sl));
         free (b.out);
         b = nb;
         from = off + strlen (MASK);
      }
   }
   return b.out;
}
