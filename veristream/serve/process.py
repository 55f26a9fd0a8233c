"""What the serving processes share: the listening socket, uvicorn's configuration and the
SIGTERM that stops a server gracefully."""

from __future__ import annotations

import signal
import socket
import threading
from collections.abc import Callable

import uvicorn
from starlette.types import ASGIApp

# Longer than the usual clients' idle-connection expiry (5-15 s), so a client never reuses a
# connection the server is closing at the same moment (a failed request with no retry).
KEEP_ALIVE_S = 30


class ServeError(RuntimeError):
    """The server cannot start (e.g. the port is taken); the message says what to change."""


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, bound here so a taken port is a clear error and port 0 works."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto given explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and
    # without it every keep-alive response waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port}: {e.strerror or e} (choose another with --port, or the "
                         "setting api_port)") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def uvicorn_config(app: ASGIApp) -> uvicorn.Config:
    """How every serving process runs uvicorn: no access log, no websockets, 3 s for open
    streams to end on shutdown, keep-alive past the clients' own expiry."""
    return uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", ws="none",
                          timeout_graceful_shutdown=3, timeout_keep_alive=KEEP_ALIVE_S)


def sigterm_stops(server: uvicorn.Server) -> Callable[[], None]:
    """SIGTERM ends the server like Ctrl-C does, so queued posts are written before exit.
    uvicorn handles it while it runs; this covers start-up and its re-raise at the end. The
    handler asks the server to exit rather than raising: an exception raised from a signal
    handler lands wherever the main thread is, and inside a callback it is only printed."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: object) -> None:
        server.should_exit = True

    old = signal.signal(signal.SIGTERM, handler)
    return lambda: signal.signal(signal.SIGTERM, old)
