"""faultops — the fault tests of issue 15 as data: statement kinds with
their expected end state, and a driver that SIGKILLs bulkql (and the
server) at random moments and resumes the operation until it is done.

A `Kind` prepares its source (a file, documents seeded with pymongo),
gives the statement, measures its progress on the server (rows done, read
back with the test's own client, never from bulkql's counters) and checks
the exact end state: none lost, none twice, no `$inc` applied twice, every
in-doubt row listed (failed_records_file, code IN_DOUBT), and
archive ∪ source = the originals.

`run_kind` drives one run of a kind on a faults.TestServer:

    start the statement
    repeat: SIGKILL it (or kill the server and start it again on the same
            data) once the server shows a random share of the rows done;
            then `bulkql --resume ID` (the operation's id is the newest
            document of bulkql_operations for the collection); a kill
            that came before the operation document existed must have
            left nothing written, and the statement runs again
    until a bulkql process ends by itself with the operation Complete
    check the exact state

It is shared by tests/integration/test_fault_kill.py (small counts, SQLite,
in the test command) and scripts/fault-full (the issue's counts, the
PostgreSQL backend). Every child has a deadline, every wait a timeout, and
every address is 127.0.0.1 (faults.BulkqlChild refuses others).
"""
import csv
import json
import os
import re
import time

import bson.json_util
import pymongo

import faults
import ophash

OPERATIONS = "bulkql_operations"


fnv1a64 = ophash.fnv1a64


def deterministic_id(operation_id, row):
    """The ObjectId bulkql gives row `row` (1-based) of operation
    operation_id (24 hex digits) when the row has no _id (README,
    "Operations and resume"): the operation id's timestamp, 3 bytes of
    its hash, the row number in 5 bytes big-endian."""
    op = bytes.fromhex(operation_id)
    tail = (fnv1a64(op) & 0xffffff).to_bytes(3, "big")
    return bson.ObjectId(op[:4] + tail + row.to_bytes(5, "big"))


class Check:
    """The outcome of an expected-state check: rows checked, lost (an
    expected write missing and not reported in doubt), duplicated (a row
    written twice, an $inc applied twice, a document too many), in_doubt
    (rows reported in doubt), and problems (the first few differences,
    as text)."""

    def __init__(self):
        self.rows = 0
        self.lost = 0
        self.duplicated = 0
        self.in_doubt = 0
        self.problems = []

    def problem(self, text):
        if len(self.problems) < 20:
            self.problems.append(text)

    def ok(self):
        return not self.problems and self.lost == 0 and self.duplicated == 0


def read_failed_records(path):
    """The records of a failed_records_file (NDJSON, Extended JSON), []
    when it does not exist."""
    if not path or not os.path.exists(path):
        return []
    out = []
    with open(path) as f:
        for line in f:
            if line.strip():
                out.append(bson.json_util.loads(line))
    return out


def record_id(record):
    """The _id a failed record names (a stored document's, for WHERE
    statements), or None."""
    if "_id" in record:
        return record["_id"]
    doc = record.get("document")
    if isinstance(doc, dict) and "_id" in doc:
        return doc["_id"]
    return None


class Kind:
    """A statement kind of issue 15's fault tests. Subclasses set name,
    coll, n (rows), batch, and implement prepare, statement, progress and
    check. `delay` is the longest random pause (seconds) added after the
    progress target is reached, so that a kill lands anywhere in a batch
    (sent, applied, answered, checkpointed)."""

    name = None
    coll = "c"
    delay = 0.05
    idempotent = True

    def __init__(self, n, batch, workdir):
        self.n = n
        self.batch = batch
        self.dir = workdir
        self.failed_path = os.path.join(workdir, "%s.failed.ndjson" % self.name)

    def write_ndjson(self, rows):
        """The kind's source file: one NDJSON line per row (dicts)."""
        self.path = os.path.join(self.dir, "%s.ndjson" % self.name)
        with open(self.path, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")

    def failed_option(self):
        return "failed_records_file = '%s', failed_records_mode = 'append'" % self.failed_path

    def total(self):
        """What progress() shows when the statement is done."""
        return self.n

    def prepare(self, db):
        raise NotImplementedError

    def statement(self):
        raise NotImplementedError

    def progress(self, db):
        """Rows done as the server shows them (approximate, cheap)."""
        raise NotImplementedError

    def reached(self, db, rows):
        """Has the statement done about `rows` rows, as the server shows
        it? (The kill points.)"""
        return self.progress(db) >= rows

    def seeded(self):
        """The documents prepare() puts in the target."""
        return []

    def untouched(self, db):
        """Problems when the target is not as prepare() left it."""
        docs = list(db[self.coll].find({}, sort=[("_id", 1)]))
        return [] if docs == self.seeded() else ["%s changed in a run that has no operation" % self.coll]

    def check(self, db, operation_id):
        """The exact end state: a Check."""
        raise NotImplementedError

    def in_doubt_records(self):
        return [r for r in read_failed_records(self.failed_path) if r.get("code") == "IN_DOUBT"]

    def count_lost(self, c, present, key=lambda i: i):
        """Count the rows 1..n whose key(row) is not in present as lost."""
        missing = [key(i) for i in range(1, self.n + 1) if key(i) not in present]
        c.lost += len(missing)
        if missing:
            c.problem("%d rows lost, the first: %s" % (len(missing), missing[:10]))

    def no_doubt(self, c, what):
        """A statement that resolves every row never reports one in doubt."""
        c.in_doubt = len(self.in_doubt_records())
        if c.in_doubt:
            c.problem("%s reported %d rows in doubt" % (what, c.in_doubt))
        return c


# ---- inserts ----

class InsertNdjsonNoId(Kind):
    """BULK INSERT from NDJSON rows without _id: every row once, with its
    deterministic _id."""

    name = "insert_ndjson_no_id"
    delay = 0.03

    def row(self, i):
        return {"k": i, "v": "row %d" % i, "pad": "x" * 40}

    def prepare(self, db):
        self.write_ndjson(self.row(i) for i in range(1, self.n + 1))

    def statement(self):
        return "BULK INSERT INTO %s FROM '%s' WITH (batch_size = %d, %s);" % (
            self.coll, self.path, self.batch, self.failed_option())

    def progress(self, db):
        return db[self.coll].estimated_document_count()

    def reached(self, db, rows):
        # row `rows` is stored: a point read by _id, not a count (a
        # count scans the collection on FerretDB, and at 300,000 rows on
        # PostgreSQL the probes, every 20 ms, piled up on the server)
        return db[self.coll].find_one({"_id": self.row_id(db, rows)}, {"_id": 1}) is not None

    def row_id(self, db, row):
        """The _id row `row` is stored under."""
        op = db[OPERATIONS].find_one({"collection": self.coll}, {"_id": 1}, sort=[("startedAt", -1)])
        return deterministic_id(op["_id"], row) if op else None

    def check(self, db, operation_id):
        c = Check()
        seen = {}
        for d in db[self.coll].find({}, sort=[("k", 1)]):
            c.rows += 1
            k = d.get("k")
            if k in seen:
                c.duplicated += 1
                c.problem("row %s is stored twice: %s and %s" % (k, seen[k], d["_id"]))
                continue
            seen[k] = d["_id"]
            want = dict(self.row(k)) if isinstance(k, int) and 1 <= k <= self.n else None
            if want is None:
                c.duplicated += 1
                c.problem("a document no row gave: %r" % d)
                continue
            want["_id"] = deterministic_id(operation_id, k)
            if d != want:
                c.problem("row %d: stored %r, expected %r" % (k, d, want))
        self.count_lost(c, seen)
        return self.no_doubt(c, "an insert (its resume looks its rows up)")


class InsertNdjsonWithId(InsertNdjsonNoId):
    """BULK INSERT from NDJSON rows with their own _id: exactly the rows."""

    name = "insert_ndjson_with_id"

    def row(self, i):
        return {"_id": i, "k": i, "v": "row %d" % i, "pad": "y" * 40}

    def row_id(self, db, row):
        return row

    def check(self, db, operation_id):
        c = Check()
        docs = list(db[self.coll].find({}, sort=[("_id", 1)]))
        c.rows = len(docs)
        have = {}
        for d in docs:
            have[d["_id"]] = d
            if not (isinstance(d["_id"], int) and 1 <= d["_id"] <= self.n):
                c.duplicated += 1
                c.problem("a document no row gave: %r" % d)
            elif d != self.row(d["_id"]):
                c.problem("row %d: stored %r, expected %r" % (d["_id"], d, self.row(d["_id"])))
        self.count_lost(c, have)
        return self.no_doubt(c, "an insert (its resume looks its rows up)")


class InsertCsvParallel(InsertNdjsonNoId):
    """BULK INSERT from CSV without _id, unordered, parallel_workers = 4:
    batches complete out of order, the checkpoint holds ranges."""

    name = "insert_csv_parallel"

    def row(self, i):
        return {"k": i, "v": "row %d" % i, "w": i * 3}

    def prepare(self, db):
        self.path = os.path.join(self.dir, "%s.csv" % self.name)
        with open(self.path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["k", "v", "w"])
            for i in range(1, self.n + 1):
                r = self.row(i)
                w.writerow([r["k"], r["v"], r["w"]])

    def statement(self):
        return ("BULK INSERT INTO %s (k BIGINT, v STRING, w BIGINT) FROM '%s' "
                "WITH (batch_size = %d, ordered = false, parallel_workers = 4, %s);"
                % (self.coll, self.path, self.batch, self.failed_option()))


# ---- upserts and updates from a file ----

class UpsertFile(Kind):
    """BULK UPSERT from NDJSON ON CONFLICT (sku) DO UPDATE SET price:
    half of the skus exist (they keep their _id and other fields), the
    others are inserted; one document per sku in the end."""

    name = "upsert_file"
    delay = 0.3

    def seeded(self):
        return [{"_id": i, "sku": "s%05d" % i, "price": 0.0, "keep": "seed %d" % i} for i in range(1, self.n + 1, 2)]

    def price(self, i):
        return i * 1.5

    def prepare(self, db):
        db[self.coll].insert_many(self.seeded())
        self.write_ndjson({"sku": "s%05d" % i, "price": self.price(i)} for i in range(1, self.n + 1))

    def statement(self):
        return ("BULK UPSERT INTO %s FROM '%s' ON CONFLICT (sku) DO UPDATE SET price = EXCLUDED.price "
                "WITH (batch_size = %d, %s);" % (self.coll, self.path, self.batch, self.failed_option()))

    def progress(self, db):
        return db[self.coll].count_documents({"price": {"$gt": 0}})

    def check(self, db, operation_id):
        c = Check()
        seeded = {d["sku"]: d for d in self.seeded()}
        seen = {}
        for d in db[self.coll].find({}):
            c.rows += 1
            sku = d.get("sku")
            if sku in seen:
                c.duplicated += 1
                c.problem("sku %s is stored twice" % sku)
                continue
            seen[sku] = d
            try:
                i = int(sku[1:])
            except (TypeError, ValueError):
                i = 0
            if not 1 <= i <= self.n:
                c.duplicated += 1
                c.problem("a document no row gave: %r" % d)
                continue
            if sku in seeded:
                want = dict(seeded[sku], price=self.price(i))
            else:
                want = {"_id": d["_id"], "sku": sku, "price": self.price(i)}
            if d != want:
                c.problem("sku %s: stored %r, expected %r" % (sku, d, want))
        self.count_lost(c, seen, key=lambda i: "s%05d" % i)
        return self.no_doubt(c, "an idempotent upsert (a resume sends its rows again)")


class UpsertReplaceId(Kind):
    """BULK UPSERT from NDJSON ON CONFLICT (_id) DO REPLACE: blocks of 20
    _ids stored and 20 new in turn, so that on a server whose _id $in
    lookup reads the whole collection the new ones go as inserts (the
    INSERT_NEW_IDS step: runs of at least 16 new rows, between the upsert
    commands), the stored ones as replacement upserts. A kill between a
    batch's insert and its checkpoint leaves rows a resume sends again:
    as upserts of _ids it reads as stored, or, when the killed process's
    insert lands after the resume read the stored _ids, as inserts
    refused as duplicate keys, which go again as their upserts. In the
    end, each _id once, holding exactly its row (field order too)."""

    name = "upsert_replace_id"
    delay = 0.3

    def is_seeded(self, i):
        return (i - 1) // 20 % 2 == 1

    def row(self, i):
        return {"_id": i, "v": "row %d" % i, "p": i * 1.5}

    def prepare(self, db):
        db[self.coll].insert_many([{"_id": i, "v": "seed", "keep": True} for i in range(1, self.n + 1)
                                   if self.is_seeded(i)])
        self.write_ndjson(self.row(i) for i in range(1, self.n + 1))

    def statement(self):
        return ("BULK UPSERT INTO %s FROM '%s' ON CONFLICT (_id) DO REPLACE WITH (batch_size = %d, %s);"
                % (self.coll, self.path, self.batch, self.failed_option()))

    def progress(self, db):
        return db[self.coll].count_documents({"v": {"$ne": "seed"}})

    def check(self, db, operation_id):
        c = Check()
        seen = set()
        for d in db[self.coll].find({}):
            c.rows += 1
            i = d.get("_id")
            if not isinstance(i, int) or not 1 <= i <= self.n:
                c.duplicated += 1
                c.problem("a document no row gave: %r" % d)
                continue
            seen.add(i)
            if list(d.items()) != list(self.row(i).items()):
                c.problem("_id %d: stored %r, expected %r" % (i, d, self.row(i)))
        self.count_lost(c, seen)
        return self.no_doubt(c, "an idempotent upsert (a resume sends its rows again)")


class UpdateFromSet(Kind):
    """BULK UPDATE ... SET v = v.x FROM a file (a $set, idempotent): the
    first n of 2n documents get their value, the others stay."""

    name = "update_from_set"
    delay = 0.3

    def seeded(self):
        return [{"_id": i, "k": "k%d" % i, "v": 0, "n": 0} for i in range(1, 2 * self.n + 1)]

    def value(self, i):
        return i * 7

    def prepare(self, db):
        db[self.coll].insert_many(self.seeded())
        self.write_ndjson({"k": "k%d" % i, "x": self.value(i)} for i in range(1, self.n + 1))

    def statement(self):
        return ("BULK UPDATE %s SET v = v.x FROM '%s' AS v WHERE %s.k = v.k WITH (batch_size = %d, %s);"
                % (self.coll, self.path, self.coll, self.batch, self.failed_option()))

    def progress(self, db):
        return db[self.coll].count_documents({"v": {"$ne": 0}})

    def expected(self, d, doubt):
        i = d["_id"]
        return dict(d, v=self.value(i) if i <= self.n else 0)

    def check(self, db, operation_id):
        c = Check()
        doubt = self.doubt_rows()
        c.in_doubt = len(doubt)
        if doubt and self.idempotent:
            c.problem("an idempotent update reported rows %s in doubt (a resume sends them again)" % sorted(doubt)[:10])
        docs = {d["_id"]: d for d in db[self.coll].find({})}
        for s in self.seeded():
            c.rows += 1
            d = docs.pop(s["_id"], None)
            if d is None:
                c.lost += 1
                c.problem("document %d is gone" % s["_id"])
                continue
            self.check_doc(c, s, d, doubt)
        for d in docs.values():
            c.duplicated += 1
            c.problem("a document the update created: %r" % d)
        return c

    def check_doc(self, c, seed, d, doubt):
        want = dict(seed, v=self.value(seed["_id"]) if seed["_id"] <= self.n else 0)
        if d != want:
            if d.get("v") == 0 and want["v"] != 0:
                c.lost += 1
            c.problem("document %d: %r, expected %r" % (seed["_id"], d, want))

    def doubt_rows(self):
        """Row numbers reported in doubt (the file's row i names k<i>)."""
        rows = set()
        for r in self.in_doubt_records():
            doc = r.get("document") or {}
            if isinstance(doc.get("k"), str) and doc["k"].startswith("k"):
                rows.add(int(doc["k"][1:]))
            elif isinstance(r.get("row"), int):
                rows.add(r["row"])
        return rows


class UpdateFromInc(UpdateFromSet):
    """BULK UPDATE ... SET n = n + v.d FROM a file (an $inc, not
    idempotent): row i adds i to document i once; a row in doubt was
    applied once or not at all, and is listed as IN_DOUBT."""

    name = "update_from_inc"
    idempotent = False

    def prepare(self, db):
        db[self.coll].insert_many(self.seeded())
        self.write_ndjson({"k": "k%d" % i, "d": i} for i in range(1, self.n + 1))

    def statement(self):
        return ("BULK UPDATE %s SET n = n + v.d FROM '%s' AS v WHERE %s.k = v.k WITH (batch_size = %d, %s);"
                % (self.coll, self.path, self.coll, self.batch, self.failed_option()))

    def progress(self, db):
        return db[self.coll].count_documents({"n": {"$ne": 0}})

    def check_doc(self, c, seed, d, doubt):
        i = seed["_id"]
        add = i if i <= self.n else 0
        n = d.get("n")
        if dict(d, n=0) != seed:
            c.problem("document %d: other fields changed: %r" % (i, d))
        if n == add:
            return
        if i in doubt and n == 0:
            return  # in doubt and not applied: allowed, it is listed
        if n == 0:
            c.lost += 1
            c.problem("row %d: not applied and not reported in doubt (n = 0)" % i)
        elif add and n % add == 0 and n > add:
            c.duplicated += 1
            c.problem("row %d: applied %d times (n = %d)" % (i, n // add, n))
        else:
            c.problem("document %d: n = %r, expected %d" % (i, n, add))


class UpdateWhereInc(Kind):
    """BULK UPDATE ... SET n = n + 1 WHERE g = 'a' (batches of _ids in _id
    order, an $inc): every matching document once, an in-doubt one once
    or not at all and listed; the others untouched."""

    name = "update_where_inc"
    delay = 0.2
    idempotent = False

    def seeded(self):
        return [{"_id": i, "g": "a" if i % 4 else "b", "n": 0} for i in range(1, self.n + 1)]

    def total(self):
        return sum(1 for d in self.seeded() if d["g"] == "a")

    def prepare(self, db):
        db[self.coll].insert_many(self.seeded())

    def statement(self):
        return ("BULK UPDATE %s SET n = n + 1 WHERE g = 'a' WITH (batch_size = %d, %s);"
                % (self.coll, self.batch, self.failed_option()))

    def progress(self, db):
        return db[self.coll].count_documents({"n": {"$ne": 0}})

    def doubt_ids(self):
        return {record_id(r) for r in self.in_doubt_records()} - {None}

    def check(self, db, operation_id):
        c = Check()
        doubt = self.doubt_ids()
        c.in_doubt = len(doubt)
        docs = {d["_id"]: d for d in db[self.coll].find({})}
        for s in self.seeded():
            c.rows += 1
            d = docs.pop(s["_id"], None)
            if d is None:
                c.lost += 1
                c.problem("document %d is gone" % s["_id"])
                continue
            add = 1 if s["g"] == "a" else 0
            if dict(d, n=0) != s:
                c.problem("document %d: other fields changed: %r" % (s["_id"], d))
            n = d.get("n")
            if n == add or (s["_id"] in doubt and n == 0 and add):
                continue
            if n == 0:
                c.lost += 1
                c.problem("document %d: not updated and not reported in doubt" % s["_id"])
            elif isinstance(n, int) and n > add:
                c.duplicated += 1
                c.problem("document %d: n = %d, expected %d" % (s["_id"], n, add))
            else:
                c.problem("document %d: n = %r, expected %d" % (s["_id"], n, add))
        for d in docs.values():
            c.duplicated += 1
            c.problem("a document the update created: %r" % d)
        return c


class DeleteArchival(Kind):
    """BULK DELETE ... WHERE grp = 'old' WITH ARCHIVAL_STRATEGY: in the
    end the source holds exactly the other documents and the archive
    exactly the matching ones (archive ∪ source = the originals, at every
    kill too)."""

    name = "delete_archival"
    coll = "src"
    archive = "arch"
    delay = 0.05

    def seeded(self):
        return [{"_id": i, "n": i, "grp": "old" if i % 3 else "new", "pad": "z" * 30} for i in range(1, self.n + 1)]

    def total(self):
        return sum(1 for d in self.seeded() if d["grp"] == "old")

    def prepare(self, db):
        db[self.coll].insert_many(self.seeded())

    def statement(self):
        return ("BULK DELETE FROM %s WHERE grp = 'old' WITH ARCHIVAL_STRATEGY (archive_collection = '%s', "
                "archive_reason = 'fault test') WITH DELETE_OPTIONS (batch_size = %d, %s);"
                % (self.coll, self.archive, self.batch, self.failed_option()))

    def progress(self, db):
        return db[self.archive].estimated_document_count()

    def untouched(self, db):
        problems = Kind.untouched(self, db)
        if db[self.archive].count_documents({}):
            problems.append("the archive was written in a run that has no operation")
        return problems

    def archived(self, db):
        out = {}
        bad = []
        for d in db[self.archive].find({}):
            extra = (d.pop("archivedAt", None), d.pop("archiveReason", None), d.pop("originalCollection", None))
            if extra[0] is None or extra[1:] != ("fault test", self.coll):
                bad.append("archived document %r lacks its archive fields: %r" % (d.get("_id"), extra))
            out[d["_id"]] = d
        return out, bad

    def invariant(self, db):
        """archive ∪ source = the originals, a document in both the same."""
        src = {d["_id"]: d for d in db[self.coll].find({})}
        arch, bad = self.archived(db)
        orig = {d["_id"]: d for d in self.seeded()}
        for i, d in arch.items():
            if i in src and src[i] != d:
                bad.append("document %r differs in the archive" % i)
        if {**arch, **src} != orig:
            bad.append("archive ∪ source is not the originals (%d + %d documents, %d originals)"
                       % (len(arch), len(src), len(orig)))
        return bad

    def check(self, db, operation_id):
        c = Check()
        src = {d["_id"]: d for d in db[self.coll].find({})}
        arch, bad = self.archived(db)
        for b in bad:
            c.problem(b)
        for s in self.seeded():
            c.rows += 1
            i = s["_id"]
            if s["grp"] == "old":
                if i in src:
                    c.problem("document %d matched and is still in the source" % i)
                if i not in arch:
                    c.lost += 1
                    c.problem("document %d is not in the archive" % i)
                elif arch[i] != s:
                    c.problem("document %d archived as %r" % (i, arch[i]))
            else:
                if i in arch:
                    c.duplicated += 1
                    c.problem("document %d did not match and was archived" % i)
                if src.get(i) != s:
                    c.lost += 1
                    c.problem("document %d: %r in the source, expected %r" % (i, src.get(i), s))
        orig = {s["_id"] for s in self.seeded()}
        for i in set(src) | set(arch):
            if i not in orig:
                c.duplicated += 1
                c.problem("document %r is no original" % i)
        return self.no_doubt(c, "archive-then-delete (a resume sends it again)")


KINDS = [InsertNdjsonNoId, InsertNdjsonWithId, InsertCsvParallel, UpsertFile, UpsertReplaceId, UpdateFromSet,
         UpdateFromInc, UpdateWhereInc, DeleteArchival]
BY_NAME = {k.name: k for k in KINDS}


# ---- the driver ----

def finished(op, message=None):
    """Is operation document op at its end: Complete, or Failed with
    every failure a row reported in doubt (a non-idempotent write that
    cannot be resolved: resuming again would only report it again) and
    nothing left in flight? message, when given, is why the last process
    stopped (stop_message): for Failed it must be the in-doubt rows
    alone, not a stop before the end (a process that lost the server
    while reading, after an earlier one had reported rows in doubt,
    leaves the same counters and an empty inFlightIds)."""
    if op.get("state") == "Complete":
        return True
    c = op.get("counters") or {}
    cp = op.get("checkpoint") or {}
    if message is not None and not IN_DOUBT_END.match(message):
        return False
    return (op.get("state") == "Failed" and c.get("nInDoubt", 0) > 0 and c.get("nFailed") == c.get("nInDoubt") and
            not cp.get("inFlight") and not cp.get("inFlightIds"))


# the error of a statement that ran to its end and whose only failures
# are rows (or documents) in doubt (exec.c)
IN_DOUBT_END = re.compile(r"(\d+) (rows?|documents?) failed, \1 of them in doubt: ")


def stop_message(result):
    """Why a bulkql process that ended by itself stopped: the "error" of
    its JSON result (--format json), else the first line of stderr ('' for
    a statement that succeeded)."""
    for line in result.out.splitlines():
        if line.startswith("{"):
            try:
                doc = bson.json_util.loads(line)
            except ValueError:
                continue
            if doc.get("error"):
                errs = doc.get("writeErrors") or []
                return doc["error"] + ("; first: %r" % (errs[0],) if errs else "")
    lines = result.err.strip().splitlines()
    return lines[0] if lines and result.rc else ""


class RunStats:
    """What one run did and found."""

    def __init__(self, kind):
        self.kind = kind
        self.kills = 0          # SIGKILLs of bulkql that landed while it ran
        self.server_kills = 0   # SIGKILLs of the server (each followed by a start on the same data)
        self.resumes = 0        # bulkql --resume runs
        self.reruns = 0         # runs again after a kill before the operation document existed
        self.exits = []         # (rc, first line of stderr) of the processes that ended by themselves
        self.check = None
        self.operation = None   # the operation document at the end
        self.log = []

    def note(self, text):
        self.log.append(text)


class FaultRun:
    """One run of a kind on server (a started faults.TestServer) in
    database db: `kills` client SIGKILLs and `server_kills` server
    SIGKILLs at random points of its progress (drawn from rng), each
    followed by a resume. bulkql is `binary` (BULKQL_BIN by default);
    every child gets `deadline` seconds."""

    def __init__(self, server, kind, db, rng, kills, server_kills=0, deadline=120.0, binary=None,
                 max_processes=None, early=0.15, down=(0.2, 2.0)):
        self.server = server
        self.kind = kind
        self.dbname = db
        self.rng = rng
        self.kills = kills
        self.server_kills = server_kills
        self.deadline = deadline
        self.binary = binary
        self.max_processes = max_processes or (kills + server_kills) * 2 + 6
        self.early = early
        self.down = down
        self.stats = RunStats(kind.name)

    # -- helpers --

    def client(self):
        return self.server.client(serverSelectionTimeoutMS=30000)

    def operations(self, db):
        return list(db[OPERATIONS].find({"collection": self.kind.coll}, sort=[("startedAt", -1)]))

    def child(self, args, sql=None):
        c = faults.BulkqlChild(["--uri", self.server.uri, "--db", self.dbname, "--format", "json"] + args,
                               sql=sql, deadline=self.deadline, binary=self.binary)
        return c.start()

    def plan(self):
        """The kill points: ("client"|"server", rows done, pause after)."""
        points = []
        for _ in range(self.kills):
            if self.rng.random() < self.early:
                points.append(("client", 0, self.rng.uniform(0.0, 0.4)))  # start-up, reading, first batch
            else:
                points.append(("client", int(self.rng.uniform(0.02, 0.95) * self.kind.total()),
                               self.rng.uniform(0.0, self.kind.delay)))
        for _ in range(self.server_kills):
            points.append(("server", int(self.rng.uniform(0.05, 0.9) * self.kind.total()), self.rng.uniform(0.0, 0.05)))
        points.sort(key=lambda p: p[1])
        return points

    def watch(self, child, points, probe):
        """Wait for child, carrying out the kill points as their progress
        is reached. True when the child was SIGKILLed."""
        while child.running() and child.elapsed() < self.deadline:
            if not points:
                return False  # the caller's wait() holds the deadline
            what, rows, pause = points[0]
            try:
                done = not rows or self.kind.reached(probe[self.dbname], rows)
            except pymongo.errors.PyMongoError:
                done = False
            if not done:
                time.sleep(0.02)
                continue
            done = rows
            points.pop(0)
            time.sleep(pause)
            if what == "client":
                if child.kill():
                    self.stats.kills += 1
                    self.stats.note("kill bulkql at %d rows (+%.3f s), %.1f s after its start"
                                    % (done, pause, child.kill_time))
                    return True
            elif child.running():
                down = self.rng.uniform(*self.down)
                self.server.kill()
                self.stats.server_kills += 1
                self.stats.note("kill the server at %d rows, down %.1f s, %.1f s after bulkql's start"
                                % (done, down, child.elapsed()))
                time.sleep(down)
                self.server.start()
        return False

    # -- the run --

    def run(self):
        kind = self.kind
        st = self.stats
        with self.client() as own:
            db = own[self.dbname]
            kind.prepare(db)
            points = self.plan()
            sql = kind.statement()
            probe = self.server.client(serverSelectionTimeoutMS=500, connectTimeoutMS=500, socketTimeoutMS=5000)
            try:
                child = self.child([], sql=sql)
                processes = 1
                while True:
                    killed = self.watch(child, points, probe)
                    r = child.wait()
                    child.close()
                    ops = self.operations(db)
                    if not ops:
                        # the killed process's last command may still be
                        # running on the server (the operation document's
                        # insert): look again once it has had time to land
                        time.sleep(1.0)
                        ops = self.operations(db)
                    if len(ops) > 1:
                        raise AssertionError("%s: %d operations for one statement: %s"
                                             % (kind.name, len(ops), [o["_id"] for o in ops]))
                    op = ops[0] if ops else None
                    if not killed:
                        message = stop_message(r)
                        st.exits.append((r.rc, message))
                        st.note("bulkql ended: rc %s after %.1f s %s" % (r.rc, r.duration, message))
                        if r.killed:
                            raise AssertionError("%s: bulkql passed its deadline of %.0f s:\n%r"
                                                 % (kind.name, self.deadline, r))
                        if op is not None and finished(op, message):
                            break
                        if op is None or op.get("state") == "Aborted" or r.rc not in (1, 2):
                            raise AssertionError("%s: bulkql stopped without a resumable operation (%s):\n%r"
                                                 % (kind.name, op and op.get("state"), r))
                        if not message:
                            raise AssertionError("%s: bulkql stopped (rc %d) without a message:\n%r"
                                                 % (kind.name, r.rc, r))
                    if processes >= self.max_processes:
                        raise AssertionError("%s: not Complete after %d processes; log: %s"
                                             % (kind.name, processes, st.log))
                    if op is None:
                        # killed before the operation document: nothing may be written
                        problems = kind.untouched(db)
                        if problems:
                            raise AssertionError("%s: %s" % (kind.name, problems))
                        st.reruns += 1
                        st.note("no operation yet: run the statement again")
                        child = self.child([], sql=sql)
                    else:
                        if hasattr(kind, "invariant"):
                            bad = kind.invariant(db)
                            if bad:
                                raise AssertionError("%s after a kill: %s" % (kind.name, bad))
                        st.resumes += 1
                        child = self.child(["--resume", op["_id"]])
                    processes += 1
            finally:
                probe.close()
            st.operation = op
            st.check = kind.check(db, op["_id"])
            st.check.rows = max(st.check.rows, 0)
        return st


def summary(all_stats):
    """The totals of several runs: kills, server kills, resumes, reruns,
    rows checked, lost, duplicated, in doubt."""
    t = {"runs": len(all_stats), "kills": 0, "server_kills": 0, "resumes": 0, "reruns": 0, "rows": 0, "lost": 0,
         "duplicated": 0, "in_doubt": 0}
    for s in all_stats:
        t["kills"] += s.kills
        t["server_kills"] += s.server_kills
        t["resumes"] += s.resumes
        t["reruns"] += s.reruns
        if s.check:
            t["rows"] += s.check.rows
            t["lost"] += s.check.lost
            t["duplicated"] += s.check.duplicated
            t["in_doubt"] += s.check.in_doubt
    return t


# ---- the full counts (scripts/fault-full) ----

# rows and batch_size of each kind at the counts
FULL_SIZES = {
    "insert_ndjson_no_id": (300000, 1000),
    "insert_ndjson_with_id": (100000, 1000),
    "insert_csv_parallel": (100000, 1000),
    "upsert_file": (2000, 50),
    "upsert_replace_id": (2000, 100),
    "update_from_set": (2000, 50),
    "update_from_inc": (2000, 50),
    "update_where_inc": (5000, 100),
    "delete_archival": (10000, 200),
}


def main(argv=None):
    import argparse
    import shutil
    import sys
    import tempfile
    import uuid

    p = argparse.ArgumentParser(description="Issue 15's fault tests at full counts: for each statement kind, "
                                "SIGKILL bulkql --kills times and the server --server-kills times at random "
                                "moments of one run, resuming until Complete, then check the exact state.")
    p.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--postgresql-url", help="a database of a PostgreSQL cluster on 127.0.0.1 (--backend postgresql)")
    p.add_argument("--kinds", default=",".join(k.name for k in KINDS))
    p.add_argument("--kills", type=int, default=20, help="client SIGKILLs per kind (default 20)")
    p.add_argument("--server-kills", type=int, default=5, help="server SIGKILLs per run (default 5)")
    p.add_argument("--rows", action="append", default=[], metavar="KIND=N[:BATCH]",
                   help="rows (and batch_size) of a kind instead of the full count")
    p.add_argument("--deadline", type=float, default=900.0, help="seconds any one bulkql process may take")
    p.add_argument("--seed", type=int, help="the random seed (default BQL_FAULT_SEED, else the clock)")
    p.add_argument("--bulkql", default=os.environ.get("BULKQL_BIN"))
    p.add_argument("--verbose", action="store_true", help="print each run's kills, restarts and exits")
    a = p.parse_args(argv)
    if not a.bulkql:
        p.error("--bulkql or BULKQL_BIN names the binary")
    sizes = dict(FULL_SIZES)
    for spec in a.rows:
        name, _, count = spec.partition("=")
        n, _, batch = count.partition(":")
        if name not in sizes:
            p.error("unknown kind %r (kinds: %s)" % (name, ", ".join(sizes)))
        sizes[name] = (int(n), int(batch) if batch else sizes[name][1])
    kinds = [k for k in a.kinds.split(",") if k]
    for k in kinds:
        if k not in BY_NAME:
            p.error("unknown kind %r (kinds: %s)" % (k, ", ".join(BY_NAME)))
    rng = faults.seeded_rng(a.seed)
    print("BQL_FAULT_SEED=%d, backend %s" % (rng.seed_value, a.backend), flush=True)
    server = faults.TestServer(backend=a.backend, postgresql_url=a.postgresql_url)
    server.start()
    all_stats = []
    failed = False
    try:
        for name in kinds:
            n, batch = sizes[name]
            tmp = tempfile.mkdtemp(prefix="bulkql-faultfull-")
            kind = BY_NAME[name](n, batch, tmp)
            dbname = "ff_" + uuid.uuid4().hex[:10]
            started = time.monotonic()
            run = FaultRun(server, kind, dbname, rng, kills=a.kills, server_kills=a.server_kills,
                           deadline=a.deadline, binary=a.bulkql)
            try:
                st = run.run()
            except AssertionError as e:
                failed = True
                print("%s: FAILED: %s\n  log: %s" % (name, e, run.stats.log), flush=True)
                all_stats.append(run.stats)
                continue
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
                if not server.running():
                    server.start()
                with server.client() as c:
                    c.drop_database(dbname)
            all_stats.append(st)
            c = st.check
            bad = not c.ok() or not (st.operation.get("state") == "Complete" or
                                     (not kind.idempotent and finished(st.operation) and c.in_doubt > 0))
            failed = failed or bad
            print("%-22s %7d rows: %2d kills, %d server kills, %2d resumes, %d reruns; %d checked, %d lost, "
                  "%d duplicated, %d in doubt; %.0f s%s" % (name, n, st.kills, st.server_kills, st.resumes, st.reruns,
                                                          c.rows, c.lost, c.duplicated, c.in_doubt,
                                                          time.monotonic() - started, "  FAILED" if bad else ""),
                  flush=True)
            for prob in c.problems:
                print("    " + prob, flush=True)
            if a.verbose:
                for line in st.log:
                    print("    " + line, flush=True)
    finally:
        server.close()
    t = summary(all_stats)
    print("\nsummary (%s, BQL_FAULT_SEED=%d): %d runs, %d kills, %d server kills, %d resumes, %d reruns, "
          "%d rows checked, %d lost, %d duplicated, %d in doubt%s"
          % (a.backend, rng.seed_value, t["runs"], t["kills"], t["server_kills"], t["resumes"], t["reruns"],
             t["rows"], t["lost"], t["duplicated"], t["in_doubt"], "; FAILED" if failed else ""))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
