/*
 * json_fast.cpp — the fast path of json_fast.h: a record parsed by
 * simdjson's DOM parser (it validates the whole text: JSON grammar,
 * UTF-8, escapes, numbers) and its tape walked once into BSON with
 * bson_append_*, the field names checked on the way (no '$' at the
 * start, none given twice, no NUL). Any record the walk is not certain
 * to build exactly as json_doc.c would is declined and parsed by
 * bql_json_parse_document instead; see json_fast.h for the list.
 *
 * The one C++ translation unit of BulkQL (C++17, simdjson's language):
 * nothing C++ leaves it — the interface is extern "C", no exception
 * crosses it (simdjson is used through its error codes; an allocation
 * failure is caught and declines the record).
 */
#include <fast_float/fast_float.h>
#include <simdjson.h>

#include <algorithm>
#include <cfloat>
#include <cstdint>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <pthread.h>
#include <vector>

extern "C" {
#include "datetime.h"
#include "json_fast.h"
/* columns.h (the planner's, which C++ does not compile): strtod's reading */
bool bql_parse_number (const char *s, size_t len, double *out);
}

static_assert (BQL_JSON_FAST_PAD >= simdjson::SIMDJSON_PADDING, "BQL_JSON_FAST_PAD is simdjson's padding");

using simdjson::dom::element;
using simdjson::dom::element_type;

/* padded is malloc'd, not a std::vector<char>: a template of a public
 * type instantiated here would be exported by libbulkql.so */
struct bql_json_fast {
   simdjson::dom::parser parser;
   char *padded = nullptr; /* a record copied with padding after it */
   size_t padded_cap = 0;
   ~bql_json_fast () { std::free (padded); }
};

namespace {

/* A field name seen in an object, for the check of names given twice. */
struct name_ref {
   const char *s;
   size_t n;
   bool operator< (const name_ref &o) const
   {
      int c = std::memcmp (s, o.s, std::min (n, o.n));
      return c ? c < 0 : n < o.n;
   }
   /* the length and the first byte inline: most names of an object differ there */
   bool operator== (const name_ref &o) const { return n == o.n && (!n || (s[0] == o.s[0] && !std::memcmp (s, o.s, n))); }
};

/* Objects with more fields than this check their names by sorting. */
constexpr size_t SMALL_OBJECT = 32;

struct walk {
   bool backslash; /* the record holds a '\': escapes may hide a NUL or a '$' */
   bool has_id;    /* the document has a top-level "_id" */
   bool names_valid; /* every field name so far passes bql_field_name_valid */

   bool value (bson_t *b, const char *key, size_t klen, element v, int depth);
   bool object (bson_t *b, simdjson::dom::object obj, int depth);
   bool array (bson_t *b, simdjson::dom::array arr, int depth);
   bool wrapper (bson_t *b, const char *key, size_t klen, simdjson::dom::object obj);
};

/* The canonical text of an integer in [lo, hi] ("0", or an optional '-'
 * and digits without a leading zero; not "-0"), as Extended JSON's
 * $numberLong and $numberInt write it: its value in *v. libbson reads
 * more forms ("+1", "01", " 1"): those are left to it. */
bool
canonical_int (std::string_view s, int64_t lo, int64_t hi, int64_t *v)
{
   size_t i = 0, n = s.size ();
   bool neg = n && s[0] == '-';
   i = neg;
   if (i == n || n - i > 19 || (s[i] == '0' && (n - i > 1 || neg))) {
      return false;
   }
   uint64_t u = 0;
   for (; i < n; i++) {
      if (s[i] < '0' || s[i] > '9') {
         return false;
      }
      u = u * 10 + (uint64_t) (s[i] - '0'); /* 19 digits fit in uint64 */
   }
   if (neg ? u > (uint64_t) INT64_MAX + 1 : u > (uint64_t) INT64_MAX) {
      return false;
   }
   int64_t x = neg ? (int64_t) (0 - u) : (int64_t) u;
   if (x < lo || x > hi) {
      return false;
   }
   *v = x;
   return true;
}

/* {"$numberLong": "<canonical integer>"}, the only member of obj: its
 * value. */
bool
number_long (simdjson::dom::object obj, int64_t *v)
{
   if (obj.size () != 1) {
      return false;
   }
   simdjson::dom::key_value_pair kv = *obj.begin ();
   std::string_view s;
   return kv.key == "$numberLong" && !kv.value.get_string ().get (s) && canonical_int (s, INT64_MIN, INT64_MAX, v);
}

/* A nested object whose first field name starts with '$': one of the
 * Extended JSON values built here, or false (declined). The text of the
 * record holds no backslash (checked by the caller), so the strings are
 * as written, as json_doc.c reads them. Built: {"$date": "<ISO 8601>"}
 * (bql_parse_iso8601, as json_doc.c), {"$date": {"$numberLong": "n"}},
 * {"$date": n} (n an integer within int64), {"$oid": "<24 hex>"},
 * {"$numberLong": "n"} and {"$numberInt": "n"} (n canonical, in range). */
bool
walk::wrapper (bson_t *b, const char *key, size_t klen, simdjson::dom::object obj)
{
   if (backslash || obj.size () != 1) {
      return false;
   }
   simdjson::dom::key_value_pair kv = *obj.begin ();
   int64_t n;
   if (kv.key == "$date") {
      simdjson::dom::object inner;
      if (!kv.value.get_object ().get (inner)) {
         return number_long (inner, &n) && bson_append_date_time (b, key, (int) klen, n);
      }
      if (kv.value.type () == element_type::INT64) {
         return bson_append_date_time (b, key, (int) klen, kv.value.get_int64 ().value_unsafe ());
      }
   }
   std::string_view s;
   if (kv.value.get_string ().get (s)) {
      return false;
   }
   if (kv.key == "$numberLong") {
      return canonical_int (s, INT64_MIN, INT64_MAX, &n) && bson_append_int64 (b, key, (int) klen, n);
   }
   if (kv.key == "$numberInt") {
      return canonical_int (s, INT32_MIN, INT32_MAX, &n) && bson_append_int32 (b, key, (int) klen, (int32_t) n);
   }
   if (kv.key == "$date") {
      int64_t ms;
      return bql_parse_iso8601 (s.data (), s.size (), &ms) &&
             bson_append_date_time (b, key, (int) klen, ms);
   }
   if (kv.key == "$oid") {
      if (s.size () != 24) {
         return false;
      }
      for (char c : s) {
         if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
         }
      }
      bson_oid_t oid;
      bson_oid_init_from_string (&oid, s.data ());
      return bson_append_oid (b, key, (int) klen, &oid);
   }
   return false;
}

bool
walk::value (bson_t *b, const char *key, size_t klen, element v, int depth)
{
   switch (v.type ()) {
   case element_type::STRING: {
      std::string_view s = v.get_string ().value_unsafe ();
      return bson_append_utf8 (b, key, (int) klen, s.data (), (int) s.size ());
   }
   case element_type::INT64: {
      int64_t i = v.get_int64 ().value_unsafe ();
      if (i >= INT32_MIN && i <= INT32_MAX) {
         return bson_append_int32 (b, key, (int) klen, (int32_t) i);
      }
      return bson_append_int64 (b, key, (int) klen, i);
   }
   case element_type::UINT64:
      /* beyond int64: a double, rounded as strtod rounds the digits */
      return bson_append_double (b, key, (int) klen, (double) v.get_uint64 ().value_unsafe ());
   case element_type::DOUBLE:
      return bson_append_double (b, key, (int) klen, v.get_double ().value_unsafe ());
   case element_type::BOOL:
      return bson_append_bool (b, key, (int) klen, v.get_bool ().value_unsafe ());
   case element_type::NULL_VALUE:
      return bson_append_null (b, key, (int) klen);
   case element_type::OBJECT: {
      simdjson::dom::object obj = v.get_object ().value_unsafe ();
      if (depth + 1 > BQL_JSON_MAX_LEVELS) {
         return false;
      }
      simdjson::dom::object::iterator first = obj.begin ();
      if (first != obj.end ()) {
         std::string_view k = (*first).key;
         if (!k.empty () && k[0] == '$') {
            /* json_doc.c hands libbson a date as {"$date": {"$numberLong":
             * ...}}, a level more: near the limit, libbson decides */
            return depth + 2 < BQL_JSON_MAX_LEVELS && wrapper (b, key, klen, obj);
         }
      }
      bson_t child;
      if (!bson_append_document_begin (b, key, (int) klen, &child)) {
         return false;
      }
      bool ok = object (&child, obj, depth + 1);
      return bson_append_document_end (b, &child) && ok;
   }
   case element_type::ARRAY: {
      if (depth + 1 > BQL_JSON_MAX_LEVELS) {
         return false;
      }
      bson_t child;
      if (!bson_append_array_begin (b, key, (int) klen, &child)) {
         return false;
      }
      bool ok = array (&child, v.get_array ().value_unsafe (), depth + 1);
      return bson_append_array_end (b, &child) && ok;
   }
   }
   return false;
}

bool
walk::object (bson_t *b, simdjson::dom::object obj, int depth)
{
   name_ref small[SMALL_OBJECT];
   std::vector<name_ref> many;
   size_t n = 0;
   for (simdjson::dom::key_value_pair kv : obj) {
      const char *k = kv.key.data ();
      size_t klen = kv.key.size ();
      if (klen && k[0] == '$') {
         return false; /* an operator-like name, or Extended JSON at the top: libbson's path decides */
      }
      if (backslash && std::memchr (k, '\0', klen)) {
         return false;
      }
      if (depth == 1 && klen == 3 && k[0] == '_' && k[1] == 'i' && k[2] == 'd') {
         has_id = true;
      }
      /* simdjson validated the record's UTF-8 and refuses raw control
       * characters in strings: without a backslash in the record a name
       * is its bytes as written, valid UTF-8 without NUL, so only its
       * length is left to look at (test_json_fast compares with
       * bql_field_name_valid on every document built) */
      names_valid = names_valid && klen != 0 && (!backslash || bql_field_name_valid (k, klen));
      name_ref r{k, klen};
      if (n < SMALL_OBJECT) {
         for (size_t i = 0; i < n; i++) {
            if (small[i] == r) {
               return false;
            }
         }
         small[n] = r;
      } else {
         if (n == SMALL_OBJECT) {
            many.assign (small, small + SMALL_OBJECT);
         }
         many.push_back (r);
      }
      n++;
      if (!value (b, k, klen, kv.value, depth)) {
         return false;
      }
   }
   if (n > SMALL_OBJECT) {
      std::sort (many.begin (), many.end ());
      if (std::adjacent_find (many.begin (), many.end ()) != many.end ()) {
         return false;
      }
   }
   return true;
}

bool
walk::array (bson_t *b, simdjson::dom::array arr, int depth)
{
   uint32_t i = 0;
   for (element v : arr) {
      const char *key;
      char buf[16];
      size_t klen = bson_uint32_to_string (i++, &key, buf, sizeof buf);
      if (!value (b, key, klen, v, depth)) {
         return false;
      }
   }
   return true;
}

pthread_once_t detect_once = PTHREAD_ONCE_INIT;

/* simdjson picks its implementation for this CPU on first use: done once,
 * before any parser exists, so that threads never race on it. */
void
detect (void)
{
   (void) simdjson::get_active_implementation ()->name ();
}

/* text[0..len) copied into the parser's buffer with simdjson's padding
 * after it; NULL when out of memory. */
const char *
padded_copy (bql_json_fast_t *fast, const char *text, size_t len)
{
   if (fast->padded_cap < len + simdjson::SIMDJSON_PADDING) {
      char *bigger = static_cast<char *> (std::realloc (fast->padded, len + simdjson::SIMDJSON_PADDING));
      if (!bigger) {
         return nullptr;
      }
      fast->padded = bigger;
      fast->padded_cap = len + simdjson::SIMDJSON_PADDING;
   }
   std::memcpy (fast->padded, text, len);
   std::memset (fast->padded + len, ' ', simdjson::SIMDJSON_PADDING);
   return fast->padded;
}

bool
fast_try (bql_json_fast_t *fast, const char *text, size_t len, size_t readable_after, bson_t *doc,
          bql_json_facts_t *facts)
{
   if (len > BQL_JSON_FAST_MAX) {
      return false;
   }
   const char *buf = readable_after < simdjson::SIMDJSON_PADDING ? padded_copy (fast, text, len) : text;
   if (!buf) {
      return false;
   }
   element root;
   if (fast->parser.parse (buf, len, false).get (root)) {
      return false;
   }
   simdjson::dom::object obj;
   if (root.get_object ().get (obj)) {
      return false;
   }
   walk w{std::memchr (text, '\\', len) != nullptr, false, true};
   if (!w.object (doc, obj, 1)) {
      return false;
   }
   facts->built = true;
   facts->has_id = w.has_id;
   facts->names_valid = w.names_valid;
   return true;
}

/* A JSON column's value appended to doc as key (see bql_json_value_append);
 * as the field "v" of doc, it is the value as json_doc.c reads it: wrapped
 * as {"v": text}, so its objects and arrays are a level deeper and a
 * top-level {"$date": ...} is a nested one. */
bool
fast_value_append (bql_json_fast_t *fast, const char *text, size_t len, bson_t *doc, const char *key, size_t klen,
                   bool *names_valid)
{
   if (len > BQL_JSON_FAST_MAX) {
      return false;
   }
   const char *buf = padded_copy (fast, text, len);
   element root;
   if (!buf || fast->parser.parse (buf, len, false).get (root)) {
      return false;
   }
   walk w{std::memchr (text, '\\', len) != nullptr, false, true};
   if (!w.value (doc, key, klen, root, 1)) {
      return false;
   }
   if (names_valid) {
      *names_valid = w.names_valid;
   }
   return true;
}

bool
fast_value (bql_json_fast_t *fast, const char *text, size_t len, bson_t *doc)
{
   return fast_value_append (fast, text, len, doc, "v", 1, nullptr);
}

} // namespace

extern "C" {

bql_json_fast_t *
bql_json_fast_new (void)
{
   pthread_once (&detect_once, detect);
   return new (std::nothrow) bql_json_fast ();
}

void
bql_json_fast_free (bql_json_fast_t *fast)
{
   delete fast;
}

bool
bql_json_fast_try (bql_json_fast_t *fast,
                   const char *text,
                   size_t len,
                   size_t readable_after,
                   bson_t *doc,
                   bql_json_facts_t *facts)
{
   bql_json_facts_t mine = {false, false, false};
   if (!facts) {
      facts = &mine;
   }
   *facts = mine;
   bson_reinit (doc);
   bool ok = false;
   try {
      ok = fast_try (fast, text, len, readable_after, doc, facts);
   } catch (...) {
      ok = false; /* out of memory: libbson's path */
   }
   if (!ok) {
      *facts = mine;
      bson_reinit (doc);
   }
   return ok;
}

bool
bql_json_record_parse (bql_json_fast_t *fast,
                       const char *text,
                       size_t len,
                       size_t readable_after,
                       bson_t *doc,
                       bql_json_error_t *error,
                       bql_json_facts_t *facts)
{
   if (fast && bql_json_fast_try (fast, text, len, readable_after, doc, facts)) {
      return true;
   }
   if (facts) {
      facts->built = facts->has_id = facts->names_valid = false;
   }
   return bql_json_parse_document (text, len, doc, error);
}

bool
bql_json_value_parse (bql_json_fast_t *fast, const char *text, size_t len, bson_value_t *value,
                      bql_json_error_t *error, bool *built)
{
   bool ok = false;
   if (built) {
      *built = false;
   }
   if (fast) {
      bson_t doc;
      bson_init (&doc);
      try {
         ok = fast_value (fast, text, len, &doc);
      } catch (...) {
         ok = false; /* out of memory: libbson's path */
      }
      bson_iter_t it;
      ok = ok && bson_iter_init_find (&it, &doc, "v");
      if (ok) {
         bson_value_copy (bson_iter_value (&it), value);
      }
      bson_destroy (&doc);
      if (ok) {
         if (built) {
            *built = true;
         }
         return true;
      }
   }
   return bql_json_parse_value (text, len, value, error);
}

bool
bql_json_value_append (bql_json_fast_t *fast, const char *text, size_t len, bson_t *doc, const char *key, size_t klen,
                       bool *names_valid)
{
   try {
      return fast && fast_value_append (fast, text, len, doc, key, klen, names_valid);
   } catch (...) {
      return false; /* out of memory: declined */
   }
}

/* The commonest DOUBLE text, -?digits[.digits] with at most 19 digits,
 * read without fast_float's general machinery (Clinger's fast path): the
 * digits as an integer m and k decimals; when m <= 2^53 and k <= 22, m
 * and 10^k are exact doubles, so m / 10^k — one IEEE division, correctly
 * rounded to nearest — is the correctly rounded value of the text, which
 * is what strtod and fast_float give (the sign is symmetric: "-0" is
 * -0.0 as strtod reads it). Needs doubles evaluated as doubles
 * (FLT_EVAL_METHOD 0: SSE2, not x87). False for any other text. */
static inline bool
decimal_exact (const char *s, size_t len, double *out)
{
#if FLT_EVAL_METHOD == 0
   static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
   const char *p = s, *end = s + len;
   bool neg = p < end && *p == '-';
   p += neg;
   /* the digits as m (it wraps past 19 digits, which are refused) */
   uint64_t m = 0;
   const char *digits = p;
   for (; p < end && (unsigned char) (*p - '0') < 10; p++) {
      m = m * 10 + (uint64_t) (*p - '0');
   }
   size_t nint = (size_t) (p - digits), k = 0;
   if (nint == 0) {
      return false;
   }
   if (p < end) {
      if (*p != '.') {
         return false;
      }
      const char *frac = ++p;
      for (; p < end && (unsigned char) (*p - '0') < 10; p++) {
         m = m * 10 + (uint64_t) (*p - '0');
      }
      k = (size_t) (p - frac);
      if (k == 0 || p != end) {
         return false;
      }
   }
   if (nint + k > 19 || m > (UINT64_C (1) << 53)) {
      return false; /* (k <= 18 < 22) */
   }
   double v = (double) m / pow10[k];
   *out = neg ? -v : v;
   return true;
#else
   (void) s;
   (void) len;
   (void) out;
   return false;
#endif
}

bool
bql_number_fast (const char *s, size_t len, double *out)
{
   if (len == 0 || len >= 64) {
      return false; /* bql_parse_number's bounds */
   }
   if (decimal_exact (s, len, out)) {
      return true;
   }
   double v;
   fast_float::from_chars_result r = fast_float::from_chars (s, s + len, v);
   if (r.ec == std::errc () && r.ptr == s + len && std::isfinite (v)) {
      /* fast_float took the whole text as a finite number: decimal
       * notation (no sign but '-', no space, no hexadecimal; "inf" and
       * "nan" are not finite), all of which strtod takes, and both round
       * correctly */
      *out = v;
      return true;
   }
   /* the rest ("+1", "1e", "1e400", "inf", ...): strtod decides, exactly as
    * before */
   return bql_parse_number (s, len, out);
}

} /* extern "C" */
