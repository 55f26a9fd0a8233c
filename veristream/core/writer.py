"""The single writer: turns batches of posts into store rows, stories and index documents.

Order of work for a batch, and why:
1. classify against the store (new / newer version / duplicate / stale);
2. assign stories to new posts (in memory, bounded);
3. write rows, story counts and source offsets in ONE SQLite transaction: when it commits,
   the posts are accepted;
4. add them to the lexical index (both tiers, see `index.tiered`) and commit its small hot
   tier (per `commit_interval_ms`): searchable now; the large cold tier is committed every
   `index_cold_commit_s` (or when the hot tier passes `index_hot_max_posts`), recording the
   store cursor and offsets the commit covers, and the hot tier is emptied. A bulk load
   (`write(when=BULK)`) gives new posts to the cold tier alone: searchable at its next commit.
A crash between 3 and a cold commit loses nothing: start-up replays the store past the cold
tier's checkpoint (and starts with an empty hot tier).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

import orjson
import xxhash

from .. import analysis
from .index.coldproc import ColdIndexer
from .index.lexical import Checkpoint, IndexDoc, domain_terms, json_doc, json_tail
from .index.tiered import TieredIndex
from ..model import (MAX_LINE_BYTES, MAX_TEXT_CHARS, Author, BadPost, Card, Media, Metrics, Post, post_from_doc, to_us,
                     url_domain)
from ..places import resolve_post
from ..settings import Settings
from .store import Cursor, Existing, Removed, Row, Store, StoryRow
from .gcpace import CollectorPacing
from .stories import StoryIndex, TokenHasher, fingerprints


@dataclass(slots=True)
class IngestResult:
    accepted: int = 0  # new posts
    updated: int = 0  # newer versions of stored posts
    duplicates: int = 0  # identical to what is stored
    stale: int = 0  # older versions than what is stored
    deleted: int = 0
    newest_us: int | None = None
    seqs: list[int] = field(default_factory=list)

    def add(self, other: "IngestResult") -> None:
        self.accepted += other.accepted
        self.updated += other.updated
        self.duplicates += other.duplicates
        self.stale += other.stale
        self.deleted += other.deleted
        if other.newest_us is not None and (self.newest_us is None or other.newest_us > self.newest_us):
            self.newest_us = other.newest_us


log = logging.getLogger(__name__)

# When a written batch becomes searchable (`Writer.write(when=...)`):
NOW = "now"  # on return: its hot commit is done (`Engine.ingest`, the API, a shard)
BESIDE = "beside"  # once its hot commit, begun beside the writing of the next batch, is done (live pipelines)
# At the cold tier's next commit (its process commits every `index_cold_commit_s`), or at a flush,
# which commits it: a load as fast as it goes (`replay --speed max`, `ingest FILE`) gives its posts
# to the cold tier alone, as Elasticsearch's bulk-load advice turns refreshes off: each post is
# indexed once, not twice, with no hot commits or merges (performance.md). Where the writer builds
# the cold tier itself (`index_process = false`) it commits only when written to, so a stalled
# load would stay unsearchable: there BULK is NOW.
BULK = "bulk"


class Prepared(NamedTuple):
    """A post made ready for the writer: everything that needs no store state.

    Computed outside the writer (in a worker process for bulk ingest), so the single writer
    only does what must be serial. A plain tuple: it crosses process boundaries cheaply."""

    key: str
    ts: int
    version: int  # edited_at or created_at: an older version never replaces a newer one
    author: str
    ref: str | None  # the post this one copies (repost, or quote adding no words)
    digest: int
    doc: bytes
    texthash: int
    ntokens: int
    sig: bytes
    bands: list[int] | None
    text: str
    tags: list[str]
    handle: str
    lang: str
    source: str
    media: bool
    cjk: str  # word tokens of spaceless scripts, space-joined (empty for most posts)
    reply: str  # key of the post this one replies to ("" if none): a thread's replies are found by it
    # What comes with the words (defaults: items made before these existed still build).
    alt: str = ""  # alt text of its images
    card: str = ""  # its link cards' titles and descriptions
    domains: tuple[str, ...] = ()  # linked hosts and their parent domains
    places: tuple[str, ...] = ()  # its place's names (what --place matches)
    lat: float | None = None
    lon: float | None = None
    place: str = ""  # its place as shown ("Kyoto, JP"): what events count where they happen
    # Its index document as JSON without seq and story (`lexical.json_tail`), made with the
    # rest: the writer only puts those two in front. "": build it from the fields above.
    ixjson: str = ""

    def index_doc(self, seq: int, story: int, image: str = "") -> IndexDoc:
        """`image`: text read from its images (the media consumer's, kept in the store)."""
        cjk = self.cjk
        if image and analysis.needs_analysis(image):
            cjk = f"{cjk}\n{' '.join(analysis.tokens(image, self.lang or None))}".strip()
        return IndexDoc(seq, self.ts, story, self.text, self.tags, self.handle, self.lang, self.source, self.media,
                        cjk, self.reply, self.alt, self.card, image, self.domains, self.places, self.lat, self.lon)


# What one stored post may weigh: its raw message (at most MAX_LINE_BYTES on the wire, a
# little more once re-encoded) plus the fields derived from it.
MAX_DOC_BYTES = 4 * MAX_LINE_BYTES
MAX_EXTRA_BYTES = 65_536  # `extra` holds small service metadata (matching rules, cids...)
MAX_EXTRA_DEPTH = 16


def encode(p: Post) -> bytes:
    """The document the writer stores for `p`; raises BadPost (naming the post and the field)
    for a post that cannot be stored, so it is rejected at the boundary, not in the writer.

    Readers already type every field; this guards posts built any other way (the API, a
    library caller) and what readers pass through untyped (`extra`, `raw`): nesting deeper
    than orjson writes (255), integers over 64 bits, lone surrogates."""
    _check_fields(p)
    try:
        doc = orjson.dumps(p.to_dict())
    except Exception as e:  # noqa: BLE001 - TypeError, JSONEncodeError, AttributeError...
        raise BadPost(f"post {_key(p)}: cannot be stored: {_culprit(p)}{_err(e)}") from None
    if len(doc) > MAX_DOC_BYTES:
        raise BadPost(f"post {_key(p)}: too large to store: {len(doc):,} bytes > {MAX_DOC_BYTES:,}")
    if p.extra:
        # `extra` is part of the document: when the whole is within its bound, so is `extra`,
        # and the common case (a few small fields) is not encoded a second time.
        n = 0
        if len(doc) > MAX_EXTRA_BYTES:
            try:
                n = len(orjson.dumps(p.extra))
            except Exception as e:  # noqa: BLE001 - dumped once above, so not expected
                raise BadPost(f"post {_key(p)}: extra cannot be stored: {_err(e)}") from None
        if n > MAX_EXTRA_BYTES:
            raise BadPost(f"post {_key(p)}: extra too large: {n:,} bytes > {MAX_EXTRA_BYTES:,}")
        if _depth(p.extra, MAX_EXTRA_DEPTH) > MAX_EXTRA_DEPTH:
            raise BadPost(f"post {_key(p)}: extra nested more than {MAX_EXTRA_DEPTH} levels")
    return doc


def _key(p: Post) -> str:
    try:
        return repr(f"{p.source}:{p.id}"[:200])
    except Exception:  # noqa: BLE001 - a key that cannot even be formatted
        return "(no key)"


def _err(e: BaseException) -> str:
    msg = str(e).strip().splitlines()[0][:160] if str(e).strip() else ""
    return f"{type(e).__name__}: {msg}" if msg else type(e).__name__


def _str_or_none(v: object) -> bool:
    return v is None or type(v) is str


def _str_list(v: object) -> bool:
    return type(v) is list and all(type(x) is str for x in v)


def _check_fields(p: Post) -> None:
    """The types the writer, the index and the store rely on (one pass, no copies)."""
    a, m = p.author, p.metrics
    bad = None
    if type(p.id) is not str or not p.id:
        bad = "id"
    elif type(p.source) is not str or not p.source:
        bad = "source"
    elif type(p.text) is not str:
        bad = "text"
    elif len(p.text) > MAX_TEXT_CHARS:
        raise BadPost(f"post {_key(p)}: text too long: {len(p.text)} chars > {MAX_TEXT_CHARS}")
    elif not isinstance(p.created_at, datetime) or p.created_at.tzinfo is None:
        bad = "created_at"
    elif not (p.edited_at is None or (isinstance(p.edited_at, datetime) and p.edited_at.tzinfo is not None)):
        bad = "edited_at"
    elif not isinstance(a, Author) or type(a.id) is not str or type(a.handle) is not str or not _str_or_none(a.name):
        bad = "author"
    elif not (_str_or_none(p.lang) and _str_or_none(p.reply_to) and _str_or_none(p.quote_of)
              and _str_or_none(p.repost_of) and _str_or_none(p.url)):
        bad = "lang/reply_to/quote_of/repost_of/url"
    elif not (_str_list(p.hashtags) and _str_list(p.mentions) and _str_list(p.urls)):
        bad = "hashtags/mentions/urls"
    elif type(p.media) is not list or not all(isinstance(x, Media) and type(x.kind) is str for x in p.media):
        bad = "media"
    elif not isinstance(m, Metrics) or type(p.extra) is not dict:
        bad = "metrics/extra"
    elif type(p.cards) is not list or not all(isinstance(c, Card) and type(c.url) is str and _str_or_none(c.title)
                                               and _str_or_none(c.description) for c in p.cards):
        bad = "cards"
    elif not _str_or_none(p.image_text):
        bad = "image_text"
    if bad is not None:
        raise BadPost(f"post {_key(p)}: {bad} has the wrong type")
    try:
        p.ts_us  # noqa: B018 - dates before year 1 or past 9999 fail here
        if not 1990 <= p.created_at.year <= 2200:
            raise ValueError(f"year {p.created_at.year}")
    except (ValueError, OverflowError, TypeError) as e:
        raise BadPost(f"post {_key(p)}: created_at out of range: {_err(e)}") from None


def _culprit(p: Post) -> str:
    """Which top-level field of the document fails to encode ("raw: ", "extra: ", ...)."""
    try:
        d = p.to_dict()
    except Exception:  # noqa: BLE001
        return ""
    for k, v in d.items():
        try:
            orjson.dumps(v)
        except Exception:  # noqa: BLE001
            return f"{k}: "
    return ""


def _depth(v: object, limit: int, level: int = 0) -> int:
    """Nesting depth of a JSON value, counted only as far as `limit` + 1."""
    if level > limit:
        return level
    if type(v) is dict:
        return max((_depth(x, limit, level + 1) for x in v.values()), default=level + 1)
    if type(v) is list:
        return max((_depth(x, limit, level + 1) for x in v), default=level + 1)
    return level


def prepare_checked(posts: Sequence[Post], hasher: TokenHasher, min_tokens: int,
                    encoded: Sequence[bytes] | None = None) -> tuple[list[Prepared], list[tuple[Post, str]]]:
    """`prepare`, rejecting (post, reason) each post that cannot be stored instead of failing
    the whole batch: what bulk ingest, the API and the pipeline's writer use. `encoded`: the
    posts' documents, already made by `encode` (the pipeline encodes on the producer's thread,
    so the single writer does not encode each post a second time)."""
    good: list[Post] = []
    docs: list[bytes] = []
    rejects: list[tuple[Post, str]] = []
    if encoded is not None:
        good, docs = list(posts), list(encoded)
    else:
        for p in posts:
            try:
                docs.append(encode(p))
            except BadPost as e:
                rejects.append((p, e.reason))
                continue
            good.append(p)
    try:
        return _prepare(good, hasher, min_tokens, docs), rejects
    except Exception:  # noqa: BLE001 - one post breaks fingerprinting or analysis: find it
        pass
    out: list[Prepared] = []
    for p, doc in zip(good, docs):
        try:
            out += _prepare([p], hasher, min_tokens, [doc])
        except Exception as e:  # noqa: BLE001
            rejects.append((p, f"post {_key(p)}: cannot be prepared: {_err(e)}"))
    return out, rejects


def prepare(posts: Sequence[Post], hasher: TokenHasher, min_tokens: int) -> list[Prepared]:
    """Posts -> writer items; raises BadPost for the first post that cannot be stored."""
    return _prepare(posts, hasher, min_tokens, [encode(p) for p in posts])


def _prepare(posts: Sequence[Post], hasher: TokenHasher, min_tokens: int, docs: Sequence[bytes]) -> list[Prepared]:
    fps = fingerprints([p.text for p in posts], min_tokens, hasher)
    out: list[Prepared] = []
    digest = xxhash.xxh3_64_intdigest
    for p, fp, doc in zip(posts, fps, docs):
        ts = p.ts_us
        # A quote that adds no words of its own is a copy of what it quotes.
        ref = p.ref_key(p.repost_of) or (p.ref_key(p.quote_of) if not fp.ntokens else None)
        alt, card, domains, places, lat, lon, place = _beside_words(p)
        handle, lang, media = p.author.handle.lower(), p.lang or "", bool(p.media)
        cjk, reply = _cjk(p.text, alt, card, p.lang), p.ref_key(p.reply_to) or ""
        out.append(Prepared(p.key, ts, to_us(p.edited_at) if p.edited_at else ts, p.author.id, ref, digest(doc), doc,
                            fp.texthash, fp.ntokens, fp.sig, fp.bands, p.text, p.hashtags,
                            handle, lang, p.source, media, cjk, reply, alt, card, domains, places, lat, lon, place,
                            json_tail(ts, p.text, p.hashtags, handle, lang, p.source, media, cjk, reply, alt, card,
                                      domains, places, lat, lon)))
    return out


def _beside_words(p: Post) -> tuple[str, str, tuple[str, ...], tuple[str, ...], float | None, float | None, str]:
    """(alt text, link cards' words, linked domains, place names, lat, lon, place shown) of a
    post: what its index document holds beside its words (read from the post itself: no network)."""
    alt = "\n".join(m.alt for m in p.media if m.alt and m.kind != "link")  # a link's "alt" is its card title
    card = "\n".join(" ".join(x for x in (c.title, c.description) if x) for c in p.cards)
    hosts = [url_domain(u) for u in p.urls if type(u) is str] + [c.domain for c in p.cards]
    domains = tuple(domain_terms(h for h in dict.fromkeys(hosts) if h))
    pl = resolve_post(p)
    if pl is None:
        return alt, card, domains, (), None, None, ""
    return alt, card, domains, tuple(pl.terms()), pl.lat, pl.lon, pl.label()


def _cjk(text: str, alt: str, card: str, lang: str | None) -> str:
    """Word tokens of the spaceless-script parts of a post's words, alt text and cards."""
    parts = [x for x in (text, alt, card) if x and analysis.needs_analysis(x)]
    return "\n".join(" ".join(analysis.tokens(x, lang)) for x in parts)


def index_doc_from_row(seq: int, ts: int, story: int, doc: bytes, image: str = "") -> IndexDoc:
    """The index document of a stored post (`image`: its image text, from the store)."""
    p = post_from_doc(orjson.loads(doc))
    alt, card, domains, places, lat, lon, _place = _beside_words(p)
    cjk = _cjk(p.text, alt, card, p.lang)
    if image and analysis.needs_analysis(image):
        cjk = f"{cjk}\n{' '.join(analysis.tokens(image, p.lang))}".strip()
    return IndexDoc(seq, ts, story, p.text, p.hashtags, p.author.handle.lower(), p.lang or "", p.source,
                    bool(p.media), cjk, p.ref_key(p.reply_to) or "", alt, card, image, domains, places, lat, lon)


@dataclass(slots=True)
class Accepted:
    """A batch as listeners see it once it is on disk: new posts with their seq and story."""

    items: list[Prepared]
    seqs: list[int]
    stories: list[int]
    updated: list[Prepared]


Listener = Callable[[Accepted], None]
RemovalListener = Callable[[Removed], None]  # posts gone: deleted at the source or expired


class FairLock:
    """A lock granted in the order it was asked for. With a plain lock, a thread that releases
    it and asks again at once (the pipeline's writer, always busy under load) gets it back
    before a waiting thread wakes up, and background expiry would starve."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._next = 0  # the next ticket handed out
        self._serving = 0  # the ticket that holds the lock
        self._abandoned: set[int] = set()  # tickets whose waiter gave up (e.g. Ctrl-C)

    def acquire(self) -> None:
        with self._cond:
            ticket = self._next
            self._next += 1
            try:
                while ticket != self._serving:
                    self._cond.wait()
            except BaseException:
                if ticket == self._serving:
                    self._advance()
                else:
                    self._abandoned.add(ticket)
                raise

    def release(self) -> None:
        with self._cond:
            self._advance()

    def _advance(self) -> None:
        self._serving += 1
        while self._serving in self._abandoned:
            self._abandoned.discard(self._serving)
            self._serving += 1
        self._cond.notify_all()

    def __enter__(self) -> "FairLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class Writer:
    """Owned by one thread at a time (the engine serialises calls with a lock).

    Listeners (trends, live feeds) are called on the writer's thread after each batch is
    accepted; they must be quick and must not raise (an exception is logged, not fatal).
    Removal listeners are called the same way after posts leave the store and the index
    (deleted at their source, or expired by retention), so derived state can drop them."""

    def __init__(self, store: Store, index: TieredIndex, settings: Settings, lock: FairLock | None = None):
        self.store = store
        self.index = index
        self.settings = settings
        self.stories = StoryIndex(store.max_story() + 1, settings.stories.window, settings.stories.min_agreement)
        self.stories.load(store.recent_fingerprints(settings.stories.window))
        self.hasher = TokenHasher()
        self._last_commit = 0.0
        self._last_cold = time.monotonic()
        self._dirty = False  # changes the hot tier has not committed
        self._unsearched = False  # new posts given to the cold tier alone (`BULK`) since its last commit
        self._cold_dirty = False  # changes the cold tier has not committed
        self.cold_commit_s = settings.core.index_cold_commit_s
        self.hot_max = settings.core.index_hot_max_posts
        self.cold_commits = 0
        # (time.monotonic() at the end, seconds taken) of recent commits, per tier
        self.commit_log: dict[str, deque[tuple[float, float]]] = {"hot": deque(maxlen=8192), "cold": deque(maxlen=1024)}
        self._cursor: Cursor | None = None  # the store position the index has been given
        self._offsets: dict[str, str] = {}
        self.newest_us = store.newest_ts()
        self.listeners: list[Listener] = []
        self.removal_listeners: list[RemovalListener] = []
        self.pacing = CollectorPacing(settings.core.gc_full_s)
        # The lock its owner serialises calls with: the thread that commits the cold tier takes
        # it to finish the commit. None: finished at the next batch.
        self.lock = lock
        # The cold tier's own process (`start_cold_process`): fed each batch; what it has
        # committed (seq, change) and what the hot tier was last emptied for.
        self.cold_feed: ColdIndexer | None = None
        self._fed_seq = 0
        self._applied: tuple[int, int] | None = None
        # A hot commit under way beside the writer (`write(when=BESIDE)`): tantivy releases the
        # interpreter while it commits, so the next batch's rows and stories are written meanwhile;
        # anything that touches the index first waits for it (`_settle`).
        self._hot_job: Future | None = None
        self._hot_pool: ThreadPoolExecutor | None = None

    def prepare(self, posts: Sequence[Post]) -> list[Prepared]:
        return prepare(posts, self.hasher, self.settings.stories.min_tokens)

    # -- the hot path -----------------------------------------------------------------

    def write(self, items: Sequence[Prepared], offsets: dict[str, str] | None = None,
              when: str = NOW) -> IngestResult:
        """Store `items` and give them to the index; `when` they become searchable (`NOW`,
        `BESIDE`, `BULK`: see there; `NOW` is subject to `commit_interval_ms`)."""
        res = IngestResult()
        # Last copy of a key within the batch wins, as it would arriving one by one.
        latest: dict[str, Prepared] = {}
        for it in items:
            prev = latest.get(it.key)
            if prev is not None:
                res.duplicates += 1
                if it.version < prev.version:
                    continue
            latest[it.key] = it
        existing = self.store.lookup(list(latest))
        new: list[Prepared] = []
        updates: list[tuple[Row, Prepared]] = []
        for k, it in latest.items():
            e: Existing | None = existing.get(k)
            if e is None:
                new.append(it)
            elif it.digest == e.digest:
                res.duplicates += 1
            elif it.version < e.version:
                res.stale += 1
            else:
                updates.append((Row(k, it.ts, it.version, it.author, e.story, b"", 0, it.digest, it.doc, seq=e.seq), it))
        seqs, stories, story_rows, story_authors = self._assign(new)
        # The posts' rows in the table's column order, hashes as SQLite's signed integers.
        sign, half = 1 << 64, 1 << 63
        new_rows = [(seq, it.key, it.ts, it.version, it.author, story, it.sig,
                     it.texthash - sign if it.texthash >= half else it.texthash,
                     it.digest - sign if it.digest >= half else it.digest, it.doc)
                    for it, seq, story in zip(new, seqs, stories)]
        self.store.write(new_rows, [r for r, _ in updates], story_rows, story_authors, offsets)
        self._settle()  # the hot commit begun after the last batch (`BESIDE`): the index is touched next
        if offsets:
            self._offsets.update(offsets)
        res.accepted = len(new)
        res.updated = len(updates)
        res.seqs = list(seqs)
        if new:
            newest = max(it.ts for it in new)
            if self.newest_us is None or newest > self.newest_us:
                self.newest_us = newest
            docs = [json_doc(seq, story, it.ixjson) if it.ixjson else it.index_doc(seq, story)
                    for it, seq, story in zip(new, seqs, stories)]
            if when == BULK and self.cold_feed is not None:
                self.index.add(docs, hot=False)
                self._unsearched = True
            else:
                self.index.add(docs)
                self._dirty = True
        res.newest_us = self.newest_us
        if updates:
            # An edit keeps the text read from the post's images (stored beside it, by seq).
            images = self.store.image_texts([r.seq for r, _ in updates])
            self.index.replace([it.index_doc(r.seq, r.story, images.get(r.seq, "")) for r, it in updates])
            self._dirty = True  # their masks and new copies are in the hot tier
        if new or updates:
            self._cold_dirty = True
            self._cursor = self.store.cursor()
            self._feed(seqs, docs) if new else self._feed()
        self.maybe_commit(defer=when == BESIDE)
        if self.listeners and (new or updates):
            acc = Accepted(new, list(seqs), stories, [it for _, it in updates])
            for fn in self.listeners:
                try:
                    fn(acc)
                except Exception:  # a listener's bug must not stop ingest
                    log.exception("ingest listener %r failed", fn)
        return res

    def _assign(self, new: list[Prepared]) -> tuple[range, list[int], list[StoryRow], list[tuple[int, str]]]:
        """(seqs, stories) of the new posts, and the story rows and story authors to store."""
        if not new:
            return range(0), [], [], []
        first_new_story = self.stories.next_id
        seqs = self.store.reserve(len(new))
        stories = self.stories.assign_batch([(it.key, it.texthash, it.ntokens, it.sig, it.bands, it.ref) for it in new],
                                            self.store.stories_of)
        touched: dict[int, list[int]] = {}  # story -> positions in `new`
        for i, story in enumerate(stories):
            t = touched.get(story)
            if t is None:
                touched[story] = [i]
            else:
                t.append(i)
        # Most stories are new and single-post: only older ones need their stored state.
        known, singles = self.store.story_state([s for s in touched if s < first_new_story])
        firsts = self.store.story_first_authors(list(singles)) if singles else {}
        story_rows: list[StoryRow] = []
        story_authors: list[tuple[int, str]] = []
        for sid, at in touched.items():
            old = known.get(sid) or singles.get(sid)
            if old is None and len(at) == 1:
                continue  # a new single-post story: no rows until a second post joins
            authors = {new[i].author for i in at}
            ts = [new[i].ts for i in at]
            lo, hi = min(ts), max(ts)
            if old is None:
                story_authors.extend((sid, a) for a in authors)
                story_rows.append(StoryRow(sid, seqs[at[0]], lo, hi, len(at), len(authors)))
                continue
            if sid in singles:
                first = firsts.get(sid)
                if first is not None:
                    authors.add(first)
            story_authors.extend((sid, a) for a in authors)
            # authors = -1: the store recounts distinct authors inside the transaction.
            story_rows.append(StoryRow(sid, old.first_seq, min(old.first_ts, lo), max(old.last_ts, hi),
                                       old.posts + len(at), -1))
        return seqs, stories, story_rows, story_authors

    # -- index commits ----------------------------------------------------------------

    def maybe_commit(self, force: bool = False, defer: bool = False) -> bool:
        """Commit the hot tier if it has changes (at most every `commit_interval_ms`, unless
        `force`), and the cold tier when it is due. True if anything was committed (or, with
        `defer` and the cold tier in its own process, a hot commit begun beside the writer).
        `force` with posts of a bulk load not yet in a committed tier commits the cold tier."""
        self._settle()
        if force and self._unsearched:
            self.commit_all()
            return True
        now = time.monotonic()
        if self.cold_feed is not None:  # the cold tier's own process: empty the hot tier as far as it has committed
            if self._take_covered():
                return True
            if not self._hot_due(now, force):
                return False
            if defer:
                self._begin_hot()
            else:
                self.commit()
            return True
        if self.index.hot is None:  # one tier (`index_cold_commit_s` = 0): the cold index, per batch
            if not self._hot_due(now, force):
                return False
            self.commit_all()
            return True
        if self.index.cold_busy:
            if self.index.finish_cold(self._checkpoint()):  # it empties the hot tier and commits it
                self._cold_done()
                return True
        elif self._cold_dirty and (now - self._last_cold >= self.cold_commit_s or self.index.hot_docs >= self.hot_max):
            # Beside the writer (see `index.tiered`): the hot tier keeps taking batches meanwhile.
            self.index.begin_cold(self._checkpoint(), self._cold_committed if self.lock is not None else None)
            self._last_cold = now
            self._cold_dirty = False
        if not self._hot_due(now, force):
            return False
        self.commit()
        return True

    # -- the cold tier in a process of its own (`index.coldproc`) ---------------------------

    def start_cold_process(self) -> None:
        """Hand the cold tier to a process of its own from now (the writer keeps the hot tier).
        Call when the index is level with the store (after `repair`)."""
        self._settle()
        if self.cold_feed is not None or self.index.hot is None:
            return
        self.index.detach_cold()
        c = self.settings.core
        self.cold_feed = ColdIndexer(str(self.store.path), str(self.index.path), c.index_heap_mb, c.index_threads,
                                     self.cold_commit_s, self.hot_max)
        self._fed_seq = max(self._position().seq, self.index.checkpoint().seq)

    def stop_cold_process(self, reattach: bool = True) -> None:
        """Let the cold tier's process commit everything and exit; the hot tier is then emptied
        (`reattach`: and this process writes the cold tier again)."""
        self._settle()
        feed = self.cold_feed
        if feed is None:
            return
        try:
            feed.close(self._fed_seq, self._position().change)
        finally:
            self.cold_feed = None
            self._take_covered(feed)
            self._cold_dirty = False
            if reattach:
                self.index.attach_cold(self.settings.core.index_heap_mb, self.settings.core.index_threads)

    def _with_cold_here(self, work: Callable[[], int]) -> int:
        """Run `work` with this process writing the cold tier; its own process resumes after."""
        self.stop_cold_process()
        try:
            return work()
        finally:
            self.start_cold_process()

    def _take_covered(self, feed: "ColdIndexer | None" = None) -> bool:
        """Empty the hot tier up to what the cold tier's process last committed (if new); its
        callers have waited for a hot commit under way."""
        feed = feed or self.cold_feed
        cov = feed.covered if feed is not None else None
        if cov is None or cov == self._applied:
            return False
        self._applied = cov
        self.index.cold_covered(cov[0], cov[1], self._checkpoint())
        self._last_commit = time.monotonic()
        self._dirty = False
        self.cold_commits += 1
        self.pacing.settle()
        return True

    def _feed(self, seqs: Sequence[int] = (), docs: Sequence[str | IndexDoc] = ()) -> None:
        """Tell the cold tier's process what was accepted (the new posts' documents) and how far
        the store's change log has moved (edits, removals, image text: it reads them there)."""
        if self.cold_feed is None or self._cursor is None:
            return
        hi = max(self._fed_seq, seqs[-1]) if seqs else self._fed_seq
        self.cold_feed.feed(self._fed_seq, hi, self._cursor.change, seqs, docs)
        self._fed_seq = hi

    def _position(self) -> Cursor:
        """The store position of the last change given to the index."""
        return self._cursor if self._cursor is not None else self.store.cursor()

    def _hot_due(self, now: float, force: bool) -> bool:
        """The hot tier has changes and may be committed (at most every `commit_interval_ms`)."""
        return self._dirty and (force or (now - self._last_commit) * 1000 >= self.settings.core.commit_interval_ms)

    def _checkpoint(self) -> Checkpoint:
        # The store position of the last change given to the index, not the store's latest: a
        # store change the index never saw (a crash in between) must stay past the checkpoint.
        cur = self._position()
        return Checkpoint(cur.seq, cur.change, {**self.index.checkpoint().offsets, **self._offsets})

    def commit(self) -> None:
        """Make what was written searchable: commit the hot tier."""
        self._settle()
        self._commit_hot(self._checkpoint(), time.monotonic())
        self._dirty = False
        self.pacing.tick()

    def _begin_hot(self) -> None:
        """Commit the hot tier in a thread beside the writer (see `_hot_job`)."""
        if self._hot_pool is None:
            self._hot_pool = ThreadPoolExecutor(1, thread_name_prefix="veristream-hot-commit")
        cp = self._checkpoint()
        self._dirty = False
        self._hot_job = self._hot_pool.submit(self._commit_hot, cp, time.monotonic())

    def _commit_hot(self, cp: Checkpoint, t0: float) -> None:
        """Commit the hot tier and log it (on the writer's thread, or beside it)."""
        self.index.commit(cp)
        self._last_commit = now = time.monotonic()
        self.commit_log["hot"].append((now, now - t0))

    def close(self) -> None:
        """After the last commit: the hot commit's thread ends, the collector's pacing is handed back."""
        try:
            self._settle()
        finally:
            if self._hot_pool is not None:
                self._hot_pool.shutdown(wait=True)
                self._hot_pool = None
            self.pacing.close()

    def _settle(self) -> None:
        """Wait for the hot commit under way, if any (raising what it raised, on this thread)."""
        job, self._hot_job = self._hot_job, None
        if job is not None:
            try:
                job.result()
            except BaseException:
                self._dirty = True  # what it was to commit is still to be committed
                raise
            self.pacing.tick()

    def _cold_committed(self) -> None:
        """In the committing thread, once the cold commit is done: finish it now, in turn with
        the writer (under its lock), rather than at the next batch, which may be long coming."""
        lock = self.lock
        assert lock is not None
        try:
            with lock:
                if self.index.finish_cold(self._checkpoint()):
                    self._cold_done()
        except Exception:  # noqa: BLE001 - the writer's next batch finishes it, or says why
            log.exception("finishing the cold index commit failed")

    def _cold_done(self) -> None:
        end = time.monotonic()
        self._last_commit = end
        self.commit_log["cold"].append((end, end - self._last_cold))  # from its start, beside the writer
        self._dirty = False
        self.cold_commits += 1
        self.pacing.settle()

    def commit_all(self, only_if_changed: bool = False) -> None:
        """Commit the cold tier (durable: start-up repairs from its checkpoint), then empty the hot one."""
        self._settle()
        if self.cold_feed is not None:
            if not self._cold_dirty:  # nothing written since its last commit that we waited for
                self._take_covered()
                return
            self.cold_feed.sync(self._fed_seq, self._position().change)
            self._take_covered()
            self._cold_dirty = self._unsearched = False
            return
        if self.index.external:  # its process, stopped, committed everything (closing)
            return
        if self.index.finish_cold(self._checkpoint(), wait=True):  # one under way, beside the writer
            self._cold_done()
        if only_if_changed and not self._cold_dirty:
            return
        t0 = time.monotonic()
        self.index.commit_cold(self._checkpoint())
        self._last_commit = self._last_cold = now = time.monotonic()
        self.commit_log["cold"].append((now, now - t0))
        self._dirty = self._cold_dirty = self._unsearched = False
        self.cold_commits += 1
        self.pacing.settle()

    def annotate(self, texts: Sequence[tuple[int, str]], consumer: str, done_seq: int, done_ts: int | None) -> int:
        """Store the text read from posts' images ((seq, text) each) and re-index those posts
        with it (the media consumer's results, through the one writer, a batch at a time); the
        consumer's checkpoint moves in the same transaction. Returns the posts annotated (one
        deleted or expired meanwhile is left out)."""
        kept = self.store.set_image_texts(texts, consumer, done_seq, done_ts)
        if not kept:
            return 0
        self._settle()
        by_seq = dict(texts)
        rows = self.store.rows_by_seq(kept, writer=True)
        self.index.replace([index_doc_from_row(*r, image=by_seq[r[0]]) for r in rows])
        self._dirty = self._cold_dirty = True
        self._cursor = self.store.cursor()
        self._feed()
        self.maybe_commit()
        return len(rows)

    def delete(self, keys: Sequence[str]) -> int:
        found = self.store.lookup(keys)
        return len(self.remove([e.seq for e in found.values()]).seqs) if found else 0

    def remove(self, seqs: Sequence[int], reason: str = "deleted", horizon_us: int | None = None) -> Removed:
        """Remove posts from the store and the index together (the store logs the deletions,
        so a crash before the index commit is repaired on start-up)."""
        gone = self.store.remove(seqs)
        gone.reason, gone.horizon_us = reason, horizon_us
        if gone.seqs:
            self._settle()
            self.index.delete(gone.seqs)
            self._dirty = self._cold_dirty = True
            self._cursor = self.store.cursor()
            self._feed()
            self.maybe_commit()
            for fn in self.removal_listeners:
                try:
                    fn(gone)
                except Exception:  # a listener's bug must not stop the writer
                    log.exception("removal listener %r failed", fn)
        return gone

    # -- recovery ---------------------------------------------------------------------

    def repair(self) -> int:
        """Bring the index level with the store; returns how many documents were re-applied.
        The store is replayed past the cold tier's checkpoint into the cold tier, which is then
        committed (and the hot tier emptied): what the hot tier held is covered."""
        self._settle()
        if self.cold_feed is not None:
            return self._with_cold_here(self.repair)
        cp = self.index.checkpoint()
        cold = self.index.cold
        n = 0
        for rows in self.store.rows_after(cp.seq):
            docs = self._docs_of(rows)
            cold.replace(docs)
            n += len(docs)
        for _cid, seq, kind in self.store.changes_after(cp.change):
            if kind == "delete":
                cold.delete([seq])
            else:
                cold.replace(self._docs_of(self.store.rows_by_seq([seq])))
            n += 1
        if n or cp.seq == 0:
            self._offsets = {**cp.offsets, **self.store.offsets()}
            self._cursor = self.store.cursor()
            self.commit_all()
        if self.index.num_docs() != self.store.count():
            n += self.reindex()
        return n

    def _docs_of(self, rows: Sequence[tuple[int, int, int, bytes]]) -> list[IndexDoc]:
        images = self.store.image_texts([r[0] for r in rows])
        return [index_doc_from_row(*r, image=images.get(r[0], "")) for r in rows]

    def reindex(self) -> int:
        """Rebuild the lexical index from the store (into the cold tier: committed once, at the end)."""
        self._settle()
        if self.cold_feed is not None:
            return self._with_cold_here(self.reindex)
        self.index.clear()
        n = 0
        for rows in self.store.rows_after(0):
            self.index.cold.add(self._docs_of(rows))
            n += len(rows)
        self._offsets = self.store.offsets()
        self._cursor = self.store.cursor()
        self.commit_all()
        return n
