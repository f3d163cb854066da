"""A lost reply at an exact command, for each step kind (issue 15): the
server applies the command and its reply never reaches bulkql, either
because the connection closes (wireproxy "close_after": bulkql retries)
or because the server hangs and bulkql is killed while it waits
("swallow", then SIGKILL and `bulkql --resume`). The outcome must be
resolved (found on the server, or sent again when that is idempotent) or
reported in doubt, never guessed.

test_wire_retry.py already covers the lost reply of a live process for
INSERT_ROWS (rows with and without _id), UPSERT_ROWS and UPDATE_ROWS
($set and $inc), UPDATE_BATCH ($inc), DELETE_BATCH, ARCHIVE_BATCH and
ARCHIVE_REPLACE; this file covers the other step kinds
(WRITE_ERROR_RECORD, WRITE_METRICS, DUPLICATE_KEY_UPDATE). Everything runs
on 127.0.0.1 and every wait is bounded."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import wiretest  # noqa: E402
from wireproxy import matcher  # noqa: E402

NOT_SENT_AGAIN = ("the connection was lost: this row may or may not have been written, and it was not sent again "
                  "because its update is not idempotent ($inc, $mul, $push or a pipeline)")


class LostReplyTest(wiretest.WireCase):
    def test_error_record_whose_reply_was_lost_is_written_once(self):
        # WRITE_ERROR_RECORD: the record's _id is the client's, so the
        # write path's recover after the lost reply looks it up, finds it
        # stored and does not send it again
        self.proxy.inject(matcher("insert", coll="bulk_operation_errors", nth=1), "close_after")
        r = self.wire("BULK INSERT INTO c (_id, v) VALUES (1, 1), (1, 2), (3, 3) "
                      "WITH (ordered = false, continue_on_error = true, retry_backoff_ms = 20);")
        self.assertEqual(r.rc, 1, r)
        res = r.results[0]
        self.assertEqual((res["nInserted"], res["nFailed"]), (2, 1))
        self.assertNotIn("logFailures", res)
        self.assertEqual([c.action for c in self.proxy.commands("insert", coll="bulk_operation_errors")],
                         ["close_after"])
        [rec] = self.db.bulk_operation_errors.find({})
        self.assertEqual([c.body["filter"] for c in self.proxy.commands("find", coll="bulk_operation_errors")],
                         [{"_id": rec["_id"]}])
        self.assertEqual((rec["operationId"], rec["batchIndex"], [w["row"] for w in rec["writeErrors"]]),
                         (res["operationId"], 0, [2]))
        self.assertEqual(self.docs("c"), [{"_id": 1, "v": 1}, {"_id": 3, "v": 3}])

    def test_metrics_whose_reply_was_lost_is_written_once(self):
        # WRITE_METRICS
        self.proxy.inject(matcher("insert", coll="bulk_operation_metrics", nth=1), "close_after")
        r = self.wire("BULK INSERT INTO c (_id, v) VALUES (1, 1), (2, 2) WITH (retry_backoff_ms = 20);")
        self.assertEqual(r.rc, 0, r)
        res = r.results[0]
        self.assertNotIn("logFailures", res)
        self.assertEqual([c.action for c in self.proxy.commands("insert", coll="bulk_operation_metrics")],
                         ["close_after"])
        [m] = self.db.bulk_operation_metrics.find({})
        self.assertEqual([c.body["filter"] for c in self.proxy.commands("find", coll="bulk_operation_metrics")],
                         [{"_id": m["_id"]}])
        self.assertEqual(m["operationId"], res["operationId"])
        self.assertEqual(self.docs("c"), [{"_id": 1, "v": 1}, {"_id": 2, "v": 2}])

    def test_on_duplicate_key_inc_whose_reply_was_lost_is_in_doubt_and_applied_once(self):
        # DUPLICATE_KEY_UPDATE with an $inc: the first follow-up update
        # command is applied and its reply lost; it is not sent again and
        # its rows are in doubt (on a server that loses the counts of an
        # update command, each row is a command of its own: row 1 is in
        # doubt and row 2's update goes on)
        lossy = self.lossy_updates()
        self.db.ev.insert_many([{"_id": 1, "n": 1}, {"_id": 2, "n": 2}])
        self.proxy.inject(matcher("update", coll="ev", nth=1), "close_after")
        r = self.wire("BULK INSERT INTO ev (_id, n) VALUES (1, 10), (2, 20), (3, 30) "
                      "ON DUPLICATE KEY UPDATE n = n + 10 WITH (retry_backoff_ms = 20);")
        self.assertEqual(r.rc, 1, r)
        res = r.results[0]
        doubt = [1] if lossy else [1, 2]
        self.assertEqual([(e["row"], e["errmsg"]) for e in res["writeErrors"]], [(i, NOT_SENT_AGAIN) for i in doubt])
        updates = self.user_writes("ev")[1:]
        self.assertEqual([u.action for u in updates], ["close_after"] + ["forward"] * lossy)
        if lossy:
            self.assertNotEqual(updates[0].documents, updates[1].documents, "the lost $inc was sent again")
        self.assertEqual(self.docs("ev"), [{"_id": 1, "n": 11}, {"_id": 2, "n": 12}, {"_id": 3, "n": 30}])
        [rec] = self.db.bulk_operation_errors.find({"operationId": res["operationId"]})
        self.assertEqual([(w["row"], w["errmsg"]) for w in rec["writeErrors"]], [(i, NOT_SENT_AGAIN) for i in doubt])

    def test_on_duplicate_key_set_whose_reply_was_lost_is_sent_again(self):
        # DUPLICATE_KEY_UPDATE with a $set: idempotent, sent again
        self.db.ev.insert_many([{"_id": 1, "n": 1}, {"_id": 2, "n": 2}])
        self.proxy.inject(matcher("update", coll="ev", nth=1), "close_after")
        r = self.wire("BULK INSERT INTO ev (_id, n) VALUES (1, 10), (2, 20), (3, 30) "
                      "ON DUPLICATE KEY UPDATE tag = 'dup' WITH (retry_backoff_ms = 20);")
        self.assertEqual(r.rc, 0, r)
        res = r.results[0]
        self.assertEqual((res["nInserted"], res["nFailed"], res["retries"]), (1, 0, 1))
        updates = self.user_writes("ev")[1:]
        # the refused rows' updates go as one command, also on a server that
        # loses update counts ($set is idempotent): lost, then sent again
        self.assertEqual([u.action for u in updates], ["close_after", "forward"])
        self.assertEqual(updates[0].documents, updates[1].documents)
        self.assertEqual(len(updates[0].documents), 2)
        self.assertEqual(self.docs("ev"), [{"_id": 1, "n": 1, "tag": "dup"}, {"_id": 2, "n": 2, "tag": "dup"},
                                           {"_id": 3, "n": 30}])


if __name__ == "__main__":
    wiretest.bqltest.main()
