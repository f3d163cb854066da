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
ARCHIVE_REPLACE. Here: the live process for WRITE_ERROR_RECORD,
WRITE_METRICS, DUPLICATE_KEY_UPDATE and the operation document's own
writes (OPEN_OPERATION, MARK_IN_FLIGHT, CHECKPOINT, FINISH_OPERATION);
and, for every batch step kind and a checkpoint, a reply that never comes
while bulkql is killed, then the resume. Everything runs on 127.0.0.1 and
every wait is bounded."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import faultops  # noqa: E402
import faults  # noqa: E402
import wiretest  # noqa: E402
from wireproxy import matcher  # noqa: E402

NOT_SENT_AGAIN = ("in doubt: the connection was lost (Failed to send \"update\" command with database \"%s\": Failed "
                  "to read 4 bytes: socket error or timeout): this row may or may not have been written, and it was "
                  "not sent again because its update is not idempotent ($inc, $mul, $push or a pipeline)")


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
        self.assertEqual([(e["row"], e["code"], e["errmsg"]) for e in res["writeErrors"]],
                         [(i, "IN_DOUBT", NOT_SENT_AGAIN % self.dbname) for i in doubt])
        updates = self.user_writes("ev")[1:]
        self.assertEqual([u.action for u in updates], ["close_after"] + ["forward"] * lossy)
        if lossy:
            self.assertNotEqual(updates[0].documents, updates[1].documents, "the lost $inc was sent again")
        self.assertEqual(self.docs("ev"), [{"_id": 1, "n": 11}, {"_id": 2, "n": 12}, {"_id": 3, "n": 30}])
        [rec] = self.db.bulk_operation_errors.find({"operationId": res["operationId"]})
        self.assertEqual([(w["row"], w["errmsg"]) for w in rec["writeErrors"]],
                         [(i, NOT_SENT_AGAIN % self.dbname) for i in doubt])

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

    def test_drop_whose_reply_was_lost_is_resolved(self):
        # DROP (drop = true): the server dropped the collection and the
        # reply was lost; the drop is sent again after the wait, finds the
        # collection gone (NamespaceNotFound: done) and the load goes on
        # (before, the statement failed: "lost the server while dropping")
        self.db.c.insert_many([{"_id": 1, "v": "old"}, {"_id": 9, "v": "old"}])
        self.proxy.inject(matcher("drop", coll="c", nth=1), "close_after")
        r = self.wire("BULK INSERT INTO c (_id, v) VALUES (1, 1), (2, 2) WITH (drop = true, retry_backoff_ms = 20);")
        self.assertEqual(r.rc, 0, r)
        res = r.results[0]
        self.assertEqual((res["nInserted"], res["nFailed"]), (2, 0), res)
        self.assertEqual([c.action for c in self.proxy.commands("drop", coll="c")], ["close_after", "forward"])
        self.assertEqual(self.docs("c"), [{"_id": 1, "v": 1}, {"_id": 2, "v": 2}])


class ResumeAfterLostReplyTest(wiretest.WireCase):
    """The server applies a command and hangs (its reply swallowed);
    bulkql is SIGKILLed while it waits; `bulkql --resume ID` must then
    resolve that command (found already written, or sent again when it
    is idempotent) or report its rows in doubt (IN_DOUBT), never send a
    non-idempotent one again."""

    def setUp(self):
        super().setUp()
        self.failed = os.path.join(self.tmpdir(), "failed.ndjson")

    def tmpdir(self):
        import shutil
        import tempfile
        d = tempfile.mkdtemp(prefix="bulkql-lost-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def failed_option(self):
        return "failed_records_file = '%s', failed_records_mode = 'append'" % self.failed

    def killed_on_swallowed(self, sql, name, coll, nth):
        """Run sql through the proxy, swallow the reply to the nth `name`
        command on coll (nth: a number, or a match function of the
        command), SIGKILL bulkql once the server has applied it. Returns
        the operation document (the only one of the database)."""
        match = nth if callable(nth) else matcher(name, coll=coll, nth=nth)
        fault = self.proxy.inject(match, "swallow")
        c = faults.BulkqlChild(["--uri", self.proxy.uri, "--db", self.dbname, "--format", "json"], sql=sql,
                               deadline=120)
        self.addCleanup(c.close)
        c.start()
        self.assertTrue(fault.wait(60), "the %s command %s never came or was never answered: %r" % (name, nth, c))
        self.assertTrue(c.kill(), c)
        self.proxy.clear_faults()
        self.assertTrue(self.proxy.wait_idle(60))
        [op] = self.db.bulkql_operations.find({})
        self.assertEqual(op["state"], "InProgress", op)
        return op

    def resume(self, op, rc=0, state="Complete"):
        """bulkql --resume through the proxy; (its result, the commands it
        sent). Rows in doubt make it fail (exit 1, state Failed)."""
        before = len(self.proxy.commands())
        r = self.wire(None, "--resume", op["_id"])
        self.assertEqual(r.rc, rc, r)
        [op] = self.db.bulkql_operations.find({"_id": op["_id"]})
        self.assertEqual(op["state"], state, op)
        self.assertEqual(op["resumes"], 1)
        return r.results[0], self.proxy.commands()[before:]

    @staticmethod
    def key_of(q, field="k"):
        """The value an update's filter gives field ({k: {$eq: 'k9'}} or
        {k: 'k9'})."""
        k = q.get(field)
        return k.get("$eq") if isinstance(k, dict) else k if k is not None else repr(q)

    def updates_sku6(self, cmd):
        return (cmd.name == "update" and cmd.collection == "u" and
                any(self.key_of(u["q"], "sku") == "s6" for u in cmd.documents))

    @staticmethod
    def same_update(u):
        return repr((u["q"], u["u"].get("$set"), u.get("upsert")))

    def in_doubt(self):
        return [r for r in faultops.read_failed_records(self.failed) if r.get("code") == "IN_DOUBT"]

    def assert_sent_from_nine(self, sent):
        """Rows 13-40 sent once each, rows 1-8 never, rows 9-12 at most once."""
        self.assertEqual(sorted(i for i in sent if i >= 13), list(range(13, 41)))
        self.assertEqual([i for i in sent if i <= 8], [])
        self.assertLessEqual(len(sent) - 28, 4)
        self.assertEqual(len(set(sent)), len(sent))

    def claim_lost(self, action):
        """The resume's claim (the first update of the operation after the
        kill) is lost with `action`: the resume must resolve it (sent
        again, or found applied by reading the document) and go on. Before,
        it failed at once: "cannot mark the operation InProgress"."""
        path = self.ndjson({"_id": i} for i in range(1, 13))
        op = self.killed_on_swallowed("BULK INSERT INTO c FROM '%s' WITH (batch_size = 4, retry_backoff_ms = 20);"
                                      % path, "insert", "c", 2)
        self.proxy.inject(matcher("update", coll="bulkql_operations", nth=1), action)
        res, cmds = self.resume(op)
        self.assertEqual((res["nInserted"], res["nFailed"], res["resumes"]), (12, 0, 1), res)
        self.assertEqual(self.docs("c"), [{"_id": i} for i in range(1, 13)])
        claims = [c for c in cmds if c.name == "update" and c.collection == "bulkql_operations" and
                  "resumes" in c.documents[0]["u"].get("$set", {})]
        # the claim: on the state, heartbeat and claim read; resumes 1 from then on
        self.assertEqual([c.documents[0]["q"]["resumes"] for c in claims], [0] * len(claims))
        self.assertEqual({c.documents[0]["u"]["$set"]["resumes"] for c in claims}, {1})
        later = [c for c in cmds if c.name == "update" and c.collection == "bulkql_operations" and c not in claims]
        self.assertTrue(later)
        self.assertEqual({c.documents[0]["q"]["resumes"] for c in later}, {1})
        return claims, cmds

    def test_the_resume_s_claim_lost_before_the_server_saw_it_is_sent_again(self):
        claims, _ = self.claim_lost("close")
        self.assertEqual([c.action for c in claims], ["close", "forward"])

    def test_the_resume_s_claim_whose_reply_was_lost_is_found_applied(self):
        claims, cmds = self.claim_lost("close_after")
        # applied: the document read after the wait says this process holds
        # it, so the claim is not sent again
        self.assertEqual([c.action for c in claims], ["close_after"])
        after = cmds[cmds.index(claims[0]) + 1:]
        self.assertEqual((after[0].name, after[0].collection), ("find", "bulkql_operations"))

    def test_a_write_of_the_killed_process_landing_after_the_claim_changes_nothing(self):
        # The killed process's checkpoint after batch 2 is held in the
        # proxy (sent, not yet at the server) when it is killed; the resume
        # claims the operation (resumes 1); then the held checkpoint reaches
        # the server. Its filter has resumes 0: it matches nothing, and the
        # document stays as the claim left it (before, it matched on the
        # state alone and put back that process's checkpoint and times).
        path = self.ndjson({"_id": i} for i in range(1, 13))
        late = self.proxy.inject(matcher("update", coll="bulkql_operations", nth=2), "hold", delay=120)
        self.addCleanup(late.release)
        c = faults.BulkqlChild(["--uri", self.proxy.uri, "--db", self.dbname, "--format", "json"],
                               sql="BULK INSERT INTO c FROM '%s' WITH (batch_size = 4);" % path, deadline=120)
        self.addCleanup(c.close)
        c.start()
        self.assertTrue(faults.wait_until(lambda: late.hits, 60), c)
        self.assertTrue(c.kill(), c)
        [op] = self.db.bulkql_operations.find({})
        # the resume, held at its first batch once it has claimed the operation
        first = self.proxy.inject(matcher("insert", coll="c", nth=1), "hold", delay=120)
        self.addCleanup(first.release)
        r = faults.BulkqlChild(["--uri", self.proxy.uri, "--db", self.dbname, "--format", "json",
                                "--resume", op["_id"]], deadline=120)
        self.addCleanup(r.close)
        r.start()
        self.assertTrue(faults.wait_until(lambda: first.hits, 60), r)
        claimed = self.db.bulkql_operations.find_one({"_id": op["_id"]})
        self.assertEqual((claimed["resumes"], claimed["pid"]), (1, r.proc.pid), claimed)
        late.release()
        self.assertTrue(faults.wait_until(lambda: late.hits[0].reply_time is not None, 60))
        self.assertEqual(late.hits[0].reply["nModified"], 0, late.hits[0].reply)
        self.assertEqual(late.hits[0].documents[0]["q"]["resumes"], 0)
        self.assertEqual(self.db.bulkql_operations.find_one({"_id": op["_id"]}), claimed)
        first.release()
        res = r.wait(60)
        self.assertEqual(res.rc, 0, res)
        self.assertEqual(self.docs("c"), [{"_id": i} for i in range(1, 13)])
        done = self.db.bulkql_operations.find_one({"_id": op["_id"]})
        self.assertEqual((done["state"], done["resumes"], done["counters"]["nInserted"]), ("Complete", 1, 12))

    def test_insert_without_id(self):
        # INSERT_ROWS: batch 3 (rows 9-12) applied, its reply lost; the
        # resume never sends rows 1-8 (completed), finds 9-12 already
        # written (looked up, or refused as duplicates of their own _id)
        # and sends 13-40
        path = self.ndjson({"k": i} for i in range(1, 41))
        op = self.killed_on_swallowed("BULK INSERT INTO c FROM '%s' WITH (batch_size = 4, %s);"
                                      % (path, self.failed_option()), "insert", "c", 3)
        res, cmds = self.resume(op)
        sent = [d["k"] for c in cmds if c.name == "insert" and c.collection == "c" for d in c.documents]
        self.assert_sent_from_nine(sent)
        self.assertEqual((res["nAlreadyWritten"], res["nFailed"]), (4, 0), res)
        self.assertEqual(res["nInserted"], 40, res)  # the rows found written too
        self.assertEqual(self.docs("c", sort="k"),
                         [{"_id": faultops.deterministic_id(op["_id"], i), "k": i} for i in range(1, 41)])
        self.assertEqual(self.in_doubt(), [])

    def test_insert_with_id(self):
        path = self.ndjson({"_id": i, "v": "v%d" % i} for i in range(1, 41))
        op = self.killed_on_swallowed("BULK INSERT INTO c FROM '%s' WITH (batch_size = 4, %s);"
                                      % (path, self.failed_option()), "insert", "c", 3)
        res, cmds = self.resume(op)
        sent = [d["_id"] for c in cmds if c.name == "insert" and c.collection == "c" for d in c.documents]
        self.assert_sent_from_nine(sent)
        self.assertEqual((res["nAlreadyWritten"], res["nFailed"]), (4, 0), res)
        self.assertEqual(self.docs("c"), [{"_id": i, "v": "v%d" % i} for i in range(1, 41)])
        self.assertEqual(self.in_doubt(), [])

    def test_update_from_inc_is_in_doubt_and_not_sent_again(self):
        # UPDATE_ROWS with an $inc: the batch in flight (rows 5-8) is in
        # doubt: listed IN_DOUBT, never sent again; rows 9-12 are sent
        lossy = self.lossy_updates()
        self.db.acc.insert_many([{"_id": i, "k": "k%d" % i, "n": 0} for i in range(1, 13)])
        path = self.ndjson({"k": "k%d" % i, "d": i} for i in range(1, 13))
        op = self.killed_on_swallowed("BULK UPDATE acc SET n = n + v.d FROM '%s' AS v WHERE acc.k = v.k "
                                      "WITH (batch_size = 4, %s);" % (path, self.failed_option()),
                                      "update", "acc", 6 if lossy else 2)
        res, cmds = self.resume(op, rc=1, state="Failed")
        named = {self.key_of(u["q"]) for c in cmds if c.name == "update" and c.collection == "acc"
                 for u in c.documents}
        self.assertEqual(named, {"k%d" % i for i in range(9, 13)})
        doubt = self.in_doubt()
        self.assertEqual(sorted(r["row"] for r in doubt), [5, 6, 7, 8])
        self.assertEqual(res["nInDoubt"], 4, res)
        # the server applied rows 5 and 6 (lossy: one command a row) or
        # the whole batch; nothing twice
        applied = set(range(1, 7) if lossy else range(1, 9)) | set(range(9, 13))
        self.assertEqual([d["n"] for d in self.docs("acc")], [i if i in applied else 0 for i in range(1, 13)])

    def test_update_where_inc_is_in_doubt_and_not_sent_again(self):
        # UPDATE_BATCH with an $inc: the batch of _ids 5-8 is in doubt by
        # _id; the scan resumes after it
        self.db.acc.insert_many([{"_id": i, "n": 0} for i in range(1, 13)])
        op = self.killed_on_swallowed("BULK UPDATE acc SET n = n + 1 WHERE n >= 0 WITH (batch_size = 4, %s);"
                                      % self.failed_option(), "update", "acc", 2)
        res, cmds = self.resume(op, rc=1, state="Failed")
        ids = [i for c in cmds if c.name == "update" and c.collection == "acc" for i in self.ids_of(c)]
        self.assertEqual(sorted(ids), list(range(9, 13)))
        doubt = self.in_doubt()
        self.assertEqual(sorted(faultops.record_id(r) for r in doubt), [5, 6, 7, 8], doubt)
        self.assertEqual(res["nInDoubt"], 4, res)
        self.assertEqual([d["n"] for d in self.docs("acc")], [1] * 12)

    def test_upsert_and_update_set_are_sent_again(self):
        # UPSERT_ROWS and UPDATE_ROWS with a $set: idempotent, the command
        # whose reply was lost is sent again by the resume
        for name, sql in (("upsert", "BULK UPSERT INTO u FROM '{p}' ON CONFLICT (sku) DO UPDATE SET price = "
                                     "EXCLUDED.price WITH (batch_size = 4, {f});"),
                          ("set", "BULK UPDATE u SET price = v.price FROM '{p}' AS v WHERE u.sku = v.sku "
                                  "WITH (batch_size = 4, {f});")):
            with self.subTest(name):
                self.db.u.drop()
                self.db.bulkql_operations.drop()
                self.proxy.reset()
                self.db.u.insert_many([{"_id": i, "sku": "s%d" % i, "price": 0} for i in range(1, 13)])
                path = self.ndjson({"sku": "s%d" % i, "price": i * 10} for i in range(1, 17 if name == "upsert" else 13))
                # the command that updates s6 (batch 2, or its row alone
                # where each row is a command of its own)
                op = self.killed_on_swallowed(sql.format(p=path, f=self.failed_option()), "update", "u",
                                              self.updates_sku6)
                [lost] = [c for c in self.proxy.commands("update", coll="u") if self.updates_sku6(c)]
                res, cmds = self.resume(op)
                # sent again: the same filter and $set (an upsert's
                # $setOnInsert _id is drawn afresh)
                again = [c for c in cmds if c.name == "update" and c.collection == "u"]
                self.assertLessEqual({self.same_update(u) for u in lost.documents},
                                     {self.same_update(u) for c in again for u in c.documents})
                docs = self.db.u.find({}, sort=[("sku", 1)])
                want = sorted(("s%d" % i, i * 10) for i in range(1, 17 if name == "upsert" else 13))
                self.assertEqual(sorted((d["sku"], d["price"]) for d in docs), want)
                self.assertEqual(self.in_doubt(), [])

    def test_archive_then_delete_is_sent_again(self):
        # ARCHIVE_BATCH and DELETE_BATCH: archive ∪ source = the
        # originals, and in the end the archive holds each matching
        # document once and the source none
        for name, coll in (("insert", "arch"), ("delete", "src")):
            with self.subTest(name):
                for c in ("src", "arch", "bulkql_operations"):
                    self.db[c].drop()
                docs = [{"_id": i, "n": i} for i in range(1, 21)]
                self.db.src.insert_many(docs)
                op = self.killed_on_swallowed(
                    "BULK DELETE FROM src WHERE n > 0 WITH ARCHIVAL_STRATEGY (archive_collection = 'arch') "
                    "WITH DELETE_OPTIONS (batch_size = 4, %s);" % self.failed_option(), name, coll, 2)
                self.resume(op)
                self.assertEqual(self.docs("src"), [])
                self.assertEqual([{"_id": d["_id"], "n": d["n"]} for d in self.docs("arch")], docs)
                self.assertEqual(self.in_doubt(), [])

    def test_lost_checkpoint(self):
        # the operation's own write: the 3rd checkpoint is applied and its
        # reply lost; the resume starts from what the document holds
        path = self.ndjson({"k": i} for i in range(1, 41))
        op = self.killed_on_swallowed("BULK INSERT INTO c FROM '%s' WITH (batch_size = 4, %s);"
                                      % (path, self.failed_option()), "update", "bulkql_operations", 3)
        res, _ = self.resume(op)
        self.assertEqual(res["nInserted"], 40, res)  # the rows found written too
        self.assertEqual(self.docs("c", sort="k"),
                         [{"_id": faultops.deterministic_id(op["_id"], i), "k": i} for i in range(1, 41)])


class LostOperationWriteTest(wiretest.WireCase):
    """The operation document's own writes (OPEN_OPERATION, MARK_IN_FLIGHT,
    CHECKPOINT, FINISH_OPERATION) lose their reply in a live process:
    each is sent again (the insert's _id is the operation id, the updates
    are $set), and the statement ends Complete with one document."""

    @staticmethod
    def finish(cmd):
        return (cmd.name == "update" and cmd.collection == "bulkql_operations" and
                "'Complete'" in repr(cmd.documents))

    @staticmethod
    def marks_in_flight(cmd):
        if cmd.name != "update" or cmd.collection != "bulkql_operations":
            return False
        cp = cmd.documents[0]["u"].get("$set", {}).get("checkpoint", {})
        return bool(cp.get("inFlight"))

    def test_lost_replies_of_the_operation_document(self):
        self.proxy.inject(matcher("insert", coll="bulkql_operations", nth=1), "close_after")
        self.proxy.inject(matcher("update", coll="bulkql_operations", nth=2), "close_after")
        fin = self.proxy.inject(self.finish, "close_after")
        r = self.wire("BULK INSERT INTO c (_id) VALUES %s WITH (batch_size = 2, retry_backoff_ms = 20);"
                      % wiretest.values(str(i) for i in range(1, 11)))
        self.assertEqual(r.rc, 0, r)
        res = r.results[0]
        self.assertNotIn("logFailures", res)
        self.assertEqual(len(fin.hits), 1)
        [op] = self.db.bulkql_operations.find({})
        self.assertEqual((op["_id"], op["state"]), (res["operationId"], "Complete"))
        self.assertEqual(op["checkpoint"]["completed"], [{"first": 1, "last": 10}])
        self.assertEqual(op["counters"]["nInserted"], 10)
        self.assertEqual(self.docs("c"), [{"_id": i} for i in range(1, 11)])

    def test_lost_reply_of_the_in_flight_mark_of_an_inc(self):
        # an $inc records its batch in flight before sending it; that
        # write's reply is lost and it is sent again: the batch goes on,
        # applied once, nothing in doubt
        self.db.acc.insert_many([{"_id": i, "k": "k%d" % i, "n": 0} for i in range(1, 7)])
        mark = self.proxy.inject(self.marks_in_flight, "close_after")
        r = self.wire("BULK UPDATE acc SET n = n + v.d FROM (VALUES %s) AS v(k, d) WHERE acc.k = v.k "
                      "WITH (batch_size = 2, retry_backoff_ms = 20);"
                      % wiretest.values("'k%d', %d" % (i, i) for i in range(1, 7)))
        self.assertEqual(r.rc, 0, r)
        res = r.results[0]
        self.assertEqual((res["nModified"], res["nFailed"], res.get("nInDoubt", 0)), (6, 0, 0), res)
        self.assertEqual(len(mark.hits), 1)
        self.assertEqual(mark.hits[0].documents[0]["u"]["$set"]["checkpoint"]["inFlight"], [{"first": 1, "last": 2}])
        self.assertEqual([d["n"] for d in self.docs("acc")], [1, 2, 3, 4, 5, 6])
        [op] = self.db.bulkql_operations.find({})
        self.assertEqual((op["state"], op["checkpoint"]["inFlight"]), ("Complete", []))


if __name__ == "__main__":
    wiretest.bqltest.main()
