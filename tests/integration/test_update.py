"""BULK UPDATE on the live server: WHERE with every update operator, in
_id-ordered batches; FROM (VALUES ...) AS v joins with exact nMatched and
unmatched rows; pipeline updates, which the test server lacks."""
import datetime
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402


class UpdateTest(bqltest.BulkqlCase):
    def seed(self, n=6):
        self.db.p.insert_many([{"_id": i, "sku": "s%d" % i, "price": 10.0 * i, "stock": i, "tags": ["t"],
                                "legacy": True} for i in range(1, n + 1)])

    def test_operators_on_the_matching_documents(self):
        self.seed()
        before = datetime.datetime.utcnow().replace(microsecond=0)
        r = self.bulkql("--format", "json", sql=(
            "BULK UPDATE p SET price = price * 2, stock = stock - 1, tags = JSON_ARRAY_APPEND(tags, '$', 'sale'), "
            "note = 'on sale', touched = CURRENT_TIMESTAMP, REMOVE legacy WHERE price >= 30 AND sku <> 's5' "
            "WITH BATCH_CONFIG (batch_size = 2);"))
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nMatched"], res["nModified"], res["batches"]), (3, 3, 2))
        docs = self.docs("p")
        for d in docs:
            if d["_id"] in (3, 4, 6):
                self.assertGreaterEqual(d.pop("touched"), before)
        self.assertEqual(docs, [
            {"_id": 1, "sku": "s1", "price": 10.0, "stock": 1, "tags": ["t"], "legacy": True},
            {"_id": 2, "sku": "s2", "price": 20.0, "stock": 2, "tags": ["t"], "legacy": True},
            {"_id": 3, "sku": "s3", "price": 60.0, "stock": 2, "tags": ["t", "sale"], "note": "on sale"},
            {"_id": 4, "sku": "s4", "price": 80.0, "stock": 3, "tags": ["t", "sale"], "note": "on sale"},
            {"_id": 5, "sku": "s5", "price": 50.0, "stock": 5, "tags": ["t"], "legacy": True},
            {"_id": 6, "sku": "s6", "price": 120.0, "stock": 5, "tags": ["t", "sale"], "note": "on sale"},
        ])

    def test_unbatched_update(self):
        self.seed()
        r = self.bulkql("--format", "json",
                        sql="BULK UPDATE p SET stock = 0 WHERE TRUE WITH (batch_size = 0);")
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nMatched"], res["nModified"], res["batches"]), (6, 6, 1))
        self.assertEqual([d["stock"] for d in self.docs("p")], [0] * 6)

    def test_update_from_values_counts_rows_that_match_nothing(self):
        self.seed(4)
        r = self.bulkql("--format", "json", sql=(
            "BULK UPDATE p SET price = v.price, stock = stock + v.delta "
            "FROM (VALUES ('s2', 99.5, 10), ('nope', 1.0, 1), ('s4', 7.25, -4)) AS v(sku, price, delta) "
            "WHERE p.sku = v.sku;"))
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nMatched"], res["nModified"], res["nUnmatched"]), (2, 2, 1))
        docs = {d["_id"]: (d["price"], d["stock"]) for d in self.docs("p")}
        self.assertEqual(docs, {1: (10.0, 1), 2: (99.5, 12), 3: (30.0, 3), 4: (7.25, 0)})

    def test_pipeline_update_names_the_missing_server_feature(self):
        self.seed(3)
        r = self.bulkql(sql="BULK UPDATE p SET total = price * stock WHERE TRUE;")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("the server does not support aggregation-pipeline updates (MongoDB 4.2)", r.err)
        self.assertEqual([d.get("total") for d in self.docs("p")], [None, None, None])

    def test_where_with_no_match_changes_nothing(self):
        self.seed(3)
        r = self.bulkql("--format", "json", sql="BULK UPDATE p SET stock = 0 WHERE sku IN ('x', 'y');")
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nMatched"], res["nModified"], res["batches"]), (0, 0, 0))
        self.assertEqual([d["stock"] for d in self.docs("p")], [1, 2, 3])

    def test_value_from_data_stays_data(self):
        self.seed(2)
        r = self.bulkql(sql="BULK UPDATE p SET sku = '{\"$gt\": \"\"}' WHERE sku = '{\"$gt\": \"\"}';")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual([d["sku"] for d in self.docs("p")], ["s1", "s2"])
        r = self.bulkql(sql="BULK UPDATE p SET note = '$price' WHERE _id = 1;")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.db.p.find_one({"_id": 1})["note"], "$price")

    def test_dry_run_counts_and_writes_nothing(self):
        self.seed(4)
        r = self.bulkql("--format", "json", sql="BULK UPDATE p SET stock = 0 WHERE stock > 1 WITH (dry_run = true);")
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nMatched"], res["nModified"], res["dryRun"]), (3, 0, True))
        self.assertEqual([d["stock"] for d in self.docs("p")], [1, 2, 3, 4])
        # the dry run writes nothing, not even its metrics document: the
        # result holds the document it would have written
        self.assertEqual(sorted(self.db.list_collection_names()), ["p"])
        self.assertEqual(res["metrics"]["dryRun"], True)


if __name__ == "__main__":
    bqltest.main()
