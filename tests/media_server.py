"""A local image host for the media tests: plain HTTP on loopback, images drawn by the test.

Paths: any name registered with `put` (bytes and content type), plus the hostile ones:
/slow.png trickles a PNG a few bytes at a time, /redirect/NAME answers 302 to /NAME,
/nolength.png sends a large body without Content-Length."""

from __future__ import annotations

import io
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

LATIN_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
JAPANESE_FONTS = [Path("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"),
                  Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
                  Path("/usr/share/fonts/truetype/fonts-japanese-gothic.ttf")]


def japanese_font() -> Path | None:
    return next((f for f in JAPANESE_FONTS if f.is_file()), None)


def text_png(text: str, font: Path = LATIN_FONT, size: int = 36) -> bytes:
    """A PNG of `text`, black on white, as a screenshot of a sign or statement would be."""
    f = ImageFont.truetype(str(font), size)
    lines = text.split("\n")
    boxes = [f.getbbox(line) for line in lines]
    w = max(b[2] for b in boxes) + 60
    line_h = max(b[3] for b in boxes) + size // 2
    img = Image.new("RGB", (w, line_h * len(lines) + 60), "white")
    d = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        d.text((30, 30 + i * line_h), line, fill="black", font=f)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def noise_png(width: int, height: int) -> bytes:
    """A PNG that does not compress: many bytes."""
    img = Image.frombytes("L", (width, height), os.urandom(width * height))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def blank_png(width: int, height: int) -> bytes:
    """A PNG of many pixels in few bytes (a decompression bomb's shape)."""
    img = Image.new("1", (width, height), 1)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


class ImageHost:
    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        self.hits: dict[str, int] = {}
        self._stop = threading.Event()
        host = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                name = self.path.lstrip("/")
                host.hits[name] = host.hits.get(name, 0) + 1
                if name.startswith("redirect/"):
                    self.send_response(302)
                    self.send_header("Location", "/" + name.split("/", 1)[1])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if name == "slow.png":
                    body = text_png("slow")
                    self.send_response(200)
                    self.send_header("Content-Type", "image/png")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    try:
                        for i in range(0, len(body), 8):
                            if host._stop.wait(0.2):
                                return
                            self.wfile.write(body[i:i + 8])
                            self.wfile.flush()
                    except OSError:  # the client gave up: as it should
                        pass
                    return
                if name == "nolength.png":
                    self.send_response(200)
                    self.send_header("Content-Type", "image/png")
                    self.end_headers()
                    try:
                        self.wfile.write(b"\x89PNG\r\n\x1a\n")
                        for _ in range(400):
                            self.wfile.write(b"\0" * 4096)
                    except OSError:
                        pass
                    return
                got = host.files.get(name)
                if got is None:
                    self.send_error(404)
                    return
                body, ctype = got
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def put(self, name: str, body: bytes, ctype: str = "image/png") -> str:
        self.files[name] = (body, ctype)
        return self.url(name)

    def close(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()
        time.sleep(0)
