"""The fault-test harness itself (tests/lib/faults.py and the swallow mode
of tests/lib/wireproxy.py), on the live server: a SIGKILL of bulkql lands
in the middle of a load, whether chosen by wire progress or by time; a
test server killed with SIGKILL comes back on the same port with every
acknowledged document; a swallowed reply leaves the write applied and the
client waiting. Every run is bounded in time and talks to 127.0.0.1 only.
A failing random case can be replayed with BQL_FAULT_SEED=<the seed it
prints>."""
import json
import os
import signal
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import bqltest  # noqa: E402
import faultops  # noqa: E402
import faults  # noqa: E402
import wireproxy  # noqa: E402


def write_ndjson(path, n, start=1):
    with open(path, "w") as f:
        for i in range(start, start + n):
            f.write(json.dumps({"_id": i, "v": "row %d" % i, "pad": "x" * 64}) + "\n")


class FaultHarnessTest(bqltest.BulkqlCase):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="bulkql-harness-")
        self.addCleanup(lambda: __import__("shutil").rmtree(self.tmp, ignore_errors=True))
        self.proxy = wireproxy.WireProxy(bqltest.URI)
        self.addCleanup(self.proxy.close)

    def tearDown(self):
        # a killed client may leave its last command running on the server
        self.assertTrue(self.proxy.wait_idle(120), "the server still runs a command of a killed client")
        self.proxy.close()
        self.assertEqual(self.proxy.errors, [])
        super().tearDown()

    def child(self, sql, *args, deadline=120):
        c = faults.BulkqlChild(["--uri", self.proxy.uri, "--db", self.dbname] + list(args), sql=sql,
                               deadline=deadline)
        self.addCleanup(c.close)
        return c.start()

    def user_inserts(self, coll):
        return self.proxy.commands("insert", coll=coll, db=self.dbname)

    def test_kill_by_wire_progress_lands_in_the_fifth_insert(self):
        n, batch = 20000, 500
        path = os.path.join(self.tmp, "rows.ndjson")
        write_ndjson(path, n)
        # hold the 5th insert's reply so that the kill lands exactly while
        # that command is in flight, however fast or slow the machine is
        fault = self.proxy.swallow_reply("insert", coll="c", nth=5)
        c = self.child("BULK INSERT INTO c FROM '%s' WITH (batch_size = %d);" % (path, batch))
        self.assertTrue(c.kill_when(faults.wire_progress(self.proxy, 5, "insert", coll="c"), timeout=60), c)
        r = c.wait()
        self.assertEqual(r.rc, -signal.SIGKILL, r)
        self.assertTrue(r.killed)
        self.assertTrue(self.proxy.wait_idle(60))
        inserts = self.user_inserts("c")
        # the kill came after the 5th insert was sent and before a 6th
        self.assertEqual([len(i.documents) for i in inserts], [batch] * 5)
        self.assertTrue(fault.wait(60), "the server never answered the 5th insert")
        self.assertEqual(inserts[4].action, "swallow")
        self.assertEqual(inserts[4].reply.get("n"), batch)
        # mid-load: the five batches are in, nothing else
        self.assertEqual(self.db.c.count_documents({}), 5 * batch)
        self.assertEqual(sorted(d["_id"] for d in self.db.c.find({}, {"_id": 1})), list(range(1, 5 * batch + 1)))

    def test_kill_at_a_random_moment_lands_mid_load(self):
        rng = faults.seeded_rng()
        print("BQL_FAULT_SEED=%d" % rng.seed_value)
        n, batch = 40000, 200
        path = os.path.join(self.tmp, "rows.ndjson")
        write_ndjson(path, n)
        # every insert waits 20 ms in the proxy: the load takes 4 s at
        # least, so a kill 0.1 to 0.6 s after the first reply lands in it
        # however fast the server is
        self.proxy.inject(wireproxy.matcher("insert", coll="c"), "delay", times=n, delay=0.02)
        c = self.child("BULK INSERT INTO c FROM '%s' WITH (batch_size = %d);" % (path, batch))
        # by time, but measured from the first acknowledged insert so that
        # the process start-up on a loaded machine does not count
        self.assertTrue(faults.wait_until(faults.wire_progress(self.proxy, 1, "insert", coll="c", replied=True), 60),
                        c)
        first = c.elapsed()
        moment = c.kill_at_random(rng, first + 0.1, first + 0.6)
        self.assertIsNotNone(moment, c)
        r = c.wait()
        self.assertEqual(r.rc, -signal.SIGKILL, r)
        self.assertGreaterEqual(r.kill_time, moment)
        self.assertTrue(self.proxy.wait_idle(60))
        sent = len(self.user_inserts("c"))
        held = self.db.c.count_documents({})
        self.assertGreaterEqual(held, batch)
        self.assertLess(held, n)
        self.assertLessEqual(held, sent * batch)
        self.assertLess(sent * batch, n, "every batch was sent before the kill")

    def test_swallowed_reply_leaves_the_write_applied_and_the_client_waiting(self):
        rows = ", ".join("(%d, 'v%d')" % (i, i) for i in range(1, 1001))
        fault = self.proxy.swallow_reply("insert", coll="c", nth=3)
        c = self.child("BULK INSERT INTO c (_id, v) VALUES %s WITH (batch_size = 100);" % rows)
        self.assertTrue(fault.wait(60), "the 3rd insert never came or was never answered")
        # the server applied the 3rd batch ...
        cmd = fault.hits[0]
        self.assertEqual(cmd.reply.get("ok"), 1.0)
        self.assertEqual(cmd.reply.get("n"), 100)
        self.assertEqual(self.db.c.count_documents({}), 300)
        # ... and the client, which never got the reply, sends nothing more
        time.sleep(1.0)
        self.assertTrue(c.running(), c)
        self.assertEqual(len(self.user_inserts("c")), 3)
        self.assertEqual([i.action for i in self.user_inserts("c")], ["forward", "forward", "swallow"])
        self.assertTrue(c.kill())
        self.assertEqual(c.wait().rc, -signal.SIGKILL)
        self.assertEqual(self.db.c.count_documents({}), 300)

    def test_child_past_its_deadline_is_killed(self):
        fault = self.proxy.swallow_reply("insert", coll="c", nth=1)
        c = self.child("BULK INSERT INTO c (_id) VALUES (1), (2);", deadline=2)
        r = c.wait()
        self.assertTrue(fault.wait(10))
        self.assertTrue(r.killed, r)
        self.assertEqual(r.rc, -signal.SIGKILL)
        self.assertLess(r.duration, 15)

    def test_uri_off_loopback_is_refused(self):
        with self.assertRaises(ValueError):
            faults.BulkqlChild(["--uri", "mongodb://10.1.2.3:27017/"], sql="SELECT 1")
        with self.assertRaises(ValueError):
            faults.TestServer(backend="postgresql", postgresql_url="postgres://u@db.example.com:5432/f")


class ServerRestartTest(bqltest.BulkqlCase):
    """A test server of the test's own, killed and restarted on its data."""

    def setUp(self):
        super().setUp()
        self.server = faults.TestServer()
        self.addCleanup(self.server.close)
        self.server.start()
        self.own = self.server.client()
        self.addCleanup(self.own.close)

    def test_restart_keeps_port_and_acknowledged_documents(self):
        docs = [{"_id": i, "v": "doc %d" % i, "n": i * 1.5} for i in range(1, 1001)]
        self.own.d.c.insert_many(docs)
        port = self.server.port
        self.assertTrue(self.server.kill())
        self.assertFalse(self.server.running())
        self.server.start()
        self.assertEqual((self.server.port, self.server.kills, self.server.starts), (port, 1, 2))
        self.assertEqual(list(self.own.d.c.find({}, sort=[("_id", 1)])), docs)

    def test_server_killed_mid_load_comes_back_with_what_it_had(self):
        n, batch = 20000, 250
        path = os.path.join(self.server.dir, "rows.ndjson")
        write_ndjson(path, n)
        with wireproxy.WireProxy(self.server.uri) as proxy:
            # 80 inserts of at least 30 ms each: the kill after the 4th
            # lands mid-load
            proxy.inject(wireproxy.matcher("insert", coll="c"), "delay", times=n, delay=0.03)
            c = faults.BulkqlChild(["--uri", proxy.uri, "--db", "d"],
                                   # retry_timeout: the server stays away until bulkql gives up
                                   sql="BULK INSERT INTO c FROM '%s' WITH (batch_size = %d, retry_timeout = 2);"
                                       % (path, batch),
                                   deadline=120)
            self.addCleanup(c.close)
            c.start()
            # kill the server once four inserts have been acknowledged
            self.assertTrue(faults.wait_until(faults.wire_progress(proxy, 4, "insert", coll="c", replied=True), 60), c)
            acknowledged = [i for i in proxy.commands("insert", coll="c") if i.reply and i.reply.get("ok") == 1.0]
            self.assertTrue(self.server.kill())
            r = c.wait(60)
            self.server.start()
        self.assertFalse(r.killed, r)
        self.assertNotEqual(r.rc, 0, r)  # the client saw its server go
        have = {d["_id"] for d in self.own.d.c.find({}, {"_id": 1})}
        for cmd in acknowledged:
            ids = {d["_id"] for d in cmd.documents}
            self.assertLessEqual(ids, have, "an acknowledged batch is gone after the restart")
        self.assertLess(len(have), n)
        self.assertGreaterEqual(len(have), 4 * batch)
        # the restarted server takes writes again
        self.own.d.c.insert_one({"_id": n + 1})
        self.assertEqual(self.own.d.c.count_documents({"_id": n + 1}), 1)


class FinishedTest(unittest.TestCase):
    """faultops.finished, which ends a run's resumes: a Failed operation
    is at its end only when its last process stopped for its rows in
    doubt alone. Bug L of issue 15: a process that lost the server while
    reading, after an earlier one had reported rows in doubt, left
    nFailed == nInDoubt and an empty inFlightIds; the run was taken as
    done and 100 matching documents were never updated."""

    def op(self, state="Failed", failed=25, doubt=25, **checkpoint):
        return {"state": state, "counters": {"nFailed": failed, "nInDoubt": doubt}, "checkpoint": checkpoint}

    def test_complete_is_at_its_end(self):
        self.assertTrue(faultops.finished(self.op("Complete", 0, 0), ""))

    def test_failed_for_its_rows_in_doubt_alone_is_at_its_end(self):
        end = ("25 documents failed, 25 of them in doubt: they may or may not have been written, and their writes "
               "are not idempotent, so they were not sent again (inDoubt lists them)")
        self.assertTrue(faultops.finished(self.op(), end))
        self.assertTrue(faultops.finished(self.op(), end.replace("documents", "rows")))
        # something else failed too, or a batch is still in flight
        self.assertFalse(faultops.finished(self.op(failed=26), end))
        self.assertFalse(faultops.finished(self.op(inFlightIds=[7]), end))
        self.assertFalse(faultops.finished(self.op(inFlight=[{"first": 1, "last": 4}]), end))
        self.assertFalse(faultops.finished(self.op(), end.replace("25 of them", "24 of them")))

    def test_a_stop_before_the_end_is_not_at_its_end_whatever_its_counters(self):
        stop = ('lost the server while reading the matching documents: Failed to send "getMore" command with '
                'database "d": Failed to read 4 bytes: socket error or timeout')
        self.assertFalse(faultops.finished(self.op(), stop))
        self.assertFalse(faultops.finished(self.op(), "cancelled after batch 3"))


if __name__ == "__main__":
    bqltest.main()
