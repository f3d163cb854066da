"""Operations (SPEC §3, issue 15): every statement that writes is an
operation, tracked by a document in bulkql_operations. Each test runs the
bulkql binary, reads the document back with pymongo and checks it field
by field: its states, counters, the checkpoint's completed row ranges,
sentThrough, inFlight and lastId; the deterministic _ids of rows without
one (recomputed here from the formula); the commands that wrote it (a
recording proxy); and an abort from another process, which stops a
running load within one batch."""
import datetime
import os
import re
import sys
import threading
import time

from bson.int64 import Int64
from bson.objectid import ObjectId

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402
import faults  # noqa: E402
from wireproxy import matcher  # noqa: E402
import wiretest  # noqa: E402
from ophash import fnv1a64_hex, row_oid  # noqa: E402

OPS = "bulkql_operations"
COUNTERS = ["nInserted", "nMatched", "nModified", "nUpserted", "nRemoved", "nArchived", "nFailed", "nInDoubt",
            "nAlreadyWritten", "rowsDone", "batches"]


def counters(**kw):
    return {k: Int64(kw.get(k, 0)) for k in COUNTERS}


class OperationTest(wiretest.WireCase):
    def op(self, result=None, db=None):
        """The one operation document (of the statement whose JSON result
        is given)."""
        coll = (self.client[db] if db else self.db)[OPS]
        if result is not None:
            doc = coll.find_one({"_id": result["operationId"]})
            self.assertIsNotNone(doc, result)
            return doc
        docs = list(coll.find())
        self.assertEqual(len(docs), 1, docs)
        return docs[0]

    def test_insert_values_document(self):
        sql = "BULK INSERT INTO c (_id, v) VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e') WITH (batch_size = 2)"
        r = self.wire(sql)
        self.assertEqual(r.rc, 0, r)
        res = r.results[0]
        op = self.op(res)
        text = sql
        h = fnv1a64_hex(text.encode())
        self.assertEqual(op["_id"], res["operationId"])
        self.assertEqual(op["statement"], text)
        self.assertEqual(op["statementTruncated"], False)
        self.assertEqual(op["statementHash"], h)
        self.assertEqual(op["kind"], "insert")
        self.assertEqual(op["database"], self.dbname)
        self.assertEqual(op["collection"], "c")
        self.assertEqual(op["options"], {"batch_size": 2})
        self.assertEqual(op["source"], {"type": "values", "hash": h})
        self.assertEqual(op["state"], "Complete")
        self.assertIsNone(op["reason"])
        self.assertEqual(op["counters"], counters(nInserted=5, rowsDone=5, batches=3))
        self.assertEqual(op["checkpoint"], {"completed": [{"first": 1, "last": 5}], "inFlight": [],
                                            "sentThrough": 5, "batches": 3})
        self.assertEqual(op["resumes"], 0)
        self.assertEqual(op["pid"], int(op["pid"]))
        self.assertIsInstance(op["host"], str)
        for k in ("startedAt", "updatedAt", "heartbeatAt", "finishedAt"):
            self.assertIsInstance(op[k], datetime.datetime, k)
        self.assertLessEqual(op["startedAt"], op["updatedAt"])
        self.assertLessEqual(op["updatedAt"], op["finishedAt"])
        # on the wire: the Open insert before any row, a checkpoint after
        # each batch, the end after the last one
        cmds = [(c.name, c.collection) for c in self.proxy.writes(db=self.dbname)]
        self.assertEqual(cmds, [("insert", OPS), ("insert", "c"), ("update", OPS), ("insert", "c"), ("update", OPS),
                                ("insert", "c"), ("update", OPS), ("update", OPS),
                                ("insert", "bulk_operation_metrics")])
        opened = self.proxy.commands("insert", coll=OPS)[0].documents[0]
        self.assertEqual(opened["state"], "Open")
        self.assertEqual(opened["checkpoint"], {"completed": [], "inFlight": [], "sentThrough": 0, "batches": 0})
        checkpoints = [c.documents[0] for c in self.proxy.commands("update", coll=OPS)]
        for c in checkpoints:
            # held by this process's claim: resumes 0 for the run that opened it
            self.assertEqual(c["q"], {"_id": res["operationId"], "state": {"$in": ["Open", "InProgress"]}, "resumes": 0})
        self.assertEqual([c["u"]["$set"]["checkpoint"]["completed"] for c in checkpoints],
                         [[{"first": 1, "last": 2}], [{"first": 1, "last": 4}], [{"first": 1, "last": 5}],
                          [{"first": 1, "last": 5}]])
        self.assertEqual([c["u"]["$set"]["state"] for c in checkpoints],
                         ["InProgress", "InProgress", "InProgress", "Complete"])

    def test_deterministic_ids(self):
        """Rows without _id get the formula's ObjectId from the operation
        id and the row number; rows with one keep theirs."""
        r = self.wire("BULK INSERT INTO c (_id, v) VALUES (NULL, 1) WITH (batch_size = 1); "
                      "BULK INSERT INTO d (v) VALUES (1), (2), (3) WITH (batch_size = 2)")
        path = self.ndjson([{"v": i} if i % 2 else {"_id": "own%d" % i, "v": i} for i in range(1, 8)])
        r2 = self.wire("BULK INSERT INTO e FROM '%s' FORMAT NDJSON WITH (batch_size = 3)" % path)
        self.assertEqual(r2.rc, 0, r2)
        opid = r.results[1]["operationId"]
        self.assertEqual([d["_id"] for d in self.docs("d")], [row_oid(opid, n) for n in (1, 2, 3)])
        self.assertEqual([d["v"] for d in self.docs("d")], [1, 2, 3])
        opid = r2.results[0]["operationId"]
        got = {d["v"]: d["_id"] for d in self.db.e.find()}
        self.assertEqual(got, {i: row_oid(opid, i) if i % 2 else "own%d" % i for i in range(1, 8)})
        # the operation's id is an ObjectId's: its first 4 bytes are the time
        t = ObjectId(opid).generation_time
        self.assertLess(abs((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds()), 600)

    def test_file_source_identity(self):
        path = self.ndjson([{"_id": i, "v": i} for i in range(1, 4)])
        with open(path, "rb") as f:
            data = f.read()
        r = self.wire("BULK UPSERT INTO c FROM '%s' FORMAT NDJSON ON CONFLICT (_id) DO UPDATE SET v = EXCLUDED.v" % path)
        self.assertEqual(r.rc, 0, r)
        op = self.op(r.results[0])
        st = os.stat(path)
        self.assertEqual(op["kind"], "upsert")
        self.assertEqual(op["source"]["type"], "file")
        self.assertEqual(op["source"]["path"], os.path.realpath(path))
        self.assertEqual(op["source"]["size"], st.st_size)
        self.assertEqual(op["source"]["headHash"], fnv1a64_hex(data[:1 << 20]))
        mtime = op["source"]["mtime"].replace(tzinfo=datetime.timezone.utc).timestamp()
        self.assertAlmostEqual(mtime, st.st_mtime, delta=0.002)
        self.assertEqual(op["state"], "Complete")
        self.assertEqual(op["counters"], counters(nUpserted=3, rowsDone=3, batches=1))

    def test_stdin_source(self):
        r = self.wire("BULK INSERT INTO c FROM STDIN FORMAT NDJSON", stdin='{"_id": 1}\n{"_id": 2}\n')
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.op(r.results[0])["source"], {"type": "stdin"})

    def test_update_where_not_idempotent_marks_in_flight(self):
        """$inc is not idempotent: before each batch is sent, its _ids are
        recorded in inFlightIds; the checkpoint after it clears them and
        moves lastId to the batch's highest _id."""
        self.db.c.insert_many([{"_id": i, "n": 0, "k": i % 2} for i in range(1, 8)])
        r = self.wire("BULK UPDATE c SET n = n + 1 WHERE k = 1 WITH (batch_size = 2)")
        self.assertEqual(r.rc, 0, r)
        res = r.results[0]
        op = self.op(res)
        self.assertEqual(op["kind"], "update")
        self.assertEqual(op["source"], {"type": "where", "filter": '{ "k" : { "$eq" : { "$numberInt" : "1" } } }'})
        self.assertEqual(op["state"], "Complete")
        self.assertEqual(op["counters"], counters(nMatched=4, nModified=4, rowsDone=4, batches=2))
        self.assertEqual(op["checkpoint"], {"completed": [], "inFlight": [], "sentThrough": 0, "lastId": 7,
                                            "inFlightIds": [], "batches": 2})
        seq = [(c.name, c.collection) for c in self.proxy.writes(db=self.dbname)]
        self.assertEqual(seq, [("insert", OPS), ("update", OPS), ("update", "c"), ("update", OPS), ("update", OPS),
                               ("update", "c"), ("update", OPS), ("update", OPS), ("insert", "bulk_operation_metrics")])
        sets = [c.documents[0]["u"]["$set"] for c in self.proxy.commands("update", coll=OPS)]
        self.assertEqual([s["checkpoint"]["inFlightIds"] for s in sets], [[1, 3], [], [5, 7], [], []])
        self.assertEqual([s["checkpoint"]["lastId"] for s in sets], [None, 3, 3, 7, 7])
        self.assertEqual(self.db.c.count_documents({"n": 1}), 4)

    def test_update_from_rows_in_flight_ranges(self):
        self.db.c.insert_many([{"_id": i, "n": 0} for i in range(1, 6)])
        r = self.wire("BULK UPDATE c SET n = n + v.d FROM (VALUES (1, 5), (2, 5), (3, 5)) AS v(id, d) "
                      "WHERE _id = v.id WITH (batch_size = 2)")
        self.assertEqual(r.rc, 0, r)
        sets = [c.documents[0]["u"]["$set"]["checkpoint"] for c in self.proxy.commands("update", coll=OPS)]
        self.assertEqual([(s["inFlight"], s["completed"], s["sentThrough"]) for s in sets],
                         [([{"first": 1, "last": 2}], [], 2),
                          ([], [{"first": 1, "last": 2}], 2),
                          ([{"first": 3, "last": 3}], [{"first": 1, "last": 2}], 3),
                          ([], [{"first": 1, "last": 3}], 3),
                          ([], [{"first": 1, "last": 3}], 3)])

    def test_set_update_is_idempotent_no_marks(self):
        self.db.c.insert_many([{"_id": i, "k": 1} for i in range(1, 4)])
        r = self.wire("BULK UPDATE c SET s = 'x' WHERE k = 1 WITH (batch_size = 2)")
        self.assertEqual(r.rc, 0, r)
        seq = [(c.name, c.collection) for c in self.proxy.writes(db=self.dbname)]
        self.assertEqual(seq, [("insert", OPS), ("update", "c"), ("update", OPS), ("update", "c"), ("update", OPS),
                               ("update", OPS), ("insert", "bulk_operation_metrics")])

    def test_failed_rows_fail_the_operation(self):
        self.db.c.insert_one({"_id": 2})
        r = self.wire("BULK INSERT INTO c (_id) VALUES (1), (2), (3), (4) WITH (batch_size = 2)")
        self.assertEqual(r.rc, 1, r)
        op = self.op(r.results[0])
        self.assertEqual((op["state"], op["reason"]), ("Failed", "1 row failed"))
        # ordered: the first batch completed (row 2 refused), no row after it was sent
        self.assertEqual(op["checkpoint"], {"completed": [{"first": 1, "last": 2}], "inFlight": [],
                                            "sentThrough": 2, "batches": 1})
        self.assertEqual(op["counters"], counters(nInserted=1, nFailed=1, rowsDone=2, batches=1))

    def test_a_batch_whose_rows_all_failed_on_input_counts_in_counters_and_checkpoint(self):
        # batch 2 (rows 3 and 4) sends nothing: both rows fail on input;
        # it is a completed batch all the same (its rows are accounted
        # for, a resume does not read them again), so counters.batches and
        # checkpoint.batches both count it
        path = self.ndjson([{"_id": 1}, {"_id": 2}, [3], [4], {"_id": 5}])
        r = self.wire("BULK INSERT INTO c FROM '%s' WITH (batch_size = 2, continue_on_error = true)" % path)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.results[0]["batches"], 3, r)
        op = self.op(r.results[0])
        self.assertEqual(op["checkpoint"], {"completed": [{"first": 1, "last": 5}], "inFlight": [],
                                            "sentThrough": 5, "batches": 3})
        self.assertEqual(op["counters"], counters(nInserted=3, nFailed=2, rowsDone=5, batches=3))

    def test_delete_archival(self):
        self.db.c.insert_many([{"_id": i, "k": 1} for i in range(1, 6)])
        r = self.wire("BULK DELETE FROM c WHERE k = 1 WITH (batch_size = 2, archive_collection = 'arch')")
        self.assertEqual(r.rc, 0, r)
        op = self.op(r.results[0])
        self.assertEqual(op["kind"], "delete")
        self.assertEqual(op["counters"], counters(nRemoved=5, nArchived=5, rowsDone=5, batches=3))
        self.assertEqual(op["checkpoint"]["lastId"], 5)
        self.assertEqual(op["checkpoint"]["batches"], 3)
        self.assertEqual(op["state"], "Complete")

    def test_dry_run_writes_no_operation(self):
        r = self.wire("BULK INSERT INTO c (_id) VALUES (1), (2) WITH (dry_run = true)")
        self.assertEqual(r.rc, 0, r)
        self.assertNotIn(OPS, self.db.list_collection_names())
        self.assertEqual(self.proxy.commands(coll=OPS), [])

    def test_operations_database(self):
        other = self.dbname + "_ops"
        self.addCleanup(self.client.drop_database, other)
        r = self.wire("BULK INSERT INTO c (_id) VALUES (1) WITH (operations_database = '%s')" % other)
        self.assertEqual(r.rc, 0, r)
        self.assertNotIn(OPS, self.db.list_collection_names())
        op = self.op(r.results[0], db=other)
        self.assertEqual((op["database"], op["collection"], op["state"]), (self.dbname, "c", "Complete"))
        self.assertEqual(op["options"], {"operations_database": other})

    def test_operations_database_is_checked(self):
        r = self.bulkql(sql="BULK INSERT INTO c (_id) VALUES (1) WITH (operations_database = 'admin')")
        self.assertEqual(r.rc, 1, r)
        self.assertIn('operations_database "admin" is a system database', r.err)
        r = self.bulkql(sql="BULK INSERT INTO c (_id) VALUES (1) WITH (operations_database = 'a.b')")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("operations_database:", r.err)
        self.assertNotIn("c", self.db.list_collection_names())

    def test_checkpoint_interval(self):
        """checkpoint_interval = 2: a checkpoint after every second batch;
        after the others the state is read (find, limit 1)."""
        r = self.wire("BULK INSERT INTO c (_id) VALUES (1), (2), (3), (4), (5) "
                      "WITH (batch_size = 1, checkpoint_interval = 2)")
        self.assertEqual(r.rc, 0, r)
        seq = [(c.name, c.collection) for c in self.proxy.commands(("insert", "update", "find"), db=self.dbname)]
        i, f, u = ("insert", "c"), ("find", OPS), ("update", OPS)
        self.assertEqual(seq, [("insert", OPS), i, f, i, u, i, f, i, u, i, f, u, ("insert", "bulk_operation_metrics")])
        find = self.proxy.commands("find", coll=OPS)[0]
        self.assertEqual(find.args["filter"], {"_id": r.results[0]["operationId"]})
        self.assertEqual(find.args["projection"], {"state": 1, "reason": 1, "resumes": 1, "host": 1, "pid": 1})
        op = self.op(r.results[0])
        self.assertEqual(op["checkpoint"]["completed"], [{"first": 1, "last": 5}])
        self.assertEqual(op["options"], {"batch_size": 1, "checkpoint_interval": 2})

    def test_long_statement_truncated(self):
        rows = ", ".join("(%d, '%s')" % (i, "é" * 30) for i in range(1, 80))
        sql = "BULK INSERT INTO c (_id, v) VALUES " + rows
        self.assertGreater(len(sql.encode()), 4096)
        r = self.wire(sql)
        self.assertEqual(r.rc, 0, r)
        op = self.op(r.results[0])
        self.assertTrue(op["statementTruncated"])
        self.assertEqual(op["statementHash"], fnv1a64_hex(sql.encode()))
        stored = op["statement"].encode()
        self.assertLessEqual(len(stored), 4096)
        self.assertGreater(len(stored), 4090)
        self.assertTrue(sql.encode().startswith(stored))  # cut on a character boundary

    def test_heartbeat_moves_while_a_batch_waits(self):
        """A batch that waits on the server longer than the heartbeat
        interval (10 s): heartbeatAt is moved meanwhile, on the
        operation's own connection."""
        self.proxy.inject(lambda c: c.name == "insert" and c.collection == "c", "delay", times=1, delay=11.5)
        r = self.wire("BULK INSERT INTO c (_id) VALUES (1), (2)")
        self.assertEqual(r.rc, 0, r)
        cmds = self.proxy.commands(("insert", "update"), db=self.dbname)
        seq = [(c.name, c.collection, sorted(c.documents[0].get("u", {}).get("$set", {}))) for c in cmds]
        self.assertEqual(seq[:3], [("insert", OPS, []), ("insert", "c", []), ("update", OPS, ["heartbeatAt"])])
        beat = cmds[2].documents[0]
        self.assertEqual(beat["q"], {"_id": r.results[0]["operationId"], "state": {"$in": ["Open", "InProgress"]},
                                     "resumes": 0})
        self.assertEqual(seq[3][:2], ("update", OPS))  # the checkpoint after the batch
        self.assertEqual(self.op(r.results[0])["state"], "Complete")

    def marked_while_batch_4_is_in_flight(self, filter, update):
        """A load of 300 rows in batches of 10 whose 4th insert the proxy
        holds until the operation's document was changed by another client
        (update_one(filter, update)): the change lands while that batch is
        in flight, with no write of the load's to the document at the same
        time, however slow the machine. The load's result."""
        path = self.ndjson([{"_id": i} for i in range(1, 301)])
        held = self.proxy.inject(matcher("insert", coll="c", nth=4), "hold", delay=120)
        self.addCleanup(held.release)
        child = faults.BulkqlChild(["--uri", self.proxy.uri, "--db", self.dbname, "--format", "json"],
                                   sql="BULK INSERT INTO c FROM '%s' FORMAT NDJSON WITH (batch_size = 10)" % path,
                                   deadline=180)
        with child:
            child.start()
            self.assertTrue(faults.wait_until(lambda: held.hits, 120), child)
            self.assertEqual(self.db[OPS].update_one(filter, update).modified_count, 1)
            held.release()
            res = child.wait(120)
        self.assertEqual(res.rc, 1, res)
        # the batch in flight ended; no other was sent after it
        self.assertEqual(len(self.proxy.commands("insert", coll="c")), 4)
        self.assertEqual(self.db.c.count_documents({}), 40)
        [out] = self.json_result(res)
        self.assertEqual(out["nInserted"], 40, out)
        return out

    def test_abort_from_another_process_stops_within_one_batch(self):
        """A load is marked Aborted by another client while a batch is in
        flight, as bulkql --abort does: the batch completes, the checkpoint
        after it matches nothing, and the statement stops with no further
        batch sent."""
        out = self.marked_while_batch_4_is_in_flight(
            {"state": {"$in": ["Open", "InProgress"]}}, {"$set": {"state": "Aborted", "reason": "aborted by --abort"}})
        self.assertEqual(out["error"], "aborted by another process (bulkql --abort %s), after batch 4"
                         % out["operationId"])
        self.assertEqual(out["stopped"], out["error"])
        op = self.op()
        self.assertEqual((op["state"], op["reason"]), ("Aborted", "aborted by --abort"))
        # the checkpoint that found the mark matched nothing; the finish then
        # recorded the last batch's counts in the Aborted document, keeping
        # its state and reason (they missed the last batch before)
        self.assertEqual((op["counters"]["nInserted"], op["counters"]["batches"]), (40, 4), op)
        self.assertEqual(op["checkpoint"]["completed"], [{"first": 1, "last": 40}], op)
        self.assertIn("finishedAt", op)

    def test_a_process_whose_operation_was_resumed_elsewhere_stops_writing(self):
        """Another process resumed the operation (its claim: state
        InProgress, resumes 1, its host and pid; as resume.c's, when this
        one's heartbeat looked stale): every update of this process has
        resumes 0 in its filter, so its next checkpoint matches nothing,
        changes nothing of the other's, and it stops with no further
        batch sent. Before, it matched on the state alone, went on
        writing and ended the operation Complete over the other's."""
        claim = {"state": "InProgress", "resumes": 1, "host": "elsewhere", "pid": 4242}
        out = self.marked_while_batch_4_is_in_flight({"state": {"$in": ["Open", "InProgress"]}, "resumes": 0},
                                                     {"$set": claim})
        self.assertEqual(out["error"], "operation %s was taken over by another process (pid 4242 on elsewhere): "
                         "this one stopped writing after batch 4" % out["operationId"])
        # the other's claim stands: no update of this process matched after it
        op = self.op()
        self.assertEqual({k: op[k] for k in claim}, claim, op)
        self.assertNotIn("finishedAt", op)
        self.assertEqual(op["counters"]["nInserted"], 30, op)  # the last checkpoint before the claim
        # the state and holder were read once, after the checkpoint that matched nothing
        self.assertEqual(len(self.proxy.commands("find", coll=OPS)), 1)

if __name__ == "__main__":
    bqltest.main()
