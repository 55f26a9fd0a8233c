"""The near-real-time lexical index: a small hot index in front of the large cold one.

Earlybird's design, on tantivy. Every document goes to both tiers:

* the **hot** index holds only what changed since the cold index's last commit. It is
  committed after every batch, which stays cheap because it stays small, and it lives in
  shared memory (`/dev/shm`, setting `index_hot_dir`): tantivy fsyncs every file of a commit,
  and the store, not the index, is what makes a post durable;
  `/dev/shm/veristream-<uid>/` is its user's alone (0700), and a writer starting removes the
  hot indexes there whose data directory is gone;
* the **cold** index (`data_dir/index`) holds everything; it is committed every
  `index_cold_commit_s` seconds, or when the hot index passes `index_hot_max_posts`, and
  records the store position it covers in its checkpoint (start-up repair replays the store
  from there). Right after a cold commit the hot index is emptied, so a commit's cost no
  longer grows with the index and the hot index never holds more than a few seconds.

Posts updated or removed since the last cold commit leave a *mask* in the hot index (a
document carrying only their `seq`): searches exclude those seqs from the cold tier, whose
copy is stale, and take the hot copy (or nothing, for a removed post).

Searches read both tiers, the hot snapshot FIRST: the writer empties the hot index only after
the cold commit that covers it is visible, so a hot snapshot never is newer than the cold one
taken after it, and no post falls between them (read-your-writes across processes: a reader
process reloads both before each search). A post may then be in both (the cold commit
happened between the two snapshots): results are deduplicated by seq, the hot copy kept.
BM25 statistics are per tier (as in Earlybird's segments): a hot post's score uses the hot
index's document frequencies, which follow the same stream, so the two are comparable.

The writer's periodic cold commit runs **beside** it (`begin_cold` / `finish_cold`): tantivy
releases the interpreter while it commits (65-100 ms at 100k posts on 2 cores), and a writer
blocked for that long held every post of the next batches back. Meanwhile the cold tier's
changes are kept aside (tantivy's writer is busy) and the hot tier goes on as before; when the
commit is done, the hot tier drops what the commit covers (by seq: a range delete, plus the
masks and copies of edits and removals made meanwhile, given back) in one hot commit, and the
cold tier gets the changes kept aside, for its next commit. Until then a post may
be in both committed tiers: hits are deduplicated by seq as above, but a search's `total`
(hot count plus cold count) may count it twice, for a batch or so every cold commit.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import tantivy

from .lexical import SCHEMA_VERSION, Checkpoint, Filters, IndexDoc, IndexHit, LexicalIndex, document

log = logging.getLogger(__name__)

MASK = "\x00mask"  # `source` of a mask document: the seq's cold copy is superseded
HOT_HEAP_MB = 24  # tantivy wants at least 15 MB per indexing thread
SHM_MIN_FREE = 512 << 20  # /dev/shm with less free than this: the hot tier goes beside the index
OWNER = "owner"
POINTER = "hot"  # file in the cold index's directory: where the writer's hot tier is ("": none)  # file in the hot directory naming the store it belongs to


@dataclass(slots=True)
class Snapshot:
    """One consistent view of both tiers: pass it to every part of a query."""

    hot: tantivy.Searcher | None  # None: no hot index (nothing changed since the cold commit)
    cold: tantivy.Searcher
    masked: list[int]  # seqs whose cold copies are superseded (updated or removed) in the hot tier

    @property
    def num_docs(self) -> int:
        return self.cold.num_docs + (self.hot.num_docs if self.hot is not None else 0)


def hot_dir(data_dir: Path, store: Path, where: str = "") -> Path:
    """Where the hot index of the data directory lives: under `where` (default: /dev/shm when
    it is a writable directory with 512 MB free, else beside the cold index), named after the data directory's
    real path, so every process of this machine that opens the directory finds the same one."""
    if where.strip() in ("disk", "."):
        return data_dir / "index-hot"
    base = Path(where) if where.strip() else Path("/dev/shm")
    if where.strip():
        base.mkdir(parents=True, exist_ok=True)  # named in the settings: made if missing
    if not (base.is_dir() and os.access(base, os.W_OK | os.X_OK)):
        return data_dir / "index-hot"
    if not where.strip():
        try:  # a container's /dev/shm is often 64 MB: a full one would stop ingest
            st = os.statvfs(base)
            if st.f_bavail * st.f_frsize < SHM_MIN_FREE:
                return data_dir / "index-hot"
        except OSError:
            return data_dir / "index-hot"
    tag = hashlib.sha1(str(data_dir.resolve()).encode()).hexdigest()[:16]
    return base / f"veristream-{os.getuid()}" / tag


def _owner_id(store: Path) -> str:
    """The store file's identity: a hot index left by another data directory at the same path
    (deleted and made again) is not this one's."""
    try:
        st = os.stat(store)
        return f"{st.st_dev}:{st.st_ino}"
    except FileNotFoundError:
        return ""


def _sweep(shared: Path) -> None:
    """Remove hot tiers left in shared memory by data directories that are gone (a writer
    killed, then its directory deleted): they would hold memory until the next reboot."""
    for d in shared.iterdir():
        try:
            ident, store = (d / OWNER).read_text().split("\n")[:2]
            if _owner_id(Path(store)) == ident:
                continue
        except (OSError, ValueError):  # no owner: being made this instant, or half made and abandoned
            try:
                if time.time() - d.stat().st_mtime < 60:
                    continue
            except OSError:
                continue
        shutil.rmtree(d, ignore_errors=True)


class TieredIndex:
    """The lexical index's interface (see `LexicalIndex`) over a hot and a cold tier.

    Writes (`add`, `delete`, `replace`) go to both tiers; `commit` commits the hot tier,
    `commit_cold` the cold one and then empties the hot one. Searches take a `Snapshot`."""

    def __init__(self, path: str | Path, hot_path: str | Path, store_path: str | Path, heap_mb: int = 64,
                 threads: int = 1, readonly: bool = False, hot: bool = True):
        self.path = Path(path)
        self.hot_path = Path(hot_path)
        self.readonly = readonly
        self._owner = _owner_id(Path(store_path))
        self.cold = LexicalIndex(self.path, heap_mb, threads, readonly=readonly)
        self.schema = self.cold.schema
        self.hot: LexicalIndex | None = None
        self.hot_docs = 0  # documents (and masks) in the hot tier since it was last emptied
        self._mask_term = tantivy.Query.term_query(self.schema, "source", MASK)
        # A cold commit under way beside the writer, and the changes made since it began:
        # ("add", docs) | ("delete", seqs) | ("replace", docs), in order.
        self._cold_job: Future[None] | None = None
        self._since_cold: list[tuple[str, list]] = []
        self._cold_seq = 0  # the last seq that commit covers
        self._committer: ThreadPoolExecutor | None = None
        # The cold tier written by another process (`coldproc`, after `detach_cold`): edits and
        # removals made since are kept, [change id they are stamped with (None: not yet), kind,
        # what], to mask again after the hot tier is emptied up to what that process covers.
        self.external = False
        self._edits: list[list] = []
        if not readonly:
            # A writer starts with an empty hot tier: start-up repair brings the cold tier level
            # with the store and commits it, so whatever a crash left in the hot tier is covered.
            self._remove_hot_dir()
            # Where it is, for read-only processes (which may judge /dev/shm's room otherwise).
            tmp = self.path / (POINTER + ".tmp")
            tmp.write_text(str(self.hot_path) if hot else "")
            os.replace(tmp, self.path / POINTER)
            if not hot:  # one tier: the cold index, committed per batch (`index_cold_commit_s` = 0)
                return
            shared = self.hot_path.parent
            if shared.name == f"veristream-{os.getuid()}":  # in /dev/shm: this user's alone (posts may be private)
                shared.mkdir(mode=0o700, parents=True, exist_ok=True)
                os.chmod(shared, 0o700)
                _sweep(shared)
            # The owner first (a sweep by another writer never takes a hot tier being made), and
            # the schema version, so that LexicalIndex does not empty the directory again.
            self.hot_path.mkdir(parents=True, exist_ok=True)
            (self.hot_path / OWNER).write_text(f"{self._owner}\n{Path(store_path).resolve()}\n")
            (self.hot_path / "version").write_text(SCHEMA_VERSION)
            self.hot = LexicalIndex(self.hot_path, HOT_HEAP_MB, 1, manual_reload=True)
        else:
            self._open_hot()

    # -- the hot tier's files -------------------------------------------------------------

    def _open_hot(self) -> None:
        """A read-only process opens the writer's hot tier once it exists (and is this store's)."""
        if self.hot is not None:
            return
        try:
            where = (self.path / POINTER).read_text().strip()
        except OSError:
            where = None  # written by a writer before the pointer: the default place
        if where == "":
            return  # the writer keeps one tier
        if where is not None:
            self.hot_path = Path(where)
        if not (self.hot_path / "meta.json").is_file():
            return
        try:
            if (self.hot_path / OWNER).read_text().split("\n")[0] != self._owner:
                return
            self.hot = LexicalIndex(self.hot_path, readonly=True, manual_reload=True)
        except (OSError, ValueError) as e:  # being made or removed by the writer: next time
            log.debug("hot index not opened (%s)", e)

    def _remove_hot_dir(self) -> None:
        shutil.rmtree(self.hot_path, ignore_errors=True)

    # -- writing ------------------------------------------------------------------------

    def add(self, docs: Iterable[IndexDoc | str], hot: bool = True) -> None:
        """Add documents: `IndexDoc`s, or new posts' JSON documents (`lexical.json_doc`), which
        tantivy parses itself: no Python object per field. `hot=False`: to the cold tier alone
        (a bulk load: searchable at its next commit; by its own process, fed by the writer)."""
        built = [d if type(d) is str else document(d) for d in docs]  # made once, added to both tiers
        if not built:
            return
        self._to_cold("add" if hot else "cold", built)
        if hot and self.hot is not None:
            self.hot.add_built(built)
            self.hot_docs += len(built)

    def delete(self, seqs: Iterable[int]) -> None:
        """Remove `seqs`: from the cold tier at its next commit, from searches now (masks)."""
        seqs = list(seqs)
        if not seqs:
            return
        if self.external:
            self._edits.append([None, "delete", seqs])
        self._to_cold("delete", seqs)
        if self.hot is not None:
            self._mask(seqs)

    def replace(self, docs: Sequence[IndexDoc]) -> None:
        docs = list(docs)
        if not docs:
            return
        built = [document(d) for d in docs]
        if self.external:
            self._edits.append([None, "replace", [[d.seq for d in docs], built]])
        self._to_cold("replace", [[d.seq for d in docs], built])
        if self.hot is not None:
            self._mask([d.seq for d in docs])
            self.hot.add_built(built)
            self.hot_docs += len(docs)

    def _mask(self, seqs: list[int]) -> None:
        if not seqs:
            return
        hot = self.hot
        assert hot is not None
        hot.delete(seqs)  # the hot copies (and earlier masks) of these seqs
        hot.add(IndexDoc(s, 0, 0, "", [], "", "", MASK, False) for s in seqs)
        self.hot_docs += len(seqs)

    def commit(self, checkpoint: Checkpoint) -> None:
        """Make the hot tier's changes searchable (cheap: the hot tier is small, in memory)."""
        if self.hot is None:
            self.cold.commit(checkpoint)
            return
        self.hot.commit(checkpoint)
        for e in self._edits:
            if e[0] is None:
                e[0] = checkpoint.change  # the store's change id once they were written

    def commit_cold(self, checkpoint: Checkpoint) -> None:
        """Commit the cold tier (durable, with the checkpoint start-up repairs from), then empty
        the hot tier, in this order: a reader never misses a post between the two."""
        self.finish_cold(wait=True)
        self.cold.commit(checkpoint)
        if self.hot is not None:
            self.hot.clear()
        self.hot_docs = 0

    # -- the cold commit beside the writer ----------------------------------------------

    @property
    def cold_busy(self) -> bool:
        return self._cold_job is not None

    def begin_cold(self, checkpoint: Checkpoint, on_done: Callable[[], None] | None = None) -> None:
        """Start committing the cold tier in a thread; until `finish_cold`, its changes are
        kept aside and the hot tier serves them. `on_done` is called in that thread once the
        commit is done (to finish it without waiting for the writer's next batch). One tier
        (no hot index): commits at once."""
        if self.hot is None:
            self.commit_cold(checkpoint)
            return
        self.finish_cold(wait=True)
        if self._committer is None:
            self._committer = ThreadPoolExecutor(1, thread_name_prefix="veristream-cold-commit")
        self._since_cold = []
        self._cold_seq = checkpoint.seq
        job = self._committer.submit(self.cold.commit, checkpoint)
        self._cold_job = job
        if on_done is not None:
            job.add_done_callback(lambda _: on_done())

    def finish_cold(self, checkpoint: Checkpoint | None = None, wait: bool = False) -> bool:
        """If the cold commit under way is done (or once it is, with `wait`): empty the hot tier,
        give both tiers the changes made since it began, and commit the hot tier (with
        `checkpoint`, the writer's latest). True if a cold commit finished here. A failed
        commit raises here, on the writer's thread."""
        job = self._cold_job
        if job is None or (not wait and not job.done()):
            return False
        self._cold_job = None
        since, self._since_cold = self._since_cold, []
        try:
            job.result()
        except BaseException:
            # Not committed: the hot tier keeps serving everything; the cold tier gets the
            # changes kept aside, for the next try (start-up repair covers a crash meanwhile).
            for kind, what in since:
                self._apply_cold(kind, what)
            raise
        hot = self.hot
        assert hot is not None
        # The hot tier keeps only what came after the commit began: everything up to its seq
        # goes (earlier posts and masks, now in the cold tier, and the masks and copies that
        # edits and removals made meanwhile, given back below); later posts stay as they are.
        covered = self._cold_seq
        hot.delete_up_to(covered)
        self.hot_docs = 0
        for kind, what in since:  # in order: an edit after an add masks and re-adds
            self._apply_cold(kind, what)
            if kind == "add":
                self.hot_docs += len(what)
            elif kind != "cold":
                self._give_back(kind, what, covered)
                if kind == "replace":
                    self.hot_docs += len(what[0])
        hot.commit(checkpoint if checkpoint is not None else hot.checkpoint())
        return True

    # -- the cold tier written by another process ---------------------------------------

    def detach_cold(self) -> None:
        """From now on another process writes the cold tier (`coldproc`, fed by the writer):
        this one reads it and writes the hot tier alone, keeping the edits and removals it
        masks until the cold tier's commits cover them (`cold_covered`). One tier: no-op."""
        if self.hot is None or self.external or self.readonly:
            return
        self.finish_cold(wait=True)
        self.cold.close()
        self.cold = LexicalIndex(self.path, readonly=True)
        self.external = True

    def attach_cold(self, heap_mb: int, threads: int) -> None:
        """Write the cold tier here again (its process has made its last commit and exited)."""
        if not self.external:
            return
        self.cold.close()
        self.cold = LexicalIndex(self.path, heap_mb, threads)
        self.external = False
        self._edits = []

    def cold_covered(self, seq: int, change: int, checkpoint: Checkpoint) -> None:
        """The cold tier's process has committed every post up to `seq` and every change up
        to `change`: see that commit here, then empty the hot tier up to `seq` (as after a cold
        commit of our own), masking again what was edited or removed after `change`."""
        hot = self.hot
        assert hot is not None and self.external
        self.cold.reload()  # first: no reader of this process misses a post between the tiers
        hot.delete_up_to(seq)
        self._edits = [e for e in self._edits if e[0] is None or e[0] > change]
        for _, kind, what in self._edits:
            self._give_back(kind, what, seq)
        hot.commit(checkpoint)
        self.hot_docs = hot.num_docs()

    def _give_back(self, kind: str, what: list, covered: int) -> None:
        """After the hot tier was emptied up to `covered`: the mask of a removal, and the mask
        and copy of an edit, made for posts the cold tier already held (later posts keep theirs)."""
        if kind == "delete":
            self._mask([s for s in what if s <= covered])
            return
        seqs, built = what
        old = [i for i, s in enumerate(seqs) if s <= covered]
        if old:
            assert self.hot is not None
            self._mask([seqs[i] for i in old])
            self.hot.add_built([built[i] for i in old])

    def _to_cold(self, kind: str, what: list) -> None:
        """A change for the cold tier: now, or kept aside while it commits (none when another
        process writes it: it reads changes from the store)."""
        if self.external:
            return
        if self._cold_job is not None:
            self._since_cold.append((kind, what))
        else:
            self._apply_cold(kind, what)

    def _apply_cold(self, kind: str, what: list) -> None:
        if kind in ("add", "cold"):
            self.cold.add_built(what)
        elif kind == "delete":
            self.cold.delete(what)
        else:
            self.cold.delete(what[0])
            self.cold.add_built(what[1])

    def clear(self) -> None:
        self.finish_cold(wait=True)
        self.cold.clear()
        if self.hot is not None:
            self.hot.clear()
        self.hot_docs = 0

    def checkpoint(self) -> Checkpoint:
        """What the cold tier covers: start-up replays the store from here."""
        return self.cold.checkpoint()

    def hot_checkpoint(self) -> Checkpoint:
        """What the hot tier's last commit covers (empty when the hot tier was just emptied)."""
        return self.hot.checkpoint() if self.hot is not None else Checkpoint()

    # -- reading ------------------------------------------------------------------------

    def reload(self) -> None:
        """Pick up the latest commits, the hot tier's first (see the module's docstring)."""
        if self.hot is None and self.readonly:
            self._open_hot()
        if self.hot is not None:
            if self.readonly and not (self.hot_path / "meta.json").is_file():
                self.hot = None  # the writer closed cleanly: its last cold commit covers all
            else:
                self.hot.reload()
        self.cold.reload()

    def searcher(self) -> Snapshot:
        hot = self.hot.searcher() if self.hot is not None else None  # first: see the docstring
        cold = self.cold.searcher()
        masked: list[int] = []
        if hot is not None:
            if hot.num_docs == 0:
                hot = None
            else:
                res = hot.search(self._mask_term, hot.num_docs, count=False)
                if res.hits:
                    masked = [int(s) for s in hot.fast_field_values("seq", [a for _, a in res.hits])]
        return Snapshot(hot, cold, masked)

    def _hot_q(self, query: tantivy.Query) -> tantivy.Query:
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.MustNot, self._mask_term)])

    def _cold_q(self, snap: Snapshot, query: tantivy.Query) -> tantivy.Query:
        if not snap.masked:
            return query
        gone = tantivy.Query.term_set_query(self.schema, "seq", snap.masked)
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.MustNot, gone)])

    def num_docs(self) -> int:
        """Live documents: the cold tier's not superseded, and the hot tier's not in it."""
        snap = self.searcher()
        cold = snap.cold.num_docs
        if snap.hot is None:
            return cold
        if snap.masked:
            cold -= self.cold.count(snap.cold, tantivy.Query.term_set_query(self.schema, "seq", snap.masked))
        seqs = self._hot_seqs(snap)
        if not seqs:
            return cold
        # A hot post whose cold copy is already committed (and not masked) counts once.
        both = self.cold.count(snap.cold, self._cold_q(snap, tantivy.Query.term_set_query(self.schema, "seq", seqs)))
        return cold + len(seqs) - both

    def count(self, snap: Snapshot, query: tantivy.Query) -> int:
        n = self.cold.count(snap.cold, self._cold_q(snap, query))
        if snap.hot is not None:
            n += self.cold.count(snap.hot, self._hot_q(query))
        return n

    def _hot_seqs(self, snap: Snapshot) -> list[int]:
        """The seqs of the hot snapshot's documents (masks left out)."""
        if snap.hot is None:
            return []
        res = snap.hot.search(self._hot_q(tantivy.Query.all_query()), max(1, snap.hot.num_docs), count=False)
        return [int(s) for s in snap.hot.fast_field_values("seq", [a for _, a in res.hits])] if res.hits else []

    def term_counts(self, field: str) -> dict[str, int]:
        """Live documents per term, each counted once (a post may be in both snapshots)."""
        snap = self.searcher()
        gone = snap.masked + self._hot_seqs(snap)
        keep = tantivy.Query.all_query()
        if gone:
            keep = tantivy.Query.boolean_query([(tantivy.Occur.Must, keep), (tantivy.Occur.MustNot,
                                                tantivy.Query.term_set_query(self.schema, "seq", gone))])
        out = dict(snap.cold.terms_with_prefix(field, "", filter_query=keep))
        if snap.hot is not None:
            for term, n in snap.hot.terms_with_prefix(field, "", filter_query=self._hot_q(tantivy.Query.all_query())):
                out[term] = out.get(term, 0) + n
        return out

    def disk_bytes(self) -> tuple[int, int]:
        """The cold tier's (the hot tier is in memory, and small)."""
        return self.cold.disk_bytes()

    def build_query(self, text: str, f: Filters, any_term: bool = False) -> tuple[tantivy.Query, bool]:
        return self.cold.build_query(text, f, any_term)

    def without_stories(self, query: tantivy.Query, stories: Iterable[int]) -> tantivy.Query:
        return self.cold.without_stories(query, stories)

    def top(self, snap: Snapshot, query: tantivy.Query, limit: int, by_time: bool,
            count: bool = False, offset: int = 0) -> tuple[list[IndexHit], int | None]:
        """Top `limit` hits of both tiers (after skipping `offset`), by BM25 or newest first."""
        if snap.hot is None:
            return self.cold.top(snap.cold, self._cold_q(snap, query), limit, by_time, count, offset)
        k = offset + limit
        hot, hot_n = self.cold.top(snap.hot, self._hot_q(query), k, by_time, count)
        cold, cold_n = self.cold.top(snap.cold, self._cold_q(snap, query), k, by_time, count)
        if not hot:
            return cold[offset:], cold_n
        have = {h.seq for h in hot}
        merged = hot + [h for h in cold if h.seq not in have]
        merged.sort(key=(lambda h: -h.ts) if by_time else (lambda h: (-h.bm25, -h.ts)))
        return merged[offset:k], (hot_n or 0) + (cold_n or 0) if count else None

    def scores_for(self, snap: Snapshot, query: tantivy.Query, seqs: Sequence[int]) -> dict[int, float]:
        if not seqs:
            return {}
        out = self.cold.scores_for(snap.cold, self._cold_q(snap, query), seqs)
        if snap.hot is not None:
            out.update(self.cold.scores_for(snap.hot, self._hot_q(query), seqs))
        return out

    def scores_between(self, snap: Snapshot, query: tantivy.Query, lo_us: int, hi_us: int,
                       limit: int) -> dict[int, float]:
        out = self.cold.scores_between(snap.cold, self._cold_q(snap, query), lo_us, hi_us, limit)
        if snap.hot is not None:
            out.update(self.cold.scores_between(snap.hot, self._hot_q(query), lo_us, hi_us, limit))
        return out

    def hits_for(self, snap: Snapshot, query: tantivy.Query, seqs: Sequence[int]) -> list[IndexHit]:
        if not seqs:
            return []
        hits = {h.seq: h for h in self.cold.hits_for(snap.cold, self._cold_q(snap, query), seqs)}
        if snap.hot is not None:
            hits.update((h.seq, h) for h in self.cold.hits_for(snap.hot, self._hot_q(query), seqs))
        return list(hits.values())

    def close(self) -> None:
        """Release both tiers; a writer that committed its cold tier removes the hot one."""
        if self._cold_job is not None:
            try:
                self.finish_cold(wait=True)
            except Exception:  # noqa: BLE001 - closing: start-up repairs from the last good checkpoint
                log.exception("cold index commit failed")
        if self._committer is not None:
            # Not waiting: its thread may be waiting for the writer's lock, held by our caller
            # (to finish a commit that is finished now: it will find nothing to do).
            self._committer.shutdown(wait=False)
            self._committer = None
        try:
            self.cold.close()
        finally:
            if self.hot is not None:
                clean = not self.readonly and self.hot_docs == 0
                self.hot.close()
                self.hot = None
                if clean:
                    self._remove_hot_dir()


__all__ = ["MASK", "Snapshot", "TieredIndex", "hot_dir"]
