"""Helpers for BulkQL's integration and CLI tests.

Every test case gets a database of its own on the live server
(MONGODB_URI), runs the real `bulkql` binary (BULKQL_BIN) as a user would,
and reads back what the server holds with pymongo, an independent client.
The database is dropped afterwards. Nothing here mocks the server.
"""
import os
import subprocess
import sys
import unittest
import uuid

import bson
import bson.json_util
import pymongo

BULKQL = os.environ.get("BULKQL_BIN")
# libmongoc's shared-memory counters: a process that reuses the PID of a
# killed one (the SIGKILL tests) finds its stale /dev/shm file and warns
# on stderr, which would break the tests that compare stderr exactly.
os.environ["MONGOC_DISABLE_SHM"] = "1"
URI = os.environ.get("MONGODB_URI")
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def require_env():
    missing = [n for n in ("BULKQL_BIN", "MONGODB_URI") if not os.environ.get(n)]
    if missing:
        sys.exit("these tests need %s (scripts/test sets them)" % ", ".join(missing))


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def __repr__(self):
        return "rc=%d\n--- stdout\n%s--- stderr\n%s" % (self.rc, self.out, self.err)


class BulkqlCase(unittest.TestCase):
    """A test case with its own database and helpers to run bulkql."""

    maxDiff = None

    @classmethod
    def setUpClass(cls):
        require_env()
        cls.client = pymongo.MongoClient(URI, serverSelectionTimeoutMS=5000)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()

    def setUp(self):
        self.dbname = "t_" + uuid.uuid4().hex[:12]
        self.db = self.client[self.dbname]

    def tearDown(self):
        self.client.drop_database(self.dbname)

    def bulkql(self, *args, sql=None, stdin=None, env=None, db=True, timeout=120):
        """Run bulkql with args (and -c sql); returns a Result."""
        cmd = [BULKQL]
        if db:
            cmd += ["--db", self.dbname]
        cmd += list(args)
        if sql is not None and len(sql) > 100000:
            stdin = sql  # too long for one argument
        elif sql is not None:
            cmd += ["-c", sql]
        e = dict(os.environ)
        e.pop("NO_COLOR", None)
        if env:
            e.update(env)
        proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=e, timeout=timeout)
        return Result(proc)

    def ok(self, sql=None, *args, **kw):
        r = self.bulkql(*args, sql=sql, **kw)
        self.assertEqual(r.rc, 0, r)
        return r

    def ndjson(self, docs):
        """A temporary NDJSON file of docs (removed after the test)."""
        import json
        import tempfile
        fd, path = tempfile.mkstemp(suffix=".ndjson")
        with os.fdopen(fd, "w") as f:
            for d in docs:
                f.write(json.dumps(d) + "\n")
        self.addCleanup(os.unlink, path)
        return path

    def docs(self, coll, sort="_id"):
        """Every document of coll, sorted by _id."""
        return list(self.db[coll].find({}, sort=[(sort, 1)]))

    def json_result(self, r):
        """The JSON results (--format json), one per statement."""
        out = []
        for line in r.out.splitlines():
            line = line.strip()
            if line.startswith("{"):
                out.append(bson.json_util.loads(line))
        return out


def records_statement(sql):
    """The statement text that error records and metrics documents keep
    for sql: VALUES rows after the first elided as
    "/* ... N more rows elided */", cut to 4096 bytes with the length."""
    text = sql.rstrip().rstrip(";")
    i = text.find("VALUES (")
    if i >= 0:
        i += len("VALUES ")
        rows, depth, quote, start, j = [], 0, None, i, i
        while j < len(text):
            c = text[j]
            if quote:
                if c == quote:
                    quote = None
            elif c in "'\"":
                quote = c
            elif c in "([{":
                depth += 1
            elif c in ")]}":
                depth -= 1
                if depth == 0:
                    rows.append((start, j + 1))
                    k = j + 1
                    while k < len(text) and text[k] == " ":
                        k += 1
                    if k < len(text) and text[k] == ",":
                        k += 1
                        while text[k] == " ":
                            k += 1
                        start = j = k
                        continue
                    break
            j += 1
        if len(rows) > 1:
            n = len(rows) - 1
            text = "%s /* ... %s more row%s elided */%s" % (text[:rows[0][1]], "{:,}".format(n),
                                                          "" if n == 1 else "s", text[rows[-1][1]:])
    raw = text.encode()
    if len(raw) <= 4096:
        return text
    return raw[:4096].decode(errors="ignore") + "... (%d bytes)" % len(raw)


def main():
    require_env()
    unittest.main(verbosity=2)
