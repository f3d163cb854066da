"""WHERE chains on the live server (issue 12): an OR of equalities on one
field, which the planner folds into one $in, changes exactly the documents
that the same OR written as $or of $eq matches (read back by pymongo, with
null, missing fields, arrays, numbers of other types and strings), and a
generated 20,000-term OR and AND run and change the right documents."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402


class WhereOrInTest(bqltest.BulkqlCase):
    def seed(self):
        self.db.c.insert_many([
            {"_id": 1, "a": 1},
            {"_id": 2, "a": 1.0},
            {"_id": 3, "a": "x"},
            {"_id": 4, "a": None},
            {"_id": 5},
            {"_id": 6, "a": [0, 1]},
            {"_id": 7, "a": [None]},
            {"_id": 8, "a": []},
            {"_id": 9, "a": 2},
            {"_id": 10, "a": "X"},
            {"_id": 11, "a": {"b": 1}},
        ])

    def hit(self):
        return sorted(d["_id"] for d in self.db.c.find({"hit": True}))

    def test_or_of_equalities_matches_what_or_of_eq_matches(self):
        cases = [
            ("a = 1 OR a = 'x'", [1, "x"]),
            ("a = 1 OR a = NULL", [1, None]),
            ("a = NULL OR a = 2", [None, 2]),
            ("a = 'X' OR a = 2.0 OR a = 7", ["X", 2.0, 7]),
        ]
        for where, values in cases:
            with self.subTest(where=where):
                self.db.c.drop()
                self.seed()
                expect = sorted(d["_id"] for d in self.db.c.find({"$or": [{"a": {"$eq": v}} for v in values]}))
                self.ok("BULK UPDATE c SET hit = TRUE WHERE %s;" % where)
                self.assertEqual(self.hit(), expect)

    def test_generated_long_or_and_and(self):
        self.db.c.insert_many([{"_id": i, "n": i, "k": 1} for i in range(100)])
        where = " OR ".join("n = %d" % i for i in range(0, 40000, 2))
        self.ok("BULK UPDATE c SET hit = TRUE WHERE %s;" % where)
        self.assertEqual(self.hit(), list(range(0, 100, 2)))
        where = " AND ".join(["k = 1"] * 20000) + " AND n < 10"
        self.ok("BULK DELETE FROM c WHERE %s;" % where)
        self.assertEqual(sorted(d["_id"] for d in self.db.c.find()), list(range(10, 100)))


if __name__ == "__main__":
    bqltest.main()
