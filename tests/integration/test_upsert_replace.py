"""The statement forms people bring from mongoimport, on the live server:
ON CONFLICT (keys) DO REPLACE (mongoimport --mode upsert: a replaceOne
upsert, so stale fields go), DO UPDATE SET * and BULK UPDATE ... SET * FROM
'file' AS v (mongoimport --mode merge: $set every incoming column), and
the statement option drop = true (mongoimport --drop). Each test reads
back what the server holds."""
import gzip
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402
from bson import ObjectId  # noqa: E402


class ReplaceTest(bqltest.BulkqlCase):
    def seed(self):
        self.db.p.insert_many([
            {"_id": 1, "sku": "a", "price": 1, "stale": "old", "nested": {"x": 1, "y": 2}},
            {"_id": 2, "sku": "b", "price": 2, "stale": "old"},
        ])

    def test_replace_removes_stale_fields(self):
        self.seed()
        path = self.ndjson([{"sku": "a", "price": 10, "nested": {"x": 5}},
                            {"sku": "c", "price": 30},
                            {"_id": 2, "sku": "b", "price": 20}])
        r = self.bulkql("--format", "json",
                        sql="BULK UPSERT INTO p FROM '%s' ON CONFLICT (sku) DO REPLACE;" % path)
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nMatched"], res["nModified"], res["nUpserted"], res["nFailed"]), (2, 2, 1, 0))
        self.assertEqual([u["row"] for u in res["upserted"]], [2])
        docs = self.docs("p", sort="sku")
        new_id = docs[2]["_id"]
        self.assertIsInstance(new_id, ObjectId)
        self.assertEqual(res["upserted"][0]["_id"], new_id)
        # the whole stored document is the row: "stale" and nested.y are gone
        self.assertEqual(docs, [
            {"_id": 1, "sku": "a", "price": 10, "nested": {"x": 5}},
            {"_id": 2, "sku": "b", "price": 20},
            {"_id": new_id, "sku": "c", "price": 30},
        ])

    def test_replace_with_another_id_is_a_failed_row(self):
        # as mongoimport --mode upsert: the replacement may not change _id
        self.seed()
        path = self.ndjson([{"_id": 99, "sku": "a", "price": 5}, {"sku": "b", "price": 7}])
        r = self.bulkql("--format", "json",
                        sql="BULK UPSERT INTO p FROM '%s' ON CONFLICT (sku) DO REPLACE WITH (ordered = false);" % path)
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        self.assertEqual([(e["row"], e["code"]) for e in res["writeErrors"]], [(1, 66)])
        self.assertIn("_id", res["writeErrors"][0]["errmsg"])
        self.assertEqual((res["nMatched"], res["nFailed"]), (1, 1))
        self.assertEqual(self.docs("p"), [
            {"_id": 1, "sku": "a", "price": 1, "stale": "old", "nested": {"x": 1, "y": 2}},
            {"_id": 2, "sku": "b", "price": 7},
        ])

    def test_replace_values_on_id(self):
        self.seed()
        r = self.bulkql("--format", "json", sql=(
            "BULK UPSERT INTO p (_id, sku) VALUES (1, 'a2'), (3, 'c') ON CONFLICT (_id) DO REPLACE;"))
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nMatched"], res["nUpserted"]), (1, 1))
        self.assertEqual([(u["row"], u["_id"]) for u in res["upserted"]], [(2, 3)])
        self.assertEqual(self.docs("p"), [
            {"_id": 1, "sku": "a2"},
            {"_id": 2, "sku": "b", "price": 2, "stale": "old"},
            {"_id": 3, "sku": "c"},
        ])

    def test_replace_from_stdin(self):
        self.seed()
        r = self.bulkql("--format", "json", stdin="sku,price\nb,22\nd,40\n", sql=(
            "BULK UPSERT INTO p (sku STRING, price INT) FROM STDIN FORMAT CSV ON CONFLICT (sku) DO REPLACE;"))
        self.assertEqual(r.rc, 0, r)
        docs = self.docs("p", sort="sku")
        self.assertEqual([{k: v for k, v in d.items() if k != "_id"} for d in docs],
                         [{"sku": "a", "price": 1, "stale": "old", "nested": {"x": 1, "y": 2}},
                          {"sku": "b", "price": 22}, {"sku": "d", "price": 40}])
        self.assertEqual(docs[1]["_id"], 2)

    def test_explain_shows_the_replacement(self):
        r = self.ok("BULK UPSERT INTO p (sku, price) VALUES ('a', 1) ON CONFLICT (sku) DO REPLACE;", "--explain")
        self.assertIn('"step": "replace (upsert)"', r.out)
        self.assertIn('"u": {\n              "sku": "a",', r.out)
        self.assertEqual(self.db.list_collection_names(), [])


class SetAllTest(bqltest.BulkqlCase):
    def seed(self):
        self.db.p.insert_many([
            {"_id": 1, "sku": "a", "price": 1, "keep": "yes", "status": "open"},
            {"_id": 2, "sku": "b", "price": 2, "keep": "yes", "status": "open"},
            {"_id": 3, "sku": "c", "price": 3, "keep": "yes", "status": "closed"},
        ])

    def test_upsert_set_all_sets_every_incoming_column(self):
        self.seed()
        r = self.bulkql("--format", "json", sql=(
            "BULK UPSERT INTO p (_id, sku, price, note) VALUES (50, 'a', 10, 'n1'), (60, 'z', 99, NULL) "
            "ON CONFLICT (sku) DO UPDATE SET *;"))
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nMatched"], res["nModified"], res["nUpserted"]), (1, 1, 1))
        self.assertEqual([(u["row"], u["_id"]) for u in res["upserted"]], [(2, 60)])
        # merged: other fields survive, _id is never $set (the row's _id is
        # only for a new document)
        self.assertEqual(self.docs("p"), [
            {"_id": 1, "sku": "a", "price": 10, "keep": "yes", "status": "open", "note": "n1"},
            {"_id": 2, "sku": "b", "price": 2, "keep": "yes", "status": "open"},
            {"_id": 3, "sku": "c", "price": 3, "keep": "yes", "status": "closed"},
            {"_id": 60, "sku": "z", "price": 99, "note": None},
        ])

    def test_upsert_set_all_from_gzip_file(self):
        self.seed()
        fd, path = tempfile.mkstemp(suffix=".csv.gz")
        os.close(fd)
        self.addCleanup(os.unlink, path)
        with gzip.open(path, "wt") as f:
            f.write("sku,price,color\nb,20,red\nq,7,blue\n")
        r = self.bulkql("--format", "json", sql=(
            "BULK UPSERT INTO p (sku STRING, price INT, color STRING) FROM '%s' ON CONFLICT (sku) DO UPDATE SET *;"
            % path))
        self.assertEqual(r.rc, 0, r)
        docs = self.docs("p", sort="sku")
        self.assertEqual(docs[1], {"_id": 2, "sku": "b", "price": 20, "keep": "yes", "status": "open", "color": "red"})
        self.assertEqual({k: v for k, v in docs[3].items() if k != "_id"}, {"sku": "q", "price": 7, "color": "blue"})

    def test_update_set_all_from_file(self):
        self.seed()
        fd, path = tempfile.mkstemp(suffix=".csv")
        with os.fdopen(fd, "w") as f:
            f.write("sku,price,label\na,11,x\nnope,5,y\nc,33,z\n")
        self.addCleanup(os.unlink, path)
        r = self.bulkql("--format", "json", sql=(
            "BULK UPDATE p SET * FROM '%s' (sku STRING, price INT, label STRING) AS v WHERE p.sku = v.sku;" % path))
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nMatched"], res["nModified"], res["nUnmatched"]), (2, 2, 1))
        self.assertEqual(res["unmatched"], [{"row": 2}])
        self.assertEqual(self.docs("p"), [
            {"_id": 1, "sku": "a", "price": 11, "keep": "yes", "status": "open", "label": "x"},
            {"_id": 2, "sku": "b", "price": 2, "keep": "yes", "status": "open"},
            {"_id": 3, "sku": "c", "price": 33, "keep": "yes", "status": "closed", "label": "z"},
        ])

    def test_update_set_all_column_read_by_the_filter(self):
        # v.status is set and also read by the filter: rows that matched
        # nothing are still told apart exactly
        self.seed()
        r = self.bulkql("--format", "json", sql=(
            "BULK UPDATE p SET * FROM (VALUES ('a', 'closed'), ('c', 'open'), ('b', 'closed')) AS v(sku, status) "
            "WHERE p.sku = v.sku AND status = 'open' WITH (batch_size = 3);"))
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nMatched"], res["nUnmatched"], res["unmatched"]), (2, 1, [{"row": 2}]))
        self.assertEqual([d["status"] for d in self.docs("p")], ["closed", "closed", "closed"])

    def test_update_set_all_never_sets_id(self):
        self.seed()
        r = self.bulkql("--format", "json", sql=(
            "BULK UPDATE p SET * FROM (VALUES (77, 'a', 5)) AS v(_id, sku, price) WHERE p.sku = v.sku;"))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.docs("p")[0], {"_id": 1, "sku": "a", "price": 5, "keep": "yes", "status": "open"})


class DropTest(bqltest.BulkqlCase):
    def seed(self):
        self.db.p.insert_many([{"_id": i, "old": True} for i in range(5)])
        self.db.other.insert_one({"_id": 1})
        self.db.bulk_operation_errors.insert_one({"_id": "keep"})

    def test_drop_removes_existing_documents_only_of_the_target(self):
        self.seed()
        self.db.p.create_index("old")
        r = self.bulkql("--format", "json", sql="BULK INSERT INTO p (_id, v) VALUES (1, 'new') WITH (drop = true);")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.docs("p"), [{"_id": 1, "v": "new"}])
        self.assertEqual([i["name"] for i in self.db.p.list_indexes()], ["_id_"])
        self.assertEqual(self.docs("other"), [{"_id": 1}])
        self.assertEqual(self.docs("bulk_operation_errors"), [{"_id": "keep"}])

    def test_drop_with_upsert_from_file(self):
        self.seed()
        path = self.ndjson([{"_id": 3, "v": 1}, {"_id": 9, "v": 2}])
        r = self.bulkql(sql="BULK UPSERT INTO p FROM '%s' ON CONFLICT (_id) DO REPLACE WITH BULK_OPTIONS (drop = true);"
                        % path)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.docs("p"), [{"_id": 3, "v": 1}, {"_id": 9, "v": 2}])

    def test_drop_of_a_missing_collection(self):
        r = self.bulkql(sql="BULK INSERT INTO fresh (a) VALUES (1) WITH (drop = true);")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(len(self.docs("fresh")), 1)

    def test_dry_run_drops_nothing(self):
        self.seed()
        r = self.bulkql(sql="BULK INSERT INTO p (_id) VALUES (100) WITH (drop = true, dry_run = true);")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(len(self.docs("p")), 5)

    def test_bad_statement_drops_nothing(self):
        self.seed()
        r = self.bulkql(sql="BULK INSERT INTO p (_id) VALUES (100) WITH (drop = true, batch_sise = 3);")
        self.assertEqual(r.rc, 1, r)
        self.assertIn('unknown option "batch_sise"', r.err)
        r = self.bulkql(sql="BULK INSERT INTO p FROM '/nonexistent/x.csv' WITH (drop = true);")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(len(self.docs("p")), 5)

    def test_explain_shows_the_drop(self):
        self.seed()
        r = self.ok("BULK INSERT INTO p (_id) VALUES (100) WITH (drop = true);", "--explain")
        self.assertIn('"drop": true', r.out)
        self.assertIn('"step": "drop the collection before the load (drop = true)"', r.out)
        self.assertIn('"command": {"drop": "p"}', r.out)
        self.assertEqual(len(self.docs("p")), 5)

    def test_drop_refused_for_update(self):
        self.seed()
        r = self.bulkql(sql="BULK UPDATE p SET v = 1 WHERE TRUE WITH (drop = true);")
        self.assertEqual(r.rc, 1, r)
        self.assertIn('option "drop" is not valid for BULK UPDATE', r.err)
        self.assertEqual(len(self.docs("p")), 5)


if __name__ == "__main__":
    bqltest.main()
