/*
 * test_numbers.c — the number readings of typed CSV columns, old against
 * new (differential): bql_number_fast (fast_float, json_fast.cpp) must give
 * what bql_parse_number (strtod) gives — the same yes or no and the
 * bit-identical double — and bql_parse_int64 (digits read by hand) what
 * the strtoll reading it replaced gave (kept below as the reference), on a
 * corpus of tricky texts (subnormals, 17 and more digits, halfway cases,
 * hexadecimal, leading '+', spaces, inf/nan spellings, overflow,
 * underflow, NUL bytes) and on random texts. The error texts of a value
 * that is not a number are those of columns.c, which both paths share
 * (csv_row.c gives such a row to the general path); test_sources checks
 * them in its transcripts.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "columns.h"
#include "json_fast.h"

/* The reading of INT and BIGINT columns before bql_parse_int64: strtoll
 * on a copy (the reference). */
static bool
old_parse_int64 (const char *s, size_t len, int64_t *out)
{
   char buf[32];
   if (len == 0 || len >= sizeof buf) {
      return false;
   }
   memcpy (buf, s, len);
   buf[len] = '\0';
   if (!(buf[0] >= '0' && buf[0] <= '9') && buf[0] != '-' && buf[0] != '+') {
      return false; /* strtoll would skip spaces */
   }
   char *end;
   errno = 0;
   long long v = strtoll (buf, &end, 10);
   if (errno || *end || end == buf) {
      return false;
   }
   *out = v;
   return true;
}

static char *
shown (const char *s, size_t len)
{
   static char out[200];
   size_t o = 0;
   for (size_t i = 0; i < len && o + 5 < sizeof out; i++) {
      if (s[i] == '\0') {
         memcpy (out + o, "\\0", 2);
         o += 2;
      } else {
         out[o++] = s[i];
      }
   }
   out[o] = '\0';
   return out;
}

static size_t n_doubles, n_doubles_read, n_ints, n_ints_read;

static void
check_double (const char *s, size_t len)
{
   double want = 0, got = 0;
   bool ok_want = bql_parse_number (s, len, &want);
   bool ok_got = bql_number_fast (s, len, &got);
   n_doubles++;
   n_doubles_read += ok_want;
   if (ok_want != ok_got) {
      fail_msg ("\"%s\": strtod's reading %s it, bql_number_fast %s it", shown (s, len), ok_want ? "takes" : "refuses",
                ok_got ? "takes" : "refuses");
   }
   if (ok_want && memcmp (&want, &got, sizeof want) != 0) {
      fail_msg ("\"%s\": strtod gives %a, bql_number_fast %a", shown (s, len), want, got);
   }
}

static void
check_double_str (const char *s)
{
   check_double (s, strlen (s));
}

static void
check_int (const char *s, size_t len)
{
   int64_t want = 0, got = 0;
   bool ok_want = old_parse_int64 (s, len, &want);
   bool ok_got = bql_parse_int64 (s, len, &got);
   n_ints++;
   n_ints_read += ok_want;
   if (ok_want != ok_got) {
      fail_msg ("\"%s\": strtoll's reading %s it, bql_parse_int64 %s it", shown (s, len), ok_want ? "takes" : "refuses",
                ok_got ? "takes" : "refuses");
   }
   if (ok_want && want != got) {
      fail_msg ("\"%s\": strtoll gives %lld, bql_parse_int64 %lld", shown (s, len), (long long) want, (long long) got);
   }
}

static void
check_int_str (const char *s)
{
   check_int (s, strlen (s));
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
next_rand (void)
{
   rng ^= rng << 13;
   rng ^= rng >> 7;
   rng ^= rng << 17;
   return rng;
}

static void
test_double_corpus (void **state)
{
   (void) state;
   static const char *const corpus[] = {
      /* plain */
      "0", "-0", "+0", "0.0", "-0.0", "1", "-1", "1.5", "30.05", "-2813.49", "-63.193474", "-179.001388", ".5", "-.5",
      "+.5", "5.", "-5.", "1e5", "1E5", "1e+5", "1e-5", "1E-05", "-1e-5", "+1e5", "1.e5", ".1e5", "0.1", "0.2", "0.3",
      "0.30000000000000004", "3.14159265358979323846264338327950288", "1234567890123456789012345678901234567890",
      /* 17 digits and more, halfway cases */
      "9007199254740993", "9007199254740992", "9007199254740994", "9007199254740995", "18014398509481985",
      "1.00000000000000011102230246251565404236316680908203125", "1.000000000000000111022302462515654042363166809082031",
      "1.0000000000000001110223024625156540423631668090820313", "0.1000000000000000055511151231257827021181583404541015625",
      "123456789012345678", "1.2345678901234567e89",
      /* the edges of the exact path (at most 19 digits, 2^53, 22 decimals) */
      "9007199254740992.0", "900719925474099.2", "900719925474099.3", "0.9007199254740992", "0.9007199254740993",
      "1234567890.123456789", "1234567890.1234567891", "0.0000000000000000000001", "0.00000000000000000000001",
      "-0.0000000000000000000001", "00.5", "-00.50", "-0.000", "1234567890123456789", "12345678901234567.8", "2.2250738585072011e-308", "2.2250738585072014e-308",
      "2.225073858507201136057409796709131975934819546351645648e-308",
      /* subnormals, underflow */
      "4.9406564584124654e-324", "5e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "1e-320",
      "1e-400", "-1e-400", "1e-99999", "0e-999", "0.000000000000000000000000000000000000001",
      /* the largest double, overflow */
      "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308", "1e308", "1e309", "1e400",
      "-1e400", "1e99999", "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791",
      /* not numbers: every one refused by both */
      "", "+", "-", ".", "e", "E5", "e5", "1e", "1e+", "1e-", "1.2.3", "1e5e5", "--1", "+-1", "-+1", "++1", "1-", "1+1",
      "1..5", "..5", "1e5.5", " 1", "1 ", " ", "\t1", "1\t", "1,5", "1_000", "0x10", "0X1p3", "0x1.8p1", "1p3", "inf",
      "-inf", "+inf", "INF", "Infinity", "-Infinity", "infinity", "nan", "NaN", "-nan", "nan(1)", "NAN(0x1)", "1d",
      "1f", "1L", "١", "1e\xc2\xa0", "\xef\xbb\xbf\x31", "0b101", "1e0x5", "e", "-e", ".e1", "-.e1", "+.",
   };
   for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
      check_double_str (corpus[i]);
   }
   /* texts with a NUL byte, and texts of 63 and 64 bytes (the limit) */
   check_double ("1\0", 2);
   check_double ("\0" "1", 2);
   check_double ("1.5\0" "7", 5);
   char lng[80];
   for (size_t n = 60; n <= 66; n++) {
      memset (lng, '1', n);
      lng[1] = '.';
      check_double (lng, n);
   }
}

/* Random texts of the grammar's characters (most of them not numbers),
 * and random doubles printed every way printf prints them. */
static void
test_double_random (void **state)
{
   (void) state;
   static const char alphabet[] = "0123456789+-.eE";
   char s[80];
   for (int i = 0; i < 300000; i++) {
      size_t len = 1 + next_rand () % 24;
      for (size_t k = 0; k < len; k++) {
         /* digits more often than the rest */
         uint64_t r = next_rand () % 40;
         s[k] = r < 25 ? (char) ('0' + r % 10) : alphabet[r % (sizeof alphabet - 1)];
      }
      check_double (s, len);
   }
   /* short decimals, the commonest text: -?digits.digits */
   for (int i = 0; i < 300000; i++) {
      size_t n = 0;
      if (next_rand () % 2) {
         s[n++] = '-';
      }
      size_t nint = 1 + next_rand () % 12, nfrac = next_rand () % 14;
      for (size_t k = 0; k < nint; k++) {
         s[n++] = (char) ('0' + next_rand () % 10);
      }
      if (nfrac) {
         s[n++] = '.';
         for (size_t k = 0; k < nfrac; k++) {
            s[n++] = (char) ('0' + next_rand () % 10);
         }
      }
      check_double (s, n);
   }
   static const char *const formats[] = {"%.17g", "%.16g", "%.15g", "%.17e", "%.20e", "%.6f", "%.25f", "%g", "%.1e",
                                         "%.40g", "%a"};
   for (int i = 0; i < 300000; i++) {
      uint64_t bits = next_rand ();
      double d;
      memcpy (&d, &bits, sizeof d);
      if (i % 3 == 0) {
         d = (double) (int64_t) (next_rand () % 2000000001) / 1000.0 - 1000000.0; /* like the benchmark's */
      }
      int n = snprintf (s, sizeof s, formats[next_rand () % (sizeof formats / sizeof formats[0])], d);
      if (n > 0 && (size_t) n < sizeof s) {
         check_double (s, (size_t) n);
      }
   }
   if (n_doubles_read < n_doubles / 4) {
      fail_msg ("only %zu of %zu texts were numbers", n_doubles_read, n_doubles);
   }
}

static void
test_int_corpus (void **state)
{
   (void) state;
   static const char *const corpus[] = {
      "0", "-0", "+0", "00", "007", "-007", "+007", "1", "-1", "+1", "2147483647", "2147483648", "-2147483648",
      "-2147483649", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
      "18446744073709551615", "18446744073709551616", "99999999999999999999", "-99999999999999999999",
      "0000000000000000000000000000001", "00000000000000000000000000000001", "-000000000000000000000000000001",
      "0009223372036854775807", "-0009223372036854775808", "", "+", "-", "--1", "+-1", "-+1", " 1", "1 ", "\t1",
      "1a", "a1", "0x10", "1e5", "1.0", "1.", ".1", "1,000", "1_000", "١", "\xef\xbb\xbf\x31",
   };
   for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
      check_int_str (corpus[i]);
   }
   /* a NUL byte: strtoll stopped there */
   check_int ("12\0", 3);
   check_int ("12\0" "34", 5);
   check_int ("\0" "12", 3);
   check_int ("-\0" "1", 3);
   check_int ("+\0", 2);
   check_int ("0\0x", 3);
}

static void
test_int_random (void **state)
{
   (void) state;
   static const char alphabet[] = "0123456789+- \0a";
   char s[40];
   for (int i = 0; i < 300000; i++) {
      size_t len = 1 + next_rand () % 34;
      for (size_t k = 0; k < len; k++) {
         uint64_t r = next_rand () % 50;
         s[k] = r < 40 ? (char) ('0' + r % 10) : alphabet[r % (sizeof alphabet - 1)];
      }
      if (next_rand () % 3 == 0) {
         s[0] = "+-"[next_rand () % 2];
      }
      check_int (s, len);
   }
   for (int i = 0; i < 100000; i++) {
      int64_t v = (int64_t) next_rand () >> (next_rand () % 64);
      int n = snprintf (s, sizeof s, next_rand () % 2 ? "%lld" : "%+024lld", (long long) v);
      check_int (s, (size_t) n);
   }
   if (n_ints_read < n_ints / 4) {
      fail_msg ("only %zu of %zu texts were integers", n_ints_read, n_ints);
   }
}

/* The reading of BOOL columns before bql_parse_bool folded ASCII case by
 * hand: strncasecmp against each word (the reference). */
static bool
old_parse_bool (const char *s, size_t len, bool *out)
{
   static const char *const yes[] = {"true", "t", "yes", "y", "1"};
   static const char *const no[] = {"false", "f", "no", "n", "0"};
   for (size_t k = 0; k < 5; k++) {
      if (strlen (yes[k]) == len && !strncasecmp (s, yes[k], len)) {
         *out = true;
         return true;
      }
      if (strlen (no[k]) == len && !strncasecmp (s, no[k], len)) {
         *out = false;
         return true;
      }
   }
   return false;
}

/* Every text of up to 3 bytes over the words' letters in both cases and
 * a few others, and random texts of up to 7. */
static void
test_bool (void **state)
{
   (void) state;
   static const char alphabet[] = "truefalsyoTRUEFALSYO10 x\xc3\xa9\x00";
   const size_t na = sizeof alphabet - 1;
   char s[8];
   size_t taken = 0, n = 0;
   for (size_t len = 0; len <= 7; len++) {
      size_t total = 1;
      for (size_t k = 0; k < len && len <= 3; k++) {
         total *= na;
      }
      if (len > 3) {
         total = 200000;
      }
      for (size_t c = 0; c < total; c++) {
         size_t x = c;
         for (size_t k = 0; k < len; k++) {
            s[k] = alphabet[len <= 3 ? x % na : next_rand () % na];
            x /= na;
         }
         if (len > 3 && next_rand () % 2) {
            /* a word, its case mixed */
            static const char *const words[] = {"true", "false", "yes", "no", "TrUe", "FALSE", "YeS"};
            const char *w = words[next_rand () % 7];
            memcpy (s, w, strlen (w));
         }
         bool want = false, got = false;
         bool ok_want = old_parse_bool (s, len, &want);
         bool ok_got = bql_parse_bool (s, len, &got);
         n++;
         taken += ok_want;
         if (ok_want != ok_got || want != got) {
            fail_msg ("\"%s\": strncasecmp's reading %s it (%d), bql_parse_bool %s it (%d)", shown (s, len),
                      ok_want ? "takes" : "refuses", want, ok_got ? "takes" : "refuses", got);
         }
      }
   }
   if (taken < 20) {
      fail_msg ("only %zu of %zu texts were booleans", taken, n);
   }
}

static int
teardown (void **state)
{
   (void) state;
   printf ("# %zu double texts compared (%zu numbers), %zu integer texts (%zu integers)\n", n_doubles,
           n_doubles_read, n_ints, n_ints_read);
   return 0;
}

int
main (void)
{
   const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_double_corpus),
      cmocka_unit_test (test_double_random),
      cmocka_unit_test (test_int_corpus),
      cmocka_unit_test (test_int_random),
      cmocka_unit_test (test_bool),
   };
   return cmocka_run_group_tests (tests, NULL, teardown);
}
