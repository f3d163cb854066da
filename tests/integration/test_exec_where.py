"""UPDATE/DELETE ... WHERE batches that fail on the live server: each such
batch writes exactly one error record (SPEC §3), continue_on_error and
max_errors apply, the unbatched command (batch_size = 0) is accounted for
too; dry runs write their metrics document and nothing else, and still
apply max_delete_count; a failure to write an error record is reported
without hiding the original error."""
import datetime
import os
import sys

import pymongo

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402

PIPELINE = "the server does not support aggregation-pipeline updates (MongoDB 4.2)"


class WhereFailuresTest(bqltest.BulkqlCase):
    def seed_users(self, n=6):
        self.db.users.create_index([("email", pymongo.ASCENDING)], unique=True)
        self.db.users.insert_many([{"_id": i, "email": "u%d@x" % i, "n": i} for i in range(1, n + 1)])

    def records(self):
        return list(self.db.bulk_operation_errors.find({}, {"_id": 0}, sort=[("batchIndex", 1)]))

    def check_record(self, rec, res, statement, batch_index, batch_size, codes, message):
        self.assertIsInstance(rec.pop("startedAt"), datetime.datetime)
        self.assertEqual(rec.pop("operationId"), res["operationId"])
        self.assertEqual(rec.pop("statement"), statement)
        we = rec.pop("writeErrors")
        self.assertEqual(len(we), 1)
        self.assertEqual(sorted(we[0]), ["code", "errmsg"])  # not tied to a row
        self.assertIn(we[0]["code"], codes)
        self.assertIn(message, we[0]["errmsg"])
        self.assertEqual(rec.pop("errorMessage"), we[0]["errmsg"])
        self.assertEqual(rec.pop("errorCode"), we[0]["code"])
        self.assertEqual(rec, {"batchIndex": batch_index, "batchSize": batch_size, "firstRow": None,
                               "writeConcernError": None, "sampleDocument": None})

    def emails(self):
        return {d["_id"]: d["email"] for d in self.docs("users")}

    def changed(self):
        """the _ids whose email is no longer the seeded one"""
        return [i for i, e in sorted(self.emails().items()) if e != "u%d@x" % i]

    def test_update_where_that_breaks_a_unique_index_writes_one_error_record(self):
        self.seed_users()
        sql = "BULK UPDATE users SET email = 'same@x' WHERE n >= 2"
        r = self.bulkql("--format", "json", sql=sql + ";")
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        self.assertEqual(res["batches"], 1)
        # MongoDB reports 11000; FerretDB a unique violation during an update
        # as code 1 (InternalError)
        self.assertIn("documents failed: the server refused the update of this batch", res["error"])
        recs = self.records()
        self.assertEqual(len(recs), 1)
        self.check_record(recs[0], res, sql, 0, 5, (11000, 1), "the server refused the update of this batch")
        # the server stops at the second document it updates: the first
        # (in _id order) may hold the new email, no other document changed
        self.assertIn(self.changed(), ([], [2]))

    def test_continue_on_error_and_max_errors_apply_to_where_batches(self):
        self.seed_users(9)
        sql = "BULK UPDATE users SET email = 'same@x' WHERE n >= 2 WITH (batch_size = 2, continue_on_error = true)"
        r = self.bulkql("--format", "json", sql=sql + ";")
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        # batches of _ids [2, 3] [4, 5] [6, 7] [8, 9]: every one fails, and
        # every one is attempted
        self.assertEqual(res["batches"], 4)
        recs = self.records()
        self.assertEqual([(x["batchIndex"], x["batchSize"]) for x in recs], [(0, 2), (1, 2), (2, 2), (3, 2)])
        self.assertIn(self.changed(), ([], [2]))

        self.db.bulk_operation_errors.drop()
        r = self.bulkql("--format", "json", sql=(
            "BULK UPDATE users SET email = 'other@x' WHERE n >= 2 "
            "WITH (batch_size = 2, continue_on_error = true, max_errors = 3);"))
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        self.assertIn("max_errors = 3", res["stopped"])
        self.assertEqual(res["batches"], 2)
        self.assertEqual(len(self.records()), 2)

    def test_where_batch_failure_without_continue_on_error_stops(self):
        self.seed_users(9)
        r = self.bulkql("--format", "json", sql="BULK UPDATE users SET email = 'same@x' WHERE n >= 2 WITH (batch_size = 2);")
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        self.assertEqual(res["batches"], 1)
        self.assertEqual([x["batchIndex"] for x in self.records()], [0])
        # nothing after the failing batch was touched
        self.assertIn(self.changed(), ([], [2]))

    def test_unbatched_update_failure_writes_one_error_record(self):
        self.seed_users()
        sql = "BULK UPDATE users SET email = 'same@x' WHERE n >= 2 WITH (batch_size = 0)"
        r = self.bulkql("--format", "json", sql=sql + ";")
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        self.assertEqual(res["batches"], 1)
        self.assertTrue(res["error"].startswith("the server refused batch 1: "), res)
        recs = self.records()
        self.assertEqual(len(recs), 1)
        self.check_record(recs[0], res, sql, 0, 0, (11000, 1), "the server refused the update of this batch")

    def test_pipeline_update_where_writes_one_error_record(self):
        self.db.p.insert_many([{"_id": i, "price": 2.0 * i, "qty": i} for i in range(1, 5)])
        before = self.docs("p")
        sql = "BULK UPDATE p SET total = price * qty WHERE qty > 1"
        r = self.bulkql("--format", "json", sql=sql + ";")
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        self.assertTrue(res["error"].startswith(PIPELINE + ": "), res)
        self.assertEqual((res["nMatched"], res["nModified"], res["nFailed"]), (0, 0, 3))
        self.assertEqual(self.docs("p"), before)
        recs = self.records()
        self.assertEqual(len(recs), 1)
        # code 0: refused by the server's probe (caps.c), not by the server
        self.check_record(recs[0], res, sql, 0, 3, (0,), "not written: " + PIPELINE)
        r = self.bulkql(sql=sql + ";")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("bulkql: error: %s: " % PIPELINE, r.err)


class DryRunTest(bqltest.BulkqlCase):
    def test_dry_run_update_writes_nothing(self):
        self.db.p.insert_many([{"_id": i, "stock": i} for i in range(1, 5)])
        r = self.bulkql("--format", "json", sql="BULK UPDATE p SET stock = 0 WHERE stock > 1 WITH (dry_run = true);")
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual([d["stock"] for d in self.docs("p")], [1, 2, 3, 4])
        # not even the metrics document: the result holds it
        self.assertEqual(sorted(self.db.list_collection_names()), ["p"])
        m = [res["metrics"]]
        self.assertEqual((m[0]["operationId"], m[0]["dryRun"], m[0]["nMatched"], m[0]["nModified"], m[0]["status"]),
                         (res["operationId"], True, 3, 0, "Complete"))

    def test_dry_run_rows_write_nothing(self):
        r = self.bulkql("--format", "json", sql="BULK INSERT INTO c (a) VALUES (1), (2), (3) WITH (dry_run = true);")
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nInserted"], res["nWouldWrite"]), (0, 3))
        self.assertEqual(self.db.list_collection_names(), [])
        m = [res["metrics"]]
        self.assertEqual([(x["kind"], x["dryRun"], x["nWouldWrite"], x["nInserted"]) for x in m],
                         [("BULK INSERT", True, 3, 0)])

    def test_dry_run_delete_says_max_delete_count_would_refuse(self):
        self.db.logs.insert_many([{"_id": i, "n": i} for i in range(1, 11)])
        sql = "BULK DELETE FROM logs WHERE n > 3 WITH (dry_run = true, max_delete_count = 5);"
        r = self.bulkql(sql=sql)
        self.assertEqual(r.rc, 1, r)
        self.assertIn("bulkql: error: 7 documents match but max_delete_count is 5: the delete would be refused "
                      "(dry run: nothing was written to the collection)", r.err)
        self.assertEqual(len(self.docs("logs")), 10)
        r = self.bulkql("--format", "json", sql=sql)
        self.assertEqual(r.rc, 1, r)
        m = self.json_result(r)[0]["metrics"]
        self.assertEqual((m["dryRun"], m["nMatched"], m["status"]), (True, 7, "Failed"))
        self.assertEqual(self.db.list_collection_names(), ["logs"])
        r = self.bulkql(sql="BULK DELETE FROM logs WHERE n > 3 WITH (dry_run = true, max_delete_count = 7);")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(len(self.docs("logs")), 10)


class LogFailureTest(bqltest.BulkqlCase):
    def test_error_record_that_cannot_be_written_is_reported(self):
        self.db.p.insert_many([{"_id": 1, "x": "str"}, {"_id": 2, "x": 2}])
        # (a name the server refuses is refused at plan time: the record
        # is refused by a unique index instead)
        self.db.errs.create_index("batchIndex", unique=True)
        self.db.errs.insert_one({"batchIndex": 0})
        sql = ("BULK UPDATE p SET x = x + 1 FROM (VALUES (1), (2)) AS v(id) WHERE p._id = v.id "
               "WITH (ordered = false, error_collection = 'errs');")
        r = self.bulkql(sql=sql)
        self.assertEqual(r.rc, 1, r)
        # the original error, in the table and on stderr
        self.assertIn("row 1: Cannot apply $inc to a value of non-numeric type", r.out)
        self.assertIn("bulkql: error: 1 row failed (BULK UPDATE %s.p at <command>:1)\n" % self.dbname, r.err)
        # and the failure to log it
        self.assertRegex(r.err, r"bulkql: warning: batch 1: cannot write the error record to %s\.errs: E11000"
                         % self.dbname)
        self.assertEqual([d["x"] for d in self.docs("p")], ["str", 3])
        r = self.bulkql("--format", "json", sql=sql)
        res = self.json_result(r)[0]
        self.assertEqual([e["row"] for e in res["writeErrors"]], [1])
        self.assertEqual([f["batchIndex"] for f in res["logFailures"]], [0])
        self.assertIn("cannot write the error record to %s.errs" % self.dbname, res["logFailures"][0]["errmsg"])
        # the statement's metrics are still written
        self.assertEqual(self.db.bulk_operation_metrics.count_documents({"operationId": res["operationId"]}), 1)


if __name__ == "__main__":
    bqltest.main()
