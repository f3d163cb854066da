"""BULK INSERT/UPSERT ... SELECT on the live server (issue 17): the rows
come from an aggregation over another collection, through the same
insert and upsert steps as a file load (options, error records, metrics,
row numbers = positions in the cursor). Every result is read back with
pymongo and compared with what pymongo computes from the source. What the
test server cannot compute is asserted as its clear refusal, with nothing
written."""
import datetime
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402


def events():
    """30 events of 4 users over 3 days: amounts, kinds, devices."""
    out = []
    for i in range(30):
        out.append({
            "_id": i,
            "user_id": "u%d" % (i % 4),
            "day": "2024-01-%02d" % (1 + i % 3),
            "ts": datetime.datetime(2024, 1, 1 + i % 3, i % 24, 30),
            "kind": ["view", "click", "buy"][i % 3 if i % 5 else 2],
            "amount": i * 1.25,
            "device": {"type": ["mobile", "desktop"][i % 2], "id": "d%d" % (i % 7)},
        })
    return out


class InsertSelectTest(bqltest.BulkqlCase):
    def setUp(self):
        super().setUp()
        self.src = events()
        self.db.ev.insert_many(self.src)

    def rows(self, coll):
        """coll's documents in insertion order, without _id."""
        return [{k: v for k, v in d.items() if k != "_id"} for d in self.db[coll].find({}, sort=[("_id", 1)])]

    def test_copy_with_where_aliases_json_object_order_and_limit(self):
        r = self.ok("BULK INSERT INTO buys SELECT user_id AS who, amount, device.type, "
                    "JSON_OBJECT('day', day, 'source', 'ev', 'device', JSON_OBJECT('id', device.id)) AS info "
                    "FROM ev WHERE kind = 'buy' AND amount >= 5 ORDER BY amount DESC LIMIT 4 "
                    "WITH (batch_size = 3);", "--format", "json")
        res = self.json_result(r)[0]
        want = sorted((d for d in self.src if d["kind"] == "buy" and d["amount"] >= 5),
                      key=lambda d: -d["amount"])[:4]
        self.assertEqual((res["nInserted"], res["nFailed"], res["batches"]), (4, 0, 2))
        self.assertEqual(self.rows("buys"), [
            {"who": d["user_id"], "amount": d["amount"], "device": {"type": d["device"]["type"]},
             "info": {"day": d["day"], "source": "ev", "device": {"id": d["device"]["id"]}}} for d in want])
        # every row got a new ObjectId: the source's _id was not selected
        self.assertTrue(all(isinstance(d["_id"], bson_oid()) for d in self.db.buys.find()))

    def test_column_list_names_the_select_list(self):
        self.ok("BULK INSERT INTO t (name, total) SELECT user_id, amount FROM ev WHERE _id < 3 ORDER BY _id;")
        self.assertEqual(self.rows("t"), [{"name": d["user_id"], "total": d["amount"]} for d in self.src[:3]])

    def test_select_star_copies_documents_with_their_ids(self):
        self.ok("BULK INSERT INTO copy SELECT * FROM ev WHERE user_id = 'u1';")
        self.assertEqual(self.docs("copy"), [d for d in self.src if d["user_id"] == "u1"])

    def test_row_numbers_are_cursor_positions(self):
        # the 3rd and 5th rows of the cursor (by _id) collide with stored _ids
        self.db.t.insert_many([{"_id": 4, "old": True}, {"_id": 8, "old": True}])
        fd, failed = tempfile.mkstemp(suffix=".ndjson")
        os.close(fd)
        os.unlink(failed)
        self.addCleanup(lambda: os.path.exists(failed) and os.unlink(failed))
        r = self.bulkql("--format", "json", sql=(
            "BULK INSERT INTO t SELECT _id, kind FROM ev WHERE _id IN (0, 2, 4, 6, 8, 10) ORDER BY _id "
            "WITH (ordered = false, continue_on_error = true, batch_size = 2, failed_records_file = '%s');" % failed))
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nInserted"], res["nFailed"], res["batches"]), (4, 2, 3))
        self.assertEqual([(e["row"], e["code"]) for e in res["writeErrors"]], [(3, 11000), (5, 11000)])
        recs = list(self.db.bulk_operation_errors.find({}, sort=[("batchIndex", 1)]))
        self.assertEqual([(x["batchIndex"], x["firstRow"], [w["row"] for w in x["writeErrors"]]) for x in recs],
                         [(1, 3, [3]), (2, 5, [5])])
        with open(failed) as f:
            lines = [json.loads(line) for line in f]
        self.assertEqual([(x["row"], x["document"]) for x in lines],
                         [(3, {"_id": 4, "kind": "click"}), (5, {"_id": 8, "kind": "buy"})])
        self.assertEqual(self.docs("t"), [{"_id": 0, "kind": "buy"}, {"_id": 2, "kind": "buy"},
                                          {"_id": 4, "old": True}, {"_id": 6, "kind": "view"},
                                          {"_id": 8, "old": True}, {"_id": 10, "kind": "buy"}])
        m = self.db.bulk_operation_metrics.find_one()
        self.assertEqual((m["kind"], m["collection"], m["nInserted"], m["nFailed"]),
                         ("BULK INSERT", self.dbname + ".t", 4, 2))

    def test_a_computed_column_the_server_refuses_writes_nothing(self):
        r = self.bulkql(sql="BULK INSERT INTO t SELECT user_id, amount * 2 AS double FROM ev;")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("the server refused the SELECT's aggregation pipeline", r.err)
        self.assertIn("$multiply", r.err)
        self.assertNotIn("t", self.db.list_collection_names())

    def test_reading_the_target_is_refused(self):
        r = self.bulkql(sql="BULK INSERT INTO ev SELECT user_id FROM ev;")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("the SELECT reads the collection the statement writes", r.err)
        self.assertEqual(self.db.ev.count_documents({}), 30)

    def test_dry_run_reads_the_cursor_and_writes_nothing(self):
        r = self.ok("BULK INSERT INTO t SELECT user_id FROM ev WHERE kind = 'view' WITH (dry_run = true);",
                    "--format", "json")
        res = self.json_result(r)[0]
        self.assertEqual(res["nInserted"], 0)
        self.assertNotIn("t", self.db.list_collection_names())


def bson_oid():
    import bson
    return bson.ObjectId


class GroupBySelectTest(bqltest.BulkqlCase):
    def setUp(self):
        super().setUp()
        self.src = events()
        self.db.ev.insert_many(self.src)
        # a $group's second accumulator: 0 on a test server built before
        # tools/testserver/patches/0002 (each accumulator its own iterator)
        got = list(self.db.ev.aggregate([{"$group": {"_id": None, "n": {"$sum": 1}, "s": {"$sum": "$amount"}}}]))
        self.assertEqual(got[0]["s"], sum(d["amount"] for d in self.src),
                         "the test server sums nothing after a $group's first accumulator: it lacks "
                         "tools/testserver/patches/0002-group-iterator-per-accumulator.patch (run scripts/setup)")

    def summary(self, kinds=None):
        """COUNT(*) and SUM(amount) per user per day, computed here."""
        out = {}
        for d in self.src:
            if kinds and d["kind"] not in kinds:
                continue
            k = (d["user_id"], d["day"])
            n, s = out.get(k, (0, 0))
            out[k] = (n + 1, s + d["amount"])
        return out

    def test_daily_summary_upserted_twice_updates_not_duplicates(self):
        # the reference's summary (002, BULK UPSERT ... WITH AGGREGATION_SOURCE)
        # within what the server computes: COUNT and SUM per user per day
        sql = ("WITH daily AS (SELECT user_id, day AS summary_date, COUNT(*) AS total_events, "
               "SUM(amount) AS total_value FROM ev GROUP BY user_id, day) "
               "BULK UPSERT INTO user_daily_summaries "
               "SELECT user_id, summary_date, JSON_OBJECT('events', total_events, 'value', total_value) AS metrics "
               "FROM daily "
               "ON CONFLICT (user_id, summary_date) DO UPDATE SET metrics = EXCLUDED.metrics "
               "WITH (batch_size = 5);")
        r = self.ok(sql, "--format", "json")
        res = self.json_result(r)[0]
        want = self.summary()
        self.assertEqual((res["nUpserted"], res["nMatched"], res["nFailed"]), (len(want), 0, 0))
        # the events change, and the statement runs again: the summaries are updated
        self.db.ev.insert_one({"_id": 100, "user_id": "u0", "day": "2024-01-01", "kind": "buy", "amount": 1000.0})
        self.src.append({"_id": 100, "user_id": "u0", "day": "2024-01-01", "kind": "buy", "amount": 1000.0})
        r = self.ok(sql, "--format", "json")
        res = self.json_result(r)[0]
        want = self.summary()
        self.assertEqual((res["nUpserted"], res["nMatched"], res["nModified"]), (0, len(want), 1))
        got = {(d["user_id"], d["summary_date"]): (d["metrics"]["events"], d["metrics"]["value"])
               for d in self.db.user_daily_summaries.find()}
        self.assertEqual(self.db.user_daily_summaries.count_documents({}), len(want))
        self.assertEqual(got, want)

    def test_group_by_with_where_having_order_and_limit(self):
        self.ok("BULK INSERT INTO top SELECT user_id, COUNT(*) AS n, SUM(amount) AS total FROM ev "
                "WHERE kind = 'buy' GROUP BY user_id HAVING COUNT(*) >= 2 ORDER BY total DESC LIMIT 3;")
        per_user = {}
        for d in self.src:
            if d["kind"] == "buy":
                n, s = per_user.get(d["user_id"], (0, 0))
                per_user[d["user_id"]] = (n + 1, s + d["amount"])
        want = sorted(((u, n, s) for u, (n, s) in per_user.items() if n >= 2), key=lambda x: -x[2])[:3]
        got = [(d["user_id"], d["n"], d["total"]) for d in self.db.top.find({}, sort=[("_id", 1)])]
        self.assertEqual(got, want)

    def test_count_without_group_by_is_one_row(self):
        self.ok("BULK INSERT INTO totals SELECT COUNT(*) AS n FROM ev WHERE user_id = 'u2';")
        self.assertEqual([d["n"] for d in self.db.totals.find()], [sum(d["user_id"] == "u2" for d in self.src)])

    def test_select_distinct(self):
        self.ok("BULK INSERT INTO users SELECT DISTINCT user_id FROM ev ORDER BY user_id;")
        self.assertEqual([d["user_id"] for d in self.db.users.find({}, sort=[("_id", 1)])],
                         ["u0", "u1", "u2", "u3"])

    def refused(self, select, feature):
        r = self.bulkql(sql="BULK INSERT INTO out %s;" % select)
        self.assertEqual(r.rc, 1, r)
        self.assertIn("the server refused the SELECT's aggregation pipeline", r.err)
        self.assertIn(feature, r.err)
        self.assertNotIn("out", self.db.list_collection_names())

    def test_what_the_server_cannot_compute_is_refused_by_name(self):
        self.refused("SELECT user_id, AVG(amount) AS a FROM ev GROUP BY user_id", "$avg")
        self.refused("SELECT user_id, MIN(amount) AS a FROM ev GROUP BY user_id", "$min")
        self.refused("SELECT user_id, MAX(amount) AS a FROM ev GROUP BY user_id", "$max")
        self.refused("SELECT user_id, ARRAY_AGG(kind) AS a FROM ev GROUP BY user_id", "$push")
        self.refused("SELECT user_id, COUNT(DISTINCT kind) AS a FROM ev GROUP BY user_id", "$addToSet")
        self.refused("SELECT user_id, COUNT(kind) AS a FROM ev GROUP BY user_id", "$cond")
        self.refused("SELECT user_id, COUNT(*) FILTER (WHERE kind = 'buy') AS a FROM ev GROUP BY user_id", "$cond")

    def test_date_truncation_is_refused_naming_both_lowerings(self):
        # the probe: no $dateTrunc, so the $dateToParts pipeline would be
        # chosen, and the server has neither (checked before sending:
        # test_wire_caps.py; EXPLAIN shows both: golden select_date_trunc*)
        for select in ("SELECT DATE(ts) AS d, COUNT(*) AS n FROM ev GROUP BY DATE(ts)",
                       "SELECT DATE_TRUNC('hour', ts) AS h FROM ev"):
            r = self.bulkql(sql="BULK INSERT INTO out %s;" % select)
            self.assertEqual(r.rc, 1, r)
            self.assertIn("the server does not support the $dateToParts and $dateFromParts aggregation operators "
                          "(MongoDB 3.6), needed by DATE and DATE_TRUNC on a server without $dateTrunc", r.err)
            self.assertNotIn("out", self.db.list_collection_names())



class ConflictActionsTest(bqltest.BulkqlCase):
    """Every conflict action with rows from SELECT, through the cursor
    (the test server has no $merge, so the probe chooses it): DO NOTHING,
    DO REPLACE, DO UPDATE SET *, ON DUPLICATE KEY UPDATE and upsert_mode,
    each over stored documents two of which the rows name. The rows come
    from a WITH query grouped by user; what is stored is read back."""

    SUMMARY = ("WITH per_user AS (SELECT user_id, COUNT(*) AS n, SUM(amount) AS total FROM ev GROUP BY user_id) "
               "%s SELECT user_id AS _id, n, total FROM per_user %s;")

    def setUp(self):
        super().setUp()
        self.src = events()
        self.db.ev.insert_many(self.src)
        self.db.s.insert_many([{"_id": "u0", "n": -1, "keep": True}, {"_id": "u1", "n": -1, "keep": True}])
        self.want = {}
        for d in self.src:
            w = self.want.setdefault(d["user_id"], {"_id": d["user_id"], "n": 0, "total": 0.0})
            w["n"] += 1
            w["total"] += d["amount"]

    def run_summary(self, head, tail):
        r = self.ok(self.SUMMARY % (head, tail), "--format", "json")
        return self.json_result(r)[0]

    def test_do_nothing_keeps_the_stored_documents(self):
        res = self.run_summary("BULK UPSERT INTO s", "ON CONFLICT (_id) DO NOTHING")
        self.assertEqual((res["nMatched"], res["nUpserted"]), (2, 2), res)
        self.assertEqual(self.docs("s"), [{"_id": "u0", "n": -1, "keep": True}, {"_id": "u1", "n": -1, "keep": True},
                                          self.want["u2"], self.want["u3"]])

    def test_do_replace_replaces_them(self):
        res = self.run_summary("BULK UPSERT INTO s", "ON CONFLICT (_id) DO REPLACE")
        self.assertEqual((res["nMatched"], res["nUpserted"]), (2, 2), res)
        self.assertEqual(self.docs("s"), [self.want[u] for u in ("u0", "u1", "u2", "u3")])

    def test_do_update_set_star_sets_every_column_and_keeps_the_rest(self):
        self.run_summary("BULK UPSERT INTO s", "ON CONFLICT (_id) DO UPDATE SET *")
        self.assertEqual(self.docs("s"), [dict(self.want["u0"], keep=True), dict(self.want["u1"], keep=True),
                                          self.want["u2"], self.want["u3"]])

    def test_on_duplicate_key_update_updates_the_refused_rows(self):
        res = self.run_summary("BULK INSERT INTO s", "ON DUPLICATE KEY UPDATE n = VALUES(n)")
        self.assertEqual((res["nInserted"], res["nFailed"]), (2, 0), res)
        self.assertEqual(self.docs("s"), [{"_id": "u0", "n": self.want["u0"]["n"], "keep": True},
                                          {"_id": "u1", "n": self.want["u1"]["n"], "keep": True},
                                          self.want["u2"], self.want["u3"]])

    def test_upsert_mode_sets_the_rows_on_id(self):
        self.run_summary("BULK INSERT INTO s", "WITH (upsert_mode = true)")
        self.assertEqual(self.docs("s"), [dict(self.want["u0"], keep=True), dict(self.want["u1"], keep=True),
                                          self.want["u2"], self.want["u3"]])


class ServerSideTest(bqltest.BulkqlCase):
    """The $merge path and pipeline upserts: the test server has neither,
    so the statements that need them are refused by name, writing
    nothing; unset, server_side lets the probe choose the cursor."""

    def setUp(self):
        super().setUp()
        self.src = events()
        self.db.ev.insert_many(self.src)

    def test_server_side_true_is_refused_naming_merge(self):
        r = self.bulkql(sql="BULK UPSERT INTO s SELECT user_id, COUNT(*) AS n FROM ev GROUP BY user_id "
                            "ON CONFLICT (user_id) DO UPDATE SET n = EXCLUDED.n WITH (server_side = true);")
        self.assertEqual(r.rc, 1, r)
        # the server's probe (caps.c) has no $merge: refused before it is sent
        self.assertIn("the server does not support the $merge aggregation stage (MongoDB 4.2), needed by "
                      "server_side = true: FerretDB has none, so nothing was sent", r.err)
        self.assertNotIn("s", self.db.list_collection_names())

    def test_unset_the_probe_chooses_the_cursor(self):
        r = self.ok("BULK UPSERT INTO s SELECT user_id, COUNT(*) AS n FROM ev GROUP BY user_id "
                    "ON CONFLICT (user_id) DO UPDATE SET n = EXCLUDED.n;", "--format", "json")
        res = self.json_result(r)[0]
        self.assertNotIn("serverSide", res)
        self.assertEqual(res["nUpserted"], 4)
        counts = {}
        for d in self.src:
            counts[d["user_id"]] = counts.get(d["user_id"], 0) + 1
        self.assertEqual({d["user_id"]: d["n"] for d in self.db.s.find()}, counts)

    def test_server_side_false_runs_the_cursor(self):
        r = self.ok("BULK INSERT INTO c SELECT user_id FROM ev WHERE _id < 5 WITH (server_side = false);",
                    "--format", "json")
        self.assertEqual(self.json_result(r)[0]["nInserted"], 5)

    def test_a_set_that_reads_the_stored_document_is_refused_naming_pipeline_updates(self):
        self.db.s.insert_one({"_id": 1, "user_id": "u0", "n": 1, "runs": 3})
        for sql in ("BULK UPSERT INTO s SELECT user_id, COUNT(*) AS n FROM ev GROUP BY user_id "
                    "ON CONFLICT (user_id) DO UPDATE SET n = EXCLUDED.n, runs = COALESCE(runs, 0) + 1 "
                    "WITH (server_side = false);",
                    "BULK UPSERT INTO s (user_id, n) VALUES ('u0', 5), ('u9', 1) "
                    "ON CONFLICT (user_id) DO UPDATE SET n = GREATEST(n, EXCLUDED.n), updated_at = NOW();"):
            r = self.bulkql(sql=sql)
            self.assertEqual(r.rc, 1, r)
            self.assertIn("the server does not support aggregation-pipeline updates (MongoDB 4.2)", r.err)
            self.assertEqual(self.docs("s"), [{"_id": 1, "user_id": "u0", "n": 1, "runs": 3}])


if __name__ == "__main__":
    bqltest.main()
