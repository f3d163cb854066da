"""The documentation of the bulkql command, checked against the binary.

README.md's usage section embeds the exact `bulkql --help` text; the man
page (doc/bulkql.1) names every option of --help, every meta-command of
the prompt's \\help and every WITH option the library knows, carries the
binary's version, its example statements plan, and `cmake --install`
installs it where man finds it (share/man/man1), rendering without a
warning.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402

README = os.path.join(bqltest.TOP, "README.md")
MAN = os.path.join(bqltest.TOP, "doc", "bulkql.1")
REPL_C = os.path.join(bqltest.TOP, "src", "cli", "repl.c")
BUILD = os.path.dirname(os.path.abspath(bqltest.BULKQL or "."))


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise AssertionError("%s failed (%d)\n%s\n%s" % (" ".join(cmd), p.returncode, p.stdout, p.stderr))
    return p


def help_text():
    return run([bqltest.BULKQL, "--help"]).stdout


def man_source():
    with open(MAN) as f:
        return f.read()


def man_section(src, name):
    """The roff source of section .SH name, up to the next .SH."""
    m = re.search(r"^\.SH \"?%s\"?\n(.*?)(?=^\.SH )" % re.escape(name), src, re.M | re.S)
    if not m:
        raise AssertionError("the man page has no section %s" % name)
    return m.group(1)


def unroff(text):
    """Roff source as plain words: escapes and font changes removed."""
    text = re.sub(r"\\f[BIRP]", "", text)
    text = text.replace("\\-", "-").replace("\\e", "\\").replace("\\(em", "-").replace("\\&", "")
    return text


def option_names(kind_sql):
    r = run([bqltest.BULKQL, "--explain", "-c", kind_sql])
    return set(json.loads(r.stdout)["options"])


class DocsTest(unittest.TestCase):
    maxDiff = None

    def test_readme_usage_is_the_help_text(self):
        with open(README) as f:
            readme = f.read()
        m = re.search(r"<!-- bulkql --help: begin -->\n```\n(.*?)```\n<!-- bulkql --help: end -->", readme, re.S)
        self.assertIsNotNone(m, "README.md has no bulkql --help block between the markers")
        self.assertEqual(m.group(1), help_text())

    def test_man_page_names_every_option_of_help(self):
        opts = man_section(man_source(), "OPTIONS")
        tags = unroff(opts)
        help_opts = re.findall(r"^\s+(?:(-\w), )?(--[\w-]+)", help_text(), re.M)
        self.assertGreater(len(help_opts), 10)
        for short, long in help_opts:
            self.assertIn(long, tags, long)
            if short:
                self.assertRegex(tags, r"\n\.BR %s\s+\", \"\s+%s\b" % (re.escape(short), re.escape(long)))
        # and the synopsis has no option --help lacks
        synopsis = unroff(man_section(man_source(), "SYNOPSIS"))
        for opt in re.findall(r"(--?[\w-]+)", synopsis):
            self.assertIn(opt, help_text(), opt)

    def test_man_page_names_every_with_option(self):
        names = option_names("BULK INSERT INTO x (_id) VALUES (1);") | option_names("BULK DELETE FROM x WHERE TRUE;")
        # shown in a plan only when given
        names |= option_names("BULK INSERT INTO x (_id) VALUES (1) WITH (allow_system = true, "
                              "failed_records_file = 'f', failed_records_mode = 'append', metrics = false, "
                              "operations_database = 'ops');")
        names |= option_names("BULK INSERT INTO x SELECT a FROM y WITH (server_side = false);")
        self.assertIn("batch_size", names)
        self.assertIn("progress", names)
        entries = set(re.findall(r'^\.BI? "(\w+) = ', man_section(man_source(), "STATEMENTS"), re.M))
        entries |= set(re.findall(r'^\.BR "(\w+) = ', man_section(man_source(), "STATEMENTS"), re.M))
        # retry_backoff_ms is described with retry_attempts
        self.assertEqual(sorted(names - entries - {"retry_backoff_ms"}), [])
        self.assertIn("retry_backoff_ms", man_section(man_source(), "STATEMENTS"))
        self.assertEqual(sorted(entries - names), [])

    def test_man_page_names_every_meta_command(self):
        with open(REPL_C) as f:
            repl = f.read()
        block = re.search(r'"Meta-commands:\\n"(.*?);', repl, re.S).group(1)
        metas = set(re.findall(r"\\\\(\w+)", block))
        self.assertTrue({"connect", "use", "explain", "timing", "format", "dryrun", "i", "help", "q"} <= metas, metas)
        section = unroff(man_section(man_source(), "META-COMMANDS"))
        documented = set(re.findall(r"^\.BI? \\(\w+)", section, re.M)) | set(re.findall(r"^\.BR \\(\w+)", section, re.M))
        self.assertEqual(sorted(metas - documented), [])

    def test_man_page_has_the_binary_version(self):
        version = run([bqltest.BULKQL, "--version"]).stdout.split()[1]
        th = re.search(r'^\.TH BULKQL 1 "[^"]*" "bulkql ([^"]+)"', man_source(), re.M)
        self.assertIsNotNone(th)
        self.assertEqual(th.group(1), version)

    def test_man_page_example_statements_plan(self):
        examples = man_section(man_source(), "EXAMPLES")
        blocks = re.findall(r"^\.EX\n(.*?)^\.EE", examples, re.M | re.S)
        statements = [unroff(b) for b in blocks if b.startswith("BULK")]
        self.assertGreaterEqual(len(statements), 2)
        for sql in statements:
            r = subprocess.run([bqltest.BULKQL, "--explain", "-c", sql], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, (sql, r.stderr))
        # the -c statements inside example command lines
        for sql in re.findall(r'-c \\\n\s+"([^"]+)"', "\n".join(unroff(b) for b in blocks)):
            r = subprocess.run([bqltest.BULKQL, "--explain", "-c", sql], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, (sql, r.stderr))

    def test_man_page_documents_what_the_issue_asks(self):
        src = man_source()
        for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "STATEMENTS", "THE PROMPT",
                        "META-COMMANDS", "OUTPUT", "ENVIRONMENT", "FILES", "EXIT STATUS", "EXAMPLES"):
            man_section(src, section)
        env = unroff(man_section(src, "ENVIRONMENT"))
        self.assertIn("MONGODB_URI", env)
        self.assertIn("NO_COLOR", env)
        self.assertIn("~/.bulkql_history", unroff(man_section(src, "FILES")))
        status = man_section(src, "EXIT STATUS")
        self.assertEqual(re.findall(r"^\.B (\d)$", status, re.M), ["0", "1", "2"])

    def test_headers_say_threads_and_cite_real_sections(self):
        """Every public header states its thread safety and cites only
        README headings and bulkql(1) sections that exist (not SPEC)."""
        inc = os.path.join(bqltest.TOP, "include", "bulkql")
        readme = open(README).read()
        headings = set(m.strip() for m in re.findall(r"^#+ (.*)$", readme, re.M))
        sections = set(m.strip('"') for m in re.findall(r"^\.S[HS] (.*)$", man_source(), re.M))
        cited = 0
        for name in sorted(os.listdir(inc)):
            if not name.endswith(".h") or name == "export.h":
                continue
            with open(os.path.join(inc, name)) as f:
                text = f.read()
            flat = re.sub(r"\s*\n\s*\*\s*", " ", text)
            self.assertNotRegex(text, r"\bSPEC\b", name)
            self.assertRegex(flat, r"Threads:|[Tt]hread-safe|threads may", name)
            for ref in re.findall(r'README "([^"]+)"', flat):
                self.assertIn(ref, headings, "%s cites README \"%s\"" % (name, ref))
                cited += 1
            for ref in re.findall(r'bulkql\(1\) "([^"]+)"(?: and "([^"]+)")?', flat):
                for r in ref:
                    if r:
                        self.assertIn(r, sections, "%s cites bulkql(1) \"%s\"" % (name, r))
                        cited += 1
        self.assertGreater(cited, 5)
        exec_h = open(os.path.join(inc, "exec.h")).read()
        flat = re.sub(r"\s*\n\s*\*?\s*", " ", exec_h)
        # the internal threads, and the thread of every callback
        self.assertIn("a reader thread reads the input rows", flat)
        self.assertIn("progress and on_batch are called on the thread that called bql_execute", flat)
        self.assertIn("The callback runs on BulkQL's internal reader thread", flat)
        self.assertIn("Called before each retry's backoff, on the thread that writes the batch", flat)


class InstalledManPageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="bulkql-man-")
        run(["cmake", "--install", BUILD, "--prefix", cls.tmp])
        cls.page = os.path.join(cls.tmp, "share", "man", "man1", "bulkql.1")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_installed_where_man_finds_it(self):
        self.assertTrue(os.path.isfile(self.page))
        with open(self.page) as f:
            self.assertEqual(f.read(), man_source())
        # man looks it up by name under the prefix's share/man
        r = run(["man", "-M", os.path.join(self.tmp, "share", "man"), "-w", "bulkql"])
        self.assertEqual(r.stdout.strip(), self.page)

    def test_renders_with_man(self):
        env = dict(os.environ, MANWIDTH="80", MANPAGER="cat", PAGER="cat", LANG="C.UTF-8")
        r = run(["man", "--warnings", "-l", self.page], env=env)
        self.assertEqual(r.stderr, "")
        out = r.stdout
        self.assertRegex(out, r"^BULKQL\(1\)\s+User Commands\s+BULKQL\(1\)")
        for heading in ("NAME", "SYNOPSIS", "OPTIONS", "META-COMMANDS", "ENVIRONMENT", "FILES", "EXIT STATUS",
                        "EXAMPLES"):
            self.assertRegex(out, r"\n%s\n" % heading)
        self.assertIn("bulkql - run SQL-style BULK statements against MongoDB", out)
        self.assertIn("--continue-on-error", out)
        self.assertIn("\\connect URI", out)
        width = max(len(line) for line in out.splitlines())
        self.assertLessEqual(width, 80)

    def test_renders_with_groff_without_warnings(self):
        r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", self.page], capture_output=True, text=True)
        self.assertEqual((r.returncode, r.stderr), (0, ""))


if __name__ == "__main__":
    if not bqltest.BULKQL:
        sys.exit("these tests need BULKQL_BIN (ctest sets it)")
    unittest.main(verbosity=2)
