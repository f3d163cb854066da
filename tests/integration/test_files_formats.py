"""BULK INSERT ... FROM 'file' and FROM STDIN against the live server
(SPEC §4): CSV and TSV (RFC 4180: quoting, embedded newlines and quotes,
CRLF), NDJSON and JSON arrays (Extended JSON), each plain and gzip (by .gz
and by COMPRESSION GZIP), from a path and from standard input, with a
header line or a column list, typed columns of every type and inferred
types. Every document the server holds is compared with the expected."""
import datetime
import os
import sys

import bson
from bson.int64 import Int64
from bson.objectid import ObjectId

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import filestest  # noqa: E402

UTC = datetime.timezone.utc


def dt(*a):
    """A BSON date as pymongo reads it (naive UTC)."""
    return datetime.datetime(*a)


CSV = (
    '_id,name,price,qty,zip,active,note\r\n'
    '1,Widget,9.99,3,00123,true,\r\n'
    '2,"Gadget, large",-0.5,-7,12345,false,""\r\n'
    '3,"He said ""hi""",100,2147483648,0,TRUE,"two\r\nlines"\r\n'
    '4,  spaced  ,+5,0,1.50,no," a ""quoted"", comma "\r\n'
)
# Types are inferred per column: zip has a leading zero, so every zip is
# text; qty holds a value beyond int32, so every qty is an int64; price
# holds decimals, so every price is a double; "no" is not a boolean.
CSV_DOCS = [
    {"_id": 1, "name": "Widget", "price": 9.99, "qty": 3, "zip": "00123", "active": "true", "note": None},
    {"_id": 2, "name": "Gadget, large", "price": -0.5, "qty": -7, "zip": "12345", "active": "false", "note": ""},
    {"_id": 3, "name": 'He said "hi"', "price": 100.0, "qty": 2147483648, "zip": "0", "active": "TRUE",
     "note": "two\nlines"},
    {"_id": 4, "name": "  spaced  ", "price": 5.0, "qty": 0, "zip": "1.50", "active": "no",
     "note": ' a "quoted", comma '},
]

NDJSON = (
    '{"_id": 1, "name": "a", "at": {"$date": "2024-01-15T10:30:00Z"}, "n": {"$numberLong": "9007199254740993"}}\n'
    '\n'
    '{"_id": 2, "oid": {"$oid": "65a1b2c3d4e5f60718293a4b"}, "nested": {"x": [1, 2.5, "s", null, true]}}\r\n'
    '   {"_id": 3, "ms": {"$date": {"$numberLong": "1705314600123"}}, "u": "caf\\u00e9 \u65e5\u672c"}\n'
    '{"_id": 4, "op": {"k": "{\\"$gt\\": \\"\\"}"}, "d": {"$numberDouble": "1.5"}}'
)
NDJSON_DOCS = [
    {"_id": 1, "name": "a", "at": dt(2024, 1, 15, 10, 30), "n": 9007199254740993},
    {"_id": 2, "oid": ObjectId("65a1b2c3d4e5f60718293a4b"), "nested": {"x": [1, 2.5, "s", None, True]}},
    {"_id": 3, "ms": dt(2024, 1, 15, 10, 30, 0, 123000), "u": "caf\u00e9 \u65e5\u672c"},
    {"_id": 4, "op": {"k": '{"$gt": ""}'}, "d": 1.5},
]

JSON_ARRAY = (
    '[\n'
    '  {"_id": 1, "s": "a, b ] } [ {", "q": "say \\"hi\\" \\\\"},\n'
    '  {\n'
    '    "_id": 2,\n'
    '    "arr": [1, {"k": [3]}],\n'
    '    "at": {"$date": "2024-02-29T23:59:59.999+0100"}\n'
    '  }\n'
    '  , {"_id": 3}\n'
    ']\n'
)
JSON_DOCS = [
    {"_id": 1, "s": "a, b ] } [ {", "q": 'say "hi" \\'},
    {"_id": 2, "arr": [1, {"k": [3]}], "at": dt(2024, 2, 29, 22, 59, 59, 999000)},
    {"_id": 3},
]

TSV = (
    "_id\tname\tprice\n"
    "1\tplain text\t1.25\n"
    '2\t"tab\there"\t2\n'
    "3\tcomma, kept\t\n"
)
TSV_DOCS = [
    {"_id": 1, "name": "plain text", "price": 1.25},
    {"_id": 2, "name": "tab\there", "price": 2},
    {"_id": 3, "name": "comma, kept", "price": None},
]

FORMATS = {
    "csv": (CSV, CSV_DOCS),
    "tsv": (TSV, TSV_DOCS),
    "ndjson": (NDJSON, NDJSON_DOCS),
    "json": (JSON_ARRAY, JSON_DOCS),
}


class FormatsTest(filestest.FilesCase):
    def check_load(self, sql, expected, coll="t", rows=None, **kw):
        reply = self.load(sql, **kw)
        n = len(expected) if rows is None else rows
        self.assertEqual((reply["nInserted"], reply["nFailed"], reply["nRows"]), (len(expected), 0, n), reply)
        self.assertEqual(self.docs(coll), expected)
        return reply

    def test_each_format_from_a_path(self):
        for ext, (text, docs) in FORMATS.items():
            with self.subTest(ext):
                p = self.write("data." + ext, text)
                self.check_load("BULK INSERT INTO %s FROM '%s'" % (ext, p), docs, coll=ext)

    def test_each_format_gzip_by_name(self):
        for ext, (text, docs) in FORMATS.items():
            with self.subTest(ext):
                p = self.write("data.%s.gz" % ext, text, gz=True)
                self.check_load("BULK INSERT INTO %s FROM '%s'" % (ext, p), docs, coll=ext)

    def test_each_format_gzip_by_compression_clause(self):
        for ext, (text, docs) in FORMATS.items():
            with self.subTest(ext):
                p = self.write("data.bin", text, gz=True)
                sql = "BULK INSERT INTO %s FROM '%s' FORMAT %s COMPRESSION GZIP" % (ext, p, ext.upper())
                self.check_load(sql, docs, coll=ext)

    def test_each_format_from_stdin_with_dash_c(self):
        for ext, (text, docs) in FORMATS.items():
            with self.subTest(ext):
                sql = "BULK INSERT INTO %s FROM STDIN FORMAT %s" % (ext, ext.upper())
                self.check_load(sql, docs, coll=ext, stdin=text.encode())

    def test_each_format_gzip_from_stdin_with_dash_f(self):
        import gzip
        for ext, (text, docs) in FORMATS.items():
            with self.subTest(ext):
                script = self.write("load_%s.sql" % ext,
                                    "-- a load script\nBULK INSERT INTO %s\n  FROM STDIN FORMAT %s COMPRESSION GZIP;\n"
                                    % (ext, ext.upper()))
                r = self.run_bytes("--format", "json", "-f", script, stdin=gzip.compress(text.encode()))
                self.assertEqual(r.rc, 0, r)
                reply = self.json_result(r)[0]
                self.assertEqual((reply["nInserted"], reply["nFailed"]), (len(docs), 0))
                self.assertEqual(self.docs(ext), docs)

    def test_inferred_csv_types(self):
        p = self.write("t.csv", CSV)
        self.check_load("BULK INSERT INTO t FROM '%s'" % p, CSV_DOCS)
        d = {doc["_id"]: doc for doc in self.docs("t")}
        # one type per column, never per value
        self.assertEqual([type(d[i]["_id"]) for i in d], [int] * 4)
        self.assertEqual([type(d[i]["qty"]) for i in d], [Int64] * 4)    # one beyond int32
        self.assertEqual([type(d[i]["price"]) for i in d], [float] * 4)  # 100 and +5 too
        self.assertEqual([type(d[i]["zip"]) for i in d], [str] * 4)      # 00123: a leading zero

    def test_csv_column_list_types_every_spec_type_but_decimal(self):
        text = (
            '1,-2147483648,9007199254740993,1e3,007,true,2024-01-15,2024-01-15T10:30:00Z,'
            '65a1b2c3d4e5f60718293a4b,"{""a"": [1, 2], ""b"": {""c"": null}}"\n'
            '2,2147483647,-1,-0.25,"{""$gt"": """"}",FALSE,2000-02-29,2024-01-15T10:30:00.123Z,'
            '65A1B2C3D4E5F60718293A4C,"[1, ""x""]"\n'
            '3,0,0,0,,yes,1970-01-01,2024-01-15T12:30:00+02:00,,"{""d"": {""$date"": ""2024-01-01T00:00:00Z""}}"\n'
            '4,7,8,9,s,n,2024-12-31,2024-01-15T10:30:00.5-01:30,65a1b2c3d4e5f60718293a4d,5\n'
            '5,,,,"",0,,2024-01-15 10:30:00,,\n'
            '6,1,2,3,x,T,2024-01-15,2024-01-15T10:30:00.123456+00:00,65a1b2c3d4e5f60718293a4e,"""text"""\n'
        )
        p = self.write("typed.csv", text)
        sql = ("BULK INSERT INTO t (_id INT, i INT, big BIGINT, d DOUBLE, s STRING, b BOOL, day DATE, "
               "at TIMESTAMP, oid OBJECTID, j JSON) FROM '%s' (header = false)" % p)
        expected = [
            {"_id": 1, "i": -2147483648, "big": 9007199254740993, "d": 1000.0, "s": "007", "b": True,
             "day": dt(2024, 1, 15), "at": dt(2024, 1, 15, 10, 30), "oid": ObjectId("65a1b2c3d4e5f60718293a4b"),
             "j": {"a": [1, 2], "b": {"c": None}}},
            {"_id": 2, "i": 2147483647, "big": -1, "d": -0.25, "s": '{"$gt": ""}', "b": False,
             "day": dt(2000, 2, 29), "at": dt(2024, 1, 15, 10, 30, 0, 123000),
             "oid": ObjectId("65a1b2c3d4e5f60718293a4c"), "j": [1, "x"]},
            {"_id": 3, "i": 0, "big": 0, "d": 0.0, "s": None, "b": True, "day": dt(1970, 1, 1),
             "at": dt(2024, 1, 15, 10, 30), "oid": None, "j": {"d": dt(2024, 1, 1)}},
            {"_id": 4, "i": 7, "big": 8, "d": 9.0, "s": "s", "b": False, "day": dt(2024, 12, 31),
             "at": dt(2024, 1, 15, 12, 0, 0, 500000), "oid": ObjectId("65a1b2c3d4e5f60718293a4d"), "j": 5},
            {"_id": 5, "i": None, "big": None, "d": None, "s": "", "b": False, "day": None,
             "at": dt(2024, 1, 15, 10, 30), "oid": None, "j": None},
            {"_id": 6, "i": 1, "big": 2, "d": 3.0, "s": "x", "b": True, "day": dt(2024, 1, 15),
             "at": dt(2024, 1, 15, 10, 30, 0, 123000), "oid": ObjectId("65a1b2c3d4e5f60718293a4e"), "j": "text"},
        ]
        self.check_load(sql, expected)
        d = self.docs("t")
        self.assertIs(type(d[0]["i"]), int)
        self.assertIs(type(d[0]["big"]), Int64)
        self.assertIs(type(d[1]["big"]), Int64)
        self.assertIs(type(d[3]["d"]), float)

    def test_decimal_conversion_is_exact(self):
        # The test server closes the connection on Decimal128 (see
        # test_files_errors); the converted documents are read from the
        # failed records of a dry run whose CHECK refuses every row (the
        # lines it would write to failed_records_file, in its reply).
        p = self.write("dec.csv", "id,amount\n1,1.10\n2,-0.000123\n3,12345678901234567890.5\n4,1E+3\n")
        fr = self.path("failed.ndjson")
        sql = ("BULK INSERT INTO t (id INT, amount DECIMAL) FROM '%s' CHECK (id < 0) "
               "WITH (dry_run = true, failed_records_file = '%s')" % (p, fr))
        reply = self.load(sql, rc=1)
        self.assertEqual(reply["nFailed"], 4)
        self.assertFalse(os.path.exists(fr))
        self.assertEqual((reply["failedRecordsFile"], reply["nFailedRecords"]), (fr, 4))
        docs = [r["document"] for r in reply["failedRecords"]]
        self.assertEqual(docs, [{"id": i, "amount": bson.decimal128.Decimal128(s)} for i, s in
                                [(1, "1.10"), (2, "-0.000123"), (3, "12345678901234567890.5"), (4, "1E+3")]])
        self.assertEqual([str(d["amount"]) for d in docs], ["1.10", "-0.000123", "12345678901234567890.5", "1E+3"])
        # a dry run writes nothing, not even its metrics document
        self.assertEqual(self.db.list_collection_names(), [])
        self.assertEqual(reply["metrics"]["nFailed"], 4)

    def test_header_gives_the_order_and_the_column_list_the_types(self):
        p = self.write("h.csv", "name,_id,at,extra\nx,1,2024-01-15T10:30:00Z,5\ny,2,2024-01-16,6.5\n")
        sql = "BULK INSERT INTO t (_id STRING, at TIMESTAMP) FROM '%s'" % p
        self.check_load(sql, [
            {"name": "x", "_id": "1", "at": dt(2024, 1, 15, 10, 30), "extra": 5},
            {"name": "y", "_id": "2", "at": dt(2024, 1, 16), "extra": 6.5},
        ])

    def test_dotted_header_names_nest(self):
        p = self.write("n.csv", "_id,address.city,address.zip,tags\n1,Paris,75001,\"[1,2]\"\n")
        self.check_load("BULK INSERT INTO t (tags JSON) FROM '%s'" % p,
                        [{"_id": 1, "address": {"city": "Paris", "zip": 75001}, "tags": [1, 2]}])

    def test_csv_options_delimiter_null_string_skip_lines_and_bom(self):
        text = "\ufeffexported by a tool\n_id;v;w\n1;NA;'a;b'\n"
        p = self.write("o.csv", text)
        sql = ("BULK INSERT INTO t FROM '%s' (delimiter = ';', quote = '''', null_string = 'NA', skip_lines = 1)"
               % p)
        self.check_load(sql, [{"_id": 1, "v": None, "w": "a;b"}])

    def test_ndjson_column_list_types_listed_fields_and_keeps_the_rest(self):
        text = ('{"_id": 1, "price": "9.5", "meta": {"at": "2024-01-15T10:30:00+01:00", "keep": true}, "x": "y"}\n'
                '{"meta": {"keep": 2}, "price": 3, "_id": "2"}\n')
        p = self.write("c.ndjson", text)
        sql = "BULK INSERT INTO t (_id INT, price DOUBLE, meta.at TIMESTAMP) FROM '%s'" % p
        self.check_load(sql, [
            {"_id": 1, "price": 9.5, "meta": {"at": dt(2024, 1, 15, 9, 30), "keep": True}, "x": "y"},
            {"_id": 2, "meta": {"keep": 2}, "price": 3.0},
        ])
        d = self.docs("t")
        self.assertIs(type(d[1]["price"]), float)
        # the field order is the file's
        self.assertEqual(list(d[1].keys()), ["_id", "meta", "price"])

    def test_json_array_empty_and_of_one_element(self):
        p = self.write("e.json", "  [ ]  \n")
        self.check_load("BULK INSERT INTO t FROM '%s'" % p, [])
        p = self.write("one.json", '[{"_id": "only"}]')
        self.check_load("BULK INSERT INTO t FROM '%s'" % p, [{"_id": "only"}])

    def test_empty_files(self):
        for name in ("e.ndjson", "e.csv", "e.json", "e.ndjson.gz"):
            with self.subTest(name):
                p = self.write(name, b"", gz=name.endswith(".gz"))
                reply = self.check_load("BULK INSERT INTO t FROM '%s'" % p, [])
                self.assertEqual(reply["batches"], 0)

    def test_rows_without_id_get_object_ids(self):
        p = self.write("noid.ndjson", '{"a": 1}\n{"a": 2}\n')
        reply = self.load("BULK INSERT INTO t FROM '%s'" % p)
        self.assertEqual(reply["nInserted"], 2)
        docs = self.docs("t", sort="a")
        self.assertTrue(all(isinstance(d["_id"], ObjectId) for d in docs))
        self.assertEqual([{k: v for k, v in d.items() if k != "_id"} for d in docs], [{"a": 1}, {"a": 2}])

    def test_many_batches_from_a_large_gzip_file(self):
        n = 25000
        lines = "".join('{"_id": %d, "s": "row %d", "f": %d.5}\n' % (i, i, i) for i in range(1, n + 1))
        p = self.write("big.ndjson.gz", lines, gz=True)
        reply = self.check_load("BULK INSERT INTO t FROM '%s' WITH (batch_size = 5000)" % p,
                                [{"_id": i, "s": "row %d" % i, "f": i + 0.5} for i in range(1, n + 1)])
        self.assertEqual(reply["batches"], 5)

    def test_records_longer_than_the_read_buffers(self):
        # lines of 300 kB: longer than what the JSON reader takes at once
        # (256 kB) and crossing the 1 MiB chunks the file is read in
        docs = [{"_id": i, "s": chr(ord("a") + i) * (300 * 1024), "n": i} for i in range(1, 9)]
        import json
        p = self.write("long.ndjson", "".join(json.dumps(d) + "\n" for d in docs))
        self.check_load("BULK INSERT INTO t FROM '%s'" % p, docs)
        self.db.t.drop()
        p = self.write("long.json", "[\n" + ",\n".join(json.dumps(d) for d in docs) + "\n]\n")
        self.check_load("BULK INSERT INTO t FROM '%s'" % p, docs)
        self.db.t.drop()
        p = self.write("long.csv", "_id,s,n\n" + "".join("%d,%s,%d\n" % (d["_id"], d["s"], d["n"]) for d in docs))
        self.check_load("BULK INSERT INTO t FROM '%s'" % p, docs)

    def test_explain_names_the_file_source(self):
        p = self.write("x.csv.gz", "a\n1\n", gz=True)
        r = self.bulkql("--explain", sql="BULK INSERT INTO t (a INT) FROM '%s' (header = true)" % p)
        self.assertEqual(r.rc, 0, r)
        plan = bson.json_util.loads(r.out)
        self.assertEqual(plan["source"], {"file": p, "format": "CSV", "compression": "GZIP", "header": True,
                                          "delimiter": ",", "quote": '"', "blanks": "null", "infer_rows": 10000,
                                          "parse_threads": filestest.default_parse_threads(),
                                          "columns": [{"name": "a", "type": "INT", "inferred": False}]})
        self.assertEqual(self.db.list_collection_names(), [])


if __name__ == "__main__":
    filestest.main()
