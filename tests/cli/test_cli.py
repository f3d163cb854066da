"""The bulkql command as a user meets it: where statements come from,
exit codes, rendered errors, connection errors, passwords never shown."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402


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


if __name__ == "__main__":
    bqltest.main()
