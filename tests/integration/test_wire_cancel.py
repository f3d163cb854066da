"""Cancelling (issue 15): Ctrl-C stops a statement within a second even
while a batch waits for a server that never answers (the recording proxy
swallows the reply) or while it backs off between retries; the batch whose
outcome is then unknown is reported in doubt; a second Ctrl-C (or SIGTERM)
leaves at once. And the default retry policy (retry_timeout) rides through
a server killed and started again five seconds later.

Everything runs on 127.0.0.1 (the live test server, the proxy in front of
it, a server of the test's own) and every wait is bounded."""
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import bson.json_util

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402
import faults  # noqa: E402
import wiretest  # noqa: E402
from wireproxy import matcher  # noqa: E402

# a retryable error (the server is shutting down)
SHUTDOWN = {"ok": 0.0, "code": 91, "codeName": "ShutdownInProgress", "errmsg": "injected ShutdownInProgress"}

IN_DOUBT_ROW = ("cancelled while the batch was in flight: this row may or may not have been written "
                "(no reply: the outcome is in doubt)")


def any_insert(colls):
    def match(cmd):
        return cmd.name == "insert" and cmd.collection in colls
    return match


class CancelTest(wiretest.WireCase):
    def start(self, sql, *args):
        """bulkql running sql through the proxy (--format json), not waited for."""
        fd, script = tempfile.mkstemp(suffix=".sql")
        with os.fdopen(fd, "w") as f:
            f.write(sql)
        self.addCleanup(os.unlink, script)
        proc = subprocess.Popen([bqltest.BULKQL, "--uri", self.proxy.uri, "--db", self.dbname, "--format", "json",
                                 *args, "-f", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        return proc

    def wait_for(self, cond, what, timeout=30):
        deadline = time.monotonic() + timeout
        while not cond():
            self.assertLess(time.monotonic(), deadline, "timed out waiting for " + what)
            time.sleep(0.02)

    def interrupt(self, proc, sig=signal.SIGINT, within=1.0, notice=True):
        """Send sig; the process must be back (exited) within `within`
        seconds of taking it. Taking it is when its notice reaches stderr
        ("bulkql: cancelling: ..." or "terminating", written by the signal
        handler as the signal is delivered), or, without notice (a second
        signal leaves without a word), when the signal was sent. So
        the time a loaded machine takes to deliver the signal and schedule
        the process is kept out of the bound, which holds what bulkql does
        once it has the signal: the grace for the batch in flight
        (BQL_CANCEL_GRACE_MS, 0.5 s), then the error record and the
        operation's end. Returns (rc, results, stderr, seconds taken)."""
        lines, out = [], []

        def read_err():
            for line in proc.stderr:
                lines.append((time.monotonic(), line))

        readers = [threading.Thread(target=read_err, daemon=True),
                   threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True)]
        for t in readers:
            t.start()
        t0 = time.monotonic()
        proc.send_signal(sig)
        try:
            proc.wait(timeout=within + 5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            for t in readers:
                t.join(10)
            self.fail("not back %.1f s after the signal:\n%s" % (within + 5, "".join(l for _, l in lines)))
        back = time.monotonic()
        for t in readers:
            t.join(10)
        err = "".join(l for _, l in lines)
        notices = [at for at, l in lines if notice and l.startswith(("bulkql: cancelling", "bulkql: terminating"))]
        took = back - (notices[0] if notices else t0)
        self.assertLess(took, within, err)
        results = [bson.json_util.loads(line) for line in "".join(out).splitlines() if line.startswith("{")]
        return proc.returncode, results, err, took

    def test_ctrl_c_while_a_batch_waits_for_a_server_that_never_answers(self):
        # batch 2 reaches the server, whose reply is swallowed: without a
        # cancel bulkql would wait for socketTimeoutMS (5 minutes)
        stuck = self.proxy.inject(matcher("insert", coll="c", nth=2), "swallow")
        proc = self.start("BULK INSERT INTO c (_id, v) VALUES %s WITH (batch_size = 2, progress = true);"
                          % wiretest.values("%d, %d" % (i, i * 10) for i in range(1, 7)))
        self.wait_for(lambda: stuck.hits, "batch 2 to be sent")
        time.sleep(1.6)  # long enough for the progress line to move
        rc, results, err, _ = self.interrupt(proc)
        self.assertNotEqual(rc, 0, err)
        # the progress line moved while the batch waited
        self.assertRegex(err, r"progress: 2 of 6 rows \(33%\), [0-9,]+ rows/s; 2 rows sent, waiting 0:0[12]\n")
        self.assertIn("bulkql: cancelling: the statement stops after the batch in flight (Ctrl-C again to quit at once)\n", err)
        res = results[0]
        self.assertEqual((res["nInserted"], res["nFailed"], res["batches"]), (2, 2, 2), res)
        self.assertEqual([(e["row"], e["errmsg"]) for e in res["writeErrors"]],
                         [(3, IN_DOUBT_ROW), (4, IN_DOUBT_ROW)])
        self.assertEqual(res["nNotAttempted"], 2)
        self.assertEqual(res["error"], "cancelled while batch 2 was in flight: the server did not answer, so its "
                         "outcome is unknown; its rows are in doubt (counted as failed, not acknowledged)")
        # batch 3 was never sent; the swallowed batch 2 was applied by the
        # server: exactly why its rows are "in doubt", not "failed"
        self.assertEqual(len(self.user_writes("c")), 2)
        self.proxy.wait_idle(30)
        self.assertEqual([d["_id"] for d in self.docs("c")], [1, 2, 3, 4])
        # the error record names the in-doubt batch
        [rec] = self.db.bulk_operation_errors.find({"operationId": res["operationId"]})
        self.assertEqual((rec["batchIndex"], [(w["row"], w["errmsg"]) for w in rec["writeErrors"]]),
                         (1, [(3, IN_DOUBT_ROW), (4, IN_DOUBT_ROW)]))

    def test_ctrl_c_while_backing_off_between_retries(self):
        fault = self.proxy.inject(matcher("insert", coll="c"), "reply", times=100, reply=SHUTDOWN)
        proc = self.start("BULK INSERT INTO c (_id) VALUES (1), (2), (3) "
                          "WITH (retry_backoff_ms = 20000, progress = true);")
        self.wait_for(lambda: fault.hits, "the first attempt")
        time.sleep(1.5)  # in the 20 s backoff now
        rc, results, err, _ = self.interrupt(proc)
        # the retry is announced on the progress line
        self.assertIn("progress: 0 of 3 rows (0%), 0 rows/s; batch lost, retry 1 in 20.0 s\n", err)
        self.assertEqual(len(fault.hits), 1, "sent again after the cancel")
        res = results[0]
        self.assertEqual(res["error"], "cancelled while waiting to retry batch 1 (lost: injected ShutdownInProgress); "
                         "its rows are in doubt (counted as failed, not acknowledged)")
        self.assertEqual({e["errmsg"] for e in res["writeErrors"]},
                         {"cancelled while waiting to retry the lost batch: this row may or may not have been written "
                          "(injected ShutdownInProgress)"})
        self.assertEqual((res["nInserted"], res["nFailed"], res["retries"]), (0, 3, 1), res)
        self.assertEqual(self.docs("c"), [])

    def test_ctrl_c_while_the_selects_first_batch_is_pending(self):
        # the aggregate reaches the server, whose reply is swallowed: the
        # cursor waits for its first batch; Ctrl-C ends the statement
        # within a second with nothing written (the cursor's connection is
        # left to its own thread)
        self.db.ev.insert_many([{"_id": i, "v": i} for i in range(1, 6)])
        stuck = self.proxy.inject(matcher("aggregate", coll="ev"), "swallow")
        proc = self.start("BULK INSERT INTO t SELECT _id, v FROM ev;")
        self.wait_for(lambda: stuck.hits, "the aggregate to be sent")
        time.sleep(0.3)
        self.assertIsNone(proc.poll(), "bulkql was expected to wait on the aggregate")
        rc, results, err, _ = self.interrupt(proc)
        self.assertEqual(rc, 1, err)
        res = results[0]
        self.assertEqual(res["error"], "cancelled while waiting for the first batch of the SELECT's cursor "
                         "(nothing was written)")
        self.assertEqual((res["nInserted"], res["batches"]), (0, 0), res)
        self.assertEqual(self.user_writes("t"), [])
        self.assertNotIn("t", self.db.list_collection_names())

    def test_max_execution_time_while_the_selects_first_batch_is_pending(self):
        # the same wait ends at max_execution_time, saying so
        self.db.ev.insert_many([{"_id": i, "v": i} for i in range(1, 4)])
        stuck = self.proxy.inject(matcher("aggregate", coll="ev"), "swallow")
        proc = self.start("BULK INSERT INTO t SELECT _id, v FROM ev WITH (max_execution_time = 1);")
        out, err = proc.communicate(timeout=60)
        self.assertEqual(len(stuck.hits), 1)
        self.assertEqual(proc.returncode, 1, err)
        res = [bson.json_util.loads(line) for line in out.splitlines() if line.startswith("{")][0]
        self.assertEqual(res["error"], "stopped after 1.0 s (max_execution_time) while waiting for the first batch "
                         "of the SELECT's cursor (nothing was written)")
        self.assertNotIn("t", self.db.list_collection_names())

    def test_ctrl_c_while_a_getmore_of_the_select_is_pending(self):
        # the first batch (2 documents) is written; the getMore's reply is
        # swallowed: Ctrl-C stops the statement within a second after the
        # batch it had
        self.db.ev.insert_many([{"_id": i, "v": i} for i in range(1, 7)])
        stuck = self.proxy.inject(matcher("getMore"), "swallow")
        proc = self.start("BULK INSERT INTO t SELECT _id, v FROM ev WITH (batch_size = 2);")
        self.wait_for(lambda: stuck.hits, "the getMore to be sent")
        self.wait_for(lambda: len(self.user_writes("t")) >= 1, "the first batch to be written")
        time.sleep(0.3)
        self.assertIsNone(proc.poll(), "bulkql was expected to wait on the getMore")
        rc, results, err, _ = self.interrupt(proc)
        self.assertEqual(rc, 1, err)
        res = results[0]
        self.assertEqual((res["nInserted"], res["nFailed"], res["batches"]), (2, 0, 1), res)
        self.assertEqual(res["error"], "cancelled while waiting for the SELECT's cursor, after 1 batch")
        self.assertEqual(sorted(d["_id"] for d in self.db.t.find()), [1, 2])

    def test_second_signal_leaves_at_once(self):
        for sig, rc_wanted in ((signal.SIGINT, -signal.SIGINT), (signal.SIGTERM, -signal.SIGTERM)):
            with self.subTest(sig=sig):
                self.proxy.clear_faults()
                coll = "c%d" % sig
                # the batch and then the error record are swallowed: after the
                # first signal bulkql waits on the error record's insert
                stuck = self.proxy.inject(any_insert((coll, "bulk_operation_errors")), "swallow", times=10)
                proc = self.start("BULK INSERT INTO %s (_id) VALUES (1), (2);" % coll)
                self.wait_for(lambda: stuck.hits, "the batch to be sent")
                proc.send_signal(sig)
                self.wait_for(lambda: len(stuck.hits) >= 2, "the error record to be sent")
                time.sleep(0.3)
                self.assertIsNone(proc.poll(), "bulkql was expected to wait on its error record")
                rc, _, err, took = self.interrupt(proc, sig, within=0.5, notice=False)
                self.assertEqual(rc, rc_wanted, err)  # the shell says 130 / 143

    def test_error_record_waits_out_a_server_away_for_three_seconds(self):
        # every insert of the error record fails as when the server shuts
        # down, for 3 s (the old policy, 3 retries in 0.7 s, lost it)
        down = self.proxy.inject(matcher("insert", coll="bulk_operation_errors"), "reply", times=1000,
                                 reply=SHUTDOWN)
        self.db.c.insert_one({"_id": 2})
        proc = self.start("BULK INSERT INTO c (_id) VALUES (1), (2), (3) WITH (ordered = false, continue_on_error = true);")
        self.wait_for(lambda: down.hits, "the error record")
        time.sleep(3)
        self.proxy.clear_faults()
        out, err = proc.communicate(timeout=60)
        res = [bson.json_util.loads(line) for line in out.splitlines() if line.startswith("{")][0]
        self.assertEqual((res["nInserted"], res["nFailed"]), (2, 1), res)
        self.assertNotIn("logFailures", res)
        self.assertGreaterEqual(len(down.hits), 4)
        [rec] = self.db.bulk_operation_errors.find({"operationId": res["operationId"]})
        self.assertEqual([e["row"] for e in rec["writeErrors"]], [2])

    def test_default_retry_policy_rides_through_a_server_restart(self):
        server = faults.TestServer()
        server.start()
        self.addCleanup(server.close)
        own = server.client()
        self.addCleanup(own.close)
        n = 30000
        fd, script = tempfile.mkstemp(suffix=".sql")
        with os.fdopen(fd, "w") as f:
            f.write("BULK INSERT INTO ev (_id, v) VALUES %s WITH (batch_size = 500);"
                    % ", ".join("(%d, 'value %d')" % (i, i) for i in range(1, n + 1)))
        self.addCleanup(os.unlink, script)
        proc = subprocess.Popen([bqltest.BULKQL, "--uri", server.uri, "--db", "r", "--format", "json", "-f", script],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        self.wait_for(lambda: proc.poll() is not None or own.r.ev.estimated_document_count() >= 3000,
                      "the load to be under way", timeout=60)
        self.assertIsNone(proc.poll(), "the load ended before the server was killed")
        server.restart(down_for=5)
        out, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, 0, err)
        res = [bson.json_util.loads(line) for line in out.splitlines() if line.startswith("{")][0]
        self.assertEqual((res["nInserted"], res["nFailed"]), (n, 0))
        self.assertGreaterEqual(res["retries"], 1)
        docs = list(own.r.ev.find({}, sort=[("_id", 1)]))
        self.assertEqual(docs, [{"_id": i, "v": "value %d" % i} for i in range(1, n + 1)])


if __name__ == "__main__":
    bqltest.main()
