"""wireproxy — a recording MongoDB wire-protocol proxy for tests.

It listens on 127.0.0.1 (a free port), forwards every byte between the
client (the `bulkql` binary) and the real server (MONGODB_URI), and
decodes what it can on the way:

* OP_MSG (2013): the section of kind 0 (the command body) and the sections
  of kind 1 (document sequences: libmongoc sends insert `documents`,
  update `updates` and delete `deletes` as sequences), with or without a
  checksum, and the server's replies (matched by responseTo);
* OP_QUERY (2004) / OP_REPLY (1): the legacy handshake (hello / isMaster);
* OP_COMPRESSED (2012) with the noop or zlib compressor (others are
  forwarded without being decoded).

Each client command becomes a `Command` record (name, db, body fields,
sequences, timestamps, the reply) that tests assert on. Faults can be
injected per command: close the connection before forwarding it, forward
it and close the connection instead of returning the reply (the server
applied it, the client never learns), forward it and swallow the reply
while keeping the connection open (the server applied it and the client
waits for an answer that never comes: a server that hangs), or answer it
with a crafted reply (for example a retryable error). Messages the client sends while a
moreToCome exchange is running are forwarded as they come; the two
directions are pumped by two threads per connection.

    with WireProxy() as proxy:
        run bulkql --uri proxy.uri ...
        inserts = proxy.commands("insert", coll="c")
"""
import itertools
import os
import socket
import struct
import threading
import time
import zlib

import bson
from bson.codec_options import CodecOptions

OP_REPLY = 1
OP_QUERY = 2004
OP_COMPRESSED = 2012
OP_MSG = 2013

CHECKSUM_PRESENT = 1 << 0
MORE_TO_COME = 1 << 1

_CODEC = CodecOptions(document_class=dict, tz_aware=True)
_HEADER = struct.Struct("<iiii")

# the body fields that are not the command's own arguments
_GENERIC = {"$db", "lsid", "$clusterTime", "$readPreference", "txnNumber", "autocommit", "startTransaction",
            "apiVersion", "apiStrict", "apiDeprecationErrors"}


def upstream_address(uri):
    """(host, port) of the first host of a mongodb:// URI."""
    if not uri.startswith("mongodb://"):
        raise ValueError("wireproxy needs a mongodb:// URI, not %r" % uri)
    rest = uri[len("mongodb://"):]
    hosts = rest.split("/", 1)[0].split("?", 1)[0]
    hosts = hosts.rsplit("@", 1)[-1]
    first = hosts.split(",", 1)[0]
    if first.startswith("["):  # [ipv6]:port
        host, _, port = first[1:].partition("]")
        port = port.lstrip(":")
    else:
        host, _, port = first.partition(":")
    return host, int(port or 27017)


def uri_options(uri):
    """The ?options part of a URI ('' when there is none)."""
    rest = uri[len("mongodb://"):]
    return rest.split("?", 1)[1] if "?" in rest else ""


class Command:
    """One message from the client, decoded.

    name, db: the command (first key of the body) and its $db;
    body: the kind-0 document (dict); sequences: {identifier: [docs]};
    time: time.monotonic() when the proxy had read the whole message;
    reply: the server's (or the injected) reply document, None until it
    came (or when the connection was closed instead; a swallowed reply is
    recorded here although the client never got it); action: what the
    proxy did ("forward", "close", "close_after", "swallow", "reply",
    "delay")."""

    def __init__(self, conn, request_id, opcode, flags, body, sequences, raw_len):
        self.conn = conn
        self.request_id = request_id
        self.opcode = opcode
        self.flags = flags
        self.body = body or {}
        self.sequences = sequences
        self.raw_len = raw_len
        self.time = time.monotonic()
        self.name = next(iter(self.body), None)
        self.db = self.body.get("$db")
        self.reply = None
        self.reply_time = None
        self.action = "forward"

    @property
    def collection(self):
        """The collection a command names (insert: 'c' -> 'c'), or None."""
        v = self.body.get(self.name) if self.name else None
        return v if isinstance(v, str) else None

    def ops(self, key):
        """The documents of a write command's array: the kind-1 sequence
        named key, or the array of that name in the body."""
        if key in self.sequences:
            return self.sequences[key]
        return list(self.body.get(key) or [])

    @property
    def documents(self):
        """The operations of an insert/update/delete (documents, updates or
        deletes), whichever the command carries."""
        for key in ("documents", "updates", "deletes"):
            if key in self.sequences or key in self.body:
                return self.ops(key)
        return []

    @property
    def args(self):
        """The body without the generic fields ($db, lsid, ...)."""
        return {k: v for k, v in self.body.items() if k not in _GENERIC}

    def __repr__(self):
        return "<%s %s.%s n=%d action=%s>" % (self.name, self.db, self.collection, len(self.documents), self.action)


ACTIONS = ("close", "close_after", "swallow", "reply", "delay", "hold")


class Fault:
    """An injected failure: for the next `times` commands that match, do
    `action` ("close", "close_after", "swallow", "reply" with `reply`,
    "delay" by `delay` seconds, or "hold" until release() is called, for
    `delay` seconds at most). `done` counts the actions completed (for
    close_after and swallow: once the server's reply came; for delay and
    hold: once the command was forwarded); wait() waits for them."""

    def __init__(self, match, action, times, reply, delay):
        if action not in ACTIONS:
            raise ValueError("unknown fault action %r" % action)
        if action == "reply" and reply is None:
            raise ValueError("a 'reply' fault needs the reply document")
        self.match = match
        self.action = action
        self.left = times
        self.reply = reply
        self.delay = delay
        self.hits = []  # the Commands it acted on
        self.done = 0
        self._cond = threading.Condition()
        self._released = threading.Event()

    def release(self):
        """Forward the commands a "hold" fault holds (and the next ones it
        matches, at once)."""
        self._released.set()

    def _completed(self):
        with self._cond:
            self.done += 1
            self._cond.notify_all()

    def wait(self, timeout, count=1):
        """Wait at most timeout seconds until `count` actions have been
        completed (the reply swallowed, the connection closed, ...). True
        when they have."""
        with self._cond:
            return self._cond.wait_for(lambda: self.done >= count, timeout)


class _Connection:
    def __init__(self, proxy, cid, client):
        self.proxy = proxy
        self.id = cid
        self.client = client
        self.server = None
        self.pending = {}  # requestID -> Command waiting for its reply
        self.client_lock = threading.Lock()  # writes to the client socket
        self.closed = threading.Event()
        self.client_gone = False  # the client left with commands in flight
        self.threads = []
        self.faults = {}  # requestID -> the Fault acting on that command

    def start(self):
        try:
            self.server = socket.create_connection(self.proxy.upstream, timeout=10)
            self.server.settimeout(None)
        except OSError as e:
            self.proxy._note_error("connection %d: cannot reach the server: %s" % (self.id, e))
            self.close()
            return
        for target, name in ((self._client_to_server, "c2s"), (self._server_to_client, "s2c")):
            t = threading.Thread(target=target, name="wireproxy-%d-%s" % (self.id, name), daemon=True)
            self.threads.append(t)
            t.start()

    def close(self):
        if self.closed.is_set():
            return
        self.closed.set()
        for s in (self.client, self.server):
            if s is None:
                continue
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass

    def join(self, timeout):
        for t in self.threads:
            if t is not threading.current_thread():
                t.join(timeout)

    @staticmethod
    def _read(sock, n):
        chunks = []
        while n:
            b = sock.recv(min(n, 1 << 20))
            if not b:
                raise EOFError
            chunks.append(b)
            n -= len(b)
        return b"".join(chunks)

    def _read_message(self, sock):
        header = self._read(sock, 16)
        length, request_id, response_to, opcode = _HEADER.unpack(header)
        if length < 16 or length > 64 * 1024 * 1024:
            raise EOFError("bad message length %d" % length)
        return header + self._read(sock, length - 16), request_id, response_to, opcode

    def _send_client(self, data):
        with self.client_lock:
            self.client.sendall(data)

    def _client_to_server(self):
        drain = False
        try:
            while not self.closed.is_set():
                raw, request_id, _, opcode = self._read_message(self.client)
                cmd = self.proxy._decode_request(self, raw, request_id, opcode)
                fault = self.proxy._fault_for(cmd) if cmd is not None else None
                if cmd is not None:
                    if fault:
                        cmd.action = fault.action
                    self.proxy._record(cmd)
                if fault and fault.action == "close":
                    self.close()
                    fault._completed()
                    return
                if fault and fault.action == "reply":
                    cmd.reply = fault.reply
                    cmd.reply_time = time.monotonic()
                    self._send_client(_op_msg(self.proxy._next_id(), request_id, fault.reply))
                    fault._completed()
                    continue
                if cmd is not None and not (cmd.flags & MORE_TO_COME):
                    with self.proxy._lock:
                        self.pending[request_id] = cmd
                        if fault:
                            self.faults[request_id] = fault
                if fault and fault.action == "delay":
                    time.sleep(fault.delay)
                if fault and fault.action == "hold":
                    fault._released.wait(fault.delay)
                self.server.sendall(raw)
                if fault and fault.action in ("delay", "hold"):
                    fault._completed()
        except (EOFError, OSError):
            # the client left (killed, timed out): keep reading the replies
            # of commands the server is still running, so that the test
            # can wait for them before it drops its database
            with self.proxy._lock:
                drain = bool(self.pending) and not self.closed.is_set()
                self.client_gone = drain
        except Exception as e:  # a decoding bug must not hang the client
            self.proxy._note_error("connection %d (client side): %r" % (self.id, e))
        finally:
            if not drain:
                self.close()

    def _server_to_client(self):
        try:
            while not self.closed.is_set():
                raw, _, response_to, opcode = self._read_message(self.server)
                swallowed = False
                with self.proxy._lock:
                    cmd = self.pending.pop(response_to, None)
                    fault = self.faults.pop(response_to, None)
                if cmd is not None:
                    flags, reply = _decode_reply(raw, opcode)
                    cmd.reply = reply
                    cmd.reply_time = time.monotonic()
                    if flags & MORE_TO_COME:  # exhaust: more replies follow
                        with self.proxy._lock:
                            self.pending[response_to] = cmd
                    if cmd.action == "close_after":
                        self.close()
                        if fault:
                            fault._completed()
                        return
                    if cmd.action == "swallow":
                        # the client keeps waiting on an open connection
                        swallowed = True
                        if fault:
                            fault._completed()
                if self.client_gone:
                    with self.proxy._lock:
                        idle = not self.pending
                    if idle:
                        self.close()
                        return
                    continue
                if not swallowed:
                    self._send_client(raw)
        except (EOFError, OSError):
            pass
        except Exception as e:
            self.proxy._note_error("connection %d (server side): %r" % (self.id, e))
        finally:
            self.close()


def _decode_op_msg(payload):
    """(flags, body, {identifier: [docs]}) of an OP_MSG payload (after the header)."""
    flags = struct.unpack_from("<I", payload, 0)[0]
    end = len(payload) - (4 if flags & CHECKSUM_PRESENT else 0)
    pos = 4
    body = None
    seqs = {}
    while pos < end:
        kind = payload[pos]
        pos += 1
        if kind == 0:
            size = struct.unpack_from("<i", payload, pos)[0]
            body = bson.decode(payload[pos:pos + size], codec_options=_CODEC)
            pos += size
        elif kind == 1:
            size = struct.unpack_from("<i", payload, pos)[0]
            section_end = pos + size
            nul = payload.index(b"\0", pos + 4)
            ident = payload[pos + 4:nul].decode()
            seqs.setdefault(ident, []).extend(bson.decode_all(payload[nul + 1:section_end], codec_options=_CODEC))
            pos = section_end
        else:
            raise ValueError("unknown OP_MSG section kind %d" % kind)
    return flags, body, seqs


def _decompress(payload):
    """(original opcode, payload) of an OP_COMPRESSED message, payload None
    when the compressor is not one we decode."""
    original, _size, compressor = struct.unpack_from("<iiB", payload, 0)
    data = payload[9:]
    if compressor == 0:
        return original, data
    if compressor == 2:
        return original, zlib.decompress(data)
    return original, None


def _decode_reply(raw, opcode):
    """(flags, document) of a server reply; document None if not decoded."""
    payload = raw[16:]
    if opcode == OP_COMPRESSED:
        opcode, payload = _decompress(payload)
        if payload is None:
            return 0, None
    if opcode == OP_MSG:
        flags, body, _ = _decode_op_msg(payload)
        return flags, body
    if opcode == OP_REPLY:
        docs = bson.decode_all(payload[20:], codec_options=_CODEC)
        return 0, docs[0] if docs else None
    return 0, None


def _op_msg(request_id, response_to, doc):
    """An OP_MSG reply carrying doc."""
    body = b"\0\0\0\0" + b"\0" + bson.encode(doc)
    return _HEADER.pack(16 + len(body), request_id, response_to, OP_MSG) + body


class WireProxy:
    """The proxy. Use as a context manager, or call close()."""

    def __init__(self, upstream_uri=None):
        self.upstream_uri = upstream_uri or os.environ["MONGODB_URI"]
        self.upstream = upstream_address(self.upstream_uri)
        self._lock = threading.Lock()
        self._cmds = []
        self._faults = []
        self._errors = []
        self._conns = []
        self._ids = itertools.count(1 << 24)
        self._cids = itertools.count(1)
        self._stop = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        opts = uri_options(self.upstream_uri)
        self.uri = "mongodb://127.0.0.1:%d/%s" % (self.port, "?" + opts if opts else "")
        self._acceptor = threading.Thread(target=self._accept_loop, name="wireproxy-accept", daemon=True)
        self._acceptor.start()

    # ---- life cycle ----

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Stop accepting, close every connection, join the threads."""
        self._stop.set()
        self._acceptor.join(5)
        try:
            self._listener.close()
        except OSError:
            pass
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            c.close()
        for c in conns:
            c.join(5)

    def wait_idle(self, timeout):
        """Wait (at most timeout seconds) until the server has answered every
        command forwarded to it, even those whose client has gone. True
        when it has."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                busy = [c for c in self._conns if c.pending and not c.closed.is_set()]
            if not busy:
                return True
            time.sleep(0.05)
        return False

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            client.settimeout(None)
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _Connection(self, next(self._cids), client)
            with self._lock:
                self._conns.append(conn)
            conn.start()

    # ---- recording ----

    def _next_id(self):
        return next(self._ids)

    def _note_error(self, msg):
        with self._lock:
            self._errors.append(msg)

    def _decode_request(self, conn, raw, request_id, opcode):
        payload = raw[16:]
        try:
            if opcode == OP_COMPRESSED:
                opcode, payload = _decompress(payload)
                if payload is None:
                    return None
            if opcode == OP_MSG:
                flags, body, seqs = _decode_op_msg(payload)
                return Command(conn.id, request_id, opcode, flags, body, seqs, len(raw))
            if opcode == OP_QUERY:
                # flags, fullCollectionName cstring, skip, return, query
                nul = payload.index(b"\0", 4)
                ns = payload[4:nul].decode()
                query = bson.decode(payload[nul + 9:nul + 9 + struct.unpack_from("<i", payload, nul + 9)[0]],
                                    codec_options=_CODEC)
                if "$query" in query:
                    query = query["$query"]
                body = dict(query)
                body.setdefault("$db", ns.split(".", 1)[0])
                return Command(conn.id, request_id, opcode, 0, body, {}, len(raw))
        except Exception as e:
            self._note_error("cannot decode a message (opcode %d): %r" % (opcode, e))
        return None

    def _record(self, cmd):
        with self._lock:
            self._cmds.append(cmd)

    def _fault_for(self, cmd):
        # every fault's match sees every command (matchers may count)
        with self._lock:
            chosen = None
            for f in self._faults:
                if f.match(cmd) and f.left > 0 and chosen is None:
                    chosen = f
            if chosen:
                chosen.left -= 1
                chosen.hits.append(cmd)
            return chosen

    # ---- the test's side ----

    def inject(self, match, action, times=1, reply=None, delay=0.0):
        """For the next `times` commands for which match(Command) is true:
        "close" the connection without forwarding the command; forward it
        and "close_after" the server's reply came (the write is applied,
        the reply lost); forward it and "swallow" the server's reply,
        leaving the connection open (the write is applied and the client
        waits until its own socket timeout or until it is stopped); answer
        with `reply` (a dict) instead of forwarding; "delay" forwarding
        it by `delay` seconds; or "hold" it until the Fault's release() (at
        most `delay` seconds: every wait of a test is bounded). Returns the
        Fault (its .hits lists the
        commands it matched, .wait() waits until it has acted)."""
        f = Fault(match, action, times, reply, delay)
        with self._lock:
            self._faults.append(f)
        return f

    def swallow_reply(self, name, coll=None, nth=1):
        """Swallow the reply to the nth command called name (on coll)
        from now on (see inject). Returns the Fault."""
        return self.inject(matcher(name, coll=coll, nth=nth), "swallow")

    def clear_faults(self):
        with self._lock:
            self._faults = []

    def reset(self):
        """Forget the recorded commands."""
        with self._lock:
            self._cmds = []

    @property
    def errors(self):
        """Messages the proxy could not decode or forward (should be [])."""
        with self._lock:
            return list(self._errors)

    def commands(self, name=None, coll=None, db=None):
        """The recorded commands, in arrival order; filtered by command name
        (str or tuple of names), collection and database."""
        with self._lock:
            cmds = list(self._cmds)
        if isinstance(name, str):
            name = (name,)
        return [c for c in cmds if (name is None or c.name in name) and (coll is None or c.collection == coll) and
                (db is None or c.db == db)]

    def writes(self, coll=None, db=None):
        """The insert, update and delete commands."""
        return self.commands(("insert", "update", "delete"), coll=coll, db=db)

    def hung_up(self, name=None, db=None):
        """The recorded commands (filtered as commands() does) that expect a
        reply but whose connection was closed before it came: the server
        hung up on them (or a "close" fault did), in arrival order."""
        with self._lock:
            closed = {c.id for c in self._conns if c.closed.is_set()}
        return [c for c in self.commands(name, db=db)
                if c.reply is None and not (c.flags & MORE_TO_COME) and c.conn in closed]


def matcher(name, coll=None, nth=None):
    """A match function for inject(): commands called name (on coll);
    with nth, only the nth such command (1-based) seen from now on."""
    seen = [0]

    def match(cmd):
        if cmd.name != name or (coll is not None and cmd.collection != coll):
            return False
        seen[0] += 1
        return nth is None or seen[0] == nth

    return match
