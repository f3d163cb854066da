"""JSON input read record by record (SPEC §4, issue 11): an NDJSON line,
an element of a JSON array and a document of a JSON stream are each parsed
whole and on their own. Text after a document, a field name given twice
and a "$date" that is not ISO 8601 make that row a failed row (with the
line and column of the fault) and the next record is read normally;
integers beyond int64 are stored as doubles; "$date" strings take every
ISO 8601 / RFC 3339 form a TIMESTAMP column takes; FORMAT JSON reads an
array or a stream of concatenated or pretty-printed documents, plain,
gzip or from standard input. JSON literals of statements and JSON columns
of CSV files follow the same rules. What the server holds is read back
with pymongo and compared document by document, types included."""
import datetime
import gzip
import os
import sys

from bson.int64 import Int64
from bson.objectid import ObjectId

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import filestest  # noqa: E402
from filestest import located  # noqa: E402


def dt(*a):
    """A BSON date as pymongo reads it (naive UTC)."""
    return datetime.datetime(*a)


class JsonCase(filestest.FilesCase):
    def run_failing(self, sql_fmt, name, text, expected, good, coll="t", gz=False, stdin=False, batch_size=None):
        """Load text (as file name, or from standard input) with a
        failed_records_file; expect the failed rows [(row, line, error,
        document)] and exactly the good documents on the server."""
        fr = self.path("failed.ndjson")
        if stdin:
            data = text.encode() if isinstance(text, str) else text
            sql = sql_fmt + " WITH (failed_records_file = '%s')" % fr
            reply = self.load(sql, rc=1, stdin=gzip.compress(data) if gz else data)
        else:
            p = self.write(name, text, gz=gz)
            sql = sql_fmt % p + " WITH (failed_records_file = '%s')" % fr
            reply = self.load(sql, rc=1)
        self.assert_failed_rows(reply, expected)
        self.assertEqual(reply["nInserted"], len(good), reply)
        self.assertEqual(reply["nRows"], len(good) + len(expected), reply)
        self.assertEqual(self.docs(coll), good)
        self.assert_error_record(reply, sql, expected, batch_size or len(good) + len(expected), 1)
        return reply

    def check_load(self, sql, expected, coll="t", stdin=None):
        reply = self.load(sql, stdin=stdin)
        self.assertEqual((reply["nInserted"], reply["nFailed"]), (len(expected), 0), reply)
        self.assertEqual(self.docs(coll), expected)
        return reply

    def fatal(self, sql, span, message, good=()):
        r = self.bulkql(sql=sql)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.err, located(sql, span, message))
        self.assertEqual(self.docs("t"), list(good))
        return r


class OneRecordAtATimeTest(JsonCase):
    def test_ndjson_line_never_merges_with_the_next(self):
        # the repro of issue 11: the line was read as one document with the next
        p = self.write("m.ndjson", '{"a": 1},\n{"b": 2}\n')
        fr = self.path("failed.ndjson")
        reply = self.load("BULK INSERT INTO t FROM '%s' WITH (failed_records_file = '%s')" % (p, fr), rc=1)
        self.assert_failed_rows(reply, [(1, 1, "line 1, column 9: text after the document", None)])
        self.assertEqual(reply["nInserted"], 1)
        docs = self.docs("t")
        self.assertTrue(isinstance(docs[0].pop("_id"), ObjectId))
        self.assertEqual(docs, [{"b": 2}])

    def test_text_after_a_document_on_its_line(self):
        self.run_failing(
            "BULK INSERT INTO t FROM '%s'", "s.ndjson",
            '{"_id": 1} \t\r\n'
            '{"_id": 2}{"_id": 3}\n'
            '{"_id": 4, "s": "\u65e5\u672c"} x\n'
            '{"_id": 5}}\n'
            '  {"_id": 6}  ,\n'
            '{"_id": 7, "a": [1, 2]}\n'
            '{"_id": 8}\t"more"\n'
            '{"_id": 9, "n": 1} 2\n',
            [(2, 2, "line 2, column 11: text after the document", None),
             # the column counts characters, not bytes
             (3, 3, "line 3, column 23: text after the document", None),
             (4, 4, "line 4, column 11: text after the document", None),
             (5, 5, "line 5, column 15: text after the document", None),
             (7, 7, "line 7, column 12: text after the document", None),
             (8, 8, "line 8, column 20: text after the document", None)],
            [{"_id": 1}, {"_id": 7, "a": [1, 2]}])

    def test_a_bad_document_before_stray_text_reports_the_document(self):
        self.run_failing(
            "BULK INSERT INTO t FROM '%s'", "b.ndjson",
            '{"_id": 1, "a": tru} x\n{"_id": 2}\n',
            [(1, 1, 'line 1: invalid JSON: Got parse error at "}", position 19: "SPECIAL_INCOMPLETE"', None)],
            [{"_id": 2}])

    def test_json_array_element_with_stray_text_or_two_documents(self):
        self.run_failing(
            "BULK INSERT INTO t FROM '%s'", "e.json",
            '[\n'
            '  {"_id": 1} x,\n'
            '  {"_id": 2},\n'
            '  {"_id": 3} {"_id": 4},\n'
            '  {"_id": 5}\n'
            '  junk\n'
            '  , {"_id": 6}, {"_id": 7}: 1\n'
            ']\n',
            [(1, 2, "line 2, column 14: text after the document", None),
             (3, 4, "line 4, column 14: text after the document", None),
             # the stray text is on a later line than the element's start
             (4, 5, "line 6, column 3: text after the document", None),
             (6, 7, "line 7, column 27: text after the document", None)],
            [{"_id": 2}, {"_id": 6}])

    def test_columns_far_into_a_long_line_across_read_chunks(self):
        # one line of about 3 MB (the file is read in 1 MiB chunks), with
        # characters of 1 to 3 bytes before the faults
        import random
        rnd = random.Random(11)
        parts, expected, good, col = [], [], [], 2
        for i in range(1, 2001):
            s = "".join(rnd.choice("ab\u00e9\u65e5") for _ in range(rnd.randint(200, 1800)))
            elem = '{"_id": %d, "s": "%s"}' % (i, s)
            if i % 400 == 0:
                stray = col + len(elem) + 1
                elem += " x"
                expected.append((i, 1, "line 1, column %d: text after the document" % stray, None))
            else:
                good.append({"_id": i, "s": s})
            parts.append(elem)
            col += len(elem) + 2  # ", "
        self.run_failing("BULK INSERT INTO t FROM '%s' WITH (batch_size = 2000)", "long.json",
                         "[" + ", ".join(parts) + "]", expected, good, batch_size=len(parts))

    def test_missing_comma_between_array_elements_is_one_failed_element(self):
        self.run_failing(
            "BULK INSERT INTO t FROM '%s'", "mc.json",
            '[{"_id": 1},\n {"_id": 2}\n {"_id": 3}, {"_id": 4}]\n',
            [(2, 2, "line 3, column 2: text after the document", None)],
            [{"_id": 1}, {"_id": 4}])

    def test_duplicate_field_names_at_every_level(self):
        many = ", ".join('"k%d": %d' % (i, i) for i in range(30))
        self.run_failing(
            "BULK INSERT INTO t FROM '%s'", "d.ndjson",
            '{"_id": 1, "a": 1, "a": 2}\n'
            '{"_id": 2, "b": {"c": 1, "d": 2, "c": 1}}\n'
            '{"_id": 3, "l": [{"x": 1}, {"x": 1, "x": 2}]}\n'
            '{"_id": 4, "b": {"c": 1}, "e": {"c": 1}, "l": [{"x": 1}, {"x": 2}]}\n'
            '{"_id": 5, %s, "k17": 0}\n'
            '{"_id": 6, %s}\n'
            '{"_id": 7, "_id": 8}\n' % (many, many),
            [(1, 1, 'line 1: duplicate field name "a"', None),
             (2, 2, 'line 2: duplicate field name "b.c"', None),
             (3, 3, 'line 3: duplicate field name "l.1.x"', None),
             (5, 5, 'line 5: duplicate field name "k17"', None),
             (7, 7, 'line 7: duplicate field name "_id"', None)],
            [{"_id": 4, "b": {"c": 1}, "e": {"c": 1}, "l": [{"x": 1}, {"x": 2}]},
             dict([("_id", 6)] + [("k%d" % i, i) for i in range(30)])])

    def test_duplicate_field_names_in_a_json_array(self):
        self.run_failing(
            "BULK INSERT INTO t FROM '%s'", "d.json",
            '[{"_id": 1, "v": {"w": {"z": 1, "z": 1}}},\n {"_id": 2}]',
            [(1, 1, 'line 1: duplicate field name "v.w.z"', None)],
            [{"_id": 2}])

    def test_integers_beyond_int64_become_doubles(self):
        text = ('{"_id": 1, "n": 99999999999999999999999}\n'
                '{"_id": 2, "n": 9223372036854775808}\n'
                '{"_id": 3, "n": -9223372036854775809}\n'
                '{"_id": 4, "n": 18446744073709551616, "m": 9223372036854775807, "k": -9223372036854775808}\n'
                '{"_id": 5, "a": [1, 123456789012345678901234567890, {"x": -99999999999999999999}]}\n'
                '{"_id": 6, "n": 2147483648, "i": 2147483647, "f": 1.5e300}\n')
        for name, data in (("big.ndjson", text), ("big.json", "[" + text.replace("}\n{", "},\n{") + "]")):
            with self.subTest(name):
                self.db.t.drop()
                p = self.write(name, data)
                self.check_load("BULK INSERT INTO t FROM '%s'" % p, [
                    {"_id": 1, "n": 1e23},
                    {"_id": 2, "n": 9223372036854775808.0},
                    {"_id": 3, "n": -9223372036854775809.0},
                    {"_id": 4, "n": 18446744073709551616.0, "m": 9223372036854775807, "k": -9223372036854775808},
                    {"_id": 5, "a": [1, 1.2345678901234568e29, {"x": -1e20}]},
                    {"_id": 6, "n": 2147483648, "i": 2147483647, "f": 1.5e300},
                ])
                d = self.docs("t")
                for i in range(4):
                    self.assertIs(type(d[i]["n"]), float)
                self.assertIs(type(d[3]["m"]), Int64)
                self.assertIs(type(d[3]["k"]), Int64)
                self.assertIs(type(d[4]["a"][1]), float)
                self.assertIs(type(d[4]["a"][2]["x"]), float)
                self.assertIs(type(d[5]["n"]), Int64)
                self.assertIs(type(d[5]["i"]), int)

    def test_numbers_libbson_refuses_are_failed_rows(self):
        self.run_failing(
            "BULK INSERT INTO t FROM '%s'", "n.ndjson",
            '{"_id": 1, "n": {"$numberLong": "99999999999999999999"}}\n'
            '{"_id": 2, "n": 1e400}\n'
            '{"_id": 3}\n',
            [(1, 1, 'line 1: invalid JSON: Number "99999999999999999999" is out of range', None),
             (2, 2, 'line 2: invalid JSON: Number "1e400" is out of range', None)],
            [{"_id": 3}])


class LenientExtendedJsonTest(JsonCase):
    def test_values_libbson_would_store_as_something_else_are_failed_rows(self):
        # libbson 1.23 reads these without an error as 0.0, NaN, ...4a40,
        # subtype 0x1f, no options and t = 0: never stored
        self.run_failing(
            "BULK INSERT INTO t FROM '%s'", "x.ndjson",
            '{"_id": 1, "v": {"$numberDouble": "abc"}}\n'
            '{"_id": 2, "v": {"$numberDecimal": "1.5 million"}}\n'
            '{"_id": 3, "v": {"$oid": "65a1b2c3d4e5f60718293a4g"}}\n'
            '{"_id": 4, "v": {"$binary": {"base64": "AA==", "subType": "1ff"}}}\n'
            '{"_id": 5, "v": {"$regularExpression": {"pattern": "a", "options": "iz"}}}\n'
            '{"_id": 6, "v": {"$timestamp": {"t": 4294967296, "i": 1}}}\n'
            '{"_id": 7, "v": {"$numberDouble": "-1.5e3"}, "o": {"$oid": "65a1b2c3d4e5f60718293a4b"}, '
            '"s": {"subType": "x", "t": 4294967296, "options": "zz"}}\n',
            [(1, 1, 'line 1, column 35: $numberDouble: "abc" is not a number', None),
             (2, 2, 'line 2, column 36: $numberDecimal: "1.5 million" is not a decimal number (Decimal128)', None),
             (3, 3, 'line 3, column 26: $oid: "65a1b2c3d4e5f60718293a4g" is not an ObjectId (24 hexadecimal digits)',
              None),
             (4, 4, 'line 4, column 59: subType: "1ff" is not a binary subtype (one or two hexadecimal digits)', None),
             (5, 5, 'line 5, column 68: options: "iz" holds an option other than i, l, m, s, u and x', None),
             (6, 6, 'line 6, column 38: $timestamp: "t" must be an integer from 0 to 4294967295', None)],
            [{"_id": 7, "v": -1500.0, "o": ObjectId("65a1b2c3d4e5f60718293a4b"),
              "s": {"subType": "x", "t": 4294967296, "options": "zz"}}])


class DatesTest(JsonCase):
    TEXTS = [
        ("2024-01-15T10:30:00Z", dt(2024, 1, 15, 10, 30)),
        ("2024-01-15T10:30:00+01:00", dt(2024, 1, 15, 9, 30)),
        ("2024-01-15T10:30:00-05:30", dt(2024, 1, 15, 16, 0)),
        ("2024-01-15T10:30:00.123456789Z", dt(2024, 1, 15, 10, 30, 0, 123000)),
        ("2024-01-15T23:59:59.999999999+00:00", dt(2024, 1, 15, 23, 59, 59, 999000)),
        ("2024-01-15T10:30:00.5+0100", dt(2024, 1, 15, 9, 30, 0, 500000)),
        ("2024-01-15T10:30:00+01", dt(2024, 1, 15, 9, 30)),
        ("2024-01-15", dt(2024, 1, 15)),
        ("2024-01-15 10:30:00", dt(2024, 1, 15, 10, 30)),
        ("2024-01-15T10:30Z", dt(2024, 1, 15, 10, 30)),
        ("1969-12-31T23:59:59.9999Z", dt(1969, 12, 31, 23, 59, 59, 999000)),
    ]

    def test_date_strings_in_ndjson_json_arrays_and_streams(self):
        lines = ['{"_id": %d, "at": {"$date": "%s"}}' % (i, s) for i, (s, _) in enumerate(self.TEXTS)]
        expected = [{"_id": i, "at": d} for i, (_, d) in enumerate(self.TEXTS)]
        shapes = {
            "d.ndjson": "\n".join(lines) + "\n",
            "d.json": "[\n" + ",\n".join(lines) + "\n]\n",
            "s.json": "".join(lines),
        }
        for name, text in shapes.items():
            with self.subTest(name):
                self.db.t.drop()
                p = self.write(name, text)
                self.check_load("BULK INSERT INTO t FROM '%s'" % p, expected)

    def test_the_same_texts_in_a_timestamp_column_give_the_same_dates(self):
        p = self.write("d.csv", "_id,at\n" + "".join("%d,%s\n" % (i, s) for i, (s, _) in enumerate(self.TEXTS)))
        self.check_load("BULK INSERT INTO t (_id INT, at TIMESTAMP) FROM '%s'" % p,
                        [{"_id": i, "at": d} for i, (_, d) in enumerate(self.TEXTS)])

    def test_a_timestamp_column_refuses_what_dates_in_json_refuse(self):
        self.run_failing(
            "BULK INSERT INTO t (_id INT, at TIMESTAMP) FROM '%s'", "bad.csv",
            "_id,at\n1,2024-01-15T10:30:00+01:\n2,2024-01-15T10:30:00.1234567891Z\n3,2024-01-15T10:30:00+01:00\n",
            [(1, 2, 'line 2: column at: "2024-01-15T10:30:00+01:" is not an ISO 8601 date',
              {"_id": "1", "at": "2024-01-15T10:30:00+01:"}),
             (2, 3, 'line 3: column at: "2024-01-15T10:30:00.1234567891Z" is not an ISO 8601 date',
              {"_id": "2", "at": "2024-01-15T10:30:00.1234567891Z"})],
            [{"_id": 3, "at": dt(2024, 1, 15, 9, 30)}])

    def test_bad_date_strings_are_failed_rows(self):
        self.run_failing(
            "BULK INSERT INTO t FROM '%s'", "bad.ndjson",
            '{"_id": 1, "at": {"$date": "2024-13-01"}}\n'
            '{"_id": 2, "at": {"$date": "2024-01-15T10:30:00+01:"}}\n'
            '{"_id": 3, "at": {"$date": "2024-01-15T10:30:00.1234567891Z"}}\n'
            '{"_id": 4, "at": {"$date": "yesterday"}}\n'
            '{"_id": 5, "x": [{"$date": " 2024-01-15"}]}\n'
            '{"_id": 6, "at": {"$date": "2023-02-28"}}\n',
            [(1, 1, 'line 1, column 28: $date: "2024-13-01" is not an ISO 8601 date', None),
             (2, 2, 'line 2, column 28: $date: "2024-01-15T10:30:00+01:" is not an ISO 8601 date', None),
             (3, 3, 'line 3, column 28: $date: "2024-01-15T10:30:00.1234567891Z" is not an ISO 8601 date', None),
             (4, 4, 'line 4, column 28: $date: "yesterday" is not an ISO 8601 date', None),
             (5, 5, 'line 5, column 28: $date: " 2024-01-15" is not an ISO 8601 date', None)],
            [{"_id": 6, "at": dt(2023, 2, 28)}])

    def test_other_date_forms_still_read(self):
        p = self.write("o.ndjson",
                       '{"_id": 1, "a": {"$date": {"$numberLong": "1705314600123"}}, "b": {"$date": 0}}\n'
                       '{"_id": 2, "s": "{\\"$date\\": \\"x\\"}", "t": ["$date", "2024"]}\n')
        self.check_load("BULK INSERT INTO t FROM '%s'" % p, [
            {"_id": 1, "a": dt(2024, 1, 15, 10, 30, 0, 123000), "b": dt(1970, 1, 1)},
            {"_id": 2, "s": '{"$date": "x"}', "t": ["$date", "2024"]},
        ])


class JsonStreamTest(JsonCase):
    PRETTY = (
        '{\n'
        '\t"_id": {\n'
        '\t\t"$oid": "65a1b2c3d4e5f60718293a4b"\n'
        '\t},\n'
        '\t"name": "a { b } [",\n'
        '\t"at": {\n'
        '\t\t"$date": "2024-01-15T10:30:00.000+01:00"\n'
        '\t}\n'
        '}\n'
        '{\n'
        '\t"_id": {\n'
        '\t\t"$oid": "65a1b2c3d4e5f60718293a4c"\n'
        '\t},\n'
        '\t"tags": [\n'
        '\t\t"x",\n'
        '\t\t{"k": 1}\n'
        '\t]\n'
        '}{"_id": {"$oid": "65a1b2c3d4e5f60718293a4d"}} {"_id": {"$oid": "65a1b2c3d4e5f60718293a4e"}}\n'
    )
    PRETTY_DOCS = [
        {"_id": ObjectId("65a1b2c3d4e5f60718293a4b"), "name": "a { b } [", "at": dt(2024, 1, 15, 9, 30)},
        {"_id": ObjectId("65a1b2c3d4e5f60718293a4c"), "tags": ["x", {"k": 1}]},
        {"_id": ObjectId("65a1b2c3d4e5f60718293a4d")},
        {"_id": ObjectId("65a1b2c3d4e5f60718293a4e")},
    ]

    def test_pretty_printed_stream_from_a_json_file(self):
        p = self.write("export.json", self.PRETTY)
        self.check_load("BULK INSERT INTO t FROM '%s'" % p, self.PRETTY_DOCS)

    def test_stream_gzip_by_name_and_by_compression(self):
        p = self.write("export.json.gz", self.PRETTY, gz=True)
        self.check_load("BULK INSERT INTO t FROM '%s'" % p, self.PRETTY_DOCS)
        self.db.t.drop()
        p = self.write("export.bin", self.PRETTY, gz=True)
        self.check_load("BULK INSERT INTO t FROM '%s' FORMAT JSON COMPRESSION GZIP" % p, self.PRETTY_DOCS)

    def test_stream_from_stdin_plain_and_gzip(self):
        self.check_load("BULK INSERT INTO t FROM STDIN FORMAT JSON", self.PRETTY_DOCS, stdin=self.PRETTY.encode())
        self.db.t.drop()
        self.check_load("BULK INSERT INTO t FROM STDIN FORMAT JSON COMPRESSION GZIP", self.PRETTY_DOCS,
                        stdin=gzip.compress(self.PRETTY.encode()))

    def test_stream_with_bom_blank_lines_and_skip_lines(self):
        text = '\ufeffexported by a tool\n\n  {"_id": 1}\r\n\r\n{"_id": 2}'
        p = self.write("b.json", text)
        self.check_load("BULK INSERT INTO t FROM '%s' (skip_lines = 1)" % p, [{"_id": 1}, {"_id": 2}])

    def test_skip_lines_before_an_array(self):
        p = self.write("a.json", '// header\n// more\n[{"_id": 1},\n {"_id": 2}]\n')
        self.check_load("BULK INSERT INTO t FROM '%s' (skip_lines = 2)" % p, [{"_id": 1}, {"_id": 2}])

    def test_bad_documents_of_a_stream_are_failed_rows_on_their_first_line(self):
        self.run_failing(
            "BULK INSERT INTO t FROM '%s' CHECK (n > 0)", "f.json",
            '{"_id": 1, "n": 1}\n'
            '{\n  "_id": 2,\n  "n": tru\n}\n'
            '{"_id": 3, "n": 1, "n": 2} {"_id": 4,\n "n": 0}\n'
            '{"_id": 5, "n": 5, "d": {"$date": "2024-02-30"}}\n'
            '{"_id": 6, "n": 6}',
            [(2, 2, 'line 2: invalid JSON: Got parse error at "\\n", position 24: "SPECIAL_INCOMPLETE"', None),
             (3, 6, 'line 6: duplicate field name "n"', None),
             (4, 6, "line 6: CHECK (n > 0) failed", {"_id": 4, "n": 0}),
             (5, 8, 'line 8, column 35: $date: "2024-02-30" is not an ISO 8601 date', None)],
            [{"_id": 1, "n": 1}, {"_id": 6, "n": 6}])

    def test_stream_failed_rows_from_stdin_gzip(self):
        self.run_failing(
            "BULK INSERT INTO t FROM STDIN FORMAT JSON COMPRESSION GZIP", None,
            '{"_id": 1}{"_id": 2, "_id": 3}\n{"_id": 4}',
            [(2, 1, 'line 1: duplicate field name "_id"', None)],
            [{"_id": 1}, {"_id": 4}], gz=True, stdin=True)

    def test_text_between_documents_stops_the_statement(self):
        p = self.write("c.json", '{"_id": 1},\n{"_id": 2}\n')
        sql = "BULK INSERT INTO t FROM '%s'" % p
        self.fatal(sql, "FROM '%s'" % p, "%s:1: ',' between the JSON documents: each must start with '{'" % p,
                   [{"_id": 1}])
        self.db.t.drop()
        p = self.write("n.json", '{"_id": 1}\n\n  7 {"_id": 2}\n')
        sql = "BULK INSERT INTO t FROM '%s'" % p
        self.fatal(sql, "FROM '%s'" % p, "%s:3: '7' between the JSON documents: each must start with '{'" % p,
                   [{"_id": 1}])

    def test_broken_stream_structure_stops_the_statement(self):
        cases = [
            ('{"_id": 1}\n{"_id": 2,\n "a": [1}\n', "%s:3: '}' does not close what is open in the JSON document "
                                                   "that starts on line 2"),
            ('{"_id": 1}\n{"_id": 2,\n "a": 1\n', "%s:2: the JSON document that starts on this line is not closed "
                                                 "at the end of the input"),
            ('{"_id": 1}\n{"_id": "a\n"}\n', "%s:2: a string in the JSON document that starts on this line runs "
                                            "past the end of line 2"),
        ]
        for text, msg in cases:
            with self.subTest(msg):
                self.db.t.drop()
                p = self.write("x.json", text)
                sql = "BULK INSERT INTO t FROM '%s'" % p
                self.fatal(sql, "FROM '%s'" % p, msg % p, [{"_id": 1}])

    def test_a_json_file_that_is_neither_an_array_nor_documents(self):
        for text, shown in (('"text"\n', "'\"'"), ("\n\n 7, 8\n", "'7'")):
            with self.subTest(text):
                p = self.write("x.json", text)
                sql = "BULK INSERT INTO t FROM '%s'" % p
                line = 3 if text.startswith("\n") else 1
                self.fatal(sql, "FROM '%s'" % p,
                           "%s:%d: a JSON file must hold an array of documents or documents one after another, "
                           "not start with %s (for one document per line use FORMAT NDJSON)" % (p, line, shown))

    def test_ndjson_stays_one_document_per_line(self):
        p = self.write("p.ndjson", '{\n  "_id": 1\n}\n{"_id": 2}\n')
        fr = self.path("failed.ndjson")
        reply = self.load("BULK INSERT INTO t FROM '%s' WITH (failed_records_file = '%s')" % (p, fr), rc=1)
        self.assert_failed_rows(reply, [
            (1, 1, "line 1: invalid JSON: Incomplete JSON", None),
            (2, 2, "line 2: not a JSON document (an object in braces)", None),
            (3, 3, "line 3: not a JSON document (an object in braces)", None),
        ])
        self.assertEqual(self.docs("t"), [{"_id": 2}])

    def test_stream_from_a_pipe_rows_as_soon_as_a_document_closes_and_cancel(self):
        # a document is a row when its '}' arrives: the reader does not
        # wait for what follows; SIGINT while it waits inside a document
        # stops the statement after the batches written
        import signal
        import subprocess
        import threading
        import time
        e = dict(os.environ)
        e.pop("NO_COLOR", None)
        proc = subprocess.Popen([filestest.bqltest.BULKQL, "--db", self.dbname, "-c",
                                 "BULK INSERT INTO s FROM STDIN FORMAT JSON WITH (batch_size = 2)"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        err = []
        reader = threading.Thread(target=lambda: err.extend(iter(proc.stderr.readline, "")), daemon=True)
        reader.start()

        def wait_until(what):
            deadline = time.monotonic() + 60
            while not what():
                self.assertLess(time.monotonic(), deadline, "timed out")
                time.sleep(0.05)
        proc.stdin.write('{"_id": 1}\n{\n  "_id": 2\n}')
        proc.stdin.flush()
        wait_until(lambda: self.db.s.count_documents({}) == 2)
        proc.stdin.write('{"_id": 3}{"_id": 4}{"_id":')
        proc.stdin.flush()
        wait_until(lambda: self.db.s.count_documents({}) == 4)
        time.sleep(0.2)  # the reader waits inside document 5
        proc.send_signal(signal.SIGINT)
        out = proc.stdout.read()
        proc.wait(timeout=60)
        reader.join(60)
        for f in (proc.stdout, proc.stderr, proc.stdin):
            f.close()
        self.assertEqual(proc.returncode, 1, (out, err))
        self.assertRegex(err[-1], r"^bulkql: error: cancelled while reading <stdin>, after 2 batches "
                                  r"\(BULK INSERT [^ ]+\.s at <command>:1\)\n$", err)
        self.assertEqual(self.docs("s"), [{"_id": i} for i in range(1, 5)])

    def test_records_longer_than_64_mib_are_failed_rows(self):
        big = "x" * (65 * 1024 * 1024)
        cases = [
            ("big.json", '{"_id": 1}\n{"_id": 2,\n "big": "%s"}\n{"_id": 3}\n' % big,
             "line 2: the document is longer than 64 MiB"),
            ("big2.json", '[{"_id": 1},\n {"_id": 2,\n "big": "%s"},\n {"_id": 3}]\n' % big,
             "line 2: the element is longer than 64 MiB"),
            ("big.ndjson", '{"_id": 1}\n{"_id": 2, "big": "%s"}\n{"_id": 3}\n' % big,
             "line 2: the line is longer than 64 MiB"),
        ]
        for name, text, msg in cases:
            with self.subTest(name):
                self.client.drop_database(self.dbname)
                if os.path.exists(self.path("failed.ndjson")):
                    os.unlink(self.path("failed.ndjson"))
                self.run_failing("BULK INSERT INTO t FROM '%s'", name, text, [(2, 2, msg, None)],
                                 [{"_id": 1}, {"_id": 3}])
                os.unlink(self.path(name))

    def test_documents_longer_than_the_read_buffers(self):
        import json
        docs = [{"_id": i, "s": chr(ord("a") + i) * (700 * 1024), "n": i} for i in range(1, 6)]
        text = "".join(json.dumps(d, indent=2) for d in docs)
        p = self.write("long.json", text)
        self.check_load("BULK INSERT INTO t FROM '%s'" % p, docs)


class LiteralsAndColumnsTest(JsonCase):
    def test_json_literal_in_a_statement(self):
        self.ok("BULK INSERT INTO t VALUES ({\"_id\": 1, \"at\": {\"$date\": \"2024-01-15T10:30:00+01:00\"}, "
                "\"n\": 99999999999999999999, \"d\": {$date: '2024-01-15'}})")
        self.ok("BULK INSERT INTO t (_id, at) VALUES (2, TIMESTAMP '2024-01-15T10:30:00.123456789-05:30')")
        self.assertEqual(self.docs("t"), [
            {"_id": 1, "at": dt(2024, 1, 15, 9, 30), "n": 1e20, "d": dt(2024, 1, 15)},
            {"_id": 2, "at": dt(2024, 1, 15, 16, 0, 0, 123000)},
        ])
        self.assertIs(type(self.docs("t")[0]["n"]), float)

    def test_json_literal_errors(self):
        cases = [
            ('BULK INSERT INTO t VALUES ({"_id": 1, "a": {"b": 1, "b": 2}})', '{"_id": 1, "a": {"b": 1, "b": 2}}',
             'invalid JSON literal: duplicate field name "a.b"', ""),
            ('BULK INSERT INTO t (a) VALUES ({"$date": "2024-01-15T25:00:00Z"})', '{"$date": "2024-01-15T25:00:00Z"}',
             'invalid JSON literal: $date: "2024-01-15T25:00:00Z" is not an ISO 8601 date',
             'hint: Write dates in ISO 8601: {"$date": "2024-01-15T10:30:00Z"}.\n'),
        ]
        for sql, span, msg, hint in cases:
            with self.subTest(sql):
                r = self.bulkql(sql=sql)
                self.assertEqual(r.rc, 1, r)
                self.assertEqual(r.err, located(sql, span, msg) + hint)
                self.assertEqual(self.db.list_collection_names(), [])

    def test_json_column_of_a_csv(self):
        self.run_failing(
            "BULK INSERT INTO t (_id INT, j JSON) FROM '%s'", "j.csv",
            '_id,j\n'
            '1,"{""at"": {""$date"": ""2024-01-15T10:30:00+01:00""}, ""n"": 99999999999999999999}"\n'
            '2,"{""a"": 1, ""a"": 2}"\n'
            '3,"{""a"": 1}} x"\n'
            '4,"[{""$date"": ""2024-01-15""}, 18446744073709551616]"\n'
            '5,"{""at"": {""$date"": ""2024-01-15T10:30:00+0""}}"\n',
            [(2, 3, 'line 3: column j: duplicate field name "a"', {"_id": "2", "j": '{"a": 1, "a": 2}'}),
             (3, 4, "line 4: column j: text after the JSON value (character 9 of the value)",
              {"_id": "3", "j": '{"a": 1}} x'}),
             (5, 6, 'line 6: column j: $date: "2024-01-15T10:30:00+0" is not an ISO 8601 date '
                    '(character 18 of the value)',
              {"_id": "5", "j": '{"at": {"$date": "2024-01-15T10:30:00+0"}}'})],
            [{"_id": 1, "j": {"at": dt(2024, 1, 15, 9, 30), "n": 1e20}},
             {"_id": 4, "j": [dt(2024, 1, 15), 18446744073709551616.0]}])

    def test_json_column_of_ndjson_given_as_a_string(self):
        p = self.write("j.ndjson", '{"_id": 1, "j": "{\\"at\\": {\\"$date\\": \\"2024-01-15T10:30:00-01:00\\"}}"}\n')
        self.check_load("BULK INSERT INTO t (j JSON) FROM '%s'" % p, [{"_id": 1, "j": {"at": dt(2024, 1, 15, 11, 30)}}])


if __name__ == "__main__":
    filestest.main()
