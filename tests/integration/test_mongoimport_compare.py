"""Side by side with mongoimport: the same files, loaded by both tools.

Each case loads fixture files from tests/fixtures/mongoimport/ (small files
in the shapes of mongoimport's own test data and of public data sets: CSV
with a header, dotted headers, quoted fields holding commas, quotes and
line breaks, TSV, NDJSON with Extended JSON types, a JSON array, nested
documents and arrays, unicode) into the live server twice: once with
MongoDB's mongoimport (the real program, 100.18.0) and once with bulkql,
into two collections of the test's database. Both collections are then
read back with pymongo as canonical Extended JSON (so an int32 and an
int64 of the same value differ), generated ObjectId _ids dropped, sorted by
a key of the data, and compared. Where the tools deliberately differ the
test asserts exactly what each one stores, with the reason in a comment;
README.md's "Coming from mongoimport" lists the same differences.

mongoimport is found at $BULKQL_MONGOIMPORT, else at shared/tools/mongoimport
beside the clone (../shared/tools/mongoimport from the top of the tree); the
test fails, and says so, when it is missing.

The cases in ModesCompare cover the statements and options made for
people who switch from mongoimport (per-column type inference, blanks,
array_index_fields, BINARY and TIMESTAMP FORMAT columns, DO REPLACE,
DO UPDATE SET *, BULK DELETE ... USING, drop, FORMAT JSON over a stream of
documents).
"""
import atexit
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import bson  # noqa: E402
import bson.json_util  # noqa: E402

import bqltest  # noqa: E402
import wireproxy  # noqa: E402

FIX = os.path.join(bqltest.TOP, "tests", "fixtures", "mongoimport")
DEFAULT_MONGOIMPORT = os.path.normpath(os.path.join(bqltest.TOP, "..", "shared", "tools", "mongoimport"))


def find_mongoimport():
    """The mongoimport program to run, or exit with a message saying where it was looked for."""
    path = os.environ.get("BULKQL_MONGOIMPORT") or DEFAULT_MONGOIMPORT
    if not os.path.isfile(path):
        sys.exit("test_mongoimport_compare: mongoimport not found at %s: set BULKQL_MONGOIMPORT to "
                 "the mongoimport program (MongoDB Database Tools 100.x), or put it at %s"
                 % (path, DEFAULT_MONGOIMPORT))
    if not os.access(path, os.X_OK):
        # the shared copy may lack the bits we need: run a private copy
        tmp = tempfile.mkdtemp(prefix="bqlmi_")
        atexit.register(shutil.rmtree, tmp, True)
        copy = os.path.join(tmp, "mongoimport")
        shutil.copy(path, copy)
        os.chmod(copy, os.stat(copy).st_mode | stat.S_IXUSR)
        path = copy
    return path


def fix(name):
    return os.path.join(FIX, name)


def canonical(doc):
    """doc as canonical Extended JSON (a plain dict): types are kept apart."""
    return json.loads(bson.json_util.dumps(doc, json_options=bson.json_util.CANONICAL_JSON_OPTIONS))


class CompareCase(bqltest.BulkqlCase):
    """Helpers: run both tools into collections mi and bq; read them back."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mongoimport_bin = find_mongoimport()

    def mongoimport(self, coll, *args, rc=0):
        """Run mongoimport into coll of the test's database; check its exit code; its stderr."""
        cmd = [self.mongoimport_bin, "--uri", bqltest.URI, "--db", self.dbname, "--collection", coll]
        cmd += list(args)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, rc, "%s\n%s" % (" ".join(cmd), proc.stderr))
        return proc.stderr

    def load(self, sql, rc=0):
        """Run sql with bulkql (--format json); check its exit code; its result."""
        r = self.bulkql("--format", "json", sql=sql)
        self.assertEqual(r.rc, rc, r)
        res = self.json_result(r)
        return res[-1] if res else None

    def stored(self, coll, key, keep_id=False):
        """coll's documents as canonical Extended JSON, sorted by key, _id dropped unless keep_id."""
        out = []
        for d in self.db[coll].find({}):
            d = canonical(d)
            if not keep_id:
                d.pop("_id", None)
            out.append(d)
        return sorted(out, key=lambda d: json.dumps(d.get(key), sort_keys=True))

    def assertSame(self, key, keep_id=False, mi="mi", bq="bq"):
        a = self.stored(mi, key, keep_id)
        b = self.stored(bq, key, keep_id)
        self.assertTrue(a, "mongoimport stored nothing")
        self.assertEqual(a, b)
        return a

    def split(self, docs, fields):
        """docs without the (top-level) fields, and the fields' values per document."""
        rest, vals = [], []
        for d in docs:
            d = dict(d)
            vals.append({f: d.pop(f, "<absent>") for f in fields})
            rest.append(d)
        return rest, vals


# Canonical Extended JSON of the values used below.
def i32(n):
    return {"$numberInt": str(n)}


def i64(n):
    return {"$numberLong": str(n)}


def dbl(s):
    return {"$numberDouble": s}


def date(ms):
    return {"$date": {"$numberLong": str(ms)}}


class Compare(CompareCase):
    """What both tools can do today."""

    def test_ndjson_extended_json(self):
        # $oid, $date (ISO and $numberLong), $numberLong, $binary,
        # $regularExpression, $timestamp, nested documents and arrays,
        # unicode escapes, a string that looks like an operator: stored alike,
        # _ids included. (No $numberDecimal: the test server cannot store
        # Decimal128; both tools send it the same way.)
        self.mongoimport("mi", "--type", "json", "--file", fix("events.ndjson"))
        self.load("BULK INSERT INTO bq FROM '%s';" % fix("events.ndjson"))
        docs = self.assertSame("_id", keep_id=True)
        self.assertEqual(len(docs), 3)
        self.assertEqual(docs[0]["n"], i64(9007199254740993))
        self.assertEqual(docs[2]["lit"], '{"$gt": ""}')

    def test_json_array(self):
        # --jsonArray = FROM 'x.json' (FORMAT JSON): an array of documents.
        self.mongoimport("mi", "--type", "json", "--jsonArray", "--file", fix("orders.json"))
        self.load("BULK INSERT INTO bq FROM '%s' FORMAT JSON;" % fix("orders.json"))
        docs = self.assertSame("order")
        self.assertEqual([d["order"] for d in docs], [i32(1001), i32(1002), i32(1003)])

    def test_csv_headerline(self):
        # --type csv --headerline = FROM 'x.csv' (the header is read by
        # default). Dotted headers nest, quoted fields keep commas, "" and
        # line breaks, unicode passes through, quoted spaces are kept: alike.
        self.mongoimport("mi", "--type", "csv", "--headerline", "--file", fix("people.csv"))
        self.load("BULK INSERT INTO bq FROM '%s';" % fix("people.csv"))
        mi, mi_v = self.split(self.stored("mi", "id"), ["zip", "age", "note", "address"])
        bq, bq_v = self.split(self.stored("bq", "id"), ["zip", "age", "note", "address"])
        self.assertEqual(mi, bq)
        self.assertEqual(bq[2]["name"], 'Zoë "Z" Ødegaard')
        # Leading zeros: mongoimport reads 00501 as the int 501 (a ZIP code
        # loses its zeros and can no longer be matched as text); BulkQL
        # keeps a number written with leading zeros as the string the file
        # holds, as a value must never be stored differently from the file.
        self.assertEqual([v["zip"] for v in mi_v], [i32(501), i32(7030), i32(2134), i32(1001)])
        self.assertEqual([v["zip"] for v in bq_v], ["00501", "07030", "02134", "01001"])
        # Blank fields: mongoimport stores the empty string "" (in a column
        # of numbers too); BulkQL stores null, so that a missing value is
        # not taken for text ("" stays "" when the file quotes it).
        self.assertEqual([v["age"] for v in mi_v], [i32(31), "", i32(40), i32(28)])
        self.assertEqual([v["age"] for v in bq_v], [i32(31), None, i32(40), i32(28)])
        self.assertEqual([v["note"] for v in mi_v], ["Smith, Jr.", " padded ", "two\nlines", ""])
        self.assertEqual([v["note"] for v in bq_v], ["Smith, Jr.", " padded ", "two\nlines", None])
        self.assertEqual(mi_v[3]["address"], {"city": "", "geo": {"lat": ""}})
        self.assertEqual(bq_v[3]["address"], {"city": None, "geo": {"lat": None}})
        self.assertEqual(mi_v[0]["address"], bq_v[0]["address"])
        self.assertEqual(bq_v[0]["address"], {"city": "Holtsville", "geo": {"lat": dbl("40.81")}})

    def test_csv_line_breaks_in_quoted_fields(self):
        # A quoted field that holds CRLF is stored with LF by both tools
        # (mongoimport's CSV reader drops the CR of a CRLF inside quotes as
        # outside them); an LF alone and a CR alone are kept as they are.
        # Lines may end with CRLF or LF. (Written here, not a fixture, so
        # that no checkout setting can change its line ends.)
        path = os.path.join(tempfile.mkdtemp(prefix="bqlcrlf_"), "line_breaks.csv")
        self.addCleanup(shutil.rmtree, os.path.dirname(path), True)
        with open(path, "wb") as f:
            f.write(b'id,note,tail\r\n1,"two\r\nlines",x\r\n2,"lf\nonly",y\n3,"lone\rcr",z\r\n'
                    b'4,"ends\r\n",w\r\n5,plain,v\r\n')
        self.mongoimport("mi", "--type", "csv", "--headerline", "--file", path)
        self.load("BULK INSERT INTO bq FROM '%s';" % path)
        docs = self.assertSame("id")
        self.assertEqual([(d["note"], d["tail"]) for d in docs],
                         [("two\nlines", "x"), ("lf\nonly", "y"), ("lone\rcr", "z"), ("ends\n", "w"), ("plain", "v")])

    def test_tsv_headerline(self):
        # --type tsv --headerline = FROM 'x.tsv'.
        self.mongoimport("mi", "--type", "tsv", "--headerline", "--file", fix("items.tsv"))
        self.load("BULK INSERT INTO bq FROM '%s';" % fix("items.tsv"))
        mi, mi_v = self.split(self.stored("mi", "id"), ["qty", "name"])
        bq, bq_v = self.split(self.stored("bq", "id"), ["qty", "name"])
        self.assertEqual(mi, bq)
        self.assertEqual(bq[1]["city"], "New York")
        # Blank: "" against null, as for CSV.
        self.assertEqual([v["qty"] for v in mi_v], [i32(10), "", i32(7)])
        self.assertEqual([v["qty"] for v in bq_v], [i32(10), None, i32(7)])
        # Quotes: mongoimport's TSV has no quoting, so "quoted" keeps its
        # quotes; BulkQL reads TSV with CSV's quoting rules (RFC 4180 with
        # a tab), so that a field can hold a tab or a line break.
        self.assertEqual([v["name"] for v in mi_v], ["Widget", "Gadget, large", '"quoted"'])
        self.assertEqual([v["name"] for v in bq_v], ["Widget", "Gadget, large", "quoted"])

    def test_csv_fields_without_header(self):
        # --fields id,name,age = a column list with (header = false).
        self.mongoimport("mi", "--type", "csv", "--fields", "id,name,age", "--file", fix("noheader.csv"))
        self.load("BULK INSERT INTO bq (id, name, age) FROM '%s' (header = false);" % fix("noheader.csv"))
        mi, mi_v = self.split(self.stored("mi", "id"), ["age"])
        bq, bq_v = self.split(self.stored("bq", "id"), ["age"])
        self.assertEqual(mi, bq)
        self.assertEqual(bq[2], {"id": i32(3), "name": "cé"})
        self.assertEqual([v["age"] for v in mi_v], [i32(31), "", i32(7)])  # blank: "" against null
        self.assertEqual([v["age"] for v in bq_v], [i32(31), None, i32(7)])

    def test_columns_have_types(self):
        # --columnsHaveTypes with --fieldFile (name.type() per line) = a
        # typed column list: string() STRING, int32() INT, int64() BIGINT,
        # double() DOUBLE, boolean() BOOL, date(2006-01-02) DATE,
        # date(RFC 3339 layout) TIMESTAMP. Stored alike.
        self.mongoimport("mi", "--type", "csv", "--fieldFile", fix("typed.fields"), "--columnsHaveTypes",
                         "--file", fix("typed.csv"))
        self.load("BULK INSERT INTO bq (sku STRING, qty INT, big BIGINT, price DOUBLE, active BOOL, made DATE,"
                  " zip STRING, at TIMESTAMP) FROM '%s' (header = false);" % fix("typed.csv"))
        docs = self.assertSame("sku")
        self.assertEqual(docs[0], {"sku": "A-1", "qty": i32(5), "big": i64(9007199254740993),
                                   "price": dbl("2.5"), "active": True, "made": date(1705276800000),
                                   "zip": "00501", "at": date(1705314600000)})
        self.assertEqual(docs[1]["at"], date(1706742000000))  # +01:00 applied by both

    def test_dotted_index_headers_without_array_index_fields(self):
        # Without --useArrayIndexFields (array_index_fields) both nest
        # tags.0 as a document with the key "0".
        self.mongoimport("mi", "--type", "csv", "--headerline", "--file", fix("array_index.csv"))
        self.load("BULK INSERT INTO bq FROM '%s';" % fix("array_index.csv"))
        docs = self.assertSame("id")
        self.assertEqual(docs[0]["tags"], {"0": "red", "1": "blue"})

    def test_mode_merge_with_a_set_list(self):
        # --mode merge --upsertFields sku = BULK UPSERT ... ON CONFLICT (sku)
        # DO UPDATE SET each column = EXCLUDED.column: matched documents
        # keep their other fields, new keys are inserted.
        self.mongoimport("mi", "--file", fix("products.ndjson"))
        self.mongoimport("mi", "--type", "csv", "--headerline", "--mode", "merge", "--upsertFields", "sku",
                         "--file", fix("changes.csv"))
        self.load("BULK INSERT INTO bq FROM '%s';" % fix("products.ndjson"))
        self.load("BULK UPSERT INTO bq FROM '%s' ON CONFLICT (sku)"
                  " DO UPDATE SET price = EXCLUDED.price, color = EXCLUDED.color;" % fix("changes.csv"))
        docs = self.assertSame("sku")
        self.assertEqual(docs[0], {"sku": "A", "name": "apple", "price": dbl("1.5"), "stock": i32(10), "color": "red"})
        self.assertEqual(docs[3], {"sku": "D", "price": dbl("4.5"), "color": "purple"})

    def test_insert_over_existing_ids(self):
        # --mode insert over documents that exist: both write the new _ids
        # and leave the existing ones as they are.
        self.mongoimport("mi", "--file", fix("ids_first.ndjson"))
        err = self.mongoimport("mi", "--file", fix("ids_second.ndjson"))
        failed = os.path.join(tempfile.mkdtemp(prefix="bqlmi_"), "failed.ndjson")
        self.addCleanup(shutil.rmtree, os.path.dirname(failed))
        self.load("BULK INSERT INTO bq FROM '%s';" % fix("ids_first.ndjson"))
        res = self.load("BULK INSERT INTO bq FROM '%s' WITH (ordered = false, failed_records_file = '%s');"
                        % (fix("ids_second.ndjson"), failed), rc=1)
        docs = self.assertSame("_id", keep_id=True)
        self.assertEqual([d["v"] for d in docs], ["old1", "old2", "new3", "new4"])
        # The rejected row: mongoimport logs it, counts it and exits 0;
        # BulkQL records it (the result, failed_records_file, the error
        # record) and exits 1, so that a script or a scheduler sees that
        # not every row was written.
        self.assertIn("1 document(s) failed to import", err)
        self.assertEqual((res["nInserted"], res["nFailed"]), (2, 1))
        with open(failed) as f:
            rows = [bson.json_util.loads(line) for line in f]
        self.assertEqual([(r["row"], r["code"], r["document"]) for r in rows], [(1, 11000, {"_id": 2, "v": "new2"})])

    def test_value_that_does_not_convert(self):
        # An int32() / INT column holding "x".
        err = self.mongoimport("mi", "--type", "csv", "--fieldFile", fix("bad_int.fields"),
                               "--columnsHaveTypes", "--file", fix("bad_int.csv"), rc=1)
        self.mongoimport("mi_skip", "--type", "csv", "--fieldFile", fix("bad_int.fields"),
                         "--columnsHaveTypes", "--parseGrace", "skipRow", "--file", fix("bad_int.csv"))
        failed = os.path.join(tempfile.mkdtemp(prefix="bqlmi_"), "failed.ndjson")
        self.addCleanup(shutil.rmtree, os.path.dirname(failed))
        res = self.load("BULK INSERT INTO bq (sku STRING, qty INT) FROM '%s' (header = false)"
                        " WITH (continue_on_error = true, failed_records_file = '%s');" % (fix("bad_int.csv"), failed),
                        rc=1)
        # mongoimport stops at the row (--parseGrace stop, its default),
        # having written any of the other rows or none (its reader runs
        # ahead of its writers: A, A and C, or nothing, from run to run), or
        # with skipRow drops it and only logs it; BulkQL writes the other
        # rows and records the failed one with its line and error, never a
        # silent skip.
        self.assertIn("could not parse token `x` to type int32", err)
        for d in self.stored("mi", "sku"):
            self.assertIn(d, [{"sku": "A", "qty": i32(1)}, {"sku": "C", "qty": i32(3)}])
        self.assertEqual(self.stored("mi_skip", "sku"), self.stored("bq", "sku"))
        self.assertEqual(self.stored("bq", "sku"), [{"sku": "A", "qty": i32(1)}, {"sku": "C", "qty": i32(3)}])
        self.assertEqual(res["nFailed"], 1)
        with open(failed) as f:
            rows = [bson.json_util.loads(line) for line in f]
        self.assertEqual([(r["row"], r["line"]) for r in rows], [(2, 2)])
        self.assertIn('"x" is not an integer', rows[0]["error"])

    def test_unquoted_spaces(self):
        # mongoimport trims unquoted fields (" 5 " becomes the int 5, " x "
        # the string "x"); BulkQL keeps every byte of a field, as RFC 4180
        # says spaces are part of a field: " 5 " is the string " 5 ".
        self.mongoimport("mi", "--type", "csv", "--headerline", "--file", fix("spaces.csv"))
        self.load("BULK INSERT INTO bq FROM '%s';" % fix("spaces.csv"))
        self.assertEqual(self.stored("mi", "k"), [{"k": i32(1), "padded": i32(5), "spaced": "x"},
                                                  {"k": i32(2), "padded": i32(6), "spaced": "y"}])
        self.assertEqual(self.stored("bq", "k"), [{"k": i32(1), "padded": " 5 ", "spaced": " x "},
                                                  {"k": i32(2), "padded": " 6", "spaced": "y "}])

    def test_integer_beyond_int64(self):
        # mongoimport turns an integer beyond int64 into a double (1e20:
        # the digits are lost); BulkQL keeps it as the string of digits, as
        # no BSON number holds it exactly.
        self.mongoimport("mi", "--type", "csv", "--headerline", "--file", fix("huge.csv"))
        self.load("BULK INSERT INTO bq FROM '%s';" % fix("huge.csv"))
        self.assertEqual([d["huge"] for d in self.stored("mi", "k")], [dbl("1e+20"), dbl("-1.8446744073709552e+19")])
        self.assertEqual([d["huge"] for d in self.stored("bq", "k")],
                         ["99999999999999999999", "-18446744073709551616"])


# ---------------------------------------------------------------------------
# mongoimport's modes and options, and what BulkQL has for them:
# per-column type inference from a sample (infer_rows), the file options
# blanks and array_index_fields, BINARY FORMAT and TIMESTAMP FORMAT
# columns, ON CONFLICT ... DO REPLACE and DO UPDATE SET *, BULK DELETE ...
# USING, the statement option drop, and FORMAT JSON over a stream of
# documents.
# ---------------------------------------------------------------------------
class ModesCompare(CompareCase):

    def test_types_per_column(self):
        # mongoimport chooses a type per value; BulkQL one per column, from
        # a sample of infer_rows rows, so a column has one type in every
        # document (queries, indexes and sorts then behave).
        self.mongoimport("mi", "--type", "csv", "--headerline", "--file", fix("infer.csv"))
        self.load("BULK INSERT INTO bq FROM '%s';" % fix("infer.csv"))
        mi = self.stored("mi", "name")
        bq = self.stored("bq", "name")
        # zip: a column with a leading zero is text in BulkQL, every value
        # of it (10001 too); mongoimport makes each an int.
        self.assertEqual([d["zip"] for d in mi], [i32(501), i32(10001), i32(2134)])
        self.assertEqual([d["zip"] for d in bq], ["00501", "10001", "02134"])
        # score: .097 is a number for both; the column is DOUBLE in BulkQL
        # (3 becomes 3.0), mongoimport stores the int 3 beside doubles.
        self.assertEqual([d["score"] for d in mi], [dbl("0.097"), i32(3), dbl("-2.5")])
        self.assertEqual([d["score"] for d in bq], [dbl("0.097"), dbl("3.0"), dbl("-2.5")])
        # active: true/false make a BOOL column in BulkQL; mongoimport
        # keeps them as strings without --columnsHaveTypes.
        self.assertEqual([d["active"] for d in mi], ["true", "false", "true"])
        self.assertEqual([d["active"] for d in bq], [True, False, True])

    def test_blanks_omit_is_ignore_blanks(self):
        # --ignoreBlanks = (blanks = 'omit'): a blank field is left out.
        self.mongoimport("mi", "--type", "csv", "--headerline", "--ignoreBlanks", "--file", fix("blanks.csv"))
        self.load("BULK INSERT INTO bq FROM '%s' (blanks = 'omit');" % fix("blanks.csv"))
        docs = self.assertSame("id")
        self.assertEqual(docs[1], {"id": i32(2), "name": "bob", "nick": "bobby"})

    def test_blanks_empty_is_mongoimports_default(self):
        # mongoimport's default = (blanks = 'empty'): a blank field is "".
        self.mongoimport("mi", "--type", "csv", "--headerline", "--file", fix("blanks.csv"))
        self.load("BULK INSERT INTO bq FROM '%s' (blanks = 'empty');" % fix("blanks.csv"))
        docs = self.assertSame("id")
        self.assertEqual(docs[0], {"id": i32(1), "name": "ann", "nick": "", "city": "Paris"})

    def test_blanks_null_is_the_default(self):
        self.load("BULK INSERT INTO bq FROM '%s' (blanks = 'null');" % fix("blanks.csv"))
        self.load("BULK INSERT INTO bq2 FROM '%s';" % fix("blanks.csv"))
        self.assertEqual(self.stored("bq", "id"), self.stored("bq2", "id"))
        self.assertEqual(self.stored("bq", "id")[2], {"id": i32(3), "name": "cé", "nick": None, "city": "Zürich"})

    def test_array_index_fields(self):
        # --useArrayIndexFields = (array_index_fields = true): tags.0, tags.1
        # build an array, pts.0.x an array of documents.
        self.mongoimport("mi", "--type", "csv", "--headerline", "--useArrayIndexFields",
                         "--file", fix("array_index.csv"))
        self.load("BULK INSERT INTO bq FROM '%s' (array_index_fields = true);" % fix("array_index.csv"))
        docs = self.assertSame("id")
        self.assertEqual(docs[0]["tags"], ["red", "blue"])
        self.assertEqual(docs[1]["pts"], [{"x": i32(3), "y": i32(4)}, {"x": i32(7), "y": i32(8)}])

    def test_binary_and_date_layouts(self):
        # binary(hex) / binary(base64) = BINARY FORMAT 'hex' / 'base64';
        # date(02/01/2006 15:04) (Go layout) = TIMESTAMP FORMAT '%d/%m/%Y %H:%M'.
        self.mongoimport("mi", "--type", "csv", "--fieldFile", fix("binary_dates.fields"), "--columnsHaveTypes",
                         "--file", fix("binary_dates.csv"))
        self.load("BULK INSERT INTO bq (id INT, photo BINARY FORMAT 'hex', thumb BINARY FORMAT 'base64',"
                  " made TIMESTAMP FORMAT '%%d/%%m/%%Y', at TIMESTAMP FORMAT '%%d/%%m/%%Y %%H:%%M')"
                  " FROM '%s' (header = false);" % fix("binary_dates.csv"))
        docs = self.assertSame("id")
        self.assertEqual(docs[0], {"id": i32(1), "photo": {"$binary": {"base64": "Cgv/", "subType": "00"}},
                                   "thumb": {"$binary": {"base64": "AQID", "subType": "00"}},
                                   "made": date(1705276800000), "at": date(1705314600000)})

    def test_mode_upsert_is_do_replace(self):
        # --mode upsert --upsertFields sku = ON CONFLICT (sku) DO REPLACE:
        # a matched document is replaced by the row (its other fields go).
        self.mongoimport("mi", "--file", fix("products.ndjson"))
        self.mongoimport("mi", "--type", "csv", "--headerline", "--mode", "upsert", "--upsertFields", "sku",
                         "--file", fix("changes.csv"))
        self.load("BULK INSERT INTO bq FROM '%s';" % fix("products.ndjson"))
        self.load("BULK UPSERT INTO bq FROM '%s' ON CONFLICT (sku) DO REPLACE;" % fix("changes.csv"))
        docs = self.assertSame("sku")
        self.assertEqual(docs[0], {"sku": "A", "price": dbl("1.5"), "color": "red"})
        self.assertEqual(docs[2], {"sku": "C", "name": "cherry", "price": i32(3), "stock": i32(30)})

    def test_mode_merge_is_do_update_set_star(self):
        # --mode merge --upsertFields sku = ON CONFLICT (sku) DO UPDATE SET *.
        self.mongoimport("mi", "--file", fix("products.ndjson"))
        self.mongoimport("mi", "--type", "csv", "--headerline", "--mode", "merge", "--upsertFields", "sku",
                         "--file", fix("changes.csv"))
        self.load("BULK INSERT INTO bq FROM '%s';" % fix("products.ndjson"))
        self.load("BULK UPSERT INTO bq FROM '%s' ON CONFLICT (sku) DO UPDATE SET *;" % fix("changes.csv"))
        docs = self.assertSame("sku")
        self.assertEqual(docs[1], {"sku": "B", "name": "banana", "price": dbl("2.5"), "stock": i32(20),
                                   "color": "yellow"})

    def test_mode_delete_is_delete_using(self):
        # --mode delete --upsertFields sku = BULK DELETE ... USING 'file'.
        self.mongoimport("mi", "--file", fix("products.ndjson"))
        self.mongoimport("mi", "--type", "csv", "--headerline", "--mode", "delete", "--upsertFields", "sku",
                         "--file", fix("changes.csv"))
        self.load("BULK INSERT INTO bq FROM '%s';" % fix("products.ndjson"))
        self.load("BULK DELETE FROM bq USING '%s' AS v WHERE bq.sku = v.sku;" % fix("changes.csv"))
        docs = self.assertSame("sku")
        self.assertEqual(docs, [{"sku": "C", "name": "cherry", "price": i32(3), "stock": i32(30)}])

    def test_drop(self):
        # --drop = WITH (drop = true): the collection is dropped first.
        self.mongoimport("mi", "--file", fix("ids_first.ndjson"))
        self.mongoimport("mi", "--drop", "--file", fix("ids_second.ndjson"))
        self.load("BULK INSERT INTO bq FROM '%s';" % fix("ids_first.ndjson"))
        self.load("BULK INSERT INTO bq FROM '%s' WITH (drop = true);" % fix("ids_second.ndjson"))
        docs = self.assertSame("_id", keep_id=True)
        self.assertEqual([d["v"] for d in docs], ["new2", "new3", "new4"])

    def test_json_stream_of_pretty_documents(self):
        # mongoimport --type json without --jsonArray reads concatenated
        # (here pretty-printed) documents = FORMAT JSON on such a file.
        self.mongoimport("mi", "--type", "json", "--file", fix("pretty.json"))
        self.load("BULK INSERT INTO bq FROM '%s' FORMAT JSON;" % fix("pretty.json"))
        docs = self.assertSame("a")
        self.assertEqual(docs[0], {"a": i32(1), "b": {"c": [i32(1), i32(2)], "d": "x"}})
        self.assertEqual(docs[1]["when"], date(1705314600000))


class WireCompare(CompareCase):
    """Values the test server cannot store (NaN, ±Infinity: it closes the
    connection on a NaN and refuses infinities), compared on the wire: both
    tools run through a recording proxy that poses as a server storing them
    (a buildInfo without ferretdbVersion, an answer to BulkQL's NaN probe,
    and the inserts of mi and bq answered), and the documents each one
    sends are compared."""

    SPELLINGS = ["NaN", "nan", "NAN", "Nan", "inf", "Inf", "INF", "+inf", "-inf", "Infinity", "infinity",
                 "+Infinity", "-Infinity", "-INFINITY", "1.5"]

    def setUp(self):
        super().setUp()
        self.proxy = wireproxy.WireProxy(bqltest.URI)
        self.addCleanup(lambda: self.assertEqual(self.proxy.errors, []))
        self.addCleanup(self.proxy.close)
        self.proxy.inject(wireproxy.matcher("buildInfo"), "reply", times=1000,
                          reply={"ok": 1.0, "version": "7.0.14", "versionArray": [7, 0, 14, 0]})
        self.proxy.inject(lambda c: c.name == "find" and "_id" in (c.body.get("filter") or {})
                          and c.body["filter"]["_id"] != c.body["filter"]["_id"], "reply", times=1000,
                          reply={"ok": 1.0, "cursor": {"id": 0, "ns": self.dbname + ".bq", "firstBatch": []}})
        self.dir = tempfile.mkdtemp(prefix="bqlmi_")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def sent(self, coll):
        """The documents of the inserts into coll, as canonical Extended JSON, by _id (an int)."""
        docs = [canonical(d) for c in self.proxy.commands("insert", coll=coll, db=self.dbname) for d in c.documents]
        return sorted(docs, key=lambda d: int(d["_id"]["$numberInt"]))

    def mongoimport_wire(self, *args, rc=0):
        cmd = [self.mongoimport_bin, "--uri", self.proxy.uri, "--db", self.dbname, "--collection", "mi"] + list(args)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, rc, "%s\n%s" % (" ".join(cmd), proc.stderr))
        return proc.stderr

    def test_double_column_nan_and_infinity_spellings(self):
        # double() takes NaN in any case and inf / infinity in any case
        # with a sign or none (Go's strconv.ParseFloat); a DOUBLE column
        # reads the same spellings as the same doubles.
        n = len(self.SPELLINGS)
        self.proxy.inject(wireproxy.matcher("insert", coll="mi"), "reply", times=100, reply={"ok": 1.0, "n": n})
        self.proxy.inject(wireproxy.matcher("insert", coll="bq"), "reply", times=100, reply={"ok": 1.0, "n": n})
        rows = "".join("%d,%s\n" % (i, v) for i, v in enumerate(self.SPELLINGS, 1))
        self.mongoimport_wire("--type", "csv", "--headerline", "--columnsHaveTypes",
                              "--file", self.write("mi.csv", "_id.int32(),x.double()\n" + rows))
        r = self.bulkql("--uri", self.proxy.uri, "--format", "json",
                        sql="BULK INSERT INTO bq (_id INT, x DOUBLE) FROM '%s';" % self.write("bq.csv", "_id,x\n" + rows))
        self.assertEqual(r.rc, 0, r)
        docs = self.sent("mi")
        self.assertEqual(docs, self.sent("bq"))
        self.assertEqual([d["x"] for d in docs], [dbl("NaN")] * 4 + [dbl("Infinity")] * 4 + [dbl("-Infinity")] +
                         [dbl("Infinity")] * 3 + [dbl("-Infinity")] * 2 + [dbl("1.5")])

    def test_double_column_spellings_neither_tool_reads(self):
        # a sign before nan, and what only starts like a spelling: refused
        # by both (mongoimport stops; BulkQL fails the row)
        for i, v in enumerate(["+nan", "-nan", "infin", "nana"]):
            err = self.mongoimport_wire("--type", "csv", "--headerline", "--columnsHaveTypes",
                                        "--file", self.write("mi%d.csv" % i, "_id.int32(),x.double()\n1,%s\n" % v),
                                        rc=1)
            self.assertIn("could not parse token `%s` to type double" % v, err)
            r = self.bulkql("--uri", self.proxy.uri, "--format", "json",
                            sql="BULK INSERT INTO bq (_id INT, x DOUBLE) FROM '%s';"
                            % self.write("bq%d.csv" % i, "_id,x\n1,%s\n" % v))
            self.assertEqual(r.rc, 1, r)
            [res] = self.json_result(r)
            self.assertEqual([e["errmsg"] for e in res["writeErrors"]], ['line 2: column x: "%s" is not a number' % v])
        self.assertEqual(self.proxy.commands("insert", coll="mi", db=self.dbname), [])
        self.assertEqual(self.proxy.commands("insert", coll="bq", db=self.dbname), [])

    def test_inferred_columns_keep_nan_and_inf_as_text(self):
        # Deliberate difference: mongoimport's per-value auto type makes
        # "nan" and "inf" doubles; an inferred BulkQL column takes them as
        # text ("Nan" is also a name): type the column DOUBLE to read them
        # as numbers.
        self.proxy.inject(wireproxy.matcher("insert", coll="mi"), "reply", times=100, reply={"ok": 1.0, "n": 3})
        self.proxy.inject(wireproxy.matcher("insert", coll="bq"), "reply", times=100, reply={"ok": 1.0, "n": 3})
        text = "_id,x\n1,nan\n2,inf\n3,Nan\n"
        self.mongoimport_wire("--type", "csv", "--headerline", "--file", self.write("mi.csv", text))
        r = self.bulkql("--uri", self.proxy.uri, sql="BULK INSERT INTO bq FROM '%s';" % self.write("bq.csv", text))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual([d["x"] for d in self.sent("mi")], [dbl("NaN"), dbl("Infinity"), dbl("NaN")])
        self.assertEqual([d["x"] for d in self.sent("bq")], ["nan", "inf", "Nan"])


if __name__ == "__main__":
    bqltest.require_env()
    find_mongoimport()
    unittest.main(verbosity=2)
