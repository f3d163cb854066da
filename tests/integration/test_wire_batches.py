"""Batch boundaries on the wire: batch_size = N gives write commands of N
documents (INSERT, UPDATE ... FROM, UPSERT) or of N _ids (UPDATE and
DELETE ... WHERE, in _id order: each batch names the lowest _ids not yet
done, whatever order the documents were stored in); batch_size = 0 gives
one unbatched command; `ordered` is sent as asked. A statement stopped by
max_execution_time after its first batch has changed exactly the lowest
_ids."""
import os
import random
import sys

import bson

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import wiretest  # noqa: E402
from wireproxy import matcher  # noqa: E402
from wiretest import values  # noqa: E402


def chunks(xs, n):
    return [xs[i:i + n] for i in range(0, len(xs), n)]


class WireBatchesTest(wiretest.WireCase):
    def seed_shuffled(self, coll="s"):
        """25 matching documents (f >= 0) and 5 others, stored in a random
        order; returns the matching _ids in _id order."""
        docs = [{"_id": i, "f": i % 4 if i % 4 != 3 or i > 21 else -1} for i in range(1, 31)]
        random.Random(7).shuffle(docs)
        self.db[coll].insert_many(docs)
        return sorted(d["_id"] for d in docs if d["f"] >= 0)

    def test_insert_batches_have_batch_size_documents_in_input_order(self):
        for ordered in (True, False):
            with self.subTest(ordered=ordered):
                coll = "c_%s" % ordered
                self.proxy.reset()
                r = self.wire("BULK INSERT INTO %s (_id, v) VALUES %s WITH (batch_size = 10, ordered = %s);"
                              % (coll, values("%d, 'v%d'" % (i, i) for i in range(1, 26)), str(ordered).lower()))
                self.assertEqual(r.rc, 0, r)
                self.assertEqual(r.results[0]["batches"], 3)
                writes = self.user_writes()
                self.assertEqual([c.name for c in writes], ["insert"] * 3)
                self.assertEqual([[d["_id"] for d in c.documents] for c in writes], chunks(list(range(1, 26)), 10))
                self.assertEqual([c.body["ordered"] for c in writes], [ordered] * 3)
                self.assertEqual(self.docs(coll), [{"_id": i, "v": "v%d" % i} for i in range(1, 26)])

    def test_update_from_and_upsert_batches(self):
        self.db.p.insert_many([{"_id": i, "k": "k%d" % i, "v": 0} for i in range(1, 13)])
        self.db.u.insert_many([{"_id": i, "v": 0} for i in range(1, 7)])
        for ordered in (True, False):
            with self.subTest(ordered=ordered):
                self.proxy.reset()
                o = str(ordered).lower()
                r = self.wire(
                    "BULK UPDATE p SET v = v.x FROM (VALUES %s) AS v(k, x) WHERE p.k = v.k "
                    "WITH (batch_size = 5, ordered = %s);"
                    "BULK UPSERT INTO u (_id, v) VALUES %s ON CONFLICT (_id) DO UPDATE SET v = EXCLUDED.v "
                    "WITH (batch_size = 5, ordered = %s);"
                    % (values("'k%d', %d" % (i, i + (10 if ordered else 20)) for i in range(1, 13)), o,
                       values("%d, %d" % (i, i + (10 if ordered else 20)) for i in range(1, 13)), o))
                self.assertEqual(r.rc, 0, r)
                upd, ups = self.user_writes("p"), self.user_writes("u")
                self.assertEqual([x["batches"] for x in r.results], [3, 3])
                # one command per batch, also on a server that loses the
                # counts of an update command with a failing statement ($set
                # is idempotent: only a failed batch would be sent again)
                shape = [5, 5, 2]
                self.assertEqual([(c.name, len(c.documents), c.body["ordered"]) for c in upd],
                                 [("update", n, ordered) for n in shape])
                self.assertEqual([op["q"] for c in upd for op in c.documents],
                                 [{"k": {"$eq": "k%d" % i}} for i in range(1, 13)])
                self.assertTrue(all(not op.get("multi") and not op.get("upsert") for c in upd for op in c.documents))
                self.assertEqual([(c.name, len(c.documents), c.body["ordered"]) for c in ups],
                                 [("update", n, ordered) for n in shape])
                self.assertEqual([op["q"]["_id"] for c in ups for op in c.documents],
                                 [{"$eq": i} for i in range(1, 13)])
                self.assertTrue(all(op["upsert"] is True for c in ups for op in c.documents))
                off = 10 if ordered else 20
                self.assertEqual(self.docs("p"), [{"_id": i, "k": "k%d" % i, "v": i + off} for i in range(1, 13)])
                self.assertEqual(self.docs("u"), [{"_id": i, "v": i + off} for i in range(1, 13)])
                self.assertEqual((r.results[0]["nMatched"], r.results[1]["nMatched"], r.results[1]["nUpserted"]),
                                 (12, 6 if ordered else 12, 6 if ordered else 0))

    def test_update_and_delete_where_go_in_id_order(self):
        for kind, ordered in (("update", True), ("update", False), ("delete", True), ("delete", False)):
            with self.subTest(kind=kind, ordered=ordered):
                self.db.s.drop()
                self.proxy.reset()
                ids = self.seed_shuffled()
                before = self.docs("s")
                stmt = ("BULK UPDATE s SET done = TRUE WHERE f >= 0" if kind == "update"
                        else "BULK DELETE FROM s WHERE f >= 0")
                r = self.wire("%s WITH (batch_size = 5, ordered = %s);" % (stmt, str(ordered).lower()))
                self.assertEqual(r.rc, 0, r)
                res = r.results[0]
                self.assertEqual(res["batches"], 5)
                [find] = self.proxy.commands("find", coll="s")
                self.assertEqual((find.body["sort"], find.body["batchSize"]), ({"_id": 1}, 5))
                writes = self.user_writes("s")
                self.assertEqual([c.name for c in writes], [kind] * 5)
                self.assertEqual([self.ids_of(c) for c in writes], chunks(ids, 5))
                for c in writes:
                    op = c.documents[0]
                    self.assertEqual(op["q"]["$and"][1], {"f": {"$gte": 0}})
                    self.assertEqual(c.body["ordered"], ordered)
                    if kind == "update":
                        self.assertEqual((op["u"], op["multi"]), ({"$set": {"done": True}}, True))
                    else:
                        self.assertEqual(op["limit"], 0)
                if kind == "update":
                    self.assertEqual((res["nMatched"], res["nModified"]), (25, 25))
                    want = [dict(d, done=True) if d["_id"] in ids else d for d in before]
                else:
                    self.assertEqual(res["nRemoved"], 25)
                    want = [d for d in before if d["_id"] not in ids]
                self.assertEqual(self.docs("s"), want)

    def test_batches_cross_id_type_boundaries_in_bson_order(self):
        # numbers sort before strings, strings before ObjectIds (BSON order)
        oid = bson.ObjectId("65a000000000000000000001")
        self.db.m.insert_many([{"_id": x, "f": 1} for x in ("b", 3, oid, 1, "a", 2)])
        r = self.wire("BULK DELETE FROM m WHERE f = 1 WITH (batch_size = 2);")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.results[0]["nRemoved"], 6)
        self.assertEqual([self.ids_of(c) for c in self.user_writes("m")], [[1, 2], [3, "a"], ["b", oid]])
        self.assertEqual(self.docs("m"), [])

    def test_batch_size_zero_is_one_unbatched_command(self):
        for kind in ("update", "delete"):
            with self.subTest(kind=kind):
                self.db.s.drop()
                self.proxy.reset()
                ids = self.seed_shuffled()
                before = self.docs("s")
                stmt = ("BULK UPDATE s SET done = TRUE WHERE f >= 0" if kind == "update"
                        else "BULK DELETE FROM s WHERE f >= 0")
                r = self.wire("%s WITH (batch_size = 0);" % stmt)
                self.assertEqual(r.rc, 0, r)
                self.assertEqual(r.results[0]["batches"], 1)
                self.assertEqual(self.proxy.commands("find", coll="s"), [])
                [cmd] = self.user_writes("s")
                self.assertEqual(cmd.name, kind)
                [op] = cmd.documents
                self.assertEqual(op["q"], {"f": {"$gte": 0}})
                if kind == "update":
                    self.assertEqual((op["u"], op["multi"]), ({"$set": {"done": True}}, True))
                    self.assertEqual(self.docs("s"), [dict(d, done=True) if d["_id"] in ids else d for d in before])
                else:
                    self.assertEqual(op["limit"], 0)
                    self.assertEqual(r.results[0]["nRemoved"], 25)
                    self.assertEqual(self.docs("s"), [d for d in before if d["_id"] not in ids])

    def test_stopped_after_the_first_batch_changed_exactly_the_lowest_ids(self):
        for kind in ("update", "delete"):
            with self.subTest(kind=kind):
                self.db.s.drop()
                self.proxy.reset()
                self.proxy.clear_faults()
                ids = self.seed_shuffled()
                before = self.docs("s")
                # the first batch's write takes 0.5 s: max_execution_time
                # (0.3 s) is over when it is done
                self.proxy.inject(matcher(kind, coll="s"), "delay", delay=0.5)
                stmt = ("BULK UPDATE s SET done = TRUE WHERE f >= 0" if kind == "update"
                        else "BULK DELETE FROM s WHERE f >= 0")
                r = self.wire("%s WITH (batch_size = 5, max_execution_time = 0.3);" % stmt)
                self.assertEqual(r.rc, 1, r)
                res = r.results[0]
                self.assertEqual(res["stopped"], "stopped after 0.3 s (max_execution_time)")
                self.assertEqual(res["error"], "stopped after 0.3 s (max_execution_time)")
                self.assertEqual(res["batches"], 1)
                [cmd] = self.user_writes("s")
                self.assertEqual(self.ids_of(cmd), ids[:5])
                if kind == "update":
                    self.assertEqual((res["nMatched"], res["nModified"]), (5, 5))
                    self.assertEqual(self.docs("s"), [dict(d, done=True) if d["_id"] in ids[:5] else d
                                                      for d in before])
                else:
                    self.assertEqual(res["nRemoved"], 5)
                    self.assertEqual(self.docs("s"), [d for d in before if d["_id"] not in ids[:5]])


if __name__ == "__main__":
    wiretest.bqltest.main()
