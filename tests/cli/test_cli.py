"""The bulkql command as a user meets it: where statements come from
(-f, repeated; -c; stdin), exit codes, rendered errors, server errors,
--stop-on-error and --continue-on-error, --explain, --dry-run, --quiet,
--format json, --version, --help, colour only on a terminal and never
with NO_COLOR, Ctrl-C (SIGINT) stopping a script after the batch in
flight, the progress line's override, connection errors, passwords never
shown. stdout, stderr and the exit code are checked, and what the server
holds is read back with pymongo."""
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402
import wireproxy  # noqa: E402

# libmongoc creates /dev/shm/mongoc-PID for its counters and warns on stderr
# ("Falling back to malloc for counters") when a killed process left one
# with the same PID; these tests compare stderr exactly, and kill bulkql.
os.environ["MONGOC_DISABLE_SHM"] = "1"


class CliTest(bqltest.BulkqlCase):
    def script(self, text):
        f = tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False)
        f.write(text)
        f.close()
        self.addCleanup(os.unlink, f.name)
        return f.name

    def test_syntax_error_is_rendered_and_nothing_is_written(self):
        path = self.script("BULK INSERT INTO a (_id) VALUES (1);\n"
                           "BULK INSERT INTO b (_id) VALUES (2)\n"
                           "    WTIH (ordered = true);\n")
        r = self.bulkql("-f", path)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.out, "")
        self.assertEqual(r.err,
                         "%s:3:5: error: syntax error at or near \"WTIH\"\n"
                         "    3 |     WTIH (ordered = true);\n"
                         "      |     ^^^^\n"
                         "detail: expected end of input, CHECK, ON, WITH, \";\" or \",\"\n"
                         "hint: Did you mean \"WITH\"?\n" % path)
        self.assertEqual(self.db.list_collection_names(), [])

    def test_plan_error_is_rendered_and_nothing_is_written(self):
        path = self.script("BULK INSERT INTO a (_id) VALUES (1);\n"
                           "BULK INSERT INTO b (_id) VALUES (2) WITH (bacth_size = 10);\n")
        r = self.bulkql("-f", path)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.err,
                         "%s:2:43: error: unknown option \"bacth_size\"\n"
                         "    2 | BULK INSERT INTO b (_id) VALUES (2) WITH (bacth_size = 10);\n"
                         "      |                                           ^^^^^^^^^^\n"
                         "hint: Did you mean \"batch_size\"?\n" % path)
        self.assertEqual(self.db.list_collection_names(), [])

    def test_statements_on_stdin(self):
        r = self.bulkql(stdin="BULK INSERT INTO s (_id, x) VALUES (1, 'a'), (2, 'b');")
        self.assertEqual(r.rc, 0, r)
        self.assertIn("nInserted   2", r.out)
        self.assertEqual(self.docs("s"), [{"_id": 1, "x": "a"}, {"_id": 2, "x": "b"}])

    def test_mongodb_uri_from_the_environment_and_db_from_the_uri(self):
        uri = bqltest.URI.rstrip("/") + "/" + self.dbname
        r = self.bulkql(sql="BULK INSERT INTO e (_id) VALUES (7);", db=False, env={"MONGODB_URI": uri})
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.docs("e"), [{"_id": 7}])

    def test_connection_error_exits_2_without_the_password(self):
        r = self.bulkql("--uri", "mongodb://alice:s3cr3t@127.0.0.1:1/?serverSelectionTimeoutMS=300",
                        sql="BULK INSERT INTO x (_id) VALUES (1);")
        self.assertEqual(r.rc, 2, r)
        self.assertIn("cannot connect to mongodb://alice:****@127.0.0.1:1/", r.err)
        self.assertNotIn("s3cr3t", r.err + r.out)

    def test_invalid_uri_exits_2_without_the_password(self):
        r = self.bulkql("--uri", "mongodb://bob:hunter2@/nohost", sql="BULK INSERT INTO x (_id) VALUES (1);")
        self.assertEqual(r.rc, 2, r)
        self.assertIn("invalid URI mongodb://bob:****@/nohost", r.err)
        self.assertNotIn("hunter2", r.err + r.out)

    def test_usage_errors_exit_2(self):
        for args in (["--bogus"], ["--format", "xml"], ["stray.sql"], ["-f"]):
            r = self.bulkql(*args)
            self.assertEqual(r.rc, 2, (args, r))
            self.assertIn("Try 'bulkql --help'", r.err)

    def test_a_failed_statement_exits_1_and_stops_the_script(self):
        path = self.script("BULK INSERT INTO f (_id) VALUES (1), (1);\n"
                           "BULK INSERT INTO g (_id) VALUES (1);\n")
        r = self.bulkql("-f", path)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(self.docs("f"), [{"_id": 1}])
        self.assertNotIn("g", self.db.list_collection_names())

    def test_explain_needs_no_server(self):
        r = self.bulkql("--uri", "mongodb://127.0.0.1:1/", "--explain",
                        sql="BULK INSERT INTO x (_id) VALUES (1);")
        self.assertEqual(r.rc, 0, r)
        self.assertIn('"insert": "x"', r.out)


    # ---- success, errors, where statements come from ----

    def table(self, kind, coll, *counters, batches=1):
        """The regex of a result table."""
        # the values in one column: after the longest name shown
        w = max([11] + [len(c[0]) for c in counters])
        rows = "".join(r"  %-*s %d\n" % (w, c[0], c[1]) for c in counters)
        return (r"%s %s\.%s\n%s  %-*s %d\n  %-*s \d+\.\d ms \(\d+ docs/s\)\n"
                % (kind, re.escape(self.dbname), coll, rows, w, "batches", batches, w, "elapsed"))

    def test_success_prints_the_table_on_stdout_and_exits_0(self):
        r = self.bulkql(sql="BULK INSERT INTO ok (_id, v) VALUES (1, 'a'), (2, 'b'), (3, 'c') WITH (batch_size = 2);")
        self.assertEqual((r.rc, r.err), (0, ""), r)
        self.assertRegex(r.out, r"\A" + self.table("BULK INSERT", "ok", ("nInserted", 3), ("nFailed", 0), batches=2)
                         + r"\Z")
        self.assertNotIn("\033", r.out)  # no colour into a pipe
        self.assertEqual(self.docs("ok"), [{"_id": 1, "v": "a"}, {"_id": 2, "v": "b"}, {"_id": 3, "v": "c"}])

    def test_syntax_error_in_a_command_and_on_stdin(self):
        sql = "BULK INSERT INTO a (_id) VALUES (1);\nBULK INSERT INTO a (_id) VALUES (2,);\n"
        expected = ("%s:2:36: error: syntax error at or near \")\"\n"
                    "    2 | BULK INSERT INTO a (_id) VALUES (2,);\n"
                    "      |                                    ^\n"
                    "detail: expected an expression\n")
        for name, r in (("<command>", self.bulkql(sql=sql)), ("<stdin>", self.bulkql(stdin=sql))):
            self.assertEqual((r.rc, r.out, r.err), (1, "", expected % name), r)
        self.assertEqual(self.db.list_collection_names(), [])

    def test_server_error_exits_1_and_stops_the_script(self):
        self.db.p.insert_one({"_id": 1, "x": 2, "n": 3})
        path = self.script("BULK UPDATE p SET y = x + n WHERE TRUE;\n"
                           "BULK INSERT INTO after (_id) VALUES (1);\n")
        r = self.bulkql("-f", path)
        self.assertEqual(r.rc, 1, r)
        # FerretDB has no pipeline updates: its probe (caps.c) says so, and
        # the update is refused, named, before it is sent
        self.assertEqual(r.err, "bulkql: error: the server does not support aggregation-pipeline updates "
                                "(MongoDB 4.2): FerretDB has none, so the update was not sent "
                                "(BULK UPDATE %s.p at %s:1)\n" % (self.dbname, path))
        # the batch's one document is a failed one, with the batch's error
        self.assertRegex(r.out, r"\A" + self.table("BULK UPDATE", "p", ("nMatched", 0), ("nModified", 0),
                                                     ("nFailed", 1)) +
                         r"  write errors:\n    not written: the server does not support aggregation-pipeline "
                         r"updates \(MongoDB 4\.2\): FerretDB has none, so the update was not sent\n\Z")
        self.assertEqual(self.docs("p"), [{"_id": 1, "x": 2, "n": 3}])
        self.assertNotIn("after", self.db.list_collection_names())

    def test_stop_on_error_is_the_default_and_continue_on_error_runs_the_rest(self):
        path = self.script("BULK INSERT INTO f (_id) VALUES (1), (1), (2);\n"
                           "BULK INSERT INTO g (_id) VALUES (1);\n")
        second = self.script("BULK INSERT INTO h (_id) VALUES (1);\n")
        failed = (self.table("BULK INSERT", "f", ("nInserted", 1), ("nFailed", 1), ("nNotAttempted", 1)) +
                  r"  write errors:\n    row 2: E11000 duplicate key error collection: %s\.f \(code 11000\)\n"
                  % re.escape(self.dbname))
        for args in ([], ["--stop-on-error"]):
            r = self.bulkql(*args, "-f", path, "-f", second)
            self.assertEqual(r.rc, 1, r)
            self.assertRegex(r.out, r"\A" + failed + r"\Z")
            self.assertEqual(r.err, "bulkql: error: 1 row failed (BULK INSERT %s.f at %s:1)\n" % (self.dbname, path))
            self.assertEqual(self.docs("f"), [{"_id": 1}])
            self.assertFalse({"g", "h"} & set(self.db.list_collection_names()))
            self.db.f.drop()
        r = self.bulkql("--continue-on-error", "-f", path, "-f", second)
        self.assertEqual(r.rc, 1, r)
        self.assertRegex(r.out, r"\A" + failed + self.table("BULK INSERT", "g", ("nInserted", 1), ("nFailed", 0))
                         + self.table("BULK INSERT", "h", ("nInserted", 1), ("nFailed", 0)) + r"\Z")
        self.assertEqual(r.err, "bulkql: error: 1 row failed (BULK INSERT %s.f at %s:1)\n" % (self.dbname, path))
        self.assertEqual(self.docs("f"), [{"_id": 1}])  # ordered: stopped at row 2
        self.assertEqual(self.docs("g"), [{"_id": 1}])
        self.assertEqual(self.docs("h"), [{"_id": 1}])

    def test_files_and_commands_run_in_the_order_given(self):
        one = self.script("BULK INSERT INTO o (_id, by) VALUES (1, 'one');\n")
        two = self.script("BULK UPDATE o SET by = 'two' WHERE _id = 1;\nBULK INSERT INTO o (_id) VALUES (2);\n")
        r = self.bulkql("-f", one, "-c", "BULK UPDATE o SET by = 'cmd' WHERE _id = 1;", "-f", two,
                        "-c", "BULK DELETE FROM o WHERE _id = 2; BULK INSERT INTO o (_id) VALUES (3);")
        self.assertEqual((r.rc, r.err), (0, ""), r)
        kinds = re.findall(r"^(BULK \w+) ", r.out, re.M)
        self.assertEqual(kinds, ["BULK INSERT", "BULK UPDATE", "BULK UPDATE", "BULK INSERT", "BULK DELETE",
                                 "BULK INSERT"])
        self.assertEqual(self.docs("o"), [{"_id": 1, "by": "two"}, {"_id": 3}])

    def test_an_unreadable_file_exits_2_and_later_inputs_do_not_run(self):
        missing = os.path.join(tempfile.gettempdir(), "bulkql-no-such-file.sql")
        r = self.bulkql("-f", missing, "-c", "BULK INSERT INTO x (_id) VALUES (1);")
        self.assertEqual((r.rc, r.out), (2, ""), r)
        self.assertEqual(r.err, "bulkql: cannot read %s: No such file or directory\n" % missing)
        self.assertEqual(self.db.list_collection_names(), [])

    # ---- modes ----

    def test_explain_prints_the_exact_plan_and_writes_nothing(self):
        sql = "BULK INSERT INTO %s.x (_id, n) VALUES (1, 2), (2, 3) WITH (batch_size = 1);\n" % self.dbname
        path = self.script(sql)
        r = self.bulkql("--explain", "-f", path)
        self.assertEqual((r.rc, r.err), (0, ""), r)
        plan = subprocess.run([os.environ["BQL_PLAN_BIN"], path], capture_output=True, text=True)
        self.assertEqual(plan.returncode, 0, plan.stderr)
        # the plan, and (an --explain run writes nothing) the records
        # running it would write besides its rows
        doc = json.loads(r.out)
        records = doc.pop("records")
        self.assertEqual(doc, json.loads(plan.stdout))
        self.assertEqual((doc["statement"], doc["namespace"]), ("BULK INSERT", self.dbname + ".x"))
        self.assertEqual([(x["to"], x["when"]) for x in records],
                         [(self.dbname + ".bulk_operation_metrics", "one document when the statement ends"),
                          (self.dbname + ".bulk_operation_errors", "one document per batch with failed rows"),
                          (self.dbname + ".bulkql_operations",
                           "one document per statement, updated at its checkpoints and when it ends")])
        self.assertIn("status", records[0]["fields"])
        self.assertIn("sampleDocument", records[1]["fields"])
        # the operation's fields: those of the document its first step inserts
        opened = [st for st in doc["steps"] if "bulkql_operations" in st["step"]][0]["command"]["documents"][0]
        self.assertEqual(records[2]["fields"], list(opened))
        self.assertEqual(self.db.list_collection_names(), [])
        self.assertNotIn(self.dbname, self.client.list_database_names())
        r = self.bulkql("--explain", "-c", "BULK INSERT INTO x (_id) VALUES (1) WITH (metrics = false, "
                        "error_collection = '', failed_records_file = '/nonexistent/f.ndjson');")
        self.assertEqual(json.loads(r.out)["records"][1:], [{"to": "file /nonexistent/f.ndjson", "when":
                         "one NDJSON line per failed row", "fields": ["operationId", "row", "line", "code", "error",
                                                                    "document"]}])
        self.assertEqual(json.loads(r.out)["records"][0]["to"], self.dbname + ".bulkql_operations")
        r = self.bulkql("--explain", "--dry-run", "-c", "BULK INSERT INTO x (_id) VALUES (1);")
        self.assertEqual(json.loads(r.out)["records"], [])
        self.assertNotIn(self.dbname, self.client.list_database_names())
        # an EXPLAIN statement in a script is printed, the others run
        r = self.bulkql(sql="EXPLAIN BULK DELETE FROM x WHERE n > 1; BULK INSERT INTO y (_id) VALUES (1);")
        self.assertEqual(r.rc, 0, r)
        self.assertIn('"statement": "BULK DELETE"', r.out)
        self.assertEqual(self.docs("y"), [{"_id": 1}])

    def test_dry_run_counts_and_writes_nothing(self):
        self.db.d.insert_many([{"_id": i} for i in range(1, 6)])
        r = self.bulkql("--dry-run", sql="BULK INSERT INTO n (_id) VALUES (1), (2); BULK DELETE FROM d WHERE _id > 2;")
        self.assertEqual((r.rc, r.err), (0, ""), r)
        self.assertRegex(r.out, r"\ABULK INSERT %s\.n\n  nInserted   0\n  nFailed     0\n  nWouldWrite 2\n"
                                r"  batches     1\n  elapsed     [\d.]+ ms \(0 docs/s\)\n"
                                r"  dry run: nothing was written to the collection\n"
                                r"  would log to %s\.bulk_operation_metrics:\n    \{ .*\"nWouldWrite\" : 2, .*\}\n"
                                % (re.escape(self.dbname), re.escape(self.dbname)))
        self.assertRegex(r.out, r"BULK DELETE %s\.d\n  nMatched    3\n  nRemoved    0\n  nFailed     0\n"
                                r"  batches     0\n  elapsed     [\d.]+ ms \(0 docs/s\)\n"
                                r"  dry run: nothing was written to the collection\n"
                                r"  would log to %s\.bulk_operation_metrics:\n    \{ .*\"kind\" : \"BULK DELETE\", .*\}\n\Z"
                                % (re.escape(self.dbname), re.escape(self.dbname)))
        self.assertEqual(len(self.docs("d")), 5)
        self.assertNotIn("n", self.db.list_collection_names())

    def test_quiet_prints_only_errors(self):
        r = self.bulkql("--quiet", sql="BULK INSERT INTO q (_id) VALUES (1), (2);")
        self.assertEqual((r.rc, r.out, r.err), (0, "", ""), r)
        self.assertEqual(self.docs("q"), [{"_id": 1}, {"_id": 2}])
        r = self.bulkql("-q", sql="BULK INSERT INTO q (_id) VALUES (3), (1);")
        self.assertEqual(r.rc, 1, r)
        # nothing on stdout: the failed rows follow the error line
        self.assertEqual(r.out, "")
        self.assertEqual(r.err, "bulkql: error: 1 row failed (BULK INSERT %s.q at <command>:1)\n"
                                "  write errors:\n    row 2: E11000 duplicate key error collection: %s.q "
                                "(code 11000)\n" % (self.dbname, self.dbname))

    def test_format_json(self):
        r = self.bulkql("--format", "json", sql="BULK INSERT INTO j (_id) VALUES (1), (1);"
                                                "BULK INSERT INTO k (_id) VALUES (1);", env={"NO_COLOR": ""})
        self.assertEqual(r.rc, 1, r)
        lines = r.out.splitlines()
        self.assertEqual(len(lines), 1, r)  # stopped at the first
        res = json.loads(lines[0])
        self.assertEqual((res["statement"], res["namespace"], res["nInserted"], res["nFailed"], res["ok"],
                          res["error"]), ("BULK INSERT", self.dbname + ".j", 1, 1, False, "1 row failed"))
        self.assertEqual([(e["row"], e["code"]) for e in res["writeErrors"]], [(2, 11000)])
        self.assertRegex(res["operationId"], r"^[0-9a-f]{24}$")
        for key in ("batches", "elapsedMs", "docsPerSec", "upserted"):
            self.assertIn(key, res)
        r = self.bulkql("--format", "json", sql="BULK INSERT INTO k (_id) VALUES (1);")
        self.assertEqual((r.rc, r.err), (0, ""), r)
        self.assertTrue(json.loads(r.out)["ok"])

    def test_version_and_help(self):
        r = self.bulkql("--version", db=False)
        self.assertEqual((r.rc, r.err), (0, ""), r)
        self.assertRegex(r.out, r"\Abulkql \d+\.\d+\.\d+ \(libmongoc 1\.\d+\.\d+\)\n\Z")
        for flag in ("--help", "-h"):
            r = self.bulkql(flag, db=False)
            self.assertEqual((r.rc, r.err), (0, ""), r)
            self.assertTrue(r.out.startswith("Usage: bulkql [OPTION]... [-f FILE]... [-c STATEMENT]...\n"), r)
            for opt in ("--file", "--command", "--uri", "--db", "--explain", "--dry-run", "--format",
                        "--stop-on-error", "--continue-on-error", "--quiet", "--version", "--help"):
                self.assertIn(opt, r.out)

    # ---- colour ----

    def on_terminal(self, args, env=None, stdout_tty=True, stderr_tty=True):
        """Run bulkql with stdout and/or stderr on a pseudo-terminal; returns
        (rc, what the terminal showed, what went to the pipe)."""
        master, slave = pty.openpty()
        e = dict(os.environ)
        e.pop("NO_COLOR", None)
        e.update(env or {})
        proc = subprocess.Popen([bqltest.BULKQL, "--db", self.dbname] + args, stdin=subprocess.DEVNULL,
                                stdout=slave if stdout_tty else subprocess.PIPE,
                                stderr=slave if stderr_tty else subprocess.PIPE, env=e)
        os.close(slave)
        shown = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's last user is gone
                break
            if not chunk:
                break
            shown += chunk
        os.close(master)
        pipe = proc.stdout or proc.stderr
        piped = pipe.read() if pipe else b""
        if pipe:
            pipe.close()
        rc = proc.wait(timeout=120)
        return rc, shown.decode(), piped.decode()

    COLOUR = re.compile(r"\x1b\[[0-9;]*m")

    def test_colour_only_on_a_terminal_and_never_with_no_color(self):
        good = ["-c", "BULK INSERT INTO c (_id) VALUES (1);"]
        bad = good  # once c holds _id 1, a duplicate key
        rc, shown, _ = self.on_terminal(good)
        self.assertEqual(rc, 0, shown)
        self.assertIn("\x1b[1mBULK INSERT %s.c\x1b[0m" % self.dbname, shown)
        rc, shown, _ = self.on_terminal(bad)
        self.assertEqual(rc, 1, shown)
        self.assertIn("\x1b[31m1\x1b[0m", shown)  # nFailed
        self.assertIn("\x1b[1;31mbulkql: error:\x1b[0m 1 row failed (BULK INSERT", shown)
        # NO_COLOR, whatever its value
        for value in ("1", "yes"):
            rc, shown, _ = self.on_terminal(bad, env={"NO_COLOR": value})
            self.assertEqual(rc, 1, shown)
            self.assertIn("bulkql: error: 1 row failed", shown)
            self.assertIsNone(self.COLOUR.search(shown), repr(shown))
        # each stream by itself: stdout into a pipe is plain, stderr on the
        # terminal is coloured, and the other way round
        rc, shown, piped = self.on_terminal(bad, stdout_tty=False)
        self.assertIsNone(self.COLOUR.search(piped), repr(piped))
        self.assertIn("nFailed     1", piped)
        self.assertIn("\x1b[1;31mbulkql: error:\x1b[0m", shown)
        rc, shown, piped = self.on_terminal(bad, stderr_tty=False)
        self.assertEqual(piped, "bulkql: error: 1 row failed (BULK INSERT %s.c at <command>:1)\n" % self.dbname)
        self.assertIn("\x1b[1mBULK INSERT", shown)

    # ---- Ctrl-C and the progress line in script mode ----

    def start(self, *args, stdin=subprocess.DEVNULL, uri=None):
        e = dict(os.environ)
        e.pop("NO_COLOR", None)
        if uri:
            e["MONGODB_URI"] = uri
        proc = subprocess.Popen([bqltest.BULKQL, "--db", self.dbname] + list(args), stdin=stdin,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e)
        err = []
        reader = threading.Thread(target=lambda: err.extend(iter(proc.stderr.readline, "")), daemon=True)
        reader.start()
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        return proc, err, reader

    def finish(self, proc, reader, timeout=120):
        """Wait for proc; its stdout (stderr is the reader thread's)."""
        out = proc.stdout.read()
        proc.wait(timeout=timeout)
        reader.join(timeout)
        proc.stdout.close()
        proc.stderr.close()
        if proc.stdin:
            proc.stdin.close()
        return out

    def wait_until(self, what, timeout=120):
        deadline = time.monotonic() + timeout
        while not what():
            self.assertLess(time.monotonic(), deadline, "timed out")
            time.sleep(0.05)

    def big_csv(self, n):
        path = self.script("")
        with open(path, "w") as f:
            f.write("_id,name\n" + "".join("%d,row %d\n" % (i, i) for i in range(1, n + 1)))
        return path

    PROGRESS = re.compile(r"^progress: ([\d,]+) rows, [\d,]+ rows/s, [\d.]+ (B|KiB|MiB) of [\d.]+ MiB read, "
                          r"ETA \d+:\d\d\n$")

    def test_sigint_stops_a_script_after_the_batch_in_flight(self):
        n, bs = 100000, 50
        path = self.script("BULK INSERT INTO big FROM '%s' FORMAT CSV WITH (batch_size = %d, progress = true);\n"
                           "BULK INSERT INTO never (_id) VALUES (1);\n" % (self.big_csv(n), bs))
        t0 = time.monotonic()
        proc, err, reader = self.start("-f", path, "-c", "BULK INSERT INTO never2 (_id) VALUES (1);")
        # progress = true: a line a second even though stderr is a pipe
        self.wait_until(lambda: len(err) >= 2)
        proc.send_signal(signal.SIGINT)
        out = self.finish(proc, reader)
        elapsed = time.monotonic() - t0
        self.assertEqual(proc.returncode, 1, (out, err))
        progress = [line for line in err if line.startswith("progress: ")]
        self.assertGreaterEqual(len(progress), 2, err)
        for line in progress:
            self.assertRegex(line, self.PROGRESS)
        self.assertLessEqual(len(progress), elapsed + 1)  # at most one a second
        rest = [line for line in err if not line.startswith("progress: ")]
        m = re.match(r"cancelled after batch (\d+) \(BULK INSERT %s\.big at %s:1\)\n" % (re.escape(self.dbname), re.escape(path)),
                     rest[1][len("bulkql: error: "):])
        self.assertEqual(rest[0], "bulkql: cancelling: the statement stops after the batch in flight "
                                  "(Ctrl-C again to quit at once)\n", err)
        self.assertIsNotNone(m, err)
        self.assertEqual(rest[2:], ["bulkql: cancelled; 1 statement not run\n",
                                    "bulkql: cancelled; 1 more input (-f, -c) not run\n"])
        t = re.match(r"\ABULK INSERT %s\.big\n  nInserted   (\d+)\n  nFailed     0\n  batches     (\d+)\n"
                     r"  elapsed     [\d.]+ ms \(\d+ docs/s\)\n\Z" % re.escape(self.dbname), out)
        self.assertIsNotNone(t, out)
        inserted, batches = int(t.group(1)), int(t.group(2))
        self.assertEqual(batches, int(m.group(1)))
        self.assertGreater(inserted, 0)
        self.assertEqual(inserted, batches * bs)
        self.assertEqual([d["_id"] for d in self.docs("big")], list(range(1, inserted + 1)))
        self.assertFalse({"never", "never2"} & set(self.db.list_collection_names()))

    def test_a_second_sigint_quits_at_once(self):
        # one batch of 50,000 rows: the first SIGINT cannot stop it (it
        # stops after the batch in flight), the second ends the process.
        # The signals are sent once the proxy has seen the insert go out:
        # a SIGINT while the file is still read stops before any batch.
        csv = self.big_csv(50000)
        path = self.script("BULK INSERT INTO big FROM '%s' FORMAT CSV WITH (batch_size = 100000);\n" % csv)
        with wireproxy.WireProxy() as proxy:
            proc, err, reader = self.start("-f", path, uri=proxy.uri)
            self.wait_until(lambda: proxy.commands("insert", "big"))
            proc.send_signal(signal.SIGINT)
            self.wait_until(lambda: any("cancelling" in line for line in err))
            proc.send_signal(signal.SIGINT)
            out = self.finish(proc, reader)
        self.assertEqual(proc.returncode, -signal.SIGINT, (out, err))
        self.assertEqual(out, "")

    def test_sigint_while_the_script_is_read_from_stdin(self):
        proc, err, reader = self.start(stdin=subprocess.PIPE)
        proc.stdin.write("BULK INSERT INTO x (_id) VALUES (1);\n")
        proc.stdin.flush()
        time.sleep(0.5)  # bulkql waits for the end of the script
        proc.send_signal(signal.SIGINT)
        out = self.finish(proc, reader)
        self.assertEqual((proc.returncode, out), (1, ""), err)
        self.assertEqual(err, ["bulkql: cancelled while reading the script; nothing was run\n"])
        self.assertNotIn("x", self.db.list_collection_names())

    def test_sigint_while_from_stdin_waits_for_input(self):
        # every column typed: no type inference, whose sample would hold
        # the rows until infer_rows of them are read
        proc, err, reader = self.start("-c", "BULK INSERT INTO s (_id INT) FROM STDIN FORMAT CSV WITH (batch_size = 2);",
                                       stdin=subprocess.PIPE)
        proc.stdin.write("_id\n1\n2\n3\n")
        proc.stdin.flush()
        self.wait_until(lambda: self.db.s.count_documents({}) == 2)
        time.sleep(0.2)  # the third row read, the source waits for the fourth
        proc.send_signal(signal.SIGINT)
        out = self.finish(proc, reader)  # stdin is closed only after the exit
        self.assertEqual(proc.returncode, 1, (out, err))
        self.assertEqual(err, ["bulkql: cancelling: the statement stops after the batch in flight "
                               "(Ctrl-C again to quit at once)\n",
                               "bulkql: error: cancelled while reading <stdin>, after 1 batch "
                               "(BULK INSERT %s.s at <command>:1)\n" % self.dbname])
        self.assertRegex(out, r"\A" + self.table("BULK INSERT", "s", ("nInserted", 2), ("nFailed", 0),
                                                     ("nNotAttempted", 1)) + r"\Z")
        self.assertEqual(self.docs("s"), [{"_id": 1}, {"_id": 2}])

    def test_sigint_while_the_type_sample_waits_for_input(self):
        # no column typed: rows are held until infer_rows of them (or the
        # end) are read; a cancel while the sample waits writes none
        proc, err, reader = self.start("-c", "BULK INSERT INTO s FROM STDIN FORMAT CSV WITH (batch_size = 2);",
                                       stdin=subprocess.PIPE)
        proc.stdin.write("_id\n1\n2\n3\n")
        proc.stdin.flush()
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out = self.finish(proc, reader)
        self.assertEqual(proc.returncode, 1, (out, err))
        self.assertEqual(err, ["bulkql: cancelling: the statement stops after the batch in flight "
                               "(Ctrl-C again to quit at once)\n",
                               "bulkql: error: cancelled while reading <stdin>, after 0 batches "
                               "(BULK INSERT %s.s at <command>:1)\n" % self.dbname])
        self.assertEqual(self.docs("s"), [])

    def test_sigint_while_from_stdin_waits_reports_the_rows_that_failed(self):
        # the batch cut short by the cancel is not written, but its row
        # that failed on input is a failed row like any other
        failed = self.script("")
        proc, err, reader = self.start(
            "-c", "BULK INSERT INTO s (_id INT) FROM STDIN FORMAT CSV "
                  "WITH (batch_size = 3, failed_records_file = '%s', failed_records_mode = 'overwrite', continue_on_error = true);" % failed,
            stdin=subprocess.PIPE)
        proc.stdin.write("_id\n1\n2\n3\nnope\n5\n")
        proc.stdin.flush()
        self.wait_until(lambda: self.db.s.count_documents({}) == 3)
        time.sleep(0.2)  # rows 4 and 5 read, the source waits for the sixth
        proc.send_signal(signal.SIGINT)
        out = self.finish(proc, reader)
        self.assertEqual(proc.returncode, 1, (out, err))
        self.assertEqual(err, ["bulkql: cancelling: the statement stops after the batch in flight "
                               "(Ctrl-C again to quit at once)\n",
                               "bulkql: error: 1 row failed (BULK INSERT %s.s at <command>:1)\n" % self.dbname])
        self.assertRegex(out, r"\A" + self.table("BULK INSERT", "s", ("nInserted", 3), ("nFailed", 1),
                                                     ("nNotAttempted", 1), batches=2)
                         + re.escape('  write errors:\n    row 4: line 5: column _id: "nope" is not an integer\n')
                         + r"\Z")
        self.assertEqual(self.docs("s"), [{"_id": 1}, {"_id": 2}, {"_id": 3}])
        with open(failed) as f:
            records = [json.loads(line) for line in f]
        self.assertEqual([(r["row"], r["line"]) for r in records], [(4, 5)], records)
        # the operation: that batch is not completed (a resume would read
        # its rows again), in its counters as in its checkpoint
        op = self.db.bulkql_operations.find_one({})
        self.assertEqual(op["checkpoint"]["completed"], [{"first": 1, "last": 3}], op)
        self.assertEqual((op["checkpoint"]["batches"], op["counters"]["batches"]), (1, 1), op)
        self.assertEqual((op["counters"]["nFailed"], op["counters"]["rowsDone"]), (0, 3), op)

    def test_no_progress_line_into_a_pipe_by_default(self):
        rows = ", ".join("(%d)" % i for i in range(1, 1001))
        r = self.bulkql(sql="BULK INSERT INTO np (_id) VALUES %s WITH (batch_size = 5);" % rows)
        self.assertEqual((r.rc, r.err), (0, ""), r)
        r = self.bulkql(sql="BULK INSERT INTO np2 (_id) VALUES %s WITH (batch_size = 5, progress = true);" % rows)
        self.assertEqual(r.rc, 0, r)
        elapsed = float(re.search(r"elapsed     ([\d.]+) ms", r.out).group(1))
        lines = r.err.splitlines(True)
        for line in lines:
            self.assertRegex(line, r"^progress: [\d,]+ of 1,000 rows \(\d+%\), [\d,]+ rows/s, ETA \d+:\d\d\n$")
        if elapsed > 1500:
            self.assertGreaterEqual(len(lines), 1, r)
        self.assertLessEqual(len(lines), elapsed / 1000 + 1)


if __name__ == "__main__":
    bqltest.main()
