/*
 * input.c — the bytes of a file source: a file opened by path, the
 * process's standard input (file descriptor 0, read with read(2) after
 * poll(2) when it is a pipe or a terminal) or the caller's FILE* (read
 * with fread(3), so bytes already in its stdio buffer are seen and a
 * stream without a descriptor works). A gzip input is known by its magic
 * bytes (1f 8b) whatever its name and inflated with zlib, member after
 * member (RFC 1952). The input is read in chunks of 1 MiB, so memory
 * stays bounded whatever the file size, and every read checks the
 * caller's cancel flag, the source's stop and max_execution_time, so an
 * input that never ends stops. Also the cutting of lines (LF or CRLF,
 * a UTF-8 byte order mark dropped) and the source's fatal errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

#define CHUNK BQL_SRC_CHUNK

/* ---- errors ---- */

/* Place e at the plan's FROM clause (line and column from the script). */
static void
locate_at_source (const bql_plan_t *plan, bql_error_t *e)
{
   const bql_FileSource_t *fs = plan->file;
   if (fs && fs->node.location >= 0 && plan->script) {
      e->offset = fs->node.location;
      e->length = fs->node.length;
      size_t source_len;
      const char *source = bql_script_source (plan->script, &source_len);
      bql_error_locate (e, source, source_len);
   }
}

/* A statement-level I/O error with message msg, located at FROM. */
static void
io_error (bql_input_t *in, const char *msg)
{
   bql_error_t *e = &in->st->error;
   bql_error_clear (e);
   e->domain = BQL_ERROR_EXECUTE;
   e->code = BQL_ERR_IO;
   snprintf (e->message, sizeof e->message, "%s", msg);
   locate_at_source (in->plan, e);
}

bool
bql_input_fatal (bql_input_t *in, int64_t line, const char *fmt, ...)
{
   if (in->st->failed) {
      return false;
   }
   in->st->failed = true;
   char msg[1200];
   va_list ap;
   va_start (ap, fmt);
   vsnprintf (msg, sizeof msg, fmt, ap);
   va_end (ap);
   char full[sizeof in->st->error.message];
   snprintf (full, sizeof full, "%.200s:%lld: %.280s", in->name, (long long) (line > 0 ? line : 1), msg);
   io_error (in, full);
   return false;
}

/* ---- reading ---- */

static bool
cancel_requested (bql_input_t *in)
{
   return (in->cancel && *in->cancel) || atomic_load (&in->st->stop);
}

/* Has the statement run for max_execution_time (SPEC §3)? Reading is
 * bounded by it too: an input that never ends (/dev/zero, a pipe that
 * never closes) stops there. */
static bool
time_is_up (bql_input_t *in)
{
   int64_t ms = in->max_execution_ms;
   return ms > 0 && bson_get_monotonic_time () - in->start_us >= ms * 1000;
}

/* The caller cancelled, or max_execution_time passed, while the input was
 * read: the input ends here (the source says cancelled; rows.c then
 * writes nothing of the partial batch and stops the statement as after a
 * batch, with this reason). Returns false. */
static bool
cancelled (bql_input_t *in)
{
   bql_source_status_t *st = in->st;
   st->cancelled = true;
   if (!cancel_requested (in) && time_is_up (in)) {
      snprintf (st->error.message, sizeof st->error.message,
                "stopped after %.1f s (max_execution_time) while reading %.200s",
                (double) in->max_execution_ms / 1000.0, in->name);
   } else {
      snprintf (st->error.message, sizeof st->error.message, "cancelled while reading %.200s", in->name);
   }
   in->eof = true;
   return false;
}

static bool
must_stop (bql_input_t *in)
{
   return cancel_requested (in) || time_is_up (in);
}

bool
bql_input_stopped (const bql_input_t *in)
{
   return in->st->failed || in->st->cancelled;
}

/* Wait until fd has input, checking for a cancel and max_execution_time
 * every 100 ms: a pipe or a terminal can keep a read waiting for ever,
 * and the cancel flag is set from a signal handler that may run on
 * another thread. False when the input must stop. */
static bool
wait_for_input (bql_input_t *in, int fd)
{
   struct pollfd pfd = {.fd = fd, .events = POLLIN};
   for (;;) {
      if (must_stop (in)) {
         return false;
      }
      int r = poll (&pfd, 1, 100);
      if (r != 0 && !(r < 0 && errno == EINTR)) {
         return true; /* readable, at its end, or an error read() reports */
      }
   }
}

/* Read up to cap bytes of the caller's stream (stdin_stream) with
 * fread(3). A read interrupted by a signal (EINTR) is retried unless
 * cancelled. *n is 0 at the end. False on a read error (fatal) or a
 * cancel. */
static bool
read_stream (bql_input_t *in, void *buf, size_t cap, ssize_t *n)
{
   size_t got = 0;
   for (;;) {
      got += fread ((char *) buf + got, 1, cap - got, in->stream);
      if (got == cap || feof (in->stream) || !ferror (in->stream)) {
         break;
      }
      if (errno != EINTR && errno != EAGAIN) {
         return bql_input_fatal (in, in->line + 1, "cannot read: %s", strerror (errno));
      }
      clearerr (in->stream);
      if (cancel_requested (in)) {
         return cancelled (in);
      }
      if (got > 0) {
         break;
      }
   }
   *n = (ssize_t) got;
   return true;
}

/* Read up to n bytes of the input into dst: the count (0 at its end),
 * -1 on a read error (fatal, recorded), -2 when cancelled or out of time
 * (st->cancelled). Every read checks the cancel flag and
 * max_execution_time first, so an input that never ends stops. */
static ssize_t
read_input (bql_input_t *in, void *dst, size_t n)
{
   if (in->stream) {
      ssize_t got = 0;
      if (must_stop (in)) {
         cancelled (in);
         return -2;
      }
      if (!read_stream (in, dst, n, &got)) {
         return in->st->cancelled ? -2 : -1;
      }
      in->raw_total += got;
      return got;
   }
   for (;;) {
      if (must_stop (in) || (in->waits && !wait_for_input (in, in->fd))) {
         cancelled (in);
         return -2;
      }
      ssize_t r = read (in->fd, dst, n);
      if (r >= 0) {
         in->raw_total += r;
         return r;
      }
      if (errno != EINTR) {
         bql_input_fatal (in, in->line + 1, "cannot read: %s", strerror (errno));
         return -1;
      }
   }
}

/* Decide whether the input is gzip by its first two bytes (1f 8b, as
 * `zcat -f` does), read into raw: a gzip stream is inflated whatever the
 * name; an input that is not gzip while COMPRESSION GZIP or a name ending
 * in .gz says it is gives true with *not_gzip set (the caller reports
 * it). False when the read failed (st->failed) or stopped
 * (st->cancelled). */
static bool
detect_gzip (bql_input_t *in, bool *not_gzip)
{
   *not_gzip = false;
   while (in->raw_len < 2 && !in->raw_eof) {
      ssize_t n = read_input (in, in->raw + in->raw_len, CHUNK - in->raw_len);
      if (n < 0) {
         return false;
      }
      in->raw_len += (size_t) n;
      in->raw_eof = n == 0;
   }
   in->detected = true;
   in->gzip = in->raw_len >= 2 && in->raw[0] == 0x1f && in->raw[1] == 0x8b;
   if (!in->gzip) {
      *not_gzip = in->gzip_required;
      return true;
   }
   memset (&in->zs, 0, sizeof in->zs);
   if (inflateInit2 (&in->zs, 15 + 16) != Z_OK) { /* gzip members only */
      return bql_input_fatal (in, 1, "cannot read the gzip stream: out of memory");
   }
   in->zs_ready = true;
   in->zs.next_in = in->raw;
   in->zs.avail_in = (uInt) in->raw_len;
   return true;
}

/* The error of an input that is not gzip although it must be (not a
 * "<file>:<line>:" error: the whole input is wrong). */
static void
not_gzip_error (bql_input_t *in)
{
   char msg[300];
   snprintf (msg, sizeof msg, "'%.200s' is not gzip-compressed%s", in->name,
             in->plan->file->compression ? " (COMPRESSION GZIP)" : " (its name ends in .gz)");
   io_error (in, msg);
}

/* Inflate the next bytes of a gzip input into buf: the count, 0 at the
 * end of the last member, -1 on a fatal error or a stop. Members follow
 * one another (`cat a.gz b.gz` is one stream, RFC 1952); bytes after the
 * last member that do not start another are an error naming their offset
 * in the compressed input, as is a stream cut short. */
static ssize_t
inflate_chunk (bql_input_t *in)
{
   z_stream *zs = &in->zs;
   zs->next_out = (Bytef *) in->buf;
   zs->avail_out = CHUNK;
   for (;;) {
      size_t made = CHUNK - zs->avail_out;
      if (in->member_end) {
         if (made > 0) {
            return (ssize_t) made; /* the end of the member first */
         }
         /* what follows the member: another, the end, or garbage */
         if (zs->avail_in < 2 && !in->raw_eof) {
            memmove (in->raw, zs->next_in, zs->avail_in);
            ssize_t n = read_input (in, in->raw + zs->avail_in, CHUNK - zs->avail_in);
            if (n < 0) {
               return -1;
            }
            in->raw_eof = n == 0;
            zs->next_in = in->raw;
            zs->avail_in += (uInt) n;
            continue;
         }
         if (zs->avail_in == 0) {
            return 0; /* the end of the last member */
         }
         int64_t at = in->raw_total - (int64_t) zs->avail_in;
         if (zs->avail_in < 2 || zs->next_in[0] != 0x1f || zs->next_in[1] != 0x8b) {
            bql_input_fatal (in, in->line + 1,
                             "trailing garbage after the gzip stream at byte offset %lld of the compressed input "
                             "(not the start of another gzip member)",
                             (long long) at);
            return -1;
         }
         inflateReset (zs);
         in->member_end = false;
      }
      if (zs->avail_in == 0 && !in->raw_eof) {
         ssize_t n = read_input (in, in->raw, CHUNK);
         if (n < 0) {
            return -1;
         }
         in->raw_eof = n == 0;
         zs->next_in = in->raw;
         zs->avail_in = (uInt) n;
      }
      if (zs->avail_in == 0 && in->raw_eof) {
         if (made > 0) {
            return (ssize_t) made; /* the rows before; the error next */
         }
         bql_input_fatal (in, in->line + 1, "the gzip stream is truncated (unexpected end of file)");
         return -1;
      }
      int rc = inflate (zs, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
         in->member_end = true;
         continue;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
         bql_input_fatal (in, in->line + 1, "cannot read the gzip stream: %s",
                          zs->msg ? zs->msg : rc == Z_MEM_ERROR ? "out of memory" : "corrupt data");
         return -1;
      }
      if (zs->avail_out == 0) {
         return CHUNK;
      }
      if (must_stop (in)) {
         cancelled (in); /* a chunk that inflates to little for ever */
         return -1;
      }
   }
}

bool
bql_input_fill (bql_input_t *in)
{
   if (in->eof) {
      return false;
   }
   if (!in->detected) {
      bool not_gzip;
      if (!detect_gzip (in, &not_gzip)) {
         in->eof = true;
         return false;
      }
      if (not_gzip && !in->st->failed) {
         in->st->failed = true;
         not_gzip_error (in);
      }
      if (not_gzip) {
         in->eof = true;
         return false;
      }
   }
   ssize_t n;
   if (in->gzip) {
      n = inflate_chunk (in);
      if (n < 0) {
         in->eof = true;
         return false;
      }
      in->st->bytes_read = in->raw_total - (int64_t) in->zs.avail_in;
   } else if (in->raw_len > 0) {
      /* the bytes read to look for the gzip magic */
      memcpy (in->buf, in->raw, in->raw_len);
      n = (ssize_t) in->raw_len;
      in->raw_len = 0;
      in->read_total += n;
   } else {
      n = read_input (in, in->buf, CHUNK);
      if (n < 0) {
         in->eof = true;
         return false;
      }
      in->read_total += n;
   }
   if (n == 0) {
      in->eof = true;
      return false;
   }
   in->len = (size_t) n;
   in->pos = 0;
   if (!in->started) {
      in->started = true;
      if (in->len >= 3 && !memcmp (in->buf, "\xEF\xBB\xBF", 3)) {
         in->pos = 3; /* a UTF-8 byte order mark */
      }
   }
   return true;
}

void
bql_input_progress (bql_input_t *in)
{
   if (!in->gzip) {
      /* the bytes consumed, not those read ahead into buf: progress */
      in->st->bytes_read = in->read_total - (int64_t) (in->len - in->pos);
   }
}

bool
bql_input_next_line (bql_input_t *in, const char **line, size_t *len, bool *oversize)
{
   bql_buf_reset (&in->carry);
   bool carrying = false;
   *oversize = false;
   for (;;) {
      if (in->pos >= in->len) {
         if (!bql_input_fill (in)) {
            if (bql_input_stopped (in)) {
               return false;
            }
            if (carrying) {
               break; /* last line without a newline */
            }
            return false;
         }
      }
      const char *start = in->buf + in->pos;
      const char *nl = memchr (start, '\n', in->len - in->pos);
      size_t n = nl ? (size_t) (nl - start) : in->len - in->pos;
      in->pos += nl ? n + 1 : n;
      if (!carrying && nl) {
         *line = start;
         *len = n;
         in->line++;
         if (*len && (*line)[*len - 1] == '\r') {
            (*len)--;
         }
         return true;
      }
      carrying = true;
      if (in->carry.len + n > BQL_SRC_MAX_RECORD) {
         *oversize = true;
         bql_buf_reset (&in->carry);
      }
      if (!*oversize) {
         bql_buf_append (&in->carry, start, n);
      }
      if (nl) {
         break;
      }
   }
   if (in->carry.oom) {
      return bql_input_fatal (in, in->line + 1, "out of memory");
   }
   in->line++;
   *line = in->carry.data ? in->carry.data : "";
   *len = in->carry.len;
   if (*len && (*line)[*len - 1] == '\r') {
      (*len)--;
   }
   return true;
}

/* ---- opening ---- */

/* An error before the first row (the file cannot be opened or is not what
 * COMPRESSION says). Returns false. */
static bool
open_failed (bql_input_t *in, const char *msg)
{
   in->st->failed = true;
   io_error (in, msg);
   return false;
}

bool
bql_input_open (bql_input_t *in, bql_source_status_t *st, const bql_plan_t *plan, const bql_source_io_t *io,
                const volatile int *cancel, bool gzip_required)
{
   const bql_FileSource_t *fsn = plan->file;
   in->st = st;
   in->plan = plan;
   in->cancel = cancel;
   in->max_execution_ms = io ? io->max_execution_ms : 0;
   in->start_us = io ? io->start_us : 0;
   in->gzip_required = gzip_required;
   in->fd = -1;
   bql_buf_init (&in->carry);
   /* the path resolved against the script's folder (bql_plan_options_t) */
   const char *path = plan->file_path ? plan->file_path : fsn->path;
   snprintf (in->name, sizeof in->name, "%s", fsn->is_stdin ? "<stdin>" : path);
   char msg[sizeof st->error.message];
   if (fsn->is_stdin && io && io->next_row) {
      return true; /* rows from the program (json.c): no bytes */
   } else if (fsn->is_stdin && io && io->stdin_stream) {
      /* the caller's stream, read through stdio (not its descriptor) */
      in->stream = io->stdin_stream;
   } else if (fsn->is_stdin) {
      in->fd = STDIN_FILENO;
      in->fd_borrowed = true;
      struct stat stt;
      in->waits = fstat (in->fd, &stt) != 0 || !S_ISREG (stt.st_mode);
   } else {
      in->fd = open (path, O_RDONLY | O_CLOEXEC);
      if (in->fd < 0) {
         snprintf (msg, sizeof msg, "cannot open '%s': %s", path, strerror (errno));
         return open_failed (in, msg);
      }
      struct stat stt;
      if (fstat (in->fd, &stt) == 0 && S_ISDIR (stt.st_mode)) {
         snprintf (msg, sizeof msg, "cannot read '%s': %s", path, "it is a directory");
         return open_failed (in, msg);
      }
      if (fstat (in->fd, &stt) == 0 && S_ISREG (stt.st_mode)) {
         st->bytes_total = (int64_t) stt.st_size;
      } else {
         in->waits = true; /* a FIFO, a device */
      }
   }
   /* BQL_SRC_PAD bytes more than are ever filled, zeroed: the JSON fast
    * path parses a record at the end of the chunk in place */
   in->buf = bson_malloc0 (CHUNK + BQL_SRC_PAD);
   in->buf_readable = CHUNK + BQL_SRC_PAD;
   in->raw = bson_malloc (CHUNK);
   if (!in->waits && !in->stream) {
      /* a regular file: gzip or not is known now (a pipe or a terminal
       * is looked at when its first bytes come, on the reader's thread) */
      bool not_gzip;
      if (!detect_gzip (in, &not_gzip)) {
         if (!st->failed) {
            bql_error_t *e = &st->error; /* cancelled before the first read */
            e->domain = BQL_ERROR_EXECUTE;
            e->code = BQL_ERR_ABORTED;
            locate_at_source (plan, e);
         }
         return false;
      }
      if (not_gzip) {
         st->failed = true;
         not_gzip_error (in);
         return false;
      }
   }
   return true;
}

void
bql_input_cleanup (bql_input_t *in)
{
   if (in->zs_ready) {
      inflateEnd (&in->zs);
   }
   if (in->fd >= 0 && !in->fd_borrowed) {
      close (in->fd);
   }
   bson_free (in->raw);
   bson_free (in->buf);
   bql_buf_cleanup (&in->carry);
}
