"""retry_attempts / retry_backoff_ms against a server that dies and comes
back: a lost insert batch is checked against the server and sent again
without writing any row twice; a lost non-idempotent update ($inc) is never
sent twice, and the rows in doubt are reported (see test_exec_retry.py for
lost replies made at an exact command)."""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import bson
import bson.json_util
import pymongo

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402

SERVER = os.environ.get("BULKQL_TESTSERVER", os.path.join(bqltest.TOP, ".cache", "bin", "testserver"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnServer:
    """A test server of our own, on a fixed port, that can be killed."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="bulkql-retry-")
        self.port = free_port()
        self.uri = "mongodb://127.0.0.1:%d/" % self.port
        self.proc = None

    def start(self):
        uri_file = os.path.join(self.dir, "uri")
        if os.path.exists(uri_file):
            os.unlink(uri_file)
        self.proc = subprocess.Popen([SERVER, "-addr", "127.0.0.1:%d" % self.port, "-dir",
                                      os.path.join(self.dir, "data"), "-uri-file", uri_file],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = pymongo.MongoClient(self.uri, serverSelectionTimeoutMS=200)
        for _ in range(300):
            try:
                client.admin.command("ping")
                client.close()
                return
            except pymongo.errors.PyMongoError:
                time.sleep(0.05)
        raise RuntimeError("the test server did not start")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()


class RetryTest(bqltest.BulkqlCase):
    def setUp(self):
        super().setUp()
        self.server = OwnServer()
        self.server.start()
        self.own = pymongo.MongoClient(self.server.uri, serverSelectionTimeoutMS=5000)

    def tearDown(self):
        self.own.close()
        self.server.stop()
        super().tearDown()

    def run_with_outage(self, sql, started, down_for):
        """Run sql; once started() says the statement is under way, kill the
        server, keep it down for down_for seconds, start it again."""
        script = os.path.join(self.server.dir, "script.sql")
        with open(script, "w") as f:
            f.write(sql)
        proc = subprocess.Popen([bqltest.BULKQL, "--uri", self.server.uri, "--db", "r", "--format", "json", "-f", script],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while not started() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.01)
        self.assertIsNone(proc.poll(), "the statement ended before the server was killed")
        self.server.kill()
        time.sleep(down_for)
        self.server.start()
        out, err = proc.communicate(timeout=120)
        results = [bson.json_util.loads(line) for line in out.splitlines() if line.startswith("{")]
        return proc.returncode, results, err

    def test_insert_batch_lost_to_a_restart_is_retried_without_duplicates(self):
        n = 40000
        sql = ("BULK INSERT INTO ev (_id, v) VALUES %s WITH (batch_size = 500, retry_attempts = 10, "
               "retry_backoff_ms = 200);" % ", ".join("(%d, 'value %d')" % (i, i) for i in range(1, n + 1)))
        rc, results, err = self.run_with_outage(
            sql, lambda: self.own.r.ev.estimated_document_count() >= 3000, down_for=1.0)
        self.assertEqual(rc, 0, err)
        res = results[0]
        self.assertEqual((res["nInserted"], res["nFailed"]), (n, 0))
        self.assertGreaterEqual(res["retries"], 1)
        ids = [d["_id"] for d in self.own.r.ev.find({}, {"_id": 1}, sort=[("_id", 1)])]
        self.assertEqual(ids, list(range(1, n + 1)))

    def test_lost_inc_batch_is_not_sent_twice(self):
        # (rows in doubt no longer stop the statement: it goes on to the
        # end, one command per row on FerretDB, so n stays small)
        n = 800
        self.own.r.acc.insert_many([{"_id": i, "k": "k%d" % i, "hits": 0} for i in range(1, n + 1)])
        sql = ("BULK UPDATE acc SET hits = hits + 1 FROM (VALUES %s) AS v(k) WHERE acc.k = v.k "
               "WITH (batch_size = 100, retry_attempts = 10, retry_backoff_ms = 200);"
               % ", ".join("('k%d')" % i for i in range(1, n + 1)))
        rc, results, err = self.run_with_outage(
            # rows go in _id order: row 300 done means three batches are in. A
            # point read by _id (pushed down to SQLite) rather than a count:
            # FerretDB's SQLite backend can wedge when a collection scan runs
            # alongside the updates.
            sql, lambda: self.own.r.acc.find_one({"_id": 300, "hits": 1}) is not None, down_for=0.5)
        hits = {d["_id"]: d["hits"] for d in self.own.r.acc.find()}
        self.assertTrue(set(hits.values()) <= {0, 1}, "a row was incremented twice")
        res = results[0]
        self.assertGreaterEqual(res["retries"], 1)
        unknown = [e["row"] for e in res["writeErrors"]]
        for e in res["writeErrors"]:
            self.assertEqual(e["code"], "IN_DOUBT")
            self.assertIn("may or may not have been written, and it was not sent again because its update is not "
                          "idempotent", e["errmsg"])
        self.assertEqual(res.get("nInDoubt", 0), len(unknown))
        # only the rows in flight are in doubt: one command per row on a
        # server that loses update counts (FerretDB), else one batch
        lossy = "ferretdbVersion" in self.own.admin.command("buildInfo")
        self.assertLessEqual(len(unknown), 1 if lossy else 100)
        # every row is accounted for, and every row counted as matched was
        # applied once (rows are _ids here)
        self.assertEqual(res["nMatched"] + res["nFailed"] + res["nUnmatched"] + res.get("nNotAttempted", 0), n)
        self.assertEqual(res["nMatched"], sum(hits.values()) - sum(hits[row] for row in unknown))
        if unknown:
            self.assertEqual(rc, 1, err)
        else:
            self.assertEqual((rc, res["nMatched"]), (0, n), err)

    def test_error_record_of_a_lost_batch_is_written_once_the_server_is_back(self):
        # the batch's two retries run out while the server is down (the
        # first second of backoff, then two more); the error record is
        # sent again within the same policy, and the server is back by then
        n = 40000
        sql = ("BULK INSERT INTO ev (_id, v) VALUES %s WITH (batch_size = 500, retry_attempts = 2, "
               "retry_backoff_ms = 1000);" % ", ".join("(%d, 'value %d')" % (i, i) for i in range(1, n + 1)))
        rc, results, err = self.run_with_outage(
            sql, lambda: self.own.r.ev.estimated_document_count() >= 3000, down_for=4.0)
        self.assertNotEqual(rc, 0, err)
        res = results[0]
        self.assertIn("lost the server during batch", res["error"])
        # no record was lost; a checkpoint of the operation (issue 15) sent
        # while the server was down may be, and says so (the next one, or
        # the end, records what it would have)
        for f in res.get("logFailures", []):
            self.assertTrue(f["errmsg"].startswith("cannot write the checkpoint in r.bulkql_operations: "), f)
        doubtful = [e["row"] for e in res["writeErrors"]]
        self.assertTrue(doubtful)
        lost = (doubtful[0] - 1) // 500
        [rec] = self.own.r.bulk_operation_errors.find({"operationId": res["operationId"]})
        self.assertEqual((rec["batchIndex"], rec["batchSize"], rec["firstRow"]), (lost, 500, lost * 500 + 1))
        self.assertEqual([e["row"] for e in rec["writeErrors"]], doubtful)
        # and the statement's metrics, once
        self.assertEqual(self.own.r.bulk_operation_metrics.count_documents({"operationId": res["operationId"]}), 1)

    def test_a_lost_error_record_names_its_batch_and_rows(self):
        n = 40000
        sql = ("BULK INSERT INTO ev (_id, v) VALUES %s WITH (batch_size = 500, retry_attempts = 1, "
               "retry_backoff_ms = 100);" % ", ".join("(%d, 'value %d')" % (i, i) for i in range(1, n + 1)))
        script = os.path.join(self.server.dir, "script.sql")
        with open(script, "w") as f:
            f.write(sql)
        proc = subprocess.Popen([bqltest.BULKQL, "--uri", self.server.uri, "--db", "r", "--format", "json", "-f", script],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while self.own.r.ev.estimated_document_count() < 3000 and time.time() < deadline and proc.poll() is None:
            time.sleep(0.01)
        self.assertIsNone(proc.poll(), "the statement ended before the server was killed")
        self.server.kill()  # for good
        out, err = proc.communicate(timeout=120)
        res = [bson.json_util.loads(line) for line in out.splitlines() if line.startswith("{")][0]
        doubtful = [e["row"] for e in res["writeErrors"]]
        lost = (doubtful[0] - 1) // 500
        first, last = lost * 500 + 1, lost * 500 + 500
        # the records, and the operation's (issue 15): its end, and a
        # checkpoint the kill may have caught in flight before the batch
        ops = [f for f in res["logFailures"] if "r.bulkql_operations" in f["errmsg"]]
        rec, metrics = [f for f in res["logFailures"] if f not in ops]
        *checkpoints, end = ops
        self.assertLessEqual(len(checkpoints), 1)
        for f in checkpoints:
            self.assertTrue(f["errmsg"].startswith("cannot write the checkpoint in r.bulkql_operations: "), f)
        self.assertEqual((rec["batchIndex"], rec["firstRow"], rec["lastRow"]), (lost, first, last))
        self.assertTrue(rec["errmsg"].startswith("cannot write the error record to r.bulk_operation_errors: "),
                        rec["errmsg"])
        self.assertTrue(rec["errmsg"].endswith(" (batch %d, rows %d to %d)" % (lost + 1, first, last)), rec["errmsg"])
        self.assertNotIn("batchIndex", metrics)
        self.assertIn("cannot write the metrics record", metrics["errmsg"])
        # the operation's end could not be recorded either (issue 15): it
        # stays as its last checkpoint left it, and says which batches completed
        self.assertNotIn("batchIndex", end)
        self.assertTrue(end["errmsg"].startswith("cannot record the end of the operation in r.bulkql_operations: "),
                        end["errmsg"])


if __name__ == "__main__":
    bqltest.main()
