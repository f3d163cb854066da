"""The test server's two backends compared with one bulkql binary (issue 15).

For each backend (FerretDB v1.24.2 over its embedded SQLite, and over a
private PostgreSQL 15 cluster), scripts/server starts a fresh server of its
own under .cache/bench-backends/<backend>, and the same bulkql binary runs:

  insert    BULK INSERT of --insert-rows rows (default 100,000) from NDJSON,
            batches of 1000, unordered, into an empty collection;
  upsert    BULK UPSERT ... ON CONFLICT (_id) DO UPDATE SET of --upsert-rows
            rows (default 2,000) by _id, batches of 500, into a collection
            holding half of them (1,000);
  update    BULK UPDATE ... SET score = score + 1 WHERE seq < N on the
            inserted collection, N = --update-rows (default 20,000);
  archive   BULK DELETE ... WHERE seq >= M WITH ARCHIVAL_STRATEGY, archiving
            then deleting --archive-rows documents (default 10,000) of the
            inserted collection.

Each figure is the wall time of the bulkql process (start to exit), and
each run is checked against the server afterwards (counts, the + 1 on
exactly the rows meant, archive and source disjoint and complete), so a
figure never comes from a run that did the wrong thing. A run that passes
--timeout is killed and reported as "> T s". Updates and archival are
slow on SQLite (FerretDB v1 filters other than _id equality in Go):
--sqlite-update-rows / --sqlite-archive-rows set smaller counts there, and
the PostgreSQL backend then also runs those counts, so that one line
compares like with like.

Prints a Markdown table (backend named with every figure) on stdout.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import bson.json_util
import pymongo

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = os.path.join(TOP, "scripts", "server")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Server:
    """scripts/server with a state folder of its own."""

    def __init__(self, backend):
        self.backend = backend
        self.env = dict(os.environ, BULKQL_SERVER_DIR=os.path.join(TOP, ".cache", "bench-backends", backend))

    def __enter__(self):
        out = subprocess.run([SERVER, "start", "--backend", self.backend, "--fresh"], env=self.env, check=True,
                             capture_output=True, text=True, timeout=120)
        self.uri = out.stdout.strip()
        self.client = pymongo.MongoClient(self.uri, serverSelectionTimeoutMS=10000, socketTimeoutMS=3600000)
        return self

    def __exit__(self, *exc):
        self.client.close()
        subprocess.run([SERVER, "stop"], env=self.env, check=True, timeout=120)


class Bench:
    def __init__(self, args, tmp):
        self.args = args
        self.tmp = tmp
        self.rows = []  # (workload, count, backend, seconds or None, note)

    def bulkql(self, uri, db, sql):
        """Run sql; (seconds, result dict) or (None, None) past the timeout."""
        script = os.path.join(self.tmp, "statement.sql")
        with open(script, "w") as f:
            f.write(sql)
        # libmongoc's default socket timeout (300 s) would cut a slow
        # batch short: the figures measure the server, not that limit
        sep = "&" if "?" in uri else ("?" if uri.endswith("/") else "/?")
        uri += "%ssocketTimeoutMS=%d" % (sep, self.args.timeout * 1000)
        cmd = [self.args.bulkql, "--uri", uri, "--db", db, "--format", "json", "-f", script]
        t0 = time.monotonic()
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=self.args.timeout,
                               env=dict(os.environ, MONGOC_DISABLE_SHM="1"))
        except subprocess.TimeoutExpired:
            return None, None
        dt = time.monotonic() - t0
        if p.returncode != 0:
            raise RuntimeError("bulkql failed (rc %d): %s\n%s" % (p.returncode, sql[:200], p.stdout + p.stderr))
        results = [bson.json_util.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
        return dt, results[-1] if results else {}

    def record(self, workload, count, backend, seconds, note=""):
        self.rows.append((workload, count, backend, seconds, note))
        shown = "> %d s (killed)" % self.args.timeout if seconds is None else "%.1f s" % seconds
        log("  %-8s %7d rows  %-10s %s %s" % (workload, count, backend, shown, note))

    def check(self, cond, what):
        if not cond:
            raise RuntimeError("check failed: " + what)

    def ndjson(self, name, docs):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            for d in docs:
                f.write(json.dumps(d) + "\n")
        return path

    def run_backend(self, backend):
        a = self.args
        log("== %s" % backend)
        with Server(backend) as s:
            db = s.client.bench
            # insert
            n = a.insert_rows
            path = self.ndjson("insert.ndjson", ({"seq": i, "name": "row %d" % i, "score": i % 100,
                                                  "payload": "x" * 64} for i in range(n)))
            dt, res = self.bulkql(s.uri, "bench", "BULK INSERT INTO ins FROM '%s' "
                                  "WITH (batch_size = 1000, ordered = false);" % path)
            if dt is not None:
                self.check(res.get("nInserted") == n and db.ins.count_documents({}) == n, "insert count")
            self.record("insert", n, backend, dt)
            if dt is None:
                raise RuntimeError("the inserts did not finish; the other workloads need them")

            # upsert: half of the rows exist
            n = a.upsert_rows
            if "upsert" in a.workloads:
                db.up.insert_many([{"_id": i, "v": "old %d" % i} for i in range(n // 2)])
                path = self.ndjson("upsert.ndjson", ({"_id": i, "v": "new %d" % i} for i in range(n)))
                dt, res = self.bulkql(s.uri, "bench", "BULK UPSERT INTO up FROM '%s' ON CONFLICT (_id) "
                                      "DO UPDATE SET v = EXCLUDED.v WITH (batch_size = 500);" % path)
                if dt is not None:
                    self.check(db.up.count_documents({}) == n and
                               db.up.count_documents({"v": {"$regex": "^new"}}) == n, "upsert result")
                self.record("upsert", n, backend, dt, "%d exist" % (n // 2))

            # update ... where, with + 1: the full count, and the SQLite count
            counts = [a.update_rows] if "update" in a.workloads else []
            if not counts:
                pass
            elif backend == "sqlite" and a.sqlite_update_rows:
                counts = [a.sqlite_update_rows]
            elif backend == "postgresql" and a.sqlite_update_rows:
                counts = sorted({a.sqlite_update_rows, a.update_rows})
            done = 0  # rows below `done` have had their + 1 (a smaller run first)
            for m in counts:
                dt, res = self.bulkql(s.uri, "bench", "BULK UPDATE ins SET score = score + 1 WHERE seq < %d;" % m)
                if dt is not None:
                    # the rows meant and the 1,000 after the bound (reading
                    # all 100k through FerretDB over SQLite takes minutes)
                    bad = 0
                    for d in db.ins.find({"seq": {"$lt": m + 1000}}, {"_id": 0, "seq": 1, "score": 1}):
                        i = d["seq"]
                        plus = (2 if i < done else 1) if i < m else (1 if i < done else 0)
                        bad += d["score"] != i % 100 + plus
                    self.check(bad == 0, "%d rows without exactly their + 1" % bad)
                self.record("update", m, backend, dt)
                if dt is None:
                    break
                done = m

            # archive-then-delete
            counts = [a.archive_rows] if "archive" in a.workloads else []
            if not counts:
                pass
            elif backend == "sqlite" and a.sqlite_archive_rows:
                counts = [a.sqlite_archive_rows]
            elif backend == "postgresql" and a.sqlite_archive_rows:
                counts = sorted({a.sqlite_archive_rows, a.archive_rows})
            top = a.insert_rows  # each run archives the m rows below the previous one
            for m in counts:
                lo, hi = top - m, top
                dt, res = self.bulkql(s.uri, "bench", "BULK DELETE FROM ins WHERE seq >= %d AND seq < %d WITH "
                                      "ARCHIVAL_STRATEGY (archive_collection = 'arch_%d');" % (lo, hi, m))
                if dt is not None:
                    arch = db["arch_%d" % m]
                    self.check(arch.count_documents({}) == hi - lo, "archive count")
                    self.check(db.ins.count_documents({"seq": {"$gte": lo}}) == 0, "source emptied")
                    self.check(db.ins.count_documents({}) == lo, "source remainder")
                    self.check(sorted(d["seq"] for d in arch.find({}, {"seq": 1})) == list(range(lo, hi)),
                               "archive holds exactly the rows")
                self.record("archive", m, backend, dt)
                if dt is None:
                    break
                top = lo

    def table(self):
        lines = ["| workload | rows | backend | seconds | note |", "|---|---:|---|---:|---|"]
        for w, n, b, s, note in self.rows:
            shown = "> %d (killed)" % self.args.timeout if s is None else "%.1f" % s
            lines.append("| %s | %s | %s | %s | %s |" % (w, "{:,}".format(n), b, shown, note))
        return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bulkql", required=True)
    p.add_argument("--backends", default="sqlite,postgresql")
    p.add_argument("--insert-rows", type=int, default=100000)
    p.add_argument("--upsert-rows", type=int, default=2000)
    p.add_argument("--update-rows", type=int, default=20000)
    p.add_argument("--archive-rows", type=int, default=10000)
    p.add_argument("--sqlite-update-rows", type=int, default=0, help="a smaller UPDATE count on SQLite")
    p.add_argument("--sqlite-archive-rows", type=int, default=0, help="a smaller archival count on SQLite")
    p.add_argument("--timeout", type=int, default=900, help="seconds before a run is killed")
    p.add_argument("--workloads", default="insert,upsert,update,archive",
                   help="which to run (the inserts always run: the others work on their collection)")
    a = p.parse_args()
    a.workloads = set(a.workloads.split(","))
    a.backends = [b for b in a.backends.split(",") if b]
    if max(a.update_rows, a.sqlite_update_rows) + a.archive_rows + a.sqlite_archive_rows > a.insert_rows:
        p.error("--update-rows and --archive-rows must fit, disjoint, in --insert-rows")
    with tempfile.TemporaryDirectory(prefix="bulkql-bench-") as tmp:
        b = Bench(a, tmp)
        try:
            for backend in a.backends:
                b.run_backend(backend)
        finally:
            print(b.table())


if __name__ == "__main__":
    main()
