"""`GET /metrics`: Prometheus text, from a registry owned by the app (no process-wide one).

Counters that only the app sees (requests, API ingest) are kept as they happen; everything
the engine and the sources already know (lags, backlogs, per-source state) is read when
Prometheus scrapes, so nothing is counted twice and nothing runs in between.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample



class Observed(Protocol):
    """What the metrics read at scrape time (`ApiContext` is one): the engine, whether it is
    closed, the ingest backlog, posts rejected through the API, and the live feed."""

    engine: Any
    closed: bool
    rejected: int
    feed: Any

    def backlog(self) -> int: ...

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


RequestSample = tuple[str, dict[str, str], float]  # (sample name, labels, value) of the request histogram


class ApiMetrics:
    def __init__(self, api: Observed):
        self.registry = r = CollectorRegistry(auto_describe=True)
        # This process's request latencies live in a registry of their own: `/metrics` shows them
        # summed with those of the reader processes (`peers`, veristream.serve.readers), one family.
        self._own = CollectorRegistry(auto_describe=True)
        self.requests = Histogram(
            "veristream_http_request_duration_seconds",
            "Time to the response's first byte, by route template (SSE streams: until they start); with reader "
            "processes, summed over all of them and the writer",
            ["method", "route", "status"], buckets=LATENCY_BUCKETS, registry=self._own)
        self.peers: Callable[[], list[RequestSample]] | None = None
        r.register(_Requests(self))
        self.ingested = Counter("veristream_posts_ingested", "Posts accepted by the core (new posts, every source)",
                                registry=r)
        self.updated = Counter("veristream_posts_updated", "Newer versions of stored posts accepted by the core",
                               registry=r)
        self.api_received = Counter("veristream_api_posts_received", "Lines or objects received by POST /v1/posts",
                                    registry=r)
        self.api_ingest = Histogram("veristream_api_ingest_seconds",
                                    "POST /v1/posts with wait: request received until its posts are stored and "
                                    "searchable", buckets=LATENCY_BUCKETS, registry=r)
        r.register(_EngineCollector(api))

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def request_samples(self) -> list[RequestSample]:
        """This process's request histogram as plain data (what a reader hands the writer)."""
        return [(x.name, dict(x.labels), x.value) for m in self.requests.collect() for x in m.samples
                if not x.name.endswith("_created")]


class _Requests(Collector):
    """The request histogram: this process's, plus the peers' (reader processes), summed by
    labels. A reader that restarts starts its counts again: the sum dips, read as a reset."""

    def __init__(self, metrics: ApiMetrics):
        self.metrics = metrics

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        m = self.metrics
        own = next(iter(m.requests.collect()))
        peers = m.peers() if m.peers is not None else []
        if not peers:
            yield own
            return
        sums: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        for name, labels, value in m.request_samples() + peers:
            k = (name, tuple(sorted(labels.items())))
            sums[k] = sums.get(k, 0.0) + value
        fam = Metric(own.name, own.documentation, "histogram")
        fam.samples = [Sample(name, dict(labels), value) for (name, labels), value in sums.items()]
        yield fam


def _media_metrics(eng: Any) -> Iterator[Metric]:
    """Reading posts' images: posts behind, event-time lag, wall-clock delay, images, failures."""
    status = getattr(eng, "media_status", None)
    m = status() if status is not None else None
    pend = GaugeMetricFamily("veristream_media_pending_posts", "Stored posts whose images are not read yet")
    lag = GaugeMetricFamily("veristream_media_lag_seconds",
                            "Event time between the newest post and the newest one whose images were read")
    delay = GaugeMetricFamily("veristream_media_delay_seconds", "Wall clock from a post's acceptance to its image "
                              "text being searchable (recent posts)", labels=["quantile"])
    images = CounterMetricFamily("veristream_media_images_read", "Images fetched and read (OCR) by this process")
    failed = CounterMetricFamily("veristream_media_images_failed", "Image fetches or reads that failed, by reason",
                                 labels=["reason"])
    if m is not None and m.enabled:
        pend.add_metric([], m.pending)
        if m.lag_s is not None:
            lag.add_metric([], m.lag_s)
        for q, v in (("0.5", m.delay_p50_s), ("0.99", m.delay_p99_s)):
            if v is not None:
                delay.add_metric([q], v)
        images.add_metric([], m.images)
        for reason, n in sorted(m.failed.items()):
            failed.add_metric([reason], n)
    yield from (pend, lag, delay, images, failed)


class _EngineCollector(Collector):
    """Gauges read from the engine, the feed and the sources at scrape time."""

    def __init__(self, api: Observed):
        self.api = api

    def describe(self) -> list[Metric]:
        return []  # unchecked collector: families vary with the sources running

    def collect(self) -> Iterator[Metric]:
        api = self.api
        eng = api.engine
        now_us = eng.now_us() if not api.closed else None
        g = GaugeMetricFamily("veristream_freshness_lag_seconds",
                              "Wall clock minus the event time of the newest stored post (how stale the index is "
                              "for a live stream)")
        if now_us is not None:
            g.add_metric([], max(0.0, time.time() - now_us / 1e6))
        yield g
        yield GaugeMetricFamily("veristream_ingest_backlog_posts",
                                "Posts handed over (API and live sources) and not yet stored", value=api.backlog())
        if not api.closed:
            emb = eng.embedding_status()
            pend = GaugeMetricFamily("veristream_embedding_pending_posts", "Stored posts not embedded yet")
            lag = GaugeMetricFamily("veristream_embedding_lag_seconds",
                                    "Event time between the newest post and the newest embedded one")
            if emb.enabled:
                pend.add_metric([], emb.pending)
                if emb.lag_s is not None:
                    lag.add_metric([], emb.lag_s)
            yield pend
            yield lag
            yield from _media_metrics(eng)
            tr = eng.trends_status()
            tpend = GaugeMetricFamily("veristream_trends_pending_posts",
                                      "Accepted posts the trend detector has not processed yet")
            tlag = GaugeMetricFamily("veristream_trends_lag_seconds",
                                     "Event time between the newest accepted post and the newest one the trend "
                                     "detector processed")
            if tr.state not in ("off", "stored"):
                tpend.add_metric([], tr.posts_behind)
                if tr.lag_s is not None:
                    tlag.add_metric([], tr.lag_s)
            yield tpend
            yield tlag
        runner = eng.sources
        statuses = runner.statuses() if runner is not None else []
        rej = CounterMetricFamily("veristream_posts_rejected", "Posts rejected (quarantined), by where they came from",
                                  labels=["via"])
        rej.add_metric(["api"], api.rejected)
        rej.add_metric(["sources"], sum(s.rejected for s in statuses))
        yield rej
        conn = GaugeMetricFamily("veristream_source_connected", "1 while a live source is connected", labels=["source"])
        slag = GaugeMetricFamily("veristream_source_lag_seconds",
                                 "How far behind the service's clock a live source reads", labels=["source"])
        posts = CounterMetricFamily("veristream_source_posts", "Posts a live source handed to the core",
                                    labels=["source"])
        for s in statuses:
            conn.add_metric([s.name], 1.0 if s.connected else 0.0)
            if s.lag_s is not None:
                slag.add_metric([s.name], s.lag_s)
            posts.add_metric([s.name], s.accepted)
        yield conn
        yield slag
        yield posts
        yield GaugeMetricFamily("veristream_live_feed_clients", "Clients connected to GET /v1/stream",
                                value=api.feed.clients)
        yield CounterMetricFamily("veristream_live_feed_dropped_clients",
                                  "Live feed clients dropped for reading too slowly", value=api.feed.dropped_clients)
