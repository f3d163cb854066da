"""What users of psql, sqlite3 and mongosh reach for at the bulkql prompt
(issue 13), each shown on a real screen: bulkql runs in a tmux pane
(the harness of test_repl.py), keys are typed with send-keys, the screen
is read with capture-pane, and what the server holds afterwards is read
back with pymongo.
"""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402
import test_repl  # noqa: E402


class ShellBase(test_repl.ReplTest):
    """The harness of test_repl.py without its tests (they run there)."""


for _name in [n for n in dir(test_repl.ReplTest) if n.startswith("test_")]:
    setattr(ShellBase, _name, None)


class FromStdinTest(ShellBase):
    def clear(self, s):
        mark = s.mark()
        s.key("C-c")
        s.wait(r"\n" + self.prompt()[1:], since=mark)

    """FROM STDIN at the prompt reads the rows typed after it, as psql's
    COPY ... FROM STDIN does."""

    ROWS_HELP = (r"Enter the rows of FROM STDIN, one per line\.\n"
                 r"End with \\\. on a line by itself, or Ctrl-D; Ctrl-C cancels the statement\.\n")

    def test_rows_are_echoed_and_end_at_a_backslash_dot_line(self):
        s = self.start()
        mark = s.mark()
        s.line("BULK INSERT INTO people (_id INT, name) FROM STDIN FORMAT CSV;")
        s.wait(self.ROWS_HELP + r">> \Z", since=mark, flags=0)
        s.line("_id,name")
        s.line("1,ann")
        s.line("2,bob")
        s.wait(r"^>> _id,name\n>> 1,ann\n>> 2,bob\n>> \Z", since=mark, flags=re.M)
        s.line("\\.")
        s.wait(r"nInserted   2", since=mark)
        s.wait(r"\n" + self.prompt()[1:], since=mark)
        self.assertEqual(self.docs("people"), [{"_id": 1, "name": "ann"}, {"_id": 2, "name": "bob"}])
        # the rows are not in the history: Up recalls the statement
        mark = s.mark()
        s.key("Up")
        s.wait(r"> BULK INSERT INTO people \(_id INT, name\) FROM STDIN FORMAT CSV;\Z", since=mark, flags=0)
        self.clear(s)
        self.quit(s)

    def test_ctrl_d_ends_the_rows_and_tab_is_data(self):
        s = self.start()
        mark = s.mark()
        s.line("BULK INSERT INTO t (_id INT, name) FROM STDIN FORMAT TSV;")
        s.wait(r">> \Z", since=mark, flags=0)
        s.type("_id")
        s.key("Tab")
        s.type("name")
        s.key("Enter")
        s.type("7")
        s.key("Tab")
        s.type("x y")
        s.key("Enter")
        s.wait(r"^>> \Z", since=mark, flags=re.M)
        s.key("C-d")
        s.wait(r"nInserted   1", since=mark)
        s.wait(r"\n" + self.prompt()[1:], since=mark)
        self.assertEqual(self.docs("t"), [{"_id": 7, "name": "x y"}])
        # the session goes on, and Tab completes again
        mark = s.mark()
        s.type("BULK INSERT INTO t (_id INT) VALUES (8) WITH (batch_s")
        s.key("Tab")
        s.wait(r"WITH \(batch_size \Z", since=mark, flags=0)
        s.line("= 10);")
        s.wait(r"nInserted   1", since=mark)
        s.wait(r"\n" + self.prompt()[1:], since=mark)
        self.quit(s)

    def test_ctrl_c_while_typing_rows_cancels_the_statement(self):
        s = self.start()
        mark = s.mark()
        s.line("BULK INSERT INTO t (_id INT) FROM STDIN FORMAT CSV;")
        s.wait(r">> \Z", since=mark, flags=0)
        s.line("_id")
        s.line("1")
        s.wait(r">> 1\n>> \Z", since=mark, flags=0)
        s.key("C-c")
        s.wait(r"bulkql: cancelled while reading the rows of FROM STDIN; nothing was written\n"
               + self.prompt()[1:], since=mark)
        self.assertEqual(self.docs("t"), [])
        self.assertNotIn("t", self.db.list_collection_names())
        # the next statement runs as usual
        self.run_line(s, "BULK INSERT INTO t (_id INT) VALUES (3);", until=r"nInserted   1")
        self.assertEqual(self.docs("t"), [{"_id": 3}])
        self.quit(s)


class CompletionTest(ShellBase):
    def clear(self, s):
        """Ctrl-C: drop the line typed, wait for a new prompt."""
        mark = s.mark()
        s.key("C-c")
        s.wait(r"\n" + self.prompt()[1:], since=mark)
    def test_after_into_update_and_from_only_collections_are_offered(self):
        self.db.create_collection("inventory")
        s = self.start()
        for typed, done in (("BULK INSERT INTO i", "BULK INSERT INTO inventory "),
                            ("BULK UPDATE i", "BULK UPDATE inventory "),
                            ("BULK DELETE FROM i", "BULK DELETE FROM inventory ")):
            mark = s.mark()
            s.type(typed)
            s.key("Tab")
            s.wait(r"> %s\Z" % re.escape(done), since=mark, flags=0)
            self.clear(s)
        # Tab twice lists the choices: the collections (and STDIN after FROM)
        self.db.create_collection("items")
        mark = s.mark()
        s.line("\\use %s" % self.dbname)  # the list is read again
        s.wait(r"Database is", since=mark)
        mark = s.mark()
        s.type("BULK INSERT INTO ")
        s.key("Tab")
        s.key("Tab")
        m = s.wait(r"INTO i\n(.*)\n.*> BULK INSERT INTO i\Z", since=mark, flags=re.S)
        self.assertEqual(sorted(m.group(1).split()), ["inventory", "items"])
        self.clear(s)
        mark = s.mark()
        s.type("BULK DELETE FROM ")
        s.key("Tab")
        s.key("Tab")
        m = s.wait(r"FROM \n(.*)\n.*> BULK DELETE FROM \Z", since=mark, flags=re.S)
        self.assertEqual(sorted(m.group(1).split()), ["STDIN", "inventory", "items"])
        self.clear(s)
        # on the next line of a statement too
        mark = s.mark()
        s.line("BULK INSERT")
        s.wait(self.prompt(cont=True), since=mark)
        s.type("INTO inv")
        s.key("Tab")
        s.wait(r"- INTO inventory \Z", since=mark, flags=0)
        s.line("(_id) VALUES (1);")
        s.wait(r"nInserted   1", since=mark)
        s.wait(r"\n" + self.prompt()[1:], since=mark)
        self.assertEqual(self.docs("inventory"), [{"_id": 1}])
        self.quit(s)

    def test_unsupported_words_are_not_offered_and_column_types_are(self):
        s = self.start()
        # SELECT and CREATE are keywords only to be refused with a hint
        mark = s.mark()
        s.type("EXPLAIN BULK INSERT INTO t (a) VALUES (1) WITH (sel")
        s.key("Tab")
        s.key("Tab")
        s.type("|")
        s.wait(r"WITH \(sel\|\Z", since=mark, flags=0)
        self.clear(s)
        mark = s.mark()
        s.type("EXPLAIN BULK INSERT INTO t (a) VALUES (1) WITH (cre")
        s.key("Tab")
        s.key("Tab")
        s.type("|")
        s.wait(r"WITH \(cre\|\Z", since=mark, flags=0)
        self.clear(s)
        # a statement starts with BULK or EXPLAIN
        mark = s.mark()
        s.type("e")
        s.key("Tab")
        s.wait(r"> explain \Z", since=mark, flags=0)
        s.type("b")
        s.key("Tab")
        s.wait(r"> explain bulk \Z", since=mark, flags=0)
        self.clear(s)
        # column types and their aliases
        mark = s.mark()
        s.type("BULK INSERT INTO t (name VARC")
        s.key("Tab")
        s.wait(r"\(name VARCHAR \Z", since=mark, flags=0)
        s.type(", n INTEG")
        s.key("Tab")
        s.wait(r"\(name VARCHAR , n INTEGER \Z", since=mark, flags=0)
        s.line(") VALUES ('a', 1);")
        s.wait(r"nInserted   1", since=mark)
        s.wait(r"\n" + self.prompt()[1:], since=mark)
        docs = self.docs("t", sort="n")
        self.assertEqual([(d["name"], d["n"]) for d in docs], [("a", 1)])
        self.quit(s)

    def test_include_completes_file_names(self):
        path = self.write("load.part1.sql", "BULK INSERT INTO f (_id) VALUES (5);\n")
        s = self.start()
        mark = s.mark()
        s.type("\\i " + path[:-len("part1.sql")])  # up to ".../load."
        s.key("Tab")
        s.wait(r"> \\i %s \Z" % re.escape(path), since=mark, flags=0)
        s.key("Enter")
        s.wait(r"nInserted   1", since=mark)
        s.wait(r"\n" + self.prompt()[1:], since=mark)
        self.assertEqual(self.docs("f"), [{"_id": 5}])
        # the meta-commands themselves complete
        mark = s.mark()
        s.type("\\conn")
        s.key("Tab")
        s.wait(r"> \\conn\Z", since=mark, flags=0)  # \connect and \conninfo
        s.type("i")
        s.key("Tab")
        s.wait(r"> \\conninfo \Z", since=mark, flags=0)
        self.clear(s)
        self.quit(s)


class MetaCommandTest(ShellBase):
    def test_format_without_an_argument_prints_the_format(self):
        s = self.start()
        out = self.run_line(s, "\\format")
        self.assertIn("\nformat is table.\n", out)
        self.run_line(s, "\\format json")
        out = self.run_line(s, "\\format")
        self.assertIn("\nformat is json.\n", out)
        out = self.run_line(s, "\\format xml")
        self.assertIn("\\format takes table or json\n", out)
        self.quit(s)

    def test_help_columns_are_aligned_and_name_the_type_aliases(self):
        s = self.start()
        out = self.run_line(s, "\\help")
        meta = [l for l in out.split("\n") if l.startswith("  \\")]
        self.assertGreaterEqual(len(meta), 12, out)
        columns = {len(re.match(r"  (\\\S+( \S+)?) +", l).group(0)) for l in meta}
        self.assertEqual(columns, {30}, "\n".join(meta))
        options = [l for l in out.split("\n") if re.match(r"  [a-z_]+ = \S+ {2,}", l)]
        self.assertGreaterEqual(len(options), 18, out)
        self.assertEqual({len(re.match(r"  [a-z_]+ = \S+ +", l).group(0)) for l in options}, {30},
                         "\n".join(options))
        self.assertIn("STRING (TEXT, VARCHAR)", out)
        self.assertIn("INT (INTEGER, INT32)", out)
        self.quit(s)

    def test_connection_error_asks_whether_the_server_runs(self):
        s = self.start()
        out = self.run_line(s, "\\connect mongodb://127.0.0.1:1/")
        self.assertIn("bulkql: cannot connect to mongodb://127.0.0.1:1/: is the server running at 127.0.0.1:1?\n",
                      out)
        self.assertNotIn("serverSelectionTryOnce", out)
        self.quit(s)

    def test_d_and_show_collections_list_collections_with_counts(self):
        self.db.people.insert_many([{"_id": i} for i in range(3)])
        self.db.create_collection("empty_one")
        s = self.start()
        expected = ("Collections of %s:\n"
                    "  collection     documents\n"
                    "  empty_one              0\n"
                    "  people                 3\n"
                    "(2 collections)\n" % self.dbname)
        out = self.run_line(s, "\\d")
        self.assertIn(expected, out)
        out = self.run_line(s, "show collections;")
        self.assertIn(expected, out)
        mark = s.mark()
        s.line("SHOW")
        s.wait(self.prompt(cont=True), since=mark)
        s.line("  COLLECTIONS ;")
        s.wait(r"\(2 collections\)\n" + self.prompt()[1:], since=mark)
        out = self.run_line(s, "\\l")
        self.assertRegex(out, r"Databases:\n(  \S+.*\n)+\(\d+ databases?\)\n")
        self.assertIn("\n  %s  (current)\n" % self.dbname, out)
        out = self.run_line(s, "SHOW DATABASES;")
        self.assertIn("\n  %s  (current)\n" % self.dbname, out)
        self.quit(s)

    def test_conninfo_and_connect_without_uri_mask_the_password(self):
        s = self.start()
        out = self.run_line(s, "\\conninfo")
        self.assertIn("Connected to %s, database %s.\n" % (bqltest.URI, self.dbname), out)
        out = self.run_line(s, "\\connect")
        self.assertIn("Connected to %s, database %s.\n" % (bqltest.URI, self.dbname), out)
        self.quit(s)
        # a URI with a password, and no server: the password is masked
        s = self.start("--uri", "mongodb://bob:s3cretpw@127.0.0.1:1/", wait_prompt=False)
        s.wait(self.prompt())
        out = self.run_line(s, "\\conninfo")
        self.assertIn("Not connected; the server is mongodb://bob:****@127.0.0.1:1/, database %s.\n"
                      % self.dbname, out)
        self.assertNotIn("s3cretpw", s.text())
        self.quit(s)


if __name__ == "__main__":
    unittest.main()
