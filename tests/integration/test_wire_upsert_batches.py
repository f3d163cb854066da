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
ALL = "every stored _id"


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
        # and the read of each batch's existing _ids, nothing else; on a
        # server whose _id $in lookup reads the whole collection, one read
        # of every stored _id for the statement instead
        finds = self.proxy.commands("find", coll="u", db=self.dbname)
        if self.id_lookup_scans():
            self.assertEqual([(f.body["filter"], f.body["projection"]) for f in finds], [({}, {"_id": 1})])
        else:
            self.assertEqual([len(f.body["filter"]["_id"]["$in"]) for f in finds],
                             [BATCH] * (ROWS // BATCH) + ([ROWS % BATCH] if ROWS % BATCH else []))
        stored = (ROWS + 1) // 2  # the even _ids below ROWS
        self.assertEqual((res["batches"], res["nMatched"], res["nModified"], res["nUpserted"], res["nFailed"]),
                         (nbatches, stored, stored, ROWS - stored, 0))
        self.assertNotIn("nModifiedUnknown", res)
        self.assertEqual([(u["row"], u["_id"]) for u in res["upserted"]][:5], [(i + 1, i) for i in range(1, 10, 2)])
        self.assertEqual(len(res["upserted"]), min(ROWS - stored, 1000))
        self.assertEqual(self.db.u.count_documents({}), ROWS)
        self.assertEqual(self.db.u.count_documents({"v": "old"}), 0)
        self.assertEqual(self.db.u.find_one({"_id": ROWS - 1})["v"], "new%d" % (ROWS - 1))

    def test_the_upsert_benchmark_ordered_do_replace_goes_one_command_per_batch(self):
        # the upsert benchmark's form (bench/RESULTS.md): ordered (the
        # default) ON CONFLICT (_id) DO REPLACE of ROWS NDJSON rows into a
        # collection holding every other _id (the even ones, each with an
        # older value and a field the replacement drops)
        self.db.u.insert_many([{"_id": i, "v": "old", "gone": True} for i in range(0, ROWS, 2)])
        fd, path = tempfile.mkstemp(suffix=".ndjson")
        self.addCleanup(os.unlink, path)
        with os.fdopen(fd, "w") as f:
            for i in range(ROWS):
                f.write(json.dumps({"_id": i, "v": "new%d" % i, "n": i}) + "\n")
        self.proxy.reset()
        r = self.wire("BULK UPSERT INTO u FROM '%s' FORMAT NDJSON ON CONFLICT (_id) DO REPLACE "
                      "WITH (batch_size = %d);" % (path, BATCH), timeout=max(120, ROWS // 5))
        self.assertEqual(r.rc, 0, r)
        res = r.results[0]
        sizes = [BATCH] * (ROWS // BATCH) + ([ROWS % BATCH] if ROWS % BATCH else [])
        ups = self.updates("u")
        # one ordered update command per batch, each with the batch's rows
        # in input order, each a replacement upsert of its row
        self.assertEqual([len(c.documents) for c in ups], sizes)
        self.assertTrue(all(c.body["ordered"] for c in ups))
        self.assertEqual([op["q"] for c in ups for op in c.documents], [{"_id": {"$eq": i}} for i in range(ROWS)])
        self.assertEqual([op["u"] for c in ups for op in c.documents],
                         [{"_id": i, "v": "new%d" % i, "n": i} for i in range(ROWS)])
        self.assertTrue(all(op["upsert"] and not op.get("multi", False) for c in ups for op in c.documents))
        # no insert command: with stored and new rows alternating, no run
        # of BQL_INSERT_RUN_MIN (16) new rows forms (INSERT_NEW_IDS)
        self.assertEqual([c for c in self.user_writes("u") if c.name != "update"], [])
        # the reads of stored _ids: one of every stored _id for the
        # statement where _id lookups read the whole collection, else one
        # of each batch's _ids
        if self.id_lookup_scans():
            self.assertEqual(self.id_reads(), [ALL])
        else:
            self.assertEqual(self.id_reads(), [list(range(k, min(k + BATCH, ROWS))) for k in range(0, ROWS, BATCH)])
        # each command's reply counts its batch (which starts at an even
        # _id): the even _ids matched and modified, the odd ones upserted
        for b, (c, n) in enumerate(zip(ups, sizes)):
            first = b * BATCH
            self.assertEqual((c.reply["ok"], c.reply["n"], c.reply["nModified"], len(c.reply.get("upserted", []))),
                             (1.0, n, (n + 1) // 2, n // 2), c)
            self.assertNotIn("writeErrors", c.reply)
            self.assertEqual([u["_id"] for u in c.reply.get("upserted", [])], list(range(first + 1, first + n, 2)))
        self.assertEqual((res["batches"], res["nMatched"], res["nModified"], res["nUpserted"], res["nFailed"],
                          res["nInserted"]),
                         (len(sizes), (ROWS + 1) // 2, (ROWS + 1) // 2, ROWS // 2, 0, 0))
        self.assertNotIn("nModifiedUnknown", res)
        self.assertEqual(res["writeErrors"], [])
        self.assertEqual([(u["row"], u["_id"]) for u in res["upserted"]],
                         [(i + 1, i) for i in range(1, ROWS, 2)][:1000])
        # the documents on the server: every row, as its replacement
        self.assertEqual(self.docs("u"), [{"_id": i, "v": "new%d" % i, "n": i} for i in range(ROWS)])

    def id_reads(self):
        """The reads of _ids of collection u: the sorted _ids of each
        {_id: {$in: [...]}}, or ALL for a read of every stored _id."""
        return [ALL if f.body["filter"] == {} and f.body["projection"] == {"_id": 1}
                else sorted(f.body["filter"]["_id"]["$in"]) for f in self.proxy.commands("find", coll="u", db=self.dbname)]

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
        # the existing _ids (before the batch: every stored _id once, on a
        # server whose _id $in lookup reads the whole collection), then the
        # stored ones (after the failure)
        self.assertEqual(self.id_reads(), [ALL if self.id_lookup_scans() else list(range(10)), list(range(10))])
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

    def test_stored_ids_of_another_number_type_count_as_existing(self):
        # the stored _ids are int64 (0, 2, 4) and double (6.0, 8.0), the
        # file's are int32: MongoDB's equality matches them by value, so
        # the rows on 0-8 even update the stored documents and count as
        # matched (the stored _ids keep their types), 1, 3, 7, 9 are
        # upserted, 5 fails (the k of another document); the failed
        # batch's settling finds the stored _ids across the types too
        from bson.int64 import Int64
        self.db.u.insert_many([{"_id": Int64(i), "v": "old", "k": "k%d" % i} for i in (0, 2, 4)] +
                              [{"_id": float(i), "v": "old", "k": "k%d" % i} for i in (6, 8)])
        self.db.u.insert_one({"_id": 100, "k": "dup"})
        self.db.u.create_index("k", unique=True)
        fd, path = tempfile.mkstemp(suffix=".ndjson")
        self.addCleanup(os.unlink, path)
        with os.fdopen(fd, "w") as f:
            for i in range(10):
                f.write(json.dumps({"_id": i, "v": "new%d" % i, "k": "dup" if i == 5 else "k%d" % i}) + "\n")
        self.proxy.reset()
        r = self.wire("BULK UPSERT INTO u FROM '%s' ON CONFLICT (_id) DO UPDATE SET v = EXCLUDED.v, k = EXCLUDED.k "
                      "WITH (batch_size = 10, ordered = false, continue_on_error = true);" % path)
        self.assertEqual(r.rc, 1, r)
        res = r.results[0]
        # the rows' _ids went out as int32
        self.assertEqual({type(op["q"]["_id"]["$eq"]) for c in self.updates("u") for op in c.documents}, {int})
        self.assertEqual([(e["row"], e["code"]) for e in res["writeErrors"]], [(6, 11000)])
        docs = self.docs("u")
        self.assertEqual(docs, [{"_id": i, "v": "new%d" % i, "k": "k%d" % i} for i in range(10) if i != 5] +
                         [{"_id": 100, "k": "dup"}])
        self.assertEqual([type(d["_id"]) for d in docs],
                         [Int64, int, Int64, int, Int64, float, int, float, int, int])
        self.assertEqual(sorted((u["row"], u["_id"]) for u in res["upserted"]), [(2, 1), (4, 3), (8, 7), (10, 9)])
        if not self.lossy_updates():
            self.assertEqual((res["nMatched"], res["nModified"], res["nUpserted"], res["nFailed"]), (5, 5, 4, 1))
            return
        # as with stored _ids of the rows' own type: 0-4 applied before the
        # failure (the account lost: nModifiedUnknown 3), 4 is sent again
        # alone, 5 alone, then 6-9
        self.assertEqual(self.sent(), [(10, list(range(10)), True), (1, [4], False), (1, [5], True),
                                       (4, [6, 7, 8, 9], False)])
        self.assertEqual((res["nMatched"], res["nModified"], res["nModifiedUnknown"], res["nUpserted"],
                          res["nFailed"], res.get("nNotAttempted", 0)), (5, 2, 3, 4, 1, 0))

    def sent(self):
        return [(len(c.documents), [op["q"]["_id"]["$eq"] for op in c.documents], bool(c.reply.get("writeErrors")))
                for c in self.updates("u")]

    def upsert_vk(self, rows, batch):
        self.proxy.reset()
        r = self.wire("BULK UPSERT INTO u (_id, v, k) VALUES %s ON CONFLICT (_id) DO UPDATE SET v = EXCLUDED.v, "
                      "k = EXCLUDED.k WITH (batch_size = %d, ordered = false, continue_on_error = true);"
                      % (", ".join("(%d, '%s', '%s')" % r for r in rows), batch))
        self.assertEqual(r.rc, 1, r)
        return r.results[0]

    def test_an_id_written_by_an_earlier_batch_counts_as_existing(self):
        # _id 10 is upserted by the first batch and named again by the
        # second, which fails at _id 16 (the k of another document): the
        # statement's record of stored _ids (read once, before the first
        # batch, where _id lookups read the whole collection) holds 10 as
        # stored from the first batch on, so the failed batch's settling
        # counts the second row of 10 as matched, not as upserted
        self.db.u.insert_one({"_id": 100, "k": "dup"})
        self.db.u.create_index("k", unique=True)
        rows = [(i, "a%d" % i, "k%d" % i) for i in range(10, 15)]
        rows += [(10, "b10", "k10b"), (15, "b15", "k15"), (16, "b16", "dup"), (17, "b17", "k17"), (18, "b18", "k18")]
        res = self.upsert_vk(rows, 5)
        self.assertEqual([(e["row"], e["code"]) for e in res["writeErrors"]], [(8, 11000)])
        self.assertEqual(self.docs("u"), [{"_id": 10, "v": "b10", "k": "k10b"}] +
                         [{"_id": i, "v": "a%d" % i, "k": "k%d" % i} for i in range(11, 15)] +
                         [{"_id": i, "v": "b%d" % i, "k": "k%d" % i} for i in (15, 17, 18)] +
                         [{"_id": 100, "k": "dup"}])
        self.assertEqual(sorted((u["row"], u["_id"]) for u in res["upserted"]),
                         [(1, 10), (2, 11), (3, 12), (4, 13), (5, 14), (7, 15), (9, 17), (10, 18)])
        self.assertEqual((res["nMatched"], res["nUpserted"], res["nFailed"]), (1, 8, 1))
        if not self.lossy_updates():
            self.assertEqual(self.sent(), [(5, list(range(10, 15)), False), (5, [10, 15, 16, 17, 18], True)])
            self.assertEqual(self.id_reads(), [list(range(10, 15)), [10, 15, 16, 17, 18]])
            return
        # the second batch applied 10 and 15, failed at 16, and none after
        # it: 15 is stored and was absent, so 10 ran (it matched; whether it
        # modified its document was lost with the account); 16 is sent
        # again alone (it fails again), then 17 and 18 as one command
        self.assertEqual(self.sent(), [(5, list(range(10, 15)), False), (5, [10, 15, 16, 17, 18], True),
                                       (1, [16], True), (2, [17, 18], False)])
        self.assertEqual(res["nModifiedUnknown"], 1)
        before = [ALL] if self.id_lookup_scans() else [list(range(10, 15)), [10, 15, 16, 17, 18]]
        self.assertEqual(self.id_reads(), before + [[10, 15, 16, 17, 18]])

    def test_an_id_whose_row_failed_is_read_again_by_a_later_batch(self):
        # _id 20 fails in the first batch (the k of another document): the
        # record cannot tell whether it is stored, so the second batch,
        # which names it again, reads it from the server (and only it)
        self.db.u.insert_one({"_id": 100, "k": "dup"})
        self.db.u.create_index("k", unique=True)
        res = self.upsert_vk([(20, "a20", "dup"), (21, "a21", "k21"), (20, "b20", "k20"), (22, "b22", "k22")], 2)
        self.assertEqual([(e["row"], e["code"]) for e in res["writeErrors"]], [(1, 11000)])
        self.assertEqual(self.docs("u"), [{"_id": i, "v": v, "k": "k%d" % i} for i, v in
                                          ((20, "b20"), (21, "a21"), (22, "b22"))] + [{"_id": 100, "k": "dup"}])
        self.assertEqual(sorted((u["row"], u["_id"]) for u in res["upserted"]), [(2, 21), (3, 20), (4, 22)])
        self.assertEqual((res["nMatched"], res["nUpserted"], res["nFailed"]), (0, 3, 1))
        if not self.id_lookup_scans():
            self.assertEqual(self.id_reads()[0::2 if self.lossy_updates() else 1], [[20, 21], [20, 22]])
            return
        self.assertEqual(self.id_reads(), [ALL, [20, 21], [20]])

    def test_over_its_share_of_memory_limit_the_record_is_given_up(self):
        # memory_limit = '1MB': a quarter of it holds 1365 _ids (192 bytes
        # each); with 1400 stored, the read of every stored _id stops and
        # each batch reads its own _ids, as on any server
        self.db.u.insert_many([{"_id": 1000 + i} for i in range(1400)])
        self.proxy.reset()
        r = self.wire("BULK UPSERT INTO u (_id, v) VALUES %s ON CONFLICT (_id) DO UPDATE SET v = EXCLUDED.v "
                      "WITH (batch_size = 3, memory_limit = '1MB');"
                      % ", ".join("(%d, 'v')" % i for i in (1, 1001, 2, 1002, 3, 1003)))
        self.assertEqual(r.rc, 0, r)
        res = r.results[0]
        self.assertEqual((res["nMatched"], res["nUpserted"]), (3, 3))
        self.assertEqual(self.db.u.count_documents({"v": "v"}), 6)
        per_batch = [[1, 2, 1001], [3, 1002, 1003]]
        self.assertEqual(self.id_reads(), ([ALL] if self.id_lookup_scans() else []) + per_batch)

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
