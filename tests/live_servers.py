"""Loopback servers that speak the live services' wire protocols, for the sources tests.

* `WSServer`: a real WebSocket server (the `websockets` library) playing a script per
  connection: Jetstream's `/subscribe` and Mastodon's `/api/v1/streaming`;
* `HTTPServer`: a threaded HTTP/1.1 server whose handler is a plain function, able to write
  a chunked body line by line (X's filtered stream), cut a connection mid-message, stay
  silent, or answer JSON / feeds with ETag and Last-Modified.

Nothing here reaches past 127.0.0.1. Tests wait on conditions (`wait_for`), never on sleeps.
"""

from __future__ import annotations

import http.server
import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
from websockets.sync.server import ServerConnection, serve


def wait_for(pred: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


# -- WebSocket ------------------------------------------------------------------------------------

class Conn:
    """One accepted WebSocket connection, as the script sees it."""

    def __init__(self, ws: ServerConnection, index: int):
        self.ws = ws
        self.index = index
        req = ws.request
        self.path = req.path if req else ""
        self.query = parse_qs(urlsplit(self.path).query)
        self.headers = dict(req.headers.raw_items()) if req else {}
        self.opened = time.monotonic()
        self.closed: float | None = None
        self.received: list[str] = []

    def send(self, msg: Any) -> None:
        self.ws.send(msg if isinstance(msg, (str, bytes)) else orjson.dumps(msg).decode())

    def cut_mid_message(self, text: str = '{"did":"did:plc:cut","time_us":1,"kind":"commit","commit":{"rev":"x"') -> None:
        """Send the first part of a text frame, then drop the TCP connection."""
        payload = (text * 4).encode()
        header = struct.pack("!BBH", 0x81, 126, len(payload) + 100)  # FIN+text, 16-bit length, 100 bytes short
        sock = self.ws.socket
        sock.sendall(header + payload)
        sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def hold(self, stop: threading.Event, timeout: float = 30.0) -> None:
        """Keep the connection open (reading what the client sends) until stopped or closed."""
        deadline = time.monotonic() + timeout
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                m = self.ws.recv(timeout=0.05)
                self.received.append(m if isinstance(m, str) else m.decode())
            except TimeoutError:
                continue
            except Exception:  # noqa: BLE001 - the client went away
                return


class WSServer:
    """`script(conn, server)` runs for each connection; returning closes it normally."""

    def __init__(self, script: Callable[[Conn, "WSServer"], None],
                 process_request: Callable[..., Any] | None = None):
        self.script = script
        self.conns: list[Conn] = []
        self.stop_event = threading.Event()
        self._lock = threading.Lock()
        self._server = serve(self._handler, "127.0.0.1", 0, process_request=process_request,
                             compression=None, ping_interval=None)
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str = "/subscribe") -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def _handler(self, ws: ServerConnection) -> None:
        with self._lock:
            c = Conn(ws, len(self.conns))
            self.conns.append(c)
        try:
            self.script(c, self)
        except Exception:  # noqa: BLE001 - the client may go away mid-script
            pass
        finally:
            c.closed = time.monotonic()

    def close(self) -> None:
        self.stop_event.set()
        self._server.shutdown()
        self._thread.join(5)

    def __enter__(self) -> "WSServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- HTTP ----------------------------------------------------------------------------------------------

class Request:
    def __init__(self, h: http.server.BaseHTTPRequestHandler, index: int):
        self.h = h
        self.index = index
        self.method = h.command
        self.path = h.path
        u = urlsplit(h.path)
        self.route = u.path
        self.query = {k: v[0] for k, v in parse_qs(u.query).items()}
        self.headers = {k.lower(): v for k, v in h.headers.items()}
        n = int(self.headers.get("content-length") or 0)
        self.body = h.rfile.read(n) if n else b""
        self.at = time.monotonic()
        self.ended: float | None = None

    # plain answers
    def respond(self, status: int, body: bytes | str | Any = b"", headers: dict[str, str] | None = None,
                content_type: str = "application/json") -> None:
        if not isinstance(body, (bytes, str)):
            body = orjson.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        h = self.h
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        if status != 304:
            h.send_header("Content-Type", content_type)
            h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if status != 304 and body:
            h.wfile.write(body)
        h.wfile.flush()

    # chunked streaming
    def start_stream(self, status: int = 200, headers: dict[str, str] | None = None) -> None:
        h = self.h
        h.send_response(status)
        h.send_header("Content-Type", "application/json; charset=utf-8")
        h.send_header("Transfer-Encoding", "chunked")
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.flush()

    def chunk(self, data: bytes) -> None:
        self.h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.h.wfile.flush()

    def line(self, obj: Any) -> None:
        self.chunk((obj if isinstance(obj, bytes) else orjson.dumps(obj)) + b"\r\n")

    def keepalive(self) -> None:
        self.chunk(b"\r\n")

    def end_stream(self) -> None:
        self.h.wfile.write(b"0\r\n\r\n")
        self.h.wfile.flush()

    def cut(self, partial: bytes = b'{"data":{"id":"99","text":"half a me') -> None:
        """Write part of a message inside a chunk that never completes, then drop the connection."""
        self.h.wfile.write(b"%x\r\n%s" % (len(partial) + 50, partial))
        self.h.wfile.flush()
        self.drop()

    def drop(self) -> None:
        self.h.close_connection = True
        try:
            self.h.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def silent_until_closed(self, limit: float = 10.0) -> None:
        """Send nothing; return when the client hangs up (or after `limit`)."""
        s = self.h.connection
        s.settimeout(0.05)
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            try:
                if s.recv(1) == b"":
                    return
            except socket.timeout:
                continue
            except OSError:
                return


class HTTPServer:
    """`handler(req, server)` answers each request (threaded)."""

    def __init__(self, handler: Callable[[Request, "HTTPServer"], None]):
        self.handler = handler
        self.requests: list[Request] = []
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: Any) -> None:
                pass

            def _any(self) -> None:
                with outer._lock:
                    req = Request(self, len(outer.requests))
                    outer.requests.append(req)
                    outer.active += 1
                    outer.max_active = max(outer.max_active, outer.active)
                try:
                    outer.handler(req, outer)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    req.ended = time.monotonic()
                    with outer._lock:
                        outer.active -= 1
                self.close_connection = True

            do_GET = do_POST = do_DELETE = _any

        self._srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self._srv.daemon_threads = True
        self.port = self._srv.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def routes(self, route: str) -> list[Request]:
        return [r for r in self.requests if r.route == route]

    def close(self) -> None:
        self._srv.shutdown()
        self._srv.server_close()

    def __enter__(self) -> "HTTPServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def free_port() -> int:
    """A loopback port with nothing listening (connections are refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
