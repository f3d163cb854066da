"""The bulkql prompt driven in a real pseudo-terminal, as a person would.

Each test starts bulkql inside a private tmux server (its own socket, no
user configuration), types with send-keys and reads the screen with
capture-pane. Every wait polls the screen until what is expected appears
(or a generous deadline passes, then the test fails showing the screen),
so the tests do not depend on how fast the machine or the server is.
What the server holds afterwards is read back with pymongo.
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402

TIMEOUT = float(os.environ.get("BQL_REPL_TIMEOUT", "90"))
# libmongoc warns at start (before main) when a killed process left a
# /dev/shm/mongoc-PID file with the same PID; that would garble screens.
os.environ["MONGOC_DISABLE_SHM"] = "1"


class Screen:
    """bulkql running in a tmux pane."""

    count = 0

    def __init__(self, tmpdir, args, env, width=200, height=50):
        Screen.count += 1
        self.sock = os.path.join(tmpdir, "tmux%d.sock" % Screen.count)
        conf = os.path.join(tmpdir, "tmux.conf")
        with open(conf, "w") as f:
            # the pane is the whole screen; it stays after bulkql exits, so
            # that its exit status can be read
            f.write("set -g status off\nset -g remain-on-exit on\nset -g history-limit 50000\n")
        cmd = "exec env " + " ".join(shlex.quote("%s=%s" % kv) for kv in sorted(env.items()))
        cmd += " " + " ".join(shlex.quote(a) for a in [bqltest.BULKQL] + list(args))
        self.tmux("-f", conf, "new-session", "-d", "-s", "bql", "-x", str(width), "-y", str(height), cmd)

    def tmux(self, *args):
        p = subprocess.run(["tmux", "-u", "-S", self.sock] + list(args), capture_output=True, text=True,
                           env=dict(os.environ, LC_ALL="C.UTF-8"))
        if p.returncode != 0:
            raise AssertionError("tmux %s: %s" % (" ".join(args), p.stderr))
        return p.stdout

    def close(self):
        subprocess.run(["tmux", "-S", self.sock, "kill-server"], capture_output=True)

    def type(self, text):
        """Type text (no Enter). tmux takes an argument ending in ';' as a
        command separator unless the ';' is escaped."""
        if text.endswith(";"):
            text = text[:-1] + "\\;"
        self.tmux("send-keys", "-t", "bql", "-l", text)

    def key(self, *keys):
        self.tmux("send-keys", "-t", "bql", *keys)

    def line(self, text):
        self.type(text)
        self.key("Enter")

    def lines(self):
        out = self.tmux("capture-pane", "-t", "bql", "-p", "-J", "-S", "-")
        lines = out.split("\n")
        while lines and not lines[-1].strip():
            lines.pop()
        return lines

    def text(self, since=0):
        return "\n".join(self.lines()[since:])

    def mark(self):
        """The index of the last line (the prompt where typing goes)."""
        return max(len(self.lines()) - 1, 0)

    def wait(self, pattern, since=0, timeout=TIMEOUT, flags=re.M):
        """Poll the screen (from line since) until pattern matches; the match."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.text(since), flags)
            if m:
                return m
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for %r; the screen:\n%s%s"
                                     % (pattern, self.text(), self.backtrace()))
            time.sleep(0.05)

    def dead(self):
        """None while bulkql runs, else its exit status (-N: killed by
        signal N)."""
        out = self.tmux("display-message", "-p", "-t", "bql",
                        "#{pane_pid}:#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}")
        pid, dead, status, signal = out.strip().split(":")
        if dead == "1" and (status or signal):
            return int(status) if status else -int(signal)
        # tmux 3.3a sometimes leaves an exited pane's process unreaped (a
        # zombie) and the pane "alive": the kernel has its status
        # (/proc/PID/stat field 52, as waitpid reports it)
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        if fields[0] != "Z" or len(fields) < 50:
            return None
        code = int(fields[49])
        return -(code & 0x7f) if code & 0x7f else code >> 8

    def backtrace(self):
        """Where bulkql is (gdb, when there is one): for a failure report."""
        pid = self.tmux("display-message", "-p", "-t", "bql", "#{pane_pid}").strip()
        if self.dead() is not None or not shutil.which("gdb"):
            return ""
        p = subprocess.run(["gdb", "-batch", "-p", pid, "-ex", "thread apply all bt"], capture_output=True,
                           text=True, timeout=60)
        try:
            with open("/proc/%s/status" % pid) as f:
                state = "".join(l for l in f if l.startswith(("Name", "State", "SigBlk", "SigCgt", "SigPnd", "ShdPnd")))
            with open("/proc/%s/wchan" % pid) as f:
                state += "wchan: " + f.read() + "\n"
        except OSError as e:
            state = str(e)
        return "\n--- bulkql (pid %s):\n%s%s" % (pid, state, "\n".join(l for l in (p.stdout + p.stderr).splitlines()
                                                             if l.startswith(("#", "Thread", "ptrace"))))

    def wait_exit(self, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while self.dead() is None:
            if time.monotonic() > deadline:
                raise AssertionError("bulkql did not exit; the screen:\n%s%s" % (self.text(), self.backtrace()))
            time.sleep(0.05)
        return self.dead()


class ReplTest(bqltest.BulkqlCase):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="bulkql-repl-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.home = os.path.join(self.tmp, "home")
        os.mkdir(self.home)
        self.screens = []
        self.addCleanup(self.close_screens)

    def close_screens(self):
        for s in self.screens:
            s.close()

    def start(self, *args, db=True, wait_prompt=True):
        env = {"HOME": self.home, "MONGODB_URI": bqltest.URI, "TERM": "xterm", "LC_ALL": "C.UTF-8"}
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "PATH", "MONGOC_DISABLE_SHM"):
            if name in os.environ:
                env[name] = os.environ[name]
        s = Screen(self.tmp, (["--db", self.dbname] if db else []) + list(args), env)
        self.screens.append(s)
        if wait_prompt:
            s.wait(r"^Connected to .*, database %s\.$" % re.escape(self.dbname))
            s.wait(self.prompt())
        return s

    def prompt(self, db=None, cont=False):
        """The regex of an empty prompt line."""
        return r"^%s%s\s*\Z" % (re.escape(db or self.dbname), "-" if cont else ">")

    def run_line(self, s, text, until=None):
        """Type a line and Enter; wait for the next empty prompt (and for
        until, if given); the screen from the typed line on."""
        mark = s.mark()
        s.line(text)
        if until:
            s.wait(until, since=mark)
        s.wait(r"\n" + self.prompt()[1:], since=mark)
        return s.text(mark)

    def quit(self, s):
        s.line("\\q")
        self.assertEqual(s.wait_exit(), 0, s.text())

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    # ---- statements ----

    def test_multi_line_statement_runs_and_shows_the_result_table(self):
        s = self.start()
        mark = s.mark()
        s.line("BULK INSERT INTO people (_id, name)")
        s.wait(self.prompt(cont=True), since=mark)
        s.line("VALUES (1, 'ann'),")
        s.wait(r"^%s- VALUES \(1, 'ann'\),\n%s-\s*\Z" % ((re.escape(self.dbname),) * 2), since=mark)
        s.line("       (2, 'bob');")
        s.wait(r"\n" + self.prompt()[1:], since=mark)
        out = s.text(mark)
        d = re.escape(self.dbname)
        self.assertRegex(out, r"^%s> BULK INSERT INTO people \(_id, name\)\n"
                              r"%s- VALUES \(1, 'ann'\),\n"
                              r"%s-        \(2, 'bob'\);\n"
                              r"BULK INSERT %s\.people\n"
                              r"  nInserted   2\n"
                              r"  nFailed     0\n"
                              r"  batches     1\n"
                              r"  elapsed     \d+\.\d ms \(\d+ docs/s\)\n"
                              r"%s>\s*\Z" % (d, d, d, d, d))
        self.assertEqual(self.docs("people"), [{"_id": 1, "name": "ann"}, {"_id": 2, "name": "bob"}])
        self.quit(s)

    def test_errors_at_the_prompt_keep_the_session(self):
        self.db.dup.insert_one({"_id": 1})
        s = self.start()
        out = self.run_line(s, "BULK INSERT INTO dup (_id) VALUES (2) WTIH (ordered = true);")
        self.assertIn("<stdin>:1:39: error: syntax error at or near \"WTIH\"\n"
                      "    1 | BULK INSERT INTO dup (_id) VALUES (2) WTIH (ordered = true);\n"
                      "      |                                       ^^^^\n", out)
        out = self.run_line(s, "BULK INSERT INTO dup (_id) VALUES (1);")
        self.assertRegex(out, r"  nFailed     1\n  batches     1\n  elapsed     [\d.]+ ms \(0 docs/s\)\n"
                              r"  write errors:\n    row 1: E11000 duplicate key error")
        self.assertIn("bulkql: error: 1 row failed", out)
        self.run_line(s, "BULK INSERT INTO dup (_id) VALUES (3);", until=r"nInserted   1")
        self.assertEqual(self.docs("dup"), [{"_id": 1}, {"_id": 3}])
        self.quit(s)

    def test_resume_operation_over_two_lines_and_completed(self):
        s = self.start()
        mark = s.mark()
        s.type("res")
        s.key("Tab")
        s.wait(r"> resume \Z", since=mark, flags=0)
        s.type("op")
        s.key("Tab")
        s.wait(r"> resume operation \Z", since=mark, flags=0)
        s.line("")  # not complete: the continuation prompt
        s.wait(self.prompt(cont=True), since=mark)
        out = self.run_line(s, "'65a1f0c2e4b0a1b2c3d4e5f6';")
        self.assertIn("<stdin>:1:1: error: no operation 65a1f0c2e4b0a1b2c3d4e5f6: no database's bulkql_operations "
                      "holds it\n"
                      "    1 | resume operation \n"
                      "      | ^^^^^^^^^^^^^^^^^\n"
                      "hint: bulkql --operations lists the operations of a database (--db).\n", out)
        self.run_line(s, "BULK INSERT INTO after (_id) VALUES (1);", until=r"nInserted   1")  # the session goes on
        self.quit(s)

    # ---- completion and history ----

    def test_tab_completes_a_keyword_and_a_collection_name(self):
        self.db.create_collection("warehouse_stock")
        s = self.start()
        mark = s.mark()
        s.type("bulk ins")
        s.key("Tab")
        s.wait(r"> bulk insert \Z", since=mark, flags=0)
        s.type("INTO ware")
        s.key("Tab")
        s.wait(r"> bulk insert INTO warehouse_stock \Z", since=mark, flags=0)
        s.line("(_id) VALUES (7);")
        s.wait(r"BULK INSERT %s\.warehouse_stock\n  nInserted   1" % re.escape(self.dbname), since=mark)
        s.wait(r"\n" + self.prompt()[1:], since=mark)
        self.assertEqual(self.docs("warehouse_stock"), [{"_id": 7}])
        # an option name, in the case it was started in
        mark = s.mark()
        s.type("BULK INSERT INTO warehouse_stock (_id) VALUES (8) WITH (batch_s")
        s.key("Tab")
        s.wait(r"WITH \(batch_size \Z", since=mark, flags=0)
        s.line("= 10);")
        s.wait(r"nInserted   1", since=mark)
        s.wait(r"\n" + self.prompt()[1:], since=mark)
        self.assertEqual(self.docs("warehouse_stock"), [{"_id": 7}, {"_id": 8}])
        # an option group name (from the library's option table)
        mark = s.mark()
        s.type("BULK DELETE FROM warehouse_stock WHERE _id = 8 WITH DELETE_OPT")
        s.key("Tab")
        s.wait(r"WITH DELETE_OPTIONS \Z", since=mark, flags=0)
        s.line("(max_delete_count = 5);")
        s.wait(r"nRemoved    1", since=mark)
        s.wait(r"\n" + self.prompt()[1:], since=mark)
        self.assertEqual(self.docs("warehouse_stock"), [{"_id": 7}])
        self.quit(s)

    def test_history_is_recalled_after_a_restart(self):
        s = self.start()
        self.run_line(s, "BULK INSERT INTO hist (n) VALUES (1);", until=r"nInserted   1")
        self.run_line(s, "BULK INSERT INTO hist (n)\nVALUES (2);", until=r"nInserted   1")
        self.quit(s)
        with open(os.path.join(self.home, ".bulkql_history")) as f:
            saved = f.read().split("\n")
        # libedit's format: a header, then one entry a line, strvis(3)-encoded
        self.assertEqual(saved[0], "_HiStOrY_V2_")
        entries = [re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), e) for e in saved[1:] if e]
        self.assertEqual(entries, ["BULK INSERT INTO hist (n) VALUES (1);", "BULK INSERT INTO hist (n)\nVALUES (2);",
                                   "\\q"])

        s = self.start()
        mark = s.mark()
        # (libedit blanks what a longer entry left on the line with spaces)
        one = r"> BULK INSERT INTO hist \(n\) VALUES \(1\); *\Z"
        two = r"> BULK INSERT INTO hist \(n\) *\nVALUES \(2\); *\Z"  # one entry, over two lines
        quit = r"> \\q *\Z"
        for entry in (quit, two, one):  # Up, as a person: one press, look, the next
            s.key("Up")
            s.wait(entry, since=mark, flags=0)
        s.key("Enter")
        s.wait(r"nInserted   1", since=mark)
        s.wait(r"\n" + self.prompt()[1:], since=mark)
        self.assertEqual(sorted(d["n"] for d in self.docs("hist")), [1, 1, 2])
        mark = s.mark()
        for entry in (one, quit, two):
            s.key("Up")
            s.wait(entry, since=mark, flags=0)
        s.key("Enter")
        s.wait(r"nInserted   1", since=mark)
        s.wait(r"\n" + self.prompt()[1:], since=mark)
        self.assertEqual(sorted(d["n"] for d in self.docs("hist")), [1, 1, 2, 2])
        self.quit(s)

    # ---- keys ----

    def test_ctrl_c_at_the_prompt_clears_the_line(self):
        s = self.start()
        mark = s.mark()
        s.type("BULK INSERT INTO cc (_id)")
        s.wait(r"> BULK INSERT INTO cc \(_id\)\Z", since=mark, flags=0)
        s.key("C-c")
        s.wait(r"> BULK INSERT INTO cc \(_id\)\n" + self.prompt()[1:], since=mark)
        # what was typed is gone: the rest alone is a syntax error
        out = self.run_line(s, "VALUES (1);")
        self.assertIn("<stdin>:1:1: error: syntax error at or near \"VALUES\"", out)
        # an incomplete statement over several lines is dropped too
        mark = s.mark()
        s.line("BULK INSERT INTO cc (_id)")
        s.wait(self.prompt(cont=True), since=mark)
        s.key("C-c")
        s.wait(r"\n" + self.prompt()[1:], since=mark)
        out = self.run_line(s, "VALUES (2);")
        self.assertIn("error: syntax error at or near \"VALUES\"", out)
        self.assertNotIn("cc", self.db.list_collection_names())
        # Ctrl-C at an empty prompt: a new prompt, the session goes on
        mark = s.mark()
        s.key("C-c")
        s.wait(r"^%s>\s*\n%s>\s*\Z" % ((re.escape(self.dbname),) * 2), since=mark)
        self.run_line(s, "BULK INSERT INTO cc (_id) VALUES (3);", until=r"nInserted   1")
        self.assertEqual(self.docs("cc"), [{"_id": 3}])
        self.quit(s)

    def test_ctrl_d_exits(self):
        s = self.start()
        s.type("BULK")
        s.key("C-u")  # empty the line: Ctrl-D ends only an empty line
        s.key("C-d")
        self.assertEqual(s.wait_exit(), 0, s.text())

    def test_ctrl_c_cancels_a_long_load_after_the_batch_in_flight(self):
        n, bs = 100000, 50
        path = self.write("big.csv", "_id,name\n" + "".join("%d,name %d\n" % (i, i) for i in range(1, n + 1)))
        size = os.path.getsize(path)
        s = self.start()
        mark = s.mark()
        s.line("BULK INSERT INTO big FROM '%s' FORMAT CSV WITH (batch_size = %d);" % (path, bs))
        # the progress line: rows, rows/s, bytes of the file's size, ETA
        m = s.wait(r"^([\d,]+) rows, ([\d,]+) rows/s, ([\d.]+) (B|KiB|MiB) of ([\d.]+) MiB read, ETA \d+:\d\d$",
                   since=mark)
        self.assertEqual(m.group(5), "%.1f" % (size / 1048576.0))
        s.wait(r"^([\d,]*[1-9][\d,]{2,}) rows, ", since=mark)  # some batches done
        s.key("C-c")
        s.wait(r"^bulkql: cancelling: the statement stops after the batch in flight \(Ctrl-C again to quit at once\)$",
               since=mark)
        m = s.wait(r"^BULK INSERT %s\.big\n"
                   r"  nInserted   (\d+)\n"
                   r"  nFailed     0\n"
                   r"  batches     (\d+)\n"
                   r"  elapsed     [\d.]+ ms \(\d+ docs/s\)\n"
                   r"bulkql: error: cancelled after batch (\d+)\n" % re.escape(self.dbname), since=mark)
        s.wait(r"\n" + self.prompt()[1:], since=mark)
        inserted, batches = int(m.group(1)), int(m.group(2))
        self.assertEqual(int(m.group(3)), batches)
        self.assertGreater(inserted, 0)
        self.assertLess(inserted, n)
        self.assertEqual(inserted, batches * bs)  # whole batches only
        # the server holds exactly that prefix of the file
        self.assertEqual(self.db.big.count_documents({}), inserted)
        self.assertEqual([d["_id"] for d in self.docs("big")], list(range(1, inserted + 1)))
        # the progress line was erased before the result
        self.assertNotIn("rows/s", s.text(mark))
        # and the session goes on
        self.run_line(s, "BULK INSERT INTO after (_id) VALUES (1);", until=r"nInserted   1")
        self.assertEqual(self.docs("after"), [{"_id": 1}])
        time.sleep(0.5)
        self.assertEqual(self.db.big.count_documents({}), inserted)  # nothing more was written
        self.quit(s)

    def test_progress_of_values_with_a_total_and_ctrl_c(self):
        n, bs = 20000, 10
        path = self.write("values.sql", "BULK INSERT INTO vals (_id) VALUES %s WITH (batch_size = %d);\n"
                          "BULK INSERT INTO never (_id) VALUES (1);\n"
                          % (", ".join("(%d)" % i for i in range(1, n + 1)), bs))
        s = self.start()
        mark = s.mark()
        s.line("\\i " + path)
        s.wait(r"^[\d,]+ of 20,000 rows \(\d+%\), [\d,]+ rows/s, ETA \d+:\d\d$", since=mark)
        s.wait(r"^[\d,]*[1-9][\d,]{2,} of 20,000 rows", since=mark)
        s.key("C-c")
        m = s.wait(r"  nInserted     (\d+)\n"
                   r"  nFailed       0\n"
                   r"  nNotAttempted (\d+)\n"
                   r"  batches       (\d+)\n", since=mark)
        s.wait(r"^bulkql: error: cancelled after batch %s\nbulkql: cancelled; 1 statement not run$" % m.group(3),
               since=mark)
        s.wait(r"\n" + self.prompt()[1:], since=mark)
        inserted, left, batches = int(m.group(1)), int(m.group(2)), int(m.group(3))
        self.assertEqual(inserted, batches * bs)
        self.assertEqual(inserted + left, n)
        self.assertEqual(self.db.vals.count_documents({}), inserted)
        self.assertNotIn("never", self.db.list_collection_names())
        self.quit(s)

    def test_progress_line_is_erased_before_the_result(self):
        n, bs = 5000, 5
        path = self.write("erase.sql", "BULK INSERT INTO er (_id) VALUES %s WITH (batch_size = %d);"
                          % (", ".join("(%d)" % i for i in range(1, n + 1)), bs))
        s = self.start()
        mark = s.mark()
        s.line("\\i " + path)
        s.wait(r"^[\d,]+ of 5,000 rows \(\d+%\), [\d,]+ rows/s, ETA \d+:\d\d$", since=mark)
        s.wait(r"\n" + self.prompt()[1:], since=mark, timeout=900)
        out = s.text(mark)
        self.assertNotIn("rows/s", out)
        self.assertRegex(out, r"\A%s> \\i %s\nBULK INSERT %s\.er\n  nInserted   5000\n"
                              % (re.escape(self.dbname), re.escape(path), re.escape(self.dbname)))
        self.assertEqual(self.db.er.count_documents({}), n)
        self.quit(s)

    def test_progress_false_hides_the_line_on_a_terminal(self):
        n = 3000
        path = self.write("quiet.sql", "BULK INSERT INTO quiet (_id) VALUES %s WITH (batch_size = 10, progress = false);"
                          % ", ".join("(%d)" % i for i in range(1, n + 1)))
        s = self.start()
        mark = s.mark()
        s.line("\\i " + path)
        deadline = time.monotonic() + 600
        seen = ""
        while "nInserted" not in seen:
            seen = s.text(mark)
            self.assertNotRegex(seen, r"rows/s")
            self.assertLess(time.monotonic(), deadline, seen)
            time.sleep(0.02)
        s.wait(r"nInserted   %d" % n, since=mark)
        self.quit(s)

    # ---- meta-commands ----

    def test_operations_and_one_operation(self):
        s = self.start()
        self.run_line(s, "BULK INSERT INTO ops (_id) VALUES (1), (2) WITH (batch_size = 1);", until=r"nInserted   2")
        [op] = self.db.bulkql_operations.find()
        db = re.escape(self.dbname)
        out = self.run_line(s, "\\operations", until=r"^\(1 operation\)$")
        self.assertRegex(out, r"\nOperations of %s \(the most recent first\):\n"
                              r"  id {24}state {5}kind {4}collection +progress +rate  age  updated\n"
                              r"  %s  Complete  insert  %s\.ops  2 rows, 2 batches +[0-9,]+ rows/s +\d+s +\d+s ago\n"
                              r"\(1 operation\)\n" % (db, op["_id"], db), out)
        # \oper<Tab> completes the meta-command's name
        mark = s.mark()
        s.type("\\operation")
        s.key("Tab")
        s.wait(r"> \\operation\Z", since=mark, flags=0)
        s.line(" " + op["_id"])
        s.wait(r"^  checkpoint ", since=mark)
        s.wait(r"\n" + self.prompt()[1:], since=mark)
        out = s.text(mark)
        self.assertRegex(out, r"\nOperation %s in %s\.bulkql_operations: Complete\n" % (op["_id"], db))
        self.assertRegex(out, r"\n  _id {17}%s\n" % op["_id"])
        self.assertRegex(out, r"\n  kind {16}insert\n  database {12}%s\n  collection {10}ops\n" % db)
        self.assertRegex(out, r'\n  checkpoint {10}\{ "completed" : \[ \{ "first" : 1, "last" : 2 \} \], '
                              r'"inFlight" : \[  \], "sentThrough" : 2, "batches" : 2 \}\n')
        self.assertRegex(out, r"\n  startedAt {11}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\n")
        out = self.run_line(s, "\\operation", until=r"needs an operation id")
        self.assertIn("bulkql: \\operation needs an operation id (\\operations lists them)", out)
        out = self.run_line(s, "\\operation " + "e" * 24, until=r"cannot show")
        self.assertIn("bulkql: cannot show the operation: no operation %s: no database's bulkql_operations holds it"
                      % ("e" * 24), out)
        self.quit(s)

    def test_help_and_an_unknown_meta_command(self):
        s = self.start()
        out = self.run_line(s, "\\help")
        for line in ("Statements (end each with ;):",
                     "  BULK INSERT INTO coll [(col [type], ...)] VALUES (...), ... | FROM 'file' | FROM STDIN FORMAT f",
                     "  EXPLAIN statement           print the plan; run nothing",
                     "  batch_size = n              documents per round trip (1000)",
                     "  progress = bool             progress line",
                     "Meta-commands:",
                     "  \\q                          quit"):
            self.assertIn("\n" + line + "\n", out)
        # \help options: only the WITH options, from the option table
        out = self.run_line(s, "\\help options")
        for line in ("Option groups: BULK_OPTIONS, BATCH_CONFIG, DELETE_OPTIONS, ARCHIVAL_STRATEGY, OPTIONS",
                     "BATCH_CONFIG: batches, retries, limits and progress",
                     "  batch_size = n              documents per round trip (1000)",
                     "  memory_limit = 'size'       bound on buffered documents ('256MB')",
                     "  failed_records_mode = 'append' | 'overwrite'",
                     "                              what to do with an existing failed_records_file"):
            self.assertIn("\n" + line + "\n", out)
        self.assertNotIn("Statements", out)
        self.assertNotIn("Meta-commands:", out)
        out = self.run_line(s, "\\frobnicate now")
        self.assertRegex(out, r"^%s> \\frobnicate now\n"
                              r"unknown meta-command \\frobnicate; \\help lists them\n"
                              r"%s>\s*\Z" % ((re.escape(self.dbname),) * 2))
        self.quit(s)

    def test_timing_format_explain_and_dryrun(self):
        s = self.start()
        self.assertIn("timing is on.", self.run_line(s, "\\timing on"))
        out = self.run_line(s, "BULK INSERT INTO m (_id) VALUES (1);")
        self.assertRegex(out, r"  elapsed     [\d.]+ ms \(\d+ docs/s\)\nTime: \d+\.\d{3} ms\n")
        self.assertIn("timing is off.", self.run_line(s, "\\timing off"))
        self.assertNotIn("Time:", self.run_line(s, "BULK INSERT INTO m (_id) VALUES (2);"))

        self.assertIn("format is json.", self.run_line(s, "\\format json"))
        out = self.run_line(s, "BULK INSERT INTO m (_id) VALUES (3);")
        self.assertRegex(out, r'\n\{ "operationId" : "[0-9a-f]{24}", "statement" : "BULK INSERT", '
                              r'"namespace" : "%s\.m", "nInserted" : 1, ' % re.escape(self.dbname))
        self.assertRegex(out, r'"ok" : true \}\n')
        self.assertIn("\\format takes table or json", self.run_line(s, "\\format xml"))
        self.assertIn("format is table.", self.run_line(s, "\\format table"))

        self.assertIn("explain is on.", self.run_line(s, "\\explain on"))
        out = self.run_line(s, "BULK INSERT INTO m (_id) VALUES (4);")
        self.assertIn('"statement": "BULK INSERT"', out)
        self.assertIn('"insert": "m"', out)
        self.assertNotRegex(out, r"(?m)^  nInserted ")  # no result: it did not run
        self.assertIn('"records": [', out)
        self.assertIn("explain is off.", self.run_line(s, "\\explain off"))

        self.assertIn("dryrun is on.", self.run_line(s, "\\dryrun on"))
        out = self.run_line(s, "BULK INSERT INTO m (_id) VALUES (5), (6);")
        self.assertIn("  nWouldWrite 2\n", out)
        self.assertIn("  dry run: nothing was written to the collection\n", out)
        self.assertIn("dryrun is off.", self.run_line(s, "\\dryrun off"))
        self.assertEqual(self.docs("m"), [{"_id": 1}, {"_id": 2}, {"_id": 3}])
        self.quit(s)

    def test_include_a_file(self):
        path = self.write("load.sql", "BULK INSERT INTO inc (_id) VALUES (1), (2);\n"
                                      "BULK UPDATE inc SET tag = 'x' WHERE _id = 2;\n")
        s = self.start()
        out = self.run_line(s, "\\i " + path)
        self.assertRegex(out, r"BULK INSERT %s\.inc\n  nInserted   2\n" % re.escape(self.dbname))
        self.assertRegex(out, r"BULK UPDATE %s\.inc\n  nMatched    1\n  nModified   1\n" % re.escape(self.dbname))
        self.assertEqual(self.docs("inc"), [{"_id": 1}, {"_id": 2, "tag": "x"}])
        bad = self.write("bad.sql", "BULK INSERT INTO inc (_id) VALUES (3);\nBULK DELETE FROM inc;\n")
        out = self.run_line(s, "\\i " + bad)
        self.assertIn("%s:2:21: error: " % bad, out)
        self.assertEqual(self.docs("inc"), [{"_id": 1}, {"_id": 2, "tag": "x"}])  # nothing written
        out = self.run_line(s, "\\i " + os.path.join(self.tmp, "missing.sql"))
        self.assertIn("\\i: cannot read %s: No such file or directory" % os.path.join(self.tmp, "missing.sql"), out)
        self.quit(s)

    def test_use_and_connect(self):
        other = self.dbname + "_b"
        self.addCleanup(self.client.drop_database, other)
        s = self.start()
        out = self.run_line(s, "\\use")
        self.assertIn("Database is %s." % self.dbname, out)
        mark = s.mark()
        s.line("\\use " + other)
        s.wait(r"^Database is %s\.\n%s>\s*\Z" % (re.escape(other), re.escape(other)), since=mark)
        mark = s.mark()
        s.line("BULK INSERT INTO u (_id) VALUES (1);")
        s.wait(r"BULK INSERT %s\.u\n  nInserted   1" % re.escape(other), since=mark)
        s.wait(r"\n%s>\s*\Z" % re.escape(other), since=mark)
        self.assertEqual(list(self.client[other].u.find()), [{"_id": 1}])
        self.assertNotIn("u", self.db.list_collection_names())
        mark = s.mark()
        s.line("\\use " + self.dbname)
        s.wait(r"\n" + self.prompt()[1:], since=mark)

        # a server that is not there: a clear error, the password hidden,
        # the connection kept
        out = self.run_line(s, "\\connect mongodb://eve:pa55word@127.0.0.1:1/?serverSelectionTimeoutMS=300")
        typed, shown = out.split("\n", 1)
        self.assertIn("pa55word", typed)
        self.assertIn("bulkql: cannot connect to mongodb://eve:****@127.0.0.1:1/", shown)
        self.assertNotIn("pa55word", shown)
        self.run_line(s, "BULK INSERT INTO c (_id) VALUES (1);", until=r"nInserted   1")
        # the live server again, by another URI
        uri = bqltest.URI.rstrip("/") + "/?appname=again"
        out = self.run_line(s, "\\connect " + uri)
        self.assertIn("Connected to %s, database %s." % (uri, self.dbname), out)
        self.run_line(s, "BULK INSERT INTO c (_id) VALUES (2);", until=r"nInserted   1")
        self.assertEqual(self.docs("c"), [{"_id": 1}, {"_id": 2}])
        self.quit(s)

    def test_use_refuses_a_bad_name_at_once(self):
        s = self.start()
        out = self.run_line(s, "\\use bad/name")
        self.assertIn('\\use: invalid database name "bad/name": "/" is not allowed in a database name', out)
        # the database is unchanged: the prompt still names it
        self.run_line(s, "BULK INSERT INTO u (_id) VALUES (1);", until=r"nInserted   1")
        self.assertEqual(self.docs("u"), [{"_id": 1}])
        self.quit(s)

    def test_connect_is_kept_in_the_history_without_its_secrets(self):
        s = self.start()
        self.run_line(s, "\\connect mongodb://eve:Zebra4711@127.0.0.1:1/?serverSelectionTimeoutMS=300"
                         "&authMechanismProperties=AWS_SESSION_TOKEN:TokZebra4711", until=r"cannot connect")
        self.run_line(s, "BULK INSERT INTO h (_id) VALUES (1);", until=r"nInserted   1")
        self.quit(s)
        path = os.path.join(self.home, ".bulkql_history")
        with open(path) as f:
            saved = f.read()
        self.assertNotIn("Zebra4711", saved)
        self.assertIn("mongodb://eve:****@127.0.0.1:1/", saved)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)

    def test_sigterm_stops_the_statement_after_its_batch_and_ends_the_session(self):
        n, bs = 100000, 50
        path = self.write("big.csv", "_id,name\n" + "".join("%d,name %d\n" % (i, i) for i in range(1, n + 1)))
        s = self.start()
        mark = s.mark()
        s.line("BULK INSERT INTO big FROM '%s' FORMAT CSV WITH (batch_size = %d);" % (path, bs))
        s.wait(r"^([\d,]*[1-9][\d,]{2,}) rows, ", since=mark)  # some batches done
        pid = s.tmux("display-message", "-p", "-t", "bql", "#{pane_pid}").strip()
        os.kill(int(pid), 15)
        m = s.wait(r"^BULK INSERT %s\.big\n"
                   r"  nInserted   (\d+)\n"
                   r"  nFailed     0\n"
                   r"  batches     (\d+)\n"
                   r"  elapsed     [\d.]+ ms \(\d+ docs/s\)\n"
                   r"bulkql: error: cancelled after batch (\d+)$" % re.escape(self.dbname), since=mark)
        self.assertEqual(s.wait_exit(), 1, s.text())
        inserted = int(m.group(1))
        self.assertEqual(inserted, int(m.group(2)) * bs)
        self.assertEqual(self.db.big.count_documents({}), inserted)
        self.assertIn("bulkql: terminating (SIGTERM): the statement stops after the batch in flight", s.text(mark))
        [metrics] = self.db.bulk_operation_metrics.find()
        self.assertEqual((metrics["status"], metrics["nInserted"]), ("Aborted", inserted))

    def test_sigterm_at_the_prompt_ends_the_session(self):
        s = self.start()
        pid = s.tmux("display-message", "-p", "-t", "bql", "#{pane_pid}").strip()
        os.kill(int(pid), 15)
        self.assertEqual(s.wait_exit(), 1, s.text())


if __name__ == "__main__":
    if not shutil.which("tmux"):
        sys.exit("these tests need tmux (scripts/setup installs it)")
    bqltest.main()
