"""The WITH options that change execution, on the live server:
continue_on_error, max_errors, max_execution_time, error_collection;
per-batch error records and statement metrics (SPEC §3), with row numbers
across our batches. What only the wire shows (write_concern, journal,
bypass_validation, batch boundaries, retries, libmongoc's own splitting of
a batch larger than maxMessageSizeBytes) is tested in test_wire_*.py."""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402


def values(rows):
    return ", ".join("(%s)" % r for r in rows)


class OptionsTest(bqltest.BulkqlCase):
    def dup_rows(self, n, dups):
        """rows _id 1..n with the listed row numbers repeating _id 1"""
        return ["1" if i in dups else str(i) for i in range(1, n + 1)]

    def test_stop_after_the_first_batch_with_errors(self):
        rows = self.dup_rows(30, {5})
        r = self.bulkql("--format", "json", sql=(
            "BULK INSERT INTO c (_id) VALUES %s WITH (batch_size = 10, ordered = false);" % values(rows)))
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nInserted"], res["nFailed"], res["batches"], res["nNotAttempted"]), (9, 1, 1, 20))
        self.assertEqual(len(self.docs("c")), 9)

    def test_continue_on_error_goes_on(self):
        rows = self.dup_rows(30, {5, 15, 25})
        r = self.bulkql("--format", "json", sql=(
            "BULK INSERT INTO c (_id) VALUES %s WITH (batch_size = 10, ordered = false, continue_on_error = true);"
            % values(rows)))
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nInserted"], res["nFailed"], res["batches"]), (27, 3, 3))
        self.assertEqual([e["row"] for e in res["writeErrors"]], [5, 15, 25])
        self.assertEqual(len(self.docs("c")), 27)

    def test_max_errors_aborts(self):
        rows = self.dup_rows(50, {3, 13, 14, 23, 33, 43})
        r = self.bulkql("--format", "json", sql=(
            "BULK INSERT INTO c (_id) VALUES %s WITH (batch_size = 10, ordered = false, continue_on_error = true, "
            "max_errors = 3);" % values(rows)))
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        # rows 3, 13 and 14 fail in the first two batches: the third limit is reached
        self.assertEqual((res["nFailed"], res["batches"]), (3, 2))
        self.assertIn("max_errors = 3", res["stopped"])
        self.assertEqual((res["nInserted"], res["nNotAttempted"]), (17, 30))
        self.assertEqual(len(self.docs("c")), 17)

    def test_max_execution_time_stops_cleanly_between_batches(self):
        rows = [str(i) for i in range(1, 30001)]
        r = self.bulkql("--format", "json", sql=(
            "BULK INSERT INTO c (_id) VALUES %s WITH (batch_size = 100, max_execution_time = 0.2);" % values(rows)))
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        self.assertIn("max_execution_time", res["stopped"])
        self.assertGreater(res["nInserted"], 0)
        self.assertLess(res["nInserted"], 30000)
        self.assertEqual(res["nInserted"] % 100, 0)
        self.assertEqual(res["nInserted"] + res["nNotAttempted"], 30000)
        self.assertEqual(self.db.c.count_documents({}), res["nInserted"])

    def test_error_record_per_batch_with_errors(self):
        rows = self.dup_rows(25, {12, 18, 24})
        r = self.bulkql("--format", "json", sql=(
            "BULK INSERT INTO c (_id, v) VALUES %s WITH (batch_size = 10, ordered = false, continue_on_error = true);"
            % values("%s, 'x%s'" % (x, x) for x in rows)))
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        recs = list(self.db.bulk_operation_errors.find({}, sort=[("batchIndex", 1)]))
        self.assertEqual(len(recs), 2)
        self.assertEqual([x["batchIndex"] for x in recs], [1, 2])
        for rec in recs:
            self.assertEqual(rec["operationId"], res["operationId"])
            self.assertTrue(rec["statement"].startswith("BULK INSERT INTO c (_id, v) VALUES"))
            self.assertEqual(rec["errorCode"], 11000)
            self.assertIn("duplicate key", rec["errorMessage"])
            self.assertIsNone(rec["writeConcernError"])
            self.assertIn("startedAt", rec)
        self.assertEqual((recs[0]["batchSize"], recs[0]["firstRow"]), (10, 11))
        self.assertEqual([w["row"] for w in recs[0]["writeErrors"]], [12, 18])
        self.assertEqual(recs[0]["sampleDocument"], {"_id": 1, "v": "x1"})
        self.assertEqual((recs[1]["batchSize"], recs[1]["firstRow"]), (5, 21))
        self.assertEqual([w["row"] for w in recs[1]["writeErrors"]], [24])

    def test_error_collection_named_or_off(self):
        r = self.bulkql(sql="BULK INSERT INTO c (_id) VALUES (1), (1) WITH (error_collection = 'my_errors');")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(self.db.my_errors.count_documents({}), 1)
        r = self.bulkql(sql="BULK INSERT INTO d (_id) VALUES (1), (1) WITH (error_collection = '');")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(self.db.my_errors.count_documents({}), 1)
        self.assertNotIn("bulk_operation_errors", self.db.list_collection_names())

    def test_a_metrics_document_per_statement(self):
        r = self.bulkql("--format", "json", sql=(
            "BULK INSERT INTO c (_id) VALUES (1), (2), (2); "
            "BULK DELETE FROM c WHERE TRUE;"), env={})
        self.assertEqual(r.rc, 1, r)
        r2 = self.bulkql("--format", "json", sql="BULK DELETE FROM c WHERE TRUE;")
        self.assertEqual(r2.rc, 0, r2)
        ops = [x["operationId"] for x in self.json_result(r) + self.json_result(r2)]
        metrics = list(self.db.bulk_operation_metrics.find({}, sort=[("startedAt", 1)]))
        self.assertEqual([m["operationId"] for m in metrics], ops)
        m = metrics[0]
        self.assertEqual((m["kind"], m["collection"], m["nInserted"], m["nFailed"]),
                         ("BULK INSERT", self.dbname + ".c", 2, 1))
        self.assertAlmostEqual(m["errorRate"], 1 / 3)
        self.assertEqual(m["status"], "CompleteWithErrors")
        for k in ("startedAt", "elapsedMs", "docsPerSec", "batches"):
            self.assertIn(k, m)
        self.assertEqual((metrics[1]["kind"], metrics[1]["nRemoved"], metrics[1]["status"]), ("BULK DELETE", 2, "Complete"))

    def test_metrics_false_writes_no_metrics_document(self):
        r = self.bulkql("--format", "json", sql=(
            "BULK INSERT INTO c (_id) VALUES (1), (2) WITH (metrics = false); "
            "BULK UPDATE c SET n = 1 WHERE TRUE WITH (metrics = false); "
            "BULK DELETE FROM c WHERE _id = 1 WITH (metrics = FALSE);"))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual([(x["nInserted"], x["nModified"], x["nRemoved"]) for x in self.json_result(r)],
                         [(2, 0, 0), (0, 2, 0), (0, 0, 1)])
        self.assertEqual(self.docs("c"), [{"_id": 2, "n": 1}])
        # no metrics: the rows and the statements' operations (always tracked)
        self.assertEqual(sorted(self.db.list_collection_names()), ["bulkql_operations", "c"])
        self.assertEqual(sorted((o["kind"], o["state"]) for o in self.db.bulkql_operations.find()),
                         [("delete", "Complete"), ("insert", "Complete"), ("update", "Complete")])
        # metrics = true is the default, and said so it writes as before
        r = self.bulkql(sql="BULK INSERT INTO c (_id) VALUES (3) WITH (metrics = true);")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.db.bulk_operation_metrics.count_documents({}), 1)

    def test_metrics_false_and_no_error_collection_write_nothing_but_the_rows(self):
        r = self.bulkql(sql="BULK INSERT INTO c (_id) VALUES (1), (1), (2) "
                            "WITH (metrics = false, error_collection = '', ordered = false);")
        self.assertEqual(r.rc, 1, r)
        # the rows, and the statement's operation (always tracked)
        self.assertEqual(sorted(self.db.list_collection_names()), ["bulkql_operations", "c"])
        self.assertEqual([d["_id"] for d in self.docs("c")], [1, 2])
        [op] = self.db.bulkql_operations.find()
        self.assertEqual((op["state"], op["reason"], op["counters"]["nFailed"]), ("Failed", "1 row failed", 1))

    def test_metrics_takes_a_bool(self):
        r = self.bulkql(sql="BULK INSERT INTO c (_id) VALUES (1) WITH (metrics = 'off');")
        self.assertEqual(r.rc, 1, r)
        self.assertIn('option "metrics" takes TRUE or FALSE', r.err)
        self.assertEqual(self.db.list_collection_names(), [])

    def test_dry_run_flag_writes_nothing_and_shows_the_metrics(self):
        self.db.c.insert_one({"_id": 0})
        r = self.bulkql("--dry-run", "--format", "json", sql=(
            "BULK INSERT INTO c (_id) VALUES (1), (2); BULK DELETE FROM c WHERE TRUE;"))
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)
        self.assertEqual([(x["metrics"]["kind"], x["metrics"]["dryRun"]) for x in res],
                         [("BULK INSERT", True), ("BULK DELETE", True)])
        self.assertEqual(res[1]["metrics"]["nMatched"], 1)
        self.assertEqual(self.db.list_collection_names(), ["c"])
        self.assertEqual(self.docs("c"), [{"_id": 0}])

    def test_dry_run_with_failed_rows_writes_nothing_and_prints_what_it_would_log(self):
        # before: a dry run created failed_records_file and its table said
        # nothing of the records it would have written
        self.tmp = tempfile.mkdtemp(prefix="bulkql-dry-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        data = os.path.join(self.tmp, "d.csv")
        with open(data, "w") as f:
            f.write("a,b\n1,x\n2,y\nfoo,z\n3,w\nbar,v\n")
        failed = os.path.join(self.tmp, "failed.ndjson")
        for how in (("--dry-run",), ()):
            sql = ("BULK INSERT INTO c (a INT, b TEXT) FROM '%s' WITH (failed_records_file = '%s', "
                   "error_collection = 'errs', continue_on_error = true, batch_size = 2%s);"
                   % (data, failed, "" if how else ", dry_run = true"))
            r = self.bulkql(*how, sql=sql)
            self.assertEqual(r.rc, 1, r)
            self.assertEqual(self.client.list_database_names().count(self.dbname), 0, r)
            self.assertFalse(os.path.exists(failed), r)
            out = r.out.split("  dry run: nothing was written to the collection\n")[1]
            lines = out.splitlines()
            self.assertEqual(lines[0:3], ["  write errors:",
                                          '    row 3: line 4: column a: "foo" is not an integer',
                                          '    row 5: line 6: column a: "bar" is not an integer'])
            self.assertEqual(lines[3], "  would log to %s.bulk_operation_metrics:" % self.dbname)
            m = json.loads(lines[4])
            self.assertEqual((m["kind"], m["collection"], m["nFailed"], m["nWouldWrite"], m["dryRun"], m["status"],
                              m["errorRate"]),
                             ("BULK INSERT", self.dbname + ".c", 2, 3, True, "CompleteWithErrors", 0.4))
            self.assertEqual(lines[5], "  would log to %s.errs (2 records):" % self.dbname)
            recs = [json.loads(x) for x in lines[6:8]]
            self.assertEqual([(e["batchIndex"], e["firstRow"], [w["row"] for w in e["writeErrors"]],
                               e["sampleDocument"]) for e in recs],
                             [(1, 3, [3], {"a": "foo", "b": "z"}), (2, 5, [5], {"a": "bar", "b": "v"})])
            self.assertEqual(lines[8], "  would write to %s (2 lines):" % failed)
            rows = [json.loads(x) for x in lines[9:11]]
            self.assertEqual([(x["row"], x["line"], x["document"]) for x in rows],
                             [(3, 4, {"a": "foo", "b": "z"}), (5, 6, {"a": "bar", "b": "v"})])
            self.assertEqual(len(lines), 11, r)
            self.assertEqual({m["operationId"]} | {e["operationId"] for e in recs + rows}, {m["operationId"]})
        # the JSON result holds the same
        r = self.bulkql("--dry-run", "--format", "json", sql=sql)
        res = self.json_result(r)[0]
        self.assertEqual((res["errorCollection"], res["nErrorRecords"], len(res["errorRecords"]),
                          res["failedRecordsFile"], res["nFailedRecords"], len(res["failedRecords"])),
                         (self.dbname + ".errs", 2, 2, failed, 2, 2))
        self.assertEqual(self.client.list_database_names().count(self.dbname), 0)
        self.assertFalse(os.path.exists(failed))
        # many failed rows: the reply keeps the first 100 of each, the
        # table shows 10 and how many more
        with open(data, "w") as f:
            f.write("a\n" + "".join("x%d\n" % i for i in range(150)))
        sql = ("BULK INSERT INTO c (a INT) FROM '%s' WITH (failed_records_file = '%s', batch_size = 1, "
               "continue_on_error = true, dry_run = true);" % (data, failed))
        res = self.json_result(self.bulkql("--format", "json", sql=sql))[0]
        self.assertEqual((res["nErrorRecords"], len(res["errorRecords"]), res["nFailedRecords"],
                          len(res["failedRecords"])), (150, 100, 150, 100))
        self.assertEqual([x["row"] for x in res["failedRecords"]], list(range(1, 101)))
        out = self.bulkql(sql=sql).out
        self.assertIn("  would log to %s.bulk_operation_errors (150 records):\n" % self.dbname, out)
        self.assertIn("  would write to %s (150 lines):\n" % failed, out)
        self.assertEqual(out.count("    ... 140 more\n"), 3, out)  # write errors, records, lines
        self.assertFalse(os.path.exists(failed))
        self.assertEqual(self.client.list_database_names().count(self.dbname), 0)
        # without metrics and error records there is nothing to log
        r = self.bulkql("--dry-run", sql="BULK INSERT INTO c (a INT) VALUES (1) WITH (metrics = false);")
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(r.out.endswith("  dry run: nothing was written to the collection\n"), r)


if __name__ == "__main__":
    bqltest.main()
