"""An insert command refused as a whole after the server stored part of
it: a server that is not transactional (FerretDB on PostgreSQL, for a
string holding a NUL byte: README "The PostgreSQL backend") stores the
documents before the one it cannot store, then fails the whole command
with no writeErrors and no counts. BulkQL must account for what is stored,
found by _id, not guess: the rows found stored as sent count as inserted,
the others are failed rows, and the statement stops.

The refusal is made by the recording proxy (a "reply" fault: the command
does not reach the server), with the documents the server would have
stored put there first by the test, so that the test runs on any backend."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import wiretest  # noqa: E402
from wireproxy import matcher  # noqa: E402

REFUSAL = {"ok": 0.0, "code": 1, "codeName": "InternalError",
           "errmsg": "ERROR: unsupported Unicode escape sequence (SQLSTATE 22P05)"}


class RefusedInsertTest(wiretest.WireCase):
    def run_refused(self, ordered):
        # what the server stored of the batch before it refused the rest
        self.db.ev.insert_many([{"_id": 1, "v": "a"}, {"_id": 2, "v": "b"}])
        self.proxy.inject(matcher("insert", coll="ev", nth=1), "reply", reply=REFUSAL)
        r = self.wire("BULK INSERT INTO ev (_id, v) VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd') "
                      "WITH (ordered = %s);" % ("true" if ordered else "false"))
        self.assertEqual(r.rc, 1, r)
        res = r.results[0]
        self.assertEqual((res["nInserted"], res["nFailed"], res.get("nNotAttempted", 0)), (2, 2, 0))
        self.assertEqual([(e["row"], e["code"], e["errmsg"]) for e in res["writeErrors"]],
                         [(row, 1, "the server refused the batch: " + REFUSAL["errmsg"]) for row in (3, 4)])
        self.assertEqual(res["error"], "the server refused batch 1: " + REFUSAL["errmsg"])
        # one insert, then one find of the batch's _ids; nothing sent again
        sent = [(c.name, c.collection) for c in self.proxy.commands(("insert", "find"), coll="ev")]
        self.assertEqual(sent, [("insert", "ev"), ("find", "ev")])
        self.assertEqual(self.proxy.commands("find", coll="ev")[0].body["filter"], {"_id": {"$in": [1, 2, 3, 4]}})
        self.assertEqual(self.docs("ev"), [{"_id": 1, "v": "a"}, {"_id": 2, "v": "b"}])
        # the batch's error record lists exactly the rows not stored
        [rec] = self.db.bulk_operation_errors.find({"operationId": res["operationId"]})
        self.assertEqual([w["row"] for w in rec["writeErrors"]], [3, 4])

    def test_ordered_batch_counts_the_rows_found_stored(self):
        self.run_refused(True)

    def test_unordered_batch_counts_the_rows_found_stored(self):
        self.run_refused(False)

    def test_nothing_stored_fails_every_row(self):
        self.proxy.inject(matcher("insert", coll="ev", nth=1), "reply", reply=REFUSAL)
        r = self.wire("BULK INSERT INTO ev (_id, v) VALUES (1, 'a'), (2, 'b');")
        self.assertEqual(r.rc, 1, r)
        res = r.results[0]
        self.assertEqual((res["nInserted"], res["nFailed"]), (0, 2))
        self.assertEqual(self.docs("ev"), [])


if __name__ == "__main__":
    wiretest.bqltest.main()
