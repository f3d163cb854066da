"""Decimal128 in the data (caps.c bql_caps_refuses_decimal128). MongoDB
stores Decimal128, and BulkQL sends it as it is to a server that stores
it. A server that stores none (FerretDB v1: it closes the connection on a
Decimal128 anywhere in a command) is known by its buildInfo; there,
exactly the rows holding such a value, at any depth, fail with an error
naming the missing feature, in the reply and the batch's error record
(whose sample is kept as Extended JSON text), and the rest of the batch
is written: no lost connection, no retries. ordered = true stops at the
first such row, as at a server's write error.

Every test reads the server's documents back (pymongo) and looks at the
wire (recording proxy): no command of the statement carries the value.
DecimalSentTest poses, through the proxy, as a server that stores
Decimal128 and checks that the values are sent as they are."""
import json
import os
import sys

import bson
import bson.json_util
from bson.decimal128 import Decimal128

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402
import filestest  # noqa: E402
import wiretest  # noqa: E402
from wireproxy import matcher  # noqa: E402

DEC = ("not written: the server does not support Decimal128: field %s holds a Decimal128 "
       "(FerretDB closes the connection on one)")


def canonical(doc):
    return json.loads(bson.json_util.dumps(doc, json_options=bson.json_util.CANONICAL_JSON_OPTIONS))




class DecimalCase(wiretest.WireCase, filestest.FilesCase):
    def setUp(self):
        super().setUp()
        if "ferretdbVersion" not in self.client.admin.command("buildInfo"):
            self.skipTest("the server stores Decimal128: the rows are sent (DecimalSentTest)")

    def load_wire(self, sql, rc=1):
        r = self.wire(sql)
        self.assertEqual(r.rc, rc, r)
        self.assertEqual(len(r.results), 1, r)
        return r.results[0]

    def assert_no_decimal_sent(self):
        """No command carried a Decimal128; every command was answered (no
        connection lost, nothing retried)."""
        for c in self.proxy.commands():
            self.assertFalse(wiretest.holds_decimal(c.body) or wiretest.holds_decimal(c.sequences), c)
            self.assertIsNotNone(c.reply, c)


class DecimalRefusedTest(DecimalCase):
    def test_ndjson_rows_holding_decimal_fail_and_the_rest_is_written(self):
        p = self.write("d.ndjson", "\n".join([
            '{"_id": 1, "x": 1.5}',
            '{"_id": 2, "x": {"$numberDecimal": "1.5"}}',
            '{"_id": 3, "a": {"b": {"c": {"$numberDecimal": "-0.01"}}}, "y": 1}',
            '{"_id": 4, "tags": [1, {"$numberDecimal": "2"}]}',
            '{"_id": 5, "x": "1.5"}',
        ]) + "\n")
        res = self.load_wire("BULK INSERT INTO t FROM '%s' WITH (ordered = false, continue_on_error = true)" % p)
        expected = [
            (2, DEC % "x", {"_id": 2, "x": Decimal128("1.5")}),
            (3, DEC % "a.b.c", {"_id": 3, "a": {"b": {"c": Decimal128("-0.01")}}, "y": 1}),
            (4, DEC % "tags.1", {"_id": 4, "tags": [1, Decimal128("2")]}),
        ]
        self.assertEqual((res["nInserted"], res["nFailed"], res.get("nNotAttempted", 0)), (2, 3, 0), res)
        self.assertEqual([(e["row"], e["code"], e["errmsg"]) for e in res["writeErrors"]],
                         [(row, 0, msg) for row, msg, _ in expected])
        self.assertEqual(res["error"], "3 rows failed")
        self.assertEqual(self.docs("t"), [{"_id": 1, "x": 1.5}, {"_id": 5, "x": "1.5"}])
        # the batch's one error record, its sample kept as Extended JSON text
        [rec] = self.error_records()
        self.assertEqual((rec["errorCode"], rec["errorMessage"]), (0, DEC % "x"))
        self.assertEqual(rec["writeErrors"], [{"row": row, "line": row, "code": 0, "errmsg": msg}
                                              for row, msg, _ in expected])
        self.assertIsNone(rec["sampleDocument"])
        self.assertEqual(canonical(bson.json_util.loads(rec["sampleDocumentJson"])), canonical(expected[0][2]))
        self.assert_no_decimal_sent()
        [ins] = self.user_writes("t")
        self.assertEqual([d["_id"] for d in ins.documents], [1, 5])

    def test_ordered_stops_at_the_first_row_holding_decimal(self):
        p = self.write("o.ndjson", '{"_id": 1}\n{"_id": 2}\n{"_id": 3, "v": {"$numberDecimal": "3"}}\n'
                                   '{"_id": 4}\n')
        res = self.load_wire("BULK INSERT INTO t FROM '%s'" % p)
        self.assertEqual((res["nInserted"], res["nFailed"], res["nNotAttempted"]), (2, 1, 1), res)
        self.assertEqual([(e["row"], e["errmsg"]) for e in res["writeErrors"]], [(3, DEC % "v")])
        self.assertEqual(self.docs("t"), [{"_id": 1}, {"_id": 2}])
        self.assert_no_decimal_sent()

    def test_typed_decimal_column_in_values(self):
        res = self.load_wire("BULK INSERT INTO t (_id INT, d DECIMAL) VALUES (1, NULL), (2, '2.50') "
                             "WITH (ordered = false)")
        self.assertEqual((res["nInserted"], res["nFailed"]), (1, 1), res)
        self.assertEqual([(e["row"], e["errmsg"]) for e in res["writeErrors"]], [(2, DEC % "d")])
        self.assertEqual(self.docs("t"), [{"_id": 1, "d": None}])
        self.assert_no_decimal_sent()

    def test_upsert_rows_holding_decimal(self):
        self.db.t.insert_many([{"_id": 1, "x": 0}, {"_id": 2, "x": 0}])
        p = self.write("u.ndjson", '{"_id": 1, "x": 5}\n{"_id": 2, "x": {"$numberDecimal": "6"}}\n'
                                   '{"_id": 3, "x": 7, "w": [{"$numberDecimal": "1"}]}\n{"_id": 4, "x": 8}\n')
        res = self.load_wire("BULK UPSERT INTO t FROM '%s' ON CONFLICT (_id) DO UPDATE SET x = EXCLUDED.x "
                             "WITH (ordered = false, continue_on_error = true)" % p)
        self.assertEqual((res["nMatched"], res["nUpserted"], res["nFailed"]), (1, 1, 2), res)
        self.assertEqual([(e["row"], e["errmsg"]) for e in res["writeErrors"]],
                         [(2, DEC % "x"), (3, DEC % "w.0")])
        self.assertEqual(self.docs("t"), [{"_id": 1, "x": 5}, {"_id": 2, "x": 0}, {"_id": 4, "x": 8}])
        self.assert_no_decimal_sent()

    def test_delete_using_a_decimal_key(self):
        self.db.t.insert_many([{"_id": i, "k": i} for i in range(1, 4)])
        p = self.write("k.ndjson", '{"k": 1}\n{"k": {"$numberDecimal": "2"}}\n{"k": 3}\n')
        res = self.load_wire("BULK DELETE FROM t USING '%s' AS v WHERE t.k = v.k "
                             "WITH (ordered = false, continue_on_error = true)" % p)
        self.assertEqual((res["nRemoved"], res["nFailed"]), (2, 1), res)
        self.assertEqual([(e["row"], e["errmsg"]) for e in res["writeErrors"]], [(2, DEC % "k")])
        self.assertEqual(self.docs("t"), [{"_id": 2, "k": 2}])
        self.assert_no_decimal_sent()

    def test_statement_constants_refuse_the_statement_before_anything_is_sent(self):
        self.db.products.insert_many([{"_id": 1, "sku": "a", "price": 5}, {"_id": 2, "sku": "b", "price": 7}])
        for sql in ("BULK UPDATE products SET price = price - DECIMAL '0.10' WHERE sku = 'a'",
                    "BULK UPDATE products SET hit = TRUE WHERE price = DECIMAL '5'",
                    "BULK DELETE FROM products WHERE price < DECIMAL '6'"):
            with self.subTest(sql=sql):
                self.proxy.reset()
                r = self.wire(sql)
                self.assertEqual(r.rc, 1, r)
                [res] = r.results
                self.assertEqual((res["ok"], res["error"], res["batches"], res["writeErrors"]),
                                 (False, "the server does not support Decimal128: the statement holds one "
                                         "(FerretDB closes the connection on one), so nothing was sent", 0, []))
                # nothing written, no operations record, no error record:
                # the statement's metrics record only
                self.assertEqual(self.docs("products"), [{"_id": 1, "sku": "a", "price": 5},
                                                         {"_id": 2, "sku": "b", "price": 7}])
                self.assertEqual([(c.name, c.collection) for c in self.proxy.commands() if c.db == self.dbname],
                                 [("insert", "bulk_operation_metrics")])
                self.assert_no_decimal_sent()


class DecimalSentTest(wiretest.WireCase, filestest.FilesCase):
    """MongoDB semantics: Decimal128 is data, sent as it is to a server
    that stores it. The proxy poses as such a server (buildInfo without
    ferretdbVersion, the insert of the data collection answered), so this
    runs on any server."""

    def test_values_are_sent_as_they_are(self):
        self.proxy.inject(matcher("buildInfo"), "reply", times=100,
                          reply={"ok": 1.0, "version": "7.0.14", "versionArray": [7, 0, 14, 0]})
        self.proxy.inject(matcher("insert", coll="t"), "reply", reply={"ok": 1.0, "n": 2})
        p = self.write("d.ndjson", '{"_id": 1, "x": {"$numberDecimal": "1.5"}}\n'
                                   '{"_id": 2, "a": {"b": [{"$numberDecimal": "-2"}]}}\n')
        r = self.wire("BULK INSERT INTO t FROM '%s'" % p)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual((r.results[0]["nInserted"], r.results[0]["nFailed"]), (2, 0))
        [ins] = self.user_writes("t")
        self.assertEqual([canonical(d) for d in ins.documents],
                         [canonical(d) for d in [{"_id": 1, "x": Decimal128("1.5")},
                                                 {"_id": 2, "a": {"b": [Decimal128("-2")]}}]])


if __name__ == "__main__":
    bqltest.main()
