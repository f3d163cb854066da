"""Integration tests that also look at the wire: each test case runs the
`bulkql` binary against a recording proxy (wireproxy.WireProxy) in front
of the live server, so a test can assert both what the server holds
afterwards (read back with pymongo, directly from the server) and the
exact commands BulkQL sent (writeConcern, bypassDocumentValidation,
ordered, batch boundaries, retries and their timing)."""
import os
import sys

import bson.decimal128

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bqltest  # noqa: E402
import wireproxy  # noqa: E402

# collections BulkQL writes for itself (SPEC §3)
LOG_COLLECTIONS = ("bulk_operation_metrics", "bulk_operation_errors", "bulkql_operations")


class WireCase(bqltest.BulkqlCase):
    """A BulkqlCase whose bulkql runs go through a recording proxy."""

    def setUp(self):
        super().setUp()
        self.proxy = wireproxy.WireProxy(bqltest.URI)
        self.addCleanup(self.proxy.close)

    def tearDown(self):
        # A bulkql that timed out may leave a command running on the server:
        # wait for its reply before dropping the database (FerretDB can
        # crash when a database is dropped under a running command).
        self.proxy.wait_idle(600)
        self.proxy.close()
        errors = self.proxy.errors
        super().tearDown()
        self.assertEqual(errors, [], "the proxy could not decode or forward some messages")

    def wire(self, sql, *args, **kw):
        """Run sql through the proxy with --format json. Returns the Result
        with .results (the JSON results, one per statement)."""
        r = self.bulkql("--uri", self.proxy.uri, "--format", "json", *args, sql=sql, **kw)
        r.results = self.json_result(r)
        return r

    def lossy_updates(self):
        """Does the server lose the counts of an update command in which a
        statement fails (FerretDB: see ../shared/FERRETDB.md)? BulkQL then
        settles a failed batch of UPSERT, UPDATE ... FROM, upsert_mode and
        ON DUPLICATE KEY updates row by row, and sends non-idempotent ones
        ($inc, ...) one command per row."""
        return "ferretdbVersion" in self.client.admin.command("buildInfo")

    def id_lookup_scans(self):
        """Does a find of {_id: {$in: [...]}} read the whole collection on
        the server (FerretDB before 2.0 pushes no $in down: see
        src/executor/caps.c)? BulkQL's upserts then read every stored _id
        once per statement (the READ_ALL_IDS step) instead of the _ids of
        each batch."""
        v = self.client.admin.command("buildInfo").get("ferretdbVersion")
        if v is None:
            return False
        major = v.lstrip("v").split(".")[0]
        return not major.isdigit() or int(major) < 2

    def user_writes(self, coll=None):
        """insert/update/delete commands of this test's database, without
        BulkQL's own log collections."""
        return [c for c in self.proxy.writes(coll=coll, db=self.dbname) if c.collection not in LOG_COLLECTIONS]

    def ids_of(self, cmd):
        """The _ids a batched update/delete command's filter names
        ({$and: [{_id: {$in: [...]}}, filter]}), in order."""
        ops = cmd.documents
        self.assertEqual(len(ops), 1, cmd)
        q = ops[0]["q"]
        self.assertIn("$and", q, cmd)
        return list(q["$and"][0]["_id"]["$in"])


def values(rows):
    return ", ".join("(%s)" % r for r in rows)


def holds_decimal(value):
    """Does a decoded command, document or value hold a Decimal128 anywhere?"""
    if isinstance(value, bson.decimal128.Decimal128):
        return True
    if isinstance(value, dict):
        return any(holds_decimal(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(holds_decimal(v) for v in value)
    return False
