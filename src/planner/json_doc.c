/*
 * json_doc.c — one JSON text to BSON with BulkQL's rules (json_doc.h):
 * one pass over the text finds where its document or value ends (so that
 * text after it is refused, with its offset), the integers beyond int64
 * and the strings of "$date" objects; a copy of the text then gets those
 * rewritten ("1e20"-like integers as doubles, dates as {"$numberLong":
 * "<ms>"}) so that libbson never reads them itself (it silently wraps
 * integers of 20 digits and more, and refuses many ISO 8601 forms); the
 * Extended JSON values libbson reads leniently ({"$numberDouble": "abc"}
 * as 0, a "$oid" with a letter beyond f...) are refused in the same pass; a
 * fresh libbson JSON reader parses the text; a walk over the BSON refuses
 * a field name given twice. Text that is not valid JSON is left to
 * libbson, whose reason is reported.
 */
#include "json_doc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner.h"

#define SCAN_MAX_DEPTH BQL_JSON_MAX_LEVELS /* deeper text is refused by the scan */
#define PATH_MAX_LEN 400   /* a dotted path shown in a message */
#define WRAP_OPEN "{\"v\":"
#define WRAP_OPEN_LEN 5

/* A change to the text before libbson reads it: bytes [at, at + len) are
 * replaced by ".0" (an integer beyond int64: len 0, inserted after it) or
 * by {"$numberLong": "<ms>"} (a "$date" string). */
typedef struct {
   size_t at;
   size_t len;
   bool is_date;
   int64_t ms;
} edit_t;

typedef struct {
   edit_t inline_edits[8];
   edit_t *edits;
   size_t nedits, cap;
   size_t end;        /* where the document or value ends */
   bool ended;        /* ... as the scan saw it (else end = len) */
   bool trailing;     /* text after it, at trailing_at */
   size_t trailing_at;
} scan_t;

static void
scan_init (scan_t *sc)
{
   sc->edits = sc->inline_edits;
   sc->nedits = 0;
   sc->ended = false;
   sc->cap = sizeof sc->inline_edits / sizeof sc->inline_edits[0];
   sc->trailing = false;
}

static void
scan_cleanup (scan_t *sc)
{
   if (sc->edits != sc->inline_edits) {
      bson_free (sc->edits);
   }
}

static void
add_edit (scan_t *sc, size_t at, size_t len, bool is_date, int64_t ms)
{
   if (sc->nedits == sc->cap) {
      size_t cap = sc->cap * 2;
      edit_t *e = bson_malloc (sizeof *e * cap);
      memcpy (e, sc->edits, sizeof *e * sc->nedits);
      if (sc->edits != sc->inline_edits) {
         bson_free (sc->edits);
      }
      sc->edits = e;
      sc->cap = cap;
   }
   sc->edits[sc->nedits++] = (edit_t){at, len, is_date, ms};
}

static inline bool
is_blank (char c)
{
   return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline bool
is_digit (char c)
{
   return c >= '0' && c <= '9';
}

static const char *
skip_blanks (const char *p, const char *end)
{
   while (p < end && is_blank (*p)) {
      p++;
   }
   return p;
}

/* The closing quote of the string whose contents start at p, or NULL. */
static const char *
string_end (const char *p, const char *end)
{
   for (;;) {
      const char *q = memchr (p, '"', (size_t) (end - p));
      if (!q) {
         return NULL;
      }
      size_t bs = 0;
      while (q - bs > p && q[-1 - (ptrdiff_t) bs] == '\\') {
         bs++;
      }
      if (bs % 2 == 0) {
         return q;
      }
      p = q + 1;
   }
}

static void
set_error (bql_json_error_t *error, bql_json_code_t code, size_t offset, const char *fmt, ...)
   __attribute__ ((format (printf, 4, 5)));

static void
set_error (bql_json_error_t *error, bql_json_code_t code, size_t offset, const char *fmt, ...)
{
   error->code = code;
   error->offset = offset;
   va_list ap;
   va_start (ap, fmt);
   vsnprintf (error->message, sizeof error->message, fmt, ap);
   va_end (ap);
}

/* Does the integer of n digits at d (negative when neg) lie outside
 * int64? */
static bool
beyond_int64 (const char *d, size_t n, bool neg)
{
   if (n != 19) {
      return n > 19;
   }
   return memcmp (d, neg ? "9223372036854775808" : "9223372036854775807", 19) > 0;
}

/* What an open object is, for the Extended JSON values whose text
 * libbson would store as something else instead of refusing it. */
typedef enum {
   K_PLAIN,     /* a document, or an array */
   K_WRAPPER,   /* its first field name starts with '$': {"$date": ...}, {"$oid": ...} */
   K_BINARY,    /* the object of {"$binary": {...}} */
   K_TIMESTAMP, /* the object of {"$timestamp": {...}} */
   K_REGEX      /* the object of {"$regularExpression": {...}} */
} kind_t;

static bool
name_is (const char *name, size_t nlen, const char *want)
{
   return strlen (want) == nlen && !memcmp (name, want, nlen);
}

static bool
all_of (const char *s, size_t n, const char *set)
{
   for (size_t i = 0; i < n; i++) {
      if (!strchr (set, s[i]) || s[i] == '\0') {
         return false;
      }
   }
   return true;
}

/* A string value of an Extended JSON field that libbson reads leniently
 * (it would store "abc" as the double 0, "1ff" as the subtype 0x1f, "zq"
 * options as none...): false if s[0..n) is not what name takes. */
static bool
wrapper_string_ok (kind_t k, const char *name, size_t nlen, const char *s, size_t n, const char **what)
{
   char buf[64];
   if (k == K_WRAPPER && name_is (name, nlen, "$numberDouble")) {
      *what = "is not a number";
      if (n == 0 || n >= sizeof buf || name_is (s, n, "NaN") || name_is (s, n, "Infinity") ||
          name_is (s, n, "-Infinity")) {
         return n > 0 && n < sizeof buf;
      }
      if (!all_of (s, n, "0123456789+-.eE")) {
         return false;
      }
      memcpy (buf, s, n);
      buf[n] = '\0';
      char *stop;
      (void) strtod (buf, &stop);
      return stop == buf + n;
   }
   if (k == K_WRAPPER && name_is (name, nlen, "$numberDecimal")) {
      *what = "is not a decimal number (Decimal128)";
      bson_decimal128_t d;
      if (n == 0 || n >= sizeof buf || memchr (s, '\\', n)) {
         return false;
      }
      memcpy (buf, s, n);
      buf[n] = '\0';
      return bson_decimal128_from_string (buf, &d);
   }
   if (k == K_WRAPPER && name_is (name, nlen, "$oid")) {
      *what = "is not an ObjectId (24 hexadecimal digits)";
      return n == 24 && all_of (s, n, "0123456789abcdefABCDEF");
   }
   if ((k == K_WRAPPER && name_is (name, nlen, "$type")) || (k == K_BINARY && name_is (name, nlen, "subType"))) {
      *what = "is not a binary subtype (one or two hexadecimal digits)";
      return n >= 1 && n <= 2 && all_of (s, n, "0123456789abcdefABCDEF");
   }
   if ((k == K_WRAPPER && name_is (name, nlen, "$options")) || (k == K_REGEX && name_is (name, nlen, "options"))) {
      *what = "holds an option other than i, l, m, s, u and x";
      return all_of (s, n, "ilmsux");
   }
   return true;
}

/* The member name: t of an object of kind k (the rest of the text from
 * t): a "$date" string is read (an edit), the values libbson reads
 * leniently are checked, and the object a "$binary", "$timestamp" or
 * "$regularExpression" holds is marked in *pending. *after: past a string
 * value read here, else NULL. False with *error for a bad value. */
static bool
check_member (const char *text,
              kind_t k,
              const char *name,
              size_t nlen,
              const char *t,
              const char *end,
              scan_t *sc,
              kind_t *pending,
              const char **after,
              bql_json_error_t *error)
{
   *after = NULL;
   if (t == end) {
      return true;
   }
   if (*t == '{') {
      if (k == K_WRAPPER) {
         *pending = name_is (name, nlen, "$binary")              ? K_BINARY
                    : name_is (name, nlen, "$timestamp")         ? K_TIMESTAMP
                    : name_is (name, nlen, "$regularExpression") ? K_REGEX
                                                                 : K_PLAIN;
      }
      return true;
   }
   if (k == K_TIMESTAMP && (name_is (name, nlen, "t") || name_is (name, nlen, "i"))) {
      /* libbson keeps the low 32 bits of a larger number */
      const char *d = t;
      while (d < end && is_digit (*d)) {
         d++;
      }
      size_t nd = (size_t) (d - t);
      bool integer = nd > 0 && !(d < end && (*d == '.' || *d == 'e' || *d == 'E'));
      if (integer && (nd > 10 || (nd == 10 && memcmp (t, "4294967295", 10) > 0))) {
         set_error (error, BQL_JSON_BAD_VALUE, (size_t) (t - text),
                    "$timestamp: \"%.*s\" must be an integer from 0 to 4294967295", (int) nlen, name);
         return false;
      }
      return true;
   }
   if (*t != '"') {
      return true;
   }
   const char *q = string_end (t + 1, end);
   if (!q) {
      return true;
   }
   const char *s = t + 1;
   size_t n = (size_t) (q - s);
   if (k == K_WRAPPER && name_is (name, nlen, "$date")) {
      int64_t ms;
      if (!bql_parse_iso8601 (s, n, &ms)) {
         set_error (error, BQL_JSON_BAD_DATE, (size_t) (t - text), "$date: \"%.*s%s\" is not an ISO 8601 date",
                    (int) (n > 40 ? 40 : n), s, n > 40 ? "..." : "");
         return false;
      }
      add_edit (sc, (size_t) (t - text), (size_t) (q + 1 - t), true, ms);
      *after = q + 1;
      return true;
   }
   const char *what = NULL;
   if (!wrapper_string_ok (k, name, nlen, s, n, &what)) {
      set_error (error, BQL_JSON_BAD_VALUE, (size_t) (t - text), "%.*s: \"%.*s%s\" %s", (int) nlen, name,
                 (int) (n > 40 ? 40 : n), s, n > 40 ? "..." : "", what);
      return false;
   }
   *after = q + 1;
   return true;
}

/* One pass over text[0..len): where its value ends, text after it, and
 * the edits. value_mode: any value at the top; else a document.
 * Extended JSON values ("$date" strings, the values libbson reads
 * leniently) are looked at in objects nested depth_for_wrappers deep or
 * more (a "$date" field of the document itself is a field name, refused
 * as such later). False with *error for a text that is not a document,
 * objects and arrays nested too deeply (BQL_JSON_MAX_LEVELS), a bad
 * "$date" string or a value libbson would store as something else.
 * Anything else that is not valid JSON makes the scan stop (end = len)
 * and is left to libbson. */
static bool
scan (const char *text, size_t len, bool value_mode, scan_t *sc, bql_json_error_t *error)
{
   const char *p = text, *end = text + len;
   int depth_for_wrappers = value_mode ? 1 : 2;
   /* a value goes into a document: one level less */
   int max_depth = value_mode ? BQL_JSON_MAX_LEVELS - 1 : BQL_JSON_MAX_LEVELS;
   char stack[SCAN_MAX_DEPTH];
   kind_t kind[SCAN_MAX_DEPTH]; /* what each open object is */
   kind_t pending = K_PLAIN;    /* what the next object opened is */
   int depth = 0;
   bool first_key = false; /* the next string is the first key of an object */
   sc->end = len;
   p = skip_blanks (p, end);
   if (!value_mode && (p == end || *p != '{')) {
      set_error (error, BQL_JSON_NOT_DOCUMENT, 0, "not a JSON document (an object in braces)");
      return false;
   }
   while (p < end) {
      char c = *p;
      switch (c) {
      case '{':
      case '[':
         if (depth == max_depth) {
            set_error (error, BQL_JSON_TOO_DEEP, (size_t) (p - text),
                       "invalid JSON: objects and arrays nested more than %d levels deep", max_depth);
            return false;
         }
         kind[depth] = c == '{' ? pending : K_PLAIN;
         pending = K_PLAIN;
         stack[depth++] = c;
         first_key = c == '{';
         p++;
         break;
      case '}':
      case ']':
         if (depth == 0 || stack[depth - 1] != (c == '}' ? '{' : '[')) {
            return true;
         }
         first_key = false;
         p++;
         if (--depth == 0) {
            goto done;
         }
         break;
      case '"': {
         const char *q = string_end (p + 1, end);
         if (!q) {
            return true;
         }
         const char *name = p + 1;
         size_t nlen = (size_t) (q - name);
         bool was_first = first_key;
         first_key = false;
         p = q + 1;
         if (depth == 0) {
            goto done;
         }
         if (depth < depth_for_wrappers || (!was_first && kind[depth - 1] == K_PLAIN)) {
            break; /* the fast path: a field name or a string value */
         }
         const char *t = skip_blanks (p, end);
         if (t == end || *t != ':') {
            break; /* a value */
         }
         if (was_first && kind[depth - 1] == K_PLAIN) {
            /* an object whose first field name starts with '$' may be
             * an Extended JSON value (libbson decides on that name) */
            if (!nlen || name[0] != '$') {
               break;
            }
            kind[depth - 1] = K_WRAPPER;
         }
         t = skip_blanks (t + 1, end);
         const char *after = NULL;
         if (!check_member (text, kind[depth - 1], name, nlen, t, end, sc, &pending, &after, error)) {
            return false;
         }
         if (after) {
            p = after;
         }
         break;
      }
      case '-':
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
      case '8':
      case '9': {
         bool neg = c == '-';
         const char *d = neg ? p + 1 : p, *t = d;
         while (t < end && is_digit (*t)) {
            t++;
         }
         size_t nd = (size_t) (t - d);
         if (neg && nd > 1 && d[0] == '0') {
            /* libbson reads "-012" as 0 (it refuses "012"): JSON has no
             * leading zeros */
            set_error (error, BQL_JSON_INVALID, (size_t) (p - text),
                       "invalid JSON: a number with a leading zero (%.*s)", (int) (nd < 20 ? nd + 1 : 21), p);
            return false;
         }
         bool integer = !(t < end && (*t == '.' || *t == 'e' || *t == 'E'));
         if (integer && nd >= 19 && beyond_int64 (d, nd, neg)) {
            add_edit (sc, (size_t) (t - text), 0, false, 0);
         }
         while (t < end && (is_digit (*t) || *t == '.' || *t == 'e' || *t == 'E' || *t == '+' || *t == '-')) {
            t++;
         }
         first_key = false;
         p = t;
         if (depth == 0) {
            goto done;
         }
         break;
      }
      case ' ':
      case '\t':
      case '\n':
      case '\r':
      case ',':
      case ':':
         p++;
         break;
      default:
         if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            /* true, false, null, NaN, Infinity */
            while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || is_digit (*p))) {
               p++;
            }
            first_key = false;
            if (depth == 0) {
               goto done;
            }
            break;
         }
         first_key = false;
         p++; /* not JSON: libbson says why */
         break;
      }
   }
   return true; /* the value does not end: libbson says why */
done:
   sc->ended = true;
   sc->end = (size_t) (p - text);
   p = skip_blanks (p, end);
   if (p < end) {
      sc->trailing = true;
      sc->trailing_at = (size_t) (p - text);
   }
   return true;
}

/* text[0..end) with the edits applied, after prefix and before suffix,
 * into out (NUL-terminated). */
static void
rewrite (const char *text, const scan_t *sc, const char *prefix, const char *suffix, bql_buf_t *out)
{
   bql_buf_puts (out, prefix);
   size_t at = 0;
   for (size_t i = 0; i < sc->nedits; i++) {
      const edit_t *e = &sc->edits[i];
      bql_buf_append (out, text + at, e->at - at);
      if (e->is_date) {
         /* {"$numberLong": "<ms>"}, without printf: once per date */
         char num[24];
         size_t k = sizeof num;
         uint64_t m = e->ms < 0 ? 0 - (uint64_t) e->ms : (uint64_t) e->ms;
         do {
            num[--k] = (char) ('0' + m % 10);
            m /= 10;
         } while (m);
         if (e->ms < 0) {
            num[--k] = '-';
         }
         bql_buf_puts (out, "{\"$numberLong\": \"");
         bql_buf_append (out, num + k, sizeof num - k);
         bql_buf_puts (out, "\"}");
      } else {
         bql_buf_puts (out, ".0");
      }
      at = e->at + e->len;
   }
   bql_buf_append (out, text + at, sc->end - at);
   bql_buf_puts (out, suffix);
}

/* The name of a field given as "...\u0000..." in the text, when there is
 * one (libbson reports it as invalid UTF-8): shown as written. */
static bool
nul_in_key (const char *s, size_t len, char *key, size_t size)
{
   const char *end = s + len;
   while (s < end) {
      if (*s != '"') {
         s++;
         continue;
      }
      const char *start = ++s;
      bool nul = false;
      while (s < end && *s != '"') {
         if (*s == '\\' && s + 1 < end) {
            if (s + 5 < end && !memcmp (s, "\\u0000", 6)) {
               nul = true;
            }
            s++;
         }
         s++;
      }
      const char *stop = s++;
      s = skip_blanks (s, end);
      if (nul && s < end && *s == ':') {
         size_t n = (size_t) (stop - start);
         if (n > 60) {
            snprintf (key, size, "%.60s...", start);
         } else {
            snprintf (key, size, "%.*s", (int) n, start);
         }
         return true;
      }
   }
   return false;
}

typedef struct {
   const char *key;
   uint32_t len;
} key_t_;

static int
key_cmp (const void *a, const void *b)
{
   const key_t_ *x = a, *y = b;
   uint32_t n = x->len < y->len ? x->len : y->len;
   int c = memcmp (x->key, y->key, n);
   return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void
path_push (char *path, size_t plen, const char *key, size_t *out)
{
   size_t n = plen;
   if (n && n < PATH_MAX_LEN) {
      path[n++] = '.';
   }
   size_t room = PATH_MAX_LEN - n;
   size_t klen = strlen (key);
   size_t copy = klen < room ? klen : room;
   memcpy (path + n, key, copy);
   path[n + copy] = '\0';
   *out = n + copy;
}

/* A field name given twice in doc (an object unless is_array) or in what
 * it holds: its dotted path in path, and true. */
static bool
find_duplicate (const bson_t *doc, bool is_array, char *path, size_t plen, int depth)
{
   bson_iter_t it;
   if (depth > SCAN_MAX_DEPTH || !bson_iter_init (&it, doc)) {
      return false;
   }
   key_t_ small[16];
   key_t_ *keys = small;
   size_t n = 0, cap = 16;
   bool found = false;
   while (!found && bson_iter_next (&it)) {
      const char *k = bson_iter_key (&it);
      uint32_t klen = bson_iter_key_len (&it);
      if (!is_array) {
         if (n < 16) {
            for (size_t i = 0; i < n; i++) {
               if (keys[i].len == klen && !memcmp (keys[i].key, k, klen)) {
                  path_push (path, plen, k, &(size_t){0});
                  found = true;
                  break;
               }
            }
         }
         if (found) {
            break;
         }
         if (n == cap) {
            cap *= 2;
            key_t_ *bigger = bson_malloc (sizeof *bigger * cap);
            memcpy (bigger, keys, sizeof *keys * n);
            if (keys != small) {
               bson_free (keys);
            }
            keys = bigger;
         }
         keys[n++] = (key_t_){k, klen};
      }
      bson_t sub;
      if (bql_iter_sub (&it, &sub)) {
         size_t sublen;
         path_push (path, plen, k, &sublen);
         if (find_duplicate (&sub, BSON_ITER_HOLDS_ARRAY (&it), path, sublen, depth + 1)) {
            found = true;
            break;
         }
         path[plen] = '\0';
      }
   }
   if (!found && n > 16) {
      /* many fields: sorted, the pairs are neighbours (the first 16 were
       * compared as they came) */
      qsort (keys, n, sizeof *keys, key_cmp);
      for (size_t i = 1; i < n; i++) {
         if (!key_cmp (&keys[i - 1], &keys[i])) {
            char k[PATH_MAX_LEN + 1];
            size_t kl = keys[i].len < PATH_MAX_LEN ? keys[i].len : PATH_MAX_LEN;
            memcpy (k, keys[i].key, kl);
            k[kl] = '\0';
            path_push (path, plen, k, &(size_t){0});
            found = true;
            break;
         }
      }
   }
   if (keys != small) {
      bson_free (keys);
   }
   return found;
}

/* libbson counts the position of a syntax error in the rewritten text:
 * the message gets the position in the text as given (prefix: bytes of
 * the wrapper before the text, counted as they are). */
static void
position_in_text (const scan_t *sc, size_t prefix, bql_json_error_t *error)
{
   char *at = strstr (error->message, ", position ");
   if (!at) {
      return;
   }
   char *digits = at + strlen (", position "), *stop;
   unsigned long long pos = strtoull (digits, &stop, 10);
   if (stop == digits || pos < prefix) {
      return;
   }
   /* walk the edits: bytes before an edit keep their distance from it */
   unsigned long long rewritten = prefix, original = prefix, target = pos;
   for (size_t i = 0; i < sc->nedits; i++) {
      const edit_t *e = &sc->edits[i];
      unsigned long long before = e->at + prefix - original; /* unchanged bytes up to the edit */
      if (target < rewritten + before) {
         break;
      }
      rewritten += before;
      original += before;
      char tmp[48];
      unsigned long long newlen =
         e->is_date ? (unsigned long long) snprintf (tmp, sizeof tmp, "{\"$numberLong\": \"%lld\"}", (long long) e->ms) : 2;
      if (target < rewritten + newlen) {
         pos = original; /* inside the replacement: at the value as given */
         goto found;
      }
      rewritten += newlen;
      original += e->len;
   }
   pos = original + (target - rewritten);
found:;
   char rest[sizeof error->message];
   snprintf (rest, sizeof rest, "%s", stop);
   snprintf (digits, sizeof error->message - (size_t) (digits - error->message), "%llu%s", pos, rest);
}

/* Parse json[0..len) (one document, checked by the scan) into doc with a
 * reader of its own. */
static bool
parse_with_libbson (const char *json, size_t len, bson_t *doc, bql_json_error_t *error)
{
   bson_json_reader_t *reader = bson_json_data_reader_new (false, len < (1 << 20) ? len + 1 : (1 << 20));
   bson_json_data_reader_ingest (reader, (const uint8_t *) json, len);
   bson_error_t berr;
   /* The reader builds into a document of its own: on a failure inside a
    * nested object it leaves that document with a child open, which no
    * bson_reinit undoes (the caller's next row then aborted in libbson's
    * precondition !(bson->flags & BSON_FLAG_IN_CHILD)); it is destroyed. */
   bson_t tmp = BSON_INITIALIZER;
   int r = bson_json_reader_read (reader, &tmp, &berr);
   bson_json_reader_destroy (reader);
   bson_reinit (doc);
   if (r == 1) {
      bson_concat (doc, &tmp);
      bson_destroy (&tmp);
      return true;
   }
   bson_destroy (&tmp); /* what the reader built of it is not the document */
   /* libbson quotes the character it stopped at as it is: a newline
    * or another control character is shown escaped */
   char msg[sizeof berr.message * 4];
   const char *m = r == 0 ? "Empty JSON string" : berr.message;
   size_t o = 0;
   for (; *m && o + 7 < sizeof msg; m++) {
      unsigned char ch = (unsigned char) *m;
      if (ch == '\n') {
         o += (size_t) snprintf (msg + o, sizeof msg - o, "\\n");
      } else if (ch == '\r') {
         o += (size_t) snprintf (msg + o, sizeof msg - o, "\\r");
      } else if (ch == '\t') {
         o += (size_t) snprintf (msg + o, sizeof msg - o, "\\t");
      } else if (ch < 0x20) {
         o += (size_t) snprintf (msg + o, sizeof msg - o, "\\u%04x", ch);
      } else {
         msg[o++] = (char) ch;
      }
   }
   msg[o] = '\0';
   set_error (error, BQL_JSON_INVALID, 0, "invalid JSON: %s", msg);
   return false;
}

/* The shared part: scan, rewrite, parse, check. value_mode wraps the
 * text as {"v": text}. */
static bool
parse (const char *text, size_t len, bool value_mode, bson_t *doc, bql_json_error_t *error)
{
   scan_t sc;
   scan_init (&sc);
   bool ok = false;
   bql_buf_t copy;
   bql_buf_init (&copy);
   error->code = BQL_JSON_OK;
   error->offset = 0;
   error->message[0] = '\0';
   if (!scan (text, len, value_mode, &sc, error)) {
      goto done;
   }
   const char *json = text;
   size_t jlen = sc.trailing ? sc.end : len;
   if (value_mode || sc.nedits) {
      scan_t whole = sc;
      whole.end = jlen;
      rewrite (text, &whole, value_mode ? WRAP_OPEN : "", value_mode ? "}" : "", &copy);
      if (copy.oom) {
         set_error (error, BQL_JSON_INVALID, 0, "invalid JSON: out of memory");
         goto done;
      }
      json = copy.data;
      jlen = copy.len;
   }
   if (!parse_with_libbson (json, jlen, doc, error)) {
      char key[200];
      if (nul_in_key (text, len, key, sizeof key)) {
         set_error (error, BQL_JSON_NUL_KEY, 0, "column \"%s\": a field name cannot contain NUL", key);
      } else if (sc.nedits) {
         position_in_text (&sc, value_mode ? WRAP_OPEN_LEN : 0, error);
      }
      goto done;
   }
   if (!sc.ended) {
      /* libbson read a document where the scan saw none end: it stopped
       * reading before the end of the text, which is never accepted */
      bson_reinit (doc);
      set_error (error, BQL_JSON_INVALID, 0, "invalid JSON: the text does not hold one complete %s",
                 value_mode ? "value" : "document");
      goto done;
   }
   if (sc.trailing) {
      /* the document itself reads: what follows it is the fault */
      bson_reinit (doc);
      set_error (error, BQL_JSON_TRAILING, sc.trailing_at, value_mode ? "text after the JSON value" : "text after the document");
      goto done;
   }
   char path[PATH_MAX_LEN + 2];
   path[0] = '\0';
   if (find_duplicate (doc, false, path, 0, 0)) {
      const char *shown = path;
      if (value_mode) {
         /* without the wrapper's "v" */
         shown = path[1] == '.' ? path + 2 : "";
      }
      set_error (error, BQL_JSON_DUPLICATE, 0, "duplicate field name \"%s\"", shown);
      bson_reinit (doc);
      goto done;
   }
   ok = true;
done:
   bql_buf_cleanup (&copy);
   scan_cleanup (&sc);
   return ok;
}

bool
bql_json_parse_document (const char *text, size_t len, bson_t *doc, bql_json_error_t *error)
{
   return parse (text, len, false, doc, error);
}

bool
bql_json_parse_value (const char *text, size_t len, bson_value_t *value, bql_json_error_t *error)
{
   bson_t doc = BSON_INITIALIZER;
   bool ok = parse (text, len, true, &doc, error);
   if (ok) {
      bson_iter_t it;
      if (bson_iter_init_find (&it, &doc, "v")) {
         bson_value_copy (bson_iter_value (&it), value);
      } else {
         set_error (error, BQL_JSON_INVALID, 0, "invalid JSON: no value");
         ok = false;
      }
   }
   bson_destroy (&doc);
   return ok;
}

size_t
bql_utf8_chars (const char *s, size_t len)
{
   size_t n = 0;
   for (size_t i = 0; i < len; i++) {
      n += ((unsigned char) s[i] & 0xC0) != 0x80;
   }
   return n;
}
