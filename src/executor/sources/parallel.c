/*
 * parallel.c — parse threads (the parse_threads option): an NDJSON, CSV
 * or TSV file source read by several threads and given in order, row for
 * row as one thread reads it. Three kinds of threads share a ring of
 * chunks:
 *
 *   the chunker  reads the input (input.c: a descriptor, a stream, gzip
 *                inflated on its own thread) and cuts it into chunks of
 *                whole lines, about parse_chunk bytes each, at record
 *                boundaries (bql_chunk_scan: a newline; for CSV one
 *                outside quotes);
 *   the workers  each parse whole chunks, in the chunks' order of
 *                claiming, with a copy of the source of their own
 *                (csv.c, json.c and typing.c over the chunk as an input in
 *                memory): the rows, good or failed, with their lines and
 *                reasons, packed in the chunk;
 *   the reader   (the thread that calls bql_source_next) gives the rows
 *                of chunk after chunk in order, numbering them.
 *
 * A CSV chunk boundary is found by counting quotes, which is exact for
 * well-formed input; on input whose quoting is broken the count can be
 * wrong, so the reader checks it: a worker whose chunk ends inside a
 * record says so (the tail), and the reader then parses on from that
 * record itself, sequentially across the chunks that follow (the parse
 * of those by the workers is dropped), until a chunk ends at a record
 * boundary. What is delivered is thus always what one thread reads.
 *
 * A line longer than BQL_SRC_MAX_RECORD is dropped by the chunker, which
 * marks the next chunk as starting with it (the row fails as it does on
 * one thread). Errors of the input (a truncated gzip stream, a read
 * error) and a cancel or max_execution_time end the chunks: the reader
 * reports them after the rows before them, as one thread does. Memory:
 * the ring holds 2 chunks per worker plus 2, each its bytes and its rows.
 */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "file.h"

#define CHUNK_BYTES (256 * 1024)     /* a chunk's bytes, about */
#define CHUNK_BUDGET (2 * 1024 * 1024) /* what one thread's chunks may take */

typedef enum { CH_FREE, CH_CUT, CH_PARSING, CH_PARSED } chunk_state_t;

/* One chunk of the ring: the chunker owns it while FREE, a worker while
 * PARSING, the reader once PARSED; the state changes under mu. */
typedef struct {
   chunk_state_t state;
   int64_t seq;          /* its number, from 0 */
   bql_buf_t data;       /* whole lines (the last chunk may end without a newline) */
   int64_t first_line;   /* the line of its first byte */
   bool oversize_first;  /* a line longer than BQL_SRC_MAX_RECORD comes first (dropped) */
   bool more;            /* the input goes on after it */
   bool terminal;        /* no data: the input ended or stopped here (chunk_st says which) */
   int64_t bytes_read;   /* of the input, at its end */
   /* the parse */
   bql_buf_t rows;       /* row_head_t, reason, document; row after row */
   size_t nrows;
   bool tail;            /* CSV: it ends inside the record that starts at tail_at */
   size_t tail_at;
   int64_t tail_line;
   bool fatal;           /* the parse stopped after the rows: error */
   bql_error_t error;
} chunk_t;

typedef struct {
   int16_t rc;           /* BQL_ROW_OK or BQL_ROW_FAILED */
   int16_t has_id;       /* the document has an _id: 1, 0, or -1 unknown (bql_source_row_has_id) */
   uint32_t facts;       /* bql_source_row_facts */
   uint32_t why_len;     /* the reason's bytes, without a NUL */
   uint32_t doc_len;     /* the document's bytes (0: none) */
   int64_t line;
} row_head_t;

typedef struct bql_parallel bql_parallel_t;

typedef struct {
   bql_parallel_t *p;
   pthread_t tid;
   bool started;
   bql_file_source_t pc; /* the worker's copy of the source */
   bql_source_status_t st;
   bson_t doc;
} worker_t;

struct bql_parallel {
   bql_file_source_t *f;   /* the source: its input is the chunker's */
   bool csv;
   char quote;             /* CSV's quote character; 0 for NDJSON */
   size_t target;          /* a chunk's bytes, about */
   chunk_t *chunks;
   size_t nchunks;
   pthread_mutex_t mu;
   pthread_cond_t cv;
   bool quit;              /* the source is closed: every thread ends */
   int64_t next_parse;     /* the next chunk a worker claims (under mu) */
   worker_t *workers;
   int nworkers;
   pthread_t chunker;
   bool chunker_started;

   /* the chunker's */
   bql_source_status_t chunk_st; /* its input's status (failed, cancelled, error) */
   bql_buf_t left;         /* bytes read after the last cut */
   bool dropping;          /* dropping a line longer than BQL_SRC_MAX_RECORD */
   bool oversize_pending;  /* ... which the next chunk starts with */
   int64_t line;           /* lines before the next chunk */

   /* the reader's */
   chunk_t *cur;           /* the chunk whose rows are being given */
   size_t cur_off, cur_left;
   int64_t next_take;      /* the next chunk to give */
   chunk_t *pending;       /* the terminal chunk, taken by fb_feed */
   bool fb_on;             /* parsing here, sequentially (after a tail) */
   bql_file_source_t fb;
   bql_source_status_t fb_st;
   chunk_t *fb_chunk;      /* the chunk fb reads */
   bql_buf_t fb_tail;      /* the record a chunk ended inside, from its start */
   bool done;
   bql_row_rc_t done_rc;
};

/* ---- boundaries ---- */

/* Does the word v hold a byte equal to the byte repeated in pat? */
static inline uint64_t
has_byte (uint64_t v, uint64_t pat)
{
   uint64_t x = v ^ pat;
   return (x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull;
}

void
bql_chunk_scan (bql_chunk_scan_t *sc, const char *data, size_t len, char quote)
{
   const uint64_t nl8 = 0x0101010101010101ull * (unsigned char) '\n';
   const uint64_t q8 = 0x0101010101010101ull * (unsigned char) quote;
   size_t i = sc->at;
   while (i < len) {
      /* 8 bytes without a newline or a quote at once */
      if (i + 8 <= len) {
         uint64_t v;
         memcpy (&v, data + i, 8);
         if (!has_byte (v, nl8) && !(quote && has_byte (v, q8))) {
            i += 8;
            continue;
         }
      }
      size_t end = i + 8 <= len ? i + 8 : len;
      for (; i < end; i++) {
         char c = data[i];
         if (c == '\n') {
            sc->lines++;
            sc->nl = i + 1;
            sc->nl_lines = sc->lines;
            if (!sc->quoted) {
               sc->cut = i + 1;
               sc->cut_lines = sc->lines;
            }
         } else if (quote && c == quote) {
            sc->quoted = !sc->quoted;
         }
      }
   }
   sc->at = len;
}

/* ---- the ring ---- */

static void
set_state (bql_parallel_t *p, chunk_t *c, chunk_state_t state)
{
   pthread_mutex_lock (&p->mu);
   c->state = state;
   pthread_cond_broadcast (&p->cv);
   pthread_mutex_unlock (&p->mu);
}

/* The reader is done with c: the chunker may cut into it again. */
static void
release (bql_parallel_t *p, chunk_t *c)
{
   if (c->rows.cap > 8 * p->target) {
      bql_buf_cleanup (&c->rows); /* a chunk of huge rows gives its memory back */
      bql_buf_init (&c->rows);
   }
   if (c->data.cap > 8 * p->target) {
      bql_buf_cleanup (&c->data);
      bql_buf_init (&c->data);
   }
   set_state (p, c, CH_FREE);
}

/* The reader takes the next chunk, once parsed. */
static chunk_t *
take (bql_parallel_t *p)
{
   chunk_t *c = &p->chunks[p->next_take % (int64_t) p->nchunks];
   pthread_mutex_lock (&p->mu);
   while (!(c->state == CH_PARSED && c->seq == p->next_take)) {
      pthread_cond_wait (&p->cv, &p->mu);
   }
   pthread_mutex_unlock (&p->mu);
   p->next_take++;
   return c;
}

/* ---- the chunker ---- */

/* Cut the next chunk into c: whole lines, about target bytes, ending at a
 * record boundary; or, when nothing is left, the terminal chunk. */
static void
cut (bql_parallel_t *p, chunk_t *c)
{
   bql_input_t *in = &p->f->in;
   bql_buf_reset (&c->data);
   bql_buf_reset (&c->rows);
   c->nrows = 0;
   c->tail = c->fatal = c->terminal = false;
   c->first_line = p->line + 1;
   c->oversize_first = p->oversize_pending;
   p->oversize_pending = false;
   c->more = true;
   bql_buf_append (&c->data, p->left.data, p->left.len);
   bql_buf_reset (&p->left);
   bql_chunk_scan_t sc = {0};
   size_t at = 0;          /* where the chunk ends */
   int64_t lines = 0;      /* newlines before at */
   bool input_end = false; /* the input ended or stopped */
   for (;;) {
      if (p->dropping) {
         /* the rest of a line longer than BQL_SRC_MAX_RECORD (c is empty) */
         in->line = p->line;
         if (in->pos >= in->len && !bql_input_fill (in)) {
            p->dropping = false;
            c->oversize_first = !bql_input_stopped (in); /* the last line, without a newline */
            c->more = false;
            input_end = true;
            break;
         }
         const char *nl = memchr (in->buf + in->pos, '\n', in->len - in->pos);
         in->pos = nl ? (size_t) (nl - in->buf) + 1 : in->len;
         if (nl) {
            p->dropping = false;
            c->oversize_first = true;
         }
         continue;
      }
      bql_chunk_scan (&sc, c->data.data, c->data.len, p->quote);
      bool drained = in->pos >= in->len;
      bool streaming = (in->waits || in->stream) && drained; /* a pipe: give what came */
      if (sc.cut && (c->data.len >= p->target || streaming)) {
         at = sc.cut;
         lines = sc.cut_lines;
         break;
      }
      if (!sc.cut && sc.nl && (c->data.len >= 4 * p->target || streaming)) {
         /* no boundary by the quotes: any line end (a tail, if wrong) */
         at = sc.nl;
         lines = sc.nl_lines;
         break;
      }
      if (c->data.len - sc.nl > BQL_SRC_MAX_RECORD) {
         /* the line being read is too long: its bytes are dropped */
         p->dropping = true;
         c->data.len = sc.nl;
         if (sc.nl || c->oversize_first) {
            at = sc.nl;
            lines = sc.nl_lines;
            p->oversize_pending = true;
            break;
         }
         sc = (bql_chunk_scan_t) {0};
         continue;
      }
      if (drained) {
         in->line = p->line + (c->oversize_first ? 1 : 0) + sc.lines; /* for an error of the input */
      }
      if (drained && !bql_input_fill (in)) {
         input_end = true;
         if (bql_input_stopped (in)) {
            at = sc.nl; /* a line cut short by the error is no line */
            lines = sc.nl_lines;
         } else {
            c->more = false; /* the last line may have no newline */
            at = c->data.len;
            lines = sc.lines;
         }
         break;
      }
      size_t avail = in->len - in->pos;
      size_t room = c->data.len < p->target ? p->target - c->data.len : p->target;
      size_t n = avail < room ? avail : room;
      bql_buf_append (&c->data, in->buf + in->pos, n);
      in->pos += n;
      if (c->data.oom) {
         bql_input_fatal (in, p->line + 1, "out of memory");
         c->data.len = 0;
         c->oversize_first = false;
         input_end = true;
         break;
      }
   }
   if (at < c->data.len) {
      bql_buf_append (&p->left, c->data.data + at, c->data.len - at);
      c->data.len = at;
   }
   p->line += lines + (c->oversize_first ? 1 : 0);
   bql_buf_reserve (&c->data, BQL_SRC_PAD); /* readable after the data: the JSON fast path parses in place */
   bql_input_progress (in);
   c->bytes_read = in->st->bytes_read - (in->gzip ? 0 : (int64_t) p->left.len);
   c->terminal = input_end && c->data.len == 0 && !c->oversize_first;
}

static void *
chunker_main (void *arg)
{
   bql_parallel_t *p = arg;
   for (int64_t seq = 0;; seq++) {
      chunk_t *c = &p->chunks[seq % (int64_t) p->nchunks];
      pthread_mutex_lock (&p->mu);
      while (c->state != CH_FREE && !p->quit) {
         pthread_cond_wait (&p->cv, &p->mu);
      }
      bool quit = p->quit;
      pthread_mutex_unlock (&p->mu);
      if (quit) {
         return NULL;
      }
      cut (p, c);
      pthread_mutex_lock (&p->mu);
      c->seq = seq;
      c->state = CH_CUT;
      pthread_cond_broadcast (&p->cv);
      pthread_mutex_unlock (&p->mu);
      if (c->terminal) {
         return NULL;
      }
   }
}

/* ---- the workers ---- */

/* Keep a row of chunk c: its code, line, reason and document. */
static void
put_row (chunk_t *c, bql_row_rc_t rc, int has_id, unsigned facts, int64_t line, const char *why, const bson_t *doc)
{
   row_head_t h = {.rc = (int16_t) rc, .has_id = (int16_t) has_id, .facts = facts, .line = line};
   h.why_len = rc == BQL_ROW_FAILED ? (uint32_t) strlen (why) : 0;
   h.doc_len = doc->len > 5 ? doc->len : 0;
   bql_buf_append (&c->rows, &h, sizeof h);
   bql_buf_append (&c->rows, why, h.why_len);
   if (h.doc_len) {
      bql_buf_append (&c->rows, bson_get_data (doc), h.doc_len);
   }
   c->nrows++;
}

/* Parse chunk c with the worker's copy of the source: every row into
 * c->rows; a CSV chunk that ends inside a record says where it starts. */
static void
parse (worker_t *w, chunk_t *c)
{
   bql_parallel_t *p = w->p;
   bql_file_source_t *pc = &w->pc;
   w->st.failed = w->st.cancelled = false;
   bql_input_mem_chunk (&pc->in, c->data.data, c->data.len, c->data.cap >= c->data.len + BQL_SRC_PAD ? c->data.len + BQL_SRC_PAD : 0,
                        c->first_line - 1, c->more, c->oversize_first);
   if (p->csv) {
      bql_csv_chunk_start (pc);
   } else {
      pc->json.input_done = false;
   }
   for (;;) {
      bson_reinit (&w->doc);
      bql_row_rc_t rc = p->csv ? bql_csv_next (pc, &w->doc) : bql_json_next (pc, &w->doc);
      if (rc == BQL_ROW_END) {
         if (p->csv && pc->csv.tail) {
            c->tail = true;
            c->tail_at = pc->csv.row_at;
            c->tail_line = pc->csv.row_line;
         }
         break;
      }
      if (rc == BQL_ROW_ERROR) {
         c->fatal = true;
         c->error = w->st.error;
         break;
      }
      /* known from the JSON fast path's build or csv_row.c's, as file.c
       * says it */
      int has_id = p->csv ? pc->csv.row_has_id : pc->json.facts.built && !pc->typed ? pc->json.facts.has_id : -1;
      unsigned facts = bql_file_row_facts (pc, !p->csv);
      if (rc == BQL_ROW_OK) {
         rc = bql_typing_check_row (pc, &w->doc, !p->csv);
      }
      put_row (c, rc, has_id, facts, pc->rowline, pc->why, &w->doc);
   }
   if (c->rows.oom) {
      bql_buf_reset (&c->rows);
      c->nrows = 0;
      c->fatal = true;
      bql_input_fatal (&pc->in, c->first_line, "out of memory");
      c->error = w->st.error;
   }
}

static void *
worker_main (void *arg)
{
   worker_t *w = arg;
   bql_parallel_t *p = w->p;
   for (;;) {
      pthread_mutex_lock (&p->mu);
      chunk_t *c = &p->chunks[p->next_parse % (int64_t) p->nchunks];
      while (!p->quit && !(c->state == CH_CUT && c->seq == p->next_parse)) {
         pthread_cond_wait (&p->cv, &p->mu);
         c = &p->chunks[p->next_parse % (int64_t) p->nchunks];
      }
      if (p->quit) {
         pthread_mutex_unlock (&p->mu);
         return NULL;
      }
      c->state = CH_PARSING;
      p->next_parse++;
      pthread_mutex_unlock (&p->mu);
      if (!c->terminal) {
         parse (w, c);
      }
      set_state (p, c, CH_PARSED);
   }
}

/* A copy of f for a thread that parses chunks (a worker, or the reader's
 * fb): f's plan, options, columns and row context, shared read-only, and
 * an input in memory reporting to st. */
static void
copy_source (const bql_file_source_t *f, bql_file_source_t *pc, bql_source_status_t *st)
{
   memset (pc, 0, sizeof *pc);
   memset (st, 0, sizeof *st);
   st->bytes_total = -1;
   st->rows_total = -1;
   atomic_init (&st->stop, false);
   pc->st = st;
   pc->plan = f->plan;
   pc->fo = f->fo;
   pc->cols = f->cols;
   pc->typed = f->typed;
   pc->json_cols = f->json_cols;
   pc->rc = f->rc;
   bql_input_mem_init (&pc->in, st, &f->in);
   if (f->fo.format == BQL_FMT_CSV || f->fo.format == BQL_FMT_TSV) {
      bql_csv_init_copy (pc, f);
   }
}

static void
free_copy (bql_file_source_t *pc)
{
   bql_input_cleanup (&pc->in);
   bql_csv_cleanup (&pc->csv);
   bql_json_cleanup (&pc->json);
}

/* ---- the reader ---- */

/* The end of the rows: the chunker's status (the input's end, error or
 * stop) becomes the source's. */
static bql_row_rc_t
finish (bql_parallel_t *p, const bql_source_status_t *from)
{
   bql_source_status_t *st = p->f->st;
   st->failed = from->failed;
   st->cancelled = from->cancelled;
   if (from->failed || from->cancelled) {
      st->error = from->error;
   }
   p->done = true;
   p->done_rc = from->failed || from->cancelled ? BQL_ROW_ERROR : BQL_ROW_END;
   return p->done_rc;
}

/* fb's input is spent: while fb is inside a record, the next chunk (its
 * workers' rows are dropped); at a record boundary, fb is done. */
static bool
fb_feed (void *ctx, bql_input_t *in)
{
   bql_parallel_t *p = ctx;
   if (!p->fb.csv.in_row || p->pending) {
      return false;
   }
   if (p->fb_chunk) {
      release (p, p->fb_chunk);
      p->fb_chunk = NULL;
   }
   chunk_t *c = take (p);
   if (c->terminal) {
      p->pending = c;
      if (p->chunk_st.failed || p->chunk_st.cancelled) {
         p->fb_st.failed = true; /* stopped: the record is no row (finish says why) */
      } else {
         in->more = false; /* the end of the input: the record ends here */
      }
      return false;
   }
   bql_input_mem_chunk (in, c->data.data, c->data.len, 0, c->first_line - 1, c->more, c->oversize_first);
   p->f->st->bytes_read = c->bytes_read;
   p->fb_chunk = c;
   return true;
}

/* A row of fb's, or its end. */
static bql_row_rc_t
fb_next (bql_parallel_t *p, bson_t *doc)
{
   bql_file_source_t *f = p->f, *fb = &p->fb;
   bql_row_rc_t rc = bql_csv_next (fb, doc);
   if (rc == BQL_ROW_END) {
      return rc;
   }
   f->st->row_id = fb->csv.row_has_id;
   f->st->row_facts = bql_file_row_facts (fb, false);
   if (rc == BQL_ROW_ERROR) {
      return finish (p, p->pending && (p->chunk_st.failed || p->chunk_st.cancelled) ? &p->chunk_st : &p->fb_st);
   }
   if (rc == BQL_ROW_OK) {
      rc = bql_typing_check_row (fb, doc, false);
   }
   f->rownum++;
   f->rowline = fb->rowline;
   if (rc == BQL_ROW_FAILED) {
      memcpy (f->why, fb->why, sizeof f->why);
   }
   return rc;
}

/* The next row of p->cur. */
static bql_row_rc_t
deliver (bql_parallel_t *p, bson_t *doc)
{
   bql_file_source_t *f = p->f;
   chunk_t *c = p->cur;
   row_head_t h;
   memcpy (&h, c->rows.data + p->cur_off, sizeof h);
   const char *why = c->rows.data + p->cur_off + sizeof h;
   const uint8_t *data = (const uint8_t *) why + h.why_len;
   p->cur_off += sizeof h + h.why_len + h.doc_len;
   p->cur_left--;
   f->rownum++;
   f->rowline = h.line;
   f->st->row_id = h.has_id;
   f->st->row_facts = h.facts;
   if (h.rc == BQL_ROW_FAILED) {
      size_t n = h.why_len < sizeof f->why - 1 ? h.why_len : sizeof f->why - 1;
      memcpy (f->why, why, n);
      f->why[n] = '\0';
   }
   if (h.doc_len) {
      bson_t view;
      if (bson_init_static (&view, data, h.doc_len)) {
         bson_concat (doc, &view);
      }
   }
   return (bql_row_rc_t) h.rc;
}

bql_row_rc_t
bql_parallel_next (bql_parallel_t *p, bson_t *doc)
{
   for (;;) {
      if (p->done) {
         return p->done_rc;
      }
      if (p->fb_on) {
         bql_row_rc_t rc = fb_next (p, doc);
         if (rc != BQL_ROW_END) {
            return rc;
         }
         p->fb_on = false;
         if (p->fb_chunk) {
            release (p, p->fb_chunk);
            p->fb_chunk = NULL;
         }
         continue;
      }
      if (p->cur && p->cur_left > 0) {
         return deliver (p, doc);
      }
      if (p->cur) {
         chunk_t *c = p->cur;
         p->cur = NULL;
         if (c->fatal) {
            bql_source_status_t from = {.failed = true, .error = c->error};
            release (p, c);
            return finish (p, &from);
         }
         if (c->tail) {
            /* the chunk ends inside a record: parse on from its start here */
            bql_buf_reset (&p->fb_tail);
            bql_buf_append (&p->fb_tail, c->data.data + c->tail_at, c->data.len - c->tail_at);
            bql_input_mem_chunk (&p->fb.in, p->fb_tail.data, p->fb_tail.len, 0, c->tail_line - 1, true, false);
            bql_csv_chunk_start (&p->fb);
            p->fb_on = true;
         }
         release (p, c);
         continue;
      }
      chunk_t *c = p->pending ? p->pending : take (p);
      p->f->st->bytes_read = c->bytes_read;
      if (c->terminal) {
         p->pending = NULL;
         release (p, c);
         return finish (p, &p->chunk_st);
      }
      p->cur = c;
      p->cur_off = 0;
      p->cur_left = c->nrows;
   }
}

/* ---- starting and stopping ---- */

int
bql_parallel_threads (const bql_plan_t *plan, bql_format_t format)
{
   if (format == BQL_FMT_JSON) {
      return 1;
   }
   int64_t n = plan->opts.parse_threads;
   if (n <= 0) {
      n = plan->cores > 0 ? plan->cores : 1; /* counted when the plan was made */
   }
   /* a quarter of memory_limit for the chunks (the batches have it all) */
   int64_t most = plan->opts.memory_limit / 4 / CHUNK_BUDGET;
   if (plan->opts.memory_limit > 0 && n > most) {
      n = most;
   }
   return n < 1 ? 1 : n > 64 ? 64 : (int) n;
}

void
bql_parallel_close (bql_parallel_t *p)
{
   if (!p) {
      return;
   }
   pthread_mutex_lock (&p->mu);
   p->quit = true;
   pthread_cond_broadcast (&p->cv);
   pthread_mutex_unlock (&p->mu);
   atomic_store (&p->f->st->stop, true); /* a chunker waiting for input */
   if (p->chunker_started) {
      pthread_join (p->chunker, NULL);
   }
   for (int i = 0; i < p->nworkers; i++) {
      worker_t *w = &p->workers[i];
      if (w->started) {
         pthread_join (w->tid, NULL);
      }
      free_copy (&w->pc);
      bson_destroy (&w->doc);
   }
   bson_free (p->workers);
   for (size_t i = 0; i < p->nchunks; i++) {
      bql_buf_cleanup (&p->chunks[i].data);
      bql_buf_cleanup (&p->chunks[i].rows);
   }
   bson_free (p->chunks);
   free_copy (&p->fb);
   bql_buf_cleanup (&p->fb_tail);
   bql_buf_cleanup (&p->left);
   p->f->in.st = p->f->st;
   pthread_mutex_destroy (&p->mu);
   pthread_cond_destroy (&p->cv);
   bson_free (p);
}

int
bql_parallel_workers (const bql_parallel_t *p)
{
   int n = 0;
   for (int i = 0; i < p->nworkers; i++) {
      n += p->workers[i].started;
   }
   return n;
}

bql_parallel_t *
bql_parallel_start (bql_file_source_t *f, int threads, size_t chunk_bytes)
{
   bql_parallel_t *p = bson_malloc0 (sizeof *p);
   p->f = f;
   p->csv = f->fo.format == BQL_FMT_CSV || f->fo.format == BQL_FMT_TSV;
   p->quote = p->csv ? f->fo.quote : 0;
   p->target = chunk_bytes ? chunk_bytes : CHUNK_BYTES;
   p->nchunks = 2 * (size_t) threads + 2;
   p->chunks = bson_malloc0 (sizeof *p->chunks * p->nchunks);
   for (size_t i = 0; i < p->nchunks; i++) {
      p->chunks[i].seq = -1;
      bql_buf_init (&p->chunks[i].data);
      bql_buf_init (&p->chunks[i].rows);
   }
   pthread_mutex_init (&p->mu, NULL);
   pthread_cond_init (&p->cv, NULL);
   bql_buf_init (&p->left);
   bql_buf_init (&p->fb_tail);
   p->line = f->in.line;
   copy_source (f, &p->fb, &p->fb_st);
   p->fb.in.feed = fb_feed;
   p->fb.in.feed_ctx = p;
   p->workers = bson_malloc0 (sizeof *p->workers * (size_t) threads);
   p->nworkers = threads;
   bool any = false;
   for (int i = 0; i < threads; i++) {
      worker_t *w = &p->workers[i];
      w->p = p;
      bson_init (&w->doc);
      copy_source (f, &w->pc, &w->st);
      w->started = pthread_create (&w->tid, NULL, worker_main, w) == 0;
      any = any || w->started;
   }
   /* the chunker reads f's input from here on, reporting to chunk_st */
   atomic_init (&p->chunk_st.stop, false);
   p->chunk_st.bytes_read = f->st->bytes_read;
   p->chunk_st.bytes_total = f->st->bytes_total;
   p->chunk_st.rows_total = f->st->rows_total;
   f->in.st = &p->chunk_st;
   p->chunker_started = any && pthread_create (&p->chunker, NULL, chunker_main, p) == 0;
   if (!p->chunker_started) {
      bql_parallel_close (p); /* the source reads on one thread */
      atomic_store (&f->st->stop, false);
      return NULL;
   }
   return p;
}
