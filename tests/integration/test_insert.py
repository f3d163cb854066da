"""BULK INSERT ... VALUES against the live server: batches, ordered and
unordered duplicate handling, row numbers, and what the server holds."""
import datetime
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402


def values(rows):
    return ", ".join("(%s)" % ", ".join(r) for r in rows)


class InsertTest(bqltest.BulkqlCase):
    def test_multi_batch_insert_holds_every_document(self):
        n = 2500
        rows = [["%d" % i, "'name %d'" % i, "%d.5" % i, "TRUE" if i % 2 else "FALSE",
                 "TIMESTAMP '2024-02-03T04:05:06.789Z'", "{tags: ['a', %d], nested: {x: %d}}" % (i, i)]
                for i in range(1, n + 1)]
        sql = ("BULK INSERT INTO items (_id, name, price, active, at, extra) VALUES %s "
               "WITH BULK_OPTIONS (batch_size = 1000);" % values(rows))
        r = self.bulkql("--format", "json", sql=sql)
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual(res["nInserted"], n)
        self.assertEqual(res["nFailed"], 0)
        self.assertEqual(res["batches"], 3)
        at = datetime.datetime(2024, 2, 3, 4, 5, 6, 789000)
        expected = [{"_id": i, "name": "name %d" % i, "price": i + 0.5, "active": bool(i % 2), "at": at,
                     "extra": {"tags": ["a", i], "nested": {"x": i}}} for i in range(1, n + 1)]
        self.assertEqual(self.docs("items"), expected)

    def test_ordered_batch_stops_at_the_duplicate(self):
        rows = [["%d" % i, "'v%d'" % i] for i in range(1, 51)]
        rows.insert(20, ["10", "'dup'"])  # row 21 repeats _id 10
        sql = "BULK INSERT INTO o (_id, v) VALUES %s WITH (ordered = true);" % values(rows)
        r = self.bulkql("--format", "json", sql=sql)
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        self.assertEqual(res["nInserted"], 20)
        self.assertEqual(res["nFailed"], 1)
        self.assertEqual([e["row"] for e in res["writeErrors"]], [21])
        self.assertEqual(res["writeErrors"][0]["code"], 11000)
        self.assertEqual(res["nNotAttempted"], 30)
        self.assertEqual(self.docs("o"), [{"_id": i, "v": "v%d" % i} for i in range(1, 21)])

    def test_unordered_batch_inserts_every_other_row(self):
        rows = [["%d" % i, "'v%d'" % i] for i in range(1, 51)]
        rows.insert(20, ["10", "'dup'"])  # row 21
        rows.insert(40, ["33", "'dup'"])  # row 41
        sql = "BULK INSERT INTO u (_id, v) VALUES %s WITH BULK_OPTIONS (ordered = false);" % values(rows)
        r = self.bulkql("--format", "json", sql=sql)
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        self.assertEqual(res["nInserted"], 50)
        self.assertEqual(res["nFailed"], 2)
        self.assertEqual(sorted(e["row"] for e in res["writeErrors"]), [21, 41])
        self.assertEqual(self.docs("u"), [{"_id": i, "v": "v%d" % i} for i in range(1, 51)])

    def test_rows_numbered_across_batches(self):
        # batch_size 10: the duplicate in the third batch is row 27
        rows = [["%d" % i] for i in range(1, 41)]
        rows[26] = ["3"]
        sql = ("BULK INSERT INTO b (_id) VALUES %s WITH (batch_size = 10, ordered = false, "
               "continue_on_error = true);" % values(rows))
        r = self.bulkql("--format", "json", sql=sql)
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        self.assertEqual([e["row"] for e in res["writeErrors"]], [27])
        self.assertEqual(res["nInserted"], 39)
        self.assertEqual(len(self.docs("b")), 39)

    def test_table_output_names_the_failed_row(self):
        r = self.bulkql(sql="BULK INSERT INTO t (_id) VALUES (1), (1);")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("nInserted   1", r.out)
        self.assertIn("row 2: E11000 duplicate key error", r.out)
        self.assertIn("bulkql: error: 1 row failed", r.err)


if __name__ == "__main__":
    bqltest.main()
