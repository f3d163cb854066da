"""What the writer no longer looks for in a row whose source knew it
(insert.c, the facts of bql_source_row_facts): libmongoc's checks of a
document to insert, and the values a server refuses.

libmongoc 1.23 refuses, on the client, a document to insert whose field
names are not all non-empty and valid UTF-8, at any level ("invalid
document for insert: empty key", code 22): the row fails, with that
message, and is never sent. BulkQL skips that walk of the document for a
row whose source checked every name the same way while building it (the
CSV typed row, the JSON fast path: BQL_ROW_NAMES_VALID), and leaves it to
libmongoc for every other row. Here, for every source and both ways a
file is parsed (one parse thread, two), rows with an empty name at every
depth fail with libmongoc's message in the reply, failed_records_file and
the batch's error record, are in no insert command on the wire, and the
server holds exactly the other rows; a dotted name (which libmongoc
takes) is sent. Unit test: tests/unit/test_json_fast.c
(test_libmongoc_insert_checks, and the facts against libmongoc's verdict
on every document of its corpus).

Likewise the writer's search for NaN, ±Infinity and Decimal128 (which
FerretDB refuses: test_nan.py, test_decimal.py) is skipped for a row its
source built with finite numbers only (BQL_ROW_FINITE); a CSV typed row
with a DECIMAL column, or a DOUBLE or JSON value the typed row leaves to
the general path, is still searched: its row fails, nothing is sent."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402
import filestest  # noqa: E402
import wiretest  # noqa: E402

EMPTY = "invalid document for insert: empty key"
DEC = ("not written: the server does not support Decimal128: field %s holds a Decimal128 "
       "(FerretDB closes the connection on one)")
NAN = ("not written: the server does not support NaN doubles: field %s holds NaN "
       "(FerretDB closes the connection on one)")


class InsertChecksTest(wiretest.WireCase, filestest.FilesCase):
    def load_rows(self, sql, refused, written, dotted, lines=None):
        """Run sql (ordered = false, continue_on_error, failed_records_file
        failed.ndjson); refused: the rows libmongoc refuses (row numbers,
        which are their _ids); written: the _ids the server must hold;
        dotted: the _id of the row with a dotted name, which must be sent."""
        r = self.wire(sql)
        self.assertEqual(r.rc, 1, r)
        [res] = r.results
        self.assertEqual([(e["row"], e["code"], e["errmsg"]) for e in res["writeErrors"]
                          if e["row"] in refused],
                         [(row, 22, EMPTY) for row in refused], res)
        lines = lines or {row: row for row in refused}
        recs = [x for x in self.failed_records() if x["row"] in refused]
        self.assertEqual([(x["row"], x["line"], x["code"], x["error"]) for x in recs],
                         [(row, lines[row], 22, EMPTY) for row in refused])
        [rec] = self.error_records()
        self.assertEqual([(w["row"], w["line"], w["code"], w["errmsg"]) for w in rec["writeErrors"]
                          if w["row"] in refused],
                         [(row, lines[row], 22, EMPTY) for row in refused])
        sent = [d["_id"] for c in self.user_writes("t") for d in c.documents]
        for row in refused:
            self.assertNotIn(row, sent)
        self.assertIn(dotted, sent)
        stored = [d["_id"] for d in self.docs("t")]
        self.assertEqual([i for i in stored if i != dotted], written)
        return res

    def next_run(self):
        """Forget the last run: its collection, error records, failed rows
        and commands."""
        self.db.drop_collection("t")
        self.db.drop_collection("bulk_operation_errors")
        if os.path.exists(self.path("failed.ndjson")):
            os.unlink(self.path("failed.ndjson"))
        self.proxy.reset()

    def with_opts(self, threads):
        return ("WITH (ordered = false, continue_on_error = true, parse_threads = %d, "
                "failed_records_file = '%s')" % (threads, self.path("failed.ndjson")))

    def test_ndjson_fast_path_and_libbson_path(self):
        p = self.write("d.ndjson", "\n".join([
            '{"_id": 1, "a": 1}',
            '{"_id": 2, "": 1}',
            '{"_id": 3, "a": {"b": {"": 1}}}',
            '{"_id": 4, "a": [1, {"": 1}]}',
            '{"_id": 5, "a.b": 1}',
            # Extended JSON that the fast path leaves to libbson's reader
            '{"_id": 6, "": {"$numberDouble": "1.5"}}',
            '{"_id": 7, "é": [{"x": "日本"}]}',
        ]) + "\n")
        for threads in (1, 2):
            with self.subTest(parse_threads=threads):
                self.load_rows("BULK INSERT INTO t FROM '%s' FORMAT NDJSON %s" % (p, self.with_opts(threads)),
                               [2, 3, 4, 6], [1, 7], 5)
                self.next_run()

    def test_json_array(self):
        p = self.write("d.json", '[{"_id": 1, "": 1},\n {"_id": 2, "a": 2},\n {"_id": 3, "a.b": 3},\n'
                                 ' {"_id": 4, "x": [[{"": 4}]]}]\n')
        self.load_rows("BULK INSERT INTO t FROM '%s' FORMAT JSON %s" % (p, self.with_opts(1)), [1, 4], [2], 3)

    def test_csv_json_column_fast_row_and_general_path(self):
        p = self.write("d.csv", "\n".join([
            "_id,t",
            '1,"{""a"":1}"',
            '2,"{"""":1}"',
            '3,"[{"""":1}]"',
            '4,"{""x"":{""y"":{"""":1}}}"',
            '5,"{""a.b"":1}"',
            # a value the fast path declines: the row is built the general way
            '6,"{"""":{""$numberDouble"":""1.5""}}"',
            '7,"[1,2]"',
        ]) + "\n")
        for threads in (1, 2):
            with self.subTest(parse_threads=threads):
                self.load_rows("BULK INSERT INTO t (_id INT, t JSON) FROM '%s' %s" % (p, self.with_opts(threads)),
                               [2, 3, 4, 6], [1, 7], 5, lines={2: 3, 3: 4, 4: 5, 6: 7})
                self.next_run()

    def test_values(self):
        r = self.wire('BULK INSERT INTO t VALUES ({"_id": 1, "": 1}), ({"_id": 2, "a": {"": 2}}), ({"_id": 3}), '
                      '({"_id": 4, "a.b": 4}) WITH (ordered = false, continue_on_error = true)')
        self.assertEqual(r.rc, 1, r)
        [res] = r.results
        self.assertEqual([(e["row"], e["code"], e["errmsg"]) for e in res["writeErrors"] if e["row"] in (1, 2)],
                         [(1, 22, EMPTY), (2, 22, EMPTY)])
        sent = [d["_id"] for c in self.user_writes("t") for d in c.documents]
        self.assertEqual(sent, [3, 4])
        self.assertIn(3, [d["_id"] for d in self.docs("t")])

    def test_ordered_stops_at_the_refused_row(self):
        p = self.write("o.csv", '_id,t\n1,"{""a"":1}"\n2,"{"""":1}"\n3,"{""a"":3}"\n')
        r = self.wire("BULK INSERT INTO t (_id INT, t JSON) FROM '%s'" % p)
        self.assertEqual(r.rc, 1, r)
        [res] = r.results
        self.assertEqual((res["nInserted"], res["nFailed"], res["nNotAttempted"]), (1, 1, 1), res)
        self.assertEqual([(e["row"], e["errmsg"]) for e in res["writeErrors"]], [(2, EMPTY)])
        self.assertEqual(self.docs("t"), [{"_id": 1, "t": {"a": 1}}])
        self.assertEqual([d["_id"] for c in self.user_writes("t") for d in c.documents], [1])

    def test_csv_typed_row_values_the_server_refuses(self):
        if "ferretdbVersion" not in self.client.admin.command("buildInfo"):
            self.skipTest("the server stores Decimal128 and NaN: the rows are sent (test_nan.py, test_decimal.py)")
        p = self.write("v.csv", "\n".join([
            "_id,d,x,t",
            '1,,1.5,"[1]"',
            '2,2.5,1.5,"[1]"',
            '3,,nan,"[1]"',
            '4,,1.5,"{""a"":{""$numberDecimal"":""1""}}"',
            '5,,2.5,"{""a"":2}"',
        ]) + "\n")
        for threads in (1, 2):
            with self.subTest(parse_threads=threads):
                r = self.wire("BULK INSERT INTO t (_id INT, d DECIMAL, x DOUBLE, t JSON) FROM '%s' %s"
                              % (p, self.with_opts(threads)))
                self.assertEqual(r.rc, 1, r)
                [res] = r.results
                self.assertEqual([(e["row"], e["code"], e["errmsg"]) for e in res["writeErrors"]],
                                 [(2, 0, DEC % "d"), (3, 0, NAN % "x"), (4, 0, DEC % "t.a")])
                self.assertEqual([d["_id"] for c in self.user_writes("t") for d in c.documents], [1, 5])
                self.assertEqual(self.docs("t"), [{"_id": 1, "d": None, "x": 1.5, "t": [1]},
                                                  {"_id": 5, "d": None, "x": 2.5, "t": {"a": 2}}])
                self.next_run()


if __name__ == "__main__":
    bqltest.main()
