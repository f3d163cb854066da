"""Lost replies, made exactly where wanted: bulkql talks to the live server
through a TCP proxy of this test that forwards a chosen write command, lets
the server apply it, and then drops the server's reply and the connection
(as a network failure after the write would). BulkQL must then retry what is
safe, never apply a non-idempotent update twice, count every row exactly
once (an upsert the lost attempt applied is an upsert, not a match on the
retry), and report every row whose outcome cannot be known."""
import os
import socket
import struct
import sys
import threading
import urllib.parse

import bson

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402

UNKNOWN = "this row may or may not have been written, and it was not sent again because its update is not idempotent"


def read_message(sock):
    """One wire-protocol message (bytes), or None at the end of the stream."""
    head = b""
    while len(head) < 4:
        chunk = sock.recv(4 - len(head))
        if not chunk:
            return None
        head += chunk
    (length,) = struct.unpack("<i", head)
    body = b""
    while len(body) < length - 4:
        chunk = sock.recv(length - 4 - len(body))
        if not chunk:
            return None
        body += chunk
    return head + body


def command_name(msg):
    """The command of an OP_MSG (its body's first key), or None."""
    (op,) = struct.unpack("<i", msg[12:16])
    if op != 2013 or msg[20] != 0:
        return None
    doc = msg[21:]
    end = doc.index(b"\0", 5)
    return doc[5:end].decode()


def command_collection(msg):
    """The collection an OP_MSG command names (its first value), or None."""
    doc = msg[21:]
    end = doc.index(b"\0", 5)
    if doc[4] != 2:
        return None
    (n,) = struct.unpack("<i", doc[end + 1:end + 5])
    return doc[end + 5:end + 4 + n].decode()


# BulkQL's own record of the statement (issue 15): its writes are not the
# statement's commands and are not counted
OPERATIONS = "bulkql_operations"


class ReplyDropper:
    """A proxy to the server that drops the reply to the nth command named
    `command` (counting from 1) of the statement's (those on
    bulkql_operations are forwarded and not counted), closing that
    connection; with refuse, it also closes every connection opened after
    that."""

    def __init__(self, upstream, command, nth, refuse=False):
        u = urllib.parse.urlparse(upstream)
        self.upstream = (u.hostname, u.port)
        self.command = command
        self.nth = nth
        self.refuse = refuse
        self.seen = 0
        self.dropped = 0
        self.lock = threading.Lock()
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.uri = "mongodb://127.0.0.1:%d/" % self.listener.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refuse and self.dropped:
                client.close()
                continue
            server = socket.create_connection(self.upstream)
            conn = {"drop": False, "client": client, "server": server}
            threading.Thread(target=self.requests, args=(conn,), daemon=True).start()
            threading.Thread(target=self.replies, args=(conn,), daemon=True).start()

    def requests(self, conn):
        try:
            while True:
                msg = read_message(conn["client"])
                if msg is None:
                    break
                if command_name(msg) == self.command and command_collection(msg) != OPERATIONS:
                    with self.lock:
                        self.seen += 1
                        if self.seen == self.nth:
                            conn["drop"] = True
                conn["server"].sendall(msg)
        except OSError:
            pass
        self.close(conn)

    def replies(self, conn):
        try:
            while True:
                msg = read_message(conn["server"])
                if msg is None:
                    break
                if conn["drop"]:
                    with self.lock:
                        self.dropped += 1
                    break  # the write was applied; its reply is lost
                conn["client"].sendall(msg)
        except OSError:
            pass
        self.close(conn)

    def close(self, conn):
        for s in (conn["client"], conn["server"]):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def stop(self):
        self.listener.close()


class LostReplyTest(bqltest.BulkqlCase):
    def through(self, command, nth, sql, refuse=False):
        proxy = ReplyDropper(bqltest.URI, command, nth, refuse)
        try:
            r = self.bulkql("--uri", proxy.uri, "--format", "json", sql=sql)
        finally:
            proxy.stop()
        self.assertEqual(proxy.dropped, 1, "the proxy dropped no reply: %r" % r)
        return r, self.json_result(r)

    def lossy(self):
        return "ferretdbVersion" in self.client.admin.command("buildInfo")

    def check_upserted(self, res, key):
        """upserted [{row, _id}] names exactly the stored documents, by row"""
        docs = {d[key]: d["_id"] for d in self.db.acc.find()}
        return sorted((u["row"], u["_id"]) for u in res["upserted"]), docs

    def test_upsert_applied_by_a_lost_attempt_counts_as_upserted(self):
        # keys that are not _id: every new document gets an ObjectId of ours
        n = 12
        self.db.acc.insert_many([{"k": "k%d" % i, "v": 0} for i in range(1, 5)])
        sql = ("BULK UPSERT INTO acc (k, v) VALUES %s ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v "
               "WITH (retry_attempts = 3, retry_backoff_ms = 50);" % ", ".join("('k%d', %d)" % (i, i) for i in range(1, n + 1)))
        # the batch's update command (also on a server that loses update
        # counts: $set is idempotent, so it goes as one command there too)
        r, res = self.through("update", 1, sql)
        self.assertEqual(r.rc, 0, r)
        res = res[0]
        self.assertGreaterEqual(res["retries"], 1)
        self.assertEqual((res["nMatched"], res["nUpserted"], res["nFailed"]), (4, 8, 0))
        upserted, docs = self.check_upserted(res, "k")
        self.assertEqual(upserted, sorted((i, docs["k%d" % i]) for i in range(5, n + 1)))
        self.assertEqual(sorted((d["k"], d["v"]) for d in self.db.acc.find()),
                         sorted(("k%d" % i, i) for i in range(1, n + 1)))

    def test_upsert_on_id_applied_by_a_lost_attempt_counts_as_upserted(self):
        self.db.acc.insert_many([{"_id": i, "v": 0} for i in range(1, 6)])
        sql = ("BULK UPSERT INTO acc (_id, v) VALUES %s ON CONFLICT (_id) DO UPDATE SET v = EXCLUDED.v "
               "WITH (retry_attempts = 3, retry_backoff_ms = 50);" % ", ".join("(%d, %d)" % (i, i) for i in range(1, 11)))
        r, res = self.through("update", 1, sql)
        self.assertEqual(r.rc, 0, r)
        res = res[0]
        self.assertEqual((res["nMatched"], res["nUpserted"], res["nFailed"]), (5, 5, 0))
        self.assertEqual(sorted((u["row"], u["_id"]) for u in res["upserted"]), [(i, i) for i in range(6, 11)])
        self.assertEqual(self.docs("acc"), [{"_id": i, "v": i} for i in range(1, 11)])

    def test_non_idempotent_upsert_lost_after_it_was_applied(self):
        # row 3 matches a stored document and adds 1: after its lost reply it
        # may not be sent again and is reported; row 6 creates a document
        # whose new _id tells that the lost attempt applied it
        self.db.acc.insert_many([{"k": "k%d" % i, "hits": 10} for i in range(1, 5)])
        sql = ("BULK UPSERT INTO acc (k) VALUES %s ON CONFLICT (k) DO UPDATE SET hits = hits + 1 "
               "WITH (ordered = false, retry_attempts = 3, retry_backoff_ms = 50);"
               % ", ".join("('k%d')" % i for i in range(1, 9)))
        if not self.lossy():
            self.skipTest("one command per batch: every row of the lost batch is in doubt")
        r, res = self.through("update", 3, sql)
        self.assertEqual(r.rc, 1, r)
        res = res[0]
        self.assertEqual([e["row"] for e in res["writeErrors"]], [3])
        self.assertIn(UNKNOWN, res["writeErrors"][0]["errmsg"])
        self.assertEqual((res["nMatched"], res["nUpserted"], res["nFailed"]), (3, 4, 1))
        # applied exactly once, row 3 included
        self.assertEqual(sorted((d["k"], d["hits"]) for d in self.db.acc.find()),
                         [("k%d" % i, 11) for i in range(1, 5)] + [("k%d" % i, 1) for i in range(5, 9)])
        # again, without k7 and k8 and with a new k9: row 8's reply is lost
        self.db.acc.delete_many({"k": {"$in": ["k7", "k8"]}})
        sql = sql.replace("('k8')", "('k8'), ('k9')")
        r, res = self.through("update", 8, sql)
        res = res[0]
        self.assertEqual(r.rc, 0, r)
        self.assertEqual((res["nMatched"], res["nUpserted"], res["nFailed"]), (6, 3, 0))
        upserted = {u["row"]: u["_id"] for u in res["upserted"]}
        self.assertEqual(sorted(upserted), [7, 8, 9])
        docs = {d["k"]: d for d in self.db.acc.find()}
        self.assertEqual({r: docs["k%d" % r]["_id"] for r in (7, 8, 9)}, upserted)
        self.assertEqual(sorted((k, d["hits"]) for k, d in docs.items()),
                         [("k%d" % i, 12) for i in range(1, 5)] + [("k5", 2), ("k6", 2)] +
                         [("k%d" % i, 1) for i in range(7, 10)])

    def test_lost_inc_is_never_applied_twice(self):
        n = 10
        self.db.acc.insert_many([{"_id": i, "k": "k%d" % i, "hits": 0} for i in range(1, n + 1)])
        sql = ("BULK UPDATE acc SET hits = hits + 1 FROM (VALUES %s) AS v(k) WHERE acc.k = v.k "
               "WITH (ordered = false, retry_attempts = 3, retry_backoff_ms = 50);"
               % ", ".join("('k%d')" % i for i in range(1, n + 1)))
        r, res = self.through("update", 5 if self.lossy() else 1, sql)
        self.assertEqual(r.rc, 1, r)
        res = res[0]
        hits = {d["_id"]: d["hits"] for d in self.db.acc.find()}
        self.assertEqual(hits, {i: 1 for i in range(1, n + 1)})
        doubtful = [e["row"] for e in res["writeErrors"]]
        for e in res["writeErrors"]:
            self.assertIn(UNKNOWN, e["errmsg"])
        self.assertEqual(doubtful, [5] if self.lossy() else list(range(1, n + 1)))
        self.assertEqual((res["nMatched"], res["nFailed"]), (n - len(doubtful), len(doubtful)))

    def test_upsert_mode_insert_applied_by_a_lost_attempt_counts_as_inserted(self):
        sql = ("BULK INSERT INTO acc (v) VALUES %s WITH (upsert_mode = true, retry_attempts = 3, retry_backoff_ms = 50);"
               % ", ".join("(%d)" % i for i in range(1, 7)))
        r, res = self.through("insert", 1, sql)
        self.assertEqual(r.rc, 0, r)
        res = res[0]
        self.assertEqual((res["nInserted"], res["nFailed"]), (6, 0))
        self.assertEqual(sorted(d["v"] for d in self.db.acc.find()), list(range(1, 7)))

    def test_lost_error_record_found_stored_is_not_written_twice(self):
        # the second insert command is the batch's error record (the first
        # is the batch): the server stores it and its reply is lost. The
        # record's _id is looked up before it is sent again: found, so it
        # is written once, and its retry is not the batches' (no retries
        # in the reply)
        sql = "BULK INSERT INTO ev (_id) VALUES (1), (1), (2) WITH (retry_attempts = 2, retry_backoff_ms = 50);"
        r, res = self.through("insert", 2, sql)
        self.assertEqual(r.rc, 1, r)
        res = res[0]
        self.assertEqual((res["nInserted"], res["nFailed"], res.get("retries", 0)), (1, 1, 0))
        self.assertNotIn("logFailures", res)
        self.assertNotIn("retry", r.err)
        [rec] = self.db.bulk_operation_errors.find({"operationId": res["operationId"]})
        self.assertEqual((rec["batchIndex"], [w["row"] for w in rec["writeErrors"]]), (0, [2]))
        self.assertEqual(self.db.bulk_operation_metrics.count_documents({"operationId": res["operationId"]}), 1)
        self.assertEqual(self.docs("ev"), [{"_id": 1}])

    def test_lost_insert_batch_whose_retries_run_out_is_reported(self):
        sql = ("BULK INSERT INTO ev (_id) VALUES %s WITH (batch_size = 5, retry_attempts = 2, retry_backoff_ms = 50);"
               % ", ".join("(%d)" % i for i in range(1, 16)))
        r, res = self.through("insert", 2, sql, refuse=True)
        self.assertEqual(r.rc, 2, r)  # the CLI's exit code for a lost connection
        res = res[0]
        # Writes go on a connection of their own (so that a cancel can
        # abandon one). Batch 2's reply is lost with that connection; the
        # statement's connection, still open, finds its rows applied, so
        # batch 2 counts as inserted. Batch 3 cannot get a new connection
        # (refused): its retries run out and its rows are in doubt.
        self.assertEqual((res["nInserted"], res["nFailed"], res.get("nNotAttempted", 0)), (10, 5, 0))
        self.assertEqual([e["row"] for e in res["writeErrors"]], [11, 12, 13, 14, 15])
        for e in res["writeErrors"]:
            self.assertIn("the connection was lost and 2 retries ran out: this row may or may not have been written",
                          e["errmsg"])
        self.assertIn("lost the server during batch 3", res["error"])
        # the error record went through the statement's connection
        self.assertNotIn("logFailures", res)
        [rec] = self.db.bulk_operation_errors.find({"operationId": res["operationId"]})
        self.assertEqual((rec["batchIndex"], [w["row"] for w in rec["writeErrors"]]), (2, [11, 12, 13, 14, 15]))
        # the lost batch was applied: its rows are on the server
        self.assertEqual([d["_id"] for d in self.docs("ev")], list(range(1, 11)))

    def test_lost_upsert_whose_retries_run_out_is_reported(self):
        sql = ("BULK UPSERT INTO acc (_id, v) VALUES %s ON CONFLICT (_id) DO UPDATE SET v = EXCLUDED.v "
               "WITH (batch_size = 3, retry_attempts = 2, retry_backoff_ms = 50);"
               % ", ".join("(%d, %d)" % (i, i) for i in range(1, 7)))
        # each batch goes as one command (also on a server that loses update
        # counts: $set is idempotent); the first one's reply is lost
        r, res = self.through("update", 1, sql, refuse=True)
        self.assertEqual(r.rc, 2, r)
        res = res[0]
        # the lost command's rows are found applied through the statement's
        # connection (writes have their own, which is refused from then
        # on): the next command's retries run out, its rows in doubt
        self.assertEqual([e["row"] for e in res["writeErrors"]], [4, 5, 6])
        for e in res["writeErrors"]:
            self.assertIn("the connection was lost and 2 retries ran out: this row may or may not have been written",
                          e["errmsg"])
        self.assertEqual((res["nUpserted"], res["nFailed"], res.get("nNotAttempted", 0)), (3, 3, 0))
        self.assertEqual(sorted((u["row"], u["_id"]) for u in res["upserted"]), [(i, i) for i in range(1, 4)])
        self.assertNotIn("logFailures", res)
        # the lost command was applied
        self.assertEqual(self.docs("acc"), [{"_id": i, "v": i} for i in range(1, 4)])

    def test_lost_where_batches_write_their_error_and_stop(self):
        self.db.c.insert_many([{"_id": i, "n": 0} for i in range(1, 11)])
        # $inc is not sent again: the batch's documents are in doubt
        r, res = self.through("update", 2, "BULK UPDATE c SET n = n + 1 WHERE TRUE WITH (batch_size = 4, "
                              "retry_attempts = 2, retry_backoff_ms = 50);", refuse=True)
        self.assertEqual(r.rc, 2, r)
        res = res[0]
        # batch 2's reply is lost: its documents are in doubt, each by its
        # _id, and the statement goes on; batch 3 never reaches the server
        # (refused connections): not written, and the statement stops
        self.assertEqual((res["nMatched"], res["nFailed"], res["nInDoubt"], res["batches"]), (4, 6, 4, 3))
        self.assertEqual([(e.get("_id"), e["code"]) for e in res["writeErrors"]],
                         [(5, "IN_DOUBT"), (6, "IN_DOUBT"), (7, "IN_DOUBT"), (8, "IN_DOUBT"), (None, 13053)])
        self.assertIn("in doubt: the connection was lost (Failed to send \"update\" command with database",
                      res["writeErrors"][0]["errmsg"])
        self.assertEqual(res["writeErrors"][4]["errmsg"],
                         "not written: the connection was lost and 2 retries ran out: No servers yet eligible for "
                         "rescan (of the batch's 2 documents, 0 were reported updated)")
        self.assertEqual(res["error"], "lost the server during batch 3: No servers yet eligible for rescan (after 2 "
                                       "retries; retry_attempts = 2)")
        # the error record and the metrics went through the statement's
        # connection (the lost one was the writes' own)
        self.assertNotIn("logFailures", res)
        self.assertEqual([rec["batchIndex"] for rec in self.db.bulk_operation_errors.find(
            {"operationId": res["operationId"]}, sort=[("batchIndex", 1)])], [1, 2])
        self.assertEqual([d["n"] for d in self.docs("c")], [1] * 8 + [0] * 2)
        # a delete is sent again, until the retries run out
        r, res = self.through("delete", 1, "BULK DELETE FROM c WHERE TRUE WITH (batch_size = 4, retry_attempts = 2, "
                              "retry_backoff_ms = 50);", refuse=True)
        self.assertEqual(r.rc, 2, r)
        res = res[0]
        self.assertEqual((res["nRemoved"], res["nFailed"], res["retries"]), (0, 4, 2))
        self.assertIn("the connection was lost and 2 retries ran out", res["writeErrors"][0]["errmsg"])
        self.assertEqual([d["_id"] for d in self.docs("c")], list(range(5, 11)))


if __name__ == "__main__":
    bqltest.main()
