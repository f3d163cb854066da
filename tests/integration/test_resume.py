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

OPID = "65a1f0c2e4b0a1b2c3d4e5f6"


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def statement_hash(sql):
    """statementHash: the statement's text, without its ';'."""
    return fnv1a64(sql.strip().rstrip(";").strip().encode())


def file_source(path):
    st = os.stat(path)
    with open(path, "rb") as f:
        head = f.read(1 << 20)
    return {"type": "file", "path": os.path.realpath(path), "size": st.st_size,
            "mtime": datetime.datetime.fromtimestamp(st.st_mtime_ns // 1000000 / 1000.0, datetime.timezone.utc),
            "headHash": fnv1a64(head)}


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
        self.db.bulkql_operations.insert_one(doc)
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
                                r"its heartbeat is 30 s old.\n\Z" % OPID)
        self.assertEqual(self.docs("items"), [])

    def test_stdin_cannot_be_read_again(self):
        sql = "BULK INSERT INTO items FROM STDIN FORMAT NDJSON"
        self.operation(sql, "insert", "items", {"type": "stdin"})
        self.refused("operation %s read FROM STDIN: its rows cannot be read again, so it cannot be resumed" % OPID,
                     hint="Load the rest from a file as a new operation (rows after the last one written).")

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


if __name__ == "__main__":
    bqltest.main()
