/*
 * gen_data.c — the load benchmark's input: N rows of ~200-byte documents,
 * written as NDJSON (Extended JSON, one document per line) and as CSV
 * (a header line; the nested object as dotted columns, the array as a JSON
 * column), with the same values in both. Deterministic: row i depends only
 * on the seed and i (splitmix64), so the files are byte-identical on every
 * machine and a benchmark can recompute any row to check what the server
 * holds.
 *
 *   gen_data --rows N [--seed S] [--ndjson PATH] [--csv PATH]
 *
 * A document (field order as written):
 *   {"seq": i (int32, 1-based, unique), "name": "First Last" (string),
 *    "active": bool, "age": int32 18..90, "score": double 0..100 (2 decimals),
 *    "balance": double -5000..5000 (2 decimals), "created": date (ms,
 *    2020-2024), "address": {"city": string, "zip": 5-digit string,
 *    "geo": {"lat": double, "lon": double (6 decimals)}},
 *    "tags": [1..3 strings]}
 * Every double has a non-zero last decimal, so no JSON reader (JavaScript's
 * included) can take it for an integer. The CSV columns, in order:
 *   seq,name,active,age,score,balance,created,address.city,address.zip,
 *   address.geo.lat,address.geo.lon,tags
 * and bench/load_bench.py gives the matching BulkQL column list.
 *
 * Exit status 0, or 2 on a usage or I/O error (with a message on stderr).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const first_names[] = {"Maria",  "John",  "Aiko",    "Lars",  "Fatima", "Carlos", "Mei",
                                          "Olga",   "Kwame", "Sofia",   "Ahmed", "Ingrid", "Ravi",   "Chloe",
                                          "Tomasz", "Zara",  "Mateo",   "Yuki",  "Amara",  "Henrik"};
static const char *const last_names[] = {"Silva",   "Smith",  "Tanaka", "Nilsen", "Haddad", "Garcia", "Chen",
                                         "Ivanova", "Mensah", "Rossi",  "Khan",   "Berg",   "Patel",  "Martin",
                                         "Nowak",   "Okafor", "Lopez",  "Sato",   "Diallo", "Larsen"};
static const char *const cities[] = {"Lisbon", "New York", "Osaka",  "Bergen", "Beirut",   "Madrid", "Shanghai",
                                     "Kazan",  "Accra",    "Turin",  "Lahore", "Uppsala",  "Pune",   "Lyon",
                                     "Krakow", "Lagos",    "Bogota", "Sendai", "Dakar",    "Aarhus"};
static const char *const tag_words[] = {"red", "green", "blue", "gold", "new", "vip", "trial", "eu", "us", "apac"};

#define N_OF(a) (sizeof (a) / sizeof (a)[0])

/* splitmix64: one 64-bit value per call, from a 64-bit state */
static uint64_t
next_u64 (uint64_t *state)
{
   uint64_t z = (*state += UINT64_C (0x9E3779B97F4A7C15));
   z = (z ^ (z >> 30)) * UINT64_C (0xBF58476D1CE4E5B9);
   z = (z ^ (z >> 27)) * UINT64_C (0x94D049BB133111EB);
   return z ^ (z >> 31);
}

/* a value in [0, n) */
static uint64_t
below (uint64_t *state, uint64_t n)
{
   return next_u64 (state) % n;
}

/* a fixed-point value with `decimals` decimals in [lo, hi) whose last
 * decimal is not zero, written into out */
static void
fixed_point (uint64_t *state, int64_t lo, int64_t hi, int decimals, char *out, size_t outlen)
{
   int64_t scale = 1;
   for (int i = 0; i < decimals; i++) {
      scale *= 10;
   }
   int64_t v = lo * scale + (int64_t) below (state, (uint64_t) ((hi - lo) * scale));
   if (v % 10 == 0) {
      v += 1; /* still below hi * scale, a multiple of 10 */
   }
   int64_t mag = v < 0 ? -v : v;
   snprintf (out, outlen, "%s%" PRId64 ".%0*" PRId64, v < 0 ? "-" : "", mag / scale, decimals, mag % scale);
}

typedef struct {
   int64_t seq;
   const char *first, *last, *city;
   int active, age;
   char score[48], balance[48], lat[48], lon[48]; /* room for any two int64 halves */
   char created[32];
   char zip[8];
   const char *tags[3];
   int ntags;
} row_t;

static void
make_row (uint64_t seed, int64_t i, row_t *r)
{
   uint64_t st = seed ^ ((uint64_t) i * UINT64_C (0xD1342543DE82EF95));
   r->seq = i;
   r->first = first_names[below (&st, N_OF (first_names))];
   r->last = last_names[below (&st, N_OF (last_names))];
   r->active = (int) below (&st, 2);
   r->age = 18 + (int) below (&st, 73);
   fixed_point (&st, 0, 100, 2, r->score, sizeof r->score);
   fixed_point (&st, -5000, 5000, 2, r->balance, sizeof r->balance);
   /* 2020-01-01T00:00:00Z .. 2024-12-31, in ms */
   int64_t ms = INT64_C (1577836800000) + (int64_t) below (&st, UINT64_C (157766400000));
   time_t secs = (time_t) (ms / 1000);
   struct tm tm;
   gmtime_r (&secs, &tm);
   char day[24];
   strftime (day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
   snprintf (r->created, sizeof r->created, "%s.%03dZ", day, (int) (ms % 1000));
   r->city = cities[below (&st, N_OF (cities))];
   snprintf (r->zip, sizeof r->zip, "%05d", (int) below (&st, 100000));
   fixed_point (&st, -90, 90, 6, r->lat, sizeof r->lat);
   fixed_point (&st, -180, 180, 6, r->lon, sizeof r->lon);
   r->ntags = 1 + (int) below (&st, 3);
   for (int k = 0; k < r->ntags; k++) {
      r->tags[k] = tag_words[below (&st, N_OF (tag_words))];
   }
}

static int
write_ndjson (FILE *f, const row_t *r)
{
   int n = fprintf (f,
                    "{\"seq\":%" PRId64 ",\"name\":\"%s %s\",\"active\":%s,\"age\":%d,\"score\":%s,\"balance\":%s,"
                    "\"created\":{\"$date\":\"%s\"},\"address\":{\"city\":\"%s\",\"zip\":\"%s\","
                    "\"geo\":{\"lat\":%s,\"lon\":%s}},\"tags\":[",
                    r->seq, r->first, r->last, r->active ? "true" : "false", r->age, r->score, r->balance, r->created,
                    r->city, r->zip, r->lat, r->lon);
   for (int k = 0; k < r->ntags && n > 0; k++) {
      n = fprintf (f, "%s\"%s\"", k ? "," : "", r->tags[k]);
   }
   return n < 0 ? n : fputs ("]}\n", f);
}

static int
write_csv (FILE *f, const row_t *r)
{
   /* the JSON column is quoted, its quotes doubled (RFC 4180) */
   int n = fprintf (f, "%" PRId64 ",%s %s,%s,%d,%s,%s,%s,%s,%s,%s,%s,\"[", r->seq, r->first, r->last,
                    r->active ? "true" : "false", r->age, r->score, r->balance, r->created, r->city, r->zip, r->lat,
                    r->lon);
   for (int k = 0; k < r->ntags && n > 0; k++) {
      n = fprintf (f, "%s\"\"%s\"\"", k ? "," : "", r->tags[k]);
   }
   return n < 0 ? n : fputs ("]\"\n", f);
}

static void
usage (void)
{
   fprintf (stderr, "usage: gen_data --rows N [--seed S] [--ndjson PATH] [--csv PATH]\n");
}

static FILE *
open_out (const char *path)
{
   FILE *f = fopen (path, "w");
   if (!f) {
      fprintf (stderr, "gen_data: cannot write %s: %s\n", path, strerror (errno));
      return NULL;
   }
   setvbuf (f, NULL, _IOFBF, 1 << 20);
   return f;
}

static int
close_out (FILE *f, const char *path)
{
   if (f && (ferror (f) | fclose (f))) {
      fprintf (stderr, "gen_data: cannot write %s: %s\n", path, strerror (errno));
      return 2;
   }
   return 0;
}

int
main (int argc, char **argv)
{
   int64_t rows = -1;
   uint64_t seed = 20261122;
   const char *ndjson = NULL, *csv = NULL;
   for (int i = 1; i < argc; i++) {
      if (i + 1 < argc && !strcmp (argv[i], "--rows")) {
         rows = strtoll (argv[++i], NULL, 10);
      } else if (i + 1 < argc && !strcmp (argv[i], "--seed")) {
         seed = strtoull (argv[++i], NULL, 10);
      } else if (i + 1 < argc && !strcmp (argv[i], "--ndjson")) {
         ndjson = argv[++i];
      } else if (i + 1 < argc && !strcmp (argv[i], "--csv")) {
         csv = argv[++i];
      } else {
         usage ();
         return 2;
      }
   }
   if (rows < 0 || (!ndjson && !csv)) {
      usage ();
      return 2;
   }
   FILE *fj = ndjson ? open_out (ndjson) : NULL;
   FILE *fc = csv ? open_out (csv) : NULL;
   if ((ndjson && !fj) || (csv && !fc)) {
      return 2;
   }
   if (fc && fputs ("seq,name,active,age,score,balance,created,address.city,address.zip,address.geo.lat,address.geo.lon,"
                    "tags\n",
                    fc) < 0) {
      return close_out (fc, csv) | 2;
   }
   for (int64_t i = 1; i <= rows; i++) {
      row_t r;
      make_row (seed, i, &r);
      if ((fj && write_ndjson (fj, &r) < 0) || (fc && write_csv (fc, &r) < 0)) {
         break;
      }
   }
   int rc = close_out (fj, ndjson);
   rc |= close_out (fc, csv);
   return rc;
}
