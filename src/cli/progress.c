/*
 * progress.c — the progress line of a long statement: one line on stderr,
 * redrawn in place ("\r" and erase-to-end-of-line) at most four times a
 * second, with the rows done (of the total when known), rows per second,
 * the bytes of the input file read (of its size when known) and, when a
 * total is known, the time left. The executor reports after every batch;
 * the line appears only once a statement has run for a quarter of a
 * second, is cut to the terminal's width so it never wraps, and is erased
 * before the statement's result is printed. When stderr is not a terminal
 * (progress = true asked for it anyway) each update is a line of its own,
 * at most one a second.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define TTY_INTERVAL_MS 250.0
#define LOG_INTERVAL_MS 1000.0
#define FIRST_AFTER_MS 250.0

static double
now_ms (void)
{
   struct timespec ts;
   clock_gettime (CLOCK_MONOTONIC, &ts);
   return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

void
cli_progress_begin (cli_progress_t *p, const cli_t *cli, int option)
{
   memset (p, 0, sizeof *p);
   p->tty = cli->progress_tty;
   if (option >= 0) {
      p->enabled = option == 1;
   } else {
      p->enabled = cli->progress_tty && !cli->quiet;
   }
   p->last_ms = -1e18;
   p->start_ms = now_ms ();
}

/* n with thousands separators: "1,234,567". */
static void
fmt_count (char *out, size_t size, int64_t n)
{
   char digits[32];
   snprintf (digits, sizeof digits, "%lld", (long long) (n < 0 ? -n : n));
   size_t len = strlen (digits), o = 0;
   if (n < 0 && o + 1 < size) {
      out[o++] = '-';
   }
   for (size_t i = 0; i < len && o + 1 < size; i++) {
      if (i > 0 && (len - i) % 3 == 0 && o + 1 < size) {
         out[o++] = ',';
      }
      out[o++] = digits[i];
   }
   out[o] = '\0';
}

/* bytes as "512 B", "1.5 KiB", "12.3 MiB", "2.0 GiB". */
static void
fmt_bytes (char *out, size_t size, int64_t b)
{
   static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
   double v = (double) b;
   size_t u = 0;
   while (v >= 1024.0 && u + 1 < sizeof units / sizeof units[0]) {
      v /= 1024.0;
      u++;
   }
   if (u == 0) {
      snprintf (out, size, "%lld B", (long long) b);
   } else {
      snprintf (out, size, "%.1f %s", v, units[u]);
   }
}

/* seconds as "0:07", "12:34" or "1:02:03". */
static void
fmt_duration (char *out, size_t size, double seconds)
{
   long long s = (long long) (seconds + 0.5);
   if (s >= 3600) {
      snprintf (out, size, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
   } else {
      snprintf (out, size, "%lld:%02lld", s / 60, s % 60);
   }
}

/* "812.4 ms", "41234.5 ms" under a minute, then "21 min 2.3 s" and
 * "5 h 02 min 03 s" */
void
cli_format_elapsed (char *out, size_t size, double ms)
{
   if (ms < 60000.0) {
      snprintf (out, size, "%.1f ms", ms);
   } else if (ms < 3600000.0) {
      long long tenths = (long long) (ms / 100.0 + 0.5);
      snprintf (out, size, "%lld min %lld.%lld s", tenths / 600, tenths % 600 / 10, tenths % 10);
   } else {
      long long s = (long long) (ms / 1000.0 + 0.5);
      snprintf (out, size, "%lld h %02lld min %02lld s", s / 3600, s % 3600 / 60, s % 60);
   }
}

/* printf at out + *n, never past size; *n grows by what was written. */
static void __attribute__ ((format (printf, 4, 5)))
add (char *out, size_t size, size_t *n, const char *fmt, ...)
{
   if (*n + 1 >= size) {
      return;
   }
   va_list ap;
   va_start (ap, fmt);
   int w = vsnprintf (out + *n, size - *n, fmt, ap);
   va_end (ap);
   if (w > 0) {
      *n = *n + (size_t) w < size ? *n + (size_t) w : size - 1;
   }
}

void
cli_progress_format (char *out, size_t size, const bql_progress_t *pr)
{
   char done[32], total[32], rate[32], read[32], of[32], eta[32];
   double secs = pr->elapsed_ms / 1000.0;
   double per_sec = secs > 0 ? (double) pr->rows_done / secs : 0;
   fmt_count (done, sizeof done, pr->rows_done);
   fmt_count (rate, sizeof rate, (int64_t) (per_sec + 0.5));
   size_t n = 0;
   out[0] = '\0';
   if (pr->rows_total >= 0) {
      fmt_count (total, sizeof total, pr->rows_total);
      double pct = pr->rows_total > 0 ? 100.0 * (double) pr->rows_done / (double) pr->rows_total : 100.0;
      add (out, size, &n, "%s of %s rows (%.0f%%)", done, total, pct);
   } else {
      add (out, size, &n, "%s rows", done);
   }
   add (out, size, &n, ", %s rows/s", rate);
   if (pr->bytes_total > 0) {
      fmt_bytes (read, sizeof read, pr->bytes_read);
      fmt_bytes (of, sizeof of, pr->bytes_total);
      add (out, size, &n, ", %s of %s read", read, of);
   } else if (pr->bytes_read > 0) {
      fmt_bytes (read, sizeof read, pr->bytes_read);
      add (out, size, &n, ", %s read", read);
   }
   double left = -1;
   if (pr->rows_total > 0 && pr->rows_done > 0 && per_sec > 0) {
      left = (double) (pr->rows_total - pr->rows_done) / per_sec;
   } else if (pr->bytes_total > 0 && pr->bytes_read > 0 && secs > 0) {
      left = secs * (double) (pr->bytes_total - pr->bytes_read) / (double) pr->bytes_read;
   }
   if (left >= 0 && pr->batch_wait_ms <= 0 && pr->retry_attempt <= 0) {
      fmt_duration (eta, sizeof eta, left);
      add (out, size, &n, ", ETA %s", eta);
   }
   if (pr->retry_attempt > 0) {
      add (out, size, &n, "; batch lost, retry %d in %.1f s", pr->retry_attempt, (double) pr->retry_backoff_ms / 1000.0);
   } else if (pr->batch_wait_ms > 0) {
      char sent[32], waited[32];
      fmt_count (sent, sizeof sent, pr->batch_rows_sent);
      fmt_duration (waited, sizeof waited, pr->batch_wait_ms / 1000.0);
      add (out, size, &n, "; %s rows sent, waiting %s", sent, waited);
   }
}

/* The terminal's width, 80 when it cannot be asked. */
static size_t
term_width (void)
{
   struct winsize ws;
   if (ioctl (STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
      return ws.ws_col;
   }
   return 80;
}

void
cli_progress_update (const bql_progress_t *pr, void *ctx)
{
   cli_progress_t *p = ctx;
   if (!p->enabled) {
      return;
   }
   double t = now_ms ();
   if (t - p->start_ms < FIRST_AFTER_MS || t - p->last_ms < (p->tty ? TTY_INTERVAL_MS : LOG_INTERVAL_MS)) {
      return;
   }
   p->last_ms = t;
   char line[256];
   cli_progress_format (line, sizeof line, pr);
   if (p->tty) {
      /* one column short of the width: a full last column wraps on some
       * terminals */
      size_t w = term_width ();
      size_t max = w > 1 ? w - 1 : 1;
      size_t len = strlen (line);
      if (len > max) {
         len = max;
      }
      fprintf (stderr, "\r%.*s\033[K", (int) len, line);
      p->shown = true;
   } else {
      fprintf (stderr, "progress: %s\n", line);
   }
   fflush (stderr);
}

void
cli_progress_clear (cli_progress_t *p)
{
   if (p->shown) {
      fputs ("\r\033[K", stderr);
      fflush (stderr);
      p->shown = false;
   }
}
