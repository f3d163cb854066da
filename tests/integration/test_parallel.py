"""parallel_workers (SPEC §2, unordered statements): batches in flight at
once, each on a client of a pool. Checked on the wire (commands on several
connections, overlapping in time) and by what the server holds: every row
written once, every failed row accounted for with its row number, and the
batches in flight when a statement stops still counted."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import wiretest  # noqa: E402
from wireproxy import matcher  # noqa: E402


def overlap(cmds):
    """The most commands in flight at one moment."""
    events = sorted([(c.time, 1) for c in cmds] + [(c.reply_time, -1) for c in cmds])
    best = cur = 0
    for _, d in events:
        cur += d
        best = max(best, cur)
    return best


class ParallelTest(wiretest.WireCase):
    def test_batches_are_written_at_once_on_several_connections(self):
        docs = [{"_id": i, "v": "x%d" % i} for i in range(1, 801)]
        path = self.ndjson(docs)
        # every insert waits 0.4 s in the proxy: one at a time would take
        # over 3 s; four workers keep several in flight
        self.proxy.inject(matcher("insert", coll="p"), "delay", times=100, delay=0.4)
        r = self.wire("BULK INSERT INTO p FROM '%s' FORMAT NDJSON "
                      "WITH (batch_size = 100, ordered = false, parallel_workers = 4);" % path)
        self.assertEqual(r.rc, 0, r)
        res = r.results[0]
        self.assertEqual((res["nInserted"], res["nFailed"], res["batches"]), (800, 0, 8))
        inserts = self.user_writes(coll="p")
        self.assertEqual(sorted(len(c.documents) for c in inserts), [100] * 8)
        self.assertGreaterEqual(len({c.conn for c in inserts}), 2)
        self.assertGreaterEqual(overlap(inserts), 2)
        self.assertEqual(self.docs("p"), docs)

    def test_failed_rows_keep_their_row_numbers(self):
        # _ids 5 and 250 are stored already: rows 5 and 250 fail, in
        # batches written by different workers; every other row lands
        self.db.d.insert_many([{"_id": 5, "v": "old"}, {"_id": 250, "v": "old"}])
        docs = [{"_id": i, "v": "new"} for i in range(1, 401)]
        path = self.ndjson(docs)
        r = self.wire("BULK INSERT INTO d FROM '%s' FORMAT NDJSON WITH (batch_size = 50, ordered = false, "
                      "parallel_workers = 3, continue_on_error = true);" % path)
        self.assertEqual(r.rc, 1, r)
        res = r.results[0]
        self.assertEqual((res["nInserted"], res["nFailed"], res["batches"]), (398, 2, 8))
        self.assertEqual(sorted(e["row"] for e in res["writeErrors"]), [5, 250])
        self.assertEqual({e["code"] for e in res["writeErrors"]}, {11000})
        expected = [{"_id": i, "v": "old" if i in (5, 250) else "new"} for i in range(1, 401)]
        self.assertEqual(self.docs("d"), expected)
        records = list(self.db.bulk_operation_errors.find({}, sort=[("batchIndex", 1)]))
        self.assertEqual([(e["batchIndex"], [w["row"] for w in e["writeErrors"]]) for e in records],
                         [(0, [5]), (4, [250])])

    def test_upsert_with_workers_counts_every_row(self):
        self.db.u.insert_many([{"_id": i, "n": 0, "tag": "old"} for i in range(1, 101)])
        rows = [{"_id": i, "n": i} for i in range(51, 251)]
        path = self.ndjson(rows)
        r = self.wire("BULK UPSERT INTO u FROM '%s' FORMAT NDJSON ON CONFLICT (_id) DO UPDATE SET n = EXCLUDED.n "
                      "WITH (batch_size = 25, ordered = false, parallel_workers = 4);" % path)
        self.assertEqual(r.rc, 0, r)
        res = r.results[0]
        self.assertEqual((res["nMatched"], res["nModified"], res["nUpserted"]), (50, 50, 150))
        self.assertEqual(sorted(u["row"] for u in res["upserted"]), list(range(51, 201)))
        self.assertEqual(sorted(u["_id"] for u in res["upserted"]), list(range(101, 251)))
        expected = ([{"_id": i, "n": 0, "tag": "old"} for i in range(1, 51)] +
                    [{"_id": i, "n": i, "tag": "old"} for i in range(51, 101)] +
                    [{"_id": i, "n": i} for i in range(101, 251)])
        self.assertEqual(self.docs("u"), expected)

    def test_a_stop_still_accounts_for_the_batches_in_flight(self):
        # max_errors = 1: the batch with the first failure stops the
        # statement; batches the other workers had taken are counted, and
        # what the server holds is exactly what the result says
        self.db.m.insert_one({"_id": 30, "v": "old"})
        docs = [{"_id": i, "v": "new"} for i in range(1, 1001)]
        path = self.ndjson(docs)
        self.proxy.inject(matcher("insert", coll="m"), "delay", times=100, delay=0.3)
        r = self.wire("BULK INSERT INTO m FROM '%s' FORMAT NDJSON WITH (batch_size = 20, ordered = false, "
                      "parallel_workers = 4, max_errors = 1);" % path)
        self.assertEqual(r.rc, 1, r)
        res = r.results[0]
        self.assertIn("max_errors", res["stopped"])
        stored = self.db.m.count_documents({"v": "new"})
        self.assertEqual(res["nInserted"], stored)
        self.assertEqual(res["nFailed"], 1)
        self.assertLess(stored, 999)  # it did stop
        sent = sum(len(c.documents) for c in self.user_writes(coll="m"))
        self.assertEqual(sent, res["nInserted"] + res["nFailed"])


if __name__ == "__main__":
    wiretest.bqltest.main()
