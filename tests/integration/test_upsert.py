"""BULK UPSERT and INSERT ... ON DUPLICATE KEY UPDATE on the live server:
exact nUpserted / nMatched / nModified, upserted _ids tied to their rows,
and every resulting document."""
import os
import sys

import pymongo

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402
import ophash  # noqa: E402


class UpsertTest(bqltest.BulkqlCase):
    def test_do_update_set(self):
        self.db.acc.insert_many([{"_id": 1, "name": "a", "balance": 10, "visits": 1},
                                 {"_id": 2, "name": "b", "balance": 20, "visits": 5}])
        r = self.bulkql("--format", "json", sql=(
            "BULK UPSERT INTO acc (_id, name, balance) VALUES (2, 'bee', 25), (3, 'c', 30), (1, 'a', 10), (4, 'd', 40) "
            "ON CONFLICT (_id) DO UPDATE SET balance = EXCLUDED.balance, visits = visits + 1;"))
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nMatched"], res["nModified"], res["nUpserted"]), (2, 2, 2))
        self.assertEqual(sorted((u["row"], u["_id"]) for u in res["upserted"]), [(2, 3), (4, 4)])
        self.assertEqual(self.docs("acc"), [
            {"_id": 1, "name": "a", "balance": 10, "visits": 2},
            {"_id": 2, "name": "b", "balance": 25, "visits": 6},
            {"_id": 3, "balance": 30, "visits": 1, "name": "c"},
            {"_id": 4, "balance": 40, "visits": 1, "name": "d"},
        ])

    def test_do_nothing_on_a_key_column(self):
        self.db.u.insert_one({"_id": 100, "email": "a@x", "name": "old"})
        r = self.bulkql("--format", "json", sql=(
            "BULK UPSERT INTO u (email, name) VALUES ('a@x', 'new'), ('b@x', 'bee'), ('c@x', 'cee') "
            "ON CONFLICT (email) DO NOTHING WITH (batch_size = 2);"))
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nMatched"], res["nModified"], res["nUpserted"], res["batches"]), (1, 0, 2, 2))
        rows = {u["row"]: u["_id"] for u in res["upserted"]}
        self.assertEqual(sorted(rows), [2, 3])
        docs = {d["email"]: d for d in self.db.u.find()}
        self.assertEqual(docs["a@x"], {"_id": 100, "email": "a@x", "name": "old"})
        self.assertEqual(docs["b@x"], {"_id": rows[2], "email": "b@x", "name": "bee"})
        self.assertEqual(docs["c@x"], {"_id": rows[3], "email": "c@x", "name": "cee"})

    def test_a_new_document_gets_the_deterministic_id_of_its_operation_and_row(self):
        # the same _id on every attempt of the row, so that two attempts at
        # once (a resume while the server still runs the interrupted
        # process's command) cannot store the row twice
        self.db.u.insert_one({"_id": 100, "email": "a@x", "name": "old"})
        r = self.bulkql("--format", "json", sql=(
            "BULK UPSERT INTO u (email, name) VALUES ('a@x', 'new'), ('b@x', 'bee'), ('c@x', 'cee') "
            "ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name WITH (batch_size = 2);"))
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        op = res["operationId"]
        self.assertEqual(sorted((u["row"], u["_id"]) for u in res["upserted"]),
                         [(2, ophash.row_oid(op, 2)), (3, ophash.row_oid(op, 3))])
        got = {d["email"]: (d["_id"], d["name"]) for d in self.db.u.find()}
        self.assertEqual(got, {"a@x": (100, "new"), "b@x": (ophash.row_oid(op, 2), "bee"),
                               "c@x": (ophash.row_oid(op, 3), "cee")})
        self.assertEqual(self.db.u.count_documents({}), 3)
        # upsert_mode: a row without _id is inserted under it too
        r = self.bulkql("--format", "json", sql=(
            "BULK INSERT INTO m (a) VALUES ('one'), ('two') WITH BULK_OPTIONS (upsert_mode = true);"))
        self.assertEqual(r.rc, 0, r)
        op = self.json_result(r)[0]["operationId"]
        self.assertEqual(sorted((d["a"], d["_id"]) for d in self.db.m.find()),
                         [("one", ophash.row_oid(op, 1)), ("two", ophash.row_oid(op, 2))])

    def test_insert_on_duplicate_key_updates_exactly_the_rejected_rows(self):
        self.db.ev.insert_many([{"_id": 1, "n": 1, "count": 1}, {"_id": 3, "n": 3, "count": 7}])
        r = self.bulkql("--format", "json", sql=(
            "BULK INSERT INTO ev (_id, n) VALUES (1, 10), (2, 20), (3, 30), (4, 40) "
            "ON DUPLICATE KEY UPDATE n = VALUES(n), count = count + 1;"))
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nInserted"], res["nMatched"], res["nModified"], res["nFailed"]), (2, 2, 2, 0))
        self.assertEqual(self.docs("ev"), [
            {"_id": 1, "n": 10, "count": 2},
            {"_id": 2, "n": 20},
            {"_id": 3, "n": 30, "count": 8},
            {"_id": 4, "n": 40},
        ])

    def test_on_duplicate_key_with_key_columns_and_a_unique_index(self):
        self.db.inv.create_index([("sku", pymongo.ASCENDING)], unique=True)
        self.db.inv.insert_one({"sku": "a", "qty": 5})
        r = self.bulkql("--format", "json", sql=(
            "BULK INSERT INTO inv (sku, qty) VALUES ('a', 3), ('b', 4) "
            "ON DUPLICATE KEY (sku) UPDATE qty = qty + EXCLUDED.qty;"))
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nInserted"], res["nMatched"], res["nModified"]), (1, 1, 1))
        got = {d["sku"]: d["qty"] for d in self.db.inv.find()}
        self.assertEqual(got, {"a": 8, "b": 4})

    def test_upsert_mode_upserts_on_id(self):
        self.db.m.insert_one({"_id": 1, "a": "old", "keep": True})
        r = self.bulkql("--format", "json", sql=(
            "BULK INSERT INTO m (_id, a) VALUES (1, 'new'), (2, 'two') WITH BULK_OPTIONS (upsert_mode = true);"))
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nMatched"], res["nModified"], res["nUpserted"]), (1, 1, 1))
        self.assertEqual(self.docs("m"), [{"_id": 1, "a": "new", "keep": True}, {"_id": 2, "a": "two"}])


if __name__ == "__main__":
    bqltest.main()
