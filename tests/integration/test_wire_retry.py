"""retry_attempts and retry_backoff_ms, with failures injected on the wire.

A recording proxy between bulkql and the live server closes the connection
on chosen write commands (before forwarding them, or after the server
applied them and before the reply reaches bulkql), or answers them with a
retryable error (ShutdownInProgress 91, PrimarySteppedDown 189,
NotWritablePrimary 10107, ExceededTimeLimit 262, the RetryableWriteError
label). The tests count the attempts on the wire, measure the gaps
between them (retry_backoff_ms doubled each time), check that retrying
stops at retry_attempts with a clear error, that errors the drivers do not
retry are not retried, that the server ends up holding each document
exactly once, and that a non-idempotent batch ($inc) whose reply was lost
is never sent again and is reported with an unknown outcome."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import wiretest  # noqa: E402
from wireproxy import matcher  # noqa: E402
from wiretest import values  # noqa: E402


def err(code, name, labels=None):
    doc = {"ok": 0.0, "code": code, "codeName": name, "errmsg": "injected %s" % name}
    if labels:
        doc["errorLabels"] = labels
    return doc


# a retryable error that changes nothing in the driver's view of the server
# (no rescan), so that the gaps between attempts are the backoff alone
TIMEOUT = err(262, "ExceededTimeLimit")

# a non-idempotent row lost after it may have reached the server: in
# doubt (code IN_DOUBT), not sent again (issue 15)
LOST = ("in doubt: the connection was lost (Failed to send \"update\" command with database \"%s\": Failed to read 4 "
        "bytes: socket error or timeout): this row may or may not have been written, and it was not sent again because "
        "its update is not idempotent ($inc, $mul, $push or a pipeline)")
IN_DOUBT_END = ("%d %s failed, %d of them in doubt: they may or may not have been written, and their writes are not "
                "idempotent, so they were not sent again (inDoubt lists them)")


class WireRetryTest(wiretest.WireCase):
    def gaps(self, cmds):
        return [b.time - a.time for a, b in zip(cmds, cmds[1:])]

    def assert_backoff(self, cmds, backoff_ms, slack):
        """Each gap k (0-based) is at least backoff * 2^k, and not much more."""
        gaps = self.gaps(cmds)
        for k, g in enumerate(gaps):
            low = backoff_ms / 1000.0 * 2 ** k
            self.assertGreaterEqual(g, low, "gap %d: %s" % (k, gaps))
            self.assertLess(g, low + slack, "gap %d: %s" % (k, gaps))

    def test_every_statement_kind_retries_with_exponential_backoff(self):
        self.db.p.insert_many([{"_id": i, "k": "k%d" % i, "v": 0} for i in range(1, 5)])
        cases = [
            ("insert", "c", "BULK INSERT INTO c (_id, v) VALUES (1, 1), (2, 2), (3, 3)",
             lambda: self.assertEqual(self.docs("c"), [{"_id": i, "v": i} for i in (1, 2, 3)])),
            ("update", "p", "BULK UPDATE p SET v = v.x FROM (VALUES ('k1', 7), ('k2', 8)) AS v(k, x) WHERE p.k = v.k",
             lambda: self.assertEqual([d["v"] for d in self.docs("p")], [7, 8, 0, 0])),
            ("update", "u", "BULK UPSERT INTO u (_id, v) VALUES (1, 1), (2, 2) ON CONFLICT (_id) DO UPDATE SET v = 9",
             lambda: self.assertEqual(self.docs("u"), [{"_id": 1, "v": 9}, {"_id": 2, "v": 9}])),
            ("update", "p", "BULK UPDATE p SET v = 5 WHERE _id <= 2",
             lambda: self.assertEqual([d["v"] for d in self.docs("p")], [5, 5, 0, 0])),
            ("delete", "p", "BULK DELETE FROM p WHERE _id >= 3",
             lambda: self.assertEqual([d["_id"] for d in self.docs("p")], [1, 2])),
        ]
        for name, coll, stmt, check in cases:
            with self.subTest(stmt=stmt):
                self.proxy.reset()
                self.proxy.clear_faults()
                fault = self.proxy.inject(matcher(name, coll=coll), "reply", times=3, reply=TIMEOUT)
                r = self.wire(stmt + " WITH (retry_attempts = 3, retry_backoff_ms = 150);")
                self.assertEqual(r.rc, 0, r)
                self.assertEqual(r.results[0]["retries"], 3)
                self.assertEqual(len(fault.hits), 3)
                cmds = self.user_writes(coll)
                # one command per batch (also on a server that loses update
                # counts: these updates are idempotent)
                self.assertEqual(len(cmds), 4, cmds)
                self.assertEqual([c.action for c in cmds], ["reply"] * 3 + ["forward"])
                self.assertEqual({repr(c.documents) for c in cmds}, {repr(cmds[0].documents)},
                                 "every attempt sends the same batch")
                self.assert_backoff(cmds, 150, 1.0)
                check()

    def test_retryable_codes_labels_and_lost_connections(self):
        cases = [
            ("reply", err(91, "ShutdownInProgress")),
            ("reply", err(189, "PrimarySteppedDown")),
            ("reply", err(10107, "NotWritablePrimary")),
            ("reply", err(11600, "InterruptedAtShutdown")),
            ("reply", err(50, "MaxTimeMSExpired", ["RetryableWriteError"])),
            ("close", None),
        ]
        for i, (action, reply) in enumerate(cases):
            with self.subTest(action=action, reply=reply):
                coll = "c%d" % i
                self.proxy.reset()
                self.proxy.clear_faults()
                self.proxy.inject(matcher("insert", coll=coll), action, times=2, reply=reply)
                r = self.wire("BULK INSERT INTO %s (_id) VALUES (1), (2), (3) WITH (retry_attempts = 2, "
                              "retry_backoff_ms = 600);" % coll)
                self.assertEqual(r.rc, 0, r)
                res = r.results[0]
                self.assertEqual((res["nInserted"], res["nFailed"], res["retries"]), (3, 0, 2))
                cmds = self.user_writes(coll)
                self.assertEqual(len(cmds), 3)
                # a not-primary or shutdown error, or a lost connection, makes
                # the driver check the server again (at most every 500 ms):
                # the gaps may be longer than the backoff by that much
                self.assert_backoff(cmds, 600, 1.0)
                self.assertEqual(self.docs(coll), [{"_id": 1}, {"_id": 2}, {"_id": 3}])

    def test_retrying_stops_at_retry_attempts(self):
        for attempts in (0, 2):
            with self.subTest(retry_attempts=attempts):
                coll = "c%d" % attempts
                self.proxy.reset()
                self.proxy.clear_faults()
                self.proxy.inject(matcher("insert", coll=coll), "close", times=100)
                r = self.wire("BULK INSERT INTO %s (_id) VALUES (1), (2), (3) WITH (retry_attempts = %d, "
                              "retry_backoff_ms = 50);" % (coll, attempts))
                self.assertEqual(r.rc, 2, r)
                res = r.results[0]
                self.assertEqual(res["error"], 'lost the server during batch 1: Failed to send "insert" command with '
                                               'database "%s": Failed to read 4 bytes: socket error or timeout%s'
                                 % (self.dbname, " (after 2 retries; retry_attempts = 2)" if attempts else ""))
                self.assertEqual(res.get("retries", 0), attempts)
                # the rows of the lost batch failed, with an unknown outcome
                doubt = ("the connection was lost%s: this row may or may not have been written (Failed to send "
                         '"insert" command with database "%s": Failed to read 4 bytes: socket error or timeout)'
                         % (" and 2 retries ran out" if attempts else " (retry_attempts = 0)", self.dbname))
                self.assertEqual((res["nInserted"], res["nFailed"]), (0, 3))
                self.assertEqual([(e["row"], e["errmsg"]) for e in res["writeErrors"]], [(i, doubt) for i in (1, 2, 3)])
                self.assertEqual(len(self.user_writes(coll)), attempts + 1)
                self.assertEqual(self.docs(coll), [])
                # the batch that ended the statement has its error record
                [rec] = self.db.bulk_operation_errors.find({"operationId": res["operationId"]})
                self.assertEqual((rec["batchIndex"], rec["firstRow"], rec["errorMessage"]), (0, 1, doubt))
                self.assertEqual([w["row"] for w in rec["writeErrors"]], [1, 2, 3])

    def test_retrying_stops_at_retry_attempts_for_updates_and_deletes(self):
        self.db.p.insert_many([{"_id": i, "k": "k%d" % i, "v": 0} for i in range(1, 4)])
        before = self.docs("p")
        for name, stmt in (("update", "BULK UPDATE p SET v = v.x FROM (VALUES ('k1', 1)) AS v(k, x) WHERE p.k = v.k"),
                           ("update", "BULK UPSERT INTO p (_id, v) VALUES (9, 9) ON CONFLICT (_id) DO NOTHING"),
                           ("update", "BULK UPDATE p SET v = 1 WHERE TRUE"),
                           ("delete", "BULK DELETE FROM p WHERE TRUE")):
            with self.subTest(stmt=stmt):
                self.proxy.reset()
                self.proxy.clear_faults()
                self.proxy.inject(matcher(name, coll="p"), "reply", times=100, reply=TIMEOUT)
                r = self.wire(stmt + " WITH (retry_attempts = 1, retry_backoff_ms = 10);")
                self.assertEqual(r.rc, 1, r)
                res = r.results[0]
                self.assertEqual(res["error"], "the server refused batch 1: injected ExceededTimeLimit "
                                               "(after 1 retry; retry_attempts = 1)")
                self.assertEqual((res["retries"], len(self.user_writes("p"))), (1, 2))
                self.assertEqual(self.docs("p"), before)
                # the batch's error record: its row (or, for stored
                # documents, the batch) with an unknown outcome
                [rec] = self.db.bulk_operation_errors.find({"operationId": res["operationId"]})
                [we] = rec["writeErrors"]
                self.assertEqual((rec["errorMessage"], rec["errorCode"]), (we["errmsg"], 262))
                if "WHERE TRUE" in stmt:
                    self.assertNotIn("row", we)
                    self.assertEqual(we["errmsg"], "the server failed the batch and 1 retry ran out; documents of this "
                                     "batch may or may not have been written: injected ExceededTimeLimit (of the "
                                     "batch's 3 documents, 0 were reported %s)" % ("deleted" if name == "delete"
                                                                                   else "updated"))
                else:
                    self.assertEqual((we["row"], we["errmsg"]), (1, "the server failed the batch and 1 retry ran "
                                     "out: this row may or may not have been written (injected ExceededTimeLimit)"))

    def test_errors_the_drivers_do_not_retry_are_not_retried(self):
        self.proxy.inject(matcher("insert", coll="c"), "reply", times=5, reply=err(2, "BadValue"))
        r = self.wire("BULK INSERT INTO c (_id) VALUES (1), (2) WITH (retry_attempts = 5, retry_backoff_ms = 10);")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.results[0]["error"], "the server refused batch 1: injected BadValue")
        self.assertNotIn("retries", r.results[0])
        self.assertEqual(len(self.user_writes("c")), 1)
        self.assertEqual(self.docs("c"), [])

    def test_insert_whose_reply_was_lost_is_not_written_twice(self):
        # rows without _id: BulkQL gives each an ObjectId before sending, so
        # a batch the server applied but whose reply was lost is found on
        # the server, counted, and not sent again
        self.proxy.inject(matcher("insert", coll="c", nth=2), "close_after")
        r = self.wire("BULK INSERT INTO c (v) VALUES %s WITH (batch_size = 4, retry_attempts = 3, "
                      "retry_backoff_ms = 20);" % values(str(i) for i in range(1, 11)))
        self.assertEqual(r.rc, 0, r)
        res = r.results[0]
        self.assertEqual((res["nInserted"], res["nFailed"], res["retries"], res["batches"]), (10, 0, 1, 3))
        cmds = self.user_writes("c")
        self.assertEqual([[d["v"] for d in c.documents] for c in cmds], [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]])
        self.assertEqual(cmds[1].action, "close_after")
        # the lost batch was looked for by _id, and found
        [find] = [c for c in self.proxy.commands("find", coll="c")]
        self.assertEqual(find.body["filter"], {"_id": {"$in": [d["_id"] for d in cmds[1].documents]}})
        self.assertGreater(find.time, cmds[1].time)
        self.assertLess(find.time, cmds[2].time)
        stored = self.docs("c")
        self.assertEqual(sorted(d["v"] for d in stored), list(range(1, 11)))
        self.assertEqual(sorted(d["_id"] for d in stored), sorted(d["_id"] for c in cmds for d in c.documents))

    def test_a_partly_lost_batch_sends_only_what_the_server_lacks(self):
        # the first attempt's connection closes before the server sees it;
        # the second is applied and its reply lost; the third finds every
        # row on the server and sends nothing
        self.proxy.inject(matcher("insert", coll="c", nth=1), "close")
        self.proxy.inject(matcher("insert", coll="c", nth=2), "close_after")
        r = self.wire("BULK INSERT INTO c (_id) VALUES (1), (2), (3) WITH (retry_attempts = 3, retry_backoff_ms = 20);")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual((r.results[0]["nInserted"], r.results[0]["retries"]), (3, 2))
        self.assertEqual([c.action for c in self.user_writes("c")], ["close", "close_after"])
        self.assertEqual(len(self.proxy.commands("find", coll="c")), 2)
        self.assertEqual(self.docs("c"), [{"_id": 1}, {"_id": 2}, {"_id": 3}])

    def test_idempotent_update_from_and_upsert_whose_reply_was_lost_are_sent_again(self):
        self.db.p.insert_many([{"_id": i, "k": "k%d" % i, "v": 0} for i in range(1, 4)])
        self.db.u.insert_one({"_id": 1, "v": 0})
        self.proxy.inject(matcher("update", coll="p"), "close_after")
        self.proxy.inject(matcher("update", coll="u"), "close_after")
        r = self.wire(
            "BULK UPDATE p SET v = v.x FROM (VALUES ('k1', 5), ('k3', 6)) AS v(k, x) WHERE p.k = v.k "
            "WITH (retry_attempts = 2, retry_backoff_ms = 20);"
            "BULK UPSERT INTO u (_id, v) VALUES (1, 5), (2, 6) ON CONFLICT (_id) DO UPDATE SET v = EXCLUDED.v "
            "WITH (retry_attempts = 2, retry_backoff_ms = 20);")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.docs("p"), [{"_id": 1, "k": "k1", "v": 5}, {"_id": 2, "k": "k2", "v": 0},
                                          {"_id": 3, "k": "k3", "v": 6}])
        self.assertEqual(self.docs("u"), [{"_id": 1, "v": 5}, {"_id": 2, "v": 6}])
        for coll, res in (("p", r.results[0]), ("u", r.results[1])):
            cmds = self.user_writes(coll)
            # one command per batch (also on a server that loses update
            # counts: these updates are idempotent), lost and sent again
            self.assertEqual([c.action for c in cmds], ["close_after", "forward"])
            # (u: the row whose document the lost attempt created is not
            # sent again)
            self.assertEqual(cmds[0].documents[:len(cmds[1].documents)], cmds[1].documents)
            self.assertEqual(res["retries"], 1)
        # the counts are those of the attempts whose reply came: the lost
        # attempt had already written, so its retry modified nothing; the
        # document it created (_id 2, absent before the batch) is found
        # stored and counted as upserted, not sent again
        lost_u = self.user_writes("u")[0].reply
        self.assertEqual((lost_u["n"], lost_u["nModified"], [x["_id"] for x in lost_u["upserted"]]), (2, 1, [2]))
        self.assertEqual([len(c.documents) for c in self.user_writes("u")], [2, 1])
        self.assertEqual((r.results[0]["nMatched"], r.results[0]["nModified"]), (2, 0))
        self.assertEqual((r.results[1]["nMatched"], r.results[1]["nModified"], r.results[1]["nUpserted"]),
                         (1, 0, 1))
        self.assertEqual(r.results[1]["upserted"], [{"row": 2, "_id": 2}])

    def test_non_idempotent_update_from_whose_reply_was_lost_is_applied_once(self):
        self.db.acc.insert_many([{"_id": i, "k": "k%d" % i, "hits": 0} for i in range(1, 7)])
        # the server applies the command of row 4 in batch 2 ($inc): the
        # whole batch, or row 4 alone where each row is a command of its
        # own (lossy servers); then the connection closes
        lossy = self.lossy_updates()
        self.proxy.inject(matcher("update", coll="acc", nth=4 if lossy else 2), "close_after")
        r = self.wire("BULK UPDATE acc SET hits = hits + 1 FROM (VALUES %s) AS v(k) WHERE acc.k = v.k "
                      "WITH (batch_size = 2, retry_attempts = 5, retry_backoff_ms = 20);"
                      % values("'k%d'" % i for i in range(1, 7)))
        self.assertEqual(r.rc, 1, r)
        res = r.results[0]
        cmds = self.user_writes("acc")
        self.assertEqual([c.action for c in cmds], ["forward"] * (3 if lossy else 1) + ["close_after"] +
                         ["forward"] * (2 if lossy else 1), "the lost command was sent again")
        self.assertEqual(cmds[3 if lossy else 1].reply["nModified"], 1 if lossy else 2)
        self.assertEqual([d["hits"] for d in self.docs("acc")], [1, 1, 1, 1, 1, 1])
        # the server came back: the rows in doubt are reported IN_DOUBT
        # (not sent again), and the statement went on with the next batch
        doubt = [4] if lossy else [3, 4]
        self.assertEqual(res["error"], IN_DOUBT_END % (len(doubt), "row" if lossy else "rows", len(doubt)))
        self.assertEqual([(e["row"], e["code"], e["errmsg"]) for e in res["writeErrors"]],
                         [(i, "IN_DOUBT", LOST % self.dbname) for i in doubt])
        self.assertEqual(res["inDoubt"], [{"row": i} for i in doubt])
        self.assertEqual((res["nMatched"], res["nFailed"], res["nInDoubt"], res.get("nNotAttempted", 0), res["batches"]),
                         (6 - len(doubt), len(doubt), len(doubt), 0, 3))
        self.assertEqual(res["retries"], 1)
        [rec] = self.db.bulk_operation_errors.find({"operationId": res["operationId"]})
        self.assertEqual((rec["batchIndex"], rec["firstRow"], [w["row"] for w in rec["writeErrors"]]), (1, 3, doubt))

    def test_non_idempotent_update_where_whose_reply_was_lost_is_in_doubt_and_applied_once(self):
        self.db.acc.insert_many([{"_id": i, "hits": 0} for i in range(1, 7)])
        self.proxy.inject(matcher("update", coll="acc", nth=2), "close_after")
        r = self.wire("BULK UPDATE acc SET hits = hits + 1 WHERE TRUE "
                      "WITH (batch_size = 2, retry_attempts = 5, retry_backoff_ms = 20);")
        self.assertEqual(r.rc, 1, r)
        res = r.results[0]
        cmds = self.user_writes("acc")
        # the lost batch is not sent again; its documents are in doubt, each
        # by its _id, and the statement goes on with the next batch
        self.assertEqual([c.action for c in cmds], ["forward", "close_after", "forward"],
                         "the lost batch was sent again")
        self.assertEqual([self.ids_of(c) for c in cmds], [[1, 2], [3, 4], [5, 6]])
        self.assertEqual([d["hits"] for d in self.docs("acc")], [1, 1, 1, 1, 1, 1])
        self.assertEqual(res["error"], IN_DOUBT_END % (2, "documents", 2))
        doubt = ('in doubt: the connection was lost (Failed to send "update" command with database "%s": Failed to '
                 'read 4 bytes: socket error or timeout): this document may or may not have been updated, and the '
                 'batch was not sent again because its update is not idempotent ($inc, $mul, $push or a pipeline)'
                 % self.dbname)
        self.assertEqual([(e["_id"], e["code"], e["errmsg"]) for e in res["writeErrors"]],
                         [(3, "IN_DOUBT", doubt), (4, "IN_DOUBT", doubt)])
        self.assertEqual(res["inDoubt"], [{"_id": 3}, {"_id": 4}])
        self.assertEqual((res["nMatched"], res["nFailed"], res["nInDoubt"], res["batches"]), (4, 2, 2, 3))
        [rec] = self.db.bulk_operation_errors.find({"operationId": res["operationId"]})
        self.assertEqual((rec["batchIndex"], rec["batchSize"], rec["errorMessage"]), (1, 2, doubt))
        self.assertEqual([(w["_id"], w["code"]) for w in rec["writeErrors"]], [(3, "IN_DOUBT"), (4, "IN_DOUBT")])
        # the operation ends Failed for its rows in doubt alone, nothing in flight
        [op] = self.db.bulkql_operations.find({"_id": res["operationId"]})
        self.assertEqual((op["state"], op["counters"]["nFailed"], op["counters"]["nInDoubt"],
                          op["checkpoint"].get("inFlightIds", [])), ("Failed", 2, 2, []))

    def test_non_idempotent_update_where_reads_on_after_the_last_id_written_when_its_cursor_is_lost(self):
        # bug L of issue 15: the read of the matching documents (a getMore)
        # is lost; an $inc cannot read again from the start, it reads on
        # after the last _id of the batches written (the scan is in _id
        # order), so every document is updated once and none is skipped
        self.db.acc.insert_many([{"_id": i, "hits": 0} for i in range(1, 8)])
        self.proxy.inject(matcher("getMore", nth=1), "close_after")
        r = self.wire("BULK UPDATE acc SET hits = hits + 1 WHERE TRUE "
                      "WITH (batch_size = 2, retry_attempts = 5, retry_backoff_ms = 20);")
        self.assertEqual(r.rc, 0, r)
        res = r.results[0]
        self.assertEqual([d["hits"] for d in self.docs("acc")], [1] * 7)
        self.assertEqual([self.ids_of(c) for c in self.user_writes("acc")], [[1, 2], [3, 4], [5, 6], [7]])
        self.assertEqual((res["nMatched"], res["nModified"], res.get("nFailed", 0), res["retries"]), (7, 7, 0, 1))
        finds = [c.body["filter"] for c in self.proxy.commands("find", coll="acc")]
        self.assertEqual(len(finds), 2, finds)
        self.assertEqual(finds[0], {})
        self.assertEqual(finds[1]["$and"][0], {})
        self.assertEqual(finds[1]["$and"][1]["$or"][0], {"_id": {"$gt": 2}})
        [op] = self.db.bulkql_operations.find({"_id": res["operationId"]})
        self.assertEqual(op["state"], "Complete")

    def test_delete_whose_reply_was_lost_is_sent_again_and_the_read_goes_on(self):
        self.db.p.insert_many([{"_id": i} for i in range(1, 8)])
        self.proxy.inject(matcher("delete", coll="p", nth=2), "close_after")
        r = self.wire("BULK DELETE FROM p WHERE TRUE WITH (batch_size = 2, retry_attempts = 3, retry_backoff_ms = 20);")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.docs("p"), [])
        res = r.results[0]
        cmds = self.user_writes("p")
        self.assertEqual(cmds[1].action, "close_after")
        self.assertEqual(self.ids_of(cmds[2]), self.ids_of(cmds[1]))
        # every _id was named by a delete that the server answered
        named = [i for c in cmds for i in self.ids_of(c)]
        self.assertEqual(sorted(set(named)), list(range(1, 8)))
        # nRemoved counts what bulkql was told: the documents removed by
        # the attempt whose reply was lost are not in it
        lost = cmds[1].reply["n"]
        self.assertEqual(lost, 2)
        self.assertEqual(res["nRemoved"], 7 - lost)
        # the delete was sent again, and the read of the matching documents
        # went on: writes go on a connection of their own (so that a cancel
        # can abandon one), and the lost one did not take the read's cursor
        self.assertEqual(res["retries"], 1)
        self.assertEqual(len(self.proxy.commands("find", coll="p")), 1)

    def test_archival_writes_are_retried(self):
        for step in ("archive insert lost", "archive insert applied, reply lost", "delete applied, reply lost"):
            with self.subTest(step=step):
                self.db.src.drop()
                self.db.arch.drop()
                self.proxy.reset()
                self.proxy.clear_faults()
                docs = [{"_id": i, "n": i} for i in range(1, 8)]
                self.db.src.insert_many(docs)
                if step == "archive insert lost":
                    self.proxy.inject(matcher("insert", coll="arch", nth=2), "close")
                elif step == "archive insert applied, reply lost":
                    self.proxy.inject(matcher("insert", coll="arch", nth=2), "close_after")
                else:
                    self.proxy.inject(matcher("delete", coll="src", nth=2), "close_after")
                r = self.wire("BULK DELETE FROM src WHERE TRUE WITH ARCHIVAL_STRATEGY (archive_collection = 'arch') "
                              "WITH DELETE_OPTIONS (batch_size = 3, retry_attempts = 3, retry_backoff_ms = 20);")
                self.assertEqual(r.rc, 0, r)
                res = r.results[0]
                # the write sent again; the read went on (writes have a
                # connection of their own: the lost one held no cursor)
                self.assertEqual(res["retries"], 1)
                self.assertEqual(len(self.proxy.commands("find", coll="src")), 1)
                self.assertEqual(self.docs("src"), [])
                arch = self.docs("arch")
                self.assertEqual([{"_id": d["_id"], "n": d["n"]} for d in arch], docs)
                self.assertEqual(res["nArchived"], 7)
                # the archive received every document before its delete
                writes = self.user_writes()
                for d in docs:
                    first_archive = min(c.time for c in writes if c.collection == "arch" and c.reply and
                                        any(x.get("_id", x.get("q", {}).get("_id")) == d["_id"] for x in c.documents))
                    deletes = [c.time for c in writes if c.collection == "src" and d["_id"] in self.ids_of(c)]
                    self.assertTrue(deletes and min(deletes) > first_archive, (d, writes))


if __name__ == "__main__":
    wiretest.bqltest.main()
