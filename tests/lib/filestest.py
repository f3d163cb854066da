"""Helpers for the tests of FROM 'file' and FROM STDIN (SPEC §4).

Each test case gets a database of its own (bqltest.BulkqlCase) and a
temporary directory for its data files. Data is written as bytes, exactly
as a test gives it (line ends, encodings and compression included), so a
test states the file it loads; what the server holds afterwards is read
back with pymongo and compared document by document.
"""
import gzip
import os
import shutil
import subprocess
import tempfile

import bson
import bson.json_util

import bqltest


def default_parse_threads(memory_limit=256 << 20):
    """The parse threads of an NDJSON, CSV or TSV load with parse_threads
    left out (bulkql(1)): the processors online (as the planner counts
    them), at most one per 8 MB of memory_limit (2 MB of chunks a thread
    within a quarter of it), at least 1, at most 64."""
    return max(1, min(os.sysconf("SC_NPROCESSORS_ONLN"), memory_limit // 4 // (2 << 20), 64))


class FilesCase(bqltest.BulkqlCase):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(prefix="bqlfiles_")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        super().tearDown()

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, data, gz=False):
        """Write data (str as UTF-8, or bytes) to name; gzip it when gz."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        if gz:
            data = gzip.compress(data)
        with open(self.path(name), "wb") as f:
            f.write(data)
        return self.path(name)

    def run_bytes(self, *args, stdin=b"", timeout=120):
        """Run bulkql with binary standard input; a bqltest.Result."""
        cmd = [bqltest.BULKQL, "--db", self.dbname] + list(args)
        env = dict(os.environ)
        env.pop("NO_COLOR", None)
        proc = subprocess.run(cmd, input=stdin, capture_output=True, env=env, timeout=timeout)
        proc.stdout = proc.stdout.decode("utf-8", "replace")
        proc.stderr = proc.stderr.decode("utf-8", "replace")
        return bqltest.Result(proc)

    def load(self, sql, *args, rc=0, stdin=None):
        """Run sql (-c, --format json); check the exit code; the reply."""
        if stdin is None:
            r = self.bulkql("--format", "json", *args, sql=sql)
        else:
            r = self.run_bytes("--format", "json", *args, "-c", sql, stdin=stdin)
        self.assertEqual(r.rc, rc, r)
        replies = self.json_result(r)
        self.assertEqual(len(replies), 1, r)
        return replies[0]

    def table(self, sql, rc):
        """Run sql with the table output; check the exit code; the Result."""
        r = self.bulkql(sql=sql)
        self.assertEqual(r.rc, rc, r)
        return r

    def failed_records(self, name="failed.ndjson"):
        """The lines of a failed_records_file, decoded."""
        p = self.path(name)
        if not os.path.exists(p):
            return []
        with open(p, encoding="utf-8") as f:
            return [bson.json_util.loads(line) for line in f if line.strip()]

    def error_records(self, coll="bulk_operation_errors"):
        return list(self.db[coll].find({}, {"_id": 0}, sort=[("batchIndex", 1)]))

    def assert_failed_rows(self, reply, expected, name="failed.ndjson"):
        """expected: [(row, line, error, document)] for every failed row,
        in the reply, in failed_records_file and in the error record."""
        self.assertEqual(reply["nFailed"], len(expected), reply)
        self.assertEqual([(e["row"], e["errmsg"]) for e in reply["writeErrors"]],
                         [(row, err) for row, _, err, _ in expected])
        recs = self.failed_records(name)
        self.assertEqual([(r["row"], r["line"], r["code"], r["error"], r["document"]) for r in recs],
                         [(row, line, 0, err, doc) for row, line, err, doc in expected])
        self.assertEqual({r["operationId"] for r in recs}, {reply["operationId"]})

    def assert_error_record(self, reply, sql, expected, batch_size, first_row, batch_index=0):
        """The one document error_collection holds for the batch."""
        recs = [r for r in self.error_records() if r["batchIndex"] == batch_index]
        self.assertEqual(len(recs), 1, self.error_records())
        rec = recs[0]
        self.assertEqual(rec["operationId"], reply["operationId"])
        self.assertEqual(rec["statement"], sql)
        self.assertEqual(rec["batchSize"], batch_size)
        self.assertEqual(rec["firstRow"], first_row)
        self.assertEqual(rec["errorCode"], 0)
        self.assertEqual(rec["errorMessage"], expected[0][2])
        self.assertEqual(rec["writeErrors"], [{"row": row, "line": line, "code": 0, "errmsg": err}
                                              for row, line, err, _ in expected])
        self.assertIsNone(rec["writeConcernError"])


def located(sql, span, message, name="<command>"):
    """The rendered error of a one-line statement sql about its part span."""
    off = sql.index(span)
    return "%s:1:%d: error: %s\n    1 | %s\n      | %s%s\n" % (name, off + 1, message, sql, " " * off, "^" * len(span))


def main():
    bqltest.main()
