"""The row pipeline of INSERT / UPSERT / UPDATE ... FROM: batches are cut
by memory_limit as well as batch_size (the client's memory stays bounded
whatever the input), and rows streamed from a file arrive whole and in
order while the reader runs ahead of the writer."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402


class PipelineTest(bqltest.BulkqlCase):
    def test_memory_limit_cuts_batches_by_size(self):
        # 300 documents of a little over 10 KB; memory_limit = 1MB holds two
        # batches of at most 512 KiB each: 52 documents reach it.
        docs = [{"_id": i, "pad": "x" * 10240} for i in range(1, 301)]
        path = self.ndjson(docs)
        r = self.ok("BULK INSERT INTO big FROM '%s' FORMAT NDJSON "
                    "WITH (batch_size = 1000, memory_limit = '1MB');" % path, "--format", "json")
        res = self.json_result(r)[0]
        self.assertEqual(res["nInserted"], 300)
        self.assertEqual(res["batches"], 6)  # 5 x 52 + 40
        self.assertEqual(self.docs("big"), docs)

    def test_without_memory_pressure_batches_follow_batch_size(self):
        docs = [{"_id": i, "pad": "x" * 100} for i in range(1, 2501)]
        path = self.ndjson(docs)
        r = self.ok("BULK INSERT INTO small FROM '%s' FORMAT NDJSON WITH (batch_size = 1000);" % path,
                    "--format", "json")
        res = self.json_result(r)[0]
        self.assertEqual((res["nInserted"], res["batches"]), (2500, 3))
        self.assertEqual(self.docs("small"), docs)

    def test_failed_rows_keep_their_numbers_across_batches(self):
        # rows 7, 150 and 301 are not JSON objects: failed on input, each
        # reported with its line, the others all stored
        lines = []
        for i in range(1, 321):
            lines.append("[%d]" % i if i in (7, 150, 301) else json.dumps({"_id": i}))
        fd, path = tempfile.mkstemp(suffix=".ndjson")
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.addCleanup(os.unlink, path)
        r = self.bulkql("--format", "json", sql="BULK INSERT INTO f FROM '%s' FORMAT NDJSON "
                        "WITH (batch_size = 100, continue_on_error = true);" % path)
        self.assertEqual(r.rc, 1, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nInserted"], res["nFailed"], res["batches"]), (317, 3, 4))
        self.assertEqual([e["row"] for e in res["writeErrors"]], [7, 150, 301])
        self.assertEqual([d["_id"] for d in self.docs("f")], [i for i in range(1, 321) if i not in (7, 150, 301)])


if __name__ == "__main__":
    bqltest.main()
