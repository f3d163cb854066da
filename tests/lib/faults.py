"""faults — a harness for fault tests on the live server.

Three kinds of fault, each bounded in time and confined to 127.0.0.1:

* The client dies: `BulkqlChild` runs the real `bulkql` binary as a child
  process and SIGKILLs it at a chosen moment: after a delay
  (`kill_after`), at a random moment drawn from a seeded generator
  (`kill_at_random`), or once a progress condition holds (`kill_when`),
  such as "the proxy has forwarded the 5th insert" (`wire_progress`) or
  "the server holds 3,000 documents" (`server_count`).
* The server dies: `TestServer` runs a FerretDB test server of the test's
  own (tools/testserver, built by scripts/setup) on a fixed port of
  127.0.0.1, over the SQLite backend in a temporary folder or over a
  PostgreSQL database, and can SIGKILL it and start it again on the same
  data and the same port (`kill`, `start`, `restart`), so that a client
  or a wireproxy.WireProxy in front of it reconnects to the same address.
* A reply is lost: wireproxy.WireProxy.swallow_reply(name, nth=N)
  forwards the Nth such command to the server and never returns its
  reply, the connection staying open (a server that hangs after applying
  the write); inject(..., "close_after") loses it by closing the
  connection instead.

Every wait takes a timeout and every child has a deadline after which it
is killed, so a test that goes wrong fails instead of hanging.

    server = faults.TestServer(); server.start()
    with wireproxy.WireProxy(server.uri) as proxy:
        child = faults.BulkqlChild(["--uri", proxy.uri, "--db", "d"], sql=...)
        child.start()
        child.kill_when(faults.wire_progress(proxy, 5, "insert"), timeout=60)
        server.restart()
    server.close()
"""
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pymongo

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTSERVER = os.environ.get("BULKQL_TESTSERVER", os.path.join(TOP, ".cache", "bin", "testserver"))

# the longest any child or wait may take unless the test says otherwise
DEFAULT_DEADLINE = 120.0


def free_port():
    """A TCP port of 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, poll=0.005):
    """Call predicate() every `poll` seconds until it is true or `timeout`
    seconds have passed. True when it became true."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll)


def is_loopback_uri(uri):
    """Is every host of a mongodb:// or postgres:// URI a loopback one?"""
    rest = uri.split("://", 1)[1]
    hosts = rest.split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
    for h in hosts.split(","):
        host = h[1:].split("]", 1)[0] if h.startswith("[") else h.rsplit(":", 1)[0]
        if host not in ("127.0.0.1", "localhost", "::1"):
            return False
    return True


# ---- progress conditions for kill_when ----

WRITES = ("insert", "update", "delete")


def wire_progress(proxy, n, name=WRITES, coll=None, db=None, replied=False):
    """A condition: the proxy has seen at least n commands called name (a
    name or a tuple; on coll, in db); with replied, n of them have had
    their reply from the server (a swallowed reply counts). Killing the
    client when the nth command has been seen but not answered lands in
    the middle of that command."""

    def cond():
        cmds = proxy.commands(name, coll=coll, db=db)
        if replied:
            cmds = [c for c in cmds if c.reply is not None]
        return len(cmds) >= n

    cond.__doc__ = "%d %s command(s)%s" % (n, name, " answered" if replied else " seen")
    return cond


def server_count(collection, n):
    """A condition: the pymongo collection holds at least n documents
    (a count by the server, read through a client of the test's own)."""

    def cond():
        try:
            return collection.count_documents({}) >= n
        except pymongo.errors.PyMongoError:
            return False

    cond.__doc__ = "%s holds %d documents" % (collection.full_name, n)
    return cond


# ---- the client ----

class ChildResult:
    """How a BulkqlChild ended: rc (negative: the signal that ended it),
    out and err (text), killed (the harness sent SIGKILL while it ran),
    kill_time (seconds from start to the kill, or None) and duration
    (seconds from start to exit)."""

    def __init__(self, rc, out, err, killed, kill_time, duration):
        self.rc = rc
        self.out = out
        self.err = err
        self.killed = killed
        self.kill_time = kill_time
        self.duration = duration

    def __repr__(self):
        return "rc=%s killed=%s kill_time=%s duration=%.3f\n--- stdout\n%s--- stderr\n%s" % (
            self.rc, self.killed, self.kill_time, self.duration, self.out, self.err)


class BulkqlChild:
    """The bulkql binary (BULKQL_BIN) run as a child process in a process
    group of its own, with args and the statement text (sql, passed with
    -c, or through a script file when long), stdout and stderr captured in
    temporary files (so a killed child cannot block on a full pipe).
    Every child is killed at its deadline (seconds from start) at the
    latest."""

    def __init__(self, args, sql=None, env=None, deadline=DEFAULT_DEADLINE, binary=None):
        self.binary = binary or os.environ["BULKQL_BIN"]
        self.args = list(args)
        for i, a in enumerate(self.args):
            if a == "--uri" and not is_loopback_uri(self.args[i + 1]):
                raise ValueError("fault tests talk to 127.0.0.1 only, not %s" % self.args[i + 1])
        self.sql = sql
        self.env = env
        self.deadline = deadline
        self.proc = None
        self.started = None
        self.killed = False
        self.kill_time = None
        self._dir = tempfile.mkdtemp(prefix="bulkql-fault-")
        self._result = None

    def start(self):
        cmd = [self.binary] + self.args
        if self.sql is not None:
            if len(self.sql) > 100000:
                script = os.path.join(self._dir, "statement.sql")
                with open(script, "w") as f:
                    f.write(self.sql)
                cmd += ["-f", script]
            else:
                cmd += ["-c", self.sql]
        e = dict(os.environ)
        e["MONGOC_DISABLE_SHM"] = "1"  # see tests/lib/bqltest.py
        if self.env:
            e.update(self.env)
        self._out = open(os.path.join(self._dir, "stdout"), "w+")
        self._err = open(os.path.join(self._dir, "stderr"), "w+")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._out, stderr=self._err, env=e,
                                     start_new_session=True)
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def __repr__(self):
        """The child's state for a test's failure message; never waits."""
        if self.proc is None:
            return "<bulkql child, not started>"
        if self.running():
            return "<bulkql child pid %d, running for %.3f s>" % (self.proc.pid, self.elapsed())
        return repr(self.wait())

    def elapsed(self):
        """Seconds since start."""
        return time.monotonic() - self.started

    def kill(self):
        """SIGKILL the child now (its whole process group). True when it was
        still running, i.e. the kill landed while it worked."""
        if not self.running():
            return False
        self.kill_time = self.elapsed()
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            return False
        self.killed = True
        self.proc.wait()
        return True

    def signal(self, sig):
        """Send sig (SIGINT for a Ctrl-C) to the child alone. Returns the
        monotonic time it was sent, or None when the child had ended."""
        if not self.running():
            return None
        t = time.monotonic()
        self.proc.send_signal(sig)
        return t

    def kill_after(self, seconds):
        """SIGKILL the child `seconds` after its start. True when it was
        still running then."""
        left = self.started + seconds - time.monotonic()
        if left > 0:
            try:
                self.proc.wait(left)
                return False  # it ended first
            except subprocess.TimeoutExpired:
                pass
        return self.kill()

    def kill_at_random(self, rng, low, high):
        """SIGKILL the child at a moment drawn uniformly from [low, high]
        seconds after its start with rng (a random.Random, seeded by the
        test so that a failure can be replayed). Returns the moment drawn
        when the kill landed while the child ran, else None."""
        moment = rng.uniform(low, high)
        return moment if self.kill_after(moment) else None

    def kill_when(self, condition, timeout=None, poll=0.002):
        """SIGKILL the child as soon as condition() is true (checked every
        `poll` seconds). False when the child ended first or the condition
        did not hold within timeout (default: the child's deadline)."""
        if timeout is None:
            timeout = max(0.0, self.started + self.deadline - time.monotonic())
        end = time.monotonic() + timeout
        while self.running() and time.monotonic() < end:
            if condition():
                return self.kill()
            time.sleep(poll)
        return False

    def wait(self, timeout=None):
        """Wait for the child to end (at most until its deadline, after
        which it is killed) and return its ChildResult."""
        if self._result is not None:
            return self._result
        if timeout is None:
            timeout = max(0.0, self.started + self.deadline - time.monotonic())
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        duration = time.monotonic() - self.started
        self._out.seek(0)
        self._err.seek(0)
        self._result = ChildResult(self.proc.returncode, self._out.read(), self._err.read(), self.killed,
                                   self.kill_time, duration)
        return self._result

    def close(self):
        """Kill the child if it still runs and remove its files."""
        if self.proc is not None:
            if self.running():
                self.kill()
            self.wait()
            self._out.close()
            self._err.close()
        shutil.rmtree(self._dir, ignore_errors=True)


# ---- the server ----

class TestServer:
    """A FerretDB test server of the test's own on 127.0.0.1:port (a free
    port chosen once, kept across restarts). backend "sqlite" keeps its
    data in data_dir (a temporary folder by default, removed by close());
    backend "postgresql" needs postgresql_url, a database of a PostgreSQL
    cluster on 127.0.0.1 (scripts/server start --backend postgresql runs
    one). kill() and a later start() keep the data: that is a server
    crash and restart."""

    __test__ = False  # not a unittest case

    def __init__(self, backend="sqlite", data_dir=None, postgresql_url=None, binary=None):
        if backend not in ("sqlite", "postgresql"):
            raise ValueError("backend is sqlite or postgresql, not %r" % backend)
        if backend == "postgresql" and not (postgresql_url and is_loopback_uri(postgresql_url)):
            raise ValueError("the postgresql backend needs a postgres:// URL on 127.0.0.1")
        self.backend = backend
        self.binary = binary or TESTSERVER
        self._own_dir = data_dir is None
        self.dir = tempfile.mkdtemp(prefix="bulkql-server-") if data_dir is None else data_dir
        self.postgresql_url = postgresql_url
        self.port = free_port()
        self.uri = "mongodb://127.0.0.1:%d/" % self.port
        self.proc = None
        self.kills = 0
        self.starts = 0
        self._log = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout=30.0):
        """Start the server on the same port and data and wait (at most
        timeout seconds) until it answers ping. A port still held by the
        previous process (TIME_WAIT does not matter: Go sets SO_REUSEADDR)
        is retried until the timeout."""
        if self.running():
            raise RuntimeError("the test server is already running")
        os.makedirs(self.dir, exist_ok=True)
        args = [self.binary, "-addr", "127.0.0.1:%d" % self.port]
        if self.backend == "sqlite":
            args += ["-dir", os.path.join(self.dir, "data")]
        else:
            args += ["-backend", "postgresql", "-postgresql-url", self.postgresql_url]
        if self._log is None:
            self._log = open(os.path.join(self.dir, "server.log"), "a")
        deadline = time.monotonic() + timeout
        client = pymongo.MongoClient(self.uri, serverSelectionTimeoutMS=200, connectTimeoutMS=200)
        try:
            while time.monotonic() < deadline:
                if not self.running():
                    self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                                 stderr=self._log, start_new_session=True)
                try:
                    client.admin.command("ping")
                    self.starts += 1
                    return
                except pymongo.errors.PyMongoError:
                    time.sleep(0.05)
        finally:
            client.close()
        self.stop()
        raise RuntimeError("the test server did not answer ping within %.0f s; see %s" %
                           (timeout, os.path.join(self.dir, "server.log")))

    def kill(self):
        """SIGKILL the server (a crash: no shutdown, data as the backend
        left it). True when it was running."""
        if not self.running():
            return False
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.kills += 1
        return True

    def restart(self, down_for=0.0, timeout=30.0):
        """kill(), stay down for down_for seconds, start() again."""
        self.kill()
        time.sleep(down_for)
        self.start(timeout)

    def stop(self):
        """SIGTERM the server and wait (10 s, then SIGKILL)."""
        if self.running():
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def client(self, **kw):
        """A pymongo client of this server (the caller closes it)."""
        kw.setdefault("serverSelectionTimeoutMS", 10000)
        return pymongo.MongoClient(self.uri, **kw)

    def close(self):
        """Stop the server and remove its data folder when it is ours."""
        self.stop()
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)


def seeded_rng(seed=None):
    """A random.Random seeded from BQL_FAULT_SEED, or seed, or the clock;
    its .seed_value is printed by tests so that a failure can be
    replayed with BQL_FAULT_SEED=...."""
    if seed is None:
        seed = int(os.environ.get("BQL_FAULT_SEED") or time.time_ns() % (1 << 31))
    rng = random.Random(seed)
    rng.seed_value = seed
    return rng
