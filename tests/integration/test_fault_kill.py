"""Issue 15's proof, at the test command's bounded counts: bulkql is
SIGKILLed at random moments of each statement kind (and the server once
per run, started again on the same data), and `bulkql --resume ID` is run
(and killed again) until the operation is Complete. Then the server holds
exactly the expected documents: none lost, none twice, no $inc applied
twice, every in-doubt row listed in failed_records_file (code IN_DOUBT),
archive ∪ source = the originals (tests/lib/faultops.py has the kinds and
their checks; scripts/fault-full runs the issue's full counts).

Each test runs on a FerretDB test server of its own (faults.TestServer,
SQLite, 127.0.0.1) so that it can be killed; every child has a deadline.
A failing run is replayed with BQL_FAULT_SEED=<the seed it prints>."""
import os
import shutil
import sys
import tempfile
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import faultops  # noqa: E402
import faults  # noqa: E402

# (kind, rows, batch_size): a few seconds a run on SQLite. The inserts go
# in batches of 10: with 50, an idle machine loaded all 5000 rows in 0.3 s,
# before any kill point was reached (a run with no kill fails below).
SIZES = {
    "insert_ndjson_no_id": (5000, 10),
    "insert_ndjson_with_id": (5000, 10),
    "insert_csv_parallel": (5000, 10),
    "upsert_file": (200, 10),
    "upsert_replace_id": (960, 40),
    "update_from_set": (200, 10),
    "update_from_inc": (240, 10),
    "update_where_inc": (400, 25),
    "delete_archival": (1000, 50),
}
KILLS = int(os.environ.get("BQL_FAULT_KILLS", "3"))
SERVER_KILLS = int(os.environ.get("BQL_FAULT_SERVER_KILLS", "1"))


class ClientKillTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        if not os.environ.get("BULKQL_BIN"):
            raise unittest.SkipTest("needs BULKQL_BIN (scripts/test sets it)")
        cls.server = faults.TestServer()
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="bulkql-faultkill-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.dbname = "f_" + uuid.uuid4().hex[:10]

    def tearDown(self):
        if not self.server.running():
            self.server.start()
        with self.server.client() as c:
            c.drop_database(self.dbname)

    def run_kind(self, name):
        rng = faults.seeded_rng()
        n, batch = SIZES[name]
        kind = faultops.BY_NAME[name](n, batch, self.tmp)
        run = faultops.FaultRun(self.server, kind, self.dbname, rng, kills=KILLS, server_kills=SERVER_KILLS)
        try:
            st = run.run()
        except AssertionError as e:
            self.fail("BQL_FAULT_SEED=%d: %s\nlog: %s" % (rng.seed_value, e, run.stats.log))
        c = st.check
        print("%s BQL_FAULT_SEED=%d: %d kills, %d server kills, %d resumes, %d reruns; %d rows checked, "
              "%d lost, %d duplicated, %d in doubt" % (name, rng.seed_value, st.kills, st.server_kills, st.resumes,
                                                       st.reruns, c.rows, c.lost, c.duplicated, c.in_doubt))
        self.assertEqual(c.problems, [], "BQL_FAULT_SEED=%d; log: %s" % (rng.seed_value, st.log))
        self.assertEqual((c.lost, c.duplicated), (0, 0))
        self.assertGreaterEqual(c.rows, n)
        if kind.idempotent or st.operation["state"] == "Complete":
            self.assertEqual(st.operation["state"], "Complete", st.operation)
        else:
            # Failed for its rows in doubt alone, each of them listed
            counters = st.operation["counters"]
            self.assertEqual(counters["nFailed"], counters["nInDoubt"], st.operation)
            self.assertGreaterEqual(c.in_doubt, 1, st.operation)
        # a kill that lands must be resumed: at least one did, or the
        # run proved nothing
        self.assertGreaterEqual(st.kills, 1, "no kill landed mid-run; log: %s" % st.log)
        self.assertEqual(st.resumes + st.reruns, st.kills + len([e for e in st.exits[:-1]]), st.log)
        return st

    def test_insert_ndjson_without_id(self):
        self.run_kind("insert_ndjson_no_id")

    def test_insert_ndjson_with_id(self):
        self.run_kind("insert_ndjson_with_id")

    def test_insert_csv_parallel_workers(self):
        self.run_kind("insert_csv_parallel")

    def test_upsert_from_file(self):
        self.run_kind("upsert_file")

    def test_upsert_replace_on_id(self):
        self.run_kind("upsert_replace_id")

    def test_update_from_file_set(self):
        self.run_kind("update_from_set")

    def test_update_from_file_inc(self):
        self.run_kind("update_from_inc")

    def test_update_where_inc(self):
        self.run_kind("update_where_inc")

    def test_delete_with_archival(self):
        self.run_kind("delete_archival")


if __name__ == "__main__":
    unittest.main(verbosity=2)
