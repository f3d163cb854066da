"""write_concern, journal and bypass_validation, checked on the wire.

FerretDB ignores writeConcern and bypassDocumentValidation (see
../shared/FERRETDB.md), so a statement that succeeds proves nothing: these
tests run bulkql through a recording proxy and assert that every write
command of every statement kind (INSERT, INSERT ... ON DUPLICATE KEY
UPDATE, INSERT with upsert_mode, UPDATE ... WHERE, UPDATE ... FROM,
UPSERT, DELETE, soft DELETE, and both steps of an archival DELETE: the
archive write, the archive's replacement of a copy left by an earlier run,
and the delete) carries exactly the writeConcern and
bypassDocumentValidation asked for, and neither when not asked for; and
that the statement's error records and metrics, the account of its rows,
are inserted with the same writeConcern."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import wiretest  # noqa: E402

# (option text, the writeConcern expected on the wire or None, bypass)
CASES = [
    ("", None, False),
    ("write_concern = 'majority'", {"w": "majority"}, False),
    ("write_concern = 2", {"w": 2}, False),
    ("write_concern = {w: 1, j: true, wtimeout: 500}", {"w": 1, "j": True, "wtimeout": 500}, False),
    ("journal = true", {"j": True}, False),
    ("write_concern = 'majority', journal = false", {"w": "majority", "j": False}, False),
    ("bypass_validation = true", None, True),
    ("bypass_validation = false", None, False),
    ("write_concern = {w: 'majority'}, bypass_validation = true", {"w": "majority"}, True),
]

# every statement kind; each writes its own collection
SCRIPT = """
BULK INSERT INTO ins (_id, v) VALUES (1, 'a'), (2, 'b'), (3, 'c') WITH (batch_size = 2{o});
BULK INSERT INTO dup (_id, v) VALUES (1, 'new'), (2, 'b') WITH (batch_size = 10{o}) ON DUPLICATE KEY UPDATE v = 'upd';
BULK INSERT INTO um (_id, v) VALUES (1, 'a') WITH (upsert_mode = true{o});
BULK UPDATE upw SET v = 'w' WHERE _id >= 1 WITH (batch_size = 2{o});
BULK UPDATE upf SET v = v.v FROM (VALUES (1, 'x'), (2, 'y')) AS v(id, v) WHERE upf._id = v.id WITH (batch_size = 10{o});
BULK UPSERT INTO ups (_id, v) VALUES (1, 'a'), (5, 'e') ON CONFLICT (_id) DO UPDATE SET v = EXCLUDED.v
    WITH (batch_size = 10{o});
BULK DELETE FROM del WHERE TRUE WITH (batch_size = 2{o});
BULK DELETE FROM soft WHERE _id = 2 WITH (soft_delete = true{o});
BULK DELETE FROM src WHERE TRUE WITH ARCHIVAL_STRATEGY (archive_collection = 'arch', archive_reason = 'wc')
    WITH DELETE_OPTIONS (batch_size = 2{o});
"""

# (collection, command, number of operations) in the order sent
EXPECTED_WRITES = [
    ("ins", "insert", 2), ("ins", "insert", 1),
    ("dup", "insert", 2), ("dup", "update", 1),
    ("um", "update", 1),
    ("upw", "update", 1), ("upw", "update", 1),
    ("upf", "update", 2),
    ("ups", "update", 2),
    ("del", "delete", 1), ("del", "delete", 1),
    ("soft", "update", 1),
    # batch 1: archive both, replace the stale copy of _id 1, delete both
    ("arch", "insert", 2), ("arch", "update", 1), ("src", "delete", 1),
    ("arch", "insert", 1), ("src", "delete", 1),
]


class WireWriteConcernTest(wiretest.WireCase):
    def seed(self):
        three = [{"_id": i, "v": "old%d" % i} for i in (1, 2, 3)]
        self.db.dup.insert_one({"_id": 1, "v": "old"})
        for c in ("upw", "upf", "ups", "del", "soft", "src"):
            self.db[c].insert_many(three)
        # a copy of _id 1 left in the archive by an interrupted earlier run
        self.db.arch.insert_one({"_id": 1, "v": "stale"})

    def check_server(self):
        d = self.docs
        self.assertEqual(d("ins"), [{"_id": 1, "v": "a"}, {"_id": 2, "v": "b"}, {"_id": 3, "v": "c"}])
        self.assertEqual(d("dup"), [{"_id": 1, "v": "upd"}, {"_id": 2, "v": "b"}])
        self.assertEqual(d("um"), [{"_id": 1, "v": "a"}])
        self.assertEqual(d("upw"), [{"_id": i, "v": "w"} for i in (1, 2, 3)])
        self.assertEqual(d("upf"), [{"_id": 1, "v": "x"}, {"_id": 2, "v": "y"}, {"_id": 3, "v": "old3"}])
        self.assertEqual(d("ups"), [{"_id": 1, "v": "a"}, {"_id": 2, "v": "old2"}, {"_id": 3, "v": "old3"},
                                    {"_id": 5, "v": "e"}])
        self.assertEqual(d("del"), [])
        soft = d("soft")
        self.assertEqual([(x["_id"], "deleted_at" in x) for x in soft], [(1, False), (2, True), (3, False)])
        self.assertEqual(d("src"), [])
        arch = d("arch")
        self.assertEqual([(x["_id"], x["v"], x["archiveReason"], x["originalCollection"]) for x in arch],
                         [(i, "old%d" % i, "wc", "src") for i in (1, 2, 3)])

    def test_every_write_of_every_statement_carries_the_options(self):
        for opts, wc, bypass in CASES:
            with self.subTest(opts=opts):
                self.client.drop_database(self.dbname)
                self.seed()
                self.proxy.reset()
                r = self.wire(SCRIPT.format(o=", " + opts if opts else ""))
                self.assertEqual(r.rc, 0, r)
                self.assertEqual([x["ok"] for x in r.results], [True] * 9, r)
                self.check_server()
                writes = self.user_writes()
                # one update command per batch, also on a server that loses
                # update counts (these updates are idempotent)
                expected = EXPECTED_WRITES
                self.assertEqual([(c.collection, c.name, len(c.documents)) for c in writes], expected)
                for c in writes:
                    if wc is None:
                        self.assertNotIn("writeConcern", c.body, c)
                    else:
                        self.assertEqual(c.body.get("writeConcern"), wc, c)
                    if c.name == "delete":
                        # the delete command has no bypassDocumentValidation
                        # in MongoDB: nothing to validate
                        self.assertNotIn("bypassDocumentValidation", c.body, c)
                    elif bypass:
                        self.assertIs(c.body.get("bypassDocumentValidation"), True, c)
                    else:
                        self.assertNotIn("bypassDocumentValidation", c.body, c)

    def test_error_records_and_metrics_carry_the_statements_write_concern(self):
        # The error records are the account of the failed rows and the
        # metrics of all rows: as durable as the rows themselves, so their
        # inserts carry the statement's writeConcern too (and never
        # bypassDocumentValidation: the documents are BulkQL's own).
        for opts, wc, bypass in CASES:
            with self.subTest(opts=opts):
                self.client.drop_database(self.dbname)
                self.db.c.insert_one({"_id": 2, "v": "old"})
                self.proxy.reset()
                r = self.wire("BULK INSERT INTO c (_id, v) VALUES (1, 'a'), (2, 'b'), (3, 'c') "
                              "WITH (ordered = false{o})".format(o=", " + opts if opts else ""))
                self.assertEqual(r.rc, 1, r)
                self.assertEqual([(e["row"], e["code"]) for e in r.results[0]["writeErrors"]], [(2, 11000)])
                self.assertEqual(self.docs("c"), [{"_id": 1, "v": "a"}, {"_id": 2, "v": "old"}, {"_id": 3, "v": "c"}])
                [rec] = self.db.bulk_operation_errors.find()
                self.assertEqual([(w["row"], w["code"]) for w in rec["writeErrors"]], [(2, 11000)])
                self.assertEqual(self.db.bulk_operation_metrics.count_documents({}), 1)
                logs = [(c.collection, c.body.get("writeConcern"), c.body.get("bypassDocumentValidation"))
                        for c in self.proxy.commands("insert", db=self.dbname)
                        if c.collection in ("bulk_operation_errors", "bulk_operation_metrics")]
                self.assertEqual(logs, [("bulk_operation_errors", wc, None), ("bulk_operation_metrics", wc, None)])
                self.assertEqual(r.results[0].get("logFailures", []), [])


if __name__ == "__main__":
    wiretest.bqltest.main()
