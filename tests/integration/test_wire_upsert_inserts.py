"""ON CONFLICT (_id) DO REPLACE on a server whose _id $in lookup reads the
whole collection (FerretDB before 2.0: src/executor/caps.c), where each
upsert statement reads it too and an insert does not: the rows whose _id
the statement's record of stored _ids (the READ_ALL_IDS step) does not
hold go as inserts of the row (the INSERT_NEW_IDS step), the others as
their upserts, batched:

- ordered: consecutive runs of one kind in row order (upsert run, insert
  run, ...), so that "stop at the first failed row" holds exactly; a run
  of fewer than 16 new rows goes as upserts in the upsert command around
  it, so that a batch is never one command per row;
- unordered: the batch's inserts as one command, then its upserts;
- a row naming the _id of an earlier row of the batch goes as an upsert
  after that row's insert, never as a second insert;
- an insert refused as a duplicate key (11000) goes as its upsert;
- the counts are those of the upserts: such rows are nUpserted (and in
  the upserted list), never nInserted.

Each test reads back the documents (pymongo) and the reply, and the
commands on the wire (tests/lib/wireproxy.py). On a server whose _id
lookups use its index there is no such step: every row is an upsert."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import wiretest  # noqa: E402


def rows_sql(ids, tag="new"):
    return ", ".join("(%d, '%s%d', 'k%d')" % (i, tag, i, i) for i in ids)


class WireUpsertInsertsTest(wiretest.WireCase):
    def writes(self):
        """(command name, ordered, [_id of each statement]) of collection u."""
        out = []
        for c in self.user_writes("u"):
            if c.name == "insert":
                out.append(("insert", c.body["ordered"], [d["_id"] for d in c.documents]))
            else:
                out.append(("update", c.body["ordered"], [op["q"].get("_id", op["q"]).get("$eq") for op in c.documents]))
        return out

    def load(self, ids, ordered, batch=1000, extra=""):
        self.proxy.reset()
        r = self.wire("BULK UPSERT INTO u (_id, v, k) VALUES %s ON CONFLICT (_id) DO REPLACE "
                      "WITH (batch_size = %d, ordered = %s%s);" % (rows_sql(ids), batch, str(ordered).lower(), extra))
        return r, r.results[0]

    def counts(self, res):
        return (res["nInserted"], res["nMatched"], res["nUpserted"], res["nFailed"])

    def test_an_ordered_batch_goes_as_runs_of_inserts_and_upserts_in_row_order(self):
        # stored: 20-29, 35-39 and 60-79 (old documents, with a field the
        # rows lack); new: 0-19 and 40-59 (runs of 20), and 30-34 (a run of
        # 5, shorter than 16: upserts, in the upsert command around them)
        stored = [*range(20, 30), *range(35, 40), *range(60, 80)]
        self.db.u.insert_many([{"_id": i, "v": "old", "gone": True} for i in stored])
        r, res = self.load(range(80), ordered=True)
        self.assertEqual(r.rc, 0, r)
        if self.id_lookup_scans():
            self.assertEqual(self.writes(), [("insert", True, list(range(0, 20))), ("update", True, list(range(20, 40))),
                                             ("insert", True, list(range(40, 60))), ("update", True, list(range(60, 80)))])
            # one read of every stored _id, no other read
            self.assertEqual([f.body["filter"] for f in self.proxy.commands("find", coll="u", db=self.dbname)], [{}])
        else:
            self.assertEqual(self.writes(), [("update", True, list(range(80)))])
        self.assertEqual(self.counts(res), (0, 35, 45, 0))
        self.assertEqual([(u["row"], u["_id"]) for u in res["upserted"]],
                         [(i + 1, i) for i in [*range(0, 20), *range(30, 35), *range(40, 60)]])
        self.assertEqual(self.docs("u"), [{"_id": i, "v": "new%d" % i, "k": "k%d" % i} for i in range(80)])

    def test_ordered_alternating_stored_and_new_rows_go_as_one_upsert_command(self):
        # every other row stored (the upsert benchmark's layout): no run of
        # new rows is long enough, the batch goes as one upsert command as
        # on any server, not one command per row
        self.db.u.insert_many([{"_id": i, "v": "old"} for i in range(0, 40, 2)])
        r, res = self.load(range(40), ordered=True)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.writes(), [("update", True, list(range(40)))])
        self.assertEqual(self.counts(res), (0, 20, 20, 0))
        self.assertEqual(self.docs("u"), [{"_id": i, "v": "new%d" % i, "k": "k%d" % i} for i in range(40)])

    def test_an_unordered_batch_goes_as_one_insert_then_one_update(self):
        self.db.u.insert_many([{"_id": i, "v": "old"} for i in range(0, 40, 2)])
        r, res = self.load(range(40), ordered=False)
        self.assertEqual(r.rc, 0, r)
        if self.id_lookup_scans():
            self.assertEqual(self.writes(), [("insert", False, list(range(1, 40, 2))),
                                             ("update", False, list(range(0, 40, 2)))])
        else:
            self.assertEqual(self.writes(), [("update", False, list(range(40)))])
        self.assertEqual(self.counts(res), (0, 20, 20, 0))
        self.assertEqual(sorted((u["row"], u["_id"]) for u in res["upserted"]), [(i + 1, i) for i in range(1, 40, 2)])
        self.assertEqual(self.docs("u"), [{"_id": i, "v": "new%d" % i, "k": "k%d" % i} for i in range(40)])

    def test_batches_of_a_file_and_the_record_across_batches(self):
        # 3 batches of 20 rows; _id 5 comes again in the third batch: by
        # then the record holds it as stored (the first batch inserted it)
        self.db.u.insert_many([{"_id": i, "v": "old"} for i in range(20, 40)])
        r, res = self.load([*range(59), 5], ordered=True, batch=20)
        self.assertEqual(r.rc, 0, r)
        if self.id_lookup_scans():
            self.assertEqual(self.writes(), [("insert", True, list(range(20))), ("update", True, list(range(20, 40))),
                                             ("insert", True, list(range(40, 59))), ("update", True, [5])])
        self.assertEqual(self.counts(res), (0, 21, 39, 0))
        self.assertEqual(self.db.u.count_documents({}), 59)
        self.assertEqual(self.db.u.find_one({"_id": 5}), {"_id": 5, "v": "new5", "k": "k5"})

    def twins(self, ordered):
        # _id 3 twice and _id 7 three times in one batch; 4 stored
        self.db.u.insert_one({"_id": 4, "v": "old"})
        self.proxy.reset()
        r = self.wire("BULK UPSERT INTO u (_id, v) VALUES (3, 'a'), (4, 'b'), (3, 'c'), (7, 'd'), (7, 'e'), (8, 'f'), "
                      "(7, 'g') ON CONFLICT (_id) DO REPLACE WITH (ordered = %s);" % str(ordered).lower())
        self.assertEqual(r.rc, 0, r)
        res = r.results[0]
        # the first of each _id created it, the later ones replaced it
        self.assertEqual(self.counts(res), (0, 4, 3, 0))
        self.assertEqual(sorted((u["row"], u["_id"]) for u in res["upserted"]), [(1, 3), (4, 7), (6, 8)])
        self.assertEqual(self.docs("u"), [{"_id": 3, "v": "c"}, {"_id": 4, "v": "b"}, {"_id": 7, "v": "g"},
                                          {"_id": 8, "v": "f"}])
        return self.writes()

    def test_a_twin_goes_as_an_upsert_after_the_insert_of_the_first_ordered(self):
        # runs shorter than 16: all upserts, in one command
        self.assertEqual(self.twins(ordered=True), [("update", True, [3, 4, 3, 7, 7, 8, 7])])
        # a twin between two long runs of new rows: after the insert of the first
        self.db.u.drop()
        r, res = self.load([*range(20), 5, *range(20, 40)], ordered=True)
        self.assertEqual(r.rc, 0, r)
        if self.id_lookup_scans():
            self.assertEqual(self.writes(), [("insert", True, list(range(20))), ("update", True, [5]),
                                             ("insert", True, list(range(20, 40)))])
        self.assertEqual(self.counts(res), (0, 1, 40, 0))
        self.assertEqual(self.db.u.count_documents({}), 40)

    def test_a_twin_goes_as_an_upsert_after_the_insert_of_the_first_unordered(self):
        sent = self.twins(ordered=False)
        if self.id_lookup_scans():
            self.assertEqual(sent, [("insert", False, [3, 7, 8]), ("update", False, [4, 3, 7, 7])])

    def created_meanwhile(self, ordered):
        """Rows 0-39 into a collection holding 20-25; _id 3 is created by
        another client after the statement read the stored _ids, just
        before the first insert that names it reaches the server (a hook
        in the proxy's matcher, which sees each command before it is
        forwarded)."""
        self.db.u.insert_many([{"_id": i, "v": "old"} for i in range(20, 26)])
        other = self.db.u

        def create_3(cmd):
            if cmd.name == "insert" and cmd.collection == "u" and 3 in [d["_id"] for d in cmd.documents] and \
                    other.count_documents({"_id": 3}) == 0:
                other.insert_one({"_id": 3, "v": "other client"})
            return False

        self.proxy.inject(create_3, "delay")
        r, res = self.load(range(40), ordered=ordered)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(other.count_documents({"_id": 3}), 1)
        # row 4 (_id 3) replaced the other client's document: it matched
        self.assertEqual(self.counts(res), (0, 7, 33, 0))
        self.assertEqual(sorted(u["_id"] for u in res["upserted"]), [i for i in range(40) if i != 3 and not 20 <= i < 26])
        self.assertEqual(self.docs("u"), [{"_id": i, "v": "new%d" % i, "k": "k%d" % i} for i in range(40)])
        return self.writes(), [f.body["filter"] for f in self.proxy.commands("find", coll="u", db=self.dbname)]

    def test_an_insert_refused_as_a_duplicate_key_goes_as_its_upsert_ordered(self):
        sent, finds = self.created_meanwhile(ordered=True)
        if self.id_lookup_scans():
            # 0-2 inserted; 3 refused (11000), 4-19 not run: read whether
            # _id 3 is stored, then 3 goes as its upsert before the rows
            # after it (4-19, a run of 16, as an insert); 26-39 (a run of
            # 14) go as upserts with 20-25
            self.assertEqual(sent, [("insert", True, list(range(20))), ("update", True, [3]),
                                    ("insert", True, list(range(4, 20))), ("update", True, list(range(20, 40)))])
            self.assertEqual(finds, [{}, {"_id": {"$eq": 3}}])

    def test_an_insert_refused_as_a_duplicate_key_goes_as_its_upsert_unordered(self):
        sent, finds = self.created_meanwhile(ordered=False)
        if self.id_lookup_scans():
            self.assertEqual(sent, [("insert", False, [*range(20), *range(26, 40)]),
                                    ("update", False, [3, *range(20, 26)])])
            self.assertEqual(finds, [{}, {"_id": {"$eq": 3}}])

    def unique_k(self, ordered):
        """Rows 0-39 into a collection holding 20-25 and 100 (k = 'k5'),
        with a unique index on k: row 6's insert (_id 5) is refused as a
        duplicate key in k, not in _id; it then goes as its upsert, which
        fails the same way: the row fails with the upsert's error."""
        self.db.u.insert_many([{"_id": i, "v": "old", "k": "k%d" % i} for i in range(20, 26)] + [{"_id": 100, "k": "k5"}])
        self.db.u.create_index("k", unique=True)
        r, res = self.load(range(40), ordered=ordered)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual([(e["row"], e["code"]) for e in res["writeErrors"]], [(6, 11000)])
        return r, res

    def test_ordered_stops_at_the_first_failed_row_across_runs(self):
        r, res = self.unique_k(ordered=True)
        # 0-4 written, 5 failed, the rows after it not attempted
        self.assertEqual(self.counts(res), (0, 0, 5, 1))
        self.assertEqual(res["nNotAttempted"], 34)
        self.assertEqual(self.docs("u"), [{"_id": i, "v": "new%d" % i, "k": "k%d" % i} for i in range(5)] +
                         [{"_id": i, "v": "old", "k": "k%d" % i} for i in range(20, 26)] + [{"_id": 100, "k": "k5"}])
        if self.id_lookup_scans():
            # the insert run 0-19 stops at 5 (11000 in k); 5 goes as its
            # upsert, with the rows after it as upserts (6-19, 14 rows, too
            # few for an insert of their own), and fails first: nothing after
            sent = self.writes()
            self.assertEqual(sent[:2], [("insert", True, list(range(20))), ("update", True, list(range(5, 40)))])
            self.assertTrue(all(s[0] == "update" and s[2][0] == 5 for s in sent[1:]), sent)

    def test_unordered_a_failed_row_does_not_stop_the_others(self):
        r, res = self.unique_k(ordered=False)
        self.assertEqual(self.counts(res), (0, 6, 33, 1))
        self.assertEqual(self.docs("u"), [{"_id": i, "v": "new%d" % i, "k": "k%d" % i} for i in range(40) if i != 5] +
                         [{"_id": 100, "k": "k5"}])
        if self.id_lookup_scans():
            sent = self.writes()
            self.assertEqual(sent[:2], [("insert", False, [*range(20), *range(26, 40)]),
                                        ("update", False, [5, *range(20, 26)])])

    def test_a_lost_insert_command_is_settled_exactly(self):
        # the server applies the first insert, and the connection is closed
        # before its reply: the retry reads which _ids are stored, counts
        # them as upserted, and sends nothing twice
        if not self.id_lookup_scans():
            self.skipTest("no INSERT_NEW_IDS step on this server")
        self.db.u.insert_many([{"_id": i, "v": "old"} for i in range(0, 20, 2)])
        lost = self.proxy.inject(lambda c: c.name == "insert" and c.collection == "u", "close_after")
        r, res = self.load(range(20), ordered=False, extra=", retry_backoff_ms = 10")
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(lost.wait(5))
        self.assertEqual(self.counts(res), (0, 10, 10, 0))
        self.assertEqual(sorted(u["_id"] for u in res["upserted"]), list(range(1, 20, 2)))
        self.assertEqual(self.docs("u"), [{"_id": i, "v": "new%d" % i, "k": "k%d" % i} for i in range(20)])
        sent = self.writes()
        self.assertEqual(sent[0], ("insert", False, list(range(1, 20, 2))))
        self.assertNotIn("insert", [s[0] for s in sent[1:]])

    def test_other_conflict_actions_and_keys_stay_upserts(self):
        # DO UPDATE SET, DO NOTHING and a key other than _id: no inserts
        self.db.u.insert_one({"_id": 2, "v": "old", "k": "k2"})
        for clause in ("ON CONFLICT (_id) DO UPDATE SET v = EXCLUDED.v", "ON CONFLICT (_id) DO NOTHING",
                       "ON CONFLICT (k) DO REPLACE"):
            self.proxy.reset()
            r = self.wire("BULK UPSERT INTO u (_id, v, k) VALUES %s %s;" % (rows_sql([1, 2, 3], "x"), clause))
            self.assertEqual(r.rc, 0, (clause, r))
            # (DO REPLACE on k goes one statement per command on a server
            # whose update command loses its counts: see write_rows.c)
            self.assertEqual({s[0] for s in self.writes()}, {"update"}, clause)
            self.assertEqual(self.db.u.count_documents({}), 3, clause)
            self.db.u.delete_many({"_id": {"$ne": 2}})

    def test_explain_shows_the_step(self):
        r = self.bulkql("--explain", sql="BULK UPSERT INTO u (_id, v) VALUES (1, 'a') ON CONFLICT (_id) DO REPLACE;")
        self.assertEqual(r.rc, 0, r)
        self.assertIn("insert each row whose _id is not stored", r.out)
        r = self.bulkql("--explain", sql="BULK UPSERT INTO u (_id, v) VALUES (1, 'a') ON CONFLICT (_id) DO NOTHING;")
        self.assertNotIn("insert each row whose _id is not stored", r.out)


if __name__ == "__main__":
    wiretest.bqltest.main()
