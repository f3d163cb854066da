"""BULK UPSERT ... FROM 'file' and BULK UPDATE ... FROM 'file' AS v
(SPEC §1, §4): the file features of BULK INSERT (formats, gzip, STDIN,
typed columns, failed rows with their lines, errors naming the line) for
the statements that write one update per incoming row. The server's
documents are compared exactly."""
import datetime
import gzip
import os
import sys

from bson.objectid import ObjectId

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import filestest  # noqa: E402
from filestest import located  # noqa: E402


def dt(*a):
    return datetime.datetime(*a)


class UpsertFromFileTest(filestest.FilesCase):
    def seed(self, docs, coll="items"):
        self.db[coll].insert_many(docs)

    def test_upsert_csv_do_update(self):
        self.seed([{"_id": 1, "sku": "A", "price": 1.0, "name": "old"}, {"_id": 2, "sku": "B", "price": 2.0}])
        p = self.write("p.csv", "sku,price,name\r\nA,1.5,new a\r\nC,3,\"c, new\"\r\n")
        sql = ("BULK UPSERT INTO items (sku STRING, price DOUBLE) FROM '%s' ON CONFLICT (sku) "
               "DO UPDATE SET price = EXCLUDED.price" % p)
        reply = self.load(sql)
        self.assertEqual((reply["nMatched"], reply["nModified"], reply["nUpserted"], reply["nFailed"]), (1, 1, 1, 0))
        docs = self.docs("items", sort="sku")
        new_id = docs[2].pop("_id")
        self.assertIsInstance(new_id, ObjectId)
        self.assertEqual(reply["upserted"], [{"row": 2, "_id": new_id}])
        self.assertEqual(docs, [
            {"_id": 1, "sku": "A", "price": 1.5, "name": "old"},
            {"_id": 2, "sku": "B", "price": 2.0},
            {"sku": "C", "price": 3.0, "name": "c, new"},
        ])

    def test_upsert_gzip_ndjson_do_nothing_on_id(self):
        self.seed([{"_id": 1, "v": "keep"}])
        p = self.write("u.ndjson.gz", '{"_id": 1, "v": "new"}\n{"_id": 2, "v": "two", "at": {"$date": '
                                      '"2024-03-01T00:00:00Z"}, "n": {"$numberLong": "7"}}\n', gz=True)
        reply = self.load("BULK UPSERT INTO items FROM '%s' ON CONFLICT (_id) DO NOTHING" % p)
        self.assertEqual((reply["nMatched"], reply["nModified"], reply["nUpserted"]), (1, 0, 1))
        self.assertEqual(self.docs("items"), [{"_id": 1, "v": "keep"},
                                              {"_id": 2, "v": "two", "at": dt(2024, 3, 1), "n": 7}])

    def test_upsert_from_stdin_json_array_with_failed_rows(self):
        self.seed([{"_id": "a", "qty": 1}])
        data = ('[\n {"_id": "a", "qty": 5},\n {"_id": "b", "qty": "many"},\n {"_id": "c", "qty": 2},\n'
                ' {"_id": "d", "qty": -1}\n]')
        fr = self.path("failed.ndjson")
        sql = ("BULK UPSERT INTO items (_id STRING, qty INT) FROM STDIN FORMAT JSON CHECK (qty >= 0) "
               "ON CONFLICT (_id) DO UPDATE SET qty = EXCLUDED.qty WITH (failed_records_file = '%s')" % fr)
        reply = self.load(sql, rc=1, stdin=gzip.decompress(gzip.compress(data.encode())))
        expected = [(2, 3, 'line 3: column qty: "many" is not an integer', {"_id": "b", "qty": "many"}),
                    (4, 5, "line 5: CHECK (qty >= 0) failed", {"_id": "d", "qty": -1})]
        self.assert_failed_rows(reply, expected)
        self.assert_error_record(reply, sql, expected, 4, 1)
        self.assertEqual((reply["nMatched"], reply["nUpserted"]), (1, 1))
        self.assertEqual(self.docs("items"), [{"_id": "a", "qty": 5}, {"_id": "c", "qty": 2}])

    def test_upsert_tsv_with_column_list_and_no_header(self):
        p = self.write("p.tsv", "k1\t2024-01-15T10:30:00Z\t1\nk2\t2024-01-16T00:00:00.250+05:30\t0\n")
        sql = ("BULK UPSERT INTO items (_id STRING, at TIMESTAMP, active BOOL) FROM '%s' (header = false) "
               "ON CONFLICT (_id) DO UPDATE SET at = EXCLUDED.at, active = EXCLUDED.active" % p)
        reply = self.load(sql)
        self.assertEqual(reply["nUpserted"], 2)
        self.assertEqual(self.docs("items"), [{"_id": "k1", "at": dt(2024, 1, 15, 10, 30), "active": True},
                                              {"_id": "k2", "at": dt(2024, 1, 15, 18, 30, 0, 250000),
                                               "active": False}])


class UpdateFromFileTest(filestest.FilesCase):
    def setUp(self):
        super().setUp()
        self.db.items.insert_many([{"_id": i, "sku": "S%d" % i, "price": float(i)} for i in range(1, 6)])

    def test_update_from_csv_joined_in_where(self):
        p = self.write("prices.csv", "sku,price\nS1,10.5\nS3,30\nS9,90\nS4,not a price\nS5,50\n")
        fr = self.path("failed.ndjson")
        sql = ("BULK UPDATE items SET price = v.price, source = 'prices.csv' FROM '%s' AS v (sku STRING, "
               "price DOUBLE) WHERE sku = v.sku WITH (failed_records_file = '%s')" % (p, fr))
        reply = self.load(sql, rc=1)
        self.assertEqual((reply["nMatched"], reply["nModified"], reply["nUnmatched"], reply["nRows"]), (3, 3, 1, 5))
        expected = [(4, 5, 'line 5: column price: "not a price" is not a number',
                     {"sku": "S4", "price": "not a price"})]
        self.assert_failed_rows(reply, expected)
        self.assert_error_record(reply, sql, expected, 5, 1)
        self.assertEqual(self.docs("items"), [
            {"_id": 1, "sku": "S1", "price": 10.5, "source": "prices.csv"},
            {"_id": 2, "sku": "S2", "price": 2.0},
            {"_id": 3, "sku": "S3", "price": 30.0, "source": "prices.csv"},
            {"_id": 4, "sku": "S4", "price": 4.0},
            {"_id": 5, "sku": "S5", "price": 50.0, "source": "prices.csv"},
        ])

    def test_update_from_ndjson_on_stdin_with_a_script(self):
        script = self.write("u.sql", "BULK UPDATE items\n  SET seen_at = v.at, price = price + v.delta\n"
                                     "  FROM STDIN FORMAT NDJSON AS v (id INT, at TIMESTAMP, delta INT)\n"
                                     "  WHERE _id = v.id;\n")
        data = ('{"id": "2", "at": "2024-05-01T12:00:00+02:00", "delta": 3}\n'
                '{"id": 4, "at": "2024-05-02", "delta": -1}\n').encode()
        r = self.run_bytes("--format", "json", "-f", script, stdin=data)
        self.assertEqual(r.rc, 0, r)
        reply = self.json_result(r)[0]
        self.assertEqual((reply["nMatched"], reply["nModified"], reply["nUnmatched"]), (2, 2, 0))
        self.assertEqual(self.docs("items"), [
            {"_id": 1, "sku": "S1", "price": 1.0},
            {"_id": 2, "sku": "S2", "price": 5.0, "seen_at": dt(2024, 5, 1, 10, 0)},
            {"_id": 3, "sku": "S3", "price": 3.0},
            {"_id": 4, "sku": "S4", "price": 3.0, "seen_at": dt(2024, 5, 2)},
            {"_id": 5, "sku": "S5", "price": 5.0},
        ])

    def test_update_from_gzip_json_array_by_compression(self):
        p = self.write("u.data", '[{"sku": "S2", "tags": ["x", "y"]},\n {"sku": "S5", "tags": []}]', gz=True)
        sql = ("BULK UPDATE items SET tags = v.tags FROM '%s' FORMAT JSON COMPRESSION GZIP AS v WHERE sku = v.sku"
               % p)
        reply = self.load(sql)
        self.assertEqual((reply["nMatched"], reply["nModified"]), (2, 2))
        self.assertEqual(self.docs("items"), [
            {"_id": 1, "sku": "S1", "price": 1.0},
            {"_id": 2, "sku": "S2", "price": 2.0, "tags": ["x", "y"]},
            {"_id": 3, "sku": "S3", "price": 3.0},
            {"_id": 4, "sku": "S4", "price": 4.0},
            {"_id": 5, "sku": "S5", "price": 5.0, "tags": []},
        ])

    def test_update_values_are_data_not_operators(self):
        p = self.write("op.csv", 'sku,note\nS1,"{""$gt"": """"}"\n$where,x\n')
        reply = self.load("BULK UPDATE items SET note = v.note FROM '%s' AS v WHERE sku = v.sku" % p)
        self.assertEqual((reply["nMatched"], reply["nUnmatched"]), (1, 1))
        self.assertEqual(self.db.items.find_one({"_id": 1}), {"_id": 1, "sku": "S1", "price": 1.0,
                                                              "note": '{"$gt": ""}'})
        self.assertEqual(self.db.items.count_documents({"note": {"$exists": True}}), 1)

    def test_update_from_truncated_gzip_applies_the_rows_before_and_names_the_line(self):
        lines = "".join("S%d,%d\n" % (i % 5 + 1, 100 + i) for i in range(1, 2001))
        data = gzip.compress(("sku,price\n" + lines).encode())
        cut = data[: len(data) - 40]
        import zlib
        complete = zlib.decompressobj(wbits=31).decompress(cut).count(b"\n")
        p = self.write("cut.csv.gz", cut)
        sql = ("BULK UPDATE items SET price = v.price FROM '%s' AS v (sku STRING, price INT) WHERE sku = v.sku "
               "WITH (batch_size = 500)" % p)
        r = self.bulkql(sql=sql)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.err, located(sql, "FROM '%s' AS v (sku STRING, price INT)" % p,
                                        "%s:%d: the gzip stream is truncated (unexpected end of file)"
                                        % (p, complete + 1)))
        # the last row read before the cut wins for each sku
        last = {}
        for i in range(1, complete):
            last["S%d" % (i % 5 + 1)] = 100 + i
        self.assertEqual(self.docs("items"), [{"_id": i, "sku": "S%d" % i, "price": last["S%d" % i]}
                                              for i in range(1, 6)])


if __name__ == "__main__":
    filestest.main()
