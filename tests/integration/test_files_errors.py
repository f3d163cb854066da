"""Bad input files (SPEC §4): each produces the documented failed rows or
the documented error, and nothing else. For failed rows: the good rows
are on the server, each failed row is in the reply, in failed_records_file
(row, line, reason, what was read of it) and in the one error record of
its batch, and the exit code and stderr are exact. For input that cannot
be read on: the error names the data file and its line and points at the
statement's FROM clause, and the rows before it are written."""
import gzip
import os
import sys
import zlib

import bson

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import filestest  # noqa: E402
from filestest import located  # noqa: E402


class FailedRowsTest(filestest.FilesCase):
    def run_failing(self, sql_fmt, name, text, expected, good, coll="t", n_rows=None, batch_size=None, gz=False):
        """Load text (as file name) with a failed_records_file; expect the
        failed rows [(row, line, error, document)] and the good documents."""
        p = self.write(name, text, gz=gz)
        fr = self.path("failed.ndjson")
        sql = sql_fmt % p + " WITH (failed_records_file = '%s')" % fr
        reply = self.load(sql, rc=1)
        self.assert_failed_rows(reply, expected)
        self.assertEqual(reply["nInserted"], len(good))
        rows = n_rows if n_rows is not None else len(good) + len(expected)
        self.assertEqual(reply["nRows"], rows)
        self.assertEqual(self.docs(coll), good)
        self.assert_error_record(reply, sql, expected, batch_size or rows, 1)
        return sql

    def test_ragged_csv_rows(self):
        self.run_failing(
            "BULK INSERT INTO t FROM '%s'", "r.csv",
            "_id,a,b\n1,x,y\n2,x\n3,x,y\n4,x,y,z\n\n5,\"multi\nline\",y,extra\n6,,\n",
            [(2, 3, "line 3: 2 fields, expected 3", {"fields": ["2", "x"]}),
             (4, 5, "line 5: 4 fields, expected 3", {"fields": ["4", "x", "y", "z"]}),
             (5, 7, "line 7: 4 fields, expected 3", {"fields": ["5", "multi\nline", "y", "extra"]})],
            [{"_id": 1, "a": "x", "b": "y"}, {"_id": 3, "a": "x", "b": "y"}, {"_id": 6, "a": None, "b": None}])

    def test_bad_quoting(self):
        self.run_failing(
            "BULK INSERT INTO t FROM '%s'", "q.csv",
            '_id,a\n1,"ok"\n2,"closed"then text\n3,in"side\n4,"ok, again"\n',
            [(2, 3, "line 3: bad quoting: a quote inside an unquoted field, or text after a closing quote (RFC 4180)",
              None),
             (3, 4, "line 4: bad quoting: a quote inside an unquoted field, or text after a closing quote (RFC 4180)",
              None)],
            [{"_id": 1, "a": "ok"}, {"_id": 4, "a": "ok, again"}])

    def test_quote_never_closed(self):
        self.run_failing(
            "BULK INSERT INTO t FROM '%s'", "u.csv",
            '_id,a\n1,a\n2,"opened\n3,b\n',
            [(2, 3, "line 3: a quoted field opened on this line is not closed at the end of the input", None)],
            [{"_id": 1, "a": "a"}])

    def test_invalid_utf8_in_csv(self):
        self.run_failing(
            "BULK INSERT INTO t FROM '%s'", "u8.csv",
            b"_id,name\n1,caf\xc3\xa9\n2,caf\xe9\n3,\xff\xfe\n4,ok\n",
            [(2, 3, "line 3: column name: not valid UTF-8", {"_id": "2", "name": None}),
             (3, 4, "line 4: column name: not valid UTF-8", {"_id": "3", "name": None})],
            [{"_id": 1, "name": "caf\u00e9"}, {"_id": 4, "name": "ok"}])

    def test_invalid_utf8_in_ndjson(self):
        self.run_failing(
            "BULK INSERT INTO t FROM '%s'", "u8.ndjson",
            b'{"_id": 1, "s": "caf\xc3\xa9"}\n{"_id": 2, "s": "caf\xe9"}\n{"_id": 3, "\xff": 1}\n{"_id": 4}\n',
            [(2, 2, "line 2: invalid JSON: invalid bytes in UTF8 string", None),
             (3, 3, "line 3: invalid JSON: invalid bytes in UTF8 string", None)],
            [{"_id": 1, "s": "caf\u00e9"}, {"_id": 4}])

    def test_bad_dates_in_a_timestamp_column(self):
        self.run_failing(
            "BULK INSERT INTO t (_id INT, at TIMESTAMP) FROM '%s'", "d.csv",
            "_id,at\n1,2024-01-15T10:30:00Z\n2,2024-13-01\n3,2024-02-30T00:00:00Z\n4,yesterday\n"
            "5,2024-01-15T25:00:00Z\n6,2024-01-15T10:30:00+2\n7,2023-02-28\n",
            [(2, 3, 'line 3: column at: "2024-13-01" is not an ISO 8601 date', {"_id": "2", "at": "2024-13-01"}),
             (3, 4, 'line 4: column at: "2024-02-30T00:00:00Z" is not an ISO 8601 date',
              {"_id": "3", "at": "2024-02-30T00:00:00Z"}),
             (4, 5, 'line 5: column at: "yesterday" is not an ISO 8601 date', {"_id": "4", "at": "yesterday"}),
             (5, 6, 'line 6: column at: "2024-01-15T25:00:00Z" is not an ISO 8601 date',
              {"_id": "5", "at": "2024-01-15T25:00:00Z"}),
             (6, 7, 'line 7: column at: "2024-01-15T10:30:00+2" is not an ISO 8601 date',
              {"_id": "6", "at": "2024-01-15T10:30:00+2"})],
            [{"_id": 1, "at": filestest_dt(2024, 1, 15, 10, 30)}, {"_id": 7, "at": filestest_dt(2023, 2, 28)}])

    def test_values_not_convertible_to_int(self):
        self.run_failing(
            "BULK INSERT INTO t (_id INT, n INT) FROM '%s'", "i.csv",
            "_id,n\n1,42\n2,12a\n3,1.5\n4,2147483648\n5, 7\n6,-2147483648\n",
            [(2, 3, 'line 3: column n: "12a" is not an integer', {"_id": "2", "n": "12a"}),
             (3, 4, 'line 4: column n: "1.5" is not an integer', {"_id": "3", "n": "1.5"}),
             (4, 5, "line 5: column n: 2147483648 is out of range for INT", {"_id": "4", "n": "2147483648"}),
             (5, 6, 'line 6: column n: " 7" is not an integer', {"_id": "5", "n": " 7"})],
            [{"_id": 1, "n": 42}, {"_id": 6, "n": -2147483648}])

    def test_ndjson_value_not_convertible(self):
        self.run_failing(
            "BULK INSERT INTO t (_id INT, n INT) FROM '%s'", "i.ndjson",
            '{"_id": 1, "n": "42"}\n{"_id": 2, "n": "x"}\n{"_id": 3, "n": 1.5}\n{"_id": 4, "n": true}\n',
            [(2, 2, 'line 2: column n: "x" is not an integer', {"_id": 2, "n": "x"}),
             (3, 3, "line 3: column n: 1.5 is not an integer", {"_id": 3, "n": 1.5}),
             (4, 4, "line 4: column n: a boolean does not fit an INT column", {"_id": 4, "n": True})],
            [{"_id": 1, "n": 42}])

    def test_check_failures(self):
        self.run_failing(
            "BULK INSERT INTO t (_id INT, price DOUBLE) FROM '%s' CHECK (price > 0 AND _id < 100)", "c.csv",
            "_id,price\n1,9.5\n2,-1\n3,0\n4,\n100,1\n5,2\n",
            [(2, 3, "line 3: CHECK (price > 0 AND _id < 100) failed", {"_id": 2, "price": -1.0}),
             (3, 4, "line 4: CHECK (price > 0 AND _id < 100) failed", {"_id": 3, "price": 0.0}),
             (5, 6, "line 6: CHECK (price > 0 AND _id < 100) failed", {"_id": 100, "price": 1.0})],
            [{"_id": 1, "price": 9.5}, {"_id": 4, "price": None}, {"_id": 5, "price": 2.0}])

    def test_check_failures_in_a_json_array_name_the_element_line(self):
        self.run_failing(
            "BULK INSERT INTO t FROM '%s' CHECK (qty >= 1)", "c.json",
            '[{"_id": 1, "qty": 1},\n {"_id": 2,\n  "qty": 0},\n {"_id": 3, "qty": 5}]',
            [(2, 2, "line 2: CHECK (qty >= 1) failed", {"_id": 2, "qty": 0})],
            [{"_id": 1, "qty": 1}, {"_id": 3, "qty": 5}])

    def test_malformed_ndjson_lines(self):
        self.run_failing(
            "BULK INSERT INTO t FROM '%s'", "m.ndjson",
            '{"_id": 1}\n{"_id": 2,}\n[1, 2]\n{"_id": 4} {"_id": 5}\n"text"\n{"_id": 6\n{"_id": 7}\n'
            '{"_id": 8} trailing\n{"_id": 9}',
            [(2, 2, "line 2: invalid JSON: Got parse error at \"}\", position 10: \"TRAILING_COMMA\"", None),
             (3, 3, "line 3: not a JSON document (an object in braces)", None),
             (4, 4, "line 4, column 12: text after the document", None),
             (5, 5, "line 5: not a JSON document (an object in braces)", None),
             (6, 6, "line 6: invalid JSON: Incomplete JSON", None),
             (8, 8, "line 8, column 12: text after the document", None)],
            [{"_id": 1}, {"_id": 7}, {"_id": 9}])

    def test_bad_element_of_a_json_array(self):
        self.run_failing(
            "BULK INSERT INTO t FROM '%s'", "e.json",
            '[\n  {"_id": 1},\n  {"_id": tru},\n  7,\n  {"_id": 4}\n]\n',
            [(2, 3, "line 3: invalid JSON: Got parse error at \"}\", position 11: \"SPECIAL_INCOMPLETE\"", None),
             (3, 4, "line 4: not a JSON document (an object in braces)", None)],
            [{"_id": 1}, {"_id": 4}])

    def test_field_names_starting_with_dollar_or_holding_nul(self):
        self.run_failing(
            "BULK INSERT INTO t FROM '%s'", "k.ndjson",
            '{"_id": 1, "a": {"b": 1}}\n{"_id": 2, "a": {"$gt": ""}}\n{"_id": 3, "$set": {"x": 1}}\n'
            '{"_id": 4, "a\\u0000b": 1}\n{"_id": 5, "l": [{"$where": "1"}]}\n{"_id": 6, "d": {"$date": 0}}\n',
            [(2, 2, "line 2: column \"a.$gt\": a field name cannot start with '$'", None),
             (3, 3, "line 3: column \"$set\": a field name cannot start with '$'", None),
             (4, 4, "line 4: column \"a\\u0000b\": a field name cannot contain NUL", None),
             (5, 5, "line 5: column \"l.0.$where\": a field name cannot start with '$'", None)],
            [{"_id": 1, "a": {"b": 1}}, {"_id": 6, "d": filestest_dt(1970, 1, 1)}])

    def test_json_column_of_a_csv_with_an_operator(self):
        self.run_failing(
            "BULK INSERT INTO t (_id INT, j JSON) FROM '%s'", "j.csv",
            '_id,j\n1,"{""a"": 1}"\n2,"{""$gt"": """"}"\n3,"{""a"": tru}"\n',
            [(2, 3, "line 3: column \"j.$gt\": a field name cannot start with '$'", None),
             (3, 4, "line 4: column j: invalid JSON: Got parse error at \"}\", position 14: \"SPECIAL_INCOMPLETE\"",
              {"_id": "3", "j": '{"a": tru}'})],
            [{"_id": 1, "j": {"a": 1}}])

    def test_json_column_of_ndjson_parsed_from_a_string_is_checked_too(self):
        self.run_failing(
            "BULK INSERT INTO t (j JSON) FROM '%s'", "j.ndjson",
            '{"_id": 1, "j": "{\\"a\\": [1]}"}\n{"_id": 2, "j": "{\\"$gt\\": 1}"}\n',
            [(2, 2, "line 2: column \"j.$gt\": a field name cannot start with '$'", None)],
            [{"_id": 1, "j": {"a": [1]}}])

    def test_a_20_mb_line_is_a_failed_row_over_the_bson_limit(self):
        big = "x" * (20 * 1024 * 1024)
        text = '{"_id": 1}\n{"_id": 2, "big": "%s"}\n{"_id": 3}\n' % big
        self.run_failing(
            "BULK INSERT INTO t FROM '%s'", "big.ndjson", text,
            [(2, 2, "line 2: the document is %d bytes, larger than the 16 MiB limit of the server "
              "(maxBsonObjectSize)" % len(bson.encode({"_id": 2, "big": big})), None)],
            [{"_id": 1}, {"_id": 3}])

    def test_a_20_mb_csv_field_is_a_failed_row_over_the_bson_limit(self):
        big = "y" * (20 * 1024 * 1024)
        self.run_failing(
            "BULK INSERT INTO t FROM '%s'", "big.csv", "_id,v\n1,a\n2,%s\n3,c\n" % big,
            [(2, 3, "line 3: the document is %d bytes, larger than the 16 MiB limit of the server "
              "(maxBsonObjectSize)" % len(bson.encode({"_id": 2, "v": big})), None)],
            [{"_id": 1, "v": "a"}, {"_id": 3, "v": "c"}])

    def test_failed_rows_are_numbered_across_batches(self):
        lines = "".join('{"_id": %d}\n' % i if i % 7 else '{"_id": %d,\n' % i for i in range(1, 23))
        p = self.write("b.ndjson", lines)
        fr = self.path("failed.ndjson")
        sql = ("BULK INSERT INTO t FROM '%s' WITH (batch_size = 5, continue_on_error = true, "
               "failed_records_file = '%s')" % (p, fr))
        reply = self.load(sql, rc=1)
        expected = [(i, i, "line %d: invalid JSON: Incomplete JSON" % i, None) for i in (7, 14, 21)]
        self.assert_failed_rows(reply, expected)
        self.assertEqual(self.docs("t"), [{"_id": i} for i in range(1, 23) if i % 7])
        self.assertEqual([(r["batchIndex"], r["firstRow"], [e["row"] for e in r["writeErrors"]])
                          for r in self.error_records()], [(1, 6, [7]), (2, 11, [14]), (4, 21, [21])])

    def test_table_output_and_stderr(self):
        p = self.write("t.csv", "_id,n\n1,1\n2,x\n")
        r = self.table("BULK INSERT INTO t (n INT) FROM '%s'" % p, 1)
        self.assertIn("    row 2: line 3: column n: \"x\" is not an integer\n", r.out)
        self.assertEqual(r.err, "bulkql: error: 1 row failed (BULK INSERT %s.t at <command>:1)\n" % self.dbname)
        self.assertEqual(self.docs("t"), [{"_id": 1, "n": 1}])


def filestest_dt(*a):
    import datetime
    return datetime.datetime(*a)


class FatalInputTest(filestest.FilesCase):
    """Input that cannot be read on: a statement error, nothing else."""

    def fatal(self, sql, span, message, good=(), rc=1):
        r = self.bulkql(sql=sql)
        self.assertEqual(r.rc, rc, r)
        self.assertEqual(r.err, located(sql, span, message))
        self.assertEqual(self.docs("t"), list(good))
        self.assertEqual(self.error_records(), [])
        return r

    def test_truncated_gzip_names_the_line_and_writes_the_rows_before(self):
        lines = "".join('{"_id": %d, "pad": "%s"}\n' % (i, "p" * (i % 50)) for i in range(1, 20001))
        data = gzip.compress(lines.encode())
        p = self.write("cut.ndjson.gz", data[: len(data) // 2])
        # how far the cut stream goes
        d = zlib.decompressobj(wbits=31)
        part = d.decompress(data[: len(data) // 2])
        complete = part.count(b"\n")
        sql = "BULK INSERT INTO t FROM '%s' WITH (batch_size = 1000)" % p
        self.fatal(sql, "FROM '%s'" % p,
                  "%s:%d: the gzip stream is truncated (unexpected end of file)" % (p, complete + 1),
                  [{"_id": i, "pad": "p" * (i % 50)} for i in range(1, complete + 1)])

    def test_truncated_gzip_csv_from_stdin(self):
        data = gzip.compress(b"a,b\n" + b"".join(b"%d,x\n" % i for i in range(1, 3001)))
        cut = data[:-12]
        complete = zlib.decompressobj(wbits=31).decompress(cut).count(b"\n")
        self.assertGreater(complete, 2000)
        sql = "BULK INSERT INTO t FROM STDIN FORMAT CSV COMPRESSION GZIP"
        r = self.run_bytes("-c", sql, stdin=cut)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.err, located(sql, "FROM STDIN FORMAT CSV COMPRESSION GZIP",
                                        "<stdin>:%d: the gzip stream is truncated (unexpected end of file)"
                                        % (complete + 1)))
        docs = self.docs("t", sort="a")
        self.assertTrue(all(isinstance(d.pop("_id"), bson.ObjectId) for d in docs))
        self.assertEqual(docs, [{"a": i, "b": "x"} for i in range(1, complete)])

    def test_not_gzip_given_compression_gzip(self):
        p = self.write("plain.csv", "_id\n1\n2\n")
        sql = "BULK INSERT INTO t FROM '%s' COMPRESSION GZIP" % p
        self.fatal(sql, "FROM '%s' COMPRESSION GZIP" % p, "'%s' is not gzip-compressed (COMPRESSION GZIP)" % p)

    def test_not_gzip_named_gz(self):
        p = self.write("plain.ndjson.gz", '{"_id": 1}\n')
        sql = "BULK INSERT INTO t FROM '%s'" % p
        self.fatal(sql, "FROM '%s'" % p, "'%s' is not gzip-compressed (its name ends in .gz)" % p)

    def test_corrupt_gzip(self):
        data = bytearray(gzip.compress(b"".join(b'{"_id": %d}\n' % i for i in range(1, 5000))))
        for i in range(40, 60):
            data[i] ^= 0x5A
        p = self.write("bad.ndjson.gz", bytes(data))
        sql = "BULK INSERT INTO t FROM '%s'" % p
        r = self.bulkql(sql=sql)
        self.assertEqual(r.rc, 1, r)
        self.assertRegex(r.err, r"^<command>:1:20: error: %s:\d+: cannot read the gzip stream: invalid [a-z -/]+\n"
                         % p.replace(".", r"\."))
        self.assertEqual(self.error_records(), [])

    def test_json_array_element_not_closed(self):
        p = self.write("open.json", '[\n {"_id": 1},\n {"_id": 2,\n  "a": [1, 2}\n]\n')
        sql = "BULK INSERT INTO t FROM '%s'" % p
        self.fatal(sql, "FROM '%s'" % p,
                  "%s:4: '}' does not close what is open in the JSON array element that starts on line 3" % p,
                  [{"_id": 1}])

    def test_json_array_element_cut_off(self):
        p = self.write("cut.json", '[\n {"_id": 1},\n {"_id": 2,\n  "a": "x"\n')
        sql = "BULK INSERT INTO t FROM '%s'" % p
        self.fatal(sql, "FROM '%s'" % p,
                  "%s:3: the JSON array element that starts on this line is not closed at the end of the input" % p,
                  [{"_id": 1}])

    def test_json_array_not_closed(self):
        p = self.write("nc.json", '[{"_id": 1},\n {"_id": 2}\n')
        sql = "BULK INSERT INTO t FROM '%s'" % p
        self.fatal(sql, "FROM '%s'" % p,
                  "%s:2: the JSON array is not closed: no ']' after the element that starts on this line" % p,
                  [{"_id": 1}, {"_id": 2}])

    def test_json_array_trailing_comma_and_text_after(self):
        p = self.write("tc.json", '[{"_id": 1}, ]')
        sql = "BULK INSERT INTO t FROM '%s'" % p
        self.fatal(sql, "FROM '%s'" % p, "%s:1: a ',' before the ']' that closes the JSON array" % p, [{"_id": 1}])
        self.db.t.drop()
        p = self.write("ta.json", '[{"_id": 1}]\n\n[{"_id": 2}]')
        sql = "BULK INSERT INTO t FROM '%s'" % p
        self.fatal(sql, "FROM '%s'" % p, "%s:3: text after the end of the JSON array" % p, [{"_id": 1}])

    def test_json_file_that_is_not_an_array(self):
        # (a stream of documents is read: test_files_json.JsonStreamTest)
        p = self.write("nd.json", '"_id": 1\n')
        sql = "BULK INSERT INTO t FROM '%s'" % p
        self.fatal(sql, "FROM '%s'" % p, "%s:1: a JSON file must hold an array of documents or documents one after "
                   "another, not start with '\"' (for one document per line use FORMAT NDJSON)" % p)

    def test_csv_header_problems(self):
        cases = [
            (b"_id,$where\n1,2\n", "%s:1: column 2 of the header: column name \"$where\" has a part starting with '$'"),
            (b"_id,a\x00b\n1,2\n", "%s:1: column 2 of the header, \"a\\0b\": a field name cannot contain NUL"),
            (b"_id,,b\n1,2,3\n", "%s:1: column 2 of the header has no name"),
            (b"_id,a,a\n1,2,3\n", "%s:1: column 3 of the header: column \"a\" is given twice or overlaps another "
                                  "column"),
            (b"_id,\"a\n", "%s:1: cannot read the header: a quoted field opened on this line is not closed at the end "
                           "of the input"),
        ]
        for data, msg in cases:
            with self.subTest(msg):
                p = self.write("h.csv", data)
                sql = "BULK INSERT INTO t FROM '%s'" % p
                self.fatal(sql, "FROM '%s'" % p, msg % p)

    def test_listed_column_missing_from_the_header(self):
        p = self.write("h.csv", "_id,b\n1,2\n")
        sql = "BULK INSERT INTO t (_id INT, a INT) FROM '%s'" % p
        self.fatal(sql, "FROM '%s'" % p, "%s:1: column \"a\" of the column list is not in the header" % p)

    def test_csv_without_header_or_columns(self):
        p = self.write("nh.csv", "1,2\n")
        sql = "BULK INSERT INTO t FROM '%s' (header = false)" % p
        self.fatal(sql, "FROM '%s' (header = false)" % p, "%s:1: a CSV file without a header needs a column list" % p)

    def test_missing_file(self):
        p = self.path("nowhere.csv")
        sql = "BULK INSERT INTO t FROM '%s'" % p
        self.fatal(sql, "FROM '%s'" % p, "cannot open '%s': No such file or directory" % p)

    def test_directory(self):
        sql = "BULK INSERT INTO t FROM '%s' FORMAT CSV" % self.dir
        self.fatal(sql, "FROM '%s' FORMAT CSV" % self.dir, "cannot read '%s': it is a directory" % self.dir)

    def test_error_position_in_a_script_file(self):
        p = self.write("plain.csv", "_id\n1\n")
        script = self.write("load.sql", "-- load\nBULK INSERT INTO t\n    FROM '%s' COMPRESSION GZIP;\n" % p)
        r = self.bulkql("-f", script)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.err, "%s:3:5: error: '%s' is not gzip-compressed (COMPRESSION GZIP)\n"
                                "    3 |     FROM '%s' COMPRESSION GZIP;\n"
                                "      |     %s\n" % (script, p, p, "^" * len("FROM '%s' COMPRESSION GZIP" % p)))

    def test_from_stdin_when_stdin_holds_the_statements(self):
        r = self.bulkql(stdin="BULK INSERT INTO t FROM STDIN FORMAT NDJSON;\n")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.err, "bulkql: error: FROM STDIN cannot read standard input here: it holds the "
                                "statements; give them with -f or -c\n")
        self.assertEqual(self.db.list_collection_names(), [])

    def test_decimal_on_a_server_that_closes_the_connection(self):
        # FerretDB closes the connection on Decimal128 (FERRETDB.md): known
        # by its buildInfo, the row fails with the missing feature named,
        # unsent: no lost connection, no retries
        if "ferretdbVersion" not in self.client.admin.command("buildInfo"):
            self.skipTest("the server stores Decimal128 (test_decimal.py)")
        p = self.write("dec.csv", "_id,amount\n1,1.10\n")
        sql = "BULK INSERT INTO t (_id INT, amount DECIMAL) FROM '%s' WITH (retry_attempts = 3, retry_backoff_ms = 10)" % p
        r = self.bulkql(sql=sql, timeout=60)
        self.assertEqual(r.rc, 1, r)
        self.assertIn("row 1: not written: the server does not support Decimal128: field amount holds a Decimal128 "
                      "(FerretDB closes the connection on one)\n", r.out)
        self.assertRegex(r.err, r"^bulkql: error: 1 row failed \(BULK INSERT [^ ]+\.t at <command>:1\)\n$")
        self.assertEqual(self.docs("t"), [])


if __name__ == "__main__":
    filestest.main()
