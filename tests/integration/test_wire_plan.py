"""The plan is what runs: every golden plan case (tests/golden/plan) that
can execute on the test server is run through the recording proxy, and the
commands actually sent are compared with the EXPLAIN output of the same
script (bulkql --explain, same database and variables): command name,
collection, filter and update templates, options (ordered, writeConcern,
bypassDocumentValidation, projection, sort, batchSize) and batch
boundaries. A command that no step of the plan explains, or that differs
from its step, fails the test.

Where the data decides a command, EXPLAIN shows a template and the command
is checked against it: "<...>" placeholders stand for the _ids of a batch
(a list), a new ObjectId (an ObjectId), a time ({"$date": "<...>"}: a
date), a row value (anything); an array ending in "<one ... per row>" is
one element per row, each matching the first; {"<field>": ...} allows the
document's other fields. Dates computed from the statement's clock match
within two minutes (EXPLAIN and the run read the clock apart).

Steps run per batch repeat; steps the data does not call for (no document
matched, no row failed) may not run; every exact batch of VALUES rows must
run as shown, except on a server whose update command loses its counts
when a statement fails (probed here as caps.c does), as the step's
ifUpdateCountsLost says (and on any server as oneStatementPerCommand
says): such a batch is sent one statement per command,
or, when it says "the batch as one command", a batch whose reply has
writeErrors is followed by commands of its statements sent again (one
statement each, and the rest of the batch as one command). A step whose
command needs a feature the server lacks by that probe (TTL indexes) is
not sent at all. On a server whose _id $in lookup reads the whole
collection, the upserts read every stored _id once (the step whose
ifIdLookupScans says "only on") and their per-batch read of _ids runs only
for the _ids that record cannot answer; elsewhere the other way round.

To make the data-driven steps run, the test seeds the target collection
with documents that satisfy the filter of a WHERE (enough for two batches
when batch_size is small) and writes a small input file (or STDIN) in the
format and with the columns EXPLAIN shows. Cases that cannot run here are
skipped with the reason (a system database; a value the server cannot
store, on which it hangs up: bulkql is stopped there, not left to wait out
its retries)."""
import datetime
import glob
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import bson
import pymongo
from bson import json_util
from bson.int64 import Int64
from bson.objectid import ObjectId

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402
import wiretest  # noqa: E402

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden", "plan")
COMPARED = ("insert", "update", "delete", "find", "aggregate", "createIndexes", "drop")
# fields of a command body that are not its arguments (sessions, routing)
GENERIC = {"$db", "lsid", "$clusterTime", "$readPreference", "txnNumber", "autocommit", "startTransaction",
           "apiVersion", "apiStrict", "apiDeprecationErrors"}
SYSTEM_DBS = ("admin", "local", "config")
CLOCK_SLACK = datetime.timedelta(minutes=2)


def is_placeholder(v):
    return isinstance(v, str) and v.startswith("<") and v.endswith(">")


def ext_json(d):
    """Canonical Extended JSON to Python, leaving {"$regex": ...,
    "$options": ...} query operators alone (EXPLAIN writes a BSON regex
    as $regularExpression)."""
    if "$regex" in d and not isinstance(d["$regex"], dict):
        return d
    if any(k.startswith("$") and is_placeholder(v) for k, v in d.items()):
        return d  # {"$date": "<time of the batch>"}: a template
    return json_util.object_hook(d)


def explain_docs(text):
    """The EXPLAIN documents bulkql --explain printed (pretty JSON, one
    after the other)."""
    dec = json.JSONDecoder()
    out, i = [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        obj, i = dec.raw_decode(text, i)
        out.append(json.loads(json.dumps(obj), object_hook=ext_json))


class Mismatch(Exception):
    pass


def tmatch(t, v, path="command"):
    """Does the sent value v match the template value t? Raises Mismatch
    saying where they differ."""
    if is_placeholder(t):
        if t == "<new ObjectId>" and not isinstance(v, ObjectId):
            raise Mismatch("%s: %r is not a new ObjectId" % (path, v))
        if "_ids" in t and not isinstance(v, list):
            raise Mismatch("%s: %r is not a list of _ids" % (path, v))
        if t.startswith("<up to ") and not (isinstance(v, list) and 0 < len(v) <= int(t.split()[2])):
            raise Mismatch("%s: %r is not %s" % (path, v, t))
        return
    if isinstance(t, dict):
        if set(t) == {"$date"} and is_placeholder(t["$date"]):
            if not isinstance(v, datetime.datetime):
                raise Mismatch("%s: %r is not a date" % (path, v))
            return
        if not isinstance(v, dict):
            raise Mismatch("%s: %r is not a document (plan: %r)" % (path, v, t))
        open_fields = any(is_placeholder(k) for k in t)
        keys = [k for k in t if not is_placeholder(k)]
        vkeys = list(v) if not open_fields else [k for k in v if k in t]
        if vkeys != keys:
            raise Mismatch("%s: fields %s, the plan has %s" % (path, list(v), list(t)))
        for k in keys:
            tmatch(t[k], v[k], "%s.%s" % (path, k))
        return
    if isinstance(t, list):
        if not isinstance(v, list):
            raise Mismatch("%s: %r is not an array (plan: %r)" % (path, v, t))
        if t and is_placeholder(t[-1]) and len(t) >= 2:
            # "<one statement per row>": every element like the first
            if not v:
                raise Mismatch("%s: empty, the plan has %r" % (path, t))
            for i, e in enumerate(v):
                tmatch(t[0], e, "%s.%d" % (path, i))
            return
        if len(t) != len(v):
            raise Mismatch("%s: %d elements, the plan has %d" % (path, len(v), len(t)))
        for i, (a, b) in enumerate(zip(t, v)):
            tmatch(a, b, "%s.%d" % (path, i))
        return
    if isinstance(t, datetime.datetime):
        if not isinstance(v, datetime.datetime) or abs(v - t) > CLOCK_SLACK:
            raise Mismatch("%s: %r, the plan has %r" % (path, v, t))
        return
    if type(t) is not type(v) and not (isinstance(t, (int, Int64)) and isinstance(v, (int, Int64)) and
                                       type(t) in (int, Int64) and type(v) in (int, Int64) and
                                       isinstance(t, Int64) == isinstance(v, Int64)):
        raise Mismatch("%s: %r (%s), the plan has %r (%s)" % (path, v, type(v).__name__, t, type(t).__name__))
    if t != v:
        raise Mismatch("%s: %r, the plan has %r" % (path, v, t))


OPS = {"insert": "documents", "update": "updates", "delete": "deletes"}


def op_flags(name, op):
    """An update statement's flags as the server reads them (absent =
    false)."""
    if name == "update":
        op = dict(op)
        op.setdefault("upsert", False)
        op.setdefault("multi", False)
    return op


def match_command(step, cmd, statements=None):
    """Does the sent command cmd match the step's command template? With
    statements, the command holds only those statements of the step
    (a batch split one statement per command). Raises Mismatch."""
    t = step["command"]
    name = next(iter(t))
    if cmd.name != name or cmd.collection != t[name]:
        raise Mismatch("%s %s, the plan has %s %s" % (cmd.name, cmd.collection, name, t[name]))
    args = {k: v for k, v in cmd.body.items() if k not in GENERIC}
    if name in OPS:
        key = OPS[name]
        want = {k: v for k, v in t.items() if k != key}
        got = {k: v for k, v in args.items() if k != key}
        tmatch(want, got, name)
        tops = t[key]
        sent = [op_flags(name, o) for o in cmd.ops(key)]
        if statements is not None:
            tops = statements
        if isinstance(tops, list):
            tops = [op_flags(name, o) if isinstance(o, dict) else o for o in tops]
        tmatch(tops, sent, "%s.%s" % (name, key))
    else:
        if name == "aggregate":
            args.pop("cursor", None)
            t = {k: v for k, v in t.items() if k != "cursor"}
        tmatch(t, args, name)


def repeatable(step):
    """Steps that run per batch (templates) may match many commands; a
    batch of VALUES rows (firstRow) and a step that runs once do not."""
    if "firstRow" in step:
        return False
    name = next(iter(step["command"]))
    return not (name in ("drop", "createIndexes", "aggregate") or step["step"].startswith("first pass")
                or step["step"].startswith("after the statement"))


def floating(step):
    """Steps that run beside the batches, whenever a batch calls for them:
    the error record of a batch with failed rows, the duplicate-key
    follow-up of a batch's refused rows, the operation's checkpoint after
    completed batches, the read of its state between checkpoints, its
    heartbeat while a batch waits."""
    return (step["step"].startswith("for every batch with failed rows") or "duplicate key error" in step["step"] or
            step["step"].startswith(("after every completed batch", "after every other completed batch",
                                     "while a batch waits on the server")) or
            re.match(r"after every \d+ completed batches", step["step"]) is not None)


def one_per_command(step):
    """Sent one statement per command on a server that loses update counts."""
    return ": one statement per command" in step.get("ifUpdateCountsLost", "")


def settles_failed(step):
    """Sent as one command there, a failed batch settled statement by statement."""
    return "the batch as one command" in step.get("ifUpdateCountsLost", "")


def matches(step, cmd, statements):
    try:
        match_command(step, cmd, statements)
        return True
    except Mismatch:
        return False


def check_run(steps, cmds, lossy):
    """Match the commands sent, in order, with the steps; returns a list
    of differences (empty when the run is what the plan says)."""
    problems = []
    pos = 0           # the next command matches a step at pos or after ...
    floor = 0         # ... or a repeatable step in [floor, pos)
    split = None      # (step index, statements left) of a batch sent one per command
    settling = None   # (step index, statements) of a failed batch being sent again
    used = set()
    for c in cmds:
        if settling is not None:
            i, ops = settling
            sent = c.ops("updates") if c.name == "update" else None
            if sent and len(sent) < len(ops) and any(
                    matches(steps[i], c, ops[k:k + len(sent)]) for k in range(len(ops) - len(sent) + 1)):
                continue
            settling = None
        if split is not None:
            i, left = split
            try:
                match_command(steps[i], c, left[:1])
                left = left[1:]
                split = (i, left) if left else None
                continue
            except Mismatch as e:
                problems.append("step %d (%s) was being sent one statement per command, then %r: %s"
                                % (i, steps[i]["step"], c, e))
                split = None
                continue
        found, why = None, []
        order = ([k for k in range(len(steps)) if floating(steps[k])] + list(range(pos, len(steps))) +
                 [k for k in range(floor, pos) if repeatable(steps[k])])
        alone = [k for k in range(len(steps)) if "looked up alone" in steps[k]["step"]]
        if (c.name == "find" and c.body.get("limit") == 1 and alone and
                c.collection == steps[alone[0]]["command"]["find"]):
            continue  # a row of the batch looked up alone, as the step says
        for i in order:
            st = steps[i]
            try:
                match_command(st, c)
                found = i
                break
            except Mismatch as e:
                ops = st["command"].get("updates")
                if (((lossy and one_per_command(st)) or "oneStatementPerCommand" in st) and "firstRow" in st and
                        isinstance(ops, list) and
                        len(ops) > 1 and len(c.ops("updates")) == 1):
                    try:
                        match_command(st, c, ops[:1])
                        found, split = i, (i, ops[1:])
                        break
                    except Mismatch as e2:
                        e = e2
                why.append("step %d (%s): %s" % (i, st["step"][:40], e))
        if found is None:
            problems.append("no step of the plan sends %r %s\n    %s" % (c, json_util.dumps(c.args)[:600],
                                                                      "\n    ".join(why[:8])))
            continue
        used.add(found)
        ops = steps[found]["command"].get("updates")
        if (lossy and settles_failed(steps[found]) and split is None and isinstance(ops, list) and
                (c.reply or {}).get("writeErrors")):
            settling = (found, ops)
        if floating(steps[found]):
            continue
        if repeatable(steps[found]):
            pos = max(pos, found)
        else:
            pos = floor = found + 1
    if split is not None:
        problems.append("step %d (%s): %d statements never sent" % (split[0], steps[split[0]]["step"],
                                                                   len(split[1])))
    # no batch of VALUES rows is left out before the last one that ran
    last = max([i for i in used if "firstRow" in steps[i]] or [-1])
    for i, st in enumerate(steps):
        if "firstRow" in st and i not in used and i < last:
            problems.append("step %d (%s, rows %s-%s) was not sent" % (i, st["step"], st["firstRow"], st["lastRow"]))
    return problems


# ---- data that makes the data-driven steps run ----

def bump(v, up):
    d = 1 if up else -1
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return v + d
    if isinstance(v, datetime.datetime):
        return v + datetime.timedelta(days=d)
    if isinstance(v, str):
        return v + "~" if up else (v[:-1] if v else None)
    return None


def cmp_ok(op, a, b):
    try:
        if op == "$eq":
            return a == b
        if op == "$ne":
            return a != b
        if op == "$gt":
            return a > b
        if op == "$gte":
            return a >= b
        if op == "$lt":
            return a < b
        if op == "$lte":
            return a <= b
        if op == "$in":
            return a in b
        if op == "$nin":
            return a not in b
    except TypeError:
        return False
    return False


def satisfy_cond(cond):
    """A value that satisfies {op: v, ...}; (True, value), (True, MISSING)
    or (False, None)."""
    if not isinstance(cond, dict) or not cond or not all(k.startswith("$") for k in cond):
        return True, cond
    if "$exists" in cond and len(cond) == 1:
        return True, (1 if cond["$exists"] else MISSING)
    cands = []
    for op, v in cond.items():
        if op == "$eq":
            cands.append(v)
        elif op == "$in" and v:
            cands.extend(v[:1])
        elif op in ("$gte", "$lte"):
            cands.append(v)
        elif op == "$gt":
            cands.append(bump(v, True))
        elif op == "$lt":
            cands.append(bump(v, False))
        elif op in ("$ne", "$nin"):
            cands.append("seed")
            cands.append(7)
        elif op == "$regex" and isinstance(v, str) and re.fullmatch(r"\^[A-Za-z0-9 _-]*", v.rstrip("$")):
            cands.append(v.lstrip("^").rstrip("$"))
        else:
            return False, None
    for c in cands:
        if c is not None and all(op == "$regex" or cmp_ok(op, c, v) for op, v in cond.items()):
            return True, c
    return False, None


MISSING = object()


def satisfy(f):
    """A document that matches filter f, or None when this simple solver
    cannot tell."""
    doc = {}
    for k, cond in f.items():
        if k == "$and":
            for sub in cond:
                d = satisfy(sub)
                if d is None:
                    return None
                doc.update(d)
            continue
        if k == "$or":
            for sub in cond:
                if isinstance(sub, dict):
                    d = satisfy(sub)
                    if d is not None:
                        doc.update(d)
                        break
            else:
                return None
            continue
        if k.startswith("$"):
            return None
        ok, v = satisfy_cond(cond)
        if not ok:
            return None
        if v is not MISSING:
            doc[k] = v
    return doc


def nest(flat):
    out = {}
    for k, v in flat.items():
        parts = k.split(".")
        if any(p.isdigit() for p in parts):
            return None
        d = out
        for p in parts[:-1]:
            d = d.setdefault(p, {})
            if not isinstance(d, dict):
                return None
        d[parts[-1]] = v
    return out


def row_columns(plan):
    """The row columns the plan's templates read ("<row.col>")."""
    cols = set()
    text = json_util.dumps(plan.get("steps", []))
    for m in re.finditer(r"<row\.([^>]+)>", text):
        cols.add(m.group(1))
    return cols


def value_for(typ, i, name):
    if name == "_id":
        return i
    typ = (typ or "").lower()
    if typ in ("int", "integer", "int32", "long", "int64", "bigint", "double", "float", "number", "decimal",
               "numeric", "auto", "smallint"):
        return i
    if typ in ("bool", "boolean"):
        return "true"
    if typ in ("date", "timestamp", "datetime"):
        return "2024-01-0%d" % i
    if typ in ("objectid", "oid"):
        return "%024x" % i
    return "v%d" % i


def write_input(plan, folder):
    """Write the input a file or STDIN source of plan reads (3 rows in its
    format, with its columns and the row columns its steps read).
    Returns (path or None for STDIN, bytes)."""
    src = plan.get("source") or {}
    if "file" not in src:
        return None, None
    fmt = src.get("format", "NDJSON")
    cols = [(c["name"], c.get("type")) for c in src.get("columns", [])]
    names = [n for n, _ in cols]
    for c in sorted(row_columns(plan)):
        if c not in names:
            cols.append((c, None))
            names.append(c)
    if not src.get("columns"):
        # no column list: a field beyond the ones the statement reads
        for c in ("_id", "v"):
            if c not in names:
                cols.append((c, None))
                names.append(c)
    rows = [{n: value_for(t, i, n) for n, t in cols} for i in (1, 2, 3)]
    if fmt in ("CSV", "TSV"):
        delim = src.get("delimiter", "," if fmt == "CSV" else "\t")
        lines = ["skipped"] * int(src.get("skip_lines", 0))
        if src.get("header", True):
            lines.append(delim.join(names))
        for r in rows:
            lines.append(delim.join(str(r[n]) for n in names))
        data = ("\n".join(lines) + "\n").encode()
    else:
        typed = []
        for r in rows:
            d = {}
            for (n, t) in cols:
                v = r[n]
                d[n] = v
            typed.append(d)
        if fmt == "JSON":
            data = json.dumps(typed).encode()
        else:
            data = "".join(json.dumps(d) + "\n" for d in typed).encode()
    if src.get("compression") == "GZIP":
        data = gzip.compress(data)
    if src["file"] == "<standard input>":
        return None, data
    path = src["file"]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path, data


def seed_docs(plan):
    """Documents that the plan's WHERE (or its rows' filters) match, and
    the collection to put them in: enough for two batches when
    batch_size is small."""
    docs = []
    bs = plan.get("options", {}).get("batch_size") or 1000
    for st in plan.get("steps", []):
        c = st["command"]
        f = None
        if "ifIdLookupScans" in st:
            continue  # the upserts' reads of _ids (every stored one: filter {}), not a WHERE
        if "find" in c and isinstance(c.get("filter"), dict):
            f = c["filter"]
        elif "aggregate" in c:
            f = c["pipeline"][0].get("$match")
        if f is None or is_placeholder(json_util.dumps(f)):
            continue
        if "<" in json_util.dumps(f):
            continue  # a template of rows read at run time
        branches = f["$or"] if set(f) == {"$or"} else [f]
        for b in branches:
            d = satisfy(b) if isinstance(b, dict) else None
            d = nest(d) if d is not None else None
            if d is None:
                continue
            if "_id" in d:
                docs.append(d)
            else:
                n = min(int(bs), 3) + 1 if int(bs) <= 3 else 3
                for _ in range(n):
                    docs.append(dict(d))
        if docs:
            break
    # distinct _ids
    seen, out = set(), []
    next_id = 1
    for d in docs:
        if "_id" not in d:
            while next_id in seen:
                next_id += 1
            d = dict(d, _id=next_id)
        if repr(d["_id"]) in seen:
            continue
        seen.add(repr(d["_id"]))
        out.append(d)
    return out


def variables(case):
    """-v NAME=VALUE options from the case's params file."""
    path = case[:-4] + ".params.json"
    if not os.path.exists(path):
        return []
    with open(path) as f:
        params = json_util.loads(f.read())
    out = []
    for k, v in params.items():
        if v is None:
            lit = "null"
        elif isinstance(v, bool):
            lit = "true" if v else "false"
        elif isinstance(v, (int, float)):
            lit = repr(v)
        elif isinstance(v, datetime.datetime):
            lit = "'%s'" % v.strftime("%Y-%m-%dT%H:%M:%SZ")
        else:
            lit = "'%s'" % str(v).replace("'", "''")
        out += ["-v", "%s=%s" % (k, lit)]
    return out


def server_loses_update_counts(client):
    """caps.c's update_keeps_counts, asked the same way."""
    return "ferretdbVersion" in client.admin.command("buildInfo")


def server_has_decimal128(client):
    """caps.c's decimal128, asked the same way: a row holding a Decimal128
    fails, and a statement constant refuses the statement, unsent, on a
    server that stores none (it would close the connection)."""
    return "ferretdbVersion" not in client.admin.command("buildInfo")




def check_decimal_refused(run, cmds):
    """A case whose plan holds Decimal128 values, run on a server that
    stores none: no command carried one, and the run says which rows or
    statements were refused, naming the feature."""
    problems = ["%r carries a Decimal128" % c for c in cmds if wiretest.holds_decimal(c.body) or wiretest.holds_decimal(c.sequences)]
    if "the server does not support Decimal128" not in run.out + run.err:
        problems.append("no row or statement was refused for its Decimal128 value:\n%s%s" % (run.out, run.err))
    return problems


def server_has_ttl(client):
    """caps.c's ttl, asked the same way: a step whose command needs TTL
    indexes is not sent to a server without them (the statement is
    refused before anything is written)."""
    return "ferretdbVersion" not in client.admin.command("buildInfo")


class WirePlanTest(wiretest.WireCase):
    def explain_and_run(self, sql):
        """(steps, commands sent) of sql: EXPLAIN's steps and what the run
        sent through the proxy."""
        r = self.bulkql("--explain", "-c", sql)
        self.assertEqual(r.rc, 0, r)
        steps = [st for p in explain_docs(r.out) for st in p["steps"]]
        self.proxy.reset()
        self.bulkql("--uri", self.proxy.uri, "-c", sql)
        self.proxy.wait_idle(60)
        return steps, [c for c in self.proxy.commands(COMPARED) if c.db == self.dbname]

    def test_a_difference_fails(self):
        """The comparison is not vacuous: the run matches its plan, and the
        same run against a plan changed in one place does not."""
        import copy
        lossy = server_loses_update_counts(self.client)
        self.db.d.insert_many([{"_id": i, "k": i % 2} for i in range(1, 6)])
        steps, cmds = self.explain_and_run(
            "BULK INSERT INTO c (_id, v) VALUES (1, 'a'), (2, 'b'), (3, 'c') WITH (batch_size = 2);"
            "BULK DELETE FROM d WHERE k = 1 WITH (batch_size = 2);")
        self.assertEqual(check_run(steps, cmds, lossy), [])
        # each statement: its operation opened, its batches each followed
        # by a checkpoint, its end, its metrics
        self.assertEqual([(c.name, c.collection) for c in cmds],
                         [("insert", "bulkql_operations"), ("insert", "c"), ("update", "bulkql_operations"),
                          ("insert", "c"), ("update", "bulkql_operations"), ("update", "bulkql_operations"),
                          ("insert", "bulk_operation_metrics"),
                          ("insert", "bulkql_operations"), ("find", "d"), ("delete", "d"),
                          ("update", "bulkql_operations"), ("delete", "d"), ("update", "bulkql_operations"),
                          ("update", "bulkql_operations"), ("insert", "bulk_operation_metrics")])

        def changed(change):
            s = copy.deepcopy(steps)
            change(s)
            return check_run(s, cmds, lossy)

        # s[0] opens the operation; s[1] and s[2] are the two batches of VALUES rows
        def move_boundary(s):  # rows 1-1 and 2-3 instead of 1-2 and 3-3
            s[2]["command"]["documents"].insert(0, s[1]["command"]["documents"].pop())

        def unordered(s):
            s[1]["command"]["ordered"] = False

        def other_filter(s):
            for st in s:
                if "delete" in st["command"]:
                    st["command"]["deletes"][0]["q"]["$and"][1] = {"k": {"$eq": 2}}

        def no_batch_size(s):
            for st in s:
                if st["command"].get("find") == "d":  # the scan (not the read of the operation's holder)
                    del st["command"]["batchSize"]

        def no_metrics_step(s):
            del s[-1]

        def no_open_step(s):
            del s[0]

        def checkpoint_filter(s):
            for st in s:
                if st["step"].startswith("after every completed batch"):
                    st["command"]["updates"][0]["q"]["state"] = {"$in": ["Open"]}

        for change in (move_boundary, unordered, other_filter, no_batch_size, no_metrics_step, no_open_step,
                       checkpoint_filter):
            with self.subTest(change=change.__name__):
                self.assertNotEqual(changed(change), [])

    def run_until_hang_up(self, dbs, *args, stdin=None, timeout=120):
        """Run bulkql with args, as self.bulkql does, but stop it (SIGTERM:
        it cancels the statement, a lost batch in doubt) once the server
        has hung up on one of its commands to dbs: the case is not
        compared then (see run_case), and a retry of the lost batch
        would only wait out retry_timeout (30 s) twice (the batch, then
        its error record holding the same value). Returns a Result."""
        cmd = [bqltest.BULKQL, "--db", self.dbname] + list(args)
        env = dict(os.environ)
        env.pop("NO_COLOR", None)
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        deadline = time.monotonic() + timeout
        data, stopped = stdin, False
        while True:
            try:
                out, err = proc.communicate(data, timeout=0.05)
                break
            except subprocess.TimeoutExpired:
                data = None
            if time.monotonic() > deadline:
                proc.kill()
                out, err = proc.communicate()
                self.fail("bulkql %s: no exit in %d s\n%s" % (" ".join(args), timeout, err))
            if not stopped and any(c.db in dbs for c in self.proxy.hung_up(COMPARED)):
                proc.terminate()
                stopped = True
        proc.stdout, proc.stderr = out, err
        return bqltest.Result(proc)

    def run_case(self, case, lossy):
        tmp = tempfile.mkdtemp(prefix="bql_wire_plan_")
        self.addCleanup(shutil.rmtree, tmp, True)
        script = os.path.join(tmp, os.path.basename(case))
        shutil.copy(case, script)
        extra = variables(case)
        r = self.bulkql("--explain", "-f", script, *extra)
        if r.rc != 0:
            return "not planned: %s" % r.err.strip().splitlines()[0]
        plans = explain_docs(r.out)
        dbs = {self.dbname}
        stdin = None
        for p in plans:
            db, _, coll = p["namespace"].partition(".")
            if db in SYSTEM_DBS:
                return "writes to the %s database" % db
            dbs.add(db)
            path, data = write_input(p, tmp)
            if path is None and data is not None:
                stdin = data.decode("latin-1")
            seeds = seed_docs(p)
            if seeds:
                try:
                    self.client[db][coll].insert_many(seeds, ordered=False)
                except pymongo.errors.PyMongoError:
                    pass  # the seeds the server takes are enough
        for db in dbs - {self.dbname}:
            self.addCleanup(self.client.drop_database, db)
        self.proxy.reset()
        run = self.run_until_hang_up(dbs, "--uri", self.proxy.uri, "-f", script, "--continue-on-error", *extra,
                                     stdin=stdin)
        self.assertNotIn("Sanitizer", run.err, run)
        self.proxy.wait_idle(60)
        cmds = [c for c in self.proxy.commands(COMPARED) if c.db in dbs]
        lost = [c for c in cmds if c.reply is None]
        if lost:
            # a value the server cannot store closes its connection
            # (caps.decimal128): what follows is the recovery of a lost
            # batch, not the plan
            return "the server closed the connection at %r" % lost[0]
        steps = []
        for p in plans:
            steps.extend(p.get("steps", []))
        problems = check_run(steps, cmds, lossy)
        if not self.decimal128:
            with open(case[:-4] + ".plan.json") as f:
                if "$numberDecimal" in f.read():
                    self.decimal_refused += 1
                    problems += check_decimal_refused(run, cmds)
        return problems, cmds

    def test_every_golden_plan_case_runs_as_explained(self):
        cases = sorted(c for c in glob.glob(os.path.join(GOLDEN, "*.sql"))
                       if os.path.exists(c[:-4] + ".plan.json"))
        self.assertGreater(len(cases), 150)
        lossy = server_loses_update_counts(self.client)
        ttl = server_has_ttl(self.client)
        self.decimal128 = server_has_decimal128(self.client)
        self.decimal_refused = 0
        ran, skipped, sent = 0, [], {}
        ttl_cases = 0
        failures = []
        for case in cases:
            name = os.path.basename(case)[:-4]
            with open(case[:-4] + ".plan.json") as f:
                ttl_cases += "expireAfterSeconds" in f.read()
            with self.subTest(case=name):
                # each case gets a fresh database and proxy recording
                self.client.drop_database(self.dbname)
                got = self.run_case(case, lossy)
                if isinstance(got, str):
                    skipped.append("%s: %s" % (name, got))
                    continue
                problems, cmds = got
                ran += 1
                for c in cmds:
                    key = "%s %s" % (c.name, "log" if c.collection.startswith("bulk_operation") else "data")
                    sent[key] = sent.get(key, 0) + 1
                if problems:
                    failures.append("%s:\n  %s" % (name, "\n  ".join(problems)))
        sys.stderr.write("test_wire_plan: %d cases ran (%d commands compared: %s), %d skipped:\n  %s\n"
                         % (ran, sum(sent.values()), ", ".join("%s %d" % kv for kv in sorted(sent.items())),
                            len(skipped), "\n  ".join(skipped)))
        self.assertEqual(failures, [], "\n".join(failures))
        self.assertGreater(ran, 150)
        # the data-driven steps ran too: batches of _ids read by a scan,
        # archives, counts, error records
        for kind in ("find data", "update data", "delete data", "aggregate data", "insert log", "createIndexes data"):
            if kind == "createIndexes data" and not ttl:
                continue
            self.assertGreater(sent.get(kind, 0), 0, kind)
        if not self.decimal128:
            # the cases sending Decimal128 values ran (their rows or
            # statements refused, unsent), none cut short by a hang-up
            self.assertGreaterEqual(self.decimal_refused, 8)
        if not ttl:
            # the archive's TTL index (retention_period) on a server without
            # TTL indexes: its step was refused by the probe, not sent
            self.assertGreater(ttl_cases, 0)
            self.assertNotIn("createIndexes data", sent)


if __name__ == "__main__":
    bqltest.main()
