"""BULK DELETE FROM coll USING 'keys' AS v WHERE coll.k = v.k on the live
server (PostgreSQL's DELETE ... USING): the rows of a file, STDIN or VALUES
name the documents to delete; archival, max_delete_count, dry_run, failed
rows and unmatched rows work as for WHERE deletes. Each test reads back
what the server holds."""
import gzip
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402


class DeleteUsingTest(bqltest.BulkqlCase):
    def seed(self, n=10):
        self.db.p.insert_many([{"_id": i, "sku": "s%d" % i, "status": "old" if i % 2 else "new"}
                               for i in range(1, n + 1)])

    def csv(self, text, suffix=".csv"):
        fd, path = tempfile.mkstemp(suffix=suffix)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        self.addCleanup(os.unlink, path)
        return path

    def ids(self, coll="p"):
        return [d["_id"] for d in self.docs(coll)]

    def test_delete_by_file_lists_unmatched_rows(self):
        self.seed()
        path = self.csv("sku\ns1\ns2\nnope\ns3\ns2\n")
        r = self.bulkql("--format", "json", sql="BULK DELETE FROM p USING '%s' AS v WHERE p.sku = v.sku;" % path)
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        # row 5 names s2 again: it matched (the document is deleted once)
        self.assertEqual((res["nRemoved"], res["nMatched"], res["nUnmatched"], res["nRows"]), (3, 4, 1, 5))
        self.assertEqual(res["unmatched"], [{"row": 3}])
        self.assertEqual(self.ids(), [4, 5, 6, 7, 8, 9, 10])

    def test_constant_conjunct_and_batches(self):
        self.seed()
        path = self.csv("sku\ns1\ns2\ns3\ns4\ns5\n")
        r = self.bulkql("--format", "json", sql=(
            "BULK DELETE FROM p USING '%s' AS v WHERE p.sku = v.sku AND status = 'old' WITH (batch_size = 2);" % path))
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nRemoved"], res["batches"], res["unmatched"]), (3, 3, [{"row": 2}, {"row": 4}]))
        self.assertEqual(self.ids(), [2, 4, 6, 7, 8, 9, 10])

    def test_archival_writes_the_archive_first(self):
        self.seed()
        path = self.ndjson([{"sku": "s2"}, {"sku": "s4"}])
        r = self.bulkql("--format", "json", sql=(
            "BULK DELETE FROM p USING '%s' AS v WHERE p.sku = v.sku "
            "WITH ARCHIVAL_STRATEGY (archive_collection = 'p_old', archive_reason = 'gone');" % path))
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nArchived"], res["nRemoved"]), (2, 2))
        self.assertEqual(self.ids(), [1, 3, 5, 6, 7, 8, 9, 10])
        arch = self.docs("p_old")
        self.assertEqual([{k: v for k, v in d.items() if k != "archivedAt"} for d in arch], [
            {"_id": 2, "sku": "s2", "status": "new", "archiveReason": "gone", "originalCollection": "p"},
            {"_id": 4, "sku": "s4", "status": "new", "archiveReason": "gone", "originalCollection": "p"},
        ])
        self.assertTrue(all("archivedAt" in d for d in arch))

    def test_max_delete_count_refusal_writes_nothing(self):
        self.seed()
        path = self.csv("sku\ns1\ns2\ns3\n")
        r = self.bulkql(sql=("BULK DELETE FROM p USING '%s' AS v WHERE p.sku = v.sku "
                             "WITH DELETE_OPTIONS (max_delete_count = 2, batch_size = 1) "
                             "WITH ARCHIVAL_STRATEGY (archive_collection = 'p_old');" % path))
        self.assertEqual(r.rc, 1, r)
        self.assertIn("at least 3 documents match the rows but max_delete_count is 2: nothing was deleted", r.err)
        self.assertEqual(len(self.docs("p")), 10)
        self.assertNotIn("p_old", self.db.list_collection_names())

    def test_max_delete_count_allows_and_stdin_is_read_twice(self):
        self.seed()
        r = self.bulkql("--format", "json", stdin="s1\ns2\nzz\n", sql=(
            "BULK DELETE FROM p USING STDIN FORMAT CSV (header = false) AS v (sku) WHERE p.sku = v.sku "
            "WITH (max_delete_count = 2);"))
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nRemoved"], res["unmatched"]), (2, [{"row": 3}]))
        self.assertEqual(self.ids(), list(range(3, 11)))

    def test_max_delete_count_refuses_stdin(self):
        self.seed()
        r = self.bulkql(stdin="s1\ns2\n", sql=(
            "BULK DELETE FROM p USING STDIN FORMAT CSV (header = false) AS v (sku) WHERE p.sku = v.sku "
            "WITH (max_delete_count = 1);"))
        self.assertEqual(r.rc, 1, r)
        self.assertIn("nothing was deleted", r.err)
        self.assertEqual(len(self.docs("p")), 10)

    def test_dry_run_counts_and_writes_nothing(self):
        self.seed()
        r = self.bulkql("--format", "json", sql=(
            "BULK DELETE FROM p USING (VALUES ('s1'), ('s1'), ('x'), ('s3')) AS v(sku) WHERE p.sku = v.sku "
            "WITH (dry_run = true, archive_collection = 'p_old');"))
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nWouldWrite"], res["nMatched"], res["nRemoved"], res["unmatched"]),
                         (2, 3, 0, [{"row": 3}]))
        self.assertEqual(len(self.docs("p")), 10)
        self.assertNotIn("p_old", self.db.list_collection_names())

    def test_dry_run_reports_a_max_delete_count_refusal(self):
        self.seed()
        r = self.bulkql(sql=("BULK DELETE FROM p USING (VALUES ('s1'), ('s2')) AS v(sku) WHERE p.sku = v.sku "
                             "WITH (dry_run = true, max_delete_count = 1);"))
        self.assertEqual(r.rc, 1, r)
        self.assertIn("the delete would be refused (dry run", r.err)
        self.assertEqual(len(self.docs("p")), 10)

    def test_failed_rows_are_reported_and_logged(self):
        self.seed()
        self.db.p.insert_one({"_id": 100})  # no sku: {sku: null} would match it
        path = self.ndjson([{"sku": "s1"}, {"other": 1}, {"sku": None}, {"sku": "s3"}])
        failed = os.path.join(tempfile.mkdtemp(), "failed.ndjson")
        r = self.bulkql("--format", "json", sql=(
            "BULK DELETE FROM p USING '%s' AS v WHERE p.sku = v.sku "
            "WITH (ordered = false, failed_records_file = '%s');" % (path, failed)))
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        self.assertEqual([(e["row"], e["errmsg"]) for e in res["writeErrors"]], [
            (2, 'the row has no value for the column "sku" of "v": it names no document to delete'),
            (3, 'the column "sku" of "v" is NULL: it names no document to delete'),
        ])
        self.assertEqual((res["nRemoved"], res["nFailed"]), (2, 2))
        # a NULL or missing key deletes nothing (in MongoDB {sku: null}
        # would match documents without sku)
        self.assertEqual(self.ids(), [2, 4, 5, 6, 7, 8, 9, 10, 100])
        with open(failed) as f:
            rows = [json.loads(line) for line in f]
        self.assertEqual([(x["row"], x["document"]) for x in rows], [(2, {"other": 1}), (3, {"sku": None})])
        recs = list(self.db.bulk_operation_errors.find())
        self.assertEqual(len(recs), 1)
        self.assertEqual([e["row"] for e in recs[0]["writeErrors"]], [2, 3])

    def test_ordered_stops_at_the_failed_row(self):
        self.seed()
        path = self.ndjson([{"sku": "s1"}, {"other": 1}, {"sku": "s3"}])
        r = self.bulkql("--format", "json", sql="BULK DELETE FROM p USING '%s' AS v WHERE p.sku = v.sku;" % path)
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nRemoved"], res["nFailed"], res.get("nNotAttempted")), (1, 1, 1))
        self.assertEqual(self.ids(), list(range(2, 11)))

    def test_gzip_ndjson_with_typed_columns(self):
        self.seed()
        fd, path = tempfile.mkstemp(suffix=".ndjson.gz")
        os.close(fd)
        self.addCleanup(os.unlink, path)
        with gzip.open(path, "wt") as f:
            f.write('{"id": 5}\n{"id": 6}\n')
        r = self.bulkql(sql="BULK DELETE FROM p USING '%s' (id INT) AS v WHERE _id = v.id;" % path)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.ids(), [1, 2, 3, 4, 7, 8, 9, 10])

    def test_matched_rows_under_mongodb_equality(self):
        # an int row matches a stored double, an element of a stored array
        # matches: told apart exactly, and the unmatched row is listed
        self.db.p.insert_many([{"_id": 1, "k": 1.0}, {"_id": 2, "k": [5, 6]}, {"_id": 3, "k": "x"},
                               {"_id": 4, "k": 9}])
        r = self.bulkql("--format", "json", sql=(
            "BULK DELETE FROM p USING (VALUES (1), (6), ('y'), (9), (9)) AS v(k) WHERE p.k = v.k;"))
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nRemoved"], res["nMatched"], res["unmatched"]), (3, 4, [{"row": 3}]))
        self.assertEqual(self.ids(), [3])

    def test_soft_delete(self):
        self.seed(3)
        r = self.bulkql(sql=("BULK DELETE FROM p USING (VALUES ('s2')) AS v(sku) WHERE p.sku = v.sku "
                             "WITH (soft_delete = true);"))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual([("deleted_at" in d) for d in self.docs("p")], [False, True, False])

    def test_explain_touches_nothing(self):
        self.seed(3)
        r = self.ok("EXPLAIN BULK DELETE FROM p USING (VALUES ('s2')) AS v(sku) WHERE p.sku = v.sku;")
        self.assertIn('"delete": "p"', r.out)
        self.assertIn('"sku": {"$eq": "s2"}', r.out)
        self.assertEqual(len(self.docs("p")), 3)


if __name__ == "__main__":
    bqltest.main()
