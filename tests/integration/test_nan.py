"""NaN and ±Infinity in the data (caps.c bql_caps_refuses_double). MongoDB
stores both, and BulkQL sends them as they are to a server that takes
them. A server that closes the connection on a NaN (FerretDB: any NaN
anywhere in a command) is found by one probe per connection, on a
connection of its own (a find of {_id: NaN}), and one that stores no
±Infinity (FerretDB: a row refused, or the whole insert command when the
value is in an array) by its build; there, exactly the rows holding such
a value, at any depth, fail with an error naming the missing feature, in
the reply, failed_records_file and the batch's error record, and the rest
of the batch is written: no lost connection, no retries. ordered = true
stops at the first such row, as at a server's write error.

Every test reads the server's documents back (pymongo) and looks at the
wire (recording proxy): no command of the statement carries the value.
The tests of the refusals run against a server that lacks the feature;
NanSentTest poses, through the proxy, as a server that stores both and
checks that the values are sent as they are."""
import json
import math
import os
import sys

import bson
import bson.json_util

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402
import filestest  # noqa: E402
import wiretest  # noqa: E402
from wireproxy import matcher  # noqa: E402

NAN = ("not written: the server does not support NaN doubles: field %s holds NaN "
       "(FerretDB closes the connection on one)")
HANDSHAKE = ("hello", "isMaster", "ismaster", "saslStart", "saslContinue", "endSessions")
INF = ("not written: the server does not support infinite doubles (Infinity, -Infinity): field %s holds %s "
       "(FerretDB stores none)")


def canonical(doc):
    """doc as canonical Extended JSON (NaN compares equal to NaN there)."""
    return json.loads(bson.json_util.dumps(doc, json_options=bson.json_util.CANONICAL_JSON_OPTIONS))


def holds_nonfinite(value):
    """Does a decoded document (or value) hold NaN or ±Infinity anywhere?"""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(holds_nonfinite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(holds_nonfinite(v) for v in value)
    return False


def is_nan_probe(cmd):
    f = cmd.body.get("filter") if cmd.name == "find" else None
    return isinstance(f, dict) and isinstance(f.get("_id"), float) and math.isnan(f["_id"])


class NanCase(wiretest.WireCase, filestest.FilesCase):
    def setUp(self):
        super().setUp()
        if "ferretdbVersion" not in self.client.admin.command("buildInfo"):
            self.skipTest("the server stores NaN and Infinity: the rows are sent (NanSentTest)")

    def load_wire(self, sql, rc=1):
        r = self.wire(sql)
        self.assertEqual(r.rc, rc, r)
        self.assertEqual(len(r.results), 1, r)
        return r.results[0]

    def assert_nothing_nonfinite_sent(self):
        """No command but the probe carried NaN or ±Infinity; one probe per
        connection that asked, on a connection of its own, which the
        server closed; no other command of the run was lost."""
        probes = [c for c in self.proxy.commands() if is_nan_probe(c)]
        self.assertTrue(probes)
        probe_conns = [p.conn for p in probes]
        for c in self.proxy.commands():
            if c.conn not in probe_conns:
                self.assertFalse(holds_nonfinite(c.body) or holds_nonfinite(c.sequences), c)
                self.assertIsNotNone(c.reply, c)
        for p in probes:
            self.assertIsNone(p.reply)  # the server dropped that connection
            on_it = [c.name for c in self.proxy.commands() if c.conn is p.conn and c.name not in HANDSHAKE]
            self.assertEqual(on_it, ["ping", "find"])


class NanRefusedTest(NanCase):
    def test_ndjson_rows_holding_nan_or_infinity_fail_and_the_rest_is_written(self):
        p = self.write("d.ndjson", "\n".join([
            '{"_id": 1, "x": 1.5}',
            '{"_id": 2, "x": {"$numberDouble": "NaN"}}',
            '{"_id": 3, "a": {"b": {"c": {"$numberDouble": "NaN"}}}, "y": 1}',
            '{"_id": 4, "tags": [1, {"$numberDouble": "NaN"}]}',
            '{"_id": 5, "list": [{"v": 2}, {"v": {"$numberDouble": "NaN"}}]}',
            '{"_id": 6, "x": {"$numberDouble": "Infinity"}}',
            '{"_id": 7, "a": {"b": [0, {"$numberDouble": "-Infinity"}]}}',
            '{"_id": 8, "x": 2, "y": {"z": [1.25, "NaN"]}}',
        ]) + "\n")
        fr = self.path("failed.ndjson")
        sql = ("BULK INSERT INTO t FROM '%s' WITH (ordered = false, continue_on_error = true, "
               "failed_records_file = '%s')" % (p, fr))
        res = self.load_wire(sql)
        expected = [
            (2, NAN % "x", {"_id": 2, "x": float("nan")}),
            (3, NAN % "a.b.c", {"_id": 3, "a": {"b": {"c": float("nan")}}, "y": 1}),
            (4, NAN % "tags.1", {"_id": 4, "tags": [1, float("nan")]}),
            (5, NAN % "list.1.v", {"_id": 5, "list": [{"v": 2}, {"v": float("nan")}]}),
            (6, INF % ("x", "Infinity"), {"_id": 6, "x": float("inf")}),
            (7, INF % ("a.b.1", "-Infinity"), {"_id": 7, "a": {"b": [0, float("-inf")]}}),
        ]
        self.assertEqual((res["nInserted"], res["nFailed"], res.get("nNotAttempted", 0)), (2, 6, 0), res)
        self.assertEqual([(e["row"], e["code"], e["errmsg"]) for e in res["writeErrors"]],
                         [(row, 0, msg) for row, msg, _ in expected])
        self.assertEqual(res["error"], "6 rows failed")
        # the server holds the other rows, as they were
        self.assertEqual(self.docs("t"), [{"_id": 1, "x": 1.5}, {"_id": 8, "x": 2, "y": {"z": [1.25, "NaN"]}}])
        # failed_records_file: each row, its line, the error, the document
        recs = self.failed_records()
        self.assertEqual([(r["row"], r["line"], r["code"], r["error"], canonical(r["document"])) for r in recs],
                         [(row, row, 0, msg, canonical(doc)) for row, msg, doc in expected])
        # the batch's one error record: every failed row; the sample kept as
        # Extended JSON text (the server would not store it)
        [rec] = self.error_records()
        self.assertEqual((rec["operationId"], rec["batchIndex"], rec["batchSize"], rec["firstRow"]),
                         (res["operationId"], 0, 8, 1))
        self.assertEqual((rec["errorCode"], rec["errorMessage"]), (0, NAN % "x"))
        self.assertEqual(rec["writeErrors"], [{"row": row, "line": row, "code": 0, "errmsg": msg}
                                              for row, msg, _ in expected])
        self.assertIsNone(rec["sampleDocument"])
        self.assertEqual(canonical(bson.json_util.loads(rec["sampleDocumentJson"])), canonical(expected[0][2]))
        # one probe (its own connection, closed by the server); one insert
        # of the two good rows; nothing retried
        self.assert_nothing_nonfinite_sent()
        self.assertEqual(len([c for c in self.proxy.commands() if is_nan_probe(c)]), 1)
        [ins] = self.user_writes("t")
        self.assertEqual([d["_id"] for d in ins.documents], [1, 8])

    def test_ordered_stops_at_the_first_row_holding_nan(self):
        p = self.write("o.ndjson", '{"_id": 1}\n{"_id": 2}\n{"_id": 3, "v": {"$numberDouble": "NaN"}}\n'
                                   '{"_id": 4}\n{"_id": 5, "v": {"$numberDouble": "Infinity"}}\n{"_id": 6}\n')
        res = self.load_wire("BULK INSERT INTO t FROM '%s'" % p)
        self.assertEqual((res["nInserted"], res["nFailed"], res["nNotAttempted"]), (2, 1, 3), res)
        self.assertEqual([(e["row"], e["errmsg"]) for e in res["writeErrors"]], [(3, NAN % "v")])
        self.assertEqual(self.docs("t"), [{"_id": 1}, {"_id": 2}])
        [rec] = self.error_records()
        self.assertEqual(rec["writeErrors"], [{"row": 3, "line": 3, "code": 0, "errmsg": NAN % "v"}])
        self.assert_nothing_nonfinite_sent()

    def test_ordered_with_continue_on_error_goes_on_with_the_next_batch(self):
        p = self.write("b.ndjson", '{"_id": 1}\n{"_id": 2, "v": {"$numberDouble": "-Infinity"}}\n{"_id": 3}\n'
                                   '{"_id": 4}\n{"_id": 5, "v": {"$numberDouble": "NaN"}}\n{"_id": 6}\n')
        res = self.load_wire("BULK INSERT INTO t FROM '%s' WITH (batch_size = 3, continue_on_error = true)" % p)
        self.assertEqual((res["nInserted"], res["nFailed"], res["nNotAttempted"]), (2, 2, 2), res)
        self.assertEqual([(e["row"], e["errmsg"]) for e in res["writeErrors"]],
                         [(2, INF % ("v", "-Infinity")), (5, NAN % "v")])
        self.assertEqual(self.docs("t"), [{"_id": 1}, {"_id": 4}])
        self.assertEqual([(r["batchIndex"], r["errorMessage"]) for r in self.error_records()],
                         [(0, INF % ("v", "-Infinity")), (1, NAN % "v")])
        self.assert_nothing_nonfinite_sent()

    def test_csv_double_column(self):
        p = self.write("d.csv", "_id,x\n1,1.5\n2,NaN\n3,-inf\n4,2\n")
        res = self.load_wire("BULK INSERT INTO t (_id INT, x DOUBLE) FROM '%s' "
                             "WITH (ordered = false, continue_on_error = true)" % p)
        self.assertEqual((res["nInserted"], res["nFailed"]), (2, 2), res)
        self.assertEqual([(e["row"], e["errmsg"]) for e in res["writeErrors"]],
                         [(2, NAN % "x"), (3, INF % ("x", "-Infinity"))])
        self.assertEqual(self.docs("t"), [{"_id": 1, "x": 1.5}, {"_id": 4, "x": 2.0}])
        self.assertEqual([w["line"] for w in self.error_records()[0]["writeErrors"]], [3, 4])
        self.assert_nothing_nonfinite_sent()

    def test_upsert_rows_holding_nan(self):
        self.db.t.insert_many([{"_id": 1, "x": 0}, {"_id": 2, "x": 0}])
        p = self.write("u.ndjson", '{"_id": 1, "x": 5}\n{"_id": 2, "x": {"$numberDouble": "NaN"}}\n'
                                   '{"_id": 3, "x": 7, "w": [{"$numberDouble": "Infinity"}]}\n{"_id": 4, "x": 8}\n')
        res = self.load_wire("BULK UPSERT INTO t FROM '%s' ON CONFLICT (_id) DO UPDATE SET x = EXCLUDED.x "
                             "WITH (ordered = false, continue_on_error = true)" % p)
        self.assertEqual((res["nMatched"], res["nUpserted"], res["nFailed"]), (1, 1, 2), res)
        self.assertEqual([(e["row"], e["errmsg"]) for e in res["writeErrors"]],
                         [(2, NAN % "x"), (3, INF % ("w.0", "Infinity"))])
        self.assertEqual(self.docs("t"), [{"_id": 1, "x": 5}, {"_id": 2, "x": 0}, {"_id": 4, "x": 8}])
        self.assert_nothing_nonfinite_sent()

    def test_delete_using_a_nan_key(self):
        self.db.t.insert_many([{"_id": i, "k": float(i)} for i in range(1, 4)])
        p = self.write("k.ndjson", '{"k": 1.0}\n{"k": {"$numberDouble": "NaN"}}\n{"k": 3.0}\n')
        res = self.load_wire("BULK DELETE FROM t USING '%s' AS v WHERE t.k = v.k "
                             "WITH (ordered = false, continue_on_error = true)" % p)
        self.assertEqual((res["nRemoved"], res["nFailed"]), (2, 1), res)
        self.assertEqual([(e["row"], e["errmsg"]) for e in res["writeErrors"]], [(2, NAN % "k")])
        self.assertEqual(self.docs("t"), [{"_id": 2, "k": 2.0}])
        self.assert_nothing_nonfinite_sent()

    def test_the_session_goes_on_after_the_probe(self):
        # two statements on the statement's one connection: the probe's
        # connection is another, so the second statement runs as usual
        p = self.write("n.ndjson", '{"_id": 1}\n{"_id": 2, "v": {"$numberDouble": "NaN"}}\n')
        r = self.wire("BULK INSERT INTO t FROM '%s' WITH (ordered = false); "
                      "BULK INSERT INTO t2 (_id, v) VALUES (1, 'a'), (2, 'b');" % p, "--continue-on-error")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual([(x["nInserted"], x["nFailed"]) for x in r.results], [(1, 1), (2, 0)])
        self.assertEqual(self.docs("t"), [{"_id": 1}])
        self.assertEqual(self.docs("t2"), [{"_id": 1, "v": "a"}, {"_id": 2, "v": "b"}])
        self.assert_nothing_nonfinite_sent()


class NanSentTest(wiretest.WireCase, filestest.FilesCase):
    """MongoDB semantics: NaN and ±Infinity are data, sent as they are to a
    server that stores them. The proxy poses as such a server (buildInfo
    without ferretdbVersion, an answer to the NaN probe, and the inserts of
    the data collection answered), so this runs on any server."""

    def test_values_are_sent_as_they_are(self):
        self.proxy.inject(matcher("buildInfo"), "reply", times=100,
                          reply={"ok": 1.0, "version": "7.0.14", "versionArray": [7, 0, 14, 0]})
        probe = self.proxy.inject(is_nan_probe, "reply", times=100,
                                  reply={"ok": 1.0, "cursor": {"id": 0, "ns": self.dbname + ".t", "firstBatch": []}})
        self.proxy.inject(matcher("insert", coll="t"), "reply", reply={"ok": 1.0, "n": 4})
        p = self.write("d.ndjson", '{"_id": 1, "x": {"$numberDouble": "NaN"}}\n'
                                   '{"_id": 2, "a": {"b": [{"$numberDouble": "-Infinity"}]}}\n'
                                   '{"_id": 3, "x": {"$numberDouble": "Infinity"}}\n{"_id": 4}\n')
        r = self.wire("BULK INSERT INTO t FROM '%s'" % p)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual((r.results[0]["nInserted"], r.results[0]["nFailed"]), (4, 0))
        [ins] = self.user_writes("t")
        self.assertEqual([canonical(d) for d in ins.documents],
                         [canonical(d) for d in [{"_id": 1, "x": float("nan")},
                                                 {"_id": 2, "a": {"b": [float("-inf")]}},
                                                 {"_id": 3, "x": float("inf")}, {"_id": 4}]])
        self.assertEqual(len(probe.hits), 1)  # asked once, before the first NaN was sent


if __name__ == "__main__":
    bqltest.main()
