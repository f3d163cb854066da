"""BULK DELETE on the live server: _id-ordered batches, soft_delete,
dry_run, max_delete_count, and archive-before-delete — including a client
killed with SIGKILL at random instants, after which source and archive
together still hold every original document and a re-run finishes the job."""
import datetime
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402


class DeleteTest(bqltest.BulkqlCase):
    def seed(self, n, coll="logs"):
        self.db[coll].insert_many([{"_id": i, "level": "debug" if i % 3 else "error", "n": i} for i in range(1, n + 1)])

    def test_delete_in_batches(self):
        self.seed(30)
        r = self.bulkql("--format", "json",
                        sql="BULK DELETE FROM logs WHERE level = 'debug' WITH DELETE_OPTIONS (batch_size = 7);")
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nRemoved"], res["batches"]), (20, 3))
        self.assertEqual([d["_id"] for d in self.docs("logs")], list(range(3, 31, 3)))

    def test_soft_delete_sets_deleted_at(self):
        self.seed(6)
        r = self.bulkql("--format", "json",
                        sql="BULK DELETE FROM logs WHERE n <= 2 WITH DELETE_OPTIONS (soft_delete = true);")
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nRemoved"], res["nModified"]), (0, 2))
        docs = self.docs("logs")
        self.assertEqual(len(docs), 6)
        self.assertEqual([d["_id"] for d in docs if "deleted_at" in d], [1, 2])

    def test_dry_run_writes_nothing(self):
        self.seed(9)
        r = self.bulkql("--format", "json",
                        sql="BULK DELETE FROM logs WHERE level = 'debug' WITH DELETE_OPTIONS (dry_run = true);")
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nMatched"], res["nRemoved"], res["dryRun"]), (6, 0, True))
        self.assertEqual(len(self.docs("logs")), 9)
        # not even the metrics document: the result holds what it would be
        self.assertEqual(sorted(self.db.list_collection_names()), ["logs"])
        self.assertEqual((res["metrics"]["dryRun"], res["metrics"]["nMatched"]), (True, 6))

    def test_cli_dry_run_flag(self):
        self.seed(4)
        r = self.bulkql("--dry-run", sql="BULK DELETE FROM logs WHERE TRUE;")
        self.assertEqual(r.rc, 0, r)
        self.assertIn("dry run: nothing was written to the collection", r.out)
        self.assertEqual(len(self.docs("logs")), 4)

    def test_max_delete_count_refuses_before_writing(self):
        self.seed(10)
        r = self.bulkql(sql="BULK DELETE FROM logs WHERE n > 3 WITH DELETE_OPTIONS (max_delete_count = 5);")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("7 documents match but max_delete_count is 5: nothing was deleted", r.err)
        self.assertEqual(len(self.docs("logs")), 10)
        r = self.bulkql(sql="BULK DELETE FROM logs WHERE n > 3 WITH DELETE_OPTIONS (max_delete_count = 7);")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(len(self.docs("logs")), 3)

    def test_archive_then_delete(self):
        self.seed(12)
        original = {d["_id"]: d for d in self.docs("logs")}
        r = self.bulkql("--format", "json", sql=(
            "BULK DELETE FROM logs WHERE level = 'debug' "
            "WITH ARCHIVAL_STRATEGY (archive_collection = 'logs_archive', archive_reason = 'cleanup') "
            "WITH DELETE_OPTIONS (batch_size = 3);"))
        self.assertEqual(r.rc, 0, r)
        res = self.json_result(r)[0]
        self.assertEqual((res["nArchived"], res["nRemoved"], res["batches"]), (8, 8, 3))
        self.assertEqual([d["_id"] for d in self.docs("logs")], [3, 6, 9, 12])
        archive = self.docs("logs_archive")
        self.assertEqual([d["_id"] for d in archive], [1, 2, 4, 5, 7, 8, 10, 11])
        for d in archive:
            self.assertEqual(d.pop("archiveReason"), "cleanup")
            self.assertEqual(d.pop("originalCollection"), "logs")
            self.assertIn("archivedAt", d)
            d.pop("archivedAt")
            self.assertEqual(d, original[d["_id"]])

    def test_retention_period_needs_ttl_indexes_which_the_server_lacks(self):
        self.seed(3)
        r = self.bulkql(sql=("BULK DELETE FROM logs WHERE TRUE WITH ARCHIVAL_STRATEGY "
                             "(archive_collection = 'arch', retention_period = '2 years');"))
        self.assertEqual(r.rc, 1, r)
        self.assertIn("the server does not support TTL indexes (expireAfterSeconds), needed by retention_period", r.err)
        self.assertEqual(len(self.docs("logs")), 3)

    def test_archival_survives_sigkill_at_any_instant(self):
        n = 300
        runs = 20
        sql = ("BULK DELETE FROM src WHERE n > 0 "
               "WITH ARCHIVAL_STRATEGY (archive_collection = 'arch', archive_reason = 'kill test') "
               "WITH DELETE_OPTIONS (batch_size = 10);")
        rng = random.Random(20261122)
        mid_job = 0
        for run in range(runs):
            self.db.src.drop()
            self.db.arch.drop()
            self.db.src.insert_many([{"_id": i, "n": i, "payload": "x" * 50} for i in range(1, n + 1)])
            original = {d["_id"]: d for d in self.db.src.find()}
            cmd = [bqltest.BULKQL, "--db", self.dbname, "-c", sql]
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # a random instant of the job: once a random number of documents
            # are in the archive, after a random pause (within a batch, or
            # between the archive write and the delete)
            threshold = rng.randrange(0, n - 30)
            deadline = time.time() + 60
            while (proc.poll() is None and time.time() < deadline
                   and self.db.arch.estimated_document_count() < threshold):
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.03))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            src = {d["_id"]: d for d in self.db.src.find()}
            if 0 < len(src) < n:
                mid_job += 1
            arch = {}
            for d in self.db.arch.find():
                for k in ("archivedAt", "archiveReason", "originalCollection"):
                    d.pop(k)
                arch[d["_id"]] = d
            # every original document is in the source or in the archive, and
            # a document in both is the same document
            for i, d in arch.items():
                if i in src:
                    self.assertEqual(src[i], d, "run %d: the archived copy differs" % run)
            self.assertEqual({**arch, **src}, original, "run %d: a document was lost" % run)
            # a re-run completes the job: the archive holds exactly the
            # original documents, with the archive's fields
            r = self.bulkql(sql=sql)
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(self.db.src.count_documents({}), 0, "run %d" % run)
            archived = {}
            for d in self.db.arch.find():
                self.assertEqual((d.pop("archiveReason"), d.pop("originalCollection")), ("kill test", "src"))
                self.assertIsInstance(d.pop("archivedAt"), datetime.datetime)
                archived[d["_id"]] = d
            self.assertEqual(archived, original, "run %d" % run)
        # the kills landed in the middle of the job (some of the documents
        # deleted, not all) in most runs
        self.assertGreaterEqual(mid_job, runs * 3 // 4, "only %d of %d kills landed mid-job" % (mid_job, runs))

if __name__ == "__main__":
    bqltest.main()
