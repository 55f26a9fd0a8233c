"""Embedding beside ingest: a background thread that turns stored posts into vectors.

By default the thread runs in a child process of the writing engine (`process.py` feeds it
through a pipe and the engine searches what it saves); with `[vectors] process = false`, in
the engine's own process, as described here.

The writer never waits for it. The engine's ingest listener only records how far the store
has gone (and which posts were edited); removals are recorded the same way. The thread reads
posts from the store itself, in seq order, a batch at a time, encodes them and adds them to
the ANN index. So the backlog lives in the store, bounded memory whatever the ingest rate,
and a restart resumes from the checkpoint: `vectors/checkpoint.json` records the model and
the last seq embedded, written after the index file it describes (it may lag the file,
never lead it; re-embedding a post replaces its vector).

The thread runs at the lowest CPU priority (nice 19 on Linux; onnxruntime's pool threads,
created on it, inherit that), so on a busy machine ingest keeps the cores it needs and the
embedding lag grows instead. Posts past the checkpoint are found by lexical search alone
until embedded.

Throughput: the store is read `BLOCK` posts at a time, and each block is encoded in batches
of like token length (`encode_block`), each batch's vectors added to the index as soon as
it is encoded. Bigger blocks pad less (tweets: 512 a block pad ~7 %, 64 ~45 %) but move the
checkpoint less often. The index is saved at most every `save_interval_s`, and never more
than 1/`SAVE_SHARE` of the time: saving a large index takes seconds.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import orjson

from ..core.worker import Worker
from ..core.store import Removed, Store
from .ann import FILE, AnnIndex
from .encoder import Encoder, embed_text

if TYPE_CHECKING:
    from ..core.writer import Accepted

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.json"
BLOCK = 512  # posts read from the store at a time, encoded in batches of like length
VECTOR_CACHE = 20_000  # recent distinct texts whose vectors are kept (1.5 KB each at 384 dimensions)
SAVE_SHARE = 20  # the wait between saves is at least this many times the last save's duration


def encode_block(encoder: Encoder, texts: list[str]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(positions in `texts`, vectors) a batch at a time: batches of like token length where
    the encoder makes them (`OnnxEncoder.batches`), else all at once."""
    batches = getattr(encoder, "batches", None)
    if batches is not None:
        yield from batches(texts)
    elif texts:
        yield np.arange(len(texts)), encoder.encode(texts)


@dataclass(slots=True)
class EmbedStatus:
    """How far embedding has got: what `veristream ask`, `embed` and the API show."""

    enabled: bool
    model: str | None = None
    vectors: int = 0  # vectors in the index
    embedded_seq: int = 0  # every post up to this seq is embedded (or had no text)
    pending: int = 0  # posts stored after it (approximate: seqs of removed posts count)
    lag_s: float | None = None  # event time between the newest post and the last one embedded
    posts_per_s: float = 0.0  # recent embedding rate
    state: str = "off"  # off | loading | embedding | idle | read-only
    notice: str | None = None  # why vector search is off, when it is

    @property
    def caught_up(self) -> bool:
        return self.enabled and self.pending == 0


def read_checkpoint(dir: Path) -> dict:
    try:
        d = orjson.loads((dir / CHECKPOINT).read_bytes())
        return d if isinstance(d, dict) else {}
    except (FileNotFoundError, orjson.JSONDecodeError):
        return {}


def write_checkpoint(dir: Path, d: dict) -> None:
    tmp = dir / (CHECKPOINT + ".tmp")
    tmp.write_bytes(orjson.dumps(d))
    os.replace(tmp, dir / CHECKPOINT)


class Embedder:
    """Owns the live ANN index of a writing engine and the thread that fills it."""

    def __init__(self, dir: Path, store: Store, load: Callable[[], Encoder], model_id: str, dim: int,
                 block: int = BLOCK, save_interval_s: float = 30.0,
                 newest_us: Callable[[], int | None] = lambda: None, *, priority: int = 19,
                 save_when_idle: bool = False, on_change: Callable[[], None] | None = None):
        """`save_when_idle`: once caught up, save at once (still at most 1/`SAVE_SHARE` of the
        time), not `save_interval_s` after the last save: where searches read the saved file
        (another process), that is when new vectors reach them. `on_change`: called on the
        thread after each unit of work and each save (e.g. to report status elsewhere)."""
        self.dir = dir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.store = store
        self._load = load
        self.model_id = model_id
        self.dim = dim
        self.block = block
        self.save_interval_s = save_interval_s
        self._save_s = 0.0  # how long the last save took
        self._newest_us = newest_us
        self.encoder: Encoder | None = None
        self.index: AnnIndex | None = None  # None until loaded (searches are lexical until then)
        cp = read_checkpoint(dir)
        self._rebuild = cp.get("model") != model_id or cp.get("dim") != dim
        self.done = 0 if self._rebuild else int(cp.get("seq", 0))
        self._last_ts: int | None = cp.get("ts") if not self._rebuild else None
        self._saved_vectors = int(cp.get("vectors", 0)) if not self._rebuild else 0
        self.target = store.cursor().seq  # the newest seq stored
        self._updates: list[tuple[str, str]] = []  # (key, text) of edited posts
        self._removed: list[int] = []
        self._in_block = 0  # posts of the block being encoded that are in the index already
        self._mu = threading.Lock()  # guards target, _updates, _removed, and done with _in_block
        self._open = threading.Lock()  # opening the index
        self._idle = threading.Condition()
        self._dirty = False
        self._saved_at = time.monotonic()
        self._vectors: dict[str, np.ndarray] = {}  # recent texts' vectors (`_embed_rows`)
        self._rate: list[tuple[float, int]] = []  # (monotonic, posts) of recent batches
        self.state = "idle"
        self.error: BaseException | None = None
        self._save_when_idle = save_when_idle
        self._on_change = on_change
        # Lowest priority (nice 19; onnxruntime's pool threads, created on it, inherit it):
        # embedding takes what the writer leaves.
        self._worker = Worker("embed", self._run, priority=priority).start()

    # -- fed by the writer (quick, never blocks on embedding) ------------------------------

    def on_accepted(self, acc: "Accepted") -> None:
        self.feed(max(acc.seqs) if acc.seqs else 0, [(it.key, it.text) for it in acc.updated], [])

    def on_removed(self, gone: Removed) -> None:
        self.feed(0, [], gone.seqs)

    def feed(self, target: int, updates: list[tuple[str, str]], removed: list[int]) -> None:
        """The store has gone up to `target`; these posts were edited ((key, text) each) and
        these removed (seqs). Quick: the thread does the work."""
        with self._mu:
            if target > self.target:
                self.target = target
            if updates:
                self._updates.extend(updates)
            if removed:
                self._removed.extend(removed)
        self._worker.wake()

    # -- reading ----------------------------------------------------------------------

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        ix = self.index
        if ix is None and self.done > 0 and (self.dir / FILE).is_file():
            ix = self._ensure_index()
        return ix.search(vector, k) if ix is not None else []

    def stored(self, seqs: list[int]) -> dict[int, np.ndarray]:
        """The vectors already made for these posts (those not embedded yet are absent)."""
        ix = self.index
        if ix is None and self.done > 0 and (self.dir / FILE).is_file():
            ix = self._ensure_index()
        return ix.get(seqs) if ix is not None else {}

    def status(self) -> EmbedStatus:
        ix = self.index
        newest = self._newest_us()
        lag = None
        if newest is not None and self._last_ts is not None:
            lag = max(0.0, (newest - self._last_ts) / 1e6) if self.target > self.done else 0.0
        with self._mu:
            pending = max(0, self.target - self.done - self._in_block)
        return EmbedStatus(True, self.model_id, len(ix) if ix is not None else self._saved_vectors, self.done,
                           pending, lag, self._posts_per_s(), self.state)

    def wait(self, timeout: float | None = None, seq: int | None = None) -> bool:
        """Wait until everything stored (or up to `seq`) is embedded; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._idle:
            while True:
                if self.error is not None:
                    raise RuntimeError(f"embedding failed: {self.error}") from self.error
                goal = self.target if seq is None else seq
                if self.done >= goal and not self._rebuild and not self._updates and not self._removed \
                        and self.state != "loading":
                    return True
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._idle.wait(0.5 if left is None else min(left, 0.5))

    # -- control ----------------------------------------------------------------------

    def rebuild(self) -> None:
        """Drop every vector and embed the store again from the start (on the thread)."""
        self._rebuild = True
        self._worker.wake()

    def close(self) -> None:
        self._worker.stop()

    def saved(self) -> dict:
        """What the last save wrote to the checkpoint (model, dim, seq, ts, vectors)."""
        return read_checkpoint(self.dir)

    def idle(self) -> bool:
        """Nothing left to do: every post fed is embedded, every edit and removal applied."""
        return not self._has_work() and self.state != "loading"

    @property
    def dirty(self) -> bool:
        """Vectors changed since the last save."""
        return self._dirty

    # -- the thread -------------------------------------------------------------------

    def _run(self, worker: Worker) -> None:
        try:
            # Nothing is loaded until there is work: an engine that embeds nothing costs nothing.
            while not worker.stopping and not self._has_work():
                self.state = "idle"
                worker.sleep()
            if worker.stopping:
                return
            self.state = "loading"
            self.encoder = self._load()
            self._ensure_index()
            self.state = "embedding"
            while not worker.stopping:
                worked = self._step()
                since_save = time.monotonic() - self._saved_at
                every = SAVE_SHARE * self._save_s
                if worked or not self._save_when_idle:
                    every = max(self.save_interval_s, every)
                if self._dirty and since_save >= every:
                    self._save()
                if not worked:
                    self.state = "idle"
                self._notify()
                if not worked:
                    # Sleep until fed, or until unsaved vectors are due to be saved.
                    # (_step reads the shared state under the lock: no wake-up is lost)
                    worker.sleep(max(0.05, every - since_save) if self._dirty else None)
                    self.state = "embedding"
        except BaseException as e:  # surfaced through status() and wait()
            self.error = e
            self.state = "failed"
            log.exception("embedding thread failed")
        finally:
            if self.index is not None and self._dirty and self.error is None:
                try:
                    self._save()
                except OSError:
                    log.exception("saving vectors failed")
            self._notify()

    def _has_work(self) -> bool:
        with self._mu:
            return self._rebuild or self.done < self.target or bool(self._updates) or bool(self._removed)

    def _ensure_index(self) -> AnnIndex:
        """The live index: read from disk on first need (a search, or work to do)."""
        with self._open:
            if self.index is None:
                path = self.dir / FILE
                if self._rebuild or not path.is_file():
                    ix = AnnIndex(self.dim)
                    self._rebuild, self.done, self._last_ts = False, 0, None
                else:
                    ix = AnnIndex(self.dim, path)
                self.index = ix
            return self.index

    def _step(self) -> bool:
        """One unit of work; False when there was none."""
        assert self.index is not None and self.encoder is not None
        if self._rebuild:
            self._rebuild = False
            self.index.clear()
            self.done, self._last_ts, self._dirty = 0, None, True
        worked = False
        with self._mu:
            removed, self._removed = self._removed, []
            updates, self._updates = self._updates, []
            target = self.target
        if updates:
            self._reembed(updates)
            worked = True
        if self.done < target:
            rows = next(self.store.rows_after(self.done, self.block), [])
            if rows:
                self._embed_rows(rows)
                worked = True
            else:
                self.done = target  # the rest was removed meanwhile
        if removed:  # after adds: a post removed while its batch was encoding goes too
            self.index.remove(removed)
            self._dirty = True
            worked = True
        return worked

    def _embed_rows(self, rows: list[tuple[int, int, int, bytes]]) -> None:
        seqs, texts = [], []
        for seq, _ts, _story, doc in rows:
            text = embed_text(orjson.loads(doc).get("text") or "")
            if text:
                seqs.append(seq)
                texts.append(text)
        keys = np.asarray(seqs, dtype=np.uint64)
        embedded = np.zeros(len(seqs), dtype=bool)
        # A text the encoder has seen (a repost's copy, a bot's template) gets the vector it
        # got then: the encoder is deterministic, so nothing changes but the time it took.
        # Each distinct text of the block is encoded once.
        cache = self._vectors
        first: dict[str, int] = {}  # text -> position of its first unencoded copy in `texts`
        copies: dict[int, list[int]] = {}  # that position -> positions of every copy
        known: list[int] = []
        for i, t in enumerate(texts):
            if t in cache:
                known.append(i)
            elif t in first:
                copies[first[t]].append(i)
            else:
                first[t] = i
                copies[i] = [i]
        if known:
            at = np.asarray(known)
            self.index.add(keys[at], np.stack([cache[texts[i]] for i in known]))
            embedded[at] = True
            with self._mu:
                self._in_block += len(known)
            self._count(len(known))
        uniq = list(first.values())
        for at, vecs in encode_block(self.encoder, [texts[i] for i in uniq]):
            pos = [uniq[j] for j in at.tolist()]
            every = [k for i in pos for k in copies[i]]
            self.index.add(keys[every], np.repeat(vecs, [len(copies[i]) for i in pos], axis=0))  # searchable now, before the rest of the block
            for i, v in zip(pos, vecs):
                cache[texts[i]] = v.copy()
            embedded[every] = True
            with self._mu:
                self._in_block += len(every)
            self._count(len(every))
            if self._worker.stopping:  # a block takes seconds: closing does not wait for it
                break
        while len(cache) > VECTOR_CACHE:  # oldest first (insertion order)
            del cache[next(iter(cache))]
        last = len(rows) - 1
        if not embedded.all():
            # Batches go by token length, not seq: the checkpoint moves over the embedded
            # prefix only (the rest is embedded again next time, replacing any vector added).
            first = seqs[int(np.argmin(embedded))]
            last = max((i for i, r in enumerate(rows) if r[0] < first), default=-1)
        with self._mu:
            self._in_block = 0
            if last >= 0:
                self.done = rows[last][0]
        if last >= 0:
            self._last_ts = rows[last][1]
        self._dirty = True
        self._count(len(rows) - len(seqs))  # posts without text are done too

    def _count(self, n: int) -> None:
        if not n:
            return
        self._rate.append((time.monotonic(), n))
        if len(self._rate) > 256:
            del self._rate[:128]

    def _reembed(self, updates: list[tuple[str, str]]) -> None:
        latest = dict(updates)
        keys, texts = [], []
        for key, text in latest.items():
            d = self.store.doc_by_key(key)
            if d is None or d["seq"] > self.done:
                continue  # gone, or not embedded yet (it will be, from the store)
            text = embed_text(text)
            if text:
                keys.append(d["seq"])
                texts.append(text)
        if texts:
            self.index.add(np.asarray(keys, dtype=np.uint64), self.encoder.encode(texts))
            self._dirty = True

    def _save(self) -> None:
        assert self.index is not None
        t0 = time.monotonic()
        self.index.save(self.dir / FILE)
        write_checkpoint(self.dir, {"model": self.model_id, "dim": self.dim, "seq": self.done, "ts": self._last_ts,
                                    "vectors": len(self.index)})
        self._dirty = False
        self._saved_at = time.monotonic()
        self._save_s = self._saved_at - t0

    def _notify(self) -> None:
        with self._idle:
            self._idle.notify_all()
        if self._on_change is not None:
            self._on_change()

    def _posts_per_s(self) -> float:
        r = [x for x in self._rate if time.monotonic() - x[0] < 120]
        if len(r) < 2:
            return 0.0
        span = r[-1][0] - r[0][0]
        return sum(n for _, n in r[1:]) / span if span > 0 else 0.0


class VectorReader:
    """The saved ANN index, for a read-only engine beside a writing process: memory-mapped,
    reopened when the writer saves a newer one."""

    def __init__(self, dir: Path, model_id: str, dim: int, store: Store):
        self.dir = dir
        self.model_id = model_id
        self.dim = dim
        self.store = store
        self.index: AnnIndex | None = None
        self._cp: dict = {}
        self._stamp: float | None = None
        self._checked = 0.0
        self._lock = threading.Lock()  # opened on first use: `veristream search` never pays for it

    def _refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < 1.0:
            return
        with self._lock:
            self._checked = now
            try:
                stamp = (self.dir / CHECKPOINT).stat().st_mtime_ns
            except FileNotFoundError:
                return
            if stamp == self._stamp:
                return
            cp = read_checkpoint(self.dir)  # first the checkpoint, then the file: the file may be newer, never older
            if cp.get("model") != self.model_id or cp.get("dim") != self.dim:
                self.index, self._cp, self._stamp = None, {}, stamp
                return
            try:
                self.index = AnnIndex(self.dim, self.dir / FILE, view=True)
            except (OSError, ValueError, RuntimeError):
                return
            self._cp, self._stamp = cp, stamp

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        self._refresh()
        ix = self.index
        return ix.search(vector, k) if ix is not None else []

    def stored(self, seqs: list[int]) -> dict[int, np.ndarray]:
        self._refresh()
        ix = self.index
        return ix.get(seqs) if ix is not None else {}

    def status(self) -> EmbedStatus:
        self._refresh()
        done = int(self._cp.get("seq", 0))
        pending = max(0, self.store.cursor().seq - done)
        newest, last = self.store.newest_ts(), self._cp.get("ts")
        lag = (max(0.0, (newest - last) / 1e6) if pending else 0.0) if newest is not None and last is not None else None
        return EmbedStatus(True, self.model_id, int(self._cp.get("vectors", 0)), done, pending, lag, 0.0, "read-only")
