"""The lexical index: tantivy, BM25 over text, hashtags and author handles, with filters.

Only this module opens tantivy. The index holds no post bodies: each document carries the
store's `seq` (to fetch the post), its `story` and its event time `ts` as fast fields, and
the analysed fields to match and filter on.

Every commit writes `checkpoint.json` after tantivy's own commit, recording the store cursor
(seq, change id) and the source offsets it covers. The checkpoint may lag the index (a crash
between the two) but never leads it, so on start-up replaying the store from the checkpoint
brings the index level with the store; re-applying a document is a delete-then-add, which is
idempotent.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import tantivy

from ... import analysis
from ...model import url_domain
from ...places import bbox
from ..errors import EngineError

log = logging.getLogger(__name__)

# The post's words, and what comes with them: alt text of its images, its link cards, and the
# text read from its images (added by the media consumer after the post was accepted).
TEXT_FIELDS = ["text", "tags", "handle", "cjk", "alt", "card", "image"]
SCHEMA_VERSION = "6"  # bump when the schema or analysis changes: the index is rebuilt from the store


@dataclass(slots=True)
class IndexDoc:
    seq: int
    ts: int
    story: int
    text: str
    tags: list[str]
    handle: str
    lang: str
    source: str
    has_media: bool
    cjk: str = ""  # space-joined word tokens of spaceless scripts (see veristream.analysis)
    reply: str = ""  # key of the post replied to: a post's replies are one term lookup away
    alt: str = ""  # alt text of its images
    card: str = ""  # titles and descriptions of its link cards
    image: str = ""  # text read from its images (OCR)
    domains: Sequence[str] = ()  # hosts it links to, and their parent domains ("news.bbc.co.uk", "bbc.co.uk")
    places: Sequence[str] = ()  # names of its place (city, country code and name, US state)
    lat: float | None = None  # its place's coordinates
    lon: float | None = None


@dataclass(slots=True)
class Checkpoint:
    seq: int = 0
    change: int = 0
    offsets: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Filters:
    since_us: int | None = None
    until_us: int | None = None
    author: str | None = None
    lang: str | None = None
    hashtag: str | None = None
    source: str | None = None
    has_media: bool | None = None
    reply_to: str | None = None  # key of a post: only its direct replies
    domain: str | None = None  # links to this host or a host under it
    place: str | None = None  # its place is (or is in) this city, US state or country
    near: tuple[float, float, float] | None = None  # (lat, lon, radius km): its place is within


@dataclass(slots=True)
class IndexHit:
    seq: int
    story: int
    ts: int
    bm25: float


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_unsigned_field("seq", stored=True, indexed=True, fast=True)
    # Indexed too: a search whose candidates are crowded by a few big stories asks again
    # without them (`without_stories`).
    sb.add_unsigned_field("story", indexed=True, fast=True)
    sb.add_integer_field("ts", indexed=True, fast=True)
    sb.add_text_field("text", tokenizer_name="folded", index_option="position")
    sb.add_text_field("cjk", tokenizer_name="lower_ws", index_option="position")
    sb.add_text_field("tags", tokenizer_name="lower_raw", index_option="freq")
    sb.add_text_field("handle", tokenizer_name="lower_raw", index_option="freq")
    sb.add_text_field("lang", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("source", tokenizer_name="raw", index_option="basic")
    sb.add_unsigned_field("media", indexed=True)
    sb.add_text_field("reply", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("alt", tokenizer_name="folded", index_option="position")
    sb.add_text_field("card", tokenizer_name="folded", index_option="position")
    sb.add_text_field("image", tokenizer_name="folded", index_option="position")
    sb.add_text_field("domain", tokenizer_name="raw", index_option="basic")
    sb.add_text_field("place", tokenizer_name="raw", index_option="basic")
    sb.add_float_field("lat", indexed=True, fast=True)
    sb.add_float_field("lon", indexed=True, fast=True)
    return sb.build()


def _lower_raw() -> tantivy.TextAnalyzer:
    return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.raw()).filter(tantivy.Filter.lowercase()).build()


def _folded() -> tantivy.TextAnalyzer:
    # Words, lowercased and accent-folded: "Inundación" matches "inundacion".
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.remove_long(40))
            .filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.ascii_fold()).build())


def document(d: IndexDoc) -> tantivy.Document:
    """The tantivy document of `d`."""
    doc = tantivy.Document()
    doc.add_unsigned("seq", d.seq)
    doc.add_unsigned("story", d.story)
    doc.add_integer("ts", d.ts)
    doc.add_text("text", d.text)
    if d.cjk:
        doc.add_text("cjk", d.cjk)
    for t in d.tags:
        doc.add_text("tags", t)
    doc.add_text("handle", d.handle)
    if d.lang:
        doc.add_text("lang", d.lang)
    doc.add_text("source", d.source)
    doc.add_unsigned("media", 1 if d.has_media else 0)
    if d.reply:
        doc.add_text("reply", d.reply)
    if d.alt:
        doc.add_text("alt", d.alt)
    if d.card:
        doc.add_text("card", d.card)
    if d.image:
        doc.add_text("image", d.image)
    for x in d.domains:
        doc.add_text("domain", x)
    for x in d.places:
        doc.add_text("place", x)
    if d.lat is not None and d.lon is not None:
        doc.add_float("lat", d.lat)
        doc.add_float("lon", d.lon)
    return doc


def json_tail(ts: int, text: str, tags: Sequence[str], handle: str, lang: str, source: str, media: bool,
              cjk: str = "", reply: str = "", alt: str = "", card: str = "", domains: Sequence[str] = (),
              places: Sequence[str] = (), lat: float | None = None, lon: float | None = None) -> str:
    """A new post's document as tantivy's JSON, without its `seq` and `story` (the writer knows
    those only once it stores the post: `json_doc` puts them in front). The same fields and
    values as `document` gives (no `image`: a new post has none yet), made where the post is
    prepared, so the writer makes no Python object per field; tantivy parses it in Rust.
    "" where coordinates would not come back exactly (see `_exact_json`): use `document`."""
    where = ""
    if lat is not None and lon is not None:
        la, lo = orjson.dumps(lat).decode(), orjson.dumps(lon).decode()
        if not (_exact_json(la) and _exact_json(lo)):
            return ""
        where = f',"lat":{la},"lon":{lo}'
    d: dict = {"ts": ts, "text": text}
    if cjk:
        d["cjk"] = cjk
    if tags:
        d["tags"] = tags
    d["handle"] = handle
    if lang:
        d["lang"] = lang
    d["source"] = source
    d["media"] = 1 if media else 0
    if reply:
        d["reply"] = reply
    if alt:
        d["alt"] = alt
    if card:
        d["card"] = card
    if domains:
        d["domain"] = list(domains)
    if places:
        d["place"] = list(places)
    tail = orjson.dumps(d).decode()[1:]
    return tail[:-1] + where + "}" if where else tail


def _exact_json(num: str) -> bool:
    """Whether tantivy's JSON parser (serde_json, best-effort floats) reads `num` back as the
    same float: it does for at most 15 significant digits without an exponent (one correctly
    rounded multiplication or division by a power of ten); longer ones may be a last digit off."""
    return (num[-1:].isdigit() and "e" not in num and "E" not in num  # NaN and infinities are "null"
            and sum(c.isdigit() for c in num.lstrip("-0.")) <= 15)


def json_doc(seq: int, story: int, tail: str) -> str:
    """The whole JSON document of `json_tail`'s post stored as `seq` in `story`."""
    return f'{{"seq":{seq},"story":{story},{tail}'


WRITER_LOCK_WAIT_S = 30.0


class LexicalIndex:
    """Writes are single-threaded (the engine's writer); searches may run from any thread."""

    def __init__(self, path: str | Path, heap_mb: int = 64, threads: int = 1, readonly: bool = False,
                 manual_reload: bool = False):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.schema = _schema()
        version = self.path / "version"
        found = version.read_text().strip() if version.is_file() else None
        if readonly and found is not None and found != SCHEMA_VERSION:
            # tantivy would refuse it with "the schema does not match": say what to do instead.
            raise EngineError(f"the index in {self.path} was built by another version of veristream (index "
                              f"schema {found}, this one reads {SCHEMA_VERSION}): open the data directory once "
                              "for writing (any ingest, `veristream serve`, or `veristream reindex`) to rebuild "
                              "it from the store")
        if not readonly and found != SCHEMA_VERSION:
            # An index from another schema version: start empty; the engine rebuilds it.
            for f in self.path.iterdir():
                if f.is_file():
                    f.unlink()
            version.write_text(SCHEMA_VERSION)
        self._index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        self._index.register_tokenizer("lower_raw", _lower_raw())
        self._index.register_tokenizer("folded", _folded())
        self._index.register_tokenizer("lower_ws", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
                                       .filter(tantivy.Filter.lowercase()).build())
        if manual_reload:  # only `reload()` moves the snapshot (the tiered index orders its tiers' reloads)
            self._index.config_reader(reload_policy="manual")
        self.readonly = readonly
        self._writer = None if readonly else self._open_writer(heap_mb, threads)
        self._pending = 0
        self._loaded: tuple[int, int, int] | None = None  # meta.json's identity at the last reload (read-only)
        # The writer's own last checkpoint: it alone writes the file, and re-reading it on every
        # hot commit cost a file open per batch (4 % of a saturated writer, slow under I/O load).
        self._cp: Checkpoint | None = None

    def _open_writer(self, heap_mb: int, threads: int) -> tantivy.IndexWriter:
        """Tantivy's writer, waiting while another process still holds its lock: the cold
        index's process of an engine killed a moment ago exits within a second of it."""
        deadline = time.monotonic() + WRITER_LOCK_WAIT_S
        while True:
            try:
                return self._index.writer(heap_size=heap_mb * 1_000_000, num_threads=threads)
            except ValueError as e:
                if "LockBusy" not in str(e) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)

    # -- writing ----------------------------------------------------------------------

    def add(self, docs: Iterable[IndexDoc]) -> None:
        self.add_built([document(d) for d in docs])

    def add_built(self, docs: Sequence[tantivy.Document | str]) -> None:
        """Add documents made by `document`, or by `json_doc` (a str), in their order (one made
        document may go to several indexes)."""
        add, add_json = self._writer.add_document, self._writer.add_json
        for doc in docs:
            if type(doc) is str:
                add_json(doc)
            else:
                add(doc)
        self._pending += len(docs)

    def delete(self, seqs: Iterable[int]) -> None:
        # By query: delete_documents_by_term turns a Python int into an i64 term, which
        # never matches this u64 field.
        seqs = list(seqs)
        for i in range(0, len(seqs), 1024):
            chunk = seqs[i : i + 1024]
            self._writer.delete_documents_by_query(tantivy.Query.term_set_query(self.schema, "seq", chunk))
        self._pending += len(seqs)

    def replace(self, docs: Sequence[IndexDoc]) -> None:
        self.delete(d.seq for d in docs)
        self.add(docs)

    def commit(self, checkpoint: Checkpoint) -> None:
        """Make everything added visible and durable, then record what it covers."""
        self._writer.commit()
        self._write_checkpoint(checkpoint)
        self._pending = 0
        self._index.reload()

    def clear(self) -> None:
        self.rollback()
        self.delete_all()
        self.commit(Checkpoint())

    def rollback(self) -> None:
        """Drop what was added or deleted since the last commit."""
        if self._pending:  # delete_all_documents spares documents not yet committed
            self._writer.rollback()
            self._pending = 0

    def delete_up_to(self, seq: int) -> None:
        """Delete every document with a seq up to `seq`, committed or not (at the next commit)."""
        self._writer.delete_documents_by_query(
            tantivy.Query.range_query(self.schema, "seq", tantivy.FieldType.Unsigned, 0, seq))
        self._pending += 1

    def delete_all(self) -> None:
        """Delete every committed document (at the next commit; later additions stay)."""
        self._writer.delete_all_documents()

    def _write_checkpoint(self, cp: Checkpoint) -> None:
        # Atomic replace; no fsync needed: a stale checkpoint only means more replay.
        tmp = self.path / "checkpoint.json.tmp"
        self._cp = None  # if writing fails, the next read sees what the file holds
        tmp.write_bytes(orjson.dumps({"seq": cp.seq, "change": cp.change, "offsets": cp.offsets}))
        os.replace(tmp, self.path / "checkpoint.json")
        if not self.readonly:
            self._cp = Checkpoint(cp.seq, cp.change, dict(cp.offsets))

    def checkpoint(self) -> Checkpoint:
        cp = self._cp
        if cp is not None:
            return Checkpoint(cp.seq, cp.change, dict(cp.offsets))
        try:
            d = orjson.loads((self.path / "checkpoint.json").read_bytes())
            cp = Checkpoint(int(d["seq"]), int(d["change"]), dict(d.get("offsets") or {}))
        except (FileNotFoundError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            cp = Checkpoint()
        if not self.readonly:
            self._cp = Checkpoint(cp.seq, cp.change, dict(cp.offsets))
        return cp

    # -- reading ----------------------------------------------------------------------

    def reload(self) -> None:
        """Pick up the latest commit (of another process, for a read-only index). A commit's
        merge may delete segment files between our reading meta.json and opening them: then
        try again, and at worst keep the snapshot we have (the next search reloads again).
        A read-only index skips the reload while meta.json is the one it last loaded (tantivy
        replaces that file on every commit): reopening every segment per search is not free."""
        stamp = None
        if self.readonly:
            try:
                st = os.stat(self.path / "meta.json")
                stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
            except FileNotFoundError:
                pass
            if stamp is not None and stamp == self._loaded:
                return
        for attempt in range(3):
            try:
                self._index.reload()
                self._loaded = stamp
                return
            except (ValueError, OSError) as e:
                if not self.readonly:
                    raise
                if attempt == 2:
                    log.warning("index reload failed (%s); searching the previous snapshot", e)
                    return
                time.sleep(0.002)

    def num_docs(self) -> int:
        return self._index.searcher().num_docs

    def searcher(self) -> tantivy.Searcher:
        """One snapshot: use the same searcher for every part of a query."""
        return self._index.searcher()

    def count(self, searcher: tantivy.Searcher, query: tantivy.Query) -> int:
        return searcher.search(query, 1, count=True).count

    def term_counts(self, field: str) -> dict[str, int]:
        """Live documents per term of a field (e.g. `lang`), deleted documents excluded."""
        return dict(self.searcher().terms_with_prefix(field, "", filter_query=tantivy.Query.all_query()))

    def disk_bytes(self) -> tuple[int, int]:
        """(bytes on disk, the share of them holding live documents): deleted documents keep
        their space until tantivy merges their segment away."""
        total = 0
        for f in self.path.iterdir():
            try:
                total += f.stat().st_size
            except FileNotFoundError:  # removed by a merge meanwhile
                pass
        try:
            segs = orjson.loads((self.path / "meta.json").read_bytes())["segments"]
            docs = sum(s["max_doc"] for s in segs)
            deleted = sum((s.get("deletes") or {}).get("num_deleted_docs", 0) for s in segs)
        except (FileNotFoundError, orjson.JSONDecodeError, KeyError, TypeError):
            return total, total
        return total, round(total * (docs - deleted) / docs) if docs else total

    def build_query(self, text: str, f: Filters, any_term: bool = False) -> tuple[tantivy.Query, bool]:
        """(query, has_text). Words are ANDed, or ORed with `any_term` (posts with more of them
        score higher). Filters are constant-score so they never change the ranking."""
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        text, spaceless = _split_query(_normalise_query(text))
        has_text = bool(text or spaceless)
        words: list[tantivy.Query] = []
        if text:
            q, _errors = self._index.parse_query_lenient(text, TEXT_FIELDS, conjunction_by_default=not any_term)
            words.append(q)
        for alts in spaceless:
            qs = [self._phrase("cjk", toks) for toks in alts]
            words.append(qs[0] if len(qs) == 1 else tantivy.Query.boolean_query([(tantivy.Occur.Should, x) for x in qs]))
        if any_term and len(words) > 1:
            clauses.append((tantivy.Occur.Must, tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in words])))
        else:
            clauses += [(tantivy.Occur.Must, q) for q in words]
        s = self.schema
        filters: list[tantivy.Query] = []
        if f.since_us is not None or f.until_us is not None:
            filters.append(tantivy.Query.range_query(s, "ts", tantivy.FieldType.Integer, f.since_us, f.until_us))
        if f.author:
            filters.append(tantivy.Query.term_query(s, "handle", f.author.lstrip("@").lower()))
        if f.lang:
            filters.append(tantivy.Query.term_query(s, "lang", f.lang.lower()))
        if f.hashtag:
            filters.append(tantivy.Query.term_query(s, "tags", f.hashtag.lstrip("#").lower()))
        if f.source:
            filters.append(tantivy.Query.term_query(s, "source", f.source.lower()))
        if f.has_media is not None:
            filters.append(tantivy.Query.term_query(s, "media", 1 if f.has_media else 0))
        if f.reply_to:
            filters.append(tantivy.Query.term_query(s, "reply", f.reply_to))
        if f.domain:
            filters.append(tantivy.Query.term_query(s, "domain", norm_domain(f.domain)))
        if f.place:
            filters.append(tantivy.Query.term_query(s, "place", " ".join(f.place.lower().replace("’", "'").split())))
        if f.near:
            filters.append(self._near(*f.near))
        for q in filters:
            clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(q, 0.0)))
        if not clauses:
            return tantivy.Query.all_query(), False
        if len(clauses) == 1 and has_text:
            return clauses[0][1], True
        return tantivy.Query.boolean_query(clauses), has_text

    def without_stories(self, query: tantivy.Query, stories: Iterable[int]) -> tantivy.Query:
        """`query` less the posts of `stories`."""
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.MustNot,
                                            tantivy.Query.term_set_query(self.schema, "story", sorted(stories)))])

    def _near(self, lat: float, lon: float, radius_km: float) -> tantivy.Query:
        """Places within the box around the circle (the searcher drops the box's corners)."""
        la0, la1, lo0, lo1 = bbox(lat, lon, radius_km)
        s, F = self.schema, tantivy.FieldType.Float
        lat_q = tantivy.Query.range_query(s, "lat", F, la0, la1)
        spans = [(max(lo0, -180.0), min(lo1, 180.0))]
        if lo0 < -180:  # the box crosses the antimeridian: two spans of longitude
            spans.append((lo0 + 360, 180.0))
        if lo1 > 180:
            spans.append((-180.0, lo1 - 360))
        lon_q = tantivy.Query.boolean_query([(tantivy.Occur.Should, tantivy.Query.range_query(s, "lon", F, a, b))
                                             for a, b in spans])
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, lat_q), (tantivy.Occur.Must, lon_q)])

    def _phrase(self, field: str, toks: list[str]) -> tantivy.Query:
        if len(toks) == 1:
            return tantivy.Query.term_query(self.schema, field, toks[0], index_option="freq")
        return tantivy.Query.phrase_query(self.schema, field, toks)

    def top(self, searcher: tantivy.Searcher, query: tantivy.Query, limit: int, by_time: bool,
            count: bool = False, offset: int = 0) -> tuple[list[IndexHit], int | None]:
        """Top `limit` hits (after skipping `offset`) by BM25, or newest first when `by_time`."""
        if by_time:
            res = searcher.search(query, limit, count=count, order_by_field="ts", offset=offset)
        else:
            res = searcher.search(query, limit, count=count, offset=offset)
        addrs = [a for _, a in res.hits]
        if not addrs:
            return [], res.count if count else None
        seqs = searcher.fast_field_values("seq", addrs)
        stories = searcher.fast_field_values("story", addrs)
        if by_time:
            ts = [k for k, _ in res.hits]
            scores = [0.0] * len(addrs)
        else:
            ts = searcher.fast_field_values("ts", addrs)
            scores = [k for k, _ in res.hits]
        hits = [IndexHit(seq, st, t, sc) for seq, st, t, sc in zip(seqs, stories, ts, scores)]
        return hits, res.count if count else None

    def scores_for(self, searcher: tantivy.Searcher, query: tantivy.Query, seqs: Sequence[int]) -> dict[int, float]:
        """BM25 of `query` for specific documents (those found by time, not by score)."""
        if not seqs:
            return {}
        return self._scores(searcher, query, tantivy.Query.term_set_query(self.schema, "seq", list(seqs)), len(seqs))

    def scores_between(self, searcher: tantivy.Searcher, query: tantivy.Query, lo_us: int, hi_us: int,
                       limit: int) -> dict[int, float]:
        """BM25 of `query` for the documents whose time lies in [lo_us, hi_us] (up to `limit`, best
        first): the scores of a newest-first page in one pass over the time fast field, about a
        third of what looking each document up by its sequence number costs (`scores_for`)."""
        window = tantivy.Query.range_query(self.schema, "ts", tantivy.FieldType.Integer, lo_us, hi_us)
        return self._scores(searcher, query, window, limit)

    @staticmethod
    def _scores(searcher: tantivy.Searcher, query: tantivy.Query, only: tantivy.Query, limit: int) -> dict[int, float]:
        """BM25 of `query` for the documents `only` matches (a filter: it adds nothing to the score)."""
        q = tantivy.Query.boolean_query([(tantivy.Occur.Must, query),
                                         (tantivy.Occur.Must, tantivy.Query.const_score_query(only, 0.0))])
        res = searcher.search(q, limit, count=False)
        addrs = [a for _, a in res.hits]
        got = searcher.fast_field_values("seq", addrs) if addrs else []
        return {s: sc for s, (sc, _) in zip(got, res.hits)}

    def hits_for(self, searcher: tantivy.Searcher, query: tantivy.Query, seqs: Sequence[int]) -> list[IndexHit]:
        """The documents among `seqs` that match `query` (e.g. only filters), with their story
        and time: candidates found elsewhere (the vector index) checked against this snapshot."""
        if not seqs:
            return []
        only = tantivy.Query.const_score_query(tantivy.Query.term_set_query(self.schema, "seq", list(seqs)), 0.0)
        q = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.Must, only)])
        res = searcher.search(q, len(seqs), count=False)
        addrs = [a for _, a in res.hits]
        if not addrs:
            return []
        got = zip(searcher.fast_field_values("seq", addrs), searcher.fast_field_values("story", addrs),
                  searcher.fast_field_values("ts", addrs))
        return [IndexHit(seq, story, ts, 0.0) for seq, story, ts in got]

    def close(self) -> None:
        if self._writer is not None:
            try:
                self._writer.rollback() if self._pending else None
            finally:
                self._writer = None


def norm_domain(host: str) -> str:
    """"https://www.BBC.co.uk/news" or "BBC.co.uk" -> "bbc.co.uk"."""
    h = host.strip().lower()
    if "://" in h:
        h = url_domain(h)
    h = h.split("/", 1)[0].rstrip(".")
    return h[4:] if h.startswith("www.") else h


def domain_terms(hosts: Iterable[str]) -> list[str]:
    """Each host and its parent domains down to two labels: `--domain bbc.co.uk` finds links to
    news.bbc.co.uk (the public-suffix list is not needed: "co.uk" as a term only costs a term)."""
    out: dict[str, None] = {}
    for h in hosts:
        labels = h.split(".")
        for i in range(max(1, len(labels) - 1)):
            out[".".join(labels[i:])] = None
    return [t for t in out if "." in t]


def _split_query(text: str) -> tuple[str, list[list[list[str]]]]:
    """(query-language part, alternatives for each chunk in a spaceless script)."""
    if not analysis.needs_analysis(text):
        return text, []
    rest: list[str] = []
    spaceless: list[list[list[str]]] = []
    for chunk in text.split():
        if analysis.needs_analysis(chunk):
            alts = analysis.query_alternatives(chunk.strip('"'))
            if alts:
                spaceless.append(alts)
            # Latin words glued to the spaceless run ("iPhone発売") still go to the parser.
            latin = analysis.strip_spaceless(chunk).strip()
            if latin:
                rest.append(latin)
        else:
            rest.append(chunk)
    return " ".join(rest), spaceless


def _normalise_query(text: str) -> str:
    # '#tag' and '@handle' are how people type them; the index keeps them bare.
    return " ".join(t[1:] if len(t) > 1 and t[0] in "#@" else t for t in text.split())
