"""The script runner and its output as psql and sqlite3 users expect them
(issue 13): every -f/-c input is parsed and planned before the first
write; -f - reads the script from standard input; a relative FROM path
in a script is resolved against the script's folder; --quiet prints the
failed rows on stderr after an error line that names the statement and
its file:line; --format json gives floats in their shortest form, the
statement's file and line, and a JSON line for a syntax error; no
"(code 0)"; UPDATE ... FROM rows that matched nothing are listed as row
numbers; counters stay in one column. stdout, stderr and the exit code
are checked exactly, and the server's documents are read back."""
import json
import os
import pty
import re
import subprocess
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402

os.environ["MONGOC_DISABLE_SHM"] = "1"


class RunnerTest(bqltest.BulkqlCase):
    def bulkql(self, *args, cwd=None, **kw):
        """bqltest's bulkql, run in the folder cwd when given."""
        if cwd is None:
            return super().bulkql(*args, **kw)
        here = os.getcwd()
        os.chdir(cwd)
        try:
            return super().bulkql(*args, **kw)
        finally:
            os.chdir(here)

    def folder(self):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        return d

    def write(self, path, text):
        with open(path, "w") as f:
            f.write(text)
        return path

    # ---- SHOW COLLECTIONS / SHOW DATABASES alone in -c and -f ----

    def test_show_alone_in_a_command_or_a_file(self):
        # before: a syntax error at "SHOW" (only the prompt knew it)
        self.db.beta.insert_many([{"_id": i} for i in range(3)])
        self.db.alpha_longer_name.insert_one({"_id": 1})
        table = ("Collections of %s:\n"
                 "  collection            documents\n"
                 "  alpha_longer_name             1\n"
                 "  beta                          3\n"
                 "(2 collections)\n" % self.dbname)
        for sql in ("SHOW COLLECTIONS", "show collections;", "-- what is there\n  SHOW\tCOLLECTIONS ;\n",
                    "show tables"):
            r = self.bulkql(sql=sql)
            self.assertEqual((r.rc, r.out, r.err), (0, table, ""), sql)
        d = self.folder()
        r = self.bulkql("-f", self.write(os.path.join(d, "s.sql"), "SHOW DATABASES;\n"))
        self.assertEqual((r.rc, r.err), (0, ""), r)
        self.assertIn("\n  %s  (current)\n" % self.dbname, r.out)
        self.assertTrue(r.out.startswith("Databases:\n"), r)
        # (other tests may add databases meanwhile: the same form, not the same list)
        dbs = self.bulkql(sql="show dbs")
        self.assertEqual((dbs.rc, dbs.err), (0, ""), dbs)
        self.assertTrue(dbs.out.startswith("Databases:\n"), dbs)
        self.assertIn("\n  %s  (current)\n" % self.dbname, dbs.out)
        self.assertEqual(self.bulkql(sql="SHOW DATABASE").rc, 1)  # not a word of its own
        r = self.bulkql("--format", "json", "-c", "SHOW COLLECTIONS", "-c", "SHOW DATABASES")
        self.assertEqual(r.rc, 0, r)
        lines = [json.loads(x) for x in r.out.splitlines()]
        self.assertEqual(lines[0], {"database": self.dbname, "collections": [
            {"name": "alpha_longer_name", "documents": 1}, {"name": "beta", "documents": 3}]})
        self.assertIn(self.dbname, lines[1]["databases"])
        self.assertEqual(lines[1]["current"], self.dbname)
        # --explain connects to nothing: the commands it would send
        r = self.bulkql("--explain", "--uri", "mongodb://127.0.0.1:1", sql="SHOW COLLECTIONS")
        self.assertEqual((r.rc, r.err), (0, ""), r)
        self.assertEqual([st["command"] for st in json.loads(r.out)["steps"]],
                         [{"listCollections": 1, "nameOnly": True}, {"count": "<each collection>"}])
        # no server: the connection error, exit 2
        r = self.bulkql("--uri", "mongodb://127.0.0.1:1", sql="SHOW DATABASES")
        self.assertEqual((r.rc, r.out), (2, ""), r)
        self.assertIn("is the server running at 127.0.0.1:1?", r.err)

    def test_show_among_other_statements_says_to_give_it_alone(self):
        r = self.bulkql(sql="BULK INSERT INTO a (_id) VALUES (1); SHOW COLLECTIONS;")
        self.assertEqual(r.rc, 1, r)
        self.assertIn('<command>:1:38: error: syntax error at or near "SHOW"\n', r.err)
        self.assertIn("hint: SHOW COLLECTIONS and SHOW DATABASES are given alone: a -c or a file of their own, "
                      "or at the prompt.\n", r.err)
        self.assertEqual(self.db.list_collection_names(), [])

    # ---- item 3: every input is parsed before the first write ----

    def test_a_syntax_error_in_a_later_script_writes_nothing(self):
        d = self.folder()
        a = self.write(os.path.join(d, "a.sql"), "BULK INSERT INTO a (_id) VALUES (1);\n")
        b = self.write(os.path.join(d, "b.sql"), "BULK INSERT INTO b (_id) VALUES (2)\n    WTIH (ordered = true);\n")
        r = self.bulkql("-f", a, "-f", b)
        self.assertEqual((r.rc, r.out), (1, ""), r)
        self.assertEqual(r.err,
                         "%s:2:5: error: syntax error at or near \"WTIH\"\n"
                         "    2 |     WTIH (ordered = true);\n"
                         "      |     ^^^^\n"
                         "detail: expected end of input, CHECK, ON, WITH, \";\" or \",\"\n"
                         "hint: Did you mean \"WITH\"?\n" % b)
        self.assertEqual(self.db.list_collection_names(), [])

    def test_a_bad_command_after_a_script_writes_nothing_even_with_continue_on_error(self):
        d = self.folder()
        a = self.write(os.path.join(d, "a.sql"), "BULK INSERT INTO a (_id) VALUES (1);\n")
        r = self.bulkql("--continue-on-error", "-f", a, "-c", "BULK INSERT INTO b (_id) VALUES (2) WITH (bacth_size = 10);")
        self.assertEqual((r.rc, r.out), (1, ""), r)
        self.assertEqual(r.err,
                         "<command>:1:43: error: unknown option \"bacth_size\"\n"
                         "    1 | BULK INSERT INTO b (_id) VALUES (2) WITH (bacth_size = 10);\n"
                         "      |                                           ^^^^^^^^^^\n"
                         "hint: Did you mean \"batch_size\"?\n")
        self.assertEqual(self.db.list_collection_names(), [])

    def test_every_bad_input_is_reported(self):
        r = self.bulkql("-c", "BULK INSERT INTO a (_id) VALUES (1);", "-c", "BULK INSERT INTO",
                        "-c", "BULK DELETE FROM c")
        self.assertEqual((r.rc, r.out), (1, ""), r)
        self.assertEqual(re.findall(r"^<command>:\d+:\d+: error: .*$", r.err, re.M),
                         ["<command>:1:17: error: syntax error at end of input",
                          "<command>:1:19: error: BULK DELETE requires a WHERE clause"], r)
        self.assertEqual(self.db.list_collection_names(), [])

    def test_an_unreadable_later_script_writes_nothing(self):
        d = self.folder()
        a = self.write(os.path.join(d, "a.sql"), "BULK INSERT INTO a (_id) VALUES (1);\n")
        missing = os.path.join(d, "missing.sql")
        r = self.bulkql("-f", a, "-f", missing)
        self.assertEqual((r.rc, r.out, r.err), (2, "", "bulkql: cannot read %s: No such file or directory\n" % missing), r)
        self.assertEqual(self.db.list_collection_names(), [])

    # ---- -f - ----

    def test_dash_f_dash_reads_the_script_from_stdin(self):
        r = self.bulkql("-q", "-c", "BULK INSERT INTO s (_id) VALUES (1);", "-f", "-",
                        stdin="BULK INSERT INTO s (_id) VALUES (2);\nBULK INSERT INTO s (_id) VALUES (3);\n")
        self.assertEqual((r.rc, r.out, r.err), (0, "", ""), r)
        self.assertEqual(self.docs("s"), [{"_id": 1}, {"_id": 2}, {"_id": 3}])
        r = self.bulkql("-f", "-", stdin="BULK INSERT INTO s (_id) VALUES (4)\n  WTIH (x = 1);\n")
        self.assertEqual((r.rc, r.out), (1, ""), r)
        self.assertTrue(r.err.startswith("<stdin>:2:3: error: syntax error at or near \"WTIH\"\n"), r)
        r = self.bulkql("-f", "-", "-f", "-", stdin="")
        self.assertEqual((r.rc, r.out, r.err), (2, "", "bulkql: -f - is given twice: standard input holds one script\n"))
        self.assertEqual(len(self.docs("s")), 3)

    # ---- item 7: FROM paths against the script's folder ----

    def test_from_path_is_resolved_against_the_scripts_folder(self):
        d = self.folder()
        os.mkdir(os.path.join(d, "data"))
        self.write(os.path.join(d, "data", "p.csv"), "_id,name\n1,ann\n2,bob\n")
        script = self.write(os.path.join(d, "load.sql"),
                            "BULK INSERT INTO p (_id int, name text) FROM 'data/p.csv' FORMAT CSV;\n")
        elsewhere = self.folder()
        r = self.bulkql("-q", "-f", script, cwd=elsewhere)
        self.assertEqual((r.rc, r.out, r.err), (0, "", ""), r)
        self.assertEqual(self.docs("p"), [{"_id": 1, "name": "ann"}, {"_id": 2, "name": "bob"}])
        # a relative script path: the FROM path is shown resolved
        r = self.bulkql("--explain", "-f", "load.sql", cwd=d)
        self.assertEqual(r.rc, 0, r)
        self.assertIn('"file": "data/p.csv"', r.out)
        os.mkdir(os.path.join(elsewhere, "sub"))
        shutil.copy(script, os.path.join(elsewhere, "sub", "load.sql"))
        r = self.bulkql("--explain", "-f", "sub/load.sql", cwd=elsewhere)
        self.assertIn('"file": "sub/data/p.csv"', r.out)
        # the error names the resolved path
        r = self.bulkql("-q", "-f", "sub/load.sql", cwd=elsewhere)
        self.assertEqual((r.rc, r.out), (1, ""), r)
        self.assertEqual(r.err.splitlines()[0],
                         "sub/load.sql:1:41: error: cannot open 'sub/data/p.csv': No such file or directory", r)

    def test_from_path_of_a_command_or_absolute_is_unchanged(self):
        d = self.folder()
        self.write(os.path.join(d, "c.csv"), "_id\n5\n")
        r = self.bulkql("-q", "-c", "BULK INSERT INTO c (_id int) FROM 'c.csv';", cwd=d)
        self.assertEqual((r.rc, r.out, r.err), (0, "", ""), r)
        other = self.folder()
        script = self.write(os.path.join(other, "abs.sql"),
                            "BULK INSERT INTO c (_id int) FROM '%s';\n" % os.path.join(d, "c.csv").replace("5", "5"))
        self.write(os.path.join(d, "c.csv"), "_id\n6\n")
        r = self.bulkql("-q", "-f", script)
        self.assertEqual((r.rc, r.out, r.err), (0, "", ""), r)
        self.assertEqual(self.docs("c"), [{"_id": 5}, {"_id": 6}])

    def test_from_path_in_a_script_run_with_backslash_i_at_the_prompt(self):
        d = self.folder()
        os.mkdir(os.path.join(d, "inc"))
        self.write(os.path.join(d, "inc", "i.csv"), "_id\n41\n")
        self.write(os.path.join(d, "inc", "i.sql"), "BULK INSERT INTO inc (_id int) FROM 'i.csv';\n")
        master, slave = pty.openpty()  # standard input a terminal: the prompt
        env = dict(os.environ, NO_COLOR="1")
        proc = subprocess.Popen([bqltest.BULKQL, "--db", self.dbname], stdin=slave, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=d, env=env)
        os.close(slave)
        try:
            os.write(master, b"\\i inc/i.sql\n")
            deadline = time.monotonic() + 30
            while self.db.inc.count_documents({}) == 0 and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            os.write(master, b"\\q\n")
            out, err = proc.communicate(timeout=60)
        finally:
            os.close(master)
        self.assertEqual((proc.returncode, err), (0, b""), (out, err))
        self.assertIn(b"BULK INSERT %s.inc\n  nInserted   1\n" % self.dbname.encode(), out)
        self.assertEqual(self.docs("inc"), [{"_id": 41}])

    # ---- item 6: output ----

    def test_quiet_prints_failed_rows_on_stderr_under_the_located_error(self):
        script = self.write(os.path.join(self.folder(), "q.sql"),
                            "-- two statements\nBULK INSERT INTO q (_id) VALUES (1);\n"
                            "BULK INSERT INTO q (_id) VALUES (3),\n  (1);\n")
        r = self.bulkql("-q", "-f", script)
        self.assertEqual((r.rc, r.out), (1, ""), r)
        self.assertEqual(r.err, "bulkql: error: 1 row failed (BULK INSERT %s.q at %s:3)\n"
                                "  write errors:\n"
                                "    row 2: E11000 duplicate key error collection: %s.q (code 11000)\n"
                                % (self.dbname, script, self.dbname))
        self.assertEqual(self.docs("q"), [{"_id": 1}, {"_id": 3}])

    def test_final_error_names_the_statement_and_its_line(self):
        r = self.bulkql(sql="BULK INSERT INTO f (_id) VALUES (1);\nBULK INSERT INTO f (_id) VALUES (1);")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.err, "bulkql: error: 1 row failed (BULK INSERT %s.f at <command>:2)\n" % self.dbname)

    def test_conversion_errors_have_no_code_0(self):
        d = self.folder()
        self.write(os.path.join(d, "n.csv"), "_id\n1\nnope\n")
        script = self.write(os.path.join(d, "n.sql"), "BULK INSERT INTO n (_id int) FROM 'n.csv' WITH (ordered = false);\n")
        r = self.bulkql("-f", script)
        self.assertEqual(r.rc, 1, r)
        self.assertTrue(r.out.endswith('  write errors:\n    row 2: line 3: column _id: "nope" is not an integer\n'), r)
        self.assertNotIn("(code 0)", r.out)
        self.assertEqual(self.docs("n"), [{"_id": 1}])

    def test_unmatched_rows_are_row_numbers(self):
        self.db.u.insert_many([{"_id": 1, "v": 0}, {"_id": 2, "v": 0}])
        r = self.bulkql(sql="BULK UPDATE u SET v = r.v FROM (VALUES (1, 10), (7, 70), (9, 90)) AS r(id, v) WHERE _id = r.id;")
        self.assertEqual((r.rc, r.err), (0, ""), r)
        self.assertTrue(r.out.endswith("  matched nothing: rows 2, 3\n"), r)
        r = self.bulkql(sql="BULK UPDATE u SET v = r.v FROM (VALUES (8, 80)) AS r(id, v) WHERE _id = r.id;")
        self.assertTrue(r.out.endswith("  matched nothing: row 1\n"), r)
        self.assertEqual(self.docs("u"), [{"_id": 1, "v": 10}, {"_id": 2, "v": 0}])

    def test_counters_stay_in_one_column(self):
        r = self.bulkql(sql="BULK INSERT INTO a (_id) VALUES (1), (1), (2);")
        self.assertEqual(r.rc, 1, r)
        self.assertRegex(r.out, r"\ABULK INSERT %s\.a\n"
                                r"  nInserted     1\n"
                                r"  nFailed       1\n"
                                r"  nNotAttempted 1\n"
                                r"  batches       1\n"
                                r"  elapsed       \d+\.\d ms \(\d+ docs/s\)\n" % re.escape(self.dbname))
        r = self.bulkql("--dry-run", sql="BULK INSERT INTO a (_id) VALUES (7);")
        self.assertRegex(r.out, r"\ABULK INSERT %s\.a\n"
                                r"  nInserted   0\n"
                                r"  nFailed     0\n"
                                r"  nWouldWrite 1\n"
                                r"  batches     1\n"
                                r"  elapsed     \d+\.\d ms \(\d+ docs/s\)\n" % re.escape(self.dbname))
        self.assertEqual(self.docs("a"), [{"_id": 1}])

    def test_json_syntax_error_is_a_json_line(self):
        r = self.bulkql("--format", "json", "-c", "BULK INSERT INTO j (_id) VALUES (1);", "-c", "BULK INSERT INTO")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.out, '{ "ok" : false, "file" : "<command>", "line" : 1, "column" : 17, '
                                '"error" : "syntax error at end of input" }\n')
        self.assertTrue(r.err.startswith("<command>:1:17: error: syntax error at end of input\n"), r)
        self.assertEqual(self.db.list_collection_names(), [])

    def test_json_results_have_file_line_and_shortest_floats(self):
        script = self.write(os.path.join(self.folder(), "j.sql"),
                            "BULK INSERT INTO j (_id) VALUES (1);\n\nBULK INSERT INTO j (_id, x)\n"
                            "  VALUES (2, 1.5);\n")
        r = self.bulkql("--format", "json", "-f", script)
        self.assertEqual((r.rc, r.err), (0, ""), r)
        lines = r.out.splitlines()
        for x in lines:
            toks = re.findall(r'"(?:elapsedMs|docsPerSec)" : ([-+0-9.eE]+)', x)
            self.assertEqual(len(toks), 2, x)
            for tok in toks:
                self.assertEqual(tok, repr(float(tok)), x)  # shortest round-trip form
        self.assertEqual([(json.loads(x)["file"], json.loads(x)["line"]) for x in lines], [(script, 1), (script, 3)])
        self.assertEqual(self.docs("j"), [{"_id": 1}, {"_id": 2, "x": 1.5}])


if __name__ == "__main__":
    bqltest.main()
