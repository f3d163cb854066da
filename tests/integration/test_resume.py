"""RESUME OPERATION 'id' and bulkql --resume ID on the live server.

Operations are made here as their documents in bulkql_operations
(ops-design.md's schema, the one BulkQL writes): the state, source and
checkpoint of an interrupted run, with the collection holding what that
run had written. Every refusal is checked with its exact message, exit 1
and nothing written; every resume with the documents read back with
pymongo: rows of completed batches not written again, rows in doubt
re-sent or reported by kind ($inc never applied twice), counters carried
over. test_resume_kill.py makes the same operations by killing bulkql."""
import datetime
import json
import os
import socket
import sys
import tempfile

import bson

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402
from ophash import fnv1a64_hex, row_oid  # noqa: E402

OPID = "65a1f0c2e4b0a1b2c3d4e5f6"


def statement_hash(sql):
    """statementHash: the statement's text, without its ';'."""
    return fnv1a64_hex(sql.strip().rstrip(";").strip().encode())


def file_source(path):
    st = os.stat(path)
    with open(path, "rb") as f:
        head = f.read(1 << 20)
    return {"type": "file", "path": os.path.realpath(path), "size": st.st_size,
            "mtime": datetime.datetime.fromtimestamp(st.st_mtime_ns // 1000000 / 1000.0, datetime.timezone.utc),
            "headHash": fnv1a64_hex(head)}


def ago(seconds):
    return datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=seconds)


COUNTERS = ("nInserted", "nMatched", "nModified", "nUpserted", "nRemoved", "nArchived", "nFailed", "nInDoubt",
            "nAlreadyWritten", "rowsDone", "batches")


class ResumeCase(bqltest.BulkqlCase):
    def operation(self, sql, kind, coll, source, state="InProgress", checkpoint=None, counters=None,
                  heartbeat=120, opid=OPID, **extra):
        """The document of an operation interrupted heartbeat seconds ago."""
        c = {k: 0 for k in COUNTERS}
        c.update(counters or {})
        doc = {"_id": opid, "statement": sql.strip().rstrip(";"), "statementTruncated": False,
               "statementHash": statement_hash(sql), "kind": kind, "database": self.dbname, "collection": coll,
               "options": {}, "source": source, "state": state, "startedAt": ago(heartbeat + 60),
               "updatedAt": ago(heartbeat), "heartbeatAt": ago(heartbeat), "host": "elsewhere", "pid": 4242,
               "resumes": 0, "counters": c,
               "checkpoint": checkpoint if checkpoint is not None else {"completed": [], "inFlight": [],
                                                                         "batches": 0}}
        doc.update(extra)
        # (a command: this pymongo refuses "$" keys, the source filter's)
        self.db.command("insert", "bulkql_operations", documents=[doc])
        return doc

    def write_file(self, name, text):
        d = tempfile.mkdtemp()
        self.addCleanup(lambda: (os.path.exists(os.path.join(d, name)) and os.unlink(os.path.join(d, name)),
                                 os.rmdir(d)))
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def resume(self, *args, expect=0, sql=None):
        r = self.bulkql("--format", "json", *args, sql=sql)
        self.assertEqual(r.rc, expect, r)
        return r

    def refused(self, message, *args, hint=None, sql=None):
        """bulkql --resume OPID refuses with message: exit 1, stderr exactly."""
        before = {c: self.docs(c) for c in self.db.list_collection_names()}
        r = self.bulkql("--resume", OPID, *args, sql=sql)
        self.assertEqual(r.rc, 1, r)
        want = "bulkql: error: %s\n" % message
        if hint:
            want += "hint: %s\n" % hint
        self.assertEqual(r.err, want)
        self.assertEqual(r.out, "")
        after = {c: self.docs(c) for c in self.db.list_collection_names()}
        self.assertEqual(after, before)  # nothing written, the operation unchanged


class RefusalTest(ResumeCase):
    def insert_file(self, n=4):
        path = self.write_file("rows.ndjson", "".join('{"_id": %d, "v": %d}\n' % (i, i) for i in range(1, n + 1)))
        sql = "BULK INSERT INTO items FROM '%s'" % path
        return path, sql

    def test_unknown_id(self):
        self.refused("no operation %s: no database's bulkql_operations holds it" % OPID,
                     hint="bulkql --operations lists the operations of a database (--db).")

    def test_unknown_id_in_a_script_points_at_the_statement(self):
        r = self.bulkql(sql="RESUME OPERATION '%s';" % OPID.upper())
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.err, "<command>:1:1: error: no operation %s: no database's bulkql_operations holds it\n"
                                "    1 | RESUME OPERATION '%s';\n"
                                "      | %s\n"
                                "hint: bulkql --operations lists the operations of a database (--db).\n"
                         % (OPID, OPID.upper(), "^" * 43))

    def test_complete_and_aborted_are_final(self):
        path, sql = self.insert_file()
        self.operation(sql, "insert", "items", file_source(path), state="Complete")
        self.refused("operation %s is Complete: there is nothing to resume" % OPID)
        self.db.bulkql_operations.update_one({"_id": OPID}, {"$set": {"state": "Aborted",
                                                                     "reason": "aborted by --abort"}})
        self.refused("operation %s was Aborted (aborted by --abort): an aborted operation is final and cannot be "
                     "resumed" % OPID, hint="Run the statement again as a new operation if it is still wanted.")

    def test_a_live_holder_is_refused(self):
        path, sql = self.insert_file()
        self.operation(sql, "insert", "items", file_source(path), heartbeat=2)
        r = self.bulkql("--resume", OPID)
        self.assertEqual(r.rc, 1, r)
        self.assertRegex(r.err, r"^bulkql: error: operation %s is InProgress in another process \(pid 4242 on "
                                r"elsewhere\): its heartbeat is [0-9]\.[0-9] s old\n"
                                r"hint: A running operation cannot be resumed. If that process is gone, resume once "
                                r"its heartbeat is 60 s old \(listed as Interrupted\).\n\Z" % OPID)
        self.assertEqual(self.docs("items"), [])

    def test_stdin_cannot_be_read_again(self):
        sql = "BULK INSERT INTO items FROM STDIN FORMAT NDJSON"
        self.operation(sql, "insert", "items", {"type": "stdin"})
        self.refused("operation %s read FROM STDIN: its rows cannot be read again, so it cannot be resumed" % OPID,
                     hint="Load the rest from a file as a new operation (rows after the last one written).")

    def test_rows_from_a_select_cannot_be_read_again(self):
        self.db.ev.insert_many([{"_id": i, "k": i % 3} for i in range(9)])
        sql = "BULK INSERT INTO items SELECT k FROM ev"
        self.operation(sql, "insert", "items", {"type": "select"})
        self.refused("operation %s read its rows from a SELECT: a second run of its pipeline may give other rows, "
                     "so it cannot be resumed" % OPID,
                     hint="Run the statement again as a new operation: an UPSERT keyed on the rows' columns "
                          "updates what the first run wrote.")

    def test_a_changed_file_is_refused(self):
        path, sql = self.insert_file()
        src = file_source(path)
        self.operation(sql, "insert", "items", dict(src, size=src["size"] - 1))
        why = "A resume reads the same rows again to number them: the file must be the one the operation read."
        self.refused("%s changed since operation %s read it: its size was %d bytes, it is %d now"
                     % (src["path"], OPID, src["size"] - 1, src["size"]), hint=why)
        then = datetime.datetime(2026, 1, 2, 3, 4, 5, 678000, datetime.timezone.utc)
        self.db.bulkql_operations.update_one({"_id": OPID}, {"$set": {"source.size": src["size"],
                                                                     "source.mtime": then}})
        now = src["mtime"].strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (src["mtime"].microsecond // 1000)
        self.refused("%s changed since operation %s read it: it was modified at 2026-01-02T03:04:05.678Z, now at %s"
                     % (src["path"], OPID, now), hint=why)
        self.db.bulkql_operations.update_one({"_id": OPID}, {"$set": {"source.mtime": src["mtime"],
                                                                     "source.headHash": "0123456789abcdef"}})
        self.refused("%s changed since operation %s read it: the hash of its first MiB was 0123456789abcdef, it is "
                     "%s now" % (src["path"], OPID, src["headHash"]), hint=why)
        os.unlink(path)
        with open(path, "w"):
            pass
        os.unlink(path)
        self.refused("operation %s read %s, which cannot be read now: No such file or directory" % (OPID, src["path"]))

    def test_a_different_statement_is_refused(self):
        path, sql = self.insert_file()
        self.operation(sql, "insert", "items", file_source(path))
        other = sql + " WITH (batch_size = 2)"
        self.refused("the statement given is not operation %s's: its hash is %s, the operation's statementHash is %s"
                     % (OPID, statement_hash(other), statement_hash(sql)),
                     hint="A resume runs the operation's own statement, with the same text: give it unchanged, or "
                          "give none to run the one stored.", sql=other + ";")

    def test_a_truncated_statement_needs_the_statement(self):
        path, sql = self.insert_file()
        self.operation(sql, "insert", "items", file_source(path), statement=sql[:20], statementTruncated=True)
        self.refused("operation %s's statement is longer than the 4096 bytes stored (statementTruncated): give the "
                     "statement with -f or -c" % OPID,
                     hint="bulkql --resume ID -f FILE runs FILE's statement once its text is checked against the "
                          "operation's statementHash.")
        # with the statement given, it runs
        res = self.json_result(self.resume("--resume", OPID, sql=sql + ";"))[0]
        self.assertEqual(res["operationId"], OPID)
        self.assertEqual([d["_id"] for d in self.docs("items")], [1, 2, 3, 4])

    def test_an_unbatched_inc_in_flight_cannot_be_resumed(self):
        self.db.scores.insert_many([{"_id": i, "score": 0} for i in range(1, 4)])
        sql = "BULK UPDATE scores SET score = score + 1 WHERE TRUE WITH (batch_size = 0)"
        self.operation(sql, "update", "scores", {"type": "where", "filter": "{}"},
                       checkpoint={"completed": [], "inFlight": [], "lastId": None, "inFlightIds": [],
                                   "inFlightAll": True, "batches": 0})
        self.refused("operation %s's one update over the whole filter (batch_size = 0) was in flight when it was "
                     "interrupted, and it is not idempotent: every matching document is in doubt, and it cannot be "
                     "resumed without applying it twice" % OPID,
                     hint="Check the documents by hand; with batch_size > 0 a resume knows which batch was in "
                          "flight.")
        # the same with $set is sent again whole
        self.db.bulkql_operations.delete_many({})
        sql = "BULK UPDATE scores SET score = 7 WHERE TRUE WITH (batch_size = 0)"
        self.operation(sql, "update", "scores", {"type": "where", "filter": "{}"},
                       checkpoint={"completed": [], "inFlight": [], "lastId": None, "inFlightIds": [],
                                   "inFlightAll": True, "batches": 0})
        self.resume("--resume", OPID)
        self.assertEqual([d["score"] for d in self.docs("scores")], [7, 7, 7])

    def test_usage_errors(self):
        r = self.bulkql("--resume", "xyz")
        self.assertEqual((r.rc, r.err), (2, "bulkql: --resume: invalid operation id 'xyz' (24 hexadecimal digits, "
                                            "as operationId shows it)\nTry 'bulkql --help' for more information.\n"))
        r = self.bulkql("--resume", OPID, "--dry-run")
        self.assertEqual((r.rc, r.err), (2, "bulkql: --resume writes: it cannot be combined with --dry-run\n"
                                            "Try 'bulkql --help' for more information.\n"))
        r = self.bulkql("--resume", OPID, "-c", "BULK DELETE FROM a WHERE TRUE", "-c", "BULK DELETE FROM a WHERE TRUE")
        self.assertEqual(r.rc, 2, r)
        r = self.bulkql("--resume", OPID, sql="BULK DELETE FROM a WHERE TRUE; BULK DELETE FROM b WHERE TRUE")
        self.assertEqual((r.rc, r.err), (1, "bulkql: <command>: --resume runs one BULK statement, the operation's "
                                            "own; this holds several statements\n"))
        r = self.bulkql("--explain", sql="RESUME OPERATION '%s'" % OPID)
        self.assertEqual(r.rc, 1, r)
        self.assertIn("error: --explain cannot run RESUME OPERATION", r.err)


class ResumeRunTest(ResumeCase):
    def failed_lines(self, path):
        with open(path) as f:
            return [bson.json_util.loads(line) for line in f]

    def test_insert_skips_completed_rows_and_checks_rows_in_doubt(self):
        rows = [{"_id": i, "v": i} for i in range(1, 11)]
        path = self.ndjson(rows)
        sql = "BULK INSERT INTO items FROM '%s' WITH (batch_size = 2)" % path
        # batches [1,2] [3,4] completed; [5,6] sent (row 5 landed, row 6 not)
        self.db.items.insert_many([dict(r) for r in rows[:5]])
        self.operation(sql, "insert", "items", file_source(path),
                       checkpoint={"completed": [{"first": 1, "last": 2}, {"first": 3, "last": 4}], "inFlight": [], "sentThrough": 6, "batches": 2},
                       counters={"nInserted": 4, "rowsDone": 4, "batches": 2})
        res = self.json_result(self.resume("--resume", OPID))[0]
        self.assertEqual(self.docs("items"), rows)  # every row once
        self.assertEqual((res["operationId"], res["resumes"], res["nSkipped"], res["nAlreadyWritten"],
                          res["nInserted"], res["nFailed"], res["nInDoubt"], res["inDoubt"], res["nRows"]),
                         (OPID, 1, 4, 1, 10, 0, 0, [], 10))  # nInserted: 4 carried + row 5 found + 5 sent
        self.assertNotIn("nNotAttempted", res)

    def test_insert_asks_only_up_to_a_bound_past_sent_through(self):
        """The interrupted run can have sent at most 2 x (checkpoint_interval
        + parallel_workers) + 1 batches past sentThrough: rows 3-12 here.
        Row 5, stored as sent, is already written; row 30 (the last), stored as
        sent too, lies past the bound, is not asked for and fails as a duplicate
        as in any run (before, every row to the end was asked for, batch by
        batch)."""
        rows = [{"_id": i, "v": i} for i in range(1, 31)]
        path = self.ndjson(rows)
        sql = "BULK INSERT INTO items FROM '%s' WITH (batch_size = 2, ordered = false)" % path
        self.db.items.insert_many([dict(rows[0]), dict(rows[1]), dict(rows[4]), dict(rows[29])])
        self.operation(sql, "insert", "items", file_source(path),
                       checkpoint={"completed": [{"first": 1, "last": 2}], "inFlight": [], "sentThrough": 2,
                                   "batches": 1},
                       counters={"nInserted": 2, "rowsDone": 2, "batches": 1})
        res = self.json_result(self.resume("--resume", OPID, expect=1))[0]
        self.assertEqual(self.docs("items"), rows)
        self.assertEqual((res["nSkipped"], res["nAlreadyWritten"], res["nInserted"], res["nFailed"]), (2, 1, 29, 1))  # nInserted: 2 carried over + row 5 found + 26
        self.assertEqual([(e["row"], e["code"]) for e in res["writeErrors"]], [(30, 11000)])

    def test_insert_row_of_ours_past_the_bound_is_already_written(self):
        """A row without _id that the interrupted run wrote past the lookup's
        bound (seen at full counts with parallel_workers = 4) comes back as
        a duplicate key on this operation's deterministic _id for that row:
        already written, not a failed row (unordered), and the operation
        completes."""
        rows = [{"v": i} for i in range(1, 31)]
        path = self.ndjson(rows)
        sql = "BULK INSERT INTO items FROM '%s' WITH (batch_size = 2, ordered = false)" % path
        self.db.items.insert_many([dict(rows[i - 1], _id=row_oid(OPID, i)) for i in (1, 2, 29)])
        self.operation(sql, "insert", "items", file_source(path),
                       checkpoint={"completed": [{"first": 1, "last": 2}], "inFlight": [], "sentThrough": 2,
                                   "batches": 1},
                       counters={"nInserted": 2, "rowsDone": 2, "batches": 1})
        res = self.json_result(self.resume("--resume", OPID))[0]
        docs = sorted(self.db.items.find(), key=lambda d: d["v"])
        self.assertEqual([(d["_id"], d["v"]) for d in docs], [(row_oid(OPID, i), i) for i in range(1, 31)])
        self.assertEqual((res["nSkipped"], res["nAlreadyWritten"], res["nInserted"], res["nFailed"]), (2, 1, 30, 0))
        self.assertEqual(self.db.bulkql_operations.find_one({"_id": OPID})["state"], "Complete")

    def test_a_gone_holder_on_this_host_is_resumed_at_once(self):
        path = self.ndjson([{"_id": i} for i in range(1, 4)])
        sql = "BULK INSERT INTO items FROM '%s'" % path
        import subprocess
        gone = subprocess.Popen(["true"])
        gone.wait()  # its pid now names no process
        self.operation(sql, "insert", "items", file_source(path), heartbeat=1, host=socket.gethostname(),
                       pid=gone.pid)
        res = self.json_result(self.resume("--resume", OPID))[0]
        self.assertEqual((res["nInserted"], res["resumes"]), (3, 1))
        op = self.db.bulkql_operations.find_one({"_id": OPID})
        self.assertEqual((op["resumes"], op["host"], op["state"] != "Open"), (1, socket.gethostname(), True))

    def test_a_resumed_drop_true_insert_does_not_drop_again(self):
        rows = [{"_id": i, "v": i} for i in range(1, 5)]
        path = self.ndjson(rows)
        sql = "BULK INSERT INTO items FROM '%s' WITH (batch_size = 2, drop = true)" % path
        self.db.items.insert_many([dict(r) for r in rows[:2]])
        self.operation(sql, "insert", "items", file_source(path),
                       checkpoint={"completed": [{"first": 1, "last": 2}], "inFlight": [], "sentThrough": 2,
                                   "batches": 1},
                       counters={"nInserted": 2, "rowsDone": 2, "batches": 1})
        res = self.json_result(self.resume("--resume", OPID))[0]
        self.assertEqual(self.docs("items"), rows)  # rows 1-2 kept: no second drop
        self.assertEqual((res["nInserted"], res["nSkipped"]), (4, 2))

    def test_a_resumed_drop_true_insert_with_nothing_completed_drops(self):
        """Interrupted before any batch completed, the run may have died
        before its drop: the resume drops (again), then sends every row,
        so what the collection held before the statement is gone as in a
        run that was not interrupted (before, the old documents stayed)."""
        rows = [{"_id": i, "v": i} for i in range(1, 5)]
        path = self.ndjson(rows)
        sql = "BULK INSERT INTO items FROM '%s' WITH (batch_size = 2, drop = true)" % path
        self.db.items.insert_many([{"_id": 1, "v": "old"}, {"_id": 99, "v": "old"}])
        self.operation(sql, "insert", "items", file_source(path),
                       checkpoint={"completed": [], "inFlight": [], "sentThrough": 0, "batches": 0})
        res = self.json_result(self.resume("--resume", OPID))[0]
        self.assertEqual(self.docs("items"), rows)
        self.assertEqual((res["nInserted"], res["nSkipped"], res["nFailed"]), (4, 0, 0))

    def test_insert_row_in_doubt_under_another_document_fails(self):
        rows = [{"_id": i, "v": i} for i in range(1, 5)]
        path = self.ndjson(rows)
        sql = "BULK INSERT INTO items FROM '%s' WITH (batch_size = 2, ordered = false)" % path
        self.db.items.insert_many([rows[0], rows[1], {"_id": 3, "v": "someone else's"}])
        self.operation(sql, "insert", "items", file_source(path),
                       checkpoint={"completed": [{"first": 1, "last": 2}], "inFlight": [], "sentThrough": 4, "batches": 1},
                       counters={"nInserted": 2, "rowsDone": 2, "batches": 1})
        res = self.json_result(self.resume("--resume", OPID, expect=1))[0]
        self.assertEqual(self.docs("items"), [rows[0], rows[1], {"_id": 3, "v": "someone else's"}, rows[3]])
        self.assertEqual(res["writeErrors"], [{"row": 3, "code": 11000, "errmsg": "duplicate key: another document "
                                               "with this _id is stored (found when resuming: the row was in doubt)"}])
        self.assertEqual((res["nInserted"], res["nFailed"], res["nAlreadyWritten"]), (3, 1, 0))

    def test_update_from_file_with_inc_reports_rows_in_doubt(self):
        self.db.stock.insert_many([{"_id": i, "qty": 10} for i in range(1, 7)])
        path = self.ndjson([{"sku": i, "n": 1} for i in range(1, 7)])
        failed = os.path.join(tempfile.mkdtemp(), "failed.ndjson")
        self.addCleanup(lambda: (os.path.exists(failed) and os.unlink(failed), os.rmdir(os.path.dirname(failed))))
        sql = ("BULK UPDATE stock SET qty = qty + v.n FROM '%s' AS v WHERE stock._id = v.sku "
               "WITH (batch_size = 2, failed_records_file = '%s')" % (path, failed))
        # rows 1-2 applied and completed; 3-4 in flight (3 applied, 4 not: unknown); 5-6 never sent
        for i in (1, 2, 3):
            self.db.stock.update_one({"_id": i}, {"$inc": {"qty": 1}})
        self.operation(sql, "update", "stock", file_source(path),
                       checkpoint={"completed": [{"first": 1, "last": 2}], "inFlight": [{"first": 3, "last": 4}], "sentThrough": 4, "batches": 1},
                       counters={"nMatched": 2, "nModified": 2, "rowsDone": 2, "batches": 1})
        # the interrupted run's failed rows are there: the resume appends
        # to the file (without failed_records_mode a new run refuses it)
        earlier = '{"operationId": "%s", "row": 1, "code": 1, "error": "the first run\'s", "document": {}}\n' % OPID
        with open(failed, "w") as f:
            f.write(earlier)
        r = self.resume("--resume", OPID, expect=1)
        res = self.json_result(r)[0]
        # $inc never applied twice: rows 3 and 4 are left as they were
        self.assertEqual({d["_id"]: d["qty"] for d in self.docs("stock")}, {1: 11, 2: 11, 3: 11, 4: 10, 5: 11, 6: 11})
        msg = ("in doubt: sent before the operation was interrupted, its outcome is unknown, and its write is not "
               "idempotent: not sent again")
        self.assertEqual(res["writeErrors"], [{"row": 3, "code": "IN_DOUBT", "errmsg": msg},
                                              {"row": 4, "code": "IN_DOUBT", "errmsg": msg}])
        self.assertEqual((res["nInDoubt"], res["inDoubt"], res["nMatched"], res["nModified"], res["nFailed"],
                          res["nSkipped"]), (2, [{"row": 3}, {"row": 4}], 4, 4, 2, 2))
        self.assertEqual(res["error"], "2 rows failed, 2 of them in doubt: they may or may not have been written, "
                                       "and their writes are not idempotent, so they were not sent again (inDoubt "
                                       "lists them)")
        lines = self.failed_lines(failed)
        self.assertEqual([(x["row"], x["code"], x["document"]) for x in lines],
                         [(1, 1, {}), (3, "IN_DOUBT", {"sku": 3, "n": 1}), (4, "IN_DOUBT", {"sku": 4, "n": 1})])
        self.assertTrue(all(x["operationId"] == OPID for x in lines))
        recs = list(self.db.bulk_operation_errors.find({}))
        self.assertEqual(len(recs), 1)
        self.assertEqual((recs[0]["operationId"], recs[0]["errorCode"],
                          [(e["row"], e["code"]) for e in recs[0]["writeErrors"]]),
                         (OPID, "IN_DOUBT", [(3, "IN_DOUBT"), (4, "IN_DOUBT")]))

    def test_update_from_file_with_set_resends_rows_in_doubt(self):
        self.db.stock.insert_many([{"_id": i, "price": 1} for i in range(1, 5)])
        path = self.ndjson([{"sku": i, "p": i * 10} for i in range(1, 5)])
        sql = "BULK UPDATE stock SET price = v.p FROM '%s' AS v WHERE stock._id = v.sku WITH (batch_size = 2)" % path
        self.db.stock.update_one({"_id": 1}, {"$set": {"price": 10}})
        self.db.stock.update_one({"_id": 2}, {"$set": {"price": 20}})
        self.db.stock.update_one({"_id": 3}, {"$set": {"price": 30}})
        self.operation(sql, "update", "stock", file_source(path),
                       checkpoint={"completed": [{"first": 1, "last": 2}], "inFlight": [], "sentThrough": 4, "batches": 1},
                       counters={"nMatched": 2, "nModified": 2, "rowsDone": 2, "batches": 1})
        res = self.json_result(self.resume("--resume", OPID))[0]
        self.assertEqual({d["_id"]: d["price"] for d in self.docs("stock")}, {1: 10, 2: 20, 3: 30, 4: 40})
        self.assertEqual((res["nMatched"], res["nModified"], res["nInDoubt"], res["nSkipped"]), (4, 3, 0, 2))

    def test_update_where_with_inc_goes_on_after_last_id(self):
        self.db.scores.insert_many([{"_id": i, "score": 0} for i in range(1, 11)])
        sql = "BULK UPDATE scores SET score = score + 1 WHERE score >= 0 WITH (batch_size = 3)"
        # batch 1 (_id 1-3) completed; batch 2 (_id 4-6) in flight, applied to 4 only
        for i in (1, 2, 3, 4):
            self.db.scores.update_one({"_id": i}, {"$inc": {"score": 1}})
        self.operation(sql, "update", "scores", {"type": "where", "filter": '{"score": {"$gte": 0}}'},
                       checkpoint={"completed": [], "inFlight": [], "lastId": 3, "inFlightIds": [4, 5, 6],
                                   "batches": 1},
                       counters={"nMatched": 3, "nModified": 3, "rowsDone": 3, "batches": 1})
        res = self.json_result(self.resume("--resume", OPID, expect=1))[0]
        self.assertEqual({d["_id"]: d["score"] for d in self.docs("scores")},
                         {1: 1, 2: 1, 3: 1, 4: 1, 5: 0, 6: 0, 7: 1, 8: 1, 9: 1, 10: 1})
        self.assertEqual((res["nInDoubt"], res["inDoubt"], res["nMatched"], res["nModified"]),
                         (3, [{"_id": 4}, {"_id": 5}, {"_id": 6}], 7, 7))
        self.assertEqual([(e["_id"], e["code"]) for e in res["writeErrors"]],
                         [(4, "IN_DOUBT"), (5, "IN_DOUBT"), (6, "IN_DOUBT")])

    def test_update_where_with_set_rescans_the_batch_in_flight(self):
        self.db.flags.insert_many([{"_id": i, "flag": False} for i in range(1, 8)])
        sql = "BULK UPDATE flags SET flag = TRUE WHERE _id > 0 WITH (batch_size = 2)"
        for i in (1, 2, 3):
            self.db.flags.update_one({"_id": i}, {"$set": {"flag": True}})
        self.operation(sql, "update", "flags", {"type": "where", "filter": '{"_id": {"$gt": 0}}'},
                       checkpoint={"completed": [], "inFlight": [], "lastId": 2, "batches": 1},
                       counters={"nMatched": 2, "nModified": 2, "rowsDone": 2, "batches": 1})
        res = self.json_result(self.resume("--resume", OPID))[0]
        self.assertTrue(all(d["flag"] for d in self.docs("flags")))
        self.assertEqual((res["nMatched"], res["nModified"], res["nInDoubt"]), (7, 6, 0))
        # the 2 documents done before are carried over (the scan goes on after lastId)
        self.assertEqual(self.db.bulkql_operations.find_one({"_id": OPID})["counters"]["rowsDone"], 7)

    def test_update_where_with_nothing_left_keeps_its_counts(self):
        """A resume that finds nothing left after lastId (killed after its
        last checkpoint) ends Complete with the counts carried over:
        rowsDone stayed 0 before."""
        self.db.flags.insert_many([{"_id": i, "flag": True} for i in range(1, 6)])
        sql = "BULK UPDATE flags SET flag = TRUE WHERE _id > 0 WITH (batch_size = 2)"
        self.operation(sql, "update", "flags", {"type": "where", "filter": '{"_id": {"$gt": 0}}'},
                       checkpoint={"completed": [], "inFlight": [], "lastId": 5, "batches": 3},
                       counters={"nMatched": 5, "nModified": 5, "rowsDone": 5, "batches": 3})
        res = self.json_result(self.resume("--resume", OPID))[0]
        self.assertEqual((res["nMatched"], res["nModified"], res["batches"]), (5, 5, 3))
        op = self.db.bulkql_operations.find_one({"_id": OPID})
        self.assertEqual(op["state"], "Complete")
        self.assertEqual({k: op["counters"][k] for k in ("nMatched", "nModified", "rowsDone", "batches")},
                         {"nMatched": 5, "nModified": 5, "rowsDone": 5, "batches": 3})

    def test_archive_then_delete_goes_on_after_last_id(self):
        originals = [{"_id": i, "old": True} for i in range(1, 9)]
        self.db.logs.insert_many([dict(d) for d in originals])
        sql = ("BULK DELETE FROM logs WHERE old = TRUE WITH ARCHIVAL_STRATEGY (archive_collection = 'logs_archive') "
               "WITH DELETE_OPTIONS (batch_size = 3)")
        # batch 1 archived and deleted; batch 2 archived, not deleted (in flight)
        for d in originals[:6]:
            self.db.logs_archive.insert_one(dict(d, archivedAt=ago(100), originalCollection="logs"))
        self.db.logs.delete_many({"_id": {"$lte": 3}})
        self.operation(sql, "delete", "logs", {"type": "where", "filter": '{"old": {"$eq": true}}'},
                       checkpoint={"completed": [], "inFlight": [], "lastId": 3, "inFlightIds": [4, 5, 6],
                                   "batches": 1},
                       counters={"nRemoved": 3, "nArchived": 3, "rowsDone": 3, "batches": 1})
        res = self.json_result(self.resume("--resume", OPID))[0]
        self.assertEqual(self.docs("logs"), [])
        self.assertEqual([d["_id"] for d in self.docs("logs_archive")], list(range(1, 9)))
        self.assertEqual((res["nRemoved"], res["nArchived"], res["nInDoubt"]), (8, 8, 0))


if __name__ == "__main__":
    bqltest.main()
