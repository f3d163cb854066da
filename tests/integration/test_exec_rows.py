"""Row writes on the live server (BULK UPSERT, BULK UPDATE ... FROM, INSERT
... ON DUPLICATE KEY UPDATE): a row that fails in the middle of a batch is
reported with its own row number and the other rows are counted exactly
(FerretDB answers such an update command with writeErrors [{index: 0}] and
no counts: see ../shared/FERRETDB.md); rows that match nothing are listed;
a row an ON DUPLICATE KEY follow-up cannot find fails; pipeline updates
name the server feature they need. Every case compares the whole
collection and the error records afterwards."""
import datetime
import os
import sys

import pymongo

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402

INC_ON_STRING = "Cannot apply $inc to a value of non-numeric type"
PIPELINE = "the server does not support aggregation-pipeline updates (MongoDB 4.2)"


class RowWritesTest(bqltest.BulkqlCase):
    def seed(self):
        # row 3 of the statements below meets a string where $inc needs a number
        self.db.p.insert_many([{"_id": i, "sku": "s%d" % i, "x": "str" if i == 3 else i} for i in range(1, 6)])

    def records(self):
        return list(self.db.bulk_operation_errors.find({}, {"_id": 0}, sort=[("batchIndex", 1)]))

    def check_record(self, rec, res, statement, batch_index, batch_size, first_row, rows, sample):
        started = rec.pop("startedAt")
        self.assertIsInstance(started, datetime.datetime)
        self.assertEqual(rec.pop("operationId"), res["operationId"])
        self.assertEqual(rec.pop("statement"), bqltest.records_statement(statement))  # VALUES rows elided
        we = rec.pop("writeErrors")
        self.assertEqual([(w["row"], w["code"]) for w in we], [(r, 14) for r in rows])
        for w in we:
            self.assertIn(INC_ON_STRING, w["errmsg"])
        self.assertIn(INC_ON_STRING, rec.pop("errorMessage"))
        self.assertEqual(rec, {"batchIndex": batch_index, "batchSize": batch_size, "firstRow": first_row,
                               "errorCode": 14, "writeConcernError": None, "sampleDocument": sample})

    def test_update_from_unordered_reports_the_failing_row_and_writes_the_others(self):
        self.seed()
        sql = ("BULK UPDATE p SET x = x + 1 FROM (VALUES ('s1'), ('s2'), ('s3'), ('s4'), ('s5')) AS v(sku) "
               "WHERE p.sku = v.sku WITH (ordered = false)")
        r = self.bulkql("--format", "json", sql=sql + ";")
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        self.assertEqual([(e["row"], e["code"]) for e in res["writeErrors"]], [(3, 14)])
        self.assertEqual((res["nMatched"], res["nModified"], res["nUnmatched"], res["nFailed"]), (4, 4, 0, 1))
        self.assertNotIn("nNotAttempted", res)
        self.assertEqual([d["x"] for d in self.docs("p")], [2, 3, "str", 5, 6])
        recs = self.records()
        self.assertEqual(len(recs), 1)
        self.check_record(recs[0], res, sql, 0, 5, 1, [3], {"sku": "s3"})

    def test_update_from_ordered_stops_at_the_failing_row(self):
        self.seed()
        r = self.bulkql("--format", "json", sql=(
            "BULK UPDATE p SET x = x + 1 FROM (VALUES ('s1'), ('s2'), ('s3'), ('s4'), ('s5')) AS v(sku) "
            "WHERE p.sku = v.sku WITH (ordered = true);"))
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        self.assertEqual([e["row"] for e in res["writeErrors"]], [3])
        self.assertEqual((res["nMatched"], res["nModified"], res["nFailed"], res["nNotAttempted"]), (2, 2, 1, 2))
        self.assertEqual([d["x"] for d in self.docs("p")], [2, 3, "str", 4, 5])

    def test_upsert_reports_the_failing_row_and_counts_the_others(self):
        self.db.acc.insert_many([{"_id": i, "x": "str" if i == 3 else i} for i in range(1, 4)])
        r = self.bulkql("--format", "json", sql=(
            "BULK UPSERT INTO acc (_id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e') "
            "ON CONFLICT (_id) DO UPDATE SET x = x + 1 WITH (ordered = false);"))
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        self.assertEqual([(e["row"], e["code"]) for e in res["writeErrors"]], [(3, 14)])
        self.assertEqual((res["nMatched"], res["nModified"], res["nUpserted"], res["nFailed"]), (2, 2, 2, 1))
        self.assertEqual(sorted((u["row"], u["_id"]) for u in res["upserted"]), [(4, 4), (5, 5)])
        self.assertEqual(self.docs("acc"), [
            {"_id": 1, "x": 2},
            {"_id": 2, "x": 3},
            {"_id": 3, "x": "str"},
            {"_id": 4, "x": 1, "name": "d"},
            {"_id": 5, "x": 1, "name": "e"},
        ])
        self.assertEqual(len(self.records()), 1)

    def test_upsert_row_numbers_across_batches(self):
        self.db.acc.insert_many([{"_id": i, "x": "str" if i == 3 else i} for i in range(1, 4)])
        sql = ("BULK UPSERT INTO acc (_id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e') "
               "ON CONFLICT (_id) DO UPDATE SET x = x + 1 WITH (batch_size = 2, continue_on_error = true)")
        r = self.bulkql("--format", "json", sql=sql + ";")
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        # batch 2 (rows 3-4) is ordered: it stops at row 3, row 4 is not attempted
        self.assertEqual([e["row"] for e in res["writeErrors"]], [3])
        self.assertEqual((res["nMatched"], res["nUpserted"], res["nFailed"], res["nNotAttempted"], res["batches"]),
                         (2, 1, 1, 1, 3))
        self.assertEqual([(u["row"], u["_id"]) for u in res["upserted"]], [(5, 5)])
        self.assertEqual(self.docs("acc"), [
            {"_id": 1, "x": 2},
            {"_id": 2, "x": 3},
            {"_id": 3, "x": "str"},
            {"_id": 5, "x": 1, "name": "e"},
        ])
        recs = self.records()
        self.assertEqual(len(recs), 1)
        self.check_record(recs[0], res, sql, 1, 2, 3, [3], {"_id": 3, "name": "c"})

    def test_update_from_lists_the_rows_that_match_nothing(self):
        self.seed()
        r = self.bulkql("--format", "json", sql=(
            "BULK UPDATE p SET note = v.note FROM (VALUES ('s1', 'a'), ('nope', 'b'), ('s2', 'c'), ('gone', 'd'), "
            "('s5', 'e')) AS v(sku, note) WHERE p.sku = v.sku WITH (batch_size = 2);"))
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nMatched"], res["nModified"], res["nUnmatched"]), (3, 3, 2))
        self.assertEqual(res["unmatched"], [{"row": 2}, {"row": 4}])
        self.assertEqual([d.get("note") for d in self.docs("p")], ["a", "c", None, None, "e"])

    def test_unmatched_rows_when_the_update_rewrites_the_joined_field(self):
        # SET writes the field the join reads: rows are still told apart exactly
        self.seed()
        r = self.bulkql(sql=(
            "BULK UPDATE p SET sku = v.new FROM (VALUES ('s1', 'n1'), ('n1', 'n1b'), ('zz', 'n0'), ('s4', 'n4')) "
            "AS v(old, new) WHERE p.sku = v.old;"))
        self.assertEqual(r.rc, 0, r)
        self.assertIn("nUnmatched  1", r.out)
        self.assertIn("matched nothing: row 3\n", r.out)
        self.assertEqual([d["sku"] for d in self.docs("p")], ["n1b", "s2", "s3", "n4", "s5"])
        r = self.bulkql("--format", "json", sql=(
            "BULK UPDATE p SET sku = v.new FROM (VALUES ('n1b', 'm1'), ('x', 'y')) AS v(old, new) WHERE p.sku = v.old;"))
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nMatched"], res["nUnmatched"], res["unmatched"]), (1, 1, [{"row": 2}]))

    def test_on_duplicate_key_row_refused_by_another_unique_index_fails(self):
        self.db.users.create_index([("email", pymongo.ASCENDING)], unique=True)
        self.db.users.insert_one({"_id": 1, "email": "a@x", "n": 1})
        # rows without _id get a new one; row 2's email is taken: it is
        # refused as a duplicate, and no document has its new _id to update
        r = self.bulkql("--format", "json", sql=(
            "BULK INSERT INTO users (email, n) VALUES ('b@x', 2), ('a@x', 3), ('c@x', 4) "
            "ON DUPLICATE KEY UPDATE n = n + 10;"))
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nInserted"], res["nMatched"], res["nModified"], res["nFailed"]), (2, 0, 0, 1))
        self.assertEqual([(e["row"], e["code"]) for e in res["writeErrors"]], [(2, 11000)])
        self.assertIn("no document matches its key columns, so another unique index refused it",
                      res["writeErrors"][0]["errmsg"])
        got = sorted((d["email"], d["n"]) for d in self.db.users.find())
        self.assertEqual(got, [("a@x", 1), ("b@x", 2), ("c@x", 4)])
        recs = self.records()
        self.assertEqual([[w["row"] for w in x["writeErrors"]] for x in recs], [[2]])

    def test_on_duplicate_key_on_id_and_on_another_index(self):
        self.db.users.create_index([("email", pymongo.ASCENDING)], unique=True)
        self.db.users.insert_one({"_id": 1, "email": "a@x", "n": 1})
        r = self.bulkql("--format", "json", sql=(
            "BULK INSERT INTO users (_id, email, n) VALUES (1, 'a@x', 5), (7, 'a@x', 6), (8, 'h@x', 8) "
            "ON DUPLICATE KEY UPDATE n = n + 10;"))
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        # row 1 is a duplicate _id and is updated; row 2 collides on email only
        self.assertEqual((res["nInserted"], res["nMatched"], res["nModified"], res["nFailed"]), (1, 1, 1, 1))
        self.assertEqual([e["row"] for e in res["writeErrors"]], [2])
        self.assertEqual(self.docs("users"), [{"_id": 1, "email": "a@x", "n": 11}, {"_id": 8, "email": "h@x", "n": 8}])

    def test_update_from_pipeline_names_the_missing_server_feature(self):
        self.db.p.insert_many([{"_id": i, "sku": "s%d" % i, "price": 2.5 * i} for i in range(1, 4)])
        before = self.docs("p")
        r = self.bulkql(sql=("BULK UPDATE p SET total = price * v.qty FROM (VALUES ('s1', 2), ('s2', 3)) AS v(sku, qty) "
                             "WHERE p.sku = v.sku;"))
        self.assertEqual(r.rc, 1, r)
        self.assertIn("bulkql: error: %s: " % PIPELINE, r.err)
        self.assertNotIn("not idempotent", r.out + r.err)
        self.assertEqual(self.docs("p"), before)
        recs = self.records()
        self.assertEqual(len(recs), 1)
        self.assertTrue(recs[0]["errorMessage"].startswith("not written: " + PIPELINE), recs[0])

    def test_on_duplicate_key_pipeline_names_the_missing_server_feature(self):
        self.db.ev.insert_one({"_id": 1, "n": 4})
        r = self.bulkql("--format", "json", sql=(
            "BULK INSERT INTO ev (_id, n) VALUES (1, 10), (2, 20) ON DUPLICATE KEY UPDATE total = n * 2;"))
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        self.assertTrue(res["error"].startswith(PIPELINE), res)
        self.assertEqual([e["row"] for e in res["writeErrors"]], [1])
        self.assertIn(PIPELINE, res["writeErrors"][0]["errmsg"])
        self.assertEqual((res["nInserted"], res["nFailed"]), (1, 1))
        self.assertEqual(self.docs("ev"), [{"_id": 1, "n": 4}, {"_id": 2, "n": 20}])


if __name__ == "__main__":
    bqltest.main()
