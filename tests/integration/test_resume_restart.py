"""A server restart during a resume's own commands (issue 15: "the
default policy must ride through a server restart of up to 10 s"): the
connect, the read of the operation, the claim and the lookup of the rows
in doubt wait for the server within the retry policy, as batches do,
instead of failing at once (each cost another resume before).

Each test has a FerretDB test server of its own (faults.TestServer),
killed and started again on the same data, with the recording proxy in
front of it to hold the resume at the exact command while the server
goes away. Everything is on 127.0.0.1 and every wait is bounded."""
import os
import sys
import time

import bson.json_util

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402
import faultops  # noqa: E402
import faults  # noqa: E402
import wireproxy  # noqa: E402
from wireproxy import matcher  # noqa: E402

OPS = "bulkql_operations"
N = 40


class ResumeRestartTest(bqltest.BulkqlCase):
    def setUp(self):
        super().setUp()
        self.server = faults.TestServer()
        self.server.start()
        self.addCleanup(self.server.close)
        self.own = self.server.client()
        self.addCleanup(self.own.close)
        self.proxy = wireproxy.WireProxy(self.server.uri)
        self.addCleanup(self.proxy.close)
        self.mydb = self.own["r"]

    def interrupted_insert(self, n=N, nth=3, options=""):
        """INSERT of n rows without _id, batches of 4, killed while its
        nth batch waits for a reply the proxy swallowed (the server
        applied it): an operation InProgress with rows in doubt."""
        path = self.ndjson({"k": i} for i in range(1, n + 1))
        fault = self.proxy.inject(matcher("insert", coll="c", nth=nth), "swallow")
        c = faults.BulkqlChild(["--uri", self.proxy.uri, "--db", "r", "--format", "json"],
                               sql="BULK INSERT INTO c FROM '%s' WITH (batch_size = 4%s);" % (path, options),
                               deadline=120)
        self.addCleanup(c.close)
        c.start()
        self.assertTrue(fault.wait(60), c)
        self.assertTrue(c.kill(), c)
        self.proxy.clear_faults()
        self.assertTrue(self.proxy.wait_idle(60))
        [op] = self.mydb[OPS].find({})
        self.assertEqual(op["state"], "InProgress", op)
        return op

    def resume_child(self, op, uri):
        c = faults.BulkqlChild(["--uri", uri, "--db", "r", "--format", "json", "--resume", op["_id"]], deadline=120)
        self.addCleanup(c.close)
        c.start()
        return c

    def assert_resumed(self, op, res):
        """The resume ended well: every row once, the operation Complete
        with the counts of a run that was not interrupted."""
        self.assertEqual((res.killed, res.rc), (False, 0), res)
        [out] = [bson.json_util.loads(line) for line in res.out.splitlines() if line.startswith("{")]
        self.assertEqual((out["nInserted"], out["nFailed"], out["resumes"]), (N, 0, 1), out)
        docs = list(self.mydb.c.find({}, sort=[("k", 1)]))
        self.assertEqual(docs, [{"_id": faultops.deterministic_id(op["_id"], i), "k": i} for i in range(1, N + 1)])
        after = self.mydb[OPS].find_one({"_id": op["_id"]})
        self.assertEqual((after["state"], after["resumes"], after["counters"]["nInserted"]), ("Complete", 1, N), after)
        return out

    def restart_while_held(self, op, match):
        """Resume through the proxy, which holds the command match picks
        for 1.5 s; meanwhile the server is killed and, 3 s later, started
        again: the held command meets a server that is gone."""
        held = self.proxy.inject(match, "delay", delay=1.5)
        c = self.resume_child(op, self.proxy.uri)
        self.assertTrue(faults.wait_until(lambda: held.hits, 60), c)
        self.server.restart(down_for=3)
        return c.wait(90)

    def test_restart_during_the_claim(self):
        op = self.interrupted_insert()
        res = self.restart_while_held(op, matcher("update", coll=OPS, nth=1))
        self.assert_resumed(op, res)
        claims = [c for c in self.proxy.commands("update", coll=OPS) if "resumes" in c.documents[0]["u"].get("$set", {})]
        self.assertGreaterEqual(len(claims), 2, claims)  # sent again once the server was back

    def test_restart_during_the_lookup_of_the_rows_in_doubt(self):
        op = self.interrupted_insert()
        before = len(self.proxy.commands("find", coll="c"))
        res = self.restart_while_held(op, matcher("find", coll="c", nth=1))
        self.assert_resumed(op, res)
        self.assertGreater(len(self.proxy.commands("find", coll="c")) - before, 1)  # asked again

    def test_resume_started_while_the_server_is_down(self):
        """The connect's ping and the read of the operation find no server:
        the resume waits for it (before: exit 2, "cannot connect")."""
        op = self.interrupted_insert()
        self.server.kill()
        c = self.resume_child(op, self.server.uri)
        time.sleep(2)  # the resume is waiting for the server meanwhile
        self.assertTrue(c.running(), c)
        self.server.start()
        self.assert_resumed(op, c.wait(90))

    def test_a_server_that_stays_away_stops_the_resume_with_a_clear_error(self):
        """Past the retry budget (the default retry_timeout, 30 s, for the
        read before the statement is known; here the claim's, 3 s), the
        resume stops, writing nothing, and the operation stays resumable."""
        op = self.interrupted_insert(n=8, nth=2, options=", retry_timeout = 3")
        held = self.proxy.inject(matcher("update", coll=OPS, nth=1), "delay", delay=1.0)
        r = self.resume_child(op, self.proxy.uri)
        self.assertTrue(faults.wait_until(lambda: held.hits, 60), r)
        self.server.kill()
        res = r.wait(90)
        self.assertEqual((res.killed, res.rc), (False, 1), res)
        [out] = [bson.json_util.loads(line) for line in res.out.splitlines() if line.startswith("{")]
        self.assertRegex(out["error"], r"^cannot mark operation %s InProgress and \d+ retr(y|ies) in 3 s ran out "
                         r"\(retry_timeout\): the server could not be reached; nothing was written to its "
                         r"collection$" % op["_id"])
        self.server.start()
        after = self.mydb[OPS].find_one({"_id": op["_id"]})
        self.assertEqual((after["state"], after["resumes"]), ("InProgress", 0), after)
        self.assertEqual(self.mydb.c.count_documents({}), 8)  # batch 2 had been applied; nothing more


if __name__ == "__main__":
    bqltest.main()
