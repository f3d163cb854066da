"""Hardening of the bulkql command (issue 12), as a user meets it: NUL bytes
and invalid UTF-8 in a script, names the server would refuse or that
reach system databases, --db checked before anything is sent, the secrets
of a connection string kept out of every output, file and document a run
produces, failed_records_file opened safely and every write checked,
error records that are written whatever the failed row holds, SIGTERM
handled as Ctrl-C, and the bound on a script's size. stdout, stderr, the
exit code and what the server holds (read back with pymongo) are
checked."""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402

os.environ["MONGOC_DISABLE_SHM"] = "1"

# a recognisable password: no output, file or document may hold it
SECRET = "Zebra4711"


class HardeningTest(bqltest.BulkqlCase):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="bulkql-harden-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", self.tmp]))

    def script(self, data):
        """A script file holding data (bytes)."""
        fd, path = tempfile.mkstemp(suffix=".sql", dir=self.tmp)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return path

    def run_bytes(self, *args, env=None, stdin=None):
        e = dict(os.environ)
        e.pop("NO_COLOR", None)
        if env:
            e.update(env)
        p = subprocess.run([bqltest.BULKQL, "--db", self.dbname] + list(args), input=stdin, capture_output=True,
                           env=e, timeout=120)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")

    # ---- NUL bytes ----

    def test_a_nul_in_a_quoted_collection_name_deletes_nothing(self):
        self.db.victim.insert_many([{"_id": 1}, {"_id": 2}])
        path = self.script(b'BULK DELETE FROM "victim\0_x" WHERE TRUE;\n')
        rc, out, err = self.run_bytes("-f", path)
        self.assertEqual(rc, 1, err)
        self.assertEqual(out, "")
        self.assertEqual(err, "%s:1:18: error: a quoted identifier must not hold a NUL byte (\\0)\n"
                              "    1 | BULK DELETE FROM \"victim\\0_x\" WHERE TRUE;\n"
                              "      |                  ^^^^^^^^^^^^\n" % path)
        self.assertEqual(self.docs("victim"), [{"_id": 1}, {"_id": 2}])

    def test_a_nul_in_a_column_or_an_option_string_writes_nothing(self):
        for text, at in ((b'BULK INSERT INTO c ("_id\0x", v) VALUES (1, 2);', b'"_id'),
                         (b"BULK INSERT INTO c (_id) VALUES (1), (1) WITH (ordered = false, "
                          b"error_collection = 'e\0x');", b"'e")):
            col = text.index(at) + 1
            path = self.script(text)
            rc, out, err = self.run_bytes("-f", path)
            self.assertEqual(rc, 1, err)
            self.assertRegex(err, r"\A%s:1:%d: error: a (quoted identifier|string literal) must not hold a NUL "
                                  r"byte \(\\0\)\n" % (re.escape(path), col))
        self.assertEqual(self.db.list_collection_names(), [])

    # ---- UTF-8 ----

    def test_invalid_utf8_is_an_error_at_its_line_and_the_script_writes_nothing(self):
        path = self.script(b"BULK INSERT INTO first (_id) VALUES (1);\n"
                           b'BULK INSERT INTO c ("caf\xe9") VALUES (1);\n')
        for args in (["-f", path], ["--explain", "-f", path]):
            rc, out, err = self.run_bytes(*args)
            self.assertEqual(rc, 1, err)
            self.assertEqual(out, "")
            self.assertEqual(err, "%s:2:25: error: invalid UTF-8: byte 0xE9\n"
                                  "    2 | BULK INSERT INTO c (\"caf\\xE9\") VALUES (1);\n"
                                  "      |                         ^^^^\n"
                                  "hint: Statements are UTF-8 text; convert the script (iconv -t UTF-8).\n" % path)
        self.assertEqual(self.db.list_collection_names(), [])

    # ---- names ----

    def test_names_the_server_would_refuse_fail_at_plan_time(self):
        self.db.orders.insert_one({"_id": 1})
        long_name = "c" * (254 - len(self.dbname))  # db.coll of 255 bytes
        cases = [
            ("BULK DELETE FROM orders WHERE TRUE WITH ARCHIVAL_STRATEGY (archive_collection = '$cmd');",
             'archive_collection: invalid collection name "$cmd": "$" is not allowed in a collection name'),
            ("BULK INSERT INTO orders (_id) VALUES (1) WITH (error_collection = 'system.profile');",
             'error_collection "system.profile" is a system collection; writing into it needs allow_system = true'),
            ("BULK INSERT INTO %s (_id) VALUES (1);" % long_name,
             'invalid collection name "%s...": the namespace "%s.<collection>" is 255 bytes long; the server\'s '
             'limit is 254 bytes' % (long_name[:64], self.dbname)),
            ("BULK DELETE FROM admin.system_x WHERE TRUE;",
             'writing into the "admin" database needs allow_system = true'),
            ('BULK UPDATE "system.js" SET a = 1 WHERE TRUE;',
             'writing into the system collection "system.js" needs allow_system = true'),
            ('BULK INSERT INTO "a b".c (_id) VALUES (1);',
             'invalid database name "a b": a space is not allowed in a database name'),
        ]
        for sql, msg in cases:
            with self.subTest(sql=sql):
                r = self.bulkql(sql=sql)
                self.assertEqual(r.rc, 1, r)
                self.assertIn("<command>:1:", r.err)
                self.assertIn(": error: " + msg + "\n", r.err)
                self.assertEqual(self.db.list_collection_names(), ["orders"])
                self.assertEqual(self.docs("orders"), [{"_id": 1}])

    def test_db_option_is_checked_before_anything_is_sent(self):
        for db, char in (("a b", "a space"), ("a/b", '"/"'), ("x.y", '"."'), ("d" * 64, None)):
            r = self.bulkql("--db", db, sql="BULK INSERT INTO c (_id) VALUES (1);", db=False)
            self.assertEqual(r.rc, 2, r)
            self.assertEqual(r.out, "")
            if char:
                self.assertEqual(r.err, "bulkql: --db: invalid database name \"%s\": %s is not allowed in a "
                                        "database name\nTry 'bulkql --help' for more information.\n" % (db, char))
            else:
                self.assertIn("64 bytes long; the server's limit is 63 bytes", r.err)
        self.assertFalse([n for n in self.client.list_database_names() if n.startswith(("a ", "a/", "x.", "ddd"))])
        # an empty name is not "test", and bytes that are not UTF-8 are not
        # sent: usage errors before any connection (the URI's port is
        # closed, so reaching for the server would say so, with exit 2 too)
        coll = "never_%d" % os.getpid()
        for db, why in (("", "the database name is empty"),
                        ("a\udcffb", "invalid database name: it is not UTF-8")):
            for uri in (bqltest.URI, "mongodb://127.0.0.1:1/"):
                r = self.bulkql("--uri", uri, "--db", db, sql="BULK INSERT INTO %s (_id) VALUES (1);" % coll, db=False)
                self.assertEqual((r.rc, r.out), (2, ""), r)
                self.assertEqual(r.err, "bulkql: --db: %s\nTry 'bulkql --help' for more information.\n" % why)
        r = self.bulkql("--db=", "--explain", sql="BULK INSERT INTO %s (_id) VALUES (1);" % coll, db=False)
        self.assertEqual((r.rc, r.out), (2, ""), r)
        self.assertNotIn(coll, self.client.test.list_collection_names())

    # ---- secrets ----

    def everything(self, r, files=(), dbs=()):
        """All a run produced, as one text: its output, the files and every
        document of the databases."""
        text = r.out + r.err
        for path in files:
            if os.path.exists(path):
                with open(path, encoding="utf-8", errors="replace") as f:
                    text += f.read()
        for db in dbs:
            for name in self.client[db].list_collection_names():
                for d in self.client[db][name].find():
                    text += bqltest.bson.json_util.dumps(d)
        return text

    def test_a_password_is_in_no_output_file_or_document(self):
        host = bqltest.URI.split("://", 1)[1].split("/", 1)[0]
        failed = os.path.join(self.tmp, "failed.ndjson")
        sql = ("BULK INSERT INTO c (_id, v) VALUES (1, 'a'), (1, 'b') WITH (ordered = false, "
               "failed_records_file = '%s');" % failed)
        # percent-encoded "@", "/" and ":" in the password; the driver's
        # warnings on; a *token* option; FerretDB takes PLAIN without TLS
        uri = ("mongodb://alice:Pw%%40%s%%2F%%3A1@%s/?authMechanism=PLAIN&serverSelectionTimeoutMS=5000"
               "&myToken=Tok%s" % (SECRET, host, SECRET))
        for args in (["--uri", uri], ["--uri", uri, "--format", "json"]):
            r = self.bulkql(*args, sql=sql, env={"BULKQL_DRIVER_LOG": "1"})
            self.assertEqual(r.rc, 1, r)
            self.assertIn("E11000", r.out + r.err)
            self.assertTrue(os.path.exists(failed))
            self.assertNotIn(SECRET, self.everything(r, [failed], [self.dbname]))
            os.unlink(failed)
        self.assertEqual(self.db.bulk_operation_errors.count_documents({}), 2)
        self.assertEqual(self.db.bulk_operation_metrics.count_documents({}), 2)

    def test_unescaped_characters_secret_options_and_the_drivers_echo(self):
        uris = [
            # unescaped "@", "/" and ":" in the password
            "mongodb://alice:P@%s/x:y@127.0.0.1:1/?serverSelectionTimeoutMS=300" % SECRET,
            "mongodb://alice:P:%s@127.0.0.1:1/?serverSelectionTimeoutMS=300" % SECRET,
            # secret query options
            "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300&tlsCertificateKeyFilePassword=K%s" % SECRET,
            "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300&authMechanismProperties=AWS_SESSION_TOKEN:T%s"
            % SECRET,
            "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300&myPassword=Q%s" % SECRET,
            # the password repeated elsewhere in the URI
            "mongodb://alice:%s@127.0.0.1:1/?serverSelectionTimeoutMS=300&appname=%s" % (SECRET, SECRET),
        ]
        for uri in uris:
            with self.subTest(uri=uri):
                r = self.bulkql("--uri", uri, sql="BULK INSERT INTO x (_id) VALUES (1);",
                                env={"BULKQL_DRIVER_LOG": "1"})
                self.assertEqual(r.rc, 2, r)
                self.assertNotIn(SECRET, r.out + r.err)
                self.assertIn("****", r.err)
        # the driver echoes a password with an unescaped ":" in its message
        r = self.bulkql("--uri", "mongodb://alice:Ze:%s@127.0.0.1:1/" % SECRET, sql="BULK INSERT INTO x (_id) VALUES (1);")
        self.assertEqual(r.rc, 2, r)
        self.assertEqual(r.err, 'bulkql: invalid URI mongodb://alice:****@127.0.0.1:1/: Password "****" must not '
                                'have unescaped chars. Percent-encode username and password according to RFC 3986\n')

    def test_values_are_elided_in_error_records_and_metrics(self):
        rows = ", ".join("(%d, 'v%d')" % (i if i != 12000 else 1, i) for i in range(1, 12001))
        r = self.bulkql(sql="BULK INSERT INTO c (_id, v) VALUES %s WITH (ordered = false);" % rows)
        self.assertEqual(r.rc, 1, r)
        want = "BULK INSERT INTO c (_id, v) VALUES (1, 'v1') /* ... 11,999 more rows elided */ WITH (ordered = false)"
        [rec] = self.db.bulk_operation_errors.find()
        [m] = self.db.bulk_operation_metrics.find()
        self.assertEqual(rec["statement"], want)
        self.assertEqual(m["statement"], want)
        self.assertEqual(bqltest.records_statement("BULK INSERT INTO c (_id, v) VALUES %s WITH (ordered = false);"
                                                   % rows), want)

    # ---- failed_records_file ----

    def test_failed_records_file_refuses_links_and_existing_files(self):
        sql = "BULK INSERT INTO c (_id) VALUES (1), (1) WITH (ordered = false, failed_records_file = '%s'%s);"
        target = os.path.join(self.tmp, "target")
        link = os.path.join(self.tmp, "link.ndjson")
        os.symlink(target, link)  # dangling
        existing = os.path.join(self.tmp, "existing.ndjson")
        with open(existing, "w") as f:
            f.write("keep\n")
        for path, mode, msg in (
                (link, "", "failed_records_file %s is a symbolic link; it is not followed; nothing was written"),
                (link, ", failed_records_mode = 'append'",
                 "failed_records_file %s is a symbolic link; it is not followed; nothing was written"),
                (existing, "", "failed_records_file %s exists; set failed_records_mode = 'append' or 'overwrite' "
                               "to use it; nothing was written")):
            r = self.bulkql(sql=sql % (path, mode))
            self.assertEqual(r.rc, 1, r)
            self.assertIn("bulkql: error: " + msg % path + " (BULK INSERT %s.c at <command>:1)\n" % self.dbname, r.err)
            self.assertEqual(self.docs("c"), [])
        self.assertFalse(os.path.lexists(target))
        with open(existing) as f:
            self.assertEqual(f.read(), "keep\n")
        # append adds, overwrite replaces; a new file is 0600
        r = self.bulkql(sql=sql % (existing, ", failed_records_mode = 'append'"))
        self.assertEqual(r.rc, 1, r)
        with open(existing) as f:
            lines = f.read().splitlines()
        self.assertEqual((lines[0], json.loads(lines[1])["row"], len(lines)), ("keep", 2, 2))
        r = self.bulkql(sql=sql % (existing, ", failed_records_mode = 'overwrite'"))
        with open(existing) as f:
            lines = f.read().splitlines()
        self.assertEqual([json.loads(x)["row"] for x in lines], [1, 2])  # _id 1 is there now
        new = os.path.join(self.tmp, "new.ndjson")
        old = os.umask(0)
        try:
            r = self.bulkql(sql=sql % (new, ""))
        finally:
            os.umask(old)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(os.stat(new).st_mode & 0o777, 0o600)

    def test_a_failed_write_to_failed_records_file_is_never_silent(self):
        r = self.bulkql(sql="BULK INSERT INTO c (_id) VALUES (1), (1), (2), (2) WITH (ordered = false, "
                            "failed_records_file = '/dev/full', failed_records_mode = 'append', "
                            "continue_on_error = true);")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("bulkql: error: 2 rows failed; 2 of them could not be written: cannot write "
                      "failed_records_file /dev/full: No space left on device (BULK INSERT %s.c at <command>:1)\n" % self.dbname,
                      r.err)
        self.assertIn("bulkql: warning: cannot write failed_records_file /dev/full: No space left on device "
                      "(2 failed rows not written)\n", r.err)

    # ---- error records ----

    def test_error_records_are_written_whatever_the_row_holds(self):
        # rows the server refuses to store (FerretDB refuses dotted keys
        # and infinities, MongoDB empty keys): each batch's
        # error record keeps its row as canonical Extended JSON text
        rows = [('{"_id": 1, "a.b": 1}', '{ "_id" : { "$numberInt" : "1" }, "a.b" : { "$numberInt" : "1" } }'),
                ('{"_id": 2, "x": {"$numberDouble": "-Infinity"}}',
                 '{ "_id" : { "$numberInt" : "2" }, "x" : { "$numberDouble" : "-Infinity" } }'),
                ('{"_id": 4, "": 1}', '{ "_id" : { "$numberInt" : "4" }, "" : { "$numberInt" : "1" } }')]
        for row, _ in rows:
            r = self.bulkql(sql="BULK INSERT INTO c VALUES (%s);" % row)
            self.assertEqual(r.rc, 1, r)
            self.assertNotIn("warning", r.err)
        # a duplicate field name never reaches the server: the literal is
        # refused at its span before anything is written (json_doc.c)
        r = self.bulkql(sql='BULK INSERT INTO c VALUES ({"_id": 3, "a": 1, "a": 2});')
        self.assertEqual(r.rc, 1, r)
        self.assertIn('error: invalid JSON literal: duplicate field name "a"', r.err)
        recs = list(self.db.bulk_operation_errors.find(sort=[("startedAt", 1), ("_id", 1)]))
        self.assertEqual([(rec["sampleDocument"], rec["sampleDocumentJson"]) for rec in recs],
                         [(None, text) for _, text in rows])
        # a row that can be stored stays a document
        r = self.bulkql(sql="BULK INSERT INTO d (_id) VALUES (1), (1);")
        self.assertEqual(r.rc, 1, r)
        [rec] = self.db.bulk_operation_errors.find({"sampleDocument": {"$ne": None}})
        self.assertEqual(rec["sampleDocument"], {"_id": 1})
        self.assertNotIn("sampleDocumentJson", rec)

    # ---- deep rows and names (fuzz_records) ----

    def test_deeply_nested_rows_and_dotted_names_fail_clearly(self):
        # 100,000 levels in a row fail at the 99th bracket; a row libbson
        # refuses inside a nested object leaves the next row readable (it
        # aborted the run in libbson); the good row is written
        n = 100000
        rows = os.path.join(self.tmp, "rows.ndjson")
        with open(rows, "w") as f:
            f.write('{"_id":1,"a":' + "[" * n + "]" * n + "}\n"
                    '{"_id":2,"a":{"b":[1,{"c":tru}]}}\n{"_id":3,"a":{"b":1}}\n')
        r = self.bulkql(sql="BULK INSERT INTO c FROM '%s' WITH (ordered = false);" % rows)
        self.assertEqual(r.rc, 1, r)
        self.assertIn("    row 1: line 1, column 111: invalid JSON: objects and arrays nested more than 98 levels deep\n"
                      '    row 2: line 2: invalid JSON: Got parse error at "}", position 29: "SPECIAL_INCOMPLETE"\n',
                      r.out)
        self.assertEqual(self.docs("c"), [{"_id": 3, "a": {"b": 1}}])
        # a CSV header of 200,000 dotted parts overflowed the stack; a
        # column list of 50,000 too: each is refused at 100 parts
        deep = ".".join(["a"] * 200000)
        csv = os.path.join(self.tmp, "deep.csv")
        with open(csv, "w") as f:
            f.write(deep + "\n1\n")
        why = ('column name "%s..." has more than 100 dotted parts: a document nests at most 100 levels'
               % deep[:60])
        sql = "BULK INSERT INTO d FROM '%s';" % csv
        r = self.bulkql(sql=sql)
        self.assertEqual(r.rc, 1, r)
        self.assertIn("  nInserted   0\n  nFailed     0\n  batches     0\n", r.out)
        self.assertEqual(r.err, "<command>:1:20: error: %s:1: column 1 of the header: %s\n    1 | %s\n      | %s%s\n"
                                % (csv, why, sql, " " * 19, "^" * (len(sql) - 20)))
        path = self.script(("BULK INSERT INTO d (%s) VALUES (1);" % deep[:100000 - 1]).encode())
        rc, out, err = self.run_bytes("-f", path)
        self.assertEqual((rc, out), (1, ""), err)
        self.assertEqual(err, "%s:1:21: error: %s\n    1 | %s...\n      | %s%s\n"
                              % (path, why, "BULK INSERT INTO d (" + deep[:140], " " * 20, "^" * 140))
        self.assertNotIn("d", self.db.list_collection_names())

    def test_the_error_record_of_a_row_of_400000_fields_is_written_in_linear_time(self):
        # storable() looked for each key's twin with a scan of the row: a
        # row of 400,000 fields took more than 120 s; sorted, well under a
        # second of CPU. The NaN makes the row not storable as it is, so the
        # whole row is checked and goes in as Extended JSON text.
        n = 400000
        path = os.path.join(self.tmp, "wide.ndjson")
        with open(path, "w") as f:
            f.write("{" + ",".join('"c%d":%d' % (i, i) for i in range(n)) + ',"z":{"$numberDouble":"NaN"}}\n')
        t0 = time.monotonic()
        r = self.bulkql(sql="BULK INSERT INTO c FROM '%s' CHECK (c0 < 0);" % path)
        took = time.monotonic() - t0
        sys.stderr.write("\n  error record of a 400,000-field row: %.2f s\n" % took)
        self.assertEqual(r.rc, 1, r)
        self.assertIn("    row 1: line 1: CHECK (c0 < 0) failed\n", r.out)
        self.assertNotIn("warning", r.err)
        [rec] = self.db.bulk_operation_errors.find()
        self.assertIsNone(rec["sampleDocument"])
        self.assertTrue(rec["sampleDocumentJson"].startswith('{ "c0" : { "$numberInt" : "0" }, "c1" : '))
        self.assertTrue(rec["sampleDocumentJson"].endswith('"z" : { "$numberDouble" : "NaN" } }'))
        self.assertLess(took, 90)  # a generous bound: a benchmark, not a timing assertion

    # ---- SIGTERM ----

    def test_sigterm_stops_after_the_batch_in_flight_and_records_the_result(self):
        csv = os.path.join(self.tmp, "big.csv")
        with open(csv, "w") as f:
            f.write("_id,name\n" + "".join("%d,row %d\n" % (i, i) for i in range(1, 100001)))
        e = dict(os.environ)
        e.pop("NO_COLOR", None)
        proc = subprocess.Popen([bqltest.BULKQL, "--db", self.dbname, "-c",
                                 "BULK INSERT INTO big FROM '%s' FORMAT CSV WITH (batch_size = 50, progress = true);"
                                 % csv, "-c", "BULK INSERT INTO never (_id) VALUES (1);"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        err = []
        reader = threading.Thread(target=lambda: err.extend(iter(proc.stderr.readline, "")), daemon=True)
        reader.start()
        deadline = time.monotonic() + 120
        while not any(line.startswith("progress: ") for line in err):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        out = proc.stdout.read()
        proc.wait(120)
        reader.join(120)
        self.assertEqual(proc.returncode, 1, (out, err))
        rest = [line for line in err if not line.startswith("progress: ")]
        self.assertEqual(rest[0], "bulkql: terminating (SIGTERM): the statement stops after the batch in flight "
                                  "(SIGTERM again to quit at once)\n")
        m = re.match(r"bulkql: error: cancelled after batch (\d+) \(BULK INSERT [^ ]+ at [^ ]+:1\)\n", rest[1])
        self.assertIsNotNone(m, err)
        self.assertEqual(rest[2:], ["bulkql: cancelled; 1 more input (-f, -c) not run\n"])
        t = re.search(r"nInserted   (\d+)\n", out)
        self.assertIsNotNone(t, out)
        inserted = int(t.group(1))
        self.assertEqual(inserted, int(m.group(1)) * 50)
        self.assertEqual(self.db.big.count_documents({}), inserted)
        [metrics] = self.db.bulk_operation_metrics.find()
        self.assertEqual((metrics["status"], metrics["nInserted"]), ("Aborted", inserted))
        self.assertNotIn("never", self.db.list_collection_names())

    # ---- the size of a script ----

    def test_a_script_has_a_size_bound(self):
        env = {"BULKQL_SCRIPT_MAX_BYTES": "1000000"}
        rc, out, err = self.run_bytes("-f", "/dev/zero", env=env)
        self.assertEqual((rc, out), (2, ""))
        self.assertEqual(err, "bulkql: /dev/zero: the script is larger than 1000000 bytes, the limit; load big data "
                              "with FROM 'file'\n")
        rc, out, err = self.run_bytes(env=env, stdin=b"-- " + b"x" * 1000001)
        self.assertEqual((rc, out), (2, ""))
        self.assertEqual(err, "bulkql: standard input: the script is larger than 1000000 bytes, the limit; load big "
                              "data with FROM 'file' or FROM STDIN\n")
        # just under the bound runs
        rc, out, err = self.run_bytes(env=env, stdin=b"BULK INSERT INTO c (_id) VALUES (1); -- " + b"x" * 990000)
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.docs("c"), [{"_id": 1}])


if __name__ == "__main__":
    bqltest.main()
