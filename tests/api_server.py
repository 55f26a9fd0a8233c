"""A real uvicorn server on 127.0.0.1 (a free port) serving `create_app(engine)`, in a thread,
for the tests that need a real socket: SSE streams, the `openai` client, the browser."""

from __future__ import annotations

import threading
import time

import uvicorn

from veristream import Engine, Settings
from veristream.api import create_app
from veristream.serve import bind, url_of

TOKEN = "test-token-0123456789"


class Served:
    def __init__(self, engine: Engine, settings: Settings | None = None, token: str = TOKEN):
        self.engine = engine
        self.token = token
        self.app = create_app(engine, settings, token=token)
        self.sock = bind("127.0.0.1", 0)
        self.url = url_of(self.sock).rstrip("/")
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="on", ws="none",
                                timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True,
                                       name="test-uvicorn")

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def __enter__(self) -> "Served":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        self.sock.close()
        self.app.state.api.close()
