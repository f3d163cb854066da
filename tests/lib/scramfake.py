"""scramfake — a small fake MongoDB server that requires SCRAM-SHA-256.

The test server (FerretDB over SQLite) has no authentication, so the
password prompt of bulkql cannot be shown to deliver a password to a
real server with it. This fake listens on 127.0.0.1 only (a free port)
and speaks just enough of the wire protocol for libmongoc to connect and
log in:

* the handshake: `hello` / `isMaster` over OP_QUERY (legacy, as libmongoc
  sends its first one) or OP_MSG, advertising SCRAM-SHA-256 for the user
  (`saslSupportedMechs`); speculative authentication is not answered, so
  the client runs the full conversation;
* `saslStart` / `saslContinue` with SCRAM-SHA-256 (RFC 5802, RFC 7677):
  the client's proof is checked against the one user and password given
  (with PBKDF2-HMAC-SHA-256, 4096 iterations, a random 28-byte salt), and a good
  proof is answered with the server signature, a bad one with
  AuthenticationFailed (18);
* after a login: `ping`, `listDatabases` (one database, "fakedb") and
  `endSessions`; before a login every command but the handshake and the
  SASL conversation is refused with Unauthorized (13).

Each login attempt is recorded in `attempts` as (user, ok), so a test can
assert that the typed password reached the server (and a wrong one was
refused there, not by the client).

    with ScramFake("bob", "secret") as fake:
        run bulkql --uri mongodb://bob@127.0.0.1:PORT/ ...   (fake.port)
        fake.attempts == [("bob", True)]
"""
import base64
import hashlib
import hmac
import os
import socket
import struct
import threading
import time

import bson
from bson.binary import Binary
from bson.codec_options import CodecOptions

OP_REPLY = 1
OP_QUERY = 2004
OP_MSG = 2013

_CODEC = CodecOptions(document_class=dict)
_HEADER = struct.Struct("<iiii")
ITERATIONS = 4096


def _hmac(key, msg):
    return hmac.new(key, msg, hashlib.sha256).digest()


def _h(data):
    return hashlib.sha256(data).digest()


def _xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


def _attrs(text):
    """'a=1,b=2' as {'a': '1', 'b': '2'} (values may hold '=')."""
    out = {}
    for part in text.split(","):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k] = v
    return out


class ScramFake:
    def __init__(self, user, password):
        self.user = user
        self.salt = os.urandom(28)  # as MongoDB: the digest size + 4 (libmongoc checks it)
        salted = hashlib.pbkdf2_hmac("sha256", password.encode(), self.salt, ITERATIONS)
        self.stored_key = _h(_hmac(salted, b"Client Key"))
        self.server_key = _hmac(salted, b"Server Key")
        self.attempts = []
        self.commands = []
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self._closed = False
        self._conns = []
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._closed = True
        try:
            self._sock.close()
        except OSError:
            pass
        for c in list(self._conns):
            try:
                c.shutdown(socket.SHUT_RDWR)
                c.close()
            except OSError:
                pass

    def _accept_loop(self):
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    # ---- the wire protocol ----

    @staticmethod
    def _read(conn, n):
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def _serve(self, conn):
        state = {"authed": False, "conv": None}
        try:
            while True:
                header = self._read(conn, 16)
                length, request_id, _, opcode = _HEADER.unpack(header)
                payload = self._read(conn, length - 16)
                if opcode == OP_QUERY:
                    # flags, "db.$cmd\0", skip, return, the command
                    end = payload.index(b"\0", 4)
                    doc = bson.decode_all(payload[end + 9:], codec_options=_CODEC)[0]
                    reply = self._command(doc, state)
                    body = bson.encode(reply)
                    msg = struct.pack("<iqii", 0, 0, 0, 1) + body
                    conn.sendall(_HEADER.pack(16 + len(msg), 0, request_id, OP_REPLY) + msg)
                elif opcode == OP_MSG:
                    flags = struct.unpack_from("<I", payload, 0)[0]
                    end = len(payload) - (4 if flags & 1 else 0)
                    pos, doc = 4, None
                    while pos < end:
                        kind = payload[pos]
                        pos += 1
                        size = struct.unpack_from("<i", payload, pos)[0]
                        if kind == 0:
                            doc = bson.decode(payload[pos:pos + size], codec_options=_CODEC)
                        pos += size
                    reply = self._command(doc or {}, state)
                    msg = struct.pack("<I", 0) + b"\0" + bson.encode(reply)
                    conn.sendall(_HEADER.pack(16 + len(msg), 0, request_id, OP_MSG) + msg)
                else:
                    return
        except (EOFError, OSError, ValueError, IndexError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    # ---- the commands ----

    def _command(self, doc, state):
        name = next(iter(doc), "")
        with self._lock:
            self.commands.append(name)
        if name.lower() in ("hello", "ismaster"):
            return {"ismaster": True, "isWritablePrimary": True, "helloOk": True, "maxWireVersion": 17,
                    "minWireVersion": 0, "maxBsonObjectSize": 16 * 1024 * 1024, "maxMessageSizeBytes": 48000000,
                    "maxWriteBatchSize": 100000, "localTime": bson.datetime.datetime.now(bson.datetime.timezone.utc),
                    "logicalSessionTimeoutMinutes": 30, "connectionId": 1, "readOnly": False,
                    "saslSupportedMechs": ["SCRAM-SHA-256"], "ok": 1.0}
        if name == "saslStart":
            if doc.get("mechanism") != "SCRAM-SHA-256":
                return self._fail(2, "BadValue", "only SCRAM-SHA-256 here")
            text = bytes(doc["payload"]).decode()
            bare = text.split(",", 2)[2]  # "n,,n=user,r=nonce" -> "n=user,r=nonce"
            a = _attrs(bare)
            nonce = a["r"] + base64.b64encode(os.urandom(18)).decode()
            first = "r=%s,s=%s,i=%d" % (nonce, base64.b64encode(self.salt).decode(), ITERATIONS)
            state["conv"] = {"user": a.get("n", "").replace("=2C", ",").replace("=3D", "="), "bare": bare,
                             "first": first, "nonce": nonce}
            return {"conversationId": 1, "done": False, "payload": Binary(first.encode()), "ok": 1.0}
        if name == "saslContinue":
            conv = state["conv"]
            if conv is None:
                return self._fail(17, "ProtocolError", "no SASL conversation")
            text = bytes(doc["payload"]).decode()
            if conv.get("done"):
                # the empty last step (without skipEmptyExchange)
                return {"conversationId": 1, "done": True, "payload": Binary(b""), "ok": 1.0}
            a = _attrs(text)
            without_proof = text.rsplit(",p=", 1)[0]
            auth_message = ",".join((conv["bare"], conv["first"], without_proof)).encode()
            signature = _hmac(self.stored_key, auth_message)
            proof = base64.b64decode(a.get("p", ""))
            ok = (a.get("r") == conv["nonce"] and conv["user"] == self.user and len(proof) == 32
                  and _h(_xor(proof, signature)) == self.stored_key)
            with self._lock:
                self.attempts.append((conv["user"], ok))
            if not ok:
                state["conv"] = None
                return self._fail(18, "AuthenticationFailed", "Authentication failed.")
            state["authed"] = True
            conv["done"] = True
            v = "v=" + base64.b64encode(_hmac(self.server_key, auth_message)).decode()
            # done at once (as with the client's skipEmptyExchange); a
            # client that sends the empty step anyway is answered above
            return {"conversationId": 1, "done": True, "payload": Binary(v.encode()), "ok": 1.0}
        if name in ("endSessions",):
            return {"ok": 1.0}
        if not state["authed"]:
            return self._fail(13, "Unauthorized", "command %s requires authentication" % name)
        if name == "ping":
            return {"ok": 1.0}
        if name == "listDatabases":
            return {"databases": [{"name": "fakedb", "sizeOnDisk": 0, "empty": False}], "totalSize": 0, "ok": 1.0}
        return self._fail(59, "CommandNotFound", "no such command: '%s'" % name)

    @staticmethod
    def _fail(code, code_name, msg):
        return {"ok": 0.0, "errmsg": msg, "code": code, "codeName": code_name}

    def wait_attempts(self, n, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            with self._lock:
                if len(self.attempts) >= n:
                    return list(self.attempts)
            time.sleep(0.05)
        with self._lock:
            return list(self.attempts)
