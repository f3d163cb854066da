"""Server features probed before anything is sent (caps.c): a statement
whose command needs a feature the server lacks (pipeline updates, TTL
indexes) is refused with the feature named, and nothing of it reaches the
server: no write command of the statement goes on the wire (recording
proxy), and the server's collections read back unchanged (pymongo). On a
server whose probe says it has the feature the command is sent as before
(MongoDB semantics), so these tests run only against a server that lacks
them."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402
import wiretest  # noqa: E402

PIPELINE = "the server does not support aggregation-pipeline updates (MongoDB 4.2)"
DATE_PARTS = ("the server does not support the $dateToParts and $dateFromParts aggregation operators (MongoDB 3.6), "
              "needed by DATE and DATE_TRUNC on a server without $dateTrunc")
TTL = "the server does not support TTL indexes (expireAfterSeconds), needed by retention_period"
WRITES = ("insert", "update", "delete", "createIndexes", "drop", "findAndModify", "aggregate")


class ProbeRefusalTest(wiretest.WireCase):
    def setUp(self):
        super().setUp()
        info = self.client.admin.command("buildInfo")
        if "ferretdbVersion" not in info:
            self.skipTest("the server has pipeline updates and TTL indexes: the commands are sent")
        self.why = "FerretDB has none"

    def sent(self):
        """The statement's commands that could write, but for its log."""
        return [c for c in self.proxy.commands(name=WRITES, db=self.dbname)
                if c.collection not in wiretest.LOG_COLLECTIONS]

    def snapshot(self):
        """Every collection of the database but the log ones: documents
        and indexes."""
        return {name: (list(self.db[name].find(sort=[("_id", 1)])), self.db[name].index_information())
                for name in self.db.list_collection_names() if name not in wiretest.LOG_COLLECTIONS}

    def test_retention_period_refused_by_the_probe_writes_nothing_at_all(self):
        self.db.logs.insert_many([{"_id": i, "n": i} for i in range(1, 4)])
        before = self.snapshot()
        sql = ("BULK DELETE FROM logs WHERE TRUE WITH ARCHIVAL_STRATEGY "
               "(archive_collection = 'arch', retention_period = '2 years');")
        r = self.bulkql("--uri", self.proxy.uri, sql=sql)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(r.err, "bulkql: error: %s: %s, so nothing was sent (BULK DELETE %s.logs at <command>:1)\n"
                         % (TTL, self.why, self.dbname))
        self.assertEqual(self.sent(), [])
        # no archive, no index, no document touched; no error record (no
        # batch ran), and the statement's metrics say it failed
        self.assertEqual(self.snapshot(), before)
        self.assertNotIn("bulk_operation_errors", self.db.list_collection_names())
        [m] = self.db.bulk_operation_metrics.find()
        self.assertEqual((m["status"], m["nRemoved"], m["nArchived"]), ("Failed", 0, 0))

    def test_pipeline_update_where_refused_by_the_probe_is_not_sent(self):
        self.db.p.insert_many([{"_id": i, "price": 2.5, "stock": i} for i in range(1, 4)])
        before = self.snapshot()
        r = self.wire("BULK UPDATE p SET total = price * stock WHERE TRUE;")
        self.assertEqual(r.rc, 1, r)
        res = r.results[0]
        self.assertEqual(res["error"], "%s: %s, so the update was not sent" % (PIPELINE, self.why))
        self.assertEqual((res["nMatched"], res["nModified"], res["nFailed"]), (0, 0, 3))
        self.assertEqual([(e["code"], e["errmsg"]) for e in res["writeErrors"]],
                         [(0, "not written: %s: %s, so the update was not sent" % (PIPELINE, self.why))])
        self.assertEqual(self.sent(), [])
        self.assertEqual(self.snapshot(), before)
        # the batch's error record says so
        [rec] = self.db.bulk_operation_errors.find()
        self.assertEqual((rec["errorCode"], rec["errorMessage"]), (0, res["writeErrors"][0]["errmsg"]))

    def test_pipeline_update_from_rows_refused_by_the_probe_is_not_sent(self):
        self.db.p.insert_many([{"_id": i, "sku": "s%d" % i, "price": 2.5} for i in range(1, 4)])
        before = self.snapshot()
        r = self.wire("BULK UPDATE p SET total = price * v.qty FROM (VALUES ('s1', 2), ('s2', 3)) AS v(sku, qty) "
                      "WHERE p.sku = v.sku;")
        self.assertEqual(r.rc, 1, r)
        res = r.results[0]
        self.assertEqual(res["error"], "%s: %s, so the update was not sent" % (PIPELINE, self.why))
        self.assertEqual(res["writeErrors"][0]["errmsg"],
                         "not written: %s: %s, so the update was not sent" % (PIPELINE, self.why))
        self.assertEqual(self.sent(), [])
        self.assertEqual(self.snapshot(), before)

    def test_on_duplicate_key_pipeline_inserts_and_refuses_only_the_update(self):
        self.db.ev.insert_one({"_id": 1, "n": 4})
        r = self.wire("BULK INSERT INTO ev (_id, n) VALUES (1, 10), (2, 20) ON DUPLICATE KEY UPDATE total = n * 2;")
        self.assertEqual(r.rc, 1, r)
        res = r.results[0]
        self.assertEqual((res["nInserted"], res["nFailed"]), (1, 1))
        self.assertEqual([(e["row"], e["errmsg"]) for e in res["writeErrors"]],
                         [(1, "not written: %s: %s, so the update was not sent" % (PIPELINE, self.why))])
        # the insert went; the follow-up update did not
        self.assertEqual([c.name for c in self.sent()], ["insert"])
        self.assertEqual(self.docs("ev"), [{"_id": 1, "n": 4}, {"_id": 2, "n": 20}])

    def test_date_truncation_without_date_truncation_operators_is_not_sent(self):
        # no $dateTrunc: the pipeline from $dateToParts is the choice, and
        # the server has that neither; refused for every unit, with or
        # without $merge in the statement's choices, reading nothing
        import datetime
        self.db.ev.insert_many([{"_id": i, "ts": datetime.datetime(2024, 1, i, 10, 30)} for i in range(1, 4)])
        before = self.snapshot()
        for select in ("SELECT DATE(ts) AS d, COUNT(*) AS n FROM ev GROUP BY DATE(ts)",
                       "SELECT _id, DATE_TRUNC('week', ts) AS w FROM ev",
                       "SELECT _id FROM ev WHERE DATE_TRUNC('quarter', ts) = TIMESTAMP '2024-01-01T00:00:00Z'",
                       "SELECT _id, DATE_TRUNC('second', ts) AS s FROM ev WITH (server_side = false)"):
            with self.subTest(select=select):
                r = self.bulkql("--uri", self.proxy.uri, sql="BULK INSERT INTO out %s;" % select)
                self.assertEqual(r.rc, 1, r)
                self.assertEqual(r.err, "bulkql: error: %s: %s, so nothing was sent (BULK INSERT %s.out at "
                                 "<command>:1)\n" % (DATE_PARTS, self.why, self.dbname))
                self.assertEqual(self.proxy.commands(name="aggregate", db=self.dbname), [])
                self.assertEqual(self.sent(), [])
                self.assertEqual(self.snapshot(), before)


class IdLookupScansTest(wiretest.WireCase):
    """caps.c's id_lookup_scans, judged by the server's version (FerretDB
    before 2.0), is what the server's explain says of the two lookups on
    a collection that exists: {_id: v} is pushed down to its database,
    {_id: {$in: [...]}} is not (every document is decoded). The upserts'
    read of every stored _id once per statement rests on it."""

    def test_the_version_probe_agrees_with_the_servers_explain(self):
        info = self.client.admin.command("buildInfo")
        if "ferretdbVersion" not in info:
            self.skipTest("the _id index serves both lookups (MongoDB)")
        self.assertTrue(self.id_lookup_scans(), info["ferretdbVersion"])
        self.db.u.insert_many([{"_id": "k%d" % i} for i in range(5)])

        def pushdown(f):
            return self.db.command("explain", {"find": "u", "filter": f}, verbosity="queryPlanner")["filterPushdown"]

        # (string _ids: the SQLite backend pushes down only string and
        # ObjectId equality)
        self.assertTrue(pushdown({"_id": "k1"}))
        self.assertFalse(pushdown({"_id": {"$in": ["k1", "k2"]}}))
        # and so the upserts read every stored _id once, not per batch
        self.proxy.reset()
        r = self.wire("BULK UPSERT INTO u (_id, v) VALUES ('k1', 'a'), ('k7', 'b'), ('k2', 'c'), ('k8', 'd') "
                      "ON CONFLICT (_id) DO UPDATE SET v = EXCLUDED.v WITH (batch_size = 2);")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual([c.body["filter"] for c in self.proxy.commands("find", coll="u", db=self.dbname)], [{}])
        self.assertEqual((r.results[0]["nMatched"], r.results[0]["nUpserted"]), (2, 2))


if __name__ == "__main__":
    bqltest.main()
