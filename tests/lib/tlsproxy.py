"""tlsproxy — a TLS front for the test server, for tests of TLS options.

The test server speaks plain TCP. This proxy listens on 127.0.0.1 (a free
port) with TLS, using the self-signed certificate of tests/fixtures/tls
(server.pem is also the CA file that trusts it), and forwards the bytes of
each connection, decrypted, to the server of a mongodb:// URI. A client
that does not trust server.pem fails its handshake: the test then knows
which connections got the TLS options.

    with TlsProxy(upstream_uri) as proxy:
        proxy.uri   # mongodb://127.0.0.1:PORT/?tls=true
        proxy.handshakes, proxy.refused   # counts
"""
import os
import socket
import ssl
import threading

from wireproxy import upstream_address

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "tls")
CA_FILE = os.path.join(FIXTURES, "server.pem")
KEY_FILE = os.path.join(FIXTURES, "server.key")


class TlsProxy:
    def __init__(self, upstream_uri):
        self.upstream = upstream_address(upstream_uri)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(CA_FILE, KEY_FILE)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.uri = "mongodb://127.0.0.1:%d/?tls=true&serverSelectionTimeoutMS=5000" % self.port
        self.lock = threading.Lock()
        self.handshakes = 0  # completed
        self.refused = 0     # failed (the client did not trust the certificate)
        self.closing = False
        self.conns = []
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.closing = True
        self.thread.join(5)
        with self.lock:
            conns, self.conns = self.conns, []
        for s in conns:
            try:
                s.close()
            except OSError:
                pass
        self.sock.close()

    def _accept(self):
        while not self.closing:
            try:
                raw, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw):
        raw.settimeout(10)
        try:
            tls = self.ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            with self.lock:
                self.refused += 1
            raw.close()
            return
        tls.settimeout(None)
        with self.lock:
            self.handshakes += 1
        try:
            up = socket.create_connection(self.upstream, timeout=10)
        except OSError:
            tls.close()
            return
        up.settimeout(None)
        with self.lock:
            self.conns += [tls, up]
        threading.Thread(target=self._pump, args=(up, tls), daemon=True).start()
        self._pump(tls, up)

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
