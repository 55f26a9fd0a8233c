"""The root: scatter a query to every partition over NATS request-reply, gather, merge.

`RemoteEngine` is a read-only engine over the cluster. It implements the read methods the
services need (`now`, `get`, `search`, `search_many`, `retrieve_many`, `story`) by
scatter-gather, so `answer/` (ask) and `verify/` run over it unchanged, and `trends`/`events`
from the shards' mergeable counts:

* search: each partition returns its top k (one hit per local story unless all_posts, scores
  as BM25 × recency from the cluster's newest post); the root merges by score (or time) and
  groups hits by the global story id (`wire.story_gid`), summing the stories' counts;
* retrieval: each partition's fused list, merged by score;
* trends: a term's counts and expectations summed over the partitions that report it, its
  score recomputed from the sums; events: those sharing most of their terms merged, counts
  summed.

A partition that does not answer within `[cluster] query_timeout_s` (or has no shard at all)
leaves the answer partial: `missing` names it, nothing waits longer. Results are exact for
posts (every partition is asked); BM25's term statistics are per partition (as in Earlybird),
which matters little once partitions are large.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import orjson
from nats.aio.msg import Msg

from ..answer import Answer, Composer, ask as compose_answer
from ..core.index.lexical import Filters
from ..core.layout import DataDir
from ..core.quarantine import Quarantine, Rejection
from ..core.search import Hit, SearchError, SearchQuery, SearchResult, StoredPost, StorySummary
from ..engine import Engine
from ..model import from_us, to_us
from ..retrieve import Hit as RHit
from ..retrieve import Retrieval, RetrieveQuery
from ..settings import Settings
from ..trends import Curve, Event, Trend
from .link import LoopThread, connect
from .partition import Names, format_partitions, partition_of
from .publish import Publisher, PublishPipeline
from .wire import FILTER_FIELDS, filters_json, merge_stories, post_from, story_from

# Queries whose replies are small enough to answer several partitions in one message.
GROUPED_OPS = frozenset({"search", "now", "status"})
STORY_MEMORY = 10_000  # global story ids remembered with their (partition, local id) parts, for `story`


class ClusterError(RuntimeError):
    pass


@dataclass
class Gathered:
    """Replies by partition, and the partitions that gave none (timed out, no shard, error)."""

    replies: dict[int, dict[str, Any]] = field(default_factory=dict)
    missing: dict[int, str] = field(default_factory=dict)  # partition -> why


@dataclass
class _Pending:
    """One scatter's replies as they come, by partition (the raw bytes; None: no shard)."""

    want: int
    done: asyncio.Future
    got: dict[int, bytes | None] = field(default_factory=dict)


class ClusterClient:
    """Request-reply to the partitions, from any thread (a loop thread of its own).

    Replies come to one subscription (`INBOX.<scatter>.<partition>`) opened with the
    connection, and a scatter waits on one future for all of them: nats-py's `request` would
    make a task, a timer and an inbox token per partition, which on 2 cores is a sizeable part
    of a query's cost."""

    def __init__(self, url: str, settings: Settings, *, wait_s: float = 10.0):
        self.settings = settings
        self.names = Names.of(settings)
        self.timeout = settings.cluster.query_timeout_s
        self._pending: dict[str, _Pending] = {}
        self._where: dict[int, str] = {}  # partition -> the shard process that last answered it
        self._ids = itertools.count()
        self._loop = LoopThread("veristream-cluster-client")
        try:
            self._nc = self._loop.run(connect(url, "veristream-root", wait_s=wait_s))
            self._inbox = self._nc.new_inbox()
            self._loop.run(self._nc.subscribe(self._inbox + ".*.*", cb=self._on_reply))
        except BaseException:
            self._loop.stop()
            raise

    async def _on_reply(self, msg: Msg) -> None:
        _, sid, part = msg.subject.rsplit(".", 2)
        pending = self._pending.get(sid)
        if pending is None or pending.done.done():  # a reply after its scatter gave up
            return
        # A status 503 instead of a reply: no shard subscribed to the partition (the server
        # tells at once, as for nats-py's own requests).
        none = msg.headers is not None and msg.headers.get("Status") == "503"
        pending.got[int(part)] = None if none else msg.data
        if len(pending.got) >= pending.want:
            pending.done.set_result(None)

    def scatter(self, op: str, args: dict[str, Any] | None = None, partitions: list[int] | None = None,
                timeout: float | None = None) -> Gathered:
        parts = list(range(self.names.partitions)) if partitions is None else partitions
        t = self.timeout if timeout is None else timeout
        return self._loop.run(self._scatter(op, args or {}, parts, t), timeout=t + 10)

    async def _scatter(self, op: str, args: dict[str, Any], parts: list[int], timeout: float) -> Gathered:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        g = Gathered()
        todo = list(dict.fromkeys(parts))
        # Partitions one shard process answered are asked together, in one message: a message
        # and its reply cost about as much CPU as a small partition's search. Those the group's
        # process no longer serves (moved, or the process is gone) are asked one by one.
        groups = self._groups(todo) if op in GROUPED_OPS else [[p] for p in todo]
        again = await self._round(op, args, groups, deadline, timeout, g)
        if again:
            await self._round(op, args, [[p] for p in again], deadline, timeout, g)
        g.missing = {p: g.missing[p] for p in todo if p in g.missing}
        return g

    def _groups(self, parts: list[int]) -> list[list[int]]:
        by_shard: dict[str, list[int]] = {}
        alone = []
        for p in parts:
            where = self._where.get(p)
            if where is None:
                alone.append([p])
            else:
                by_shard.setdefault(where, []).append(p)
        return alone + list(by_shard.values())

    async def _round(self, op: str, args: dict[str, Any], groups: list[list[int]], deadline: float,
                     timeout: float, g: Gathered) -> list[int]:
        """Ask each group in one message (its first partition's subject); the partitions to ask
        again on their own come back."""
        loop = asyncio.get_running_loop()
        sid = str(next(self._ids))
        pending = _Pending(len(groups), loop.create_future())
        self._pending[sid] = pending
        try:
            for grp in groups:
                req: dict[str, Any] = {"op": op, "args": args}
                if len(grp) > 1:
                    req["parts"] = grp
                await self._nc.publish(self.names.query(grp[0]), orjson.dumps(req), reply=f"{self._inbox}.{sid}.{grp[0]}")
            await asyncio.wait_for(pending.done, max(0.0, deadline - loop.time()))
        except asyncio.TimeoutError:
            pass
        except Exception as e:  # noqa: BLE001 - NATS gone while publishing: every partition not heard is missing
            for grp in groups:
                if grp[0] not in pending.got:
                    for p in grp:
                        g.missing[p] = f"{type(e).__name__}: {e}"
        finally:
            del self._pending[sid]
        again: list[int] = []
        for grp in groups:
            first = grp[0]
            if first in g.missing:
                continue
            if first not in pending.got:
                for p in grp:
                    g.missing[p] = f"no answer in {timeout:g} s"
                continue
            data = pending.got[first]
            if data is None:  # no process serves the subject's partition (any more)
                g.missing[first] = "no shard"
                for p in grp:
                    self._where.pop(p, None)
                again += grp[1:]
                continue
            try:
                r = orjson.loads(data)
            except orjson.JSONDecodeError as e:
                for p in grp:
                    g.missing[p] = f"bad reply: {e}"
                continue
            if not r.get("ok"):
                if r.get("kind") == "value":
                    raise SearchError(r.get("error") or "bad query")
                for p in grp:
                    g.missing[p] = r.get("error") or "error"
                continue
            shard = r.get("shard")
            if "results" in r:
                results, errors = r.get("results") or {}, r.get("errors") or {}
            else:  # one partition's reply
                results, errors = {str(first): r["result"]}, {}
            for p in grp:
                if str(p) in results:
                    g.replies[p] = results[str(p)]
                    if isinstance(shard, str):
                        self._where[p] = shard
                elif str(p) in errors:
                    e = errors[str(p)] or {}
                    if e.get("kind") == "value":
                        raise SearchError(e.get("error") or "bad query")
                    g.missing[p] = e.get("error") or "error"
                else:  # not served there (moved), or left out to fit the reply
                    self._where.pop(p, None)
                    again.append(p)
        return again

    def close(self) -> None:
        try:
            self._loop.run(self._nc.close(), timeout=5)
        except Exception:  # noqa: BLE001 - closing a connection already gone
            pass
        self._loop.stop()


class RemoteEngine:
    """A read-only engine over the cluster (`veristream search --nats …`, ask, verify, trends,
    events; `veristream serve --nats`). `missing`: partitions that did not answer one of the
    queries since `begin()` (partition -> why): the answer left them out."""

    vectors = None  # the shards' vectors are used by their own retrieval; none here
    vectors_notice = None
    media_notice = None
    sources = None
    # The page's map (recent events with a place): the application's own code, over this engine's
    # events and get (the posts half stays empty: hits carry no resolved place across NATS yet).
    map_points = Engine.map_points

    def __init__(self, url: str, settings: Settings, data_dir: str | Path = "veristream-data",
                 client: ClusterClient | None = None, *, publish: bool = False):
        """`publish`: also a writer — posts handed to `pipeline()` (POST /v1/posts) are
        published to the stream (`veristream serve --nats`)."""
        self.settings = settings
        self.data_dir = Path(data_dir)  # verify's verdict log, the API token, quarantine
        self.names = Names.of(settings)
        self.client = client or ClusterClient(url, settings)
        self.publisher = None
        if publish:
            try:
                self.publisher = Publisher(url, settings, "veristream-root-publisher")
            except BaseException:
                self.client.close()
                raise
        self._quarantine: Quarantine | None = None
        self.missing: dict[int, str] = {}
        self._now_us: int | None = None
        self._stories: dict[int, list[tuple[int, int]]] = {}  # global story id -> [(partition, local id)]
        self._lock = threading.Lock()
        self._verifier = None
        self._trackers: list[dict[int, str]] = []  # open `tracking()` blocks
        self.closed = False

    # -- bookkeeping ---------------------------------------------------------------------------

    def begin(self) -> None:
        """Forget which partitions were missing (at the start of a request)."""
        with self._lock:
            self.missing = {}

    def partial_note(self, missing: dict[int, str] | None = None) -> str | None:
        """'partial: partitions 2-3 did not answer (no shard)' or None (of `missing`, else of
        every query since `begin()`)."""
        missing = self.missing if missing is None else missing
        if not missing:
            return None
        why = sorted(set(missing.values()))
        return (f"partial: partition{'s' if len(missing) > 1 else ''} {format_partitions(list(missing))} "
                f"of {self.names.partitions} did not answer ({'; '.join(why)})")

    @contextmanager
    def tracking(self) -> Iterator[dict[int, str]]:
        """The partitions that did not answer a query made while the block runs (partition ->
        why), whichever thread made it: what one API request reports as partial. Requests that
        overlap each hear the other's misses, which happen only while partitions are down."""
        got: dict[int, str] = {}
        with self._lock:
            self._trackers.append(got)
        try:
            yield got
        finally:
            with self._lock:
                self._trackers = [t for t in self._trackers if t is not got]

    def partial_json(self, missing: dict[int, str]) -> dict[str, Any] | None:
        """What an API response says of the partitions left out (as Elasticsearch's `_shards`)."""
        if not missing:
            return None
        return {"partitions": self.names.partitions, "missing": sorted(missing),
                "reasons": {str(p): why for p, why in sorted(missing.items())}, "note": self.partial_note(missing)}

    def _gather(self, op: str, args: dict[str, Any], partitions: list[int] | None = None) -> Gathered:
        g = self.client.scatter(op, args, partitions)
        with self._lock:
            self.missing.update(g.missing)
            for t in self._trackers:
                t.update(g.missing)
            for r in g.replies.values():
                n = r.get("now_us") if isinstance(r, dict) else None
                if n is not None and (self._now_us is None or n > self._now_us):
                    self._now_us = n
        return g

    def _remember(self, found: list[tuple[int, dict[str, Any]]]) -> None:
        """(partition, story part) seen in a result: its parts, for `story`."""
        with self._lock:  # the API's threads share this engine
            for p, story in found:
                parts = self._stories.setdefault(story["id"], [])
                if (p, story["local"]) not in parts:
                    parts.append((p, story["local"]))
            while len(self._stories) > STORY_MEMORY:
                del self._stories[next(iter(self._stories))]

    # -- event time ----------------------------------------------------------------------------

    def now_us(self) -> int | None:
        g = self._gather("now", {})
        vals = [r["now_us"] for r in g.replies.values() if r.get("now_us") is not None]
        return max(vals) if vals else None

    def now(self) -> datetime | None:
        n = self.now_us()
        return from_us(n) if n is not None else None

    # -- posts and stories ------------------------------------------------------------------------

    def get(self, key: str):
        """The post stored under `key`: asked of its partition only."""
        p = partition_of(key, self.names.partitions)
        g = self._gather("get", {"key": key}, [p])
        d = g.replies.get(p, {}).get("post")
        return post_from(d) if d else None

    def story(self, story_id: int, limit: int = 100):
        """A story seen in a recent result of this engine: its parts on every partition, merged."""
        with self._lock:
            parts = list(self._stories.get(story_id) or [])
        if not parts:
            return None
        summaries, posts = [], []
        for p, local in parts:
            g = self._gather("story", {"local": local, "limit": limit}, [p])
            r = g.replies.get(p)
            if r and r.get("story"):
                s = story_from(r["story"] | {"title": r.get("title")})
                summaries.append(s)
                posts += [post_from(d) for d in r.get("posts") or []]
        if not summaries:
            return None
        posts.sort(key=lambda x: x.created_at)
        return merge_stories(summaries), posts[:limit]

    def search(self, text: str = "", *, since: datetime | None = None, until: datetime | None = None,
               order: str = "relevance", limit: int = 20, all_posts: bool = False, **filters: Any) -> SearchResult:
        """As `Engine.search`; `filters` are the core's (author, lang, hashtag, source, has_media,
        reply_to, ...), passed to every partition as they are."""
        unknown = set(filters) - set(FILTER_FIELDS)
        if unknown:
            raise TypeError(f"search() got unknown filter(s) {', '.join(sorted(unknown))}")
        f = Filters(since_us=to_us(since) if since else None, until_us=to_us(until) if until else None,
                    **{k: v for k, v in filters.items()})
        return self.search_many([SearchQuery(text, f, order, limit, all_posts)])[0]

    def search_many(self, queries: list[SearchQuery]) -> list[SearchResult]:
        return [self._search(q) for q in queries]

    def _search(self, q: SearchQuery) -> SearchResult:
        t0 = time.perf_counter()
        if q.order not in ("relevance", "time"):
            raise SearchError(f"order must be 'relevance' or 'time', got {q.order!r}")
        if q.limit < 1:
            raise SearchError(f"limit must be at least 1, got {q.limit}")
        # Every partition is asked for the whole `limit`: asking each for its expected share
        # (limit / partitions + 3 sd) with a second round when one could hold more was tried
        # (docs/cluster.md): BM25's per-partition statistics let one partition hold most of
        # the top for a very common term, and 4 % of the bench's queries needed the second round.
        g = self._gather("search", {"text": q.text, "filters": filters_json(q.filters), "order": q.order,
                                    "limit": q.limit, "all_posts": q.all_posts, "now_us": self._now_us})
        rows = [(p, h) for p, r in g.replies.items() for h in r["hits"]]
        by_time = q.order == "time" or not q.text.strip()
        hits = self._merge(rows, q.limit, q.all_posts, by_time)
        totals = [r["total"] for r in g.replies.values()]
        total = sum(t for t in totals if t is not None) if totals and None not in totals else None
        now = self._now_us
        return SearchResult(q, hits, total, from_us(now) if now else None, (time.perf_counter() - t0) * 1000)

    def _merge(self, rows: list[tuple[int, dict[str, Any]]], limit: int, all_posts: bool, by_time: bool,
               make: Callable[[dict[str, Any], Any, StorySummary | None], Hit] | None = None) -> list:
        """Hits of every partition in one list: best score (or newest) first, one per global
        story unless `all_posts`, each story's counts summed over the partitions that hold it."""
        rows.sort(key=lambda ph: _order(ph[1], by_time))
        parts: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)  # gid -> partition -> its part
        for p, h in rows:
            s = h.get("story")
            if s is not None:
                parts[s["id"]].setdefault(p, s)
        # Only what is kept is rebuilt (posts, story summaries) and remembered for `story`.
        picked, seen, summaries = [], set(), {}
        for p, h in rows:
            s = h.get("story")
            gid = s["id"] if s else None
            if gid is not None and gid in seen:
                if not all_posts:
                    continue
            elif gid is not None:
                seen.add(gid)
                summaries[gid] = merge_stories([story_from(x) for x in parts[gid].values()])
            summary = summaries[gid] if gid is not None else None
            post = post_from(h["post"])
            picked.append(make(h, post, summary) if make else Hit(post, h["score"], summary, h["seq"]))
            if len(picked) == limit:
                break
        self._remember([(p, s) for gid in seen for p, s in parts[gid].items()])
        return picked

    def retrieve_many(self, queries: list[RetrieveQuery]) -> list[Retrieval]:
        t0 = time.perf_counter()
        g = self._gather("retrieve", {"queries": [
            {"text": q.text, "filters": filters_json(q.filters), "limit": q.limit, "all_posts": q.all_posts,
             "recency_weight": q.recency_weight, "dense": q.dense} for q in queries]})
        out = []
        now = self._now_us
        for i, q in enumerate(queries):
            rows, keywords, modes, lex, dense = [], [], set(), 0, 0
            for p, r in g.replies.items():
                res = r["results"][i]
                rows += [(p, h) for h in res["hits"]]
                keywords = keywords or res["keywords"]
                modes.add(res["mode"])
                lex += res["lexical_candidates"]
                dense += res["dense_candidates"]

            def make(h: dict[str, Any], post: Any, summary: StorySummary | None) -> RHit:
                return RHit(post, h["score"], summary, h["seq"], lexical_rank=h.get("lexical_rank"),
                            dense_rank=h.get("dense_rank"), similarity=h.get("similarity"),
                            coverage=h.get("coverage") or 0.0)

            hits = self._merge(rows, q.limit, q.all_posts, False, make)
            mode = "hybrid" if modes == {"hybrid"} else "lexical"
            out.append(Retrieval(q, hits, keywords, from_us(now) if now else None, mode, None,
                                 (time.perf_counter() - t0) * 1000, lex, dense))
        return out

    # -- services over the cluster ----------------------------------------------------------------

    def ask(self, question: str, *, since: datetime | None = None, until: datetime | None = None,
            composer: "str | Composer" = "extractive", on_text: Callable[[str], None] | None = None,
            lang: str | None = None) -> Answer:
        """A cited answer from the posts of every partition (answer/ runs over this engine)."""
        return compose_answer(self, question, since=since, until=until, composer=composer, on_text=on_text, lang=lang)

    def verify(self, claim: str, *, since: datetime | None = None, until: datetime | None = None,
               limit: int = 10, judge: Any = None, record: bool = True):
        """A claim checked against the posts of every partition (verify/ runs over this engine)."""
        from ..verify import Verifier  # its models load on the first verify (MiniLM, the weights)

        with self._lock:
            if self._verifier is None:
                self._verifier = Verifier(self)
        return self._verifier.verify(claim, since=since, until=until, limit=limit, judge=judge, record=record)

    def notes_for(self, post_keys: list[str]) -> dict[str, list]:
        """Community notes live in one data directory, not in the cluster: none here."""
        return {k: [] for k in post_keys}

    def author_note_record(self, author_ids: list[str]) -> dict[str, int]:
        return {a: 0 for a in author_ids}

    def post_vectors(self, seqs: list[int]) -> tuple[None, dict]:
        """The shards' vectors stay on the shards (seqs are per partition): verify encodes."""
        return None, {}

    def embedding_status(self):
        from ..vectors import EmbedStatus

        return EmbedStatus(False, notice="vectors live on the shards")

    def trends(self, window: str = "1h", limit: int = 20, lang: str | None = None,
               near: tuple[float, float, float] | None = None) -> list[Trend]:
        """Terms bursting on the shards, merged: counts and expectations summed per term (over
        the partitions that report it), z recomputed from the sums, strongest first."""
        g = self._gather("trends", {"window": window, "limit": max(limit * 3, 30), "lang": lang,
                                    "near": list(near) if near else None})
        by_term: dict[str, list[Trend]] = defaultdict(list)
        for r in g.replies.values():
            for d in r["trends"]:
                t = Trend.from_dict(d)
                by_term[t.term].append(t)
        merged = []
        for term, ts in by_term.items():
            count = sum(t.count for t in ts)
            expected = sum(t.expected for t in ts)
            score = (count - expected) / max(expected, 1.0) ** 0.5
            step = ts[0].spark_step_s
            spark = _sum_lists([t.spark for t in ts if t.spark_step_s == step])
            merged.append(Trend(term, window, score, count, expected, min(t.since for t in ts), spark, step, None))
        merged.sort(key=lambda t: (-t.score, -t.count, t.term))
        return merged[:limit]

    def events(self, since: datetime | None = None, limit: int = 50, lang: str | None = None) -> list[Event]:
        """Events of the shards, those sharing at least half of their terms merged into one
        (counts summed, earliest first_seen and detection), newest detection first."""
        g = self._gather("events", {"since_us": to_us(since) if since else None, "limit": max(limit * 2, 50),
                                    "lang": lang})
        evs = [(p, Event.from_dict(d)) for p, r in sorted(g.replies.items()) for d in r["events"]]
        groups: list[list[tuple[int, Event]]] = []
        for p, e in sorted(evs, key=lambda pe: -pe[1].posts):
            terms = set(e.terms)
            for grp in groups:
                other = set(grp[0][1].terms)
                if terms and other and len(terms & other) * 2 >= min(len(terms), len(other)):
                    grp.append((p, e))
                    break
            else:
                groups.append([(p, e)])
        out = [_merge_events(grp, self.names.partitions) for grp in groups]
        out.sort(key=lambda e: e.detected_at, reverse=True)
        return out[:limit]

    # -- writing: publishing (serve --nats) ----------------------------------------------------

    @property
    def readonly(self) -> bool:
        return self.publisher is None

    def pipeline(self) -> PublishPipeline:
        if self.publisher is None:
            raise ClusterError("this engine only reads the cluster")
        return PublishPipeline(self.publisher)

    def subscribe(self, listener: Any) -> None:
        """The live feed of accepted posts is each shard's; the root has none to give (yet)."""

    def subscribe_removals(self, listener: Any) -> None:
        """As `subscribe`: removals happen on the shards."""

    def reject(self, input_name: str, line: int, reason: str, raw: bytes | str) -> Rejection:
        """Input refused before it reached the stream, kept in this root's quarantine.jsonl."""
        with self._lock:
            if self._quarantine is None:
                self.data_dir.mkdir(parents=True, exist_ok=True)
                self._quarantine = Quarantine(DataDir(self.data_dir).quarantine,
                                              int(self.settings.core.quarantine_max_mb * (1 << 20)))
        rej = Rejection(input_name, line, reason)
        self._quarantine.add(rej, raw)
        return rej

    def post(self, key: str) -> StoredPost | None:
        """One stored post by key, from its partition, with its story's counts there."""
        p = partition_of(key, self.names.partitions)
        r = self._gather("post", {"key": key}, [p]).replies.get(p) or {}
        if not r.get("post"):
            return None
        d = r["post"]
        return StoredPost(d["key"], d["seq"], d["doc"], story_from(d.get("story")))

    # -- lifecycle --------------------------------------------------------------------------------

    def check_open(self) -> None:
        if self.closed:
            raise ClusterError("engine is closed")

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                if self.publisher is not None:
                    self.publisher.close()
            finally:
                self.client.close()
                if self._quarantine is not None:
                    self._quarantine.close()

    def __enter__(self) -> "RemoteEngine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _order(h: dict[str, Any], by_time: bool) -> tuple[float, float]:
    """Sort key of a hit in the merged list: best score (then newest) first, or newest first."""
    return (-_ts(h), -h["score"]) if by_time else (-h["score"], -_ts(h))


def _ts(h: dict[str, Any]) -> int:
    ts = h.get("ts")  # the post's time in µs; parsed from the post for shards that do not send it
    return ts if ts is not None else to_us(datetime.fromisoformat(h["post"]["created_at"]))


def _sum_lists(lists: list[list[int]]) -> list[int]:
    """Element-wise sums, aligned at the end (the newest bin is last in every spark)."""
    n = max((len(x) for x in lists), default=0)
    out = [0] * n
    for x in lists:
        for i, v in enumerate(x):
            out[n - len(x) + i] += v
    return out


def _merge_events(grp: list[tuple[int, Event]], partitions: int) -> Event:
    p0, e0 = grp[0]  # the largest part gives the title, terms and representative posts
    es = [e for _, e in grp]
    terms = list(dict.fromkeys(t for e in es for t in e.terms))
    langs: dict[str, int] = defaultdict(int)
    places: dict[str, int] = defaultdict(int)
    for e in es:
        for k, v in e.langs.items():
            langs[k] += v
        for k, v in e.places.items():
            places[k] += v
    # Curves: summed where the steps agree, aligned on the earliest start.
    same = [e.curve for e in es if e.curve.step_s == e0.curve.step_s and e0.curve.step_s > 0 and e.curve.counts]
    if not same:
        same = [e0.curve]
    start = min(c.start for c in same)
    step = e0.curve.step_s
    step = step or 1.0
    n = max(int(round((c.start - start).total_seconds() / step)) + len(c.counts) for c in same)
    counts = [0] * n
    for c in same:
        off = int(round((c.start - start).total_seconds() / step))
        for i, v in enumerate(c.counts):
            counts[off + i] += v
    post_ids = list(dict.fromkeys(k for e in es for k in e.post_ids))[: max(len(e0.post_ids), 10)]
    status = "active" if any(e.status == "active" for e in es) else e0.status
    # A cluster-wide id: the largest part's local id, with its partition, so it stays stable
    # while that part stays the largest.
    return Event(e0.id * partitions + p0, e0.title, terms[:12], min(e.first_seen for e in es),
                 min(e.detected_at for e in es), max(e.last_seen for e in es), status, sum(e.posts for e in es),
                 sum(e.stories for e in es), sum(e.authors for e in es), post_ids,
                 dict(sorted(langs.items(), key=lambda kv: -kv[1])), dict(sorted(places.items(), key=lambda kv: -kv[1])),
                 Curve(start, step, counts), None, e0.detected_ids)
