"""A reader process of `veristream serve` (`python -m veristream.serve.reader`, started by
`ReaderPool`): its spec on stdin, READY on stdout once it serves, then the read endpoints from
a read-only engine, the rest forwarded to the writer (veristream.serve.readers)."""

from __future__ import annotations

import gc
import os
import pickle
import signal
import socket
import sys
import threading
import time
from dataclasses import replace
from types import FrameType

import uvicorn

from ..api import create_app
from ..engine import Engine
from ..places import resolve_text
from .process import bind, sigterm_stops, uvicorn_config
from .proxy import SplitApp, WriterProxy
from .readers import READY, ReaderSpec


class ReaderServer(uvicorn.Server):
    """A reader stops on SIGTERM (from the writer) or when the writer is gone, not on SIGINT:
    Ctrl-C in a terminal reaches every process of the group, and the writer then stops its
    readers itself, after they have finished their requests (a second signal would cut them)."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig != signal.SIGINT:
            super().handle_exit(sig, frame)


def reader_main() -> int:
    """A reader process: the spec on stdin, READY on stdout once it serves, then serve until
    SIGTERM/SIGINT or until the writer is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the writer stops us (see ReaderServer)
    spec: ReaderSpec = pickle.load(sys.stdin.buffer)
    alive_fd = spec.alive_fd
    server_box: list = []
    writer_gone = threading.Event()

    def lifeline() -> None:
        try:
            while os.read(alive_fd, 1):  # nobody writes: returns b"" once the writer is gone
                pass
        except OSError:
            pass
        writer_gone.set()
        if server_box:
            server_box[0].should_exit = True
        else:
            os._exit(0)  # still starting: nothing to finish

    threading.Thread(target=lifeline, daemon=True, name="veristream-lifeline").start()

    sys.setswitchinterval(0.001)  # as in the writer: short requests do not wait out long slices
    # Reads only: no embedding model, no detector state (answers and trends are the writer's).
    settings = replace(spec.settings, vectors=False, trends=False)
    engine = Engine(spec.data_dir, settings, readonly=True)
    local = create_app(engine, settings, token=spec.token, inline_reads=True)
    proxy = WriterProxy(spec.writer_url, spec.proxy_secret)
    sock = socket.socket(fileno=spec.listen_fd)
    stats = bind("127.0.0.1", 0)
    stats_port = stats.getsockname()[1]
    app = SplitApp(local, proxy, int(settings.api.max_body_mb * 1024 * 1024), stats_port)
    server = ReaderServer(uvicorn_config(app))
    server_box.append(server)
    if writer_gone.is_set():
        server.should_exit = True

    def note_ready() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.01)
        try:
            os.write(sys.stdout.fileno(), READY + b"%d\n" % stats_port)
        except OSError:
            pass

    threading.Thread(target=note_ready, daemon=True, name="veristream-ready").start()
    # Search hits carry their place: the gazetteer loads once per process (~1 s on 2 cores,
    # measured in bench/realtime.py's searcher), at start-up rather than in a user's first search.
    try:
        resolve_text("Paris")
    except RuntimeError:  # no gazetteer installed: hits carry no place
        pass
    # What start-up built (the app, the engine, the analysers' tables) lives as long as the
    # process: out of the collector's sight, a full collection no longer walks it, so it stops
    # pausing searches for tens of milliseconds (bench/serve.py: gen-2 passes of 52-87 ms before, ~5 ms after).
    gc.collect()
    gc.freeze()
    restore = sigterm_stops(server)
    try:
        server.run(sockets=[sock, stats])
    except KeyboardInterrupt:
        pass
    finally:
        restore()
        stats.close()
        local.state.api.close()
        engine.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(reader_main())
