"""The serving processes of `veristream serve`, above the HTTP app (veristream.api).

Modules: `server` (the writer process: the engine, its live sources and uvicorn; the
terminal), `readers` (the reader processes it starts: `ReaderPool`), `reader` (a reader
process's main: `python -m veristream.serve.reader`), `proxy` (a reader's front: its own read
endpoints, the rest forwarded to the writer), `process` (what both share: the socket, uvicorn's
configuration, SIGTERM).
"""

from .process import ServeError, bind, url_of
from .proxy import served_by_reader
from .readers import ReaderPool, default_readers
from .server import ServeResult, run_server

__all__ = ["ReaderPool", "ServeError", "ServeResult", "bind", "default_readers", "run_server", "served_by_reader",
           "url_of"]
