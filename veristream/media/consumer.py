"""Text in images beside ingest: a consumer of the accepted stream that reads posts' images.

Like embedding (`vectors/embedder.py`), it never slows acceptance: the writer's listener only
records how far the store has gone. The consumer's thread reads posts from the store itself in
seq order, a block at a time; the images of a block (at most `queue` at once) are fetched and
read (OCR) by `workers` threads; then, post by post in seq order, the text goes back through
the core's one writer (`Core.annotate`, a chunk of posts at a time): stored beside the post (store table `media_text`),
added to its index document (field `image`, searched with its words), and the consumer's
checkpoint (store table `consumers`) moved in the same transaction. A restart resumes after
the checkpoint; the backlog lives in the store, so memory is bounded whatever the ingest rate.

A post is searchable by its own words at once; its image text follows, the lag visible in
`stats` and `/metrics` (posts behind, event-time seconds behind, and the wall-clock delay from
acceptance to the text being searchable). A failed fetch or read is counted by reason (and a
refused, hostile one kept in the quarantine with its reason and URL) and the post goes on
without image text: nothing here can stop or slow ingest.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..core import Core
from ..core.worker import Worker
from ..core.writer import Accepted
from ..settings.sections import MediaSettings
from .fetch import FetchError, Fetcher, HostRate, Limits
from .ocr import OcrUnavailable, Tesseract

log = logging.getLogger(__name__)

NAME = "media"  # the consumer's name in the store's checkpoints
BLOCK = 256  # posts read from the store at a time
KNOWN_MAX = 100_000  # posts with images remembered from the writer's batches (beyond: read the store in turn)
# The checkpoint moves with each post given text (same transaction); past posts without images
# at most this often: each move is a small transaction under the writer's lock, and a restart
# re-scans at most these seconds of posts (a scan without images fetches nothing).
CHECKPOINT_EVERY_S = 5.0
IMAGE_KINDS = ("photo", "gif")  # what OCR reads (videos are not fetched)
# Refusals that say the input is hostile or broken (kept in the quarantine); the others
# (timeouts, connection errors, HTTP errors) are the network's weather: counted only.
QUARANTINED = frozenset({"not_public", "too_large", "too_many_pixels", "not_image", "content_type", "bad_url",
                         "redirects"})


@dataclass(slots=True)
class MediaStatus:
    """How far reading images has got: what `stats`, `/metrics` and the API show."""

    enabled: bool
    state: str = "off"  # off | idle | reading | read-only | failed
    done_seq: int = 0  # every post up to this seq has had its images read (or had none)
    pending: int = 0  # posts stored after it (approximate: removed posts' seqs count)
    lag_s: float | None = None  # event time between the newest post and the last one read
    images: int = 0  # images read (this process)
    posts_with_text: int = 0  # posts given image text (this process)
    failed: dict[str, int] = field(default_factory=dict)  # fetches or reads failed, by reason
    delay_p50_s: float | None = None  # wall clock from acceptance to its image text being searchable
    delay_p99_s: float | None = None
    images_per_s: float = 0.0
    notice: str | None = None  # why it is off, when it is

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


def image_urls(doc: dict, most: int) -> list[str]:
    """The URLs of a stored post's images OCR should read."""
    out = []
    for m in doc.get("media") or []:
        if type(m) is dict and m.get("kind") in IMAGE_KINDS and type(m.get("url")) is str and m["url"]:
            out.append(m["url"])
            if len(out) == most:
                break
    return list(dict.fromkeys(out))


class MediaConsumer:
    """Owns the thread that reads a writing core's posts' images."""

    def __init__(self, core: Core, settings: MediaSettings, ocr: Tesseract,
                 on_failure: Callable[[str, str, str], None] | None = None):
        self.core = core
        self.settings = settings
        self.ocr = ocr
        self.fetcher = Fetcher(Limits(settings.max_bytes, settings.max_pixels, settings.timeout_s,
                                      settings.allow_loopback), HostRate(settings.per_host_per_s))
        self._on_failure = on_failure
        self.done, self._done_ts = core.store.consumer(NAME)
        self._saved = self.done  # the checkpoint in the store
        self._saved_at = time.monotonic()
        self.target = core.store.cursor().seq
        self._target_ts = self._done_ts
        # Past this seq the writer has told us which posts carry images (`on_accepted`): only
        # those are read from the store, not every post. Before it (a backlog at start-up, or an
        # overflow of `_images`), every post is read in turn.
        self._known_from = self.target
        self._images: deque[int] = deque()  # seqs past `_known_from` with images, ascending
        self._accepted_at: dict[int, float] = {}  # seq -> monotonic time accepted (recent posts with images only)
        self._edited: deque[str] = deque(maxlen=10_000)  # keys of edited posts: their images are read again
        self._rereading = False
        self._delays: deque[float] = deque(maxlen=2048)
        self._rate: deque[tuple[float, int]] = deque(maxlen=256)
        self.images = 0
        self.posts_with_text = 0
        self.failed: Counter[str] = Counter()
        self._mu = threading.Lock()
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self.state = "idle"
        self._pool = ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="veristream-media")
        # Lowest priority (nice 19): its pool threads and their tesseract processes, created from
        # this thread, inherit it, so reading images takes only what ingest leaves.
        self._worker = Worker("media", self._run, priority=19).start()

    # -- fed by the writer (quick, never blocks) --------------------------------------------

    def on_accepted(self, acc: Accepted) -> None:
        if acc.updated:
            with self._mu:
                self._edited.extend(it.key for it in acc.updated)
            self._worker.wake()
        if not acc.seqs:
            return
        now = time.monotonic()
        with self._mu:
            if max(acc.seqs) > self.target:
                self.target, self._target_ts = max(acc.seqs), max(it.ts for it in acc.items)
            for it, seq in zip(acc.items, acc.seqs):
                if it.media:
                    if len(self._accepted_at) < 100_000:
                        self._accepted_at[seq] = now
                    self._images.append(seq)
            if len(self._images) > KNOWN_MAX:  # too far behind to remember: read the store in turn
                self._images.clear()
                self._known_from = self.target
        self._worker.wake()

    # -- reading ------------------------------------------------------------------------

    def status(self) -> MediaStatus:
        newest = self.core.now_us()
        with self._mu:
            pending = max(0, self.target - self.done)
            delays = sorted(self._delays)
            failed = dict(self.failed)
        lag = None
        if newest is not None:
            lag = 0.0 if not pending else (max(0.0, (newest - self._done_ts) / 1e6) if self._done_ts else None)
        state = "failed" if self._worker.error is not None else self.state
        return MediaStatus(True, state, self.done, pending, lag, self.images, self.posts_with_text, failed,
                           _pct(delays, 50), _pct(delays, 99), self._images_per_s())

    def wait(self, timeout: float | None = None, seq: int | None = None) -> bool:
        """Wait until every stored post (or up to `seq`) has had its images read; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._idle:
            while True:
                if self._worker.error is not None:
                    raise RuntimeError(f"media consumer failed: {self._worker.error}") from self._worker.error
                with self._mu:
                    goal = self.target if seq is None else seq
                    if self.done >= goal and not self._edited and not self._rereading:
                        return True
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._idle.wait(0.2 if left is None else min(left, 0.2))

    def close(self) -> None:
        """Stop (the post in hand finishes) and save the checkpoint; before the core closes."""
        self._stop.set()
        self._worker.stop()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._save(force=True)

    def _save(self, force: bool = False) -> None:
        with self._mu:
            done, ts = self.done, self._done_ts
        if done > self._saved and not self.core.closed and (
                force or time.monotonic() - self._saved_at >= CHECKPOINT_EVERY_S):
            self.core.consumer_done(NAME, done, ts)
            self._saved, self._saved_at = done, time.monotonic()

    # -- the thread -------------------------------------------------------------------

    def _run(self, worker: Worker) -> None:
        while not worker.stopping:
            with self._mu:
                target = self.target
                edited = list(dict.fromkeys(self._edited))
                self._edited.clear()
                self._rereading = bool(edited)
            if edited:
                try:
                    self._reread(edited)
                finally:
                    with self._mu:
                        self._rereading = False
                    self._notify()
            if self.done >= target:
                self.state = "idle"
                self._notify()
                worker.sleep(CHECKPOINT_EVERY_S)
                self._save()
                continue
            self.state = "reading"
            if self.done >= self._known_from:
                rows = self._known_rows()
                if rows is None:
                    continue  # nothing up to the target has images: done moved there
            else:
                rows = next(self.core.store.rows_after(self.done, BLOCK), [])
            if not rows:
                with self._mu:
                    self.done = max(self.done, target)  # the rest was removed meanwhile
                continue
            self._block(rows, worker)
            self._notify()
        self._notify()

    def _known_rows(self) -> list[tuple[int, int, int, bytes]] | None:
        """The next posts with images the writer reported (read from the store), or None when
        there is nothing to read now: none is left up to the target (everything up to it is
        then done: no image to read), or those reported were removed meanwhile."""
        with self._mu:
            while self._images and self._images[0] <= self.done:
                self._images.popleft()
            seqs = [self._images[i] for i in range(min(BLOCK, len(self._images)))]
            if not seqs:
                self.done, self._done_ts = max(self.done, self.target), self._target_ts or self._done_ts
        if not seqs:
            self._save()
            return None
        rows = self.core.store.rows_at(seqs)
        if not rows:
            with self._mu:
                self.done = max(self.done, seqs[-1])
            return None
        return rows

    def _block(self, rows: list[tuple[int, int, int, bytes]], worker: Worker) -> None:
        """Read the images of a block of stored posts, `queue` images at most at a time."""
        posts: list[tuple[int, int, list[str]]] = []
        for seq, ts, _story, doc in rows:
            urls: list[str] = []
            # Most posts have no image: a byte search spares decoding them (the GIL is ingest's too).
            if b'"kind":"photo"' in doc or b'"kind":"gif"' in doc:
                try:
                    urls = image_urls(orjson.loads(doc), self.settings.images_per_post)
                except orjson.JSONDecodeError:  # the store's own JSON: not expected
                    pass
            posts.append((seq, ts, urls))
        # Images in flight at once: enough to keep every worker busy, few enough that the first
        # image of a chunk is not kept waiting long for the last (its text is written with theirs).
        most = min(self.settings.queue, 4 * self.settings.workers)
        i = 0
        while i < len(posts) and not worker.stopping:
            chunk, n = [], 0
            while i < len(posts) and (not chunk or n + len(posts[i][2]) <= most):
                chunk.append(posts[i])
                n += len(posts[i][2])
                i += 1
            futures = {(seq, u): self._pool.submit(self._read, u) for seq, _ts, urls in chunk for u in urls}
            # The chunk's texts go back in one batch: the writer's lock is taken once per chunk,
            # not once per image (ingest shares that lock).
            texts: list[tuple[int, str]] = []
            read: list[tuple[int, list[str]]] = []
            for seq, _ts, urls in chunk:
                found = [t for u in urls if (t := futures[(seq, u)].result())]
                text = "\n".join(dict.fromkeys(found))[: self.settings.max_text_chars].strip()
                if text:
                    texts.append((seq, text))
                read.append((seq, urls))
            if worker.stopping or self.core.closed:
                return  # the chunk is not recorded: read again after a restart
            last_seq, last_ts = chunk[-1][0], chunk[-1][1]
            if texts:
                self.posts_with_text += self.core.annotate(texts, NAME, last_seq, last_ts)  # moves the checkpoint too
                self._saved, self._saved_at = last_seq, time.monotonic()
            now = time.monotonic()
            with self._mu:
                self.done, self._done_ts = last_seq, last_ts
                for seq, urls in read:
                    at = self._accepted_at.pop(seq, None)
                    if at is not None and urls:
                        self._delays.append(now - at)
            self._save()

    def _reread(self, keys: list[str]) -> None:
        """An edited post's images are read again (an edit may change or remove them: its old
        image text must not stay searchable). Posts past the checkpoint are read in turn anyway."""
        texts: list[tuple[int, str]] = []
        for key in keys:
            d = self.core.store.doc_by_key(key)
            if d is None or d["seq"] > self.done:
                continue
            urls = image_urls(d, self.settings.images_per_post)
            if not urls and not d.get("image_text"):
                continue
            found = [t for t in self._pool.map(self._read, urls) if t]
            texts.append((d["seq"], "\n".join(dict.fromkeys(found))[: self.settings.max_text_chars].strip()))
        if texts and not self.core.closed:
            with self._mu:
                done, ts = self.done, self._done_ts
            self.core.annotate(texts, NAME, done, ts)

    def _read(self, url: str) -> str:
        """One image's text ("" when it has none, or could not be fetched or read)."""
        try:
            got = self.fetcher.fetch(url, self._stop)
            text = self.ocr.read(got.image)
        except FetchError as e:
            self._fail(e.reason, url, str(e))
            return ""
        except TimeoutError as e:
            self._fail("ocr_timeout", url, str(e))
            return ""
        except Exception as e:  # noqa: BLE001 - a decoder's or tesseract's failure on hostile bytes
            self._fail("unreadable", url, f"{type(e).__name__}: {str(e)[:160]}")
            return ""
        with self._mu:
            self.images += 1
            self._rate.append((time.monotonic(), 1))
        return text

    def _fail(self, reason: str, url: str, message: str) -> None:
        with self._mu:
            self.failed[reason] += 1
        log.debug("image %s: %s: %s", url[:200], reason, message)
        if reason in QUARANTINED and self._on_failure is not None:
            try:
                self._on_failure(reason, url, message)
            except Exception:  # noqa: BLE001 - the quarantine's own trouble must not stop reading
                log.exception("quarantining an image failed")

    def _notify(self) -> None:
        with self._idle:
            self._idle.notify_all()

    def _images_per_s(self) -> float:
        now = time.monotonic()
        with self._mu:
            r = [t for t, _ in self._rate if now - t < 120]
        if len(r) < 2:
            return 0.0
        span = r[-1] - r[0]
        return (len(r) - 1) / span if span > 0 else 0.0


def stored_status(core: Core) -> MediaStatus:
    """A read-only engine's view: how far the writing process's consumer has got (its checkpoint)."""
    done, ts = core.store.consumer(NAME)
    cur = core.store.cursor().seq
    newest = core.store.newest_ts()
    pending = max(0, cur - done)
    lag = 0.0 if not pending else ((newest - ts) / 1e6 if newest is not None and ts is not None else None)
    return MediaStatus(True, "read-only", done, pending, lag)


def open_consumer(core: Core, settings: MediaSettings,
                  on_failure: Callable[[str, str, str], None] | None = None) -> tuple[MediaConsumer | None, str | None]:
    """(the consumer, None), or (None, a one-line notice saying why reading images is off)."""
    if not settings.enabled:
        return None, "media OCR is off ([media] enabled = false)"
    try:
        ocr = Tesseract.find(settings.languages, settings.ocr_timeout_s)
    except OcrUnavailable as e:
        return None, f"media OCR is off: {e}"
    return MediaConsumer(core, settings, ocr, on_failure), None


def _pct(sorted_vals: list[float], q: float) -> float | None:
    if not sorted_vals:
        return None
    return round(sorted_vals[min(len(sorted_vals) - 1, int(q / 100 * len(sorted_vals)))], 3)
