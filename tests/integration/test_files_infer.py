"""CSV/TSV column types inferred per column from a sample (SPEC §4,
infer_rows), the blanks and array_index_fields file options, BINARY
columns and DATE/TIMESTAMP FORMAT layouts, against the live server: every
document the server holds is read back and compared, types included."""
import datetime
import gzip
import os
import sys

import bson
import bson.json_util
from bson.int64 import Int64

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import filestest  # noqa: E402


def dt(*a):
    """A BSON date as pymongo reads it (naive UTC)."""
    return datetime.datetime(*a)


MISFIT = ('line %d: column %s: "%s" is not %s (the type inferred from the first %d rows); give the column a type '
          'in a column list, e.g. (%s %s), or raise infer_rows')


class InferTest(filestest.FilesCase):
    def check_load(self, sql, expected, coll="t", **kw):
        reply = self.load(sql, **kw)
        self.assertEqual((reply["nInserted"], reply["nFailed"]), (len(expected), 0), reply)
        got = self.docs(coll)
        self.assertEqual(got, expected)
        return got

    def types(self, docs, field):
        return [type(d.get(field)) for d in docs]

    # ---- one type per column ----

    def test_zip_codes_with_a_leading_zero_are_all_text(self):
        p = self.write("zip.csv", "_id,zip\n1,00501\n2,12345\n3,99950\n")
        got = self.check_load("BULK INSERT INTO t FROM '%s'" % p,
                              [{"_id": 1, "zip": "00501"}, {"_id": 2, "zip": "12345"}, {"_id": 3, "zip": "99950"}])
        self.assertEqual(self.types(got, "zip"), [str] * 3)
        self.assertEqual(self.types(got, "_id"), [int] * 3)

    def test_negative_leading_zero_is_text_but_zero_and_zero_point_are_numbers(self):
        p = self.write("z.csv", "_id,a,b,c\n1,-007,0,0.5\n2,5,-0,-0.5\n")
        got = self.check_load("BULK INSERT INTO t FROM '%s'" % p,
                              [{"_id": 1, "a": "-007", "b": 0, "c": 0.5}, {"_id": 2, "a": "5", "b": 0, "c": -0.5}])
        self.assertEqual(self.types(got, "a"), [str, str])
        self.assertEqual(self.types(got, "b"), [int, int])
        self.assertEqual(self.types(got, "c"), [float, float])

    def test_tsv_decimals_without_a_leading_digit_are_doubles(self):
        p = self.write("v.tsv", "_id\tname\tscore\n1\tx\t.097\n2\ty\t0.5\n3\tz\t12\n")
        got = self.check_load("BULK INSERT INTO t FROM '%s'" % p, [
            {"_id": 1, "name": "x", "score": 0.097}, {"_id": 2, "name": "y", "score": 0.5},
            {"_id": 3, "name": "z", "score": 12.0}])
        self.assertEqual(self.types(got, "score"), [float] * 3)

    def test_every_number_spelling_alone_in_its_column(self):
        cases = [(".097", 0.097, float), ("-.5", -0.5, float), ("1.", 1.0, float), ("+3", 3, int),
                 ("1e5", 100000.0, float), ("1E-3", 0.001, float)]
        text = "_id," + ",".join("c%d" % i for i in range(len(cases))) + "\n1," + ",".join(c[0] for c in cases) + "\n"
        p = self.write("n.csv", text)
        got = self.check_load("BULK INSERT INTO t FROM '%s'" % p,
                              [dict([("_id", 1)] + [("c%d" % i, c[1]) for i, c in enumerate(cases)])])
        self.assertEqual([type(got[0]["c%d" % i]) for i in range(len(cases))], [c[2] for c in cases])

    def test_every_number_spelling_in_one_column_and_in_a_double_column(self):
        values = [".097", "-.5", "1.", "+3", "1e5", "1E-3"]
        expected = [0.097, -0.5, 1.0, 3.0, 100000.0, 0.001]
        p = self.write("n.csv", "_id,v\n" + "".join("%d,%s\n" % (i, v) for i, v in enumerate(values)))
        for sql in ("BULK INSERT INTO t FROM '%s'", "BULK INSERT INTO t (v DOUBLE) FROM '%s'"):
            with self.subTest(sql):
                self.db.t.drop()
                got = self.check_load(sql % p, [{"_id": i, "v": v} for i, v in enumerate(expected)])
                self.assertEqual(self.types(got, "v"), [float] * len(values))

    def test_inf_and_nan_are_text(self):
        p = self.write("i.csv", "_id,v\n1,inf\n2,nan\n3,1\n")
        self.check_load("BULK INSERT INTO t FROM '%s'" % p,
                        [{"_id": 1, "v": "inf"}, {"_id": 2, "v": "nan"}, {"_id": 3, "v": "1"}])

    def test_bool_column(self):
        p = self.write("b.csv", "_id,b,y\n1,true,true\n2,FALSE,yes\n3,True,false\n")
        got = self.check_load("BULK INSERT INTO t FROM '%s'" % p, [
            {"_id": 1, "b": True, "y": "true"}, {"_id": 2, "b": False, "y": "yes"},
            {"_id": 3, "b": True, "y": "false"}])
        self.assertEqual(self.types(got, "b"), [bool] * 3)

    def test_bigint_column(self):
        p = self.write("b.csv", "_id,n\n1,1\n2,3000000000\n3,-9223372036854775808\n4,99999999999999999999\n")
        self.db.t.drop()
        got = self.check_load("BULK INSERT INTO t FROM '%s'" % p, [
            {"_id": 1, "n": "1"}, {"_id": 2, "n": "3000000000"}, {"_id": 3, "n": "-9223372036854775808"},
            {"_id": 4, "n": "99999999999999999999"}])  # beyond int64: the column is text, kept as written
        p = self.write("b2.csv", "_id,n\n1,1\n2,3000000000\n3,-9223372036854775808\n")
        self.db.t.drop()
        got = self.check_load("BULK INSERT INTO t FROM '%s'" % p, [
            {"_id": 1, "n": 1}, {"_id": 2, "n": 3000000000}, {"_id": 3, "n": -9223372036854775808}])
        self.assertEqual(self.types(got, "n"), [Int64] * 3)
        self.assertEqual(self.types(got, "_id"), [int] * 3)

    def test_timestamp_column(self):
        p = self.write("d.csv", "_id,at\n1,2024-01-15\n2,2024-01-15T10:30:00Z\n3,2024-02-29T23:59:59.5+01:00\n4,\n")
        got = self.check_load("BULK INSERT INTO t FROM '%s'" % p, [
            {"_id": 1, "at": dt(2024, 1, 15)}, {"_id": 2, "at": dt(2024, 1, 15, 10, 30)},
            {"_id": 3, "at": dt(2024, 2, 29, 22, 59, 59, 500000)}, {"_id": 4, "at": None}])
        self.assertEqual(self.types(got, "at")[:3], [datetime.datetime] * 3)

    def test_mixed_column_is_text_and_an_empty_column_is_text(self):
        p = self.write("m.csv", "_id,m,e,d\n1,1,,2024-01-15\n2,x,,7\n3,2.5,\"\",true\n")
        self.check_load("BULK INSERT INTO t FROM '%s'" % p, [
            {"_id": 1, "m": "1", "e": None, "d": "2024-01-15"}, {"_id": 2, "m": "x", "e": None, "d": "7"},
            {"_id": 3, "m": "2.5", "e": "", "d": "true"}])

    def test_header_and_a_partial_column_list(self):
        p = self.write("h.csv", "name,_id,zip,n\nx,1,00501,5\ny,2,12345,6.5\n")
        got = self.check_load("BULK INSERT INTO t (_id STRING, n DOUBLE) FROM '%s'" % p, [
            {"name": "x", "_id": "1", "zip": "00501", "n": 5.0}, {"name": "y", "_id": "2", "zip": "12345", "n": 6.5}])
        self.assertEqual(self.types(got, "zip"), [str, str])
        self.assertEqual(self.types(got, "n"), [float, float])

    def test_no_header_and_a_column_list_without_types(self):
        p = self.write("n.csv", "1,00501\n2,12345\n")
        self.check_load("BULK INSERT INTO t (_id, zip) FROM '%s' (header = false)" % p,
                        [{"_id": 1, "zip": "00501"}, {"_id": 2, "zip": "12345"}])

    def test_stdin_and_gzip_are_inferred_without_reading_twice(self):
        text = "_id,zip,v\n1,00501,.5\n2,12345,2\n"
        expected = [{"_id": 1, "zip": "00501", "v": 0.5}, {"_id": 2, "zip": "12345", "v": 2.0}]
        self.check_load("BULK INSERT INTO t FROM STDIN FORMAT CSV", expected, stdin=text.encode())
        self.db.t.drop()
        self.check_load("BULK INSERT INTO t FROM STDIN FORMAT CSV COMPRESSION GZIP", expected,
                        stdin=gzip.compress(text.encode()))
        self.db.t.drop()
        p = self.write("z.csv.gz", text, gz=True)
        got = self.check_load("BULK INSERT INTO t FROM '%s'" % p, expected)
        self.assertEqual(self.types(got, "v"), [float, float])

    def test_more_rows_than_the_default_sample(self):
        # 10,000 rows decide; the 10,001st is then a misfit
        rows = "".join("%d,%d\n" % (i, i) for i in range(1, 10001))
        p = self.write("big.csv", "_id,n\n" + rows + "10001,x\n")
        fr = self.path("failed.ndjson")
        reply = self.load("BULK INSERT INTO t FROM '%s' WITH (continue_on_error = true, failed_records_file = '%s')"
                          % (p, fr), rc=1)
        self.assertEqual((reply["nInserted"], reply["nFailed"], reply["nRows"]), (10000, 1, 10001))
        self.assertEqual([r["error"] for r in self.failed_records()],
                         [MISFIT % (10002, "n", "x", "an INT", 10000, "n", "STRING")])
        # infer_rows = 10001 takes it in: the column is text
        self.db.t.drop()
        reply = self.load("BULK INSERT INTO t FROM '%s' (infer_rows = 10001)" % p)
        self.assertEqual((reply["nInserted"], reply["nFailed"]), (10001, 0))
        self.assertEqual(self.db.t.find_one({"_id": 10001}), {"_id": 10001, "n": "x"})
        self.assertEqual(self.db.t.find_one({"_id": 7}), {"_id": 7, "n": "7"})

    def test_the_sample_holds_at_most_a_quarter_of_memory_limit(self):
        # the sample keeps each field's bytes and a NUL: row i holds
        # len(str(i)) + 1 + 2 bytes; it stops once 256 KiB are held
        held, n = 0, 0
        while held < (1 << 20) // 4:
            n += 1
            held += len(str(n)) + 3
        rows = ["%d,%s\n" % (i, "x" if i == n + 1 else "1") for i in range(1, n + 101)]
        p = self.write("m.csv", "_id,v\n" + "".join(rows))
        reply = self.load("BULK INSERT INTO t FROM '%s' (infer_rows = 1000000) WITH (memory_limit = '1MB', "
                          "continue_on_error = true)" % p, rc=1)
        self.assertEqual((reply["nInserted"], reply["nFailed"]), (n + 99, 1))
        self.assertEqual([e["errmsg"] for e in reply["writeErrors"]],
                         [MISFIT % (n + 2, "v", "x", "an INT", n, "v", "STRING")])

    def test_a_later_misfit_is_a_failed_row_naming_the_column_type_and_the_override(self):
        p = self.write("m.csv", "_id,zip,n,b\n1,12345,1,true\n2,23456,2,false\n3,12a45,3,true\n"
                                "4,34567,3000000000,false\n5,45678,4.5,yes\n6,56789,5,true\n")
        fr = self.path("failed.ndjson")
        sql = ("BULK INSERT INTO t FROM '%s' (infer_rows = 2) WITH (continue_on_error = true, "
               "failed_records_file = '%s')" % (p, fr))
        reply = self.load(sql, rc=1)
        self.assertEqual((reply["nInserted"], reply["nFailed"], reply["nRows"]), (3, 3, 6))
        expected = [
            MISFIT % (4, "zip", "12a45", "an INT", 2, "zip", "STRING"),
            MISFIT % (5, "n", "3000000000", "an INT", 2, "n", "BIGINT"),
            MISFIT % (6, "n", "4.5", "an INT", 2, "n", "DOUBLE"),
        ]
        self.assertEqual([e["errmsg"] for e in reply["writeErrors"]], expected)
        self.assertEqual([(r["row"], r["line"], r["error"], r["document"]) for r in self.failed_records()], [
            (3, 4, expected[0], {"_id": "3", "zip": "12a45", "n": "3", "b": "true"}),
            (4, 5, expected[1], {"_id": "4", "zip": "34567", "n": "3000000000", "b": "false"}),
            (5, 6, expected[2], {"_id": "5", "zip": "45678", "n": "4.5", "b": "yes"}),
        ])
        self.assertEqual(self.docs("t"), [{"_id": 1, "zip": 12345, "n": 1, "b": True},
                                          {"_id": 2, "zip": 23456, "n": 2, "b": False},
                                          {"_id": 6, "zip": 56789, "n": 5, "b": True}])
        # the override the message names works
        self.db.t.drop()
        reply = self.load("BULK INSERT INTO t (zip STRING, n DOUBLE, b STRING) FROM '%s' (infer_rows = 2)" % p)
        self.assertEqual((reply["nInserted"], reply["nFailed"]), (6, 0))
        self.assertEqual(self.db.t.find_one({"_id": 3}), {"_id": 3, "zip": "12a45", "n": 3.0, "b": "true"})

    def test_the_override_in_the_message_quotes_a_name_that_needs_it(self):
        p = self.write("q.tsv", 'zip code\taddr.house no\n1\t2\nx\ty\n')
        reply = self.load("BULK INSERT INTO t FROM '%s' (infer_rows = 1) WITH (continue_on_error = true)" % p, rc=1)
        self.assertEqual([e["errmsg"] for e in reply["writeErrors"]],
                         [MISFIT % (3, "zip code", "x", "an INT", 1, '"zip code"', "STRING")])
        # the hint as given works
        self.db.t.drop()
        reply = self.load('BULK INSERT INTO t ("zip code" STRING, addr."house no" STRING) FROM \'%s\' '
                          '(infer_rows = 1)' % p)
        self.assertEqual(reply["nInserted"], 2)
        self.assertEqual(self.db.t.find_one({"zip code": "x"}, {"_id": 0}), {"zip code": "x", "addr": {"house no": "y"}})

    def test_bad_rows_in_the_sample_stay_failed_at_their_place(self):
        p = self.write("s.csv", '_id,v\n1,1\n2,"a"b\n3\n4,x\n5,2\n')
        reply = self.load("BULK INSERT INTO t FROM '%s' WITH (continue_on_error = true)" % p, rc=1)
        self.assertEqual((reply["nInserted"], reply["nFailed"], reply["nRows"]), (3, 2, 5))
        self.assertEqual([(e["row"], e["errmsg"]) for e in reply["writeErrors"]], [
            (2, "line 3: bad quoting: a quote inside an unquoted field, or text after a closing quote (RFC 4180)"),
            (3, "line 4: 1 field, expected 2")])
        # the bad rows do not vote: v is text because of "x" only
        self.assertEqual(self.docs("t"), [{"_id": 1, "v": "1"}, {"_id": 4, "v": "x"}, {"_id": 5, "v": "2"}])

    def test_a_truncated_gzip_inside_the_sample_still_writes_the_rows_before_it(self):
        data = gzip.compress(("_id,v\n" + "".join("%d,%d\n" % (i, i) for i in range(1, 50001))).encode())
        p = self.write("tr.csv.gz", data[:len(data) // 2])
        for opts in ("", " (infer_rows = 100000)"):
            with self.subTest(opts):
                self.db.t.drop()
                reply = self.load("BULK INSERT INTO t FROM '%s'%s" % (p, opts), rc=1)
                n = reply["nInserted"]
                self.assertGreater(n, 20000)
                self.assertEqual(reply["error"], "%s:%d: the gzip stream is truncated (unexpected end of file)"
                                 % (p, n + 2))
                self.assertEqual(self.db.t.count_documents({}), n)
                self.assertEqual(self.db.t.find_one({"_id": n}), {"_id": n, "v": n})

    def test_infer_rows_must_be_at_least_one(self):
        r = self.bulkql(sql="BULK INSERT INTO t FROM 'x.csv' (infer_rows = 0);")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.err, "<command>:1:47: error: file option \"infer_rows\" must be at least 1\n"
                                "    1 | BULK INSERT INTO t FROM 'x.csv' (infer_rows = 0);\n"
                                "      |                                               ^\n")

    # ---- blanks ----

    BLANKS = "_id,s,n\n1,,\n2,\"\",\"\"\n3,x,5\n"

    def test_blanks_null_is_the_default(self):
        p = self.write("b.csv", self.BLANKS)
        for sql in ("BULK INSERT INTO t FROM '%s'", "BULK INSERT INTO t FROM '%s' (blanks = 'null')"):
            with self.subTest(sql):
                self.db.t.drop()
                self.check_load(sql % p, [{"_id": 1, "s": None, "n": None}, {"_id": 2, "s": "", "n": None},
                                          {"_id": 3, "s": "x", "n": 5}])

    def test_blanks_omit_leaves_empty_fields_out(self):
        p = self.write("b.csv", self.BLANKS)
        self.check_load("BULK INSERT INTO t FROM '%s' (blanks = 'omit')" % p,
                        [{"_id": 1}, {"_id": 2}, {"_id": 3, "s": "x", "n": 5}])

    def test_blanks_empty_makes_empty_strings_in_text_columns(self):
        p = self.write("b.csv", self.BLANKS)
        self.check_load("BULK INSERT INTO t (s STRING) FROM '%s' (blanks = 'empty')" % p,
                        [{"_id": 1, "s": "", "n": None}, {"_id": 2, "s": "", "n": None}, {"_id": 3, "s": "x", "n": 5}])

    def test_blanks_takes_three_values(self):
        r = self.bulkql(sql="BULK INSERT INTO t FROM 'x.csv' (blanks = 'skip');")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("file option \"blanks\" takes 'null', 'omit' or 'empty'", r.err)

    # ---- array_index_fields ----

    def test_array_index_fields_build_arrays(self):
        text = "_id,tags.0,tags.1,pt.0.x,pt.0.y,pt.1.x\n1,a,b,1,2,3\n"
        p = self.write("a.csv", text)
        self.check_load("BULK INSERT INTO t FROM '%s' (array_index_fields = true)" % p,
                        [{"_id": 1, "tags": ["a", "b"], "pt": [{"x": 1, "y": 2}, {"x": 3}]}])
        self.db.t.drop()
        self.check_load("BULK INSERT INTO t FROM '%s'" % p,
                        [{"_id": 1, "tags": {"0": "a", "1": "b"}, "pt": {"0": {"x": 1, "y": 2}, "1": {"x": 3}}}])

    def test_array_indexes_must_start_at_zero_and_follow_each_other(self):
        for header, err in [
            ("_id,tags.1", "column 2 of the header: column \"tags.1\": array indexes must start at 0 and increase "
                           "by one from column to column (array_index_fields)"),
            ("_id,tags.0,tags.2", "column 3 of the header: column \"tags.2\": array indexes must start at 0 and "
                                  "increase by one from column to column (array_index_fields)"),
            ("_id,tags.1,tags.0", "column 2 of the header: column \"tags.1\": array indexes must start at 0 and "
                                  "increase by one from column to column (array_index_fields)"),
            ("_id,tags.0,tags.x", "column 3 of the header: column \"tags.x\": array indexes and field names cannot "
                                  "be mixed under one name (array_index_fields)"),
        ]:
            with self.subTest(header):
                p = self.write("a.csv", header + "\n1" + ",x" * header.count(",") + "\n")
                r = self.bulkql(sql="BULK INSERT INTO t FROM '%s' (array_index_fields = true);" % p)
                self.assertEqual(r.rc, 1, r)
                self.assertIn("error: %s:1: %s\n" % (p, err), r.err)
                self.assertNotIn("t", self.db.list_collection_names())

    def test_array_index_fields_with_omitted_blanks(self):
        p = self.write("a.csv", "_id,tags.0,tags.1\n1,a,\n2,,b\n3,,\n")
        reply = self.load("BULK INSERT INTO t FROM '%s' (array_index_fields = true, blanks = 'omit') "
                          "WITH (continue_on_error = true)" % p, rc=1)
        self.assertEqual([(e["row"], e["errmsg"]) for e in reply["writeErrors"]], [
            (2, "line 3: column tags.0 is left out (blanks = 'omit'), so column tags.1 cannot be stored at its "
                "array index")])
        self.assertEqual(self.docs("t"), [{"_id": 1, "tags": ["a"]}, {"_id": 3, "tags": []}])

    # ---- BINARY and FORMAT layouts ----

    def test_binary_base64_and_hex(self):
        p = self.write("b.csv", "_id,b64,hex\n1,aGk=,6869\n2,AAEC/w==,0001FF\n3,,\n4,aGVsbG8,zz\n5,aGVsbG8=,abc\n")
        reply = self.load("BULK INSERT INTO t (b64 BINARY, hex BINARY FORMAT 'hex') FROM '%s' "
                          "WITH (continue_on_error = true)" % p, rc=1)
        self.assertEqual([(e["row"], e["errmsg"]) for e in reply["writeErrors"]], [
            (4, 'line 5: column b64: "aGVsbG8" is not base64 (RFC 4648, padded with \'=\')'),
            (5, 'line 6: column hex: "abc" is not hexadecimal (FORMAT \'hex\': two digits a byte)')])
        got = self.docs("t")
        self.assertEqual(got, [{"_id": 1, "b64": b"hi", "hex": b"hi"},
                               {"_id": 2, "b64": b"\x00\x01\x02\xff", "hex": b"\x00\x01\xff"},
                               {"_id": 3, "b64": None, "hex": None}])
        raw = self.db.t.with_options(
            codec_options=bson.codec_options.CodecOptions(uuid_representation=0)).find_one({"_id": 1})
        self.assertEqual(type(raw["b64"]), bytes)  # subtype 0 reads back as bytes

    def test_binary_format_base64_is_accepted_and_other_formats_are_not(self):
        p = self.write("b.csv", "_id,b\n1,aGk=\n")
        self.check_load("BULK INSERT INTO t (b BINARY FORMAT 'base64') FROM '%s'" % p, [{"_id": 1, "b": b"hi"}])
        r = self.bulkql(sql="BULK INSERT INTO t (b BINARY FORMAT 'b32') FROM 'x.csv';")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.err, "<command>:1:30: error: unknown BINARY format 'b32'\n"
                                "    1 | BULK INSERT INTO t (b BINARY FORMAT 'b32') FROM 'x.csv';\n"
                                "      |                              ^^^^^^^^^^^^\n"
                                "hint: Use FORMAT 'hex' or FORMAT 'base64' (the default).\n")

    def test_format_on_a_type_that_takes_none_is_an_error_at_its_span(self):
        r = self.bulkql(sql="BULK INSERT INTO t (_id INT, n INT FORMAT '%d') FROM 'x.csv';")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.err, "<command>:1:36: error: an INT column takes no FORMAT\n"
                                "    1 | BULK INSERT INTO t (_id INT, n INT FORMAT '%d') FROM 'x.csv';\n"
                                "      |                                    ^^^^^^^^^^^\n"
                                "hint: FORMAT applies to DATE, TIMESTAMP and BINARY columns.\n")

    def test_timestamp_and_date_layouts(self):
        p = self.write("d.csv", "_id,created,day,off\n"
                                "1,15/01/2024 10:30,15/01/2024,2024-01-15 10:30 +0200\n"
                                "2,29/02/2024 23:59,01/03/2024,2024-01-15 10:30 -0130\n"
                                "3,15/01/2024 10:30 extra,15/01/2024,2024-01-15 10:30 +0000\n"
                                "4,2024-01-15,15/01/2024,2024-01-15 10:30 +0000\n")
        reply = self.load("BULK INSERT INTO t (created TIMESTAMP FORMAT '%%d/%%m/%%Y %%H:%%M', "
                          "day DATE FORMAT '%%d/%%m/%%Y', off TIMESTAMP FORMAT '%%Y-%%m-%%d %%H:%%M %%z') FROM '%s' "
                          "WITH (continue_on_error = true)" % p, rc=1)
        self.assertEqual([(e["row"], e["errmsg"]) for e in reply["writeErrors"]], [
            (3, "line 4: column created: \"15/01/2024 10:30 extra\" does not match the TIMESTAMP layout "
                "'%d/%m/%Y %H:%M' (text is left over)"),
            (4, "line 5: column created: \"2024-01-15\" does not match the TIMESTAMP layout '%d/%m/%Y %H:%M'")])
        self.assertEqual(self.docs("t"), [
            {"_id": 1, "created": dt(2024, 1, 15, 10, 30), "day": dt(2024, 1, 15), "off": dt(2024, 1, 15, 8, 30)},
            {"_id": 2, "created": dt(2024, 2, 29, 23, 59), "day": dt(2024, 3, 1), "off": dt(2024, 1, 15, 12, 0)}])

    def test_layouts_and_binary_retype_ndjson_fields(self):
        p = self.write("d.ndjson", '{"_id": 1, "at": "15/01/2024 10:30", "b": "6869", "keep": "15/01/2024"}\n'
                                   '{"_id": 2, "at": "nope", "b": "6869"}\n')
        reply = self.load("BULK INSERT INTO t (at TIMESTAMP FORMAT '%%d/%%m/%%Y %%H:%%M', b BINARY FORMAT 'hex') "
                          "FROM '%s' WITH (continue_on_error = true)" % p, rc=1)
        self.assertEqual([(e["row"], e["errmsg"]) for e in reply["writeErrors"]], [
            (2, "line 2: column at: \"nope\" does not match the TIMESTAMP layout '%d/%m/%Y %H:%M'")])
        self.assertEqual(self.docs("t"), [{"_id": 1, "at": dt(2024, 1, 15, 10, 30), "b": b"hi",
                                           "keep": "15/01/2024"}])

    # ---- EXPLAIN ----

    def test_explain_shows_the_inferred_types(self):
        p = self.write("e.csv", "_id,zip,score,ok,at,note,big\n1,00501,.097,true,2024-01-15,x,1\n"
                                "2,12345,1,false,2024-01-16,,3000000000\n")
        r = self.bulkql("--explain", sql="BULK INSERT INTO t (note STRING) FROM '%s' (infer_rows = 5)" % p)
        self.assertEqual(r.rc, 0, r)
        plan = bson.json_util.loads(r.out)
        self.assertEqual(plan["source"], {
            "file": p, "format": "CSV", "compression": "NONE", "header": True, "delimiter": ",", "quote": '"',
            "blanks": "null", "infer_rows": 5, "parse_threads": filestest.default_parse_threads(),
            "columns": [
                {"name": "_id", "type": "INT", "inferred": True},
                {"name": "zip", "type": "STRING", "inferred": True},
                {"name": "score", "type": "DOUBLE", "inferred": True},
                {"name": "ok", "type": "BOOL", "inferred": True},
                {"name": "at", "type": "TIMESTAMP", "inferred": True},
                {"name": "note", "type": "STRING", "inferred": False},
                {"name": "big", "type": "BIGINT", "inferred": True},
            ]})
        self.assertEqual(self.db.list_collection_names(), [])
        # the exact text, as a user reads it
        self.assertIn('    "columns": [\n'
                      '      {"name": "_id", "type": "INT", "inferred": true},\n'
                      '      {"name": "zip", "type": "STRING", "inferred": true},\n', r.out)

    def test_explain_of_stdin_or_a_missing_file_shows_the_column_list(self):
        for src in ("STDIN FORMAT CSV", "'%s'" % self.path("missing.csv")):
            with self.subTest(src):
                r = self.bulkql("--explain", sql="BULK INSERT INTO t (a INT) FROM %s" % src)
                self.assertEqual(r.rc, 0, r)
                plan = bson.json_util.loads(r.out)
                self.assertEqual(plan["source"]["columns"], [{"name": "a", "type": "INT"}])


if __name__ == "__main__":
    filestest.main()
