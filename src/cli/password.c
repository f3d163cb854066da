/*
 * password.c — the password prompt of the bulkql command: when a
 * mongodb:// URI names a user but no password and standard input is a
 * terminal, the password is asked for on the terminal without echo (as
 * psql and mongosh do), so that it stays out of argv, ps and the history.
 * The URI is given back with the password percent-encoded in it, and the
 * password is remembered as a secret (cli_secrets_add_uri) so that every
 * message masks it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

/* Print the prompt for user on stderr and read a line from the terminal
 * fd with echo off; malloc'd, without its line ending; NULL at end of
 * input or on an error. Echo goes off before the prompt shows: what is
 * typed once the prompt is there is neither echoed nor flushed away. */
static char *
read_secret (int fd, const char *user)
{
   struct termios old, quiet;
   bool restore = tcgetattr (fd, &old) == 0;
   if (restore) {
      quiet = old;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      quiet.c_lflag |= ICANON;
      tcsetattr (fd, TCSAFLUSH, &quiet);
   }
   fprintf (stderr, "Password for %s: ", user);
   fflush (stderr);
   size_t cap = 128, n = 0;
   char *buf = malloc (cap);
   bool got = false;
   for (;;) {
      char c;
      ssize_t r = read (fd, &c, 1);
      if (r <= 0) {
         break;
      }
      got = true;
      if (c == '\n' || c == '\r') {
         break;
      }
      if (n + 1 >= cap) {
         cap *= 2;
         buf = realloc (buf, cap);
      }
      buf[n++] = c;
   }
   if (restore) {
      tcsetattr (fd, TCSANOW, &old);
   }
   if (!got) {
      free (buf);
      return NULL;
   }
   buf[n] = '\0';
   return buf;
}

char *
cli_uri_ask_password (const char *uri)
{
   mongoc_uri_t *parsed = mongoc_uri_new_with_error (uri, NULL);
   if (!parsed) {
      return NULL;
   }
   const char *user = mongoc_uri_get_username (parsed);
   const char *password = mongoc_uri_get_password (parsed);
   const char *mech = mongoc_uri_get_auth_mechanism (parsed);
   bool needs = user && *user && !password &&
                (!mech || (strcasecmp (mech, "MONGODB-X509") && strcasecmp (mech, "GSSAPI") &&
                           strcasecmp (mech, "MONGODB-AWS")));
   char *who = needs ? strdup (user) : NULL;
   mongoc_uri_destroy (parsed);
   const char *at = strstr (uri, "://");
   if (!needs || !at || !isatty (STDIN_FILENO)) {
      free (who);
      return NULL;
   }
   /* the userinfo ends at the last '@' before the host list's '/' */
   const char *hosts = at + 3;
   const char *slash = strchr (hosts, '/');
   const char *amp = NULL;
   for (const char *p = hosts; *p && (!slash || p < slash); p++) {
      if (*p == '@') {
         amp = p;
      }
   }
   if (!amp) {
      free (who);
      return NULL;
   }
   char *pw = read_secret (STDIN_FILENO, who);
   free (who);
   fputc ('\n', stderr);
   if (!pw) {
      return NULL;
   }
   /* percent-encode all but the unreserved characters (RFC 3986) */
   size_t plen = strlen (pw);
   char *enc = malloc (plen * 3 + 1);
   size_t e = 0;
   for (size_t i = 0; i < plen; i++) {
      unsigned char c = (unsigned char) pw[i];
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr ("-._~", c)) {
         enc[e++] = (char) c;
      } else {
         snprintf (enc + e, 4, "%%%02X", c);
         e += 3;
      }
   }
   enc[e] = '\0';
   size_t len = strlen (uri) + e + 2;
   char *out = malloc (len);
   snprintf (out, len, "%.*s:%s%s", (int) (amp - uri), uri, enc, amp);
   memset (pw, 0, plen);
   free (pw);
   memset (enc, 0, e);
   free (enc);
   cli_secrets_add_uri (out);
   return out;
}
