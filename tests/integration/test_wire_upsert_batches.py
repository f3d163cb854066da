"""Upserts go in batches on every server, also on one whose update
command loses its counts when a statement fails (FerretDB: it applies
the statements before the failing one, none after it, and replies
writeErrors [{index: 0}] with no counts). Only a batch that failed is
settled row by row there: the server is asked which of the batch's _ids
are stored, the rows whose outcome is still unknown are sent again one
statement per command up to the failing one, and the rows after it as
one command. The accounting stays exact per row: the documents on the
server and the reply are read back and asserted.

The big load has BULKQL_WIRE_UPSERT_ROWS rows: 400 in batches of 100 by
default (CI; FerretDB's upsert scans the collection for each statement,
so the time grows with the square of the rows), or the issue's 20,000 in
batches of 1000 with BULKQL_WIRE_UPSERT_ROWS=20000, best on the
PostgreSQL backend (scripts/server start --backend postgresql)."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import wiretest  # noqa: E402

ROWS = int(os.environ.get("BULKQL_WIRE_UPSERT_ROWS", "400"))
BATCH = 1000 if ROWS >= 10000 else 100


class WireUpsertBatchesTest(wiretest.WireCase):
    def updates(self, coll):
        return [c for c in self.user_writes(coll) if c.name == "update"]

    def test_a_big_upsert_goes_in_batches_not_one_command_per_row(self):
        # a collection that already holds half of the rows' keys (the even ones)
        self.db.u.insert_many([{"_id": i, "v": "old"} for i in range(0, ROWS, 2)])
        fd, path = tempfile.mkstemp(suffix=".ndjson")
        self.addCleanup(os.unlink, path)
        with os.fdopen(fd, "w") as f:
            for i in range(ROWS):
                f.write(json.dumps({"_id": i, "v": "new%d" % i}) + "\n")
        self.proxy.reset()
        r = self.wire("BULK UPSERT INTO u FROM '%s' ON CONFLICT (_id) DO UPDATE SET v = EXCLUDED.v "
                      "WITH (batch_size = %d, ordered = false);" % (path, BATCH), timeout=max(120, ROWS // 5))
        self.assertEqual(r.rc, 0, r)
        res = r.results[0]
        nbatches = (ROWS + BATCH - 1) // BATCH
        ups = self.updates("u")
        # one command per batch, each with the batch's rows in input order
        self.assertEqual([len(c.documents) for c in ups], [BATCH] * (ROWS // BATCH) + ([ROWS % BATCH] if ROWS % BATCH else []))
        self.assertEqual([op["q"]["_id"]["$eq"] for c in ups for op in c.documents], list(range(ROWS)))
        self.assertTrue(all(op["upsert"] for c in ups for op in c.documents))
        # and the read of each batch's existing _ids, nothing else
        finds = self.proxy.commands("find", coll="u", db=self.dbname)
        self.assertEqual(len(finds), nbatches)
        self.assertEqual((res["batches"], res["nMatched"], res["nModified"], res["nUpserted"], res["nFailed"]),
                         (nbatches, ROWS // 2, ROWS // 2, ROWS - ROWS // 2, 0))
        self.assertNotIn("nModifiedUnknown", res)
        self.assertEqual([(u["row"], u["_id"]) for u in res["upserted"]][:5], [(i + 1, i) for i in range(1, 10, 2)])
        self.assertEqual(len(res["upserted"]), min(ROWS - ROWS // 2, 1000))
        self.assertEqual(self.db.u.count_documents({}), ROWS)
        self.assertEqual(self.db.u.count_documents({"v": "old"}), 0)
        self.assertEqual(self.db.u.find_one({"_id": ROWS - 1})["v"], "new%d" % (ROWS - 1))

    def failing_batch(self, ordered):
        """Rows _id 0..9 into a collection holding the even ones, with a
        unique index on k; row 6 (_id 5) takes the k of another document."""
        self.db.u.insert_many([{"_id": i, "v": "old", "k": "k%d" % i} for i in range(0, 10, 2)])
        self.db.u.insert_one({"_id": 100, "k": "dup"})
        self.db.u.create_index("k", unique=True)
        rows = ", ".join("(%d, 'new%d', '%s')" % (i, i, "dup" if i == 5 else "k%d" % i) for i in range(10))
        self.proxy.reset()
        r = self.wire("BULK UPSERT INTO u (_id, v, k) VALUES %s ON CONFLICT (_id) DO UPDATE SET v = EXCLUDED.v, "
                      "k = EXCLUDED.k WITH (batch_size = 10, ordered = %s, continue_on_error = true);"
                      % (rows, str(ordered).lower()))
        self.assertEqual(r.rc, 1, r)
        res = r.results[0]
        self.assertEqual([(e["row"], e["code"]) for e in res["writeErrors"]], [(6, 11000)])
        return res, [(len(c.documents), [op["q"]["_id"]["$eq"] for op in c.documents], bool(c.reply.get("writeErrors")))
                     for c in self.updates("u")]

    def test_an_unordered_batch_with_a_failing_row_is_settled_exactly(self):
        res, sent = self.failing_batch(ordered=False)
        written = [i for i in range(10) if i != 5]
        self.assertEqual(self.docs("u"), [{"_id": i, "v": "new%d" % i, "k": "k%d" % i} for i in written] +
                         [{"_id": 100, "k": "dup"}])
        self.assertEqual(sorted((u["row"], u["_id"]) for u in res["upserted"]), [(2, 1), (4, 3), (8, 7), (10, 9)])
        if not self.lossy_updates():
            self.assertEqual(sent, [(10, list(range(10)), True)])
            self.assertEqual((res["nMatched"], res["nModified"], res["nUpserted"], res["nFailed"]), (5, 5, 4, 1))
            return
        # the batch, which failed at _id 5 after applying _ids 0-4; the read
        # of the stored _ids finds 1 and 3 created by it (absent before), so
        # 0-2 ran; _id 4 is sent again alone (it matched), then _id 5 alone
        # (it fails again, with its own error), then the rest as one command
        self.assertEqual(sent, [(10, list(range(10)), True), (1, [4], False), (1, [5], True),
                                (4, [6, 7, 8, 9], False)])
        finds = self.proxy.commands("find", coll="u", db=self.dbname)
        self.assertEqual([sorted(f.body["filter"]["_id"]["$in"]) for f in finds], [list(range(10))] * 2)
        # exact per row: 0, 2, 4, 6, 8 matched; 1, 3, 7, 9 upserted; 5
        # failed. Whether 0, 2 and 4 modified their documents was lost with
        # the failed command's account (nModifiedUnknown); 6 and 8 did.
        self.assertEqual((res["nMatched"], res["nModified"], res["nModifiedUnknown"], res["nUpserted"],
                          res["nFailed"], res.get("nNotAttempted", 0)), (5, 2, 3, 4, 1, 0))

    def test_an_ordered_batch_with_a_failing_row_stops_there_exactly(self):
        res, sent = self.failing_batch(ordered=True)
        self.assertEqual(self.docs("u"), [{"_id": i, "v": "new%d" % i, "k": "k%d" % i} for i in range(5)] +
                         [{"_id": i, "v": "old", "k": "k%d" % i} for i in (6, 8)] + [{"_id": 100, "k": "dup"}])
        self.assertEqual(sorted((u["row"], u["_id"]) for u in res["upserted"]), [(2, 1), (4, 3)])
        if not self.lossy_updates():
            self.assertEqual(sent, [(10, list(range(10)), True)])
            self.assertEqual((res["nMatched"], res["nModified"], res["nUpserted"], res["nFailed"],
                              res["nNotAttempted"]), (3, 3, 2, 1, 4))
            return
        self.assertEqual(sent, [(10, list(range(10)), True), (1, [4], False), (1, [5], True)])
        self.assertEqual((res["nMatched"], res["nModified"], res["nModifiedUnknown"], res["nUpserted"],
                          res["nFailed"], res["nNotAttempted"]), (3, 0, 3, 2, 1, 4))

    def test_a_non_idempotent_upsert_still_goes_one_statement_per_command_there(self):
        # $inc cannot be sent again to learn what a failed batch applied
        self.db.u.insert_many([{"_id": i, "n": 10} for i in range(0, 6, 2)])
        self.proxy.reset()
        r = self.wire("BULK UPSERT INTO u (_id, n) VALUES %s ON CONFLICT (_id) DO UPDATE SET n = n + 1 "
                      "WITH (batch_size = 6);" % ", ".join("(%d, 1)" % i for i in range(6)))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual([len(c.documents) for c in self.updates("u")], [1] * 6 if self.lossy_updates() else [6])
        self.assertEqual(self.docs("u"), [{"_id": i, "n": 11 if i % 2 == 0 else 1} for i in range(6)])
        res = r.results[0]
        self.assertEqual((res["nMatched"], res["nModified"], res["nUpserted"]), (3, 3, 3))


if __name__ == "__main__":
    wiretest.bqltest.main()
