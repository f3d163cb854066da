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
        # a directory goes on with '/'
        os.mkdir(os.path.join(self.tmp, "scripts.d"))
        self.write("scripts.d/one.sql", "BULK INSERT INTO f (_id) VALUES (6);\n")
        mark = s.mark()
        s.type("\\i " + os.path.join(self.tmp, "scripts."))
        s.key("Tab")
        s.wait(r"> \\i %s/\Z" % re.escape(os.path.join(self.tmp, "scripts.d")), since=mark, flags=0)
        s.key("Tab")
        s.wait(r"> \\i %s \Z" % re.escape(os.path.join(self.tmp, "scripts.d", "one.sql")), since=mark, flags=0)
        s.key("Enter")
        s.wait(r"nInserted   1", since=mark)
        s.wait(r"\n" + self.prompt()[1:], since=mark)
        self.assertEqual(self.docs("f"), [{"_id": 5}, {"_id": 6}])
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
        columns = {len(re.match(r"  \\.*?\S {2,}", l).group(0)) for l in meta}
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
        # mongosh's words
        self.assertIn(expected, self.run_line(s, "show tables;"))
        self.assertIn("\n  %s  (current)\n" % self.dbname, self.run_line(s, "show dbs;"))
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

    def test_dryrun_shows_what_it_would_log_and_writes_nothing(self):
        s = self.start()
        self.run_line(s, "\\dryrun on", until=r"dryrun is on\.")
        out = self.run_line(s, "BULK INSERT INTO w (a INT) VALUES (1), (2) WITH (error_collection = 'errs', "
                               "continue_on_error = true);", until=r"would log")
        self.assertIn("  dry run: nothing was written to the collection\n"
                      "  would log to %s.bulk_operation_metrics:\n    { " % self.dbname, out)
        self.assertRegex(out, r'"kind" : "BULK INSERT", "collection" : "%s\.w", ' % re.escape(self.dbname))
        self.assertRegex(out, r'"nWouldWrite" : 2, .*"dryRun" : true, "errorRate" : 0\.0, "status" : "Complete" \}')
        self.assertNotIn(self.dbname, self.client.list_database_names())
        # \d at the same prompt: still nothing there
        out = self.run_line(s, "\\d", until=r"\(0 collections\)")
        self.quit(s)


class ParametersTest(ShellBase):
    def test_v_and_set_bind_parameters_typed_as_literals(self):
        s = self.start("-v", "n=5", "-v", "who=ann", "-v", "3=true")
        out = self.run_line(s, "\\set")
        self.assertIn(":n = 5 (int)\n:who = 'ann' (string)\n?3 = true (bool)\n", out)
        self.run_line(s, "BULK INSERT INTO p (_id, who, flag) VALUES (:n, :who, ?);", until=r"nInserted   1")
        self.run_line(s, "\\set n 6")
        self.run_line(s, "\\set who 'it''s'")
        self.run_line(s, "\\set 3 2.5")
        self.run_line(s, "BULK INSERT INTO p (_id, who, flag) VALUES (:n, :who, ?);", until=r"nInserted   1")
        self.run_line(s, "\\unset who")
        out = self.run_line(s, "BULK INSERT INTO p (_id, who, flag) VALUES (:n, :who, ?);")
        self.assertIn("error: no value bound for parameter :who", out)
        out = self.run_line(s, "\\set 0 x")
        self.assertIn("\\set: invalid parameter name '0'", out)
        self.assertEqual(self.docs("p"), [{"_id": 5, "who": "ann", "flag": True},
                                          {"_id": 6, "who": "it's", "flag": 2.5}])
        self.quit(s)

    def test_explain_with_unbound_parameters_shows_placeholders(self):
        s = self.start()
        out = self.run_line(s, "EXPLAIN BULK DELETE FROM p WHERE qty < :limit AND sku = ?;")
        self.assertNotIn("error:", out)
        self.assertIn('"filter": {\n          "qty": {"$lt": ":limit"},\n          "sku": {"$eq": "?2"}\n        }', out)
        # \explain on (as --explain) too
        self.run_line(s, "\\explain on", until=r"explain is on\.")
        out = self.run_line(s, "BULK DELETE FROM p WHERE qty < :limit AND sku = ?;")
        self.assertNotIn("error:", out)
        self.assertIn('"filter": {\n          "qty": {"$lt": ":limit"},\n          "sku": {"$eq": "?2"}\n        }', out)
        self.run_line(s, "\\explain off", until=r"explain is off\.")
        out = self.run_line(s, "BULK DELETE FROM p WHERE qty < :limit AND sku = ?;")
        self.assertIn("error: no value bound for parameter :limit", out)
        self.quit(s)


class VerboseTest(ShellBase):
    def test_verbose_shows_every_batch_and_retry(self):
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
        import test_exec_retry
        proxy = test_exec_retry.ReplyDropper(bqltest.URI, "insert", 2)
        self.addCleanup(proxy.stop)
        port = proxy.uri.rsplit(":", 1)[1].strip("/")
        s = self.start("--uri", proxy.uri, wait_prompt=False)
        s.wait(self.prompt())
        self.run_line(s, "\\verbose", until=r"verbose is on\.")
        out = self.run_line(s, "BULK INSERT INTO v (_id) VALUES (1), (2), (3), (4), (5) "
                               "WITH (batch_size = 2, retry_backoff_ms = 50);", until=r"nInserted   5")
        self.assertIn("batch 1: rows 1-2, 2 sent, 2 inserted, 0 failed (server 127.0.0.1:%s)\n" % port, out)
        self.assertIn("retry: attempt 1 of 3 after 1 batch done, waiting 50 ms (server 127.0.0.1:%s)\n" % port, out)
        self.assertIn("batch 2: rows 3-4, 2 sent, 2 inserted, 0 failed (server 127.0.0.1:%s)\n" % port, out)
        self.assertIn("batch 3: rows 5-5, 1 sent, 1 inserted, 0 failed (server 127.0.0.1:%s)\n" % port, out)
        self.assertEqual(proxy.dropped, 1)
        self.run_line(s, "\\verbose off", until=r"verbose is off\.")
        out = self.run_line(s, "BULK INSERT INTO v (_id) VALUES (6);", until=r"nInserted   1")
        self.assertNotIn("batch 1:", out)
        self.assertEqual([d["_id"] for d in self.docs("v")], [1, 2, 3, 4, 5, 6])
        self.quit(s)


class EditTest(ShellBase):
    def start_with_editor(self, editor):
        env = {"HOME": self.home, "MONGODB_URI": bqltest.URI, "TERM": "xterm", "LC_ALL": "C.UTF-8",
               "EDITOR": editor}
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "PATH", "MONGOC_DISABLE_SHM"):
            if name in os.environ:
                env[name] = os.environ[name]
        s = test_repl.Screen(self.tmp, ["--db", self.dbname], env)
        self.screens.append(s)
        s.wait(self.prompt())
        return s

    def test_e_edits_the_last_statement_and_runs_it(self):
        s = self.start_with_editor("sed -i s/41/42/")
        self.run_line(s, "BULK INSERT INTO e (_id) VALUES (41);", until=r"nInserted   1")
        out = self.run_line(s, "\\e", until=r"nInserted   1")
        self.assertIn("BULK INSERT INTO e (_id) VALUES (42);\nBULK INSERT %s.e\n" % self.dbname, out)
        self.assertEqual(self.docs("e"), [{"_id": 41}, {"_id": 42}])
        # Up recalls the edited statement
        self.quit(s)

    def test_e_edits_the_statement_being_typed(self):
        s = self.start_with_editor("sed -i 's/$/VALUES(43)/'")
        mark = s.mark()
        s.line("BULK INSERT INTO e (_id)")
        s.wait(self.prompt(cont=True), since=mark)
        s.line("\\e")
        # no ';': typing goes on after the edited text
        s.wait(r"BULK INSERT INTO e \(_id\)VALUES\(43\)\n%s" % self.prompt(cont=True)[1:], since=mark)
        s.line(";")
        s.wait(r"nInserted   1", since=mark)
        self.assertEqual(self.docs("e"), [{"_id": 43}])
        self.quit(s)


class PasswordPromptTest(ShellBase):
    def test_a_user_without_a_password_is_asked_for_it_without_echo(self):
        uri = bqltest.URI.replace("mongodb://", "mongodb://bob@", 1)
        s = self.start("--uri", uri, wait_prompt=False)
        s.wait(r"^Password for bob: \Z", flags=re.M)
        s.line("pa ss@w0rd")
        s.wait(self.prompt())
        screen = s.text()
        self.assertNotIn("pa ss@w0rd", screen)
        self.assertNotIn("w0rd", screen)
        out = self.run_line(s, "\\conninfo")
        # the password is in the URI used (percent-encoded), masked when shown
        self.assertRegex(out, r"(Connected to|Not connected; the server is) mongodb://bob:\*\*\*\*@127\.0\.0\.1:")
        self.assertNotIn("w0rd", s.text())
        self.assertNotIn("w0rd", open(os.path.join(self.home, ".bulkql_history")).read()
                         if os.path.exists(os.path.join(self.home, ".bulkql_history")) else "")
        self.quit(s)

    def login(self, typed):
        """bulkql at the prompt with a URI naming bob and no password,
        against the SCRAM-SHA-256 fake (FerretDB has no authentication):
        the password is typed at the prompt. (screen, fake)"""
        import scramfake
        fake = scramfake.ScramFake("bob", "pa ss@w0rd")
        self.addCleanup(fake.close)
        s = self.start("--uri", "mongodb://bob@127.0.0.1:%d/" % fake.port, wait_prompt=False)
        s.wait(r"^Password for bob: \Z", flags=re.M)
        mark = s.mark()
        s.line(typed)
        s.wait(self.prompt(), since=mark)
        # not echoed: nothing of it on the screen
        self.assertNotIn(typed, s.text())
        self.assertNotIn(typed[-4:], s.text())
        return s, fake

    def test_the_typed_password_logs_in_with_scram(self):
        s, fake = self.login("pa ss@w0rd")
        # the server checked the SCRAM-SHA-256 proof made from it
        self.assertEqual(fake.wait_attempts(1), [("bob", True)])
        self.assertIn("Connected to mongodb://bob:****@127.0.0.1:%d/, database %s." % (fake.port, self.dbname),
                      s.text())
        out = self.run_line(s, "\\l", until=r"\(1 database\)")
        self.assertIn("Databases:\n  fakedb\n(1 database)\n", out)
        self.assertNotIn("w0rd", s.text())
        self.quit(s)

    def test_a_wrong_password_is_refused_by_the_server(self):
        s, fake = self.login("not it")
        self.assertEqual(fake.wait_attempts(1), [("bob", False)])
        self.assertIn("Authentication failed.", s.text())
        self.assertNotIn("fakedb", s.text())
        out = self.run_line(s, "\\l", until=r"Authentication failed\.")
        self.assertNotIn("fakedb", out)
        self.assertEqual([ok for _, ok in fake.attempts], [False, False])
        self.quit(s)


class CommandLineTest(bqltest.BulkqlCase):
    """The same options in script mode (no terminal)."""

    def test_verbose_and_v_in_script_mode(self):
        port = bqltest.URI.rstrip("/").rsplit(":", 1)[1]
        r = self.ok("BULK UPDATE s SET v = :v WHERE _id <= ? WITH (batch_size = 2);", "--verbose",
                    "-v", "v='x'", "-v", "2=3")
        self.assertEqual(r.err, "")  # nothing matched: no batch
        self.db.s.insert_many([{"_id": i} for i in range(1, 6)])
        r = self.ok("BULK UPDATE s SET v = :v WHERE _id <= ? WITH (batch_size = 2);", "--verbose",
                    "-v", "v='x'", "-v", "2=3")
        self.assertEqual(r.err, "batch 1: 2 sent, 2 matched, 2 modified, 0 failed (server 127.0.0.1:%s)\n"
                                "batch 2: 1 sent, 1 matched, 1 modified, 0 failed (server 127.0.0.1:%s)\n"
                         % (port, port))
        self.assertEqual(self.docs("s"), [{"_id": 1, "v": "x"}, {"_id": 2, "v": "x"}, {"_id": 3, "v": "x"},
                                          {"_id": 4}, {"_id": 5}])

    def test_v_refuses_a_bad_name(self):
        r = self.bulkql("-v", "a b=1", sql="BULK INSERT INTO s (_id) VALUES (1);")
        self.assertEqual(r.rc, 2)
        self.assertEqual(r.err, "bulkql: -v: invalid parameter name 'a b' (a name as :name, or n > 0 for the n-th ?)\n"
                                "Try 'bulkql --help' for more information.\n")
        r = self.bulkql("-v", "novalue", sql="BULK INSERT INTO s (_id) VALUES (1);")
        self.assertEqual(r.rc, 2)
        self.assertIn("bulkql: -v: takes NAME=VALUE\n", r.err)
        self.assertEqual(self.docs("s"), [])


if __name__ == "__main__":
    unittest.main()
