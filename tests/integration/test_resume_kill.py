"""Resume after a real crash: bulkql is SIGKILLed while one batch of the
statement is held in the recording proxy (tests/lib/wireproxy.py "hold"),
so the kill lands after the batches before it were written and
checkpointed, however fast or loaded the machine; the held batch is
then let through to the server (written by the dead process, never
checkpointed), and `bulkql --resume ID` runs what the checkpoint says is
not done. For each statement kind the documents are read back with
pymongo: every row exactly once (inserts without _id too: deterministic
_ids), no $inc applied twice, every row in doubt listed, archive and
source together the originals. Sizes are bounded for the test command
(BULKQL_RESUME_KILL_ROWS for more)."""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402
import faults  # noqa: E402
import wiretest  # noqa: E402
from wireproxy import matcher  # noqa: E402

N = int(os.environ.get("BULKQL_RESUME_KILL_ROWS", "1200"))


class KillResumeTest(wiretest.WireCase):
    def run_killed(self, sql, name, coll, done_rows, batch, seed=None, timeout=120):
        """Run sql in a child (through the proxy) whose write `name` on coll
        that follows the first done_rows rows (batches of `batch`) is
        held; SIGKILL it while it waits for that write, then let the held
        write reach the server (the dead process's batch is written but
        not checkpointed). The operation it left, read from
        bulkql_operations."""
        if seed:
            seed()
        nth = done_rows // batch + 1
        held = self.proxy.inject(matcher(name, coll=coll, nth=nth), "hold", delay=timeout)
        self.addCleanup(held.release)
        child = faults.BulkqlChild(["--uri", self.proxy.uri, "--db", self.dbname, "--format", "json"], sql=sql,
                                   deadline=timeout)
        self.addCleanup(child.close)
        child.start()
        self.assertTrue(faults.wait_until(lambda: held.hits or not child.running(), timeout), child)
        self.assertTrue(child.kill(), child)  # it cannot end while its write is held
        held.release()
        self.assertTrue(held.wait(60), "the held %s was not forwarded" % name)
        self.assertTrue(self.proxy.wait_idle(60))  # the dead process's batch is on the server
        ops = list(self.db.bulkql_operations.find({}))
        self.assertEqual(len(ops), 1, ops)
        self.assertEqual(ops[0]["state"], "InProgress", ops)
        return ops[0]

    def resume(self, op, expect=0):
        r = self.bulkql("--format", "json", "--resume", op["_id"], timeout=300)
        self.assertEqual(r.rc, expect, r)
        res = self.json_result(r)[0]
        self.assertEqual(res["operationId"], op["_id"])
        self.assertEqual(res["resumes"], op.get("resumes", 0) + 1)
        # the document's too: a write the killed process had sent that
        # lands after the resume's claim matches nothing (every update of
        # the document has the holder's resumes in its filter)
        after = self.db.bulkql_operations.find_one({"_id": op["_id"]})
        self.assertEqual(after["state"], "Complete" if expect == 0 else "Failed", after)
        self.assertEqual(after["resumes"], op.get("resumes", 0) + 1, after)
        return res, after

    def test_insert_without_id_is_written_once(self):
        path = self.ndjson([{"seq": i, "name": "n%d" % i} for i in range(1, N + 1)])
        sql = "BULK INSERT INTO items FROM '%s' WITH (batch_size = 100)" % path
        op = self.run_killed(sql, "insert", "items", N // 4, 100)
        res, after = self.resume(op)
        docs = self.docs("items")
        seqs = sorted(d["seq"] for d in docs)
        self.assertEqual(seqs, list(range(1, N + 1)))  # none lost, none twice
        self.assertEqual(res["nInserted"], N, res)  # the rows found written too
        self.assertEqual(res["nFailed"], 0, res)
        self.assertEqual(after["counters"]["nInserted"], N)

    def test_insert_with_id_is_written_once(self):
        rows = [{"_id": i, "v": i * 2} for i in range(1, N + 1)]
        path = self.ndjson(rows)
        sql = "BULK INSERT INTO items FROM '%s' WITH (batch_size = 100, ordered = false, parallel_workers = 2)" % path
        op = self.run_killed(sql, "insert", "items", N // 4, 100)
        res, _ = self.resume(op)
        self.assertEqual(self.docs("items"), rows)
        self.assertEqual((res["nInserted"], res["nFailed"]), (N, 0), res)

    def test_insert_from_csv_with_four_workers(self):
        d = os.path.dirname(self.ndjson([]))
        path = os.path.join(d, "rows_%s.csv" % self.dbname)
        with open(path, "w") as f:
            f.write("seq,name\n")
            for i in range(1, N + 1):
                f.write("%d,n%d\n" % (i, i))
        self.addCleanup(os.unlink, path)
        sql = ("BULK INSERT INTO items (seq INT, name) FROM '%s' "
               "WITH (batch_size = 50, ordered = false, parallel_workers = 4)" % path)
        op = self.run_killed(sql, "insert", "items", N // 4, 50)
        res, _ = self.resume(op)
        self.assertEqual(sorted(d["seq"] for d in self.docs("items")), list(range(1, N + 1)))
        self.assertEqual((res["nInserted"], res["nFailed"]), (N, 0), res)

    def test_update_from_a_file_with_set(self):
        n = N // 3
        def seed():
            self.db.stock.insert_many([{"_id": i, "price": 0} for i in range(1, n + 1)])
        path = self.ndjson([{"sku": i, "p": i * 3} for i in range(1, n + 1)])
        sql = ("BULK UPDATE stock SET price = v.p FROM '%s' AS v WHERE stock._id = v.sku "
               "WITH (batch_size = 20)" % path)
        op = self.run_killed(sql, "update", "stock", n // 3, 20, seed)
        res, _ = self.resume(op)
        self.assertEqual({d["_id"]: d["price"] for d in self.docs("stock")}, {i: i * 3 for i in range(1, n + 1)})
        self.assertEqual(res["nInDoubt"], 0, res)

    def test_upsert_from_a_file(self):
        n = N // 3
        def seed():
            self.db.prices.insert_many([{"_id": i, "sku": i, "price": 0} for i in range(1, n // 2)])
        path = self.ndjson([{"sku": i, "price": i * 10} for i in range(1, n + 1)])
        sql = ("BULK UPSERT INTO prices FROM '%s' ON CONFLICT (sku) DO UPDATE SET price = EXCLUDED.price "
               "WITH (batch_size = 20)" % path)
        op = self.run_killed(sql, "update", "prices", n // 3, 20, seed)
        self.resume(op)
        docs = self.docs("prices", sort="sku")
        self.assertEqual([(d["sku"], d["price"]) for d in docs], [(i, i * 10) for i in range(1, n + 1)])

    def test_update_from_a_file_with_inc_applies_each_row_at_most_once(self):
        n = N // 3
        def seed():
            self.db.stock.insert_many([{"_id": i, "qty": 100} for i in range(1, n + 1)])
        path = self.ndjson([{"sku": i, "n": 1} for i in range(1, n + 1)])
        sql = ("BULK UPDATE stock SET qty = qty + v.n FROM '%s' AS v WHERE stock._id = v.sku "
               "WITH (batch_size = 20)" % path)
        op = self.run_killed(sql, "update", "stock", n // 3, 20, seed)
        r = self.bulkql("--format", "json", "--resume", op["_id"], timeout=300)
        res = self.json_result(r)[0]
        doubt = {e["row"] for e in res["inDoubt"]}
        self.assertEqual(r.rc, 1 if doubt else 0, r)
        self.assertEqual(res["nInDoubt"], len(doubt))
        qty = {d["_id"]: d["qty"] for d in self.docs("stock")}
        for i in range(1, n + 1):
            if i in doubt:
                self.assertIn(qty[i], (100, 101), i)  # applied once or not at all
            else:
                self.assertEqual(qty[i], 101, (i, res))  # exactly once
        self.assertEqual(sorted(e["row"] for e in res["writeErrors"] if e["code"] == "IN_DOUBT"), sorted(doubt))

    def test_update_where_with_inc_applies_each_document_at_most_once(self):
        n = N // 3
        def seed():
            self.db.scores.insert_many([{"_id": i, "score": 0} for i in range(1, n + 1)])
        sql = "BULK UPDATE scores SET score = score + 1 WHERE score >= 0 WITH (batch_size = 25)"
        op = self.run_killed(sql, "update", "scores", n // 3, 25, seed)
        r = self.bulkql("--format", "json", "--resume", op["_id"], timeout=300)
        res = self.json_result(r)[0]
        doubt = {e["_id"] for e in res["inDoubt"]}
        self.assertEqual(r.rc, 1 if doubt else 0, r)
        score = {d["_id"]: d["score"] for d in self.docs("scores")}
        for i in range(1, n + 1):
            if i in doubt:
                self.assertIn(score[i], (0, 1), i)
            else:
                self.assertEqual(score[i], 1, (i, res))

    def test_delete_with_archival(self):
        n = N // 3
        originals = [{"_id": i, "old": True, "v": i} for i in range(1, n + 1)]
        def seed():
            self.db.logs.insert_many([dict(d) for d in originals])
        sql = ("BULK DELETE FROM logs WHERE old = TRUE WITH ARCHIVAL_STRATEGY (archive_collection = 'logs_archive') "
               "WITH DELETE_OPTIONS (batch_size = 25)")
        done = n // 3 // 25 * 25  # the batches deleted and checkpointed before the kill
        op = self.run_killed(sql, "delete", "logs", n // 3, 25, seed)
        self.assertEqual(op["counters"]["nRemoved"], done, op)
        res, after = self.resume(op)
        self.assertEqual(self.docs("logs"), [])
        archived = self.docs("logs_archive")
        self.assertEqual([{k: d[k] for k in ("_id", "old", "v")} for d in archived], originals)
        # the held batch, archived and deleted by the killed run after its
        # last checkpoint, is gone before the resume's scan: counted by
        # neither run (README, "The counts of a resumed operation"); every
        # other document is counted exactly once
        self.assertEqual(res["nRemoved"], n - 25, res)
        self.assertEqual(after["counters"]["nRemoved"], n - 25, after)
        self.assertEqual(res["nInDoubt"], 0, res)



class CancelResumeTest(wiretest.WireCase):
    def test_resume_after_ctrl_c_with_a_batch_in_doubt(self):
        """Ctrl-C while batch 3 waits for a reply the proxy swallows (the
        server applied it): the run stops with that batch in doubt, its
        operation Failed; the resume finds those rows stored, writes the
        rest, and the operation's counts add up to the rows, none failed."""
        rows = [{"_id": i, "v": i} for i in range(1, 11)]
        path = self.ndjson(rows)
        stuck = self.proxy.inject(matcher("insert", coll="items", nth=3), "swallow")
        proc = subprocess.Popen([bqltest.BULKQL, "--uri", self.proxy.uri, "--db", self.dbname, "--format", "json",
                                 "-c", "BULK INSERT INTO items FROM '%s' WITH (batch_size = 2)" % path],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        deadline = time.monotonic() + 60
        while not stuck.hits:
            self.assertLess(time.monotonic(), deadline, "batch 3 was never sent")
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 1, err)
        first = self.json_result(bqltest.Result(subprocess.CompletedProcess([], 1, out, err)))[0]
        self.assertEqual((first["nInserted"], first["nFailed"]), (4, 2), first)
        self.proxy.wait_idle(30)  # the swallowed batch is on the server
        op = self.db.bulkql_operations.find_one({"_id": first["operationId"]})
        self.assertEqual(op["state"], "Failed", op)
        r = self.bulkql("--format", "json", "--resume", first["operationId"])
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual(self.docs("items"), rows)
        self.assertEqual((res["nInserted"], res["nAlreadyWritten"], res["nFailed"], res["nSkipped"]), (10, 2, 0, 4),
                         res)


if __name__ == "__main__":
    bqltest.main()
