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
 *
 * A gzip input is inflated on a thread of its own (gz_main), a few
 * chunks ahead of the thread that reads the lines; its errors are
 * reported when the reader reaches them, at the line the reader is on,
 * exactly as when it inflates itself. An input may also be chunks of
 * whole lines in memory (bql_input_mem_chunk): the parse threads of
 * parallel.c read the chunks cut from a file that way.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

#define CHUNK BQL_SRC_CHUNK
#define GZ_SLOTS 3 /* inflated chunks ahead of the reader */

typedef enum { GZ_DATA, GZ_END, GZ_FAILED, GZ_CANCELLED } gz_status_t;

/* The thread that inflates a gzip input: it owns the input's raw side
 * (fd or stream, raw, zs) once started; the reader owns buf, pos, line.
 * slots[] are handed over under mu: full says the thread filled one. */
typedef struct bql_gz_thread {
   pthread_t tid;
   pthread_mutex_t mu;
   pthread_cond_t cv;
   struct {
      char *buf;
      size_t len;
      int64_t bytes;      /* compressed bytes consumed at its end */
      gz_status_t status; /* GZ_DATA, or the end of the input after the slots before */
      bool full;
   } slots[GZ_SLOTS];
   uint64_t taken;         /* the next slot the reader takes */
   bool holding;           /* the reader holds slot taken - 1 (its buf) */
   char *own_buf;          /* the input's own buf, while buf is a slot's */
   _Atomic bool quit;      /* the input is being closed */
   /* written by the thread only, read after it reported GZ_FAILED */
   bool failed, cancelled;
   char msg[600];
} bql_gz_thread_t;

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

/* A fatal error while reading the input, at the line after the last one
 * cut. On the inflating thread it is kept for the reader, which reports
 * it when it reaches it (at its own line). Returns false. */
static bool read_fatal (bql_input_t *in, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static bool
read_fatal (bql_input_t *in, const char *fmt, ...)
{
   char msg[sizeof in->gz->msg];
   va_list ap;
   va_start (ap, fmt);
   vsnprintf (msg, sizeof msg, fmt, ap);
   va_end (ap);
   if (in->gz) {
      snprintf (in->gz->msg, sizeof in->gz->msg, "%s", msg);
      in->gz->failed = true;
      return false;
   }
   return bql_input_fatal (in, in->line + 1, "%s", msg);
}

static bool
cancel_requested (bql_input_t *in)
{
   return (in->cancel && *in->cancel) || atomic_load (in->stop ? in->stop : &in->st->stop) ||
          (in->gz && atomic_load (&in->gz->quit));
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
   if (in->gz) {
      in->gz->cancelled = true; /* on the inflating thread: the reader says it */
      return false;
   }
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
         return read_fatal (in, "cannot read: %s", strerror (errno));
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
         return in->st->cancelled || (in->gz && in->gz->cancelled) ? -2 : -1;
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
         read_fatal (in, "cannot read: %s", strerror (errno));
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
inflate_chunk (bql_input_t *in, char *out)
{
   z_stream *zs = &in->zs;
   zs->next_out = (Bytef *) out;
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
            read_fatal (in,
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
         read_fatal (in, "the gzip stream is truncated (unexpected end of file)");
         return -1;
      }
      int rc = inflate (zs, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
         in->member_end = true;
         continue;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
         read_fatal (in, "cannot read the gzip stream: %s",
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

/* The inflating thread: fills the slots in turn until the end of the
 * input, an error or a stop (each ends it, in the slot after the data). */
static void *
gz_main (void *arg)
{
   bql_input_t *in = arg;
   bql_gz_thread_t *g = in->gz;
   for (uint64_t i = 0;; i++) {
      size_t k = i % GZ_SLOTS;
      pthread_mutex_lock (&g->mu);
      while (g->slots[k].full && !atomic_load (&g->quit)) {
         pthread_cond_wait (&g->cv, &g->mu);
      }
      pthread_mutex_unlock (&g->mu);
      if (atomic_load (&g->quit)) {
         return NULL;
      }
      ssize_t n = inflate_chunk (in, g->slots[k].buf);
      g->slots[k].len = n > 0 ? (size_t) n : 0;
      g->slots[k].bytes = in->raw_total - (int64_t) in->zs.avail_in;
      g->slots[k].status = n > 0 ? GZ_DATA : n == 0 ? GZ_END : g->failed ? GZ_FAILED : GZ_CANCELLED;
      pthread_mutex_lock (&g->mu);
      g->slots[k].full = true;
      pthread_cond_broadcast (&g->cv);
      pthread_mutex_unlock (&g->mu);
      if (n <= 0) {
         return NULL;
      }
   }
}

/* Inflate on a thread of its own from now on (the input is gzip and its
 * first bytes are read). False when the thread cannot be started: the
 * reader inflates itself. */
static bool
gz_start (bql_input_t *in)
{
   bql_gz_thread_t *g = bson_malloc0 (sizeof *g);
   pthread_mutex_init (&g->mu, NULL);
   pthread_cond_init (&g->cv, NULL);
   atomic_init (&g->quit, false);
   for (int k = 0; k < GZ_SLOTS; k++) {
      g->slots[k].buf = bson_malloc0 (CHUNK + BQL_SRC_PAD); /* as in->buf: buf_readable holds */
   }
   g->own_buf = in->buf;
   in->gz = g;
   if (pthread_create (&g->tid, NULL, gz_main, in) != 0) {
      in->gz = NULL;
      for (int k = 0; k < GZ_SLOTS; k++) {
         bson_free (g->slots[k].buf);
      }
      pthread_mutex_destroy (&g->mu);
      pthread_cond_destroy (&g->cv);
      bson_free (g);
      return false;
   }
   return true;
}

/* The next inflated chunk, from the inflating thread, into buf: its
 * length, 0 at the end, -1 on an error or a stop (reported here, at the
 * reader's line). The chunk given before is handed back first. */
static ssize_t
gz_take (bql_input_t *in)
{
   bql_gz_thread_t *g = in->gz;
   pthread_mutex_lock (&g->mu);
   if (g->holding) {
      g->slots[(g->taken - 1) % GZ_SLOTS].full = false;
      g->holding = false;
      pthread_cond_broadcast (&g->cv);
   }
   size_t k = g->taken % GZ_SLOTS;
   while (!g->slots[k].full) {
      pthread_cond_wait (&g->cv, &g->mu);
   }
   pthread_mutex_unlock (&g->mu);
   in->st->bytes_read = g->slots[k].bytes;
   switch (g->slots[k].status) {
   case GZ_DATA:
      g->taken++;
      g->holding = true;
      in->buf = g->slots[k].buf;
      return (ssize_t) g->slots[k].len;
   case GZ_END:
      return 0;
   case GZ_FAILED:
      bql_input_fatal (in, in->line + 1, "%s", g->msg);
      return -1;
   case GZ_CANCELLED:
      break;
   }
   in->gz = NULL; /* cancelled() reports on this thread */
   cancelled (in);
   in->gz = g;
   return -1;
}

/* Stop the inflating thread and free what it holds. */
static void
gz_stop (bql_input_t *in)
{
   bql_gz_thread_t *g = in->gz;
   pthread_mutex_lock (&g->mu);
   atomic_store (&g->quit, true);
   pthread_cond_broadcast (&g->cv);
   pthread_mutex_unlock (&g->mu);
   pthread_join (g->tid, NULL);
   in->buf = g->own_buf;
   for (int k = 0; k < GZ_SLOTS; k++) {
      bson_free (g->slots[k].buf);
   }
   pthread_mutex_destroy (&g->mu);
   pthread_cond_destroy (&g->cv);
   bson_free (g);
   in->gz = NULL;
}

bool
bql_input_fill (bql_input_t *in)
{
   if (in->mem) {
      return in->feed && in->feed (in->feed_ctx, in);
   }
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
   if (in->gzip && (in->gz || (!in->started && gz_start (in)))) {
      n = gz_take (in);
      if (n < 0) {
         in->eof = true;
         return false;
      }
   } else if (in->gzip) {
      n = inflate_chunk (in, in->buf);
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
      if (in->oversize_next && !carrying) {
         in->oversize_next = false; /* dropped by the chunker (parallel.c) */
         in->line++;
         *line = "";
         *len = 0;
         *oversize = true;
         return true;
      }
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
         in->line_at = (size_t) (start - in->buf);
         *line = start;
         *len = n;
         in->line++;
         if (n > BQL_SRC_MAX_RECORD) {
            *oversize = true; /* a chunk in memory holds it whole: dropped as when carried */
            *len = 0;
            return true;
         }
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
   in->stop = &st->stop;
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
bql_input_mem_init (bql_input_t *in, bql_source_status_t *st, const bql_input_t *like)
{
   in->st = st;
   in->plan = like->plan;
   in->stop = like->stop;
   snprintf (in->name, sizeof in->name, "%s", like->name);
   in->fd = -1;
   in->mem = true;
   in->detected = true;
   in->started = true;
   bql_buf_init (&in->carry);
}

void
bql_input_mem_chunk (bql_input_t *in, const char *data, size_t len, size_t readable, int64_t line, bool more,
                     bool oversize)
{
   in->buf = (char *) data;
   in->len = len;
   in->buf_readable = readable;
   in->pos = 0;
   in->line = line;
   in->more = more;
   in->oversize_next = oversize;
}

void
bql_input_cleanup (bql_input_t *in)
{
   if (in->gz) {
      gz_stop (in);
   }
   if (in->mem) {
      in->buf = NULL; /* borrowed */
   }
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
