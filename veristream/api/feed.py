"""The live feed behind `GET /v1/stream`: newly accepted posts, filtered per client.

    writer thread --(Engine.subscribe: hand the batch over, O(1))--> inbox (bounded)
    feed thread   --(filter each post once per client)--> per-client queues (bounded)
    event loop    --(SSE)--> the client

Ingest never waits for a client: the engine's listener only appends the batch to a bounded
inbox, and one feed thread does the matching. A client whose queue fills up (it reads slower
than posts match) is dropped with a reason rather than slowing anyone else; a browser's
EventSource reconnects by itself. If the feed thread itself falls a whole inbox behind,
every client is dropped the same way (they would otherwise miss posts silently).
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import unicodedata
from collections import deque
from dataclasses import dataclass

import orjson

from .. import analysis
from ..core.worker import Worker
from ..core.writer import Accepted, Prepared
from ..words import fold, words
from .errors import ApiError

log = logging.getLogger("veristream.api")

MAX_CLIENTS = 256
MAX_PER_CLIENT = 8  # connections one client address may hold (setting api_stream_per_client)
RETRY_AFTER_S = 5
CLIENT_QUEUE = 2000  # posts waiting for one client before it is dropped as too slow
INBOX_BATCHES = 512  # accepted batches waiting for the feed thread

_TERM = re.compile(r'(-?)"([^"]*)"|(\S+)')


def _split(word: str) -> list[str]:
    # The index tokenizer splits on hyphens and apostrophes: "power-outage" is two words.
    return [p for p in re.split(r"[-']", word) if p]


@dataclass(frozen=True, slots=True)
class FeedFilter:
    """Which posts a client wants: the search syntax's simple part, matched in memory.

    `q`: words (all must appear, case and accents folded), "exact phrases", -excluded words,
    #hashtags, @handles; plus the search filters author, lang, hashtag, source, has_media."""

    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    lang: str | None = None
    source: str | None = None
    has_media: bool | None = None

    @classmethod
    def parse(cls, q: str = "", author: str | None = None, lang: str | None = None, hashtag: str | None = None,
              source: str | None = None, has_media: bool | None = None) -> "FeedFilter":
        ws: list[str] = []
        phrases: list[str] = []
        exclude: list[str] = []
        tags: list[str] = []
        authors: list[str] = []
        for m in _TERM.finditer(q or ""):
            neg, phrase, tok = m.group(1), m.group(2), m.group(3)
            if phrase is not None:
                if phrase.strip():
                    (exclude if neg else phrases).append(_fold(phrase))
                continue
            if tok in ("AND", "OR", "NOT"):
                if tok == "AND":
                    continue
                raise ApiError(400, f"q: {tok} is not supported by the live feed filter (words are ANDed; "
                                    "use -word to exclude)", "invalid_query", "q")
            neg = tok.startswith("-") and len(tok) > 1
            if neg:
                tok = tok[1:]
            if tok.startswith("#") and len(tok) > 1 and not neg:
                tags.append(tok[1:].lower())
            elif tok.startswith("@") and len(tok) > 1 and not neg:
                authors.append(tok[1:].lower())
            elif analysis.needs_analysis(tok):  # spaceless scripts: match as text
                (exclude if neg else phrases).append(_fold(tok))
            else:
                parts = [p for w in words(tok) for p in _split(w)]
                (exclude if neg else ws).extend(parts)
        if author:
            authors.append(author.lstrip("@").lower())
        if hashtag:
            tags.append(hashtag.lstrip("#").lower())
        return cls(tuple(dict.fromkeys(ws)), tuple(phrases), tuple(exclude), tuple(tags), tuple(authors),
                   lang or None, source or None, has_media)

    @property
    def needs_text(self) -> bool:
        return bool(self.words or self.phrases or self.exclude)

    def matches(self, it: Prepared, text: "_Text") -> bool:
        if self.lang is not None and it.lang != self.lang:
            return False
        if self.source is not None and it.source != self.source:
            return False
        if self.has_media is not None and it.media != self.has_media:
            return False
        if self.authors and it.handle not in self.authors:
            return False
        if self.hashtags and not all(t in it.tags for t in self.hashtags):
            return False
        if not self.needs_text:
            return True
        ws = text.words()
        if any(w not in ws for w in self.words):
            return False
        folded = text.folded()
        if any(p not in folded for p in self.phrases):
            return False
        return not any((x in ws) if " " not in x else (x in folded) for x in self.exclude)


def _fold(s: str) -> str:
    return " ".join(fold(unicodedata.normalize("NFKC", s)).split())


class _Text:
    """A post's text, analysed at most once however many clients look at it."""

    __slots__ = ("_it", "_words", "_folded")

    def __init__(self, it: Prepared):
        self._it = it
        self._words: set[str] | None = None
        self._folded: str | None = None

    def words(self) -> set[str]:
        if self._words is None:
            ws = {p for w in words(self._it.text) for p in [w, *_split(w)]}
            ws.update(self._it.tags)
            self._words = ws
        return self._words

    def folded(self) -> str:
        if self._folded is None:
            self._folded = _fold(self._it.text)
        return self._folded


def post_record(it: Prepared, seq: int, story: int) -> str:
    """The JSON a client receives for one post: the post (without `raw`), key, seq, story."""
    d = orjson.loads(it.doc)
    d.pop("raw", None)
    d["key"] = it.key
    d["seq"] = seq
    d["story"] = story
    return orjson.dumps(d).decode()


class FeedClient:
    """One connected client: a bounded queue filled by the feed thread, drained by its SSE
    generator on the event loop."""

    def __init__(self, flt: FeedFilter, loop: asyncio.AbstractEventLoop, limit: int, address: str = ""):
        self.filter = flt
        self.address = address  # the client's address, for the per-client cap
        self._loop = loop
        self._limit = limit
        self._items: deque[tuple[str, str]] = deque()  # (key, json)
        self._lock = threading.Lock()
        self._ready = asyncio.Event()
        self.dropped: str | None = None  # why the feed stopped for this client

    def offer(self, key: str, rec: str) -> bool:
        """Called on the feed thread; False once the client has been dropped."""
        with self._lock:
            if self.dropped is not None:
                return False
            if len(self._items) >= self._limit:
                self._items.clear()
                self.dropped = (f"this client read too slowly: {self._limit:,} posts were waiting for it "
                                "(reconnect, or narrow the filter)")
                wake = True
            else:
                self._items.append((key, rec))
                wake = len(self._items) == 1
        if wake:
            self._wake()
        return self.dropped is None

    def drop(self, reason: str) -> None:
        with self._lock:
            if self.dropped is None:
                self.dropped = reason
                self._items.clear()
        self._wake()

    def _wake(self) -> None:
        try:
            self._loop.call_soon_threadsafe(self._ready.set)
        except RuntimeError:  # the loop is closed: the client is gone anyway
            pass

    async def next(self, timeout: float) -> list[tuple[str, str]]:
        """Posts that arrived since the last call (waits up to `timeout` for the first)."""
        if not self._items and self.dropped is None:
            try:
                await asyncio.wait_for(self._ready.wait(), timeout)
            except asyncio.TimeoutError:
                return []
        self._ready.clear()
        with self._lock:
            out = list(self._items)
            self._items.clear()
        return out


class LiveFeed:
    def __init__(self, max_clients: int = MAX_CLIENTS, client_queue: int = CLIENT_QUEUE,
                 inbox_batches: int = INBOX_BATCHES, max_per_client: int = MAX_PER_CLIENT):
        self.max_clients = max_clients
        self.max_per_client = max_per_client
        self.client_queue = client_queue
        self._clients: set[FeedClient] = set()
        self._clients_lock = threading.Lock()
        self._inbox: deque[Accepted] = deque()
        self._inbox_max = inbox_batches
        self._cond = threading.Condition()
        self._closed = False
        self.delivered = 0  # posts queued for clients
        self.dropped_clients = 0
        self._worker = Worker("feed", self._run).start()

    @property
    def clients(self) -> int:
        return len(self._clients)

    def publish(self, acc: Accepted) -> None:
        """The engine's listener (writer thread): hand the batch over and return at once."""
        if not self._clients or not acc.items:
            return
        behind = False
        with self._cond:
            if len(self._inbox) >= self._inbox_max:
                self._inbox.clear()
                behind = True
            self._inbox.append(acc)
            self._cond.notify()
        if behind:
            self._drop_all("the live feed fell behind the stream and skipped posts (reconnect to go on)")

    def check_room(self, address: str = "") -> None:
        """Raise the error `connect` would, before a response is under way. One address may
        hold `max_per_client` connections, so one client cannot take every place."""
        if self._closed:
            raise ApiError(503, "the live feed is closed (the server is stopping)", "unavailable")
        clients = list(self._clients)
        if len(clients) >= self.max_clients:
            raise ApiError(503, f"the live feed already has its maximum of {self.max_clients} clients; "
                                "try again later", "too_many_clients", None, {"Retry-After": str(RETRY_AFTER_S)})
        if sum(1 for c in clients if c.address == address) >= self.max_per_client:
            raise ApiError(429, f"this client already has {self.max_per_client} live-feed connections open (setting "
                                "api_stream_per_client): close one first", "too_many_connections", None,
                           {"Retry-After": str(RETRY_AFTER_S)})

    def connect(self, flt: FeedFilter, address: str = "") -> FeedClient:
        loop = asyncio.get_running_loop()
        with self._clients_lock:
            self.check_room(address)
            c = FeedClient(flt, loop, self.client_queue, address)
            self._clients.add(c)
        return c

    def disconnect(self, client: FeedClient) -> None:
        with self._clients_lock:
            self._clients.discard(client)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._drop_all("the server is stopping")
        self._worker.join(5)

    def _drop_all(self, reason: str) -> None:
        with self._clients_lock:
            clients = list(self._clients)
            self._clients.clear()  # their room is free at once; each stream ends with the reason
        for c in clients:
            c.drop(reason)

    def _run(self, worker: Worker) -> None:
        while True:
            with self._cond:
                while not self._inbox and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                acc = self._inbox.popleft()
            try:
                self._fan_out(acc)
            except Exception:  # noqa: BLE001 - a bad post must not stop the feed for everyone
                log.exception("live feed: a batch could not be delivered")

    def _fan_out(self, acc: Accepted) -> None:
        with self._clients_lock:
            clients = [c for c in self._clients if c.dropped is None]
        if not clients:
            return
        for it, seq, story in zip(acc.items, acc.seqs, acc.stories):
            text = _Text(it)
            rec: str | None = None
            for c in clients:
                if c.dropped is None and c.filter.matches(it, text):
                    if rec is None:
                        rec = post_record(it, seq, story)
                    if c.offer(it.key, rec):
                        self.delivered += 1
                    else:
                        self.dropped_clients += 1
                        self.disconnect(c)  # its room is free at once; its stream ends with the reason
