"""The execution options on the statements that write one command per
incoming row — BULK UPDATE ... FROM and BULK UPSERT — not only on INSERT:
ordered, continue_on_error, max_errors and max_execution_time, with the
error records of their batches; dry_run on INSERT, UPSERT, UPDATE ... FROM,
UPDATE ... WHERE and archival DELETE (nothing written but the metrics
document, marked dryRun: every other collection compared before and after,
and no other write command on the wire); and the metrics document of
every statement kind.

Rows fail on the server: UPDATE ... FROM sets m.a where a document's m is
a number (code 28), UPSERT inserts a document whose e is taken in a unique
index (code 11000).

FerretDB stops an update command at its first failing statement, even
unordered, and reports it as index 0 without counts; BulkQL therefore
settles a failed batch row by row there (a server that loses update
counts, caps.c): the rows whose outcome is unknown are sent again one
statement per command up to the failing one, the rest as one command,
which gives MongoDB's result, exact counts and exact row numbers wherever
the failing row is. Every batch is first one update command."""
import os
import sys

import pymongo

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402
import wiretest  # noqa: E402
from wireproxy import matcher  # noqa: E402
from wiretest import values  # noqa: E402


class Kind:
    """How one statement kind is set up, run and checked."""

    def __init__(self, case, name):
        self.case = case
        self.name = name
        self.coll = "p" if name == "update" else "u"

    def seed(self, n, failing):
        db = self.case.db
        if self.name == "update":
            db.p.insert_many([{"_id": i, "k": "k%d" % i, "m": 7 if i in failing else {"a": 0}}
                              for i in range(1, n + 1)])
        else:
            db.u.create_index([("e", pymongo.ASCENDING)], unique=True)
            db.u.insert_one({"_id": 0, "e": "taken"})
        self.failing = failing

    def sql(self, n, opts):
        if self.name == "update":
            return ("BULK UPDATE p SET m.a = v.x FROM (VALUES %s) AS v(k, x) WHERE p.k = v.k WITH (%s);"
                    % (values("'k%d', %d" % (i, i) for i in range(1, n + 1)), opts))
        return ("BULK UPSERT INTO u (_id, e) VALUES %s ON CONFLICT (_id) DO NOTHING WITH (%s);"
                % (values("%d, '%s'" % (i, "taken" if i in self.failing else "e%d" % i) for i in range(1, n + 1)),
                   opts))

    @property
    def code(self):
        return 28 if self.name == "update" else 11000

    def written(self, res):
        return res["nMatched"] if self.name == "update" else res["nUpserted"]

    def sample(self, row):
        """The incoming row as error records show it (sampleDocument)."""
        if self.name == "update":
            return {"k": "k%d" % row, "x": row}
        return {"_id": row, "e": "taken"}

    def check_server(self, n, applied):
        """Rows in applied were written, every other row was not."""
        docs = self.case.docs(self.coll)
        if self.name == "update":
            want = [{"_id": i, "k": "k%d" % i, "m": {"a": i} if i in applied else (7 if i in self.failing else {"a": 0})}
                    for i in range(1, n + 1)]
        else:
            want = [{"_id": 0, "e": "taken"}] + [{"_id": i, "e": "e%d" % i} for i in sorted(applied)]
        self.case.assertEqual(docs, want)

    def rows_on_the_wire(self):
        """The input rows named by the statement's write commands."""
        rows = set()
        for c in self.case.user_writes(self.coll):
            for op in c.documents:
                if self.name == "update":
                    rows.add(int(op["q"]["k"]["$eq"][1:]))
                else:
                    rows.add(op["q"]["_id"]["$eq"])
        return rows


class WireStatementOptionsTest(wiretest.WireCase):
    def kinds(self):
        """UPDATE ... FROM, then UPSERT, each on a clean database."""
        for name in ("update", "upsert"):
            self.client.drop_database(self.dbname)
            self.proxy.reset()
            self.proxy.clear_faults()
            yield Kind(self, name)

    def error_records(self, res):
        return [(r["batchIndex"], r["batchSize"], r["firstRow"], r["errorCode"],
                 [(w["row"], w["code"]) for w in r["writeErrors"]], r["sampleDocument"])
                for r in self.db.bulk_operation_errors.find({"operationId": res["operationId"]},
                                                            sort=[("batchIndex", 1)])]

    def test_ordered_stops_at_the_failing_row_and_the_statement_stops(self):
        for k in self.kinds():
            k.seed(15, {6, 8})
            r = self.wire(k.sql(15, "batch_size = 5, ordered = true"))
            self.assertEqual(r.rc, 1, r)
            res = r.results[0]
            self.assertEqual(res["error"], "1 row failed")
            self.assertEqual((k.written(res), res["nFailed"], res["nNotAttempted"], res["batches"]), (5, 1, 9, 2))
            self.assertEqual([(e["row"], e["code"]) for e in res["writeErrors"]], [(6, k.code)])
            k.check_server(15, set(range(1, 6)))
            self.assertTrue(all(c.body["ordered"] is True for c in self.user_writes(k.coll)))
            self.assertEqual(k.rows_on_the_wire() & set(range(11, 16)), set(), "batch 3 was sent")
            self.assertEqual(self.error_records(res), [(1, 5, 6, k.code, [(6, k.code)], k.sample(6))])

    def test_unordered_attempts_every_row_of_the_failing_batch(self):
        for k in self.kinds():
            # the failing row is inside its batch
            bad = 8
            k.seed(15, {bad})
            r = self.wire(k.sql(15, "batch_size = 5, ordered = false"))
            self.assertEqual(r.rc, 1, r)
            res = r.results[0]
            self.assertEqual((k.written(res), res["nFailed"], res["nNotAttempted"], res["batches"]), (9, 1, 5, 2))
            self.assertEqual([(e["row"], e["code"]) for e in res["writeErrors"]], [(bad, k.code)])
            k.check_server(15, set(range(1, 11)) - {bad})
            cmds = self.user_writes(k.coll)
            self.assertTrue(all(c.body["ordered"] is False for c in cmds), cmds)
            if self.lossy_updates():
                # both batches whole; then batch 2, which failed, settled:
                # UPDATE ... FROM sends rows 6 and 7 again alone, then 8
                # (failing again), then 9-10; UPSERT finds 6 and 7 stored
                # (created by it), sends 8 alone, then 9-10
                self.assertEqual([len(c.documents) for c in cmds],
                                 [5, 5, 1, 1, 1, 2] if k.name == "update" else [5, 5, 1, 2])
            else:
                self.assertEqual([len(c.documents) for c in cmds], [5, 5])
            self.assertEqual(k.rows_on_the_wire() & set(range(11, 16)), set(), "batch 3 was sent")
            self.assertEqual(self.error_records(res), [(1, 5, 6, k.code, [(bad, k.code)], k.sample(bad))])

    def test_continue_on_error_goes_on_after_failing_batches(self):
        for k in self.kinds():
            k.seed(20, {6, 11})
            r = self.wire(k.sql(20, "batch_size = 5, ordered = true, continue_on_error = true"))
            self.assertEqual(r.rc, 1, r)
            res = r.results[0]
            self.assertEqual(res["error"], "2 rows failed")
            # each failing batch stops at its first row; the next batch runs
            self.assertEqual((k.written(res), res["nFailed"], res["nNotAttempted"], res["batches"]), (10, 2, 8, 4))
            self.assertEqual([e["row"] for e in res["writeErrors"]], [6, 11])
            k.check_server(20, set(range(1, 6)) | set(range(16, 21)))
            self.assertEqual(self.error_records(res), [(1, 5, 6, k.code, [(6, k.code)], k.sample(6)),
                                                       (2, 5, 11, k.code, [(11, k.code)], k.sample(11))])

    def test_max_errors_aborts_the_statement(self):
        for k in self.kinds():
            k.seed(20, {6, 11, 16})
            r = self.wire(k.sql(20, "batch_size = 5, ordered = false, continue_on_error = true, max_errors = 2"))
            self.assertEqual(r.rc, 1, r)
            res = r.results[0]
            self.assertEqual(res["stopped"], "stopped: 2 rows failed (max_errors = 2)")
            self.assertEqual((k.written(res), res["nFailed"], res["nNotAttempted"], res["batches"]), (13, 2, 5, 3))
            self.assertEqual([e["row"] for e in res["writeErrors"]], [6, 11])
            k.check_server(20, set(range(1, 16)) - {6, 11})
            self.assertEqual(k.rows_on_the_wire() & set(range(16, 21)), set(), "batch 4 was sent")
            self.assertEqual([x[:3] for x in self.error_records(res)], [(1, 5, 6), (2, 5, 11)])

    def test_max_execution_time_stops_between_batches(self):
        for k in self.kinds():
            k.seed(15, set())
            # the first batch takes 0.5 s on the server's side of the proxy
            self.proxy.inject(matcher("update", coll=k.coll), "delay", delay=0.5)
            r = self.wire(k.sql(15, "batch_size = 5, max_execution_time = 0.3"))
            self.assertEqual(r.rc, 1, r)
            res = r.results[0]
            self.assertEqual(res["stopped"], "stopped after 0.3 s (max_execution_time)")
            self.assertEqual((k.written(res), res["nFailed"], res["nNotAttempted"], res["batches"]), (5, 0, 10, 1))
            # batch 1 only: one command
            self.assertEqual(len(self.user_writes(k.coll)), 1)
            k.check_server(15, set(range(1, 6)))
            self.assertEqual(self.db.bulk_operation_errors.count_documents({}), 0)

    def snapshot(self):
        return {name: list(self.db[name].find(sort=[("_id", 1)])) for name in sorted(self.db.list_collection_names())}

    def test_dry_run_writes_nothing(self):
        self.db.t.insert_many([{"_id": i, "k": "k%d" % i, "v": i} for i in range(1, 11)])
        self.db.arch.insert_one({"_id": 1, "stale": True})
        before = self.snapshot()
        cases = [
            ("BULK INSERT INTO t (_id, v) VALUES (1, 1), (20, 20), (21, -1) CHECK (v > 0)", {"nWouldWrite": 2}),
            ("BULK INSERT INTO t (_id, v) VALUES (1, 5), (22, 22) ON DUPLICATE KEY UPDATE v = 0", {"nWouldWrite": 2}),
            ("BULK INSERT INTO t (_id, v) VALUES (1, 5) WITH (upsert_mode = true)", {"nWouldWrite": 1}),
            ("BULK UPSERT INTO t (_id, v) VALUES (1, 100), (30, 30) ON CONFLICT (_id) DO UPDATE SET v = EXCLUDED.v",
             {"nWouldWrite": 2}),
            ("BULK UPDATE t SET v = v.x FROM (VALUES ('k1', 0), ('k2', 0), ('zz', 0)) AS v(k, x) WHERE t.k = v.k",
             {"nWouldWrite": 3}),
            ("BULK UPDATE t SET v = v + 1 WHERE v > 4", {"nMatched": 6}),
            ("BULK DELETE FROM t WHERE v <= 3", {"nMatched": 3}),
            ("BULK DELETE FROM t WHERE TRUE WITH ARCHIVAL_STRATEGY (archive_collection = 'arch')", {"nMatched": 10}),
            ("BULK DELETE FROM t WHERE TRUE WITH (soft_delete = true)", {"nMatched": 10}),
        ]
        for stmt, counts in cases:
            with self.subTest(stmt=stmt):
                self.proxy.reset()
                r = self.wire(stmt + " WITH DELETE_OPTIONS (dry_run = true);")
                res = r.results[0]
                self.assertIs(res["dryRun"], True, r)
                for key, n in counts.items():
                    self.assertEqual(res[key], n, (key, r))
                self.assertEqual((res["nInserted"], res["nModified"], res["nUpserted"], res["nRemoved"],
                                  res["nArchived"]), (0, 0, 0, 0, 0))
                # no write at all, not even the metrics document: the result
                # holds the document that would have been written
                self.assertEqual(self.proxy.writes(), [])
                self.assertEqual((res["metrics"]["operationId"], res["metrics"]["dryRun"]), (res["operationId"], True))
                self.assertEqual(self.snapshot(), before)
                if "CHECK" in stmt:
                    # the row that fails CHECK is reported, and still nothing
                    # is written (no error record either)
                    self.assertEqual(r.rc, 1, r)
                    self.assertEqual([e["row"] for e in res["writeErrors"]], [3])
                else:
                    self.assertEqual(r.rc, 0, r)

    def test_a_metrics_document_for_every_statement_kind(self):
        self.db.t.insert_many([{"_id": i, "k": "k%d" % i, "v": i} for i in range(1, 11)])
        script = [
            ("BULK INSERT", "ins", "BULK INSERT INTO ins (_id) VALUES (1), (2), (2) WITH (batch_size = 2, ordered = false, "
             "continue_on_error = true);", {"nInserted": 2, "nFailed": 1}, "CompleteWithErrors"),
            ("BULK INSERT", "t", "BULK INSERT INTO t (_id, v) VALUES (1, 0), (11, 11) ON DUPLICATE KEY UPDATE v = 0;",
             {"nInserted": 1, "nMatched": 1, "nModified": 1}, "Complete"),
            ("BULK UPDATE", "t", "BULK UPDATE t SET v = v + 1 WHERE v >= 5 WITH (batch_size = 3);",
             {"nMatched": 7, "nModified": 7, "batches": 3}, "Complete"),
            ("BULK UPDATE", "t", "BULK UPDATE t SET v = v.x FROM (VALUES ('k2', 20), ('nope', 0)) AS v(k, x) "
             "WHERE t.k = v.k;", {"nMatched": 1, "nModified": 1, "nUnmatched": 1}, "Complete"),
            ("BULK UPSERT", "t", "BULK UPSERT INTO t (_id, v) VALUES (2, 2), (12, 12) ON CONFLICT (_id) DO UPDATE "
             "SET v = EXCLUDED.v;", {"nMatched": 1, "nModified": 1, "nUpserted": 1}, "Complete"),
            ("BULK DELETE", "t", "BULK DELETE FROM t WHERE _id = 3 WITH (soft_delete = true);", {"nModified": 1},
             "Complete"),
            ("BULK DELETE", "t", "BULK DELETE FROM t WHERE _id >= 11 WITH ARCHIVAL_STRATEGY "
             "(archive_collection = 'arch');", {"nRemoved": 2, "nArchived": 2}, "Complete"),
            ("BULK DELETE", "t", "BULK DELETE FROM t WHERE _id <= 2 WITH (batch_size = 0);", {"nRemoved": 2},
             "Complete"),
            ("BULK UPDATE", "t", "BULK UPDATE t SET v = v.x FROM (VALUES ('k4', 'x'), ('k5', 5)) AS v(k, x) "
             "WHERE t.k = v.k WITH (max_execution_time = 0.001, batch_size = 1);", {"nMatched": 1}, "Aborted"),
        ]
        results = []
        for _, _, stmt, _, status in script:
            r = self.wire(stmt)
            self.assertEqual(r.rc, 0 if status == "Complete" else 1, r)
            results.extend(r.results)
        metrics = list(self.db.bulk_operation_metrics.find({}, sort=[("startedAt", 1), ("_id", 1)]))
        self.assertEqual([m["operationId"] for m in metrics], [x["operationId"] for x in results])
        for (kind, coll, stmt, counts, status), res, m in zip(script, results, metrics):
            with self.subTest(stmt=stmt):
                self.assertEqual((m["kind"], m["collection"], m["statement"], m["status"]),
                                 (kind, "%s.%s" % (self.dbname, coll), bqltest.records_statement(stmt), status))
                for key in ("nInserted", "nMatched", "nModified", "nUpserted", "nRemoved", "nArchived", "nFailed",
                            "batches"):
                    self.assertEqual(m[key], res[key], key)
                for key, n in counts.items():
                    self.assertEqual(m[key], n, key)
                for key in ("nUnmatched", "nRows", "nNotAttempted", "stopped"):
                    self.assertEqual(m.get(key), res.get(key), key)
                self.assertEqual(m["elapsedMs"], res["elapsedMs"])
                self.assertEqual(m["docsPerSec"], res["docsPerSec"])
                attempted = m["nInserted"] + m["nUpserted"] + m["nMatched"] + m.get("nUnmatched", 0) + m["nFailed"]
                if kind == "BULK DELETE":
                    attempted = m["nRemoved"] + m["nModified"] + m["nFailed"]
                self.assertAlmostEqual(m["errorRate"], m["nFailed"] / attempted if attempted else 0.0)
                self.assertIn("startedAt", m)
        # one metrics insert per statement on the wire, each after the
        # statement's own writes and before the next statement's
        cmds = [c for c in self.proxy.writes(db=self.dbname) if c.collection != "bulk_operation_errors"]
        marks = [i for i, c in enumerate(cmds) if c.collection == "bulk_operation_metrics"]
        self.assertEqual(len(marks), len(script))
        self.assertTrue(all(len(c.documents) == 1 for c in cmds if c.collection == "bulk_operation_metrics"))
        self.assertEqual([cmds[i].documents[0]["operationId"] for i in marks], [x["operationId"] for x in results])
        # ... and the statement's operation (issue 15): opened first, ended
        # just before the metrics, in the state that matches the status
        # (stopped early, max_execution_time: Failed, resumable; only
        # bulkql --abort makes an operation Aborted, which is final)
        ended = {"Complete": "Complete", "CompleteWithErrors": "Failed", "Aborted": "Failed"}
        start = 0
        for (kind, coll, stmt, counts, status), mark, res in zip(script, marks, results):
            own = cmds[start:mark]
            data = [c for c in own if c.collection != "bulkql_operations"]
            self.assertTrue(data and all(c.collection in (coll, "arch") for c in data), (stmt, own))
            self.assertEqual((own[0].name, own[0].collection), ("insert", "bulkql_operations"), (stmt, own))
            self.assertEqual((own[0].documents[0]["_id"], own[0].documents[0]["state"]),
                             (res["operationId"], "Open"))
            self.assertEqual((own[-1].name, own[-1].collection), ("update", "bulkql_operations"), (stmt, own))
            self.assertEqual(own[-1].documents[0]["q"]["_id"], res["operationId"])
            self.assertEqual(own[-1].documents[0]["u"]["$set"]["state"], ended[status], stmt)
            op = self.db.bulkql_operations.find_one({"_id": res["operationId"]})
            self.assertEqual(op["state"], ended[status], stmt)
            start = mark + 1


if __name__ == "__main__":
    wiretest.bqltest.main()
