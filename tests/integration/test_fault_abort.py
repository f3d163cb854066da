"""Aborting from another process (issue 15): `bulkql --abort ID` marks a
running operation Aborted, and the process running it sees the mark
within one batch and stops as for Ctrl-C; an Aborted operation is final
and cannot be resumed. (Ctrl-C while a batch is stuck on a server that
never answers is test_wire_cancel.py's
test_ctrl_c_while_a_batch_waits_for_a_server_that_never_answers.)

A batch of the load is held in the recording proxy until the abort has
been marked, so that the load is still running when the abort comes,
however fast or loaded the machine; all on 127.0.0.1, every wait
bounded."""
import os
import signal
import sys

import bson.json_util

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import faults  # noqa: E402
import wiretest  # noqa: E402
from wireproxy import matcher  # noqa: E402


class AbortTest(wiretest.WireCase):
    def operation(self, coll):
        ops = list(self.db.bulkql_operations.find({"collection": coll}))
        self.assertEqual(len(ops), 1, ops)
        return ops[0]

    def test_abort_from_another_process_stops_the_load_within_one_batch(self):
        # The load's 4th insert is held in the proxy (forwarded only once
        # released) while `bulkql --abort` runs, so the abort lands while
        # that batch is in flight however slow the machine: no race with
        # the load's own writes of the operation, and no bound on how long
        # the abort may take (before, every insert was delayed 150 ms and
        # the abort had to come before the 40 batches were done, and on
        # the operation document between two checkpoints).
        n, batch = 400, 10
        path = self.ndjson({"_id": i, "v": "row %d" % i} for i in range(1, n + 1))
        held = self.proxy.inject(matcher("insert", coll="c", nth=4), "hold", delay=120)
        self.addCleanup(held.release)
        load = faults.BulkqlChild(["--uri", self.proxy.uri, "--db", self.dbname, "--format", "json"],
                                  sql="BULK INSERT INTO c FROM '%s' WITH (batch_size = %d);" % (path, batch),
                                  deadline=180)
        self.addCleanup(load.close)
        load.start()
        self.assertTrue(faults.wait_until(lambda: held.hits, 120), load)
        op = self.operation("c")
        self.assertEqual(op["state"], "InProgress", op)
        r = self.bulkql("--uri", self.proxy.uri, "--abort", op["_id"], timeout=120)
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(load.running(), load)  # still waiting on batch 4
        held.release()
        res = load.wait(120)
        self.assertFalse(res.killed, res)
        self.assertEqual(res.rc, 1, res)
        [result] = [bson.json_util.loads(line) for line in res.out.splitlines() if line.startswith("{")]
        self.assertEqual(result["error"], "aborted by another process (bulkql --abort %s), after batch 4" % op["_id"])
        self.assertEqual((result["nInserted"], result["batches"]), (4 * batch, 4), result)
        # within one batch: the insert in flight when the mark came ended,
        # and no other was sent after it
        inserts = self.proxy.commands("insert", coll="c")
        self.assertEqual(len(inserts), 4, inserts)
        # the server holds exactly the batches sent, each once
        self.proxy.wait_idle(30)
        sent = sorted(d["_id"] for c in inserts for d in c.documents)
        self.assertEqual([d["_id"] for d in self.docs("c")], sent)
        self.assertEqual(sent, list(range(1, 4 * batch + 1)))
        # Aborted is final: the reason is kept and a resume is refused,
        # writing nothing
        op = self.operation("c")
        self.assertEqual((op["state"], op["reason"]), ("Aborted", "aborted by bulkql --abort"), op)
        self.assertIn("finishedAt", op)
        # with the counts of every batch written, the last one included
        self.assertEqual((op["counters"]["nInserted"], op["counters"]["batches"]),
                         (result["nInserted"], result["batches"]), op)
        r = self.bulkql("--uri", self.proxy.uri, "--format", "json", "--resume", op["_id"], timeout=60)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(self.json_result(r)[0]["error"],
                         "operation %s was Aborted (aborted by bulkql --abort): an aborted operation is final and "
                         "cannot be resumed" % op["_id"])
        self.assertEqual(len(self.proxy.commands("insert", coll="c")), len(inserts))
        self.assertEqual(len(self.docs("c")), len(sent))

    def test_ctrl_c_on_a_stuck_batch_leaves_a_resumable_operation(self):
        # batch 2 is applied and its reply swallowed; Ctrl-C abandons it
        # (test_wire_cancel times that): the operation is Failed, not
        # final, and its resume finds batch 2 written and sends the rest
        stuck = self.proxy.inject(matcher("insert", coll="c", nth=2), "swallow")
        path = self.ndjson({"_id": i} for i in range(1, 9))
        load = faults.BulkqlChild(["--uri", self.proxy.uri, "--db", self.dbname, "--format", "json"],
                                  sql="BULK INSERT INTO c FROM '%s' WITH (batch_size = 2);" % path, deadline=120)
        self.addCleanup(load.close)
        load.start()
        self.assertTrue(stuck.wait(60), load)
        load.signal(signal.SIGINT)
        res = load.wait(30)
        self.assertEqual((res.killed, res.rc), (False, 1), res)
        op = self.operation("c")
        self.assertEqual(op["state"], "Failed", op)
        self.assertEqual(op["checkpoint"]["completed"], [{"first": 1, "last": 2}])
        self.proxy.clear_faults()
        r = self.bulkql("--uri", self.proxy.uri, "--format", "json", "--resume", op["_id"], timeout=60)
        self.assertEqual(r.rc, 0, r)
        result = self.json_result(r)[0]
        # the 2 rows found written count as inserted: the counts of a run that
        # was not interrupted
        self.assertEqual((result["nInserted"], result["nAlreadyWritten"], result["nFailed"]), (8, 2, 0), result)
        self.assertEqual(self.operation("c")["state"], "Complete")
        self.assertEqual(self.docs("c"), [{"_id": i} for i in range(1, 9)])
        # rows 1-2 (completed) were never sent again
        sent = [d["_id"] for c in self.proxy.commands("insert", coll="c") for d in c.documents]
        self.assertEqual(sorted(i for i in sent if i <= 2), [1, 2])


if __name__ == "__main__":
    wiretest.bqltest.main()
