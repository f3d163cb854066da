"""Parse threads (parse_threads, issue 16 item 3): an NDJSON or CSV input
cut into chunks and parsed on several threads loads exactly what one
thread loads. Messy files of a few MB (several 256 KiB chunks: bad
documents, '$' keys, CHECK, typing failures, quoted fields with newlines,
CRLF, bad quoting, blank lines, gzip) are loaded with parse_threads = 1
and = 4 into two collections: the documents read back (pymongo), the
replies and the failed rows with their row numbers, lines and reasons
must be the same. With ordered = true the batches go out in input order
(on the wire) and the load stops at the same row."""
import os
import random
import sys

import bson

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import filestest  # noqa: E402
import wiretest  # noqa: E402

# reply fields that depend on time or identity, not on what was read
VOLATILE = ("operationId", "elapsedMs", "docsPerSec", "startedAt")


def messy_ndjson(n, seed):
    """n lines of NDJSON with failures sprinkled in (about 140 bytes a line)."""
    rnd = random.Random(seed)
    out = []
    for i in range(1, n + 1):
        k = rnd.randrange(100)
        if k == 0:
            out.append('{"_id": %d, "v": }' % i)  # not JSON
        elif k == 1:
            out.append('{"_id": %d, "$bad": 1}' % i)  # a '$' key
        elif k == 2:
            out.append("")  # blank
        elif k == 3:
            out.append('{"_id": %d, "n": -%d, "s": "negative"}' % (i, i))  # fails CHECK
        elif k == 4:
            out.append('{"_id": %d, "n": "x%d"}' % (i, i))  # fails the INT column
        elif k == 5:
            out.append('   ')
        else:
            out.append('{"_id": %d, "n": %d, "s": "%s", "d": {"$date": "2024-01-%02dT00:00:00Z"}, '
                       '"a": [%d, {"x": "%s"}]}%s'
                       % (i, i, "".join(rnd.choice("abcdefgh\u00e9") for _ in range(rnd.randrange(5, 60))),
                          1 + i % 28, i % 7, "y" * rnd.randrange(3), "\r" if k < 20 else ""))
    return "\n".join(out) + ("\n" if seed % 2 else "")


def messy_csv(n, seed):
    """A header and n records of CSV, some spanning lines, some broken."""
    rnd = random.Random(seed)
    out = ["id,name,n,note"]
    for i in range(1, n + 1):
        k = rnd.randrange(100)
        if k == 0:
            out.append('%d,x"y,%d,bad quoting' % (i, i))
        elif k == 1:
            out.append('%d,"two\nlines, ""quoted""",%d,"and\r\nthree"' % (i, i))
        elif k == 2:
            out.append('%d,too,many,fields,%d' % (i, i))
        elif k == 3:
            out.append('%d,name,notanumber,x' % i)
        elif k == 4:
            out.append("")
        elif k == 5:
            out.append('%d,"a\n\n""\n",%d,"b,\nc"\r' % (i, i))
        else:
            out.append('%d,%s,%d,%s%s' % (i, "".join(rnd.choice("abcdefgh") for _ in range(rnd.randrange(3, 40))),
                                          i * 3, "note %d" % i, "\r" if k < 30 else ""))
    return "\n".join(out) + "\n"


class ParseThreadsTest(filestest.FilesCase, wiretest.WireCase):
    def load_both(self, name, sql_fmt, data_ids, extra=", continue_on_error = true"):
        """Load the file name with sql_fmt (its {coll}, {path}, {opts})
        on 1 and on 4 parse threads; the two replies, failed rows and
        documents, which must be the same."""
        got = []
        for threads in (1, 4):
            coll = "c%d" % threads
            failed = "failed_%s_%d.ndjson" % (name, threads)
            opts = "parse_threads = %d, failed_records_file = '%s'%s" % (threads, self.path(failed), extra)
            reply = self.load(sql_fmt.format(coll=coll, path=self.path(name), opts=opts), rc=1)
            for k in VOLATILE:
                reply.pop(k, None)
            self.assertEqual(reply.pop("namespace"), "%s.%s" % (self.dbname, sql_fmt.split()[3].format(coll=coll)))
            records = self.failed_records(failed)
            for rec in records:
                rec.pop("timestamp", None)
                rec.pop("operationId", None)
            # in insertion order (the _ids the client gave are increasing);
            # without the _ids the client gave, which differ between runs
            docs = list(self.db[sql_fmt.split()[3].format(coll=coll)].find({}, {"_id": int(data_ids)}).sort("_id", 1))
            got.append((reply, records, docs))
        (r1, f1, d1), (r4, f4, d4) = got
        self.assertEqual(r4, r1)
        self.same_list(f4, f1)
        self.same_list(d4, d1)
        return got[0]

    def same_list(self, got, want):
        """got == want, showing the first element that differs (a diff
        of two lists of thousands of documents takes for ever)."""
        for i, (g, w) in enumerate(zip(got, want)):
            self.assertEqual(g, w, "element %d" % i)
        self.assertEqual(len(got), len(want))

    def test_messy_ndjson_loads_the_same_on_4_threads(self):
        for seed in (1, 2):
            with self.subTest(seed=seed):
                self.write("m%d.ndjson" % seed, messy_ndjson(8000, seed))
                reply, failed, docs = self.load_both(
                    "m%d.ndjson" % seed,
                    "BULK INSERT INTO {coll}_%d (_id, n INT) FROM '{path}' CHECK (n > 0) "
                    "WITH (ordered = false, {opts})" % seed, True)
                # the failures are there, with their lines
                self.assertGreater(len(failed), 200)
                self.assertEqual(reply["nFailed"], len(failed))
                self.assertEqual(reply["nInserted"], len(docs))
                self.assertGreater(len(docs), 6000)
                # each failed row names the line it is on
                lines = messy_ndjson(8000, seed).split("\n")
                for rec in failed:
                    line = int(rec["error"].split(":")[0].split(",")[0].split()[1])
                    self.assertRegex(lines[line - 1], r'"_id": \d+, ("v": }|"\$bad"|"n": (-|"x))', rec)

    def test_messy_csv_and_gzip_load_the_same_on_4_threads(self):
        text = messy_csv(20000, 3)
        for gz in (False, True):
            with self.subTest(gzip=gz):
                name = "m.csv.gz" if gz else "m.csv"
                self.write(name, text, gz=gz)
                reply, failed, docs = self.load_both(
                    name, "BULK INSERT INTO {coll}_%d (id INT, n INT) FROM '{path}' FORMAT CSV "
                    "WITH (ordered = false, {opts})" % gz, False)
                self.assertGreater(len(failed), 200)
                self.assertEqual(reply["nFailed"], len(failed))
                self.assertGreater(len(docs), 6000)
                # a record spanning lines came through whole
                multi = [d for d in docs if "\n" in d["name"]]
                self.assertGreater(len(multi), 50)
                self.assertIn('two\nlines, "quoted"', [d["name"] for d in multi])

    def test_ordered_batches_go_out_in_input_order_and_stop_at_the_same_row(self):
        # _id 1..20000 with a duplicate of _id 5 at row 12345: ordered = true
        # sends rows 1..12500 in order, batch after batch, and stops at the
        # batch of the duplicate (what the server stores of that batch
        # after the duplicate is the server's: the same for both)
        lines = ['{"_id": %d, "v": "%s"}' % (i, "x" * (i % 50)) for i in range(1, 20001)]
        lines[12344] = '{"_id": 5, "v": "dup"}'
        self.write("o.ndjson", "\n".join(lines) + "\n")
        replies = []
        for threads in (1, 4):
            coll = "o%d" % threads
            self.proxy.reset()
            r = self.wire("BULK INSERT INTO %s FROM '%s' WITH (ordered = true, batch_size = 500, parse_threads = %d)"
                          % (coll, self.path("o.ndjson"), threads))
            self.assertEqual(r.rc, 1, r)
            reply = r.results[0]
            for k in VOLATILE:
                reply.pop(k, None)
            replies.append(reply)
            self.assertGreaterEqual(reply["nInserted"], 12344)
            self.assertEqual([(e["row"], e["code"]) for e in reply["writeErrors"]], [(12345, 11000)])
            sent = [d["_id"] for c in self.user_writes(coll) for d in c.documents]
            self.assertEqual(sent[:12344], list(range(1, 12345)))
            self.assertEqual(sent[12344], 5)
            self.assertEqual(len(sent), 12500)  # the batch of the duplicate was sent whole
            self.assertTrue(all(c.body["ordered"] for c in self.user_writes(coll)))
            stored = [d["_id"] for d in self.db[coll].find({}, {"_id": 1}).sort("_id", 1)]
            self.assertEqual(stored[:12344], list(range(1, 12345)))
            self.assertEqual(len(stored), reply["nInserted"])
            replies.append(stored)
        (r1, s1), (r4, s4) = replies[0:2], replies[2:4]
        self.assertEqual(r4.pop("namespace"), "%s.o4" % self.dbname)
        self.assertEqual(r1.pop("namespace"), "%s.o1" % self.dbname)
        r4["writeErrors"][0]["errmsg"] = r4["writeErrors"][0]["errmsg"].replace(".o4", ".o1")
        self.assertEqual(r4, r1)
        self.assertEqual(s4, s1)

    def test_explain_shows_parse_threads(self):
        self.write("e.ndjson", '{"a": 1}\n')
        r = self.bulkql("--format", "json",
                        sql="EXPLAIN BULK INSERT INTO t FROM '%s' WITH (parse_threads = 3)" % self.path("e.ndjson"))
        self.assertEqual(r.rc, 0, r)
        self.assertIn('"parse_threads": {"$numberInt": "3"}', r.out)

    def test_explain_shows_the_parse_threads_a_load_runs(self):
        # parse_threads left out is null among the options (not given) and,
        # in the source, the number a load runs: the cores online (counted
        # when the statement is planned), one per 8 MB of memory_limit at
        # most; a JSON array or stream is parsed on one thread
        self.write("e.ndjson", '{"a": 1}\n')
        self.write("e.csv", "a\n1\n")
        self.write("e.json", '[{"a": 1}]\n')
        cores = os.sysconf("SC_NPROCESSORS_ONLN")
        cases = [
            ("e.ndjson", "", None, min(cores, 32)),
            ("e.csv", "", None, min(cores, 32)),
            ("e.ndjson", " WITH (memory_limit = '1TB')", None, min(cores, 64)),
            ("e.ndjson", " WITH (memory_limit = '16MB')", None, min(cores, 2)),
            ("e.ndjson", " WITH (memory_limit = '8MB')", None, 1),
            ("e.ndjson", " WITH (parse_threads = 3)", 3, 3),
            ("e.ndjson", " WITH (parse_threads = 3, memory_limit = '8MB')", 3, 1),
            ("e.json", "", None, 1),
            ("e.json", " WITH (parse_threads = 3)", 3, 1),
        ]
        for name, with_, option, threads in cases:
            with self.subTest(name=name, with_=with_):
                for explain in (("--explain",), ()):
                    sql = "BULK INSERT INTO t FROM '%s'%s" % (self.path(name), with_)
                    if not explain:
                        sql = "EXPLAIN " + sql
                    r = self.bulkql("--format", "json", *explain, sql=sql)
                    self.assertEqual(r.rc, 0, r)
                    plan = bson.json_util.loads(r.out)
                    self.assertEqual(plan["options"]["parse_threads"], option)
                    self.assertEqual(plan["source"]["parse_threads"], threads)


if __name__ == "__main__":
    import bqltest
    bqltest.main()
