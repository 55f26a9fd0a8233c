"""Fetching a post's image: hostile ground.

An image URL in a post is whatever its author (or a relay) wrote: it may point at this
machine's admin ports, a cloud metadata address, a file of gigabytes, a server that sends one
byte a minute, or HTML calling itself image/png. So, before anything is decoded:

- only `http` and `https`; the host's addresses are resolved once and every one must be
  public (`ipaddress.is_global`); loopback only when `allow_loopback` (tests); the connection
  goes to the address that was checked (a second DNS answer cannot swap in a private one),
  and a redirect (at most 3) is checked the same way;
- the status must be 200, the Content-Type one of the image types OCR reads, and the first
  bytes that type's magic number (a "PNG" that is HTML is refused);
- Content-Length over `max_bytes` is refused before reading, and the body is counted while
  read; the whole fetch has a deadline (`timeout_s`), not only each read, so a trickling
  server cannot hold a worker;
- the image's header gives its size: more than `max_pixels` is refused before decoding.

Every refusal is a `FetchError` whose `reason` is a short, countable word ("too_large",
"not_public", ...) and whose message names the URL. Nothing fetched is executed or stored.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from PIL import Image

MAX_REDIRECTS = 3
_TYPES = {"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/gif": "gif", "image/webp": "webp",
          "image/bmp": "bmp", "image/tiff": "tiff"}
_MAGIC = {"png": (b"\x89PNG\r\n\x1a\n",), "jpeg": (b"\xff\xd8\xff",), "gif": (b"GIF87a", b"GIF89a"),
          "webp": (b"RIFF",), "bmp": (b"BM",), "tiff": (b"II*\x00", b"MM\x00*")}
_PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "gif": "GIF", "webp": "WEBP", "bmp": "BMP", "tiff": "TIFF"}
_RESERVED_TLDS = frozenset({"example", "invalid", "test", "localhost", "local", "internal", "lan", "home", "corp"})
USER_AGENT = "veristream-media/0.1 (+https://github.com/veristream)"


class FetchError(Exception):
    """A refused or failed fetch: `reason` is what it is counted as."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(slots=True, frozen=True)
class Limits:
    max_bytes: int = 8_000_000
    max_pixels: int = 25_000_000
    timeout_s: float = 10.0
    allow_loopback: bool = False


@dataclass(slots=True)
class Fetched:
    url: str
    image: Image.Image  # opened and size-checked, not yet decoded
    bytes: int
    content_type: str


def _short(url: str) -> str:
    return repr(url[:200])


def public_addresses(host: str, port: int, allow_loopback: bool) -> list[str]:
    """The host's addresses, if every one may be fetched; FetchError otherwise."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as e:
        raise FetchError("dns", f"cannot resolve {host[:100]!r}: {e}") from None
    addrs = list(dict.fromkeys(i[4][0] for i in infos))
    if not addrs:
        raise FetchError("dns", f"no address for {host[:100]!r}")
    for a in addrs:
        ip = ipaddress.ip_address(a.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if ip.is_loopback and allow_loopback:
            continue
        if not ip.is_global or ip.is_multicast:
            raise FetchError("not_public", f"{host[:100]!r} resolves to {a}, not a public address")
    return addrs


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to an address already checked, with the certificate checked for the host name."""

    def __init__(self, host: str, ip: str, port: int, timeout: float, context: ssl.SSLContext):
        super().__init__(host, port, timeout=timeout, context=context)
        self._ip = ip

    def connect(self) -> None:
        sock = socket.create_connection((self._ip, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, ip: str, port: int, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._ip = ip

    def connect(self) -> None:
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)


class HostRate:
    """At most `per_s` fetches a second to one host: `wait(host)` sleeps until its turn.
    Shared by the consumer's workers; memory is bounded (old hosts are forgotten)."""

    def __init__(self, per_s: float, max_hosts: int = 10_000):
        self.interval = 1.0 / per_s
        self._next: dict[str, float] = {}
        self._mu = threading.Lock()
        self._max = max_hosts

    def wait(self, host: str, stop: threading.Event | None = None) -> float:
        """Sleep until `host`'s turn; returns the wait it was given (0: its turn had come)."""
        with self._mu:
            now = time.monotonic()
            at = max(now, self._next.get(host, 0.0))
            self._next[host] = at + self.interval
            if len(self._next) > self._max:
                for h in [h for h, t in self._next.items() if t < now][: self._max // 2]:
                    del self._next[h]
        delay = at - now
        if delay > 0:
            if stop is not None:
                stop.wait(delay)
            else:
                time.sleep(delay)
        return max(0.0, delay)


class Fetcher:
    def __init__(self, limits: Limits, rate: HostRate | None = None):
        self.limits = limits
        self.rate = rate
        self._ssl = ssl.create_default_context()

    def fetch(self, url: str, stop: threading.Event | None = None) -> Fetched:
        deadline = time.monotonic() + self.limits.timeout_s
        for _ in range(MAX_REDIRECTS + 1):
            got = self._get(url, deadline, stop)
            if isinstance(got, Fetched):
                return got
            url = got  # a redirect: checked again from the start
        raise FetchError("redirects", f"{_short(url)}: more than {MAX_REDIRECTS} redirects")

    def _get(self, url: str, deadline: float, stop: threading.Event | None) -> Fetched | str:
        if len(url) > 4096:
            raise FetchError("bad_url", f"url of {len(url)} characters")
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as e:
            raise FetchError("bad_url", f"{_short(url)}: {e}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError("bad_url", f"{_short(url)}: only http(s) urls with a host are fetched")
        if parts.username or parts.password:
            raise FetchError("bad_url", f"{_short(url)}: urls with credentials are not fetched")
        host = parts.hostname
        if host.rstrip(".").rsplit(".", 1)[-1] in _RESERVED_TLDS and not (self.limits.allow_loopback and host == "localhost"):
            raise FetchError("reserved_name", f"{_short(url)}: {host[:100]!r} is a reserved name (RFC 2606/6761)")
        ip = public_addresses(host, port, self.limits.allow_loopback)[0]
        if self.rate is not None:
            self.rate.wait(host.lower(), stop)
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchError("timeout", f"{_short(url)}: timed out")
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        conn = (_PinnedHTTPS(host, ip, port, left, self._ssl) if parts.scheme == "https"
                else _PinnedHTTP(host, ip, port, left))
        try:
            try:
                conn.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept": "image/*",
                                                   "Accept-Encoding": "identity"})
                resp = conn.getresponse()
            except (OSError, http.client.HTTPException, ssl.SSLError) as e:
                reason = "timeout" if isinstance(e, (socket.timeout, TimeoutError)) else "connect"
                raise FetchError(reason, f"{_short(url)}: {type(e).__name__}: {str(e)[:120]}") from None
            if resp.status in (301, 302, 303, 307, 308):
                loc = resp.getheader("Location")
                if not loc:
                    raise FetchError("http_status", f"{_short(url)}: redirect without a Location")
                return urljoin(url, loc)
            if resp.status != 200:
                raise FetchError("http_status", f"{_short(url)}: HTTP {resp.status}")
            ctype = (resp.getheader("Content-Type") or "").split(";", 1)[0].strip().lower()
            kind = _TYPES.get(ctype)
            if kind is None:
                raise FetchError("content_type", f"{_short(url)}: content type {ctype[:60]!r} is not an image OCR reads")
            length = resp.getheader("Content-Length")
            if length is not None:
                try:
                    n = int(length)
                except ValueError:
                    raise FetchError("http_status", f"{_short(url)}: bad Content-Length {length[:30]!r}") from None
                if n > self.limits.max_bytes:
                    raise FetchError("too_large", f"{_short(url)}: {n:,} bytes > {self.limits.max_bytes:,}")
            body = self._read(resp, url, deadline)
        finally:
            conn.close()
        if not body.startswith(_MAGIC[kind]) or (kind == "webp" and body[8:12] != b"WEBP"):
            raise FetchError("not_image", f"{_short(url)}: says {ctype} but its bytes are not one")
        try:
            img = Image.open(io.BytesIO(body), formats=[_PIL_FORMATS[kind]])  # reads the header only
        except Exception as e:  # noqa: BLE001 - Pillow raises many kinds on a broken header
            raise FetchError("not_image", f"{_short(url)}: unreadable {kind}: {type(e).__name__}") from None
        w, h = img.size
        if w <= 0 or h <= 0 or w * h > self.limits.max_pixels:
            raise FetchError("too_many_pixels", f"{_short(url)}: {w}x{h} pixels > {self.limits.max_pixels:,}")
        return Fetched(url, img, len(body), ctype)

    def _read(self, resp: http.client.HTTPResponse, url: str, deadline: float) -> bytes:
        buf = bytearray()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise FetchError("timeout", f"{_short(url)}: not fully read within {self.limits.timeout_s:g} s")
            try:
                if resp.fp is not None and hasattr(resp.fp, "raw"):
                    resp.fp.raw._sock.settimeout(min(left, 5.0))  # type: ignore[union-attr]
            except (AttributeError, OSError):
                pass
            try:
                chunk = resp.read1(65536) if hasattr(resp, "read1") else resp.read(65536)
            except (OSError, http.client.HTTPException) as e:
                reason = "timeout" if isinstance(e, (socket.timeout, TimeoutError)) else "connect"
                raise FetchError(reason, f"{_short(url)}: {type(e).__name__} while reading") from None
            if not chunk:
                return bytes(buf)
            buf += chunk
            if len(buf) > self.limits.max_bytes:
                raise FetchError("too_large", f"{_short(url)}: more than {self.limits.max_bytes:,} bytes")
