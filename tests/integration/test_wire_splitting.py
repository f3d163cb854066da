"""Row numbers across libmongoc's own splitting of a batch.

One BulkQL batch larger than the server's maxMessageSizeBytes (48 MB) is
sent by libmongoc as several commands, and libmongoc reports
writeErrors[].index relative to the whole batch. The tests check on the
wire that the batch really was split, and that the failing row's number in
the result and in the batch's one error record is its position in the
statement's input — for INSERT (900 rows of 64 KB, unordered: every other
row is written) and UPSERT (5 rows of 13 MB: FerretDB scans the collection
for every upsert, so few large rows keep this fast; ordered: the rows
after the failing one are not attempted). The error record and the
metrics document of such a statement keep only the start of its text
(its VALUES rows after the first elided)."""
import os
import sys

import pymongo

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402
import wiretest  # noqa: E402
from wireproxy import matcher  # noqa: E402
from wiretest import values  # noqa: E402

N = 900
BLOB = "x" * 65536
UPSERT_ROWS = 5
UPSERT_BLOB = "y" * 13000000


class WireSplittingTest(wiretest.WireCase):
    def one_error_record(self, res, sql):
        self.assertNotIn("logFailures", res)
        recs = list(self.db.bulk_operation_errors.find({"operationId": res["operationId"]}))
        self.assertEqual(len(recs), 1, [{k: v for k, v in x.items() if k != "sampleDocument"} for x in recs])
        self.check_statement(recs[0]["statement"], sql)
        [m] = self.db.bulk_operation_metrics.find({"operationId": res["operationId"]})
        self.check_statement(m["statement"], sql)
        return recs[0]

    def check_statement(self, kept, sql):
        """Records keep the first 4096 bytes of a long statement, its
        VALUES rows after the first elided (the sample row is longer than
        that here: the length says the rest was elided)."""
        self.assertEqual(kept, bqltest.records_statement(sql))
        self.assertLess(int(kept.rsplit("(", 1)[1].split(" ")[0]), len(sql) // 2)

    def test_insert_row_numbers_across_the_split(self):
        bad = 800  # repeats _id 5
        rows = ["%d, '%s'" % (i if i != bad else 5, BLOB) for i in range(1, N + 1)]
        sql = "BULK INSERT INTO big (_id, blob) VALUES %s WITH (batch_size = 1000, ordered = false);" % values(rows)
        r = self.wire(sql, timeout=600)
        self.assertEqual(r.rc, 1, r.err)
        res = r.results[0]
        self.assertEqual((res["nInserted"], res["nFailed"], res["batches"]), (N - 1, 1, 1))
        self.assertEqual([(e["row"], e["code"]) for e in res["writeErrors"]], [(bad, 11000)])
        cmds = self.user_writes("big")
        sizes = [len(c.documents) for c in cmds]
        self.assertGreater(len(cmds), 1, "libmongoc did not split the batch")
        self.assertTrue(all(c.raw_len <= 48000000 for c in cmds))
        self.assertEqual([d["_id"] for c in cmds for d in c.documents], [i if i != bad else 5 for i in range(1, N + 1)])
        self.assertLess(sizes[0], bad, "the failing row is not after the split")
        rec = self.one_error_record(res, sql)
        self.assertEqual((rec["batchIndex"], rec["batchSize"], rec["firstRow"], rec["errorCode"]), (0, N, 1, 11000))
        self.assertEqual([(w["row"], w["code"]) for w in rec["writeErrors"]], [(bad, 11000)])
        self.assertEqual(rec["sampleDocument"], {"_id": 5, "blob": BLOB})
        self.assertEqual(self.db.big.count_documents({}), N - 1)
        self.assertIsNone(self.db.big.find_one({"_id": bad}))

    def test_upsert_row_numbers_across_the_split(self):
        self.db.bigu.create_index([("e", pymongo.ASCENDING)], unique=True)
        self.db.bigu.insert_one({"_id": 0, "e": "taken"})

        def sql(bad):
            rows = ["%d, '%s', '%s'" % (i, "taken" if i == bad else "e%d" % i, UPSERT_BLOB)
                    for i in range(1, UPSERT_ROWS + 1)]
            return ("BULK UPSERT INTO bigu (_id, e, blob) VALUES %s ON CONFLICT (_id) DO NOTHING "
                    "WITH (batch_size = 1000, ordered = true);" % values(rows))

        # Where does libmongoc split? A rehearsal answered by the proxy
        # itself (the server sees none of it) shows the first command's
        # size. The failing row is then the first of the second command:
        # FerretDB reports a failing update statement as index 0 of its
        # command, which is right only there (see ../shared/FERRETDB.md).
        self.proxy.inject(matcher("update", coll="bigu"), "reply", times=100, reply={"ok": 1.0, "n": 0, "nModified": 0})
        self.wire(sql(0), timeout=600)
        rehearsal = [len(c.documents) for c in self.proxy.commands("update", coll="bigu")]
        self.assertGreater(len(rehearsal), 1, "libmongoc did not split the batch")
        self.assertEqual(sum(rehearsal), UPSERT_ROWS)
        bad = rehearsal[0] + 1
        self.assertLess(bad, UPSERT_ROWS, "no row after the failing one")
        self.proxy.clear_faults()
        self.proxy.reset()

        text = sql(bad)
        r = self.wire(text, timeout=600)
        self.assertEqual(r.rc, 1, r.err)
        res = r.results[0]
        self.assertEqual((res["nUpserted"], res["nMatched"], res["nFailed"], res["nNotAttempted"], res["batches"]),
                         (bad - 1, 0, 1, UPSERT_ROWS - bad, 1))
        self.assertEqual([(e["row"], e["code"]) for e in res["writeErrors"]], [(bad, 11000)])
        self.assertEqual([u["row"] for u in res["upserted"]], list(range(1, bad)))
        cmds = self.user_writes("bigu")
        self.assertEqual([len(c.documents) for c in cmds][:2], rehearsal[:2])
        self.assertTrue(all(c.body["ordered"] is True for c in cmds))
        self.assertEqual(cmds[1].documents[0]["q"], {"_id": {"$eq": bad}})
        rec = self.one_error_record(res, text)
        self.assertEqual((rec["batchIndex"], rec["batchSize"], rec["firstRow"], rec["errorCode"]),
                         (0, UPSERT_ROWS, 1, 11000))
        self.assertEqual([(w["row"], w["code"]) for w in rec["writeErrors"]], [(bad, 11000)])
        self.assertEqual(rec["sampleDocument"], {"_id": bad, "e": "taken", "blob": UPSERT_BLOB})
        ids = [d["_id"] for d in self.db.bigu.find({}, {"_id": 1}, sort=[("_id", 1)])]
        self.assertEqual(ids, list(range(0, bad)))


if __name__ == "__main__":
    wiretest.bqltest.main()
