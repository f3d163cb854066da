#!/usr/bin/python3
"""bench/load_bench.py — the file-loading benchmarks of issue 5, run by
bench/run_load_bench (which builds the programs first; see its header for
the options). Against one fresh local FerretDB server of its own, started
for the run and stopped after (a fresh database per load, dropped after):

  pipeline  BulkQL's client pipeline alone: `bulkql` running BULK INSERT ...
            FROM the NDJSON file WITH (dry_run = true) (read, parse,
            convert, check and assemble the documents of every batch; send
            nothing), and the same on the CSV file with a typed column
            list, against bench/bare_reader (a bare loop over libbson's
            bson_json_reader_t) on the same NDJSON file. The targets are
            judged with ONE parse thread (parse_threads = 1); the same
            loads with the default parse_threads (the number of cores) are
            extra lines, whose CPU seconds include the threads' hand-off.
            Targets (issue 16, target 1): BulkQL NDJSON and CSV, one parse
            thread, >= 4x the bare reader's rate and >= 1M docs per CPU
            second.
  e2e       Issue 16's table, end to end, in one run: the NDJSON file loaded
            by bulkql, bench/raw_insert (libmongoc bulk inserts),
            pymongo insert_many (bench/load_pymongo.py), the Node.js
            driver's insertMany (bench/load_node.js) and mongoimport, and
            the CSV file (the same rows) by bulkql (typed column list) and
            mongoimport (--columnsHaveTypes), all in ordered batches of the
            same size, one batch in flight (parallel_workers /
            --numInsertionWorkers = --workers, default 1). After each load
            the collection must hold exactly N documents and, NDJSON, a
            document chosen at random must equal the file's line (types
            included). Reported per load: wall, client CPU, docs per client
            CPU second, server CPU (FerretDB's, and on PostgreSQL the
            postmaster's processes'), peak RSS, and bulkql / each peer.
            Targets: bulkql <= 1.05x raw_insert's time, faster than
            pymongo, Node and mongoimport; issue 16's target 3 (client CPU
            <= 0.15x mongoimport's, <= 1.0x raw_insert's).
  mongoimport
            bulkql against mongoimport (and, NDJSON, bench/raw_insert, the
            raw libmongoc loop) on the same data, NDJSON and CSV,
            both into the same server: NDJSON as in e2e; CSV with a typed
            column list for bulkql and the same types for mongoimport
            (--columnsHaveTypes on a copy of the file whose header names the
            types; tags, a JSON column for bulkql, is a string() for
            mongoimport, which has no JSON column type). Checked by count,
            and the NDJSON loads by the spot check of e2e. Targets: bulkql's
            client CPU <= 0.15x mongoimport's and <= 1.0x raw_insert's.
  upsert    bulkql against mongoimport --mode upsert (ON CONFLICT (_id) DO
            REPLACE) and --mode merge (ON CONFLICT (_id) DO UPDATE SET *):
            --upsert-rows rows keyed by _id into a collection that holds
            every other one. Target: bulkql's wall time <= mongoimport's.
  rss       Peak RSS (/usr/bin/time -v) of bulkql at several sizes (default
            N and 4N): the dry_run pipeline on NDJSON and CSV, and, with
            --rss-mode load (or dry_run,load), real loads (at
            --rss-load-rows). Target: <= 64 MB and flat (the
            largest size within 10% of the smallest).

The server is FerretDB v1.24.2 over its SQLite backend, or with --backend
postgresql over a private PostgreSQL cluster; every section's title names
it. Client CPU is the OS's count for the tool's process (getrusage of the
child, through /usr/bin/time -v), and the ratios the targets judge are
of figures measured in the same run.

Every figure is the median of --runs runs; tools are interleaved (the order
rotates each run) so that a change in the machine's load hits them alike.
Times are wall-clock (monotonic) of the whole process; the CPU time
(user + sys, from /usr/bin/time -v) is reported beside it, and for the
end-to-end loads the server's CPU time too (from /proc). The machine has 2
cores shared with other work: the load average is sampled before every
measurement and recorded. Results go to bench/RESULTS.md (one section per
benchmark, replaced on a rerun, the rest of the file left alone) and, in
full, to .cache/bench/results/<time>.json.
"""
import argparse
import hashlib
import itertools
import json
import os
import platform
import random
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import bson
from bson import json_util
from pymongo import MongoClient

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(TOP, ".cache", "bench")
PY = "/usr/bin/python3"
NODE_MONGODB = "7.9.1"
MONGOIMPORT_MODULE = "github.com/mongodb/mongo-tools/mongoimport/main@100.18.0"
CSV_COLUMNS = ("seq INT, name STRING, active BOOL, age INT, score DOUBLE, balance DOUBLE, created TIMESTAMP, "
               "address.city STRING, address.zip STRING, address.geo.lat DOUBLE, address.geo.lon DOUBLE, tags JSON")
RSS_LIMIT_MB = 64.0
SECTION_TITLES = {
    "pipeline": "## Load: client pipeline (dry_run vs bare JSON reader)",
    "e2e": "## Load: end-to-end",
    "rss": "## Load: peak RSS",
    "mongoimport": "## Load: bulkql vs mongoimport and the raw libmongoc loop (NDJSON and CSV)",
    "upsert": "## Upsert: bulkql vs mongoimport --mode upsert / --mode merge",
}
BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
SECTIONS = {}


def set_sections(backend):
    """The section titles name the test server's backend: every figure of a
    section was measured on it."""
    for k, t in SECTION_TITLES.items():
        SECTIONS[k] = f"{t}, {BACKEND_NAMES[backend]} backend"


set_sections("sqlite")
# The CSV's types for mongoimport (--columnsHaveTypes), column for column
# as CSV_COLUMNS gives them to bulkql.
MONGOIMPORT_CSV_HEADER = ("seq.int32(),name.string(),active.boolean(),age.int32(),score.double(),balance.double(),"
                          "created.date_go(2006-01-02T15:04:05Z07:00),address.city.string(),address.zip.string(),"
                          "address.geo.lat.double(),address.geo.lon.double(),tags.string()")


def log(msg):
    print(f"[load_bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def loadavg():
    return os.getloadavg()[0]


def uptime():
    """`uptime`'s line (the machine's load), or "" when it cannot run."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def fmt_rows(n):
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def median(xs):
    return statistics.median(xs) if xs else None


# ---- running and measuring one process ----

def measure(cmd, env=None, timeout=3600, server_pid=None, backend_pid=None):
    """Run cmd under /usr/bin/time -v; return wall/CPU/RSS, its output and
    exit status (and the CPU seconds the server spent meanwhile: FerretDB's
    process, and with backend_pid the PostgreSQL postmaster's processes)."""
    fd, tfile = tempfile.mkstemp(prefix="bench-time-")
    os.close(fd)
    full = ["/usr/bin/time", "-v", "-o", tfile] + [str(c) for c in cmd]
    la = loadavg()
    s0 = server_cpu(server_pid)
    b0 = tree_cpu(backend_pid)
    t0 = time.monotonic()
    try:
        p = subprocess.run(full, env=env, capture_output=True, text=True, timeout=timeout)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = -1, e.stdout or "", f"timed out after {timeout} s"
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
    wall = time.monotonic() - t0
    s1 = server_cpu(server_pid)
    b1 = tree_cpu(backend_pid)
    with open(tfile) as f:
        tv = f.read()
    os.unlink(tfile)

    def field(name):
        m = re.search(r"^\s*" + re.escape(name) + r": (.*)$", tv, re.M)
        return m.group(1).strip() if m else None

    user = float(field("User time (seconds)") or 0)
    sys_ = float(field("System time (seconds)") or 0)
    rss = int(field("Maximum resident set size (kbytes)") or 0)
    return {
        "cmd": [str(c) for c in cmd], "rc": rc, "wall": wall, "user": user, "sys": sys_, "cpu": user + sys_,
        "maxrss_kb": rss, "stdout": out, "stderr": err, "loadavg": la,
        "server_cpu": (s1 - s0) if s0 is not None and s1 is not None else None,
        "backend_cpu": (b1 - b0) if b0 is not None and b1 is not None else None,
    }


def proc_stat(pid):
    """The fields of /proc/PID/stat after the command's name (fields[0] is
    the state, [1] the parent's pid, [11] utime, [12] stime, [13] cutime,
    [14] cstime, in clock ticks), or None when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def server_cpu(pid):
    if not pid:
        return None
    fields = proc_stat(pid)
    if fields is None:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu(pid):
    """CPU seconds of the process pid and of all its descendants, the live
    ones (user + sys of each) and those it has waited for (its cutime and
    cstime): the PostgreSQL postmaster and its backends, which come and go
    with FerretDB's connections. None without pid or when it is gone."""
    if not pid:
        return None
    root = proc_stat(pid)
    if root is None:
        return None
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            fields = proc_stat(name)
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(name))
    ticks = int(root[13]) + int(root[14])
    todo = [pid]
    while todo:
        p = todo.pop()
        fields = root if p == pid else proc_stat(p)
        if fields is not None:
            ticks += int(fields[11]) + int(fields[12])
        todo += children.get(p, [])
    return ticks / os.sysconf("SC_CLK_TCK")


def last_json(text):
    """The last JSON object printed (our programs print one line)."""
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                pass
    try:
        return json.loads(text)
    except ValueError:
        return None


def short(text, n=300):
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[:n] + "..."


# ---- inputs ----

def data_files(gen, n):
    """Generate (once, cached) the NDJSON and CSV files of n rows; their
    names carry a hash of the generator's source, so a changed generator
    makes new files."""
    with open(os.path.join(TOP, "bench", "gen_data.c"), "rb") as f:
        tag = hashlib.sha256(f.read()).hexdigest()[:10]
    d = os.path.join(CACHE, "data")
    os.makedirs(d, exist_ok=True)
    base = os.path.join(d, f"docs-{n}-{tag}")
    nd, csv = base + ".ndjson", base + ".csv"
    if not (os.path.exists(nd) and os.path.exists(csv)):
        for old in os.listdir(d):  # the same size from an older generator
            if old.startswith(f"docs-{n}-") and tag not in old:
                os.unlink(os.path.join(d, old))
        log(f"generating {fmt_rows(n)} rows into {base}.{{ndjson,csv}}")
        subprocess.run([gen, "--rows", str(n), "--ndjson", nd + ".tmp", "--csv", csv + ".tmp"], check=True)
        os.replace(nd + ".tmp", nd)
        os.replace(csv + ".tmp", csv)
    return nd, csv


def file_line(path, k):
    with open(path, encoding="utf-8") as f:
        return next(itertools.islice(f, k - 1, k))


# ---- the server ----

class Server:
    def __init__(self, state_dir, backend="sqlite"):
        self.dir = state_dir
        self.backend = backend
        self.env = dict(os.environ, BULKQL_SERVER_DIR=state_dir)
        self.uri = None
        self.pid = None
        self.pg_pid = None  # the PostgreSQL backend's postmaster

    def start(self):
        p = subprocess.run([os.path.join(TOP, "scripts", "server"), "start", "--backend", self.backend, "--fresh"],
                           env=self.env, capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit(f"load_bench: the server did not start:\n{p.stderr}")
        self.uri = p.stdout.strip().splitlines()[-1]
        with open(os.path.join(self.dir, "pid")) as f:
            self.pid = int(f.read().strip())
        if self.backend == "postgresql":  # scripts/server's private cluster
            with open(os.path.join(self.dir, "pg", "data", "postmaster.pid")) as f:
                self.pg_pid = int(f.readline().strip())
        log(f"server {self.uri} (pid {self.pid}, {self.backend} backend"
            + (f", postmaster pid {self.pg_pid}" if self.pg_pid else "") + f", state {self.dir})")

    def stop(self):
        subprocess.run([os.path.join(TOP, "scripts", "server"), "stop"], env=self.env)
        log("server stopped")


# ---- the extras: Node.js driver, mongoimport ----

def ensure_node():
    d = os.path.join(CACHE, "node")
    mod = os.path.join(d, "node_modules", "mongodb", "package.json")
    if not shutil.which("node"):
        return None, "node is not installed"
    if os.path.exists(mod):
        with open(mod) as f:
            if json.load(f).get("version") == NODE_MONGODB:
                return os.path.join(d, "node_modules"), None
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "package.json"), "w") as f:
        json.dump({"name": "bulkql-bench", "private": True, "dependencies": {"mongodb": NODE_MONGODB}}, f)
    log(f"installing npm mongodb@{NODE_MONGODB} into {d}")
    p = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=d,
                       capture_output=True, text=True)
    if p.returncode != 0 or not os.path.exists(mod):
        return None, "npm install mongodb failed: " + short(p.stderr)
    return os.path.join(d, "node_modules"), None


def ensure_mongoimport(explicit):
    """mongoimport from --mongoimport, $BULKQL_MONGOIMPORT, shared/tools/
    beside the clone (../shared/tools/mongoimport, where CI has it), the
    PATH, or a `go install` into .cache/bench/bin (tried once per run; the
    binary is named `main`)."""
    if explicit:
        return explicit, None
    if os.environ.get("BULKQL_MONGOIMPORT"):
        return os.environ["BULKQL_MONGOIMPORT"], None
    shared = os.path.normpath(os.path.join(TOP, "..", "shared", "tools", "mongoimport"))
    if os.access(shared, os.X_OK):
        return shared, None
    found = shutil.which("mongoimport")
    if found:
        return found, None
    binary = os.path.join(CACHE, "bin", "main")
    if os.path.exists(binary):
        return binary, None
    if not shutil.which("go"):
        return None, "go is not installed"
    os.makedirs(os.path.join(CACHE, "bin"), exist_ok=True)
    env = dict(os.environ, GOTOOLCHAIN="local", GOBIN=os.path.join(CACHE, "bin"),
               GOPATH=os.path.join(CACHE, "go"), GOMODCACHE=os.path.join(CACHE, "go", "mod"),
               GOFLAGS="-modcacherw")
    log(f"go install {MONGOIMPORT_MODULE}")
    p = subprocess.run(["go", "install", MONGOIMPORT_MODULE], env=env, capture_output=True, text=True)
    if p.returncode != 0 or not os.path.exists(binary):
        return None, f"`GOTOOLCHAIN=local go install {MONGOIMPORT_MODULE}` failed: {short(p.stderr, 400)}"
    return binary, None


# ---- checks after a load ----

def check_load(client, dbname, coll, n, ndjson, rng, exact):
    """Exactly n documents, and one chosen at random equal to its line of
    the file (values, types, key order; _id an ObjectId). Returns None or
    the reason it failed. The count is collStats' (FerretDB's SQLite
    backend counts the table's rows), or with exact count_documents (an
    aggregation that decodes every document: about 1 ms per document on
    this server)."""
    c = client[dbname][coll]
    count = c.count_documents({}) if exact else client[dbname].command("collStats", coll)["count"]
    if count != n:
        return f"the collection holds {count} documents, expected {n}"
    k = rng.randint(1, n)
    got = c.find_one({"seq": k})
    if got is None:
        return f"no document with seq = {k}"
    oid = got.pop("_id", None)
    if not isinstance(oid, bson.ObjectId):
        return f"seq = {k}: _id is {oid!r}, not an ObjectId"
    want = json_util.loads(file_line(ndjson, k))
    if bson.encode(got) != bson.encode(want):
        return f"seq = {k}: stored {json_util.dumps(got)}, the file has {json_util.dumps(want)}"
    return None


# ---- the benchmarks ----

def bulkql_cmd(a, uri, db, stmt):
    return [a.bulkql, "--uri", uri, "--db", db, "--format", "json", "-c", stmt]


def with_opts(a, dry, parse_threads=None):
    opts = [f"batch_size = {a.batch_size}"]
    if a.workers > 1:
        opts += ["ordered = false", f"parallel_workers = {a.workers}"]
    if dry:
        opts.append("dry_run = true")
    if parse_threads:
        opts.append(f"parse_threads = {parse_threads}")
    return " WITH (" + ", ".join(opts) + ")"


# the pipeline benchmark's loads: (format, parse_threads; None = the default)
PIPELINE_LOADS = {"bulkql_ndjson": ("ndjson", 1), "bulkql_csv": ("csv", 1),
                  "bulkql_ndjson_threads": ("ndjson", None), "bulkql_csv_threads": ("csv", None)}


def check_bulkql_reply(m, n, dry):
    reply = last_json(m["stdout"])
    if m["rc"] != 0 or not reply:
        return f"exit {m['rc']}: " + short((reply or {}).get("error") or m["stderr"] or m["stdout"])
    want = "nWouldWrite" if dry else "nInserted"
    if reply.get(want) != n or reply.get("nFailed", 0) != 0:
        return f"{want} = {reply.get(want)}, nFailed = {reply.get('nFailed')} (expected {n} and 0)"
    return None


def run_pipeline(a, server, client, gen):
    n = a.pipeline_rows
    nd, csv = data_files(gen, n)
    tools = ["bare_reader"] + list(PIPELINE_LOADS)
    res = {t: [] for t in tools}
    for r in range(a.runs):
        order = tools[r % len(tools):] + tools[:r % len(tools)]
        for t in order:
            db = f"bench_pipe_{os.getpid()}_{r}"
            if t == "bare_reader":
                m = measure([a.bare_reader, nd])
                out = last_json(m["stdout"])
                m["error"] = None if m["rc"] == 0 and out and out.get("docs") == n else \
                    f"exit {m['rc']}: {short(m['stderr'] or m['stdout'])}"
                m["bson_bytes"] = out.get("bson_bytes") if out else None
            else:
                f, threads = PIPELINE_LOADS[t]
                path, fmt = (nd, "FORMAT NDJSON") if f == "ndjson" else (csv, "FORMAT CSV")
                cols = f" ({CSV_COLUMNS})" if f == "csv" else ""
                stmt = f"BULK INSERT INTO docs{cols} FROM '{path}' {fmt}{with_opts(a, True, threads)}"
                m = measure(bulkql_cmd(a, server.uri, db, stmt))
                m["error"] = check_bulkql_reply(m, n, True)
                client.drop_database(db)
            log(f"pipeline run {r + 1}/{a.runs} {t}: {m['wall']:.2f} s wall, {m['cpu']:.2f} s CPU"
                + (f" FAILED: {m['error']}" if m["error"] else ""))
            res[t].append(m)
    return {"rows": n, "ndjson": nd, "csv": csv, "runs": res,
            "ndjson_bytes": os.path.getsize(nd), "csv_bytes": os.path.getsize(csv)}


def typed_csv_copy(csv):
    """A copy of csv (cached beside it) whose header line names the types
    for mongoimport --headerline --columnsHaveTypes."""
    out = csv[:-len(".csv")] + ".mongoimport.csv"
    if not os.path.exists(out):
        with open(csv, "rb") as src, open(out + ".tmp", "wb") as dst:
            src.readline()
            dst.write(MONGOIMPORT_CSV_HEADER.encode() + b"\n")
            shutil.copyfileobj(src, dst, 1 << 20)
        os.replace(out + ".tmp", out)
    return out


# the end-to-end peers and the formats each loads: every tool loads the
# NDJSON file; bulkql and mongoimport (--columnsHaveTypes) load the CSV
# file too
E2E_TOOLS = ("bulkql", "raw", "pymongo", "node", "mongoimport")
CSV_TOOLS = ("bulkql", "mongoimport")


def load_cmd(a, server, tool, fmt, files, mongoimport, node_modules):
    """The command (and its environment, or None) that loads the file of
    fmt ("ndjson" or "csv") with tool into the database {db} (a
    placeholder filled in per load): ordered batches of a.batch_size,
    a.workers in flight. files: {"ndjson", "csv", "mcsv"} (mcsv: the CSV
    file with mongoimport's typed header)."""
    nd = files["ndjson"]
    if tool == "bulkql":
        stmt = (f"BULK INSERT INTO docs FROM '{nd}' FORMAT NDJSON" if fmt == "ndjson" else
                f"BULK INSERT INTO docs ({CSV_COLUMNS}) FROM '{files['csv']}' FORMAT CSV") + with_opts(a, False)
        return bulkql_cmd(a, server.uri, "{db}", stmt), None
    if tool == "raw":
        return [a.raw_insert, server.uri, "{db}", "docs", nd, a.batch_size], None
    if tool == "pymongo":
        return [PY, os.path.join(TOP, "bench", "load_pymongo.py"), server.uri, "{db}", "docs", nd, a.batch_size], None
    if tool == "node":
        return (["node", os.path.join(TOP, "bench", "load_node.js"), server.uri, "{db}", "docs", nd, a.batch_size],
                dict(os.environ, NODE_PATH=node_modules))
    cmd = [mongoimport, "--uri", server.uri, "--db", "{db}", "--collection", "docs",
           "--numInsertionWorkers", a.workers, "--batchSize", a.batch_size, "--writeConcern", "{w: 1}", "--quiet"]
    cmd += (["--type", "json", "--file", nd] if fmt == "ndjson" else
            ["--type", "csv", "--headerline", "--columnsHaveTypes", "--file", files["mcsv"]])
    if a.workers == 1:
        cmd.append("--maintainInsertionOrder")
    return cmd, None


def run_loads(a, server, client, gen, n, cases, prefix, mongoimport=None, node_modules=None):
    """Load n rows with each (tool, format) of cases, a.runs times,
    interleaved (the order rotates each run), each into a fresh database
    dropped after; checked by count, and the NDJSON loads by a spot check
    (check_load). Returns {"tool_format": [measurement, ...]} and the
    files."""
    nd, csv = data_files(gen, n)
    files = {"ndjson": nd, "csv": csv,
             "mcsv": typed_csv_copy(csv) if ("mongoimport", "csv") in cases else None}
    res = {f"{t}_{f}": [] for t, f in cases}
    rng = random.Random(a.seed)
    for r in range(a.runs):
        order = cases[r % len(cases):] + cases[:r % len(cases)]
        for t, f in order:
            db = f"bench_{prefix}_{os.getpid()}_{r}_{t}_{f}"
            cmd, env = load_cmd(a, server, t, f, files, mongoimport, node_modules)
            cmd = [db if c == "{db}" else c for c in cmd]
            m = measure(cmd, env=env, timeout=a.timeout, server_pid=server.pid, backend_pid=server.pg_pid)
            if t == "bulkql":
                m["error"] = check_bulkql_reply(m, n, False)
            else:
                m["error"] = None if m["rc"] == 0 else f"exit {m['rc']}: {short(m['stderr'] or m['stdout'])}"
            if not m["error"]:
                if f == "ndjson":
                    m["error"] = check_load(client, db, "docs", n, nd, rng, a.exact_count)
                else:
                    count = client[db].command("collStats", "docs")["count"]
                    m["error"] = None if count == n else f"the collection holds {count} documents, expected {n}"
            client.drop_database(db)
            log(f"{prefix} run {r + 1}/{a.runs} {t} {f}: {m['wall']:.2f} s wall, client {m['cpu']:.2f} s CPU, "
                f"server {m['server_cpu'] or 0:.2f} s CPU"
                + (f", PostgreSQL {m['backend_cpu']:.2f} s CPU" if m["backend_cpu"] is not None else "")
                + (f" FAILED: {m['error']}" if m["error"] else ""))
            res[f"{t}_{f}"].append(m)
    return res, files


def run_e2e(a, server, client, gen, node_modules, mongoimport):
    """Every peer of a.tools on the NDJSON file, and bulkql and mongoimport
    on the CSV file, interleaved in one run."""
    n = a.e2e_rows
    tools = [t for t in E2E_TOOLS if t in a.tools]
    if "node" in tools and not node_modules:
        tools.remove("node")
    if "mongoimport" in tools and not mongoimport:
        tools.remove("mongoimport")
    cases = [(t, "ndjson") for t in tools] + [(t, "csv") for t in tools if t in CSV_TOOLS]
    res, files = run_loads(a, server, client, gen, n, cases, "load", mongoimport, node_modules)
    return {"rows": n, "ndjson": files["ndjson"], "ndjson_bytes": os.path.getsize(files["ndjson"]),
            "csv_bytes": os.path.getsize(files["csv"]), "runs": res,
            "mongoimport": mongoimport, "version": mongoimport_version(mongoimport) if mongoimport else None}


def run_vs_mongoimport(a, server, client, gen, mongoimport):
    """bulkql and mongoimport, NDJSON and CSV, and the raw libmongoc loop
    on NDJSON, interleaved."""
    n = a.vs_rows
    cases = [(t, f) for f in ("ndjson", "csv") for t in ("bulkql", "mongoimport", "raw") if f == "ndjson" or t != "raw"]
    res, files = run_loads(a, server, client, gen, n, cases, "vs", mongoimport)
    return {"rows": n, "ndjson_bytes": os.path.getsize(files["ndjson"]), "csv_bytes": os.path.getsize(files["csv"]),
            "mongoimport": mongoimport, "version": mongoimport_version(mongoimport), "runs": res}


def keyed_file(nd, n):
    """A copy of the first n lines of the NDJSON file nd (cached beside it)
    with "_id": seq first in every document: the rows of the upsert
    benchmark, keyed by _id."""
    out = f"{nd[:-len('.ndjson')]}.keyed-{n}.ndjson"
    if not os.path.exists(out):
        with open(nd, encoding="utf-8") as src, open(out + ".tmp", "w", encoding="utf-8") as dst:
            for line in itertools.islice(src, n):
                seq = json.loads(line)["seq"]
                dst.write('{"_id": %d, ' % seq + line.lstrip()[1:])
        os.replace(out + ".tmp", out)
    return out


def seed_half(client, db, keyed):
    """The collection before each upsert load: the documents of every
    other row (even _ids), each with an older score, so that an upsert of
    its row modifies it."""
    docs = []
    with open(keyed, encoding="utf-8") as f:
        for line in f:
            d = json_util.loads(line)
            if d["_id"] % 2 == 0:
                d["score"] = -1.0
                docs.append(d)
    c = client[db]["docs"]
    for i in range(0, len(docs), 1000):
        c.insert_many(docs[i:i + 1000], ordered=False)
    return len(docs)


def canonical(doc):
    """doc as canonical Extended JSON with sorted keys: values and types,
    not key order (FerretDB stores the fields of a document that an
    update's $set creates in its own order)."""
    return json_util.dumps(doc, json_options=json_util.CANONICAL_JSON_OPTIONS, sort_keys=True)


def check_keyed(client, db, n, keyed, rng):
    """Exactly n documents, and two chosen at random equal to their lines
    of the file (values and types)."""
    c = client[db]["docs"]
    count = client[db].command("collStats", "docs")["count"]
    if count != n:
        return f"the collection holds {count} documents, expected {n}"
    for k in (rng.randint(1, n), rng.randint(1, n)):
        got = c.find_one({"_id": k})
        want = json_util.loads(file_line(keyed, k))
        if got is None or canonical(got) != canonical(want):
            return f"_id = {k}: stored {json_util.dumps(got)}, the file has {json_util.dumps(want)}"
    return None


UPSERT_SQL = {"upsert": "ON CONFLICT (_id) DO REPLACE", "merge": "ON CONFLICT (_id) DO UPDATE SET *"}
# the upsert benchmark's tools: bulkql as the other loads run it (ordered,
# like mongoimport's update commands), bulkql with ordered = false (not
# like for like: shown beside), mongoimport
UPSERT_TOOLS = ("bulkql", "bulkql-unordered", "mongoimport")


def upsert_opts(a, tool):
    opts = with_opts(a, False)
    if tool == "bulkql-unordered" and "ordered = false" not in opts:
        opts = opts[:-1] + ", ordered = false)"
    return opts


def run_upsert(a, server, client, gen, mongoimport):
    """bulkql against mongoimport --mode upsert (replace the document) and
    --mode merge (set the row's fields), by _id, into a collection that
    holds half of the rows (every other one), interleaved."""
    n = a.upsert_rows
    nd, _ = data_files(gen, max(n, 1000))
    keyed = keyed_file(nd, n)
    cases = [(t, mode) for mode in a.upsert_modes for t in a.upsert_tools]
    res = {f"{t}_{mode}": [] for t, mode in cases}
    rng = random.Random(a.seed)
    for r in range(a.upsert_runs):
        order = cases[r % len(cases):] + cases[:r % len(cases)]
        for t, mode in order:
            db = f"bench_ups_{os.getpid()}_{r}_{t}_{mode}"
            seeded = seed_half(client, db, keyed)
            if t.startswith("bulkql"):
                cmd = bulkql_cmd(a, server.uri, db, f"BULK UPSERT INTO docs FROM '{keyed}' FORMAT NDJSON "
                                 f"{UPSERT_SQL[mode]}{upsert_opts(a, t)}")
            else:
                cmd = [mongoimport, "--uri", server.uri, "--db", db, "--collection", "docs", "--type", "json",
                       "--file", keyed, "--mode", mode, "--upsertFields", "_id", "--numInsertionWorkers", a.workers,
                       "--batchSize", a.batch_size, "--writeConcern", "{w: 1}", "--quiet"]
                if a.workers == 1:
                    cmd.append("--maintainInsertionOrder")
            m = measure(cmd, timeout=a.timeout, server_pid=server.pid)
            if t.startswith("bulkql"):
                reply = last_json(m["stdout"])
                want = (seeded, n - seeded, 0)
                got = tuple((reply or {}).get(k) for k in ("nMatched", "nUpserted", "nFailed"))
                m["error"] = None if m["rc"] == 0 and got == want else \
                    f"exit {m['rc']}: (nMatched, nUpserted, nFailed) = {got}, expected {want}: " + \
                    short((reply or {}).get("error") or m["stderr"])
            else:
                m["error"] = None if m["rc"] == 0 else f"exit {m['rc']}: {short(m['stderr'] or m['stdout'])}"
            if not m["error"]:
                m["error"] = check_keyed(client, db, n, keyed, rng)
            client.drop_database(db)
            log(f"upsert run {r + 1}/{a.upsert_runs} {t} --mode {mode}: {m['wall']:.2f} s wall, client "
                f"{m['cpu']:.2f} s CPU, server {m['server_cpu'] or 0:.2f} s CPU"
                + (f" FAILED: {m['error']}" if m["error"] else ""))
            res[f"{t}_{mode}"].append(m)
    return {"rows": n, "seeded": n // 2, "keyed": keyed, "mongoimport": mongoimport,
            "version": mongoimport_version(mongoimport), "runs": res}


def mongoimport_version(path):
    try:
        p = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
        return p.stdout.splitlines()[0].split(":", 1)[1].strip()
    except (OSError, IndexError, subprocess.SubprocessError):
        return "unknown"


def run_rss(a, server, client, gen):
    """Peak RSS of bulkql for each mode of a.rss_modes (dry_run: nothing
    sent; load: every batch inserted), at each size (a.rss_rows, or for
    the load mode a.rss_load_rows), NDJSON and CSV."""
    out = []
    for mode in a.rss_modes:
        dry = mode == "dry_run"
        for n in (a.rss_rows if dry else a.rss_load_rows):
            nd, csv = data_files(gen, n)
            for fmt in ("ndjson", "csv"):
                ms = []
                for r in range(a.rss_runs):
                    db = f"bench_rss_{os.getpid()}_{n}_{r}"
                    path = nd if fmt == "ndjson" else csv
                    cols = f" ({CSV_COLUMNS})" if fmt == "csv" else ""
                    stmt = f"BULK INSERT INTO docs{cols} FROM '{path}' FORMAT {fmt.upper()}{with_opts(a, dry)}"
                    m = measure(bulkql_cmd(a, server.uri, db, stmt), timeout=a.timeout, server_pid=server.pid)
                    m["error"] = check_bulkql_reply(m, n, dry)
                    client.drop_database(db)
                    log(f"rss {mode} {fmt} {fmt_rows(n)} run {r + 1}/{a.rss_runs}: {m['maxrss_kb'] / 1024:.1f} MB, "
                        f"{m['wall']:.1f} s wall" + (f" FAILED: {m['error']}" if m["error"] else ""))
                    ms.append(m)
                out.append({"rows": n, "format": fmt, "mode": mode, "runs": ms})
    return {"modes": a.rss_modes, "sizes": out}


# ---- RESULTS.md ----

def machine():
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) / 1024 / 1024
    return f"{os.cpu_count()} CPUs, {cpu}, {platform.system()} {platform.release()}, {mem:.0f} GB RAM"


def commit():
    try:
        c = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=TOP, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "src", "grammar", "include"], cwd=TOP).returncode
        return (c or "unknown") + (" + uncommitted changes in src/, grammar/ or include/" if dirty else "")
    except OSError:
        return "unknown"


def header(a, extra):
    lines = [
        f"- date: {a.date}",
        f"- machine: {getattr(a, 'machine', None) or machine()}",
        f"- commit: {getattr(a, 'commit', None) or commit()}; bulkql: `{os.path.relpath(a.bulkql, TOP)}`"
        + (" (RelWithDebInfo -O2 -g)" if a.bulkql == a.default_bulkql else "")
        + (f": {a.bulkql_note}" if a.bulkql_note else ""),
        f"- command: `{a.command}`",
    ]
    lines += [f"- `uptime` {when} the runs: {getattr(a, k)}" for when, k in (("before", "uptime_start"),
                                                                             ("after", "uptime_end"))
              if getattr(a, k, None)]
    return lines + extra


def good(ms):
    return [m for m in ms if not m.get("error")]


def failures(name, ms):
    bad = [m for m in ms if m.get("error")]
    if not bad:
        return []
    return [f"- **{name}: {len(bad)} of {len(ms)} runs failed**: {bad[0]['error']}"]


def la_range(allm):
    xs = [m["loadavg"] for m in allm]
    return f"{min(xs):.2f} to {max(xs):.2f} (median {median(xs):.2f})" if xs else "-"


def verdict(ok):
    return "met" if ok else "MISSED"


def section_pipeline(a, p):
    n = p["rows"]
    runs = p["runs"]
    allm = [m for ms in runs.values() for m in ms]
    bare_bson = median([m["bson_bytes"] for m in good(runs["bare_reader"]) if m.get("bson_bytes")])
    lines = [SECTIONS["pipeline"], "",
             "BulkQL's client pipeline alone: `BULK INSERT INTO docs FROM '<file>' FORMAT NDJSON WITH (batch_size = "
             f"{a.batch_size}, dry_run = true, parse_threads = 1)` makes `bulkql` read the file, parse every line "
             "(simdjson's DOM parser "
             "building the BSON directly, libbson's JSON reader for the records it hands over: src/executor/"
             "sources/json_fast.cpp), check it, give it an `_id` and assemble the batches of documents, then count "
             "them instead "
             "of sending them (the executor's `dry_run` branch in src/executor/rows.c: it stops before "
             "`mongoc_bulk_operation_insert_with_opts`, so libmongoc's copy of each document into the insert "
             "command is not included). The same on the CSV file with the typed column list "
             f"`({CSV_COLUMNS})` (libcsv, each field converted to its column's type and appended to the document: "
             "src/executor/sources/csv.c). Target 1 is judged on these loads with ONE parse thread "
             "(`parse_threads = 1`); the lines marked \"default parse_threads\" are the same loads with the "
             "default (one parse thread per core), whose CPU seconds include the threads' hand-off. "
             "The floor: bench/bare_reader, a bare loop over libbson's `bson_json_reader_t` "
             "on the same NDJSON file. Times are of the whole process (bulkql's includes connecting to the "
             "server); rates are rows / time. The machine is shared, so the rates are given both per wall-clock "
             "second and per CPU second (user + sys): the CPU figure is what one idle core would do, and the "
             "targets are judged on it.", ""]
    lines += header(a, [
        f"- input: {fmt_rows(n)} rows; NDJSON {p['ndjson_bytes'] / 1e6:.1f} MB ({p['ndjson_bytes'] / n:.0f} B/line), "
        f"CSV {p['csv_bytes'] / 1e6:.1f} MB"
        + (f"; {bare_bson / n:.0f} B of BSON per document" if bare_bson else ""),
        f"- runs: {a.runs} (medians); 1-minute load average before each run: {la_range(allm)}",
    ])
    lines += ["", "| program | parse threads | wall s | CPU s | docs/s (wall) | docs/s (CPU) | max RSS MB |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    names = {"bare_reader": "bare_reader (libbson JSON reader)", "bulkql_ndjson": "bulkql dry_run, NDJSON",
             "bulkql_csv": "bulkql dry_run, CSV (typed columns)",
             "bulkql_ndjson_threads": "bulkql dry_run, NDJSON, default parse_threads",
             "bulkql_csv_threads": "bulkql dry_run, CSV (typed columns), default parse_threads"}
    threads = {"bare_reader": "1", "bulkql_ndjson": "1", "bulkql_csv": "1",
               "bulkql_ndjson_threads": f"default ({os.cpu_count()} cores)",
               "bulkql_csv_threads": f"default ({os.cpu_count()} cores)"}
    med = {}
    for t in names:
        if t not in runs:
            continue
        g = good(runs[t])
        if not g:
            lines.append(f"| {names[t]} | {threads[t]} | failed | | | | |")
            continue
        w, c = median([m["wall"] for m in g]), median([m["cpu"] for m in g])
        med[t] = (w, c)
        lines.append(f"| {names[t]} | {threads[t]} | {w:.2f} | {c:.2f} | {n / w:,.0f} | {n / c:,.0f} | "
                     f"{median([m['maxrss_kb'] for m in g]) / 1024:.1f} |")
    lines.append("")
    for t in names:
        if t in runs:
            lines += failures(names[t], runs[t])
    if "bare_reader" not in med:
        lines.append("- targets: not judged (the bare reader failed every run)")
        return lines
    bw, bc = med["bare_reader"]
    for t, label in (("bulkql_ndjson", "NDJSON"), ("bulkql_csv", "CSV")):
        if t not in med:
            lines.append(f"- target 1, {label}, one parse thread: not judged (bulkql failed every run)")
            continue
        qw, qc = med[t]
        lines.append(f"- {label}, one parse thread: bulkql / bare reader (rate) = {bc / qc:.2f} per CPU second, "
                     f"{bw / qw:.2f} per wall second")
        lines.append(f"- target 1, {label}, one parse thread, >= 4x the bare reader: {verdict(bc / qc >= 4)} "
                     f"({bc / qc:.2f}x); >= 1M docs per CPU second: {verdict(n / qc >= 1e6)} ({n / qc:,.0f}; the "
                     f"bare reader itself does {n / bc:,.0f})")
    return lines


def section_e2e(a, e, skipped):
    n = e["rows"]
    # results saved before 2026-12-07 keyed the NDJSON loads by tool alone
    runs = {(k if "_" in k else f"{k}_ndjson"): ms for k, ms in e["runs"].items()}
    allm = [m for ms in runs.values() for m in ms]
    be = BACKEND_NAMES[a.backend]
    pg = any(m.get("backend_cpu") is not None for m in allm)
    names = {"bulkql": "bulkql", "raw": "raw_insert (libmongoc)", "pymongo": "pymongo insert_many",
             "node": f"Node.js mongodb {NODE_MONGODB} insertMany", "mongoimport": "mongoimport"}
    mi = f"mongoimport `--batchSize {a.batch_size} --numInsertionWorkers {a.workers} --writeConcern '{{w: 1}}'" + \
        (" --maintainInsertionOrder" if a.workers == 1 else "") + "`"
    lines = [SECTIONS["e2e"], "",
             "Issue 16's table: every peer loads the same NDJSON file, and the tools that load CSV (bulkql, "
             "mongoimport) the same rows as CSV, in one run, into fresh databases of the benchmark's own FerretDB "
             f"v1.24.2 server over its {be} backend (`scripts/server start --backend {a.backend}`). NDJSON: `bulkql -c "
             f"\"BULK INSERT INTO docs FROM '<file>' FORMAT NDJSON{with_opts(a, False)}\"`; bench/raw_insert, the raw "
             "libmongoc loop (libbson's JSON reader + `mongoc_bulk_operation_insert_with_opts`, one bulk operation "
             "per batch); bench/load_pymongo.py (`bson.json_util.loads` per line, `insert_many(ordered=True)`); "
             "bench/load_node.js (`EJSON.parse` per line, `insertMany({ordered: true})`, awaited; npm `mongodb` "
             f"{NODE_MONGODB}, installed by the benchmark under .cache/bench/node); {mi} `--type json`. CSV: "
             f"`BULK INSERT INTO docs ({CSV_COLUMNS}) FROM '<file>' FORMAT CSV{with_opts(a, False)}` against the "
             "same mongoimport with `--type csv --headerline --columnsHaveTypes` on a copy of the file whose header "
             f"names the same types (`{MONGOIMPORT_CSV_HEADER}`; mongoimport has no JSON column type, so it stores "
             "`tags` as the string where bulkql parses it into an array). Every tool sends ordered batches of "
             f"{a.batch_size} documents, {a.workers} in flight (parallel_workers = {a.workers} for bulkql, as "
             "mongoimport's insertion workers), and lets the client add an ObjectId `_id`. After each load the "
             "collection must hold exactly N documents (the server's collStats count"
             + (" and count_documents" if a.exact_count else "") + "), and after an NDJSON load a document chosen "
             "at random (by `seq`) must equal its line of the file, types and key order included; it is then "
             "dropped. Wall time is the whole process. Client CPU is user + sys of the tool's process as the OS "
             "counts it (getrusage of the child, through `/usr/bin/time -v`), with the tool's peak RSS; server "
             "CPU is the FerretDB process's, from /proc"
             + ("; PostgreSQL CPU is that of the backend's postmaster and all its processes (live ones from "
                "/proc, exited ones from the postmaster's cutime and cstime)" if pg else "")
             + ". The last two columns divide bulkql's median by the tool's, for the same format: below 1 bulkql "
             "spends less. Every ratio is of medians measured in this one run.", ""]
    lines += header(a, [
        f"- server: FerretDB v1.24.2, {be} backend",
    ] + ([f"- mongoimport: `{e['mongoimport']}` ({e['version']})"] if e.get("mongoimport") else []) + [
        f"- input: {fmt_rows(n)} rows, NDJSON {e['ndjson_bytes'] / 1e6:.1f} MB"
        + (f", CSV {e['csv_bytes'] / 1e6:.1f} MB" if e.get("csv_bytes") else ""),
        f"- runs: {a.runs} (medians, loads interleaved); 1-minute load average before each load: {la_range(allm)}",
    ] + [f"- not run: {why}" for why in skipped])
    lines += ["", "| format | tool | backend | wall s | docs/s (wall) | client CPU s | docs per client CPU s | "
              "server CPU s | " + ("PostgreSQL CPU s | " if pg else "") + "client max RSS MB | "
              "bulkql / tool, client CPU | bulkql / tool, wall |",
              "|---|---|---|---:|---:|---:|---:|---:|" + ("---:|" if pg else "") + "---:|---:|---:|"]
    med = peer_rows(lines, runs, n, be, lambda key: (key.split("_")[1].upper(), names[key.split("_")[0]]),
                    pg=pg, bulkql_key=lambda key: "bulkql_" + key.split("_")[1],
                    fail_name=lambda key: f"{names[key.split('_')[0]]}, {key.split('_')[1].upper()}")
    q, raw = med.get("bulkql_ndjson"), med.get("raw_ndjson")
    if q and raw:
        lines.append(f"- NDJSON ({be}): target bulkql <= 1.05x raw_insert's wall time: {verdict(q[0] / raw[0] <= 1.05)} "
                     f"({q[0] / raw[0]:.2f}x); issue 16 target 3, client CPU <= 1.0x the raw libmongoc loop's: "
                     f"{verdict(q[1] <= raw[1])} ({ratio(q[1], raw[1])})")
    else:
        lines.append("- bulkql against raw_insert: not judged (" + ("bulkql" if not q else "raw_insert")
                     + " failed every run or did not run)")
    for f in ("ndjson", "csv"):
        q, m = med.get(f"bulkql_{f}"), med.get(f"mongoimport_{f}")
        if q and m:
            lines.append(f"- {f.upper()} ({be}): issue 16 target 3, client CPU <= 0.15x mongoimport's: "
                         f"{verdict(q[1] <= 0.15 * m[1])} ({ratio(q[1], m[1])}; {q[1]:.2f} s vs {m[1]:.2f} s)")
        elif f"mongoimport_{f}" not in runs:
            lines.append(f"- {f.upper()} ({be}): issue 16 target 3 against mongoimport: not judged (mongoimport not run)")
    q = med.get("bulkql_ndjson")
    for t in ("pymongo", "node", "mongoimport"):
        p = med.get(f"{t}_ndjson")
        if p and q:
            lines.append(f"- NDJSON ({be}): target faster than {names[t]}: {verdict(q[0] < p[0])} (wall "
                         f"{q[0] / p[0]:.2f}x); bulkql spends {ratio(q[1], p[1])} of its client CPU")
        elif f"{t}_ndjson" in runs:
            lines.append(f"- target faster than {names[t]}: not judged (a tool failed every run)")
        else:
            lines.append(f"- target faster than {names[t]}: not judged ({t} not run)")
    return lines


def ratio(x, y):
    """x / y as "0.12x", or "-" when y is 0 (a CPU time under /usr/bin/time's 10 ms step)."""
    return f"{x / y:.2f}x" if y else "-"


def peer_rows(lines, runs, n, backend, label, pg=False, bulkql_key=None, fail_name=None):
    """The table rows of the tools' runs (first two columns from
    label(key)), then the failures; returns {key: (median wall, median
    client CPU)}. pg: a column of the PostgreSQL backend's CPU seconds
    after the server's; bulkql_key(key): the key of the bulkql row that
    each row is compared with, in two last columns (bulkql / the tool, in
    client CPU and in wall time); fail_name(key): how a failure names the
    row (its key)."""
    med = {}
    for key, ms in runs.items():
        g = good(ms)
        if g:
            med[key] = (median([m["wall"] for m in g]), median([m["cpu"] for m in g]))
    cols = 5 + (1 if pg else 0) + (2 if bulkql_key else 0)
    for key, ms in runs.items():
        first, tool = label(key)
        if key not in med:
            lines.append(f"| {first} | {tool} | {backend} | failed |" + " |" * cols)
            continue
        g = good(ms)
        w, c = med[key]
        row = (f"| {first} | {tool} | {backend} | {w:.2f} | {n / w:,.0f} | {c:.2f} | "
               + (f"{n / c:,.0f}" if c else "-") + f" | {median([m['server_cpu'] or 0 for m in g]):.2f} | ")
        if pg:
            row += f"{median([m.get('backend_cpu') or 0 for m in g]):.2f} | "
        row += f"{median([m['maxrss_kb'] for m in g]) / 1024:.1f} |"
        if bulkql_key:
            q = med.get(bulkql_key(key))
            row += f" {ratio(q[1], c)} | {q[0] / w:.2f}x |" if q else " - | - |"
        lines.append(row)
    lines.append("")
    for key, ms in runs.items():
        lines += failures(fail_name(key) if fail_name else key, ms)
    return med


def section_vs(a, v):
    n = v["rows"]
    runs = v["runs"]
    allm = [m for ms in runs.values() for m in ms]
    lines = [SECTIONS["mongoimport"], "",
             f"The same data loaded by bulkql, by mongoimport and (NDJSON) by bench/raw_insert, the raw libmongoc loop "
             f"(libbson's JSON reader + `mongoc_bulk_operation_insert_with_opts`), into fresh databases of the "
             f"benchmark's own FerretDB v1.24.2 server over its {BACKEND_NAMES[a.backend]} backend. NDJSON: "
             f"`BULK INSERT INTO docs FROM '<file>' FORMAT NDJSON{with_opts(a, False)}` against "
             "`mongoimport --type json`. CSV: `BULK INSERT INTO docs (" + CSV_COLUMNS + ") FROM '<file>' FORMAT CSV"
             f"{with_opts(a, False)}` against `mongoimport --type csv --headerline --columnsHaveTypes` on a copy of "
             "the file whose header names the same types (`" + MONGOIMPORT_CSV_HEADER + "`; mongoimport has no JSON "
             "column type, so it stores `tags` as the string, bulkql parses it into an array). mongoimport runs "
             f"with `--batchSize {a.batch_size} --numInsertionWorkers {a.workers} --writeConcern '{{w: 1}}'"
             + (" --maintainInsertionOrder" if a.workers == 1 else "") + "`; every tool sends batches of "
             f"{a.batch_size} documents, {a.workers} in flight. Checked: the collection holds exactly N documents; "
             "for NDJSON one document chosen at random equals its line of the file. Client CPU is user + sys of "
             "the tool's process as the OS counts it (getrusage of the child, through `/usr/bin/time -v`), "
             "with the tool's peak RSS; server CPU is the FerretDB process's, from /proc (the PostgreSQL "
             "backend's own processes are not in it). Every ratio below is of medians measured in this one run.",
             ""]
    lines += header(a, [
        f"- server: FerretDB v1.24.2, {BACKEND_NAMES[a.backend]} backend (`scripts/server start --backend {a.backend}`)",
        f"- mongoimport: `{v['mongoimport']}` ({v['version']})",
        f"- input: {fmt_rows(n)} rows, NDJSON {v['ndjson_bytes'] / 1e6:.1f} MB, CSV {v['csv_bytes'] / 1e6:.1f} MB",
        f"- runs: {a.runs} (medians, loads interleaved); 1-minute load average before each load: {la_range(allm)}",
    ])
    lines += ["", "| format | tool | backend | wall s | docs/s (wall) | client CPU s | docs per client CPU s | "
              "server CPU s | client max RSS MB |", "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    names = {"bulkql": "bulkql", "mongoimport": "mongoimport", "raw": "raw_insert (libmongoc)"}
    med = peer_rows(lines, runs, n, BACKEND_NAMES[a.backend],
                    lambda key: (key.split("_")[1].upper(), names[key.split("_")[0]]))
    be = BACKEND_NAMES[a.backend]
    for f in ("ndjson", "csv"):
        b, m = med.get(f"bulkql_{f}"), med.get(f"mongoimport_{f}")
        if b and m:
            lines.append(f"- {f.upper()} ({be}): bulkql / mongoimport = {b[0] / m[0]:.2f} in wall time, "
                         f"{b[1] / m[1]:.2f} in client CPU time; target client CPU <= 0.15x mongoimport's: "
                         f"{verdict(b[1] / m[1] <= 0.15)}")
    b, r = med.get("bulkql_ndjson"), med.get("raw_ndjson")
    if b and r:
        lines.append(f"- NDJSON ({be}): bulkql / raw_insert = {b[0] / r[0]:.2f} in wall time, {b[1] / r[1]:.2f} in "
                     f"client CPU time; target client CPU <= 1.0x the raw libmongoc loop's: {verdict(b[1] / r[1] <= 1.0)}")
    return lines


def section_upsert(a, u):
    n = u["rows"]
    runs = u["runs"]
    allm = [m for ms in runs.values() for m in ms]
    be = BACKEND_NAMES[a.backend]
    lines = [SECTIONS["upsert"], "",
             f"{fmt_rows(n)} NDJSON rows keyed by `_id` (the generator's documents with `\"_id\": seq` first) "
             f"upserted into a collection of the benchmark's own FerretDB v1.24.2 server over its {be} backend "
             f"that already holds half of them (every other `_id`, {fmt_rows(u['seeded'])} documents, each with "
             "an older `score`, inserted before each load and not timed), fresh for each load. mongoimport "
             "`--mode upsert` (replace the document whose `_id` matches, or insert) against bulkql `BULK UPSERT "
             "INTO docs FROM '<file>' FORMAT NDJSON ON CONFLICT (_id) DO REPLACE`"
             + (" (and, where the table has it, the same with `ordered = false`)" if "bulkql-unordered" in a.upsert_tools
                else "") + ", and mongoimport `--mode merge` "
             "(set the row's fields) against `... ON CONFLICT (_id) DO UPDATE SET *`; "
             f"`WITH (batch_size = {a.batch_size})` and `--upsertFields _id --batchSize {a.batch_size} "
             f"--numInsertionWorkers {a.workers} --writeConcern '{{w: 1}}'"
             + (" --maintainInsertionOrder" if a.workers == 1 else "") + "`: batches of "
             f"{a.batch_size} rows, one in flight. Checked: bulkql reports nMatched = {fmt_rows(u['seeded'])}, "
             f"nUpserted = {fmt_rows(n - u['seeded'])} and no failed row; the collection holds exactly N documents "
             "and two documents chosen at random equal their lines of the file (values and types; key order not compared, FerretDB orders the fields a `$set` creates itself). bulkql also reads which of its `_id`s "
             "exist (retry_attempts > 0 and this server's update command, which loses its counts when a statement "
             "fails: see src/executor/write_rows.c): on this server, whose `_id` `$in` lookup reads the whole "
             "collection, every stored `_id` once per statement (the step EXPLAIN marks `ifIdLookupScans`), where "
             "commits before 2026-12-07 read the batch's `_id`s before each batch. On such a server, where each "
             "upsert statement also reads the whole collection and an insert does not, `DO REPLACE` sends each row "
             "whose `_id` that record does not hold as an insert of the row (the `INSERT_NEW_IDS` step, from "
             "2026-12-07; a row refused as a duplicate key goes as its upsert). mongoimport 100.18 `--mode upsert` "
             "sends `ordered: true` update commands, with or without `--maintainInsertionOrder` and with 1 or 2 "
             "insertion workers (read on the wire through tests/lib/wireproxy.py), so bulkql runs with its default "
             "`ordered = true`, like for like. Ordered, the inserts go in row order between the upsert commands, "
             "and only as runs of at least 16 new rows (a batch is never one command per row): with every other "
             "row stored there is no such run, and every batch goes as one upsert command, as before. With "
             "`ordered = false` (a row `bulkql-unordered`, not like for like), a batch's new rows go as one insert "
             "command and its stored ones as one upsert command. Client CPU from the OS as above.",
             ""]
    lines += header(a, [
        f"- server: FerretDB v1.24.2, {be} backend (`scripts/server start --backend {a.backend}`)",
        f"- mongoimport: `{u['mongoimport']}` ({u['version']})",
        f"- runs: {a.upsert_runs} (medians, loads interleaved); 1-minute load average before each load: {la_range(allm)}",
    ])
    lines += ["", "| mode | tool | backend | wall s | rows/s (wall) | client CPU s | rows per client CPU s | "
              "server CPU s | client max RSS MB |", "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    def label(key):
        t, mode = key.split("_")
        if t == "bulkql-unordered":
            return mode, f"bulkql `{UPSERT_SQL[mode]}` `ordered = false`"
        return mode, f"{t} `{'--mode ' + mode if t == 'mongoimport' else UPSERT_SQL[mode]}`"

    med = peer_rows(lines, runs, n, be, label)
    for mode in ("upsert", "merge"):
        b, m = med.get(f"bulkql_{mode}"), med.get(f"mongoimport_{mode}")
        if b and m:
            lines.append(f"- {mode} ({be}, {fmt_rows(n)} rows): bulkql / mongoimport --mode {mode} = {b[0] / m[0]:.2f} "
                         f"in wall time, {b[1] / m[1]:.2f} in client CPU time; target wall <= mongoimport's: "
                         f"{verdict(b[0] <= m[0])}")
        bu = med.get(f"bulkql-unordered_{mode}")
        if bu and m:
            lines.append(f"- {mode} ({be}, {fmt_rows(n)} rows): bulkql `ordered = false` / mongoimport --mode {mode} "
                         f"(ordered) = {bu[0] / m[0]:.2f} in wall time, {bu[1] / m[1]:.2f} in client CPU time (not "
                         "like for like)")
    return lines


def section_rss(a, s):
    modes = s.get("modes") or [s["mode"]]  # results saved before 2026-12-07 had one mode
    what = {"dry_run": "the dry_run pipeline (mode dry_run: read, convert, assemble batches; nothing sent)",
            "load": "real loads into the benchmark's server (mode load: every batch inserted, then the database "
                    "dropped)"}
    lines = [SECTIONS["rss"], "",
             "Peak resident set size of `bulkql` (`/usr/bin/time -v`, \"Maximum resident set size\") running "
             + " and ".join(what[m] for m in modes)
             + f" on the NDJSON and the CSV files, batch_size = {a.batch_size}, default memory_limit and "
             "parse_threads. Target (issue 16, target 5): at "
             f"most {RSS_LIMIT_MB:.0f} MB at every size, and flat: the largest size within 10% of the smallest, "
             "per mode and format.", ""]
    allm = [m for sz in s["sizes"] for m in sz["runs"]]
    lines += header(a, [f"- server: FerretDB v1.24.2, {BACKEND_NAMES[a.backend]} backend",
                        f"- runs: {a.rss_runs} per size, mode and format (median); 1-minute load average: "
                        f"{la_range(allm)}"])
    lines += ["", "| mode | format | rows | max RSS MB | wall s | client CPU s |", "|---|---|---:|---:|---:|---:|"]
    by_fmt = {}
    for sz in s["sizes"]:
        mode = sz.get("mode", modes[0])
        g = good(sz["runs"])
        if not g:
            lines.append(f"| {mode} | {sz['format']} | {fmt_rows(sz['rows'])} | failed | | |")
            continue
        mb = median([m["maxrss_kb"] for m in g]) / 1024
        by_fmt.setdefault((mode, sz["format"]), []).append((sz["rows"], mb))
        lines.append(f"| {mode} | {sz['format']} | {fmt_rows(sz['rows'])} | {mb:.1f} | "
                     f"{median([m['wall'] for m in g]):.1f} | {median([m['cpu'] for m in g]):.2f} |")
    lines.append("")
    for sz in s["sizes"]:
        lines += failures(f"{sz.get('mode', modes[0])} {sz['format']} {fmt_rows(sz['rows'])}", sz["runs"])
    for (mode, fmtn), pts in by_fmt.items():
        pts.sort()
        worst = max(mb for _, mb in pts)
        growth = pts[-1][1] / pts[0][1] if len(pts) > 1 else 1.0
        lines.append(f"- {mode}, {fmtn}: target <= {RSS_LIMIT_MB:.0f} MB {verdict(worst <= RSS_LIMIT_MB)} "
                     f"(worst {worst:.1f} MB); flat "
                     + (f"{verdict(growth <= 1.10)} ({fmt_rows(pts[-1][0])} / {fmt_rows(pts[0][0])} = {growth:.2f})"
                        if len(pts) > 1 else f"not judged (one size, {fmt_rows(pts[0][0])})"))
    return lines


def write_results(path, sections):
    """Replace each "## " section we wrote before (up to the next "## "
    heading), or append it; leave every other section as it is."""
    text = open(path).read() if os.path.exists(path) else (
        "# BulkQL benchmarks\n\nFigures recorded by the scripts under bench/; each section says how it\n"
        "was measured. Rerun a script to replace its section.\n")
    for title, body in sections:
        block = "\n".join(body).rstrip() + "\n"
        lines = text.split("\n")
        start = next((i for i, l in enumerate(lines) if l == title), None)
        if start is None:
            text = text.rstrip("\n") + "\n\n" + block
            continue
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        rest = "\n".join(lines[end:])
        text = "\n".join(lines[:start]) + "\n" + block + ("\n" + rest if rest.strip() else "")
        text = text.lstrip("\n")
    with open(path, "w") as f:
        f.write(text.rstrip("\n") + "\n")


# ---- main ----

def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/run_load_bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000, help="rows for every benchmark unless set below (1000000)")
    p.add_argument("--pipeline-rows", type=int, help="rows for the dry_run / bare reader comparison (--rows)")
    p.add_argument("--e2e-rows", type=int, help="rows for the end-to-end loads (--rows)")
    p.add_argument("--rss-rows", help="comma-separated sizes for the RSS benchmark (--rows and 4x --rows)")
    p.add_argument("--runs", type=int, default=5, help="runs per measurement; medians are reported (5)")
    p.add_argument("--rss-runs", type=int, help="runs per RSS size and format (--runs)")
    p.add_argument("--rss-mode", default="dry_run",
                   help="comma-separated: measure RSS on dry runs (dry_run), on real loads (load), or both (dry_run)")
    p.add_argument("--rss-load-rows", help="comma-separated sizes of the RSS benchmark's real loads (--rss-rows)")
    p.add_argument("--only", default="pipeline,e2e,rss,mongoimport,upsert",
                   help="benchmarks to run (pipeline,e2e,rss,mongoimport,upsert)")
    p.add_argument("--vs-rows", type=int, help="rows for bulkql vs mongoimport, NDJSON and CSV (--rows)")
    p.add_argument("--upsert-rows", type=int, default=20000, help="rows of the upsert benchmark (20000)")
    p.add_argument("--upsert-runs", type=int, help="runs of the upsert benchmark (--runs)")
    p.add_argument("--upsert-modes", default="upsert,merge",
                   help="modes of the upsert benchmark: upsert (ON CONFLICT DO REPLACE), merge (DO UPDATE SET *)")
    p.add_argument("--upsert-tools", default="bulkql,mongoimport",
                   help="tools of the upsert benchmark: bulkql, bulkql-unordered (ordered = false), mongoimport")
    p.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite",
                   help="the test server's backend (sqlite); postgresql needs scripts/setup --postgresql")
    p.add_argument("--tools", default="bulkql,raw,pymongo,node,mongoimport", help="end-to-end tools")
    p.add_argument("--batch-size", type=int, default=1000)
    p.add_argument("--workers", type=int, default=1, help="parallel_workers / --numInsertionWorkers (1)")
    p.add_argument("--bulkql", help="the bulkql binary to measure (build-bench/bulkql)")
    p.add_argument("--bulkql-note", help="what the --bulkql binary is, for RESULTS.md")
    p.add_argument("--exact-count", action="store_true",
                   help="check loads with count_documents (slow here) instead of collStats' count")
    p.add_argument("--mongoimport", help="a mongoimport binary (else $BULKQL_MONGOIMPORT, "
                   "../shared/tools/mongoimport, the PATH, go install)")
    p.add_argument("--build-dir", default=os.path.join(TOP, "build-bench"))
    p.add_argument("--server-dir", help="the benchmark server's state folder (.cache/bench/server, or "
                   "server-postgresql): another one lets two runs go at once")
    p.add_argument("--seed", type=int, default=5, help="seed of the spot checks")
    p.add_argument("--timeout", type=int, default=3600, help="seconds before one load is stopped (3600)")
    p.add_argument("--no-record", action="store_true", help="do not write bench/RESULTS.md")
    p.add_argument("--command", help=argparse.SUPPRESS)
    p.add_argument("--render", metavar="JSON", help="write the sections again from a saved results file; run nothing")
    a = p.parse_args(argv)
    a.pipeline_rows = a.pipeline_rows or a.rows
    a.e2e_rows = a.e2e_rows or a.rows
    a.vs_rows = a.vs_rows or a.rows
    a.rss_rows = [int(x) for x in a.rss_rows.split(",")] if a.rss_rows else [a.rows, 4 * a.rows]
    a.rss_load_rows = [int(x) for x in a.rss_load_rows.split(",")] if a.rss_load_rows else a.rss_rows
    a.rss_modes = a.rss_mode.split(",")
    for m in a.rss_modes:
        if m not in ("dry_run", "load"):
            p.error(f"--rss-mode: unknown mode {m!r} (dry_run or load)")
    a.rss_runs = a.rss_runs or a.runs
    a.upsert_runs = a.upsert_runs or a.runs
    a.upsert_modes = a.upsert_modes.split(",")
    a.upsert_tools = a.upsert_tools.split(",")
    for t in a.upsert_tools:
        if t not in UPSERT_TOOLS:
            p.error(f"--upsert-tools: unknown tool {t!r} (one of {', '.join(UPSERT_TOOLS)})")
    set_sections(a.backend)
    a.only = set(a.only.split(","))
    a.tools = a.tools.split(",")
    bench = os.path.join(a.build_dir, "bench")
    a.default_bulkql = os.path.join(a.build_dir, "bulkql")
    a.bulkql = os.path.abspath(a.bulkql) if a.bulkql else a.default_bulkql
    a.bare_reader, a.raw_insert, a.gen = (os.path.join(bench, x) for x in ("bare_reader", "raw_insert", "gen_data"))
    a.command = a.command or "bench/load_bench.py " + " ".join(argv)
    a.date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return a


def render(a):
    """The sections of a saved run (its own options, date and skips)."""
    with open(a.render) as f:
        results = json.load(f)
    r = parse_args(shlex.split(results["command"])[1:])
    r.command, r.no_record = results["command"], a.no_record
    r.date = time.strftime("%Y-%m-%d %H:%M UTC", time.strptime(results["started"], "%Y-%m-%dT%H:%M:%SZ"))
    r.machine, r.commit = results["machine"], results["commit"]
    return r, results


def main(argv):
    a = parse_args(argv)
    if a.render:
        a, results = render(a)
        return record(a, results, results.get("skipped", []))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    for prog in (a.bulkql, a.bare_reader, a.raw_insert, a.gen):
        if not os.access(prog, os.X_OK):
            raise SystemExit(f"load_bench: {prog} is missing (bench/run_load_bench builds it)")
    node_modules = mongoimport = None
    skipped = []
    if "mongoimport" in a.only or "upsert" in a.only or ("e2e" in a.only and "mongoimport" in a.tools):
        mongoimport, why = ensure_mongoimport(a.mongoimport)
        if why:
            skipped.append(f"mongoimport: {why}")
    if "e2e" in a.only:
        if "node" in a.tools:
            node_modules, why = ensure_node()
            if why:
                skipped.append(f"Node.js: {why}")
    for why in skipped:
        log("skipping " + why)

    state = os.path.join(CACHE, "server" if a.backend == "sqlite" else f"server-{a.backend}")
    server = Server(os.path.abspath(a.server_dir) if a.server_dir else state, a.backend)
    results = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(),
               "commit": commit(), "command": a.command, "loadavg_start": os.getloadavg(),
               "uptime_start": uptime()}
    a.commit = results["commit"]  # the commit built and measured, not the one at the end
    server.start()
    client = MongoClient(server.uri)
    try:
        if "pipeline" in a.only:
            results["pipeline"] = run_pipeline(a, server, client, a.gen)
        if "e2e" in a.only:
            results["e2e"] = run_e2e(a, server, client, a.gen, node_modules, mongoimport)
        if "rss" in a.only:
            results["rss"] = run_rss(a, server, client, a.gen)
        if "mongoimport" in a.only and mongoimport:
            results["mongoimport"] = run_vs_mongoimport(a, server, client, a.gen, mongoimport)
        if "upsert" in a.only and mongoimport:
            results["upsert"] = run_upsert(a, server, client, a.gen, mongoimport)
    finally:
        client.close()
        server.stop()
    results["loadavg_end"] = os.getloadavg()
    results["uptime_end"] = uptime()
    results["skipped"] = skipped
    os.makedirs(os.path.join(CACHE, "results"), exist_ok=True)
    raw = os.path.join(CACHE, "results", time.strftime("%Y%m%d-%H%M%S") + ".json")
    with open(raw, "w") as f:
        json.dump(results, f, indent=1, default=str)
    log(f"all measurements: {raw}")
    return record(a, results, skipped)


def record(a, results, skipped):
    a.uptime_start, a.uptime_end = results.get("uptime_start"), results.get("uptime_end")
    sections = []
    if "pipeline" in results:
        sections.append((SECTIONS["pipeline"], section_pipeline(a, results["pipeline"])))
    if "e2e" in results:
        sections.append((SECTIONS["e2e"], section_e2e(a, results["e2e"], skipped)))
    if "rss" in results:
        sections.append((SECTIONS["rss"], section_rss(a, results["rss"])))
    if "mongoimport" in results:
        sections.append((SECTIONS["mongoimport"], section_vs(a, results["mongoimport"])))
    if "upsert" in results:
        sections.append((SECTIONS["upsert"], section_upsert(a, results["upsert"])))
    for _, body in sections:
        print("\n".join(body) + "\n")
    if not a.no_record:
        write_results(os.path.join(TOP, "bench", "RESULTS.md"), sections)
        log("wrote " + ", ".join(f'"{t}"' for t, _ in sections) + " in bench/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
