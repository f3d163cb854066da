"""bulkql --operations and --abort (issue 15), with their exact output:
the operations of a database as a table (state, with Interrupted for a
live operation whose heartbeat is stale; progress; rate; age; last
update) and as JSON; an abort that marks an operation Aborted, refuses a
final or unknown one, and stops a running load from another process.
The operation documents are written here with pymongo, with times far
enough in the past that the table's coarse durations are stable while the
test runs."""
import datetime
import os
import sys

import bson.json_util
from bson.int64 import Int64

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402
import faults  # noqa: E402
import wireproxy  # noqa: E402

D = datetime.timedelta


def counters(rows=0, batches=0, failed=0):
    c = {k: Int64(0) for k in ("nInserted", "nMatched", "nModified", "nUpserted", "nRemoved", "nArchived",
                               "nFailed", "nInDoubt", "nAlreadyWritten", "rowsDone", "batches")}
    c.update(nInserted=Int64(rows - failed), nFailed=Int64(failed), rowsDone=Int64(rows), batches=Int64(batches))
    return c


class OperationsCliTest(bqltest.BulkqlCase):
    def op(self, _id, state, kind, coll, started, updated, heartbeat, rows=0, batches=0, failed=0, **extra):
        doc = {"_id": _id, "statement": "BULK ...", "statementTruncated": False, "statementHash": "0" * 16,
               "kind": kind, "database": self.dbname, "collection": coll, "options": {}, "source": {"type": "stdin"},
               "state": state, "startedAt": started, "updatedAt": updated, "heartbeatAt": heartbeat,
               "host": "etl-1", "pid": 4242, "resumes": 0, "counters": counters(rows, batches, failed),
               "checkpoint": {"completed": [{"first": 1, "last": rows}] if rows else [], "inFlight": [],
                              "sentThrough": rows, "batches": batches}}
        doc.update(extra)
        self.db.bulkql_operations.insert_one(doc)
        return doc

    def seed(self):
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        self.op("a" * 24, "Complete", "insert", "ev", now - D(days=3, hours=2, seconds=30),
                now - D(hours=2, minutes=5, seconds=20), now - D(hours=2, minutes=5, seconds=20),
                rows=2592000, batches=2592, finishedAt=now - D(hours=2, minutes=5, seconds=20), reason=None)
        # InProgress, its heartbeat 70 minutes old: its process is gone
        self.op("b" * 24, "InProgress", "update", "acc", now - D(days=1, minutes=10, seconds=30),
                now - D(hours=1, minutes=10, seconds=20), now - D(hours=1, minutes=10, seconds=20),
                rows=828100, batches=829)
        # InProgress and alive (a fresh heartbeat), nothing done yet
        self.op("c" * 24, "InProgress", "delete", "old", now - D(hours=2, seconds=30),
                now - D(hours=1, seconds=20), now)
        self.op("d" * 24, "Failed", "upsert", "prices", now - D(days=4, hours=5, seconds=30),
                now - D(days=4, hours=3, seconds=20), now - D(days=4, hours=3, seconds=20),
                rows=12000, batches=12, failed=3, reason="3 rows failed")
        return now

    def test_table(self):
        self.seed()
        r = self.bulkql("--operations")
        self.assertEqual((r.rc, r.err), (0, ""), r)
        db = self.dbname
        w = len(db) + 7  # "<db>.prices", the longest collection
        # columns as wide as their widest cell; text left, numbers right
        line = "  %-24s  %-11s  %-6s  %-*s  %-34s  %9s  %5s  %9s\n"
        self.assertEqual(r.out, "".join([
            "Operations of %s (the most recent first):\n" % db,
            line % ("id", "state", "kind", w, "collection", "progress", "rate", "age", "updated"),
            line % ("c" * 24, "InProgress", "delete", w, db + ".old", "0 rows, 0 batches", "-", "2h00m", "1h00m ago"),
            line % ("b" * 24, "Interrupted", "update", w, db + ".acc", "828,100 rows, 829 batches", "10 rows/s",
                    "1d00h", "1h10m ago"),
            line % ("a" * 24, "Complete", "insert", w, db + ".ev", "2,592,000 rows, 2,592 batches", "10 rows/s",
                    "3d02h", "2h05m ago"),
            line % ("d" * 24, "Failed", "upsert", w, db + ".prices", "12,000 rows (3 failed), 12 batches",
                    "2 rows/s", "4d05h", "4d03h ago"),
            "(4 operations)\n"]))

    def test_table_of_a_database_without_operations(self):
        r = self.bulkql("--operations")
        self.assertEqual((r.rc, r.out, r.err),
                         (0, "Operations of %s (the most recent first):\n"
                             "  id  state  kind  collection  progress  rate  age  updated\n(0 operations)\n"
                          % self.dbname, ""), r)

    def test_json(self):
        self.seed()
        r = self.bulkql("--operations", "--format", "json")
        self.assertEqual((r.rc, r.err), (0, ""), r)
        out = bson.json_util.loads(r.out, json_options=bson.json_util.JSONOptions(tz_aware=False))
        self.assertEqual(out["database"], self.dbname)
        ops = out["operations"]
        self.assertEqual([(o["_id"][0], o["state"], o["shownState"]) for o in ops],
                         [("c", "InProgress", "InProgress"), ("b", "InProgress", "Interrupted"),
                          ("a", "Complete", "Complete"), ("d", "Failed", "Failed")])
        stored = {d["_id"]: d for d in self.db.bulkql_operations.find()}
        for o in ops:
            age = o.pop("heartbeatAgeMs")
            o.pop("shownState")
            self.assertEqual(o, stored[o["_id"]])
            self.assertGreaterEqual(age, 0)
        self.assertGreaterEqual(ops[1]["counters"]["rowsDone"], 0)

    def test_abort_marks_aborted(self):
        self.seed()
        r = self.bulkql("--abort", "B" * 24)  # either case
        self.assertEqual((r.rc, r.out, r.err),
                         (0, "Operation %s marked Aborted (it was Interrupted): it will not be resumed.\n" % ("b" * 24),
                          ""), r)
        doc = self.db.bulkql_operations.find_one({"_id": "b" * 24})
        self.assertEqual((doc["state"], doc["reason"]), ("Aborted", "aborted by bulkql --abort"))
        self.assertIn("finishedAt", doc)
        self.assertGreater(doc["updatedAt"], doc["startedAt"])
        r = self.bulkql("--abort", "c" * 24)
        self.assertEqual((r.rc, r.out), (0, "Operation %s marked Aborted (it was InProgress): the bulkql running it "
                                            "stops within one batch.\n" % ("c" * 24)), r)
        r = self.bulkql("--abort", "d" * 24, "--format", "json")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(bson.json_util.loads(r.out), {"ok": True, "operationId": "d" * 24, "database": self.dbname,
                                                       "was": "Failed", "state": "Aborted"})

    def test_abort_refuses_final_and_unknown(self):
        self.seed()
        r = self.bulkql("--abort", "a" * 24)
        self.assertEqual((r.rc, r.out, r.err),
                         (1, "", "bulkql: cannot abort the operation: operation %s is Complete already: there is "
                                 "nothing to abort\n" % ("a" * 24)), r)
        self.assertEqual(self.db.bulkql_operations.find_one({"_id": "a" * 24})["state"], "Complete")
        self.bulkql("--abort", "d" * 24)
        r = self.bulkql("--abort", "d" * 24)
        self.assertEqual((r.rc, r.err), (1, "bulkql: cannot abort the operation: operation %s is Aborted already: "
                                            "there is nothing to abort\n" % ("d" * 24)), r)
        r = self.bulkql("--abort", "e" * 24)
        self.assertEqual((r.rc, r.out, r.err),
                         (1, "", "bulkql: cannot abort the operation: no operation %s: no database's "
                                 "bulkql_operations holds it\n" % ("e" * 24)), r)

    def test_abort_finds_the_operation_in_another_database(self):
        other = self.dbname + "_x"
        self.addCleanup(self.client.drop_database, other)
        now = datetime.datetime.now(datetime.timezone.utc)
        self.client[other].bulkql_operations.insert_one({"_id": "f" * 24, "state": "Failed", "startedAt": now})
        r = self.bulkql("--abort", "f" * 24)
        self.assertEqual((r.rc, r.out), (0, "Operation %s marked Aborted (it was Failed): it will not be resumed.\n"
                                            % ("f" * 24)), r)
        self.assertEqual(self.client[other].bulkql_operations.find_one()["state"], "Aborted")

    def test_usage_errors(self):
        for args, msg in ((["--abort", "xyz"], "--abort: invalid operation id 'xyz' (24 hexadecimal digits, as "
                                               "operationId shows it)"),
                          (["--operations", "-c", "BULK INSERT INTO t (a) VALUES (1)"],
                           "--operations runs alone: no -f, -c, --resume, --explain or --dry-run with it"),
                          (["--abort", "a" * 24, "--dry-run"],
                           "--abort runs alone: no -f, -c, --resume, --explain or --dry-run with it"),
                          (["--operations", "--abort", "a" * 24],
                           "--operations (or --abort) runs alone: no -f, -c, --resume, --explain or --dry-run with "
                           "it")):
            with self.subTest(args=args):
                r = self.bulkql(*args)
                self.assertEqual((r.rc, r.out, r.err),
                                 (2, "", "bulkql: %s\nTry 'bulkql --help' for more information.\n" % msg), r)

    def test_no_server(self):
        port = faults.free_port()
        r = self.bulkql("--uri", "mongodb://127.0.0.1:%d/?serverSelectionTimeoutMS=300" % port, "--operations")
        self.assertEqual(r.rc, 2, r)
        self.assertEqual(r.out, "")
        self.assertTrue(r.err.startswith("bulkql: cannot connect to mongodb://127.0.0.1:%d/" % port), r)

    def test_abort_stops_a_running_load_from_another_process(self):
        """bulkql --abort from another process: the running load (each
        insert slowed by a proxy) stops after the batch in flight."""
        path = os.path.join(self.tmpdir(), "rows.ndjson")
        with open(path, "w") as f:
            f.writelines('{"_id": %d}\n' % i for i in range(1, 301))
        with wireproxy.WireProxy(bqltest.URI) as proxy:
            proxy.inject(lambda c: c.name == "insert" and c.collection == "c", "delay", times=10 ** 6, delay=0.15)
            child = faults.BulkqlChild(["--uri", proxy.uri, "--db", self.dbname],
                                       sql="BULK INSERT INTO c FROM '%s' FORMAT NDJSON WITH (batch_size = 10)" % path,
                                       deadline=120)
            with child:
                child.start()
                self.assertTrue(faults.wait_until(faults.wire_progress(proxy, 3, "insert", coll="c"), 60))
                [op] = self.db.bulkql_operations.find()
                r = self.bulkql("--abort", op["_id"])
                self.assertEqual((r.rc, r.out), (0, "Operation %s marked Aborted (it was InProgress): the bulkql "
                                                    "running it stops within one batch.\n" % op["_id"]), r)
                sent_then = len(proxy.commands("insert", coll="c"))
                res = child.wait(60)
            sent = len(proxy.commands("insert", coll="c"))
            proxy.wait_idle(60)
        self.assertEqual(res.rc, 1, res)
        self.assertIn("bulkql: error: aborted by another process (bulkql --abort %s), after batch " % op["_id"],
                      res.err)
        self.assertLessEqual(sent, sent_then + 1)
        self.assertEqual(self.db.c.count_documents({}), sent * 10)
        self.assertEqual(self.db.bulkql_operations.find_one()["state"], "Aborted")

    def tmpdir(self):
        import shutil
        import tempfile
        d = tempfile.mkdtemp(prefix="bulkql-ops-")
        self.addCleanup(shutil.rmtree, d, True)
        return d


if __name__ == "__main__":
    bqltest.main()
