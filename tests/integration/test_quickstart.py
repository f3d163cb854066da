"""samples/quickstart.sql: generated from samples/gen_quickstart.py, runs
twice in a row, and leaves exactly the generated documents."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "samples"))
import bqltest  # noqa: E402
import gen_quickstart  # noqa: E402

SQL = os.path.join(bqltest.TOP, "samples", "quickstart.sql")


class QuickstartTest(bqltest.BulkqlCase):
    def tearDown(self):
        self.client.drop_database("quickstart")
        super().tearDown()

    def test_sample_matches_its_generator(self):
        out = subprocess.run([sys.executable, os.path.join(bqltest.TOP, "samples", "gen_quickstart.py")],
                             capture_output=True, text=True, check=True).stdout
        with open(SQL) as f:
            self.assertEqual(f.read(), out, "regenerate: samples/gen_quickstart.py > samples/quickstart.sql")

    def test_quickstart_loads_every_event_in_batches(self):
        for _ in range(2):  # the script starts by emptying the collection
            r = self.bulkql("--format", "json", "-f", SQL, db=False)
            self.assertEqual(r.rc, 0, r)
            delete, insert = self.json_result(r)
            self.assertEqual(insert["nInserted"], gen_quickstart.ROWS)
            self.assertEqual(insert["batches"], gen_quickstart.ROWS // gen_quickstart.BATCH)
            self.assertEqual(insert["nFailed"], 0)
        got = list(self.client.quickstart.events.find({}, sort=[("_id", 1)]))
        self.assertEqual(got, gen_quickstart.expected_documents())


if __name__ == "__main__":
    bqltest.main()
