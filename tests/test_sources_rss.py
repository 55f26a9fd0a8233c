"""RSS / Atom polling against a loopback HTTP server with ETag and Last-Modified."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import pytest
from live_servers import HTTPServer, Request, wait_for

from veristream import Engine, Settings
from veristream.sources import RSSConfig, RSSSource, SourceRunner

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/">
<channel>
  <title>City News</title><link>https://news.example/</link><language>en-us</language>
  <description>Local news</description>
  {items}
</channel>
</rss>"""

ITEM = """<item>
  <title>{title}</title>
  <link>https://news.example/{n}</link>
  <guid isPermaLink="false">{n}</guid>
  <description>&lt;p&gt;{body} &lt;a href="https://city.example/report"&gt;report&lt;/a&gt;&lt;/p&gt;</description>
  <pubDate>Thu, 15 Jan 2026 12:0{n}:00 GMT</pubDate>
  <dc:creator>Reporter {n}</dc:creator>
  <category>weather</category>
  <media:content url="https://news.example/{n}.jpg" type="image/jpeg"/>
</item>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <title>Agency Updates</title>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2026-01-15T12:00:00Z</updated>
  <author><name>Emergency Agency</name></author>
  {entries}
</feed>"""

ENTRY = """<entry>
  <title>{title}</title>
  <link href="/updates/{n}"/>
  <id>tag:agency.example,2026:update-{n}</id>
  <published>2026-01-15T12:00:00Z</published>
  <updated>{updated}</updated>
  <summary type="html">{body}</summary>
</entry>"""


class Feeds:
    """Serves /news.rss and /agency.atom with validators; answers 304 when they match."""

    def __init__(self) -> None:
        self.docs: dict[str, tuple[bytes, str, str]] = {}
        self.fail: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self.truncate: set[str] = set()

    def set(self, route: str, body: str, version: int) -> None:
        self.docs[route] = (body.encode(), f'"v{version}"', f"Thu, 15 Jan 2026 12:{version:02d}:00 GMT")

    def __call__(self, req: Request, srv: HTTPServer) -> None:
        if self.fail.get(req.route):
            status, headers = self.fail[req.route].pop(0)
            req.respond(status, "<html>busy</html>", headers=headers, content_type="text/html")
            return
        if req.route not in self.docs:
            req.respond(404, "not found", content_type="text/plain")
            return
        body, etag, modified = self.docs[req.route]
        if req.headers.get("if-none-match") == etag or req.headers.get("if-modified-since") == modified:
            req.respond(304, headers={"ETag": etag, "Last-Modified": modified})
            return
        if req.route in self.truncate:
            self.truncate.discard(req.route)
            h = req.h
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            req.drop()
            return
        req.respond(200, body, headers={"ETag": etag, "Last-Modified": modified},
                    content_type="application/rss+xml" if req.route.endswith("rss") else "application/atom+xml")


def rss(*items: tuple[int, str, str]) -> str:
    return RSS.format(items="".join(ITEM.format(n=n, title=t, body=b) for n, t, b in items))


def atom(*entries: tuple[int, str, str, str]) -> str:
    return ATOM.format(entries="".join(ENTRY.format(n=n, title=t, body=b, updated=u) for n, t, b, u in entries))


def settings() -> Settings:
    return Settings.load(env={}, durability="os", batch_delay_ms=1.0)


def test_rss_and_atom_entries_become_posts_once_with_conditional_requests(tmp_path: Path) -> None:
    feeds = Feeds()
    feeds.set("/news.rss", rss((1, "Storm warning for the coast", "Winds up to 90 km/h expected."),
                               (2, "Schools closed tomorrow", "All city schools will be closed.")), 1)
    feeds.set("/agency.atom", atom((1, "Shelter open", "The shelter on Main St is open.", "2026-01-15T12:00:00Z")), 1)
    with HTTPServer(feeds) as srv:
        news, agency = f"{srv.url}/news.rss", f"{srv.url}/agency.atom"
        with Engine(tmp_path / "d", settings()) as eng:
            src = RSSSource(RSSConfig(feeds=[news, agency], interval_s=0.2))
            with SourceRunner(eng, [src]) as runner:
                wait_for(lambda: src.status.accepted == 3)
                # polls again: 304s, nothing handed over twice
                wait_for(lambda: len(srv.routes("/news.rss")) >= 3 and len(srv.routes("/agency.atom")) >= 3)
                assert src.status.accepted == 3
                second = srv.routes("/news.rss")[1]
                assert second.headers["if-none-match"] == '"v1"'
                assert second.headers["if-modified-since"] == "Thu, 15 Jan 2026 12:01:00 GMT"
                # the feeds change: one new item, one updated entry
                feeds.set("/news.rss", rss((1, "Storm warning for the coast", "Winds up to 90 km/h expected."),
                                           (2, "Schools closed tomorrow", "All city schools will be closed."),
                                           (3, "Power lines down on Elm St", "Stay away from the wires.")), 2)
                feeds.set("/agency.atom", atom((1, "Shelter open", "The shelter on Main St is full; go to the gym.",
                                                "2026-01-15T14:00:00Z")), 2)
                wait_for(lambda: src.status.accepted == 5)
                runner.flush()
                t = runner.totals
                assert (t.accepted, t.updated) == (4, 1)
            assert eng.count() == 4
            p = eng.get(f"rss:{news}#3")
            assert p is not None and p.text == "Power lines down on Elm St\n\nStay away from the wires. report"
            assert p.url == "https://news.example/3" and p.author.name == "Reporter 3" and p.lang == "en"
            assert "https://city.example/report" in p.urls and p.media[0].kind == "photo"
            assert "weather" in p.hashtags and p.author.handle == "127.0.0.1"
            a = eng.get(f"rss:{agency}#tag:agency.example,2026:update-1")  # ids are scoped to their feed
            assert a is not None and "gym" in a.text and a.edited_at is not None
            assert a.url == f"{srv.url}/updates/1"
            assert [h.post.key for h in eng.search("shelter gym").hits] == [a.key]
            assert orjson.loads(eng.offsets()[f"rss:{news}"]) == {"etag": '"v2"', "modified": "Thu, 15 Jan 2026 12:02:00 GMT"}
        # a restart sends the stored validators at once: 304, nothing re-read
        n = len(srv.requests)
        with Engine(tmp_path / "d", settings()) as eng:
            src = RSSSource(RSSConfig(feeds=[news], interval_s=60))
            with SourceRunner(eng, [src]):
                wait_for(lambda: src.polls == 1)
            first = srv.requests[n]
            assert first.headers["if-none-match"] == '"v2"'
            assert src.status.accepted == 0 and eng.count() == 4


def test_malformed_feeds_and_entries_are_quarantined_and_polling_goes_on(tmp_path: Path) -> None:
    feeds = Feeds()
    feeds.docs["/news.rss"] = (b"<rss><channel><title>broken", '"bad"', "x")
    with HTTPServer(feeds) as srv, Engine(tmp_path / "d", settings()) as eng:
        src = RSSSource(RSSConfig(feeds=[f"{srv.url}/news.rss"], interval_s=0.1))
        with SourceRunner(eng, [src]):
            wait_for(lambda: src.status.rejected >= 1)
            no_id = "<item><description>no title, no link, no guid</description></item>"
            feeds.set("/news.rss", RSS.format(items=no_id + ITEM.format(n=1, title="Fine item", body="ok")), 3)
            wait_for(lambda: src.status.accepted == 1)
            assert src.status.rejected == 2
        reasons = [orjson.loads(x)["reason"] for x in eng.quarantine.path.read_bytes().splitlines()]
        assert "not well-formed XML" in reasons[0] and "entry 1: entry has no id, guid or link" in reasons[1]


def test_503_with_retry_after_and_a_truncated_body_are_retried(tmp_path: Path) -> None:
    feeds = Feeds()
    feeds.set("/news.rss", rss((1, "Bridge reopened", "Traffic flows again.")), 1)
    feeds.fail["/news.rss"] = [(503, {"Retry-After": "1"})]
    feeds.truncate.add("/news.rss")
    with HTTPServer(feeds) as srv, Engine(tmp_path / "d", settings()) as eng:
        src = RSSSource(RSSConfig(feeds=[f"{srv.url}/news.rss"], interval_s=0.1))
        with SourceRunner(eng, [src]):
            wait_for(lambda: src.status.accepted == 1)
            reqs = srv.routes("/news.rss")
            assert reqs[1].at - reqs[0].at >= 1.0 - 0.02  # Retry-After honoured
            assert reqs[2].at - reqs[1].at < 1.0  # the truncated body: retried on the normal schedule
            assert src.status.reconnects == 2 and src.status.connected
        assert eng.count() == 1


def test_poll_interval_is_kept(tmp_path: Path) -> None:
    feeds = Feeds()
    feeds.set("/news.rss", rss((1, "Quiet day", "Nothing new.")), 1)
    with HTTPServer(feeds) as srv, Engine(tmp_path / "d", settings()) as eng:
        src = RSSSource(RSSConfig(feeds=[f"{srv.url}/news.rss"], interval_s=0.3))
        with SourceRunner(eng, [src]):
            wait_for(lambda: len(srv.routes("/news.rss")) >= 3)
        t = [r.at for r in srv.routes("/news.rss")]
        assert all(b - a >= 0.3 - 0.02 for a, b in zip(t, t[1:]))
        assert time.monotonic() - t[0] < 5


# -- hostile feeds ----------------------------------------------------------------------------------

SECRET = "k3yZ9qT7vLm2Xw8Rp4sN"


def test_feed_urls_with_secrets_are_redacted_and_credentials_stay_with_the_feed(tmp_path: Path) -> None:
    feeds = Feeds()
    feeds.set("/news.rss", rss((1, "Storm warning for the coast", "Winds up to 90 km/h expected.")), 1)
    with HTTPServer(feeds) as srv, Engine(tmp_path / "d", settings()) as eng:
        url = f"http://reader:hunter2pw@127.0.0.1:{srv.port}/news.rss?apikey={SECRET}&section=local"
        src = RSSSource(RSSConfig(feeds=[url], interval_s=60))
        with SourceRunner(eng, [src]) as runner:
            wait_for(lambda: src.status.accepted == 1)
            runner.flush()
            status = orjson.dumps(src.status.to_dict()).decode()
        shown = f"http://127.0.0.1:{srv.port}/news.rss?apikey=redacted&section=local"
        assert srv.requests[0].headers["authorization"] == "Basic cmVhZGVyOmh1bnRlcjJwdw=="  # sent, as Basic auth
        p = eng.get(f"rss:{shown}#1")
        assert p is not None and p.author.id == shown and p.extra["feed"] == shown
        stored = orjson.dumps({"post": eng.store.doc_by_key(p.key), "offsets": eng.offsets()}).decode()
        for text in (status, stored):
            assert SECRET not in text and "hunter2pw" not in text
        assert f'"endpoint":"{shown}"' in status


def test_an_entry_cannot_replace_another_feeds_post_by_reusing_its_id(tmp_path: Path) -> None:
    feeds = Feeds()
    item = ('<item><title>{t}</title><guid isPermaLink="true">https://news.example/story/7</guid>'
            "<pubDate>Thu, 15 Jan 2026 12:0{n}:00 GMT</pubDate></item>")
    feeds.set("/news.rss", RSS.format(items=item.format(t="Council approves the flood barrier", n=1)), 1)
    feeds.set("/spoof.rss", RSS.format(items=item.format(t="Council scraps the flood barrier", n=5)), 1)
    with HTTPServer(feeds) as srv, Engine(tmp_path / "d", settings()) as eng:
        src = RSSSource(RSSConfig(feeds=[f"{srv.url}/news.rss", f"{srv.url}/spoof.rss"], interval_s=60))
        with SourceRunner(eng, [src]) as runner:
            wait_for(lambda: src.status.accepted == 2)
            runner.flush()
        assert eng.count() == 2
        real = eng.get(f"rss:{srv.url}/news.rss#https://news.example/story/7")
        assert real is not None and "approves" in real.text and real.url == "https://news.example/story/7"


class Hostile:
    """Redirects to other schemes, redirect loops, a body that never ends, one that drips."""

    def __init__(self, feed: bytes):
        self.feed = feed

    def __call__(self, req: Request, srv: HTTPServer) -> None:
        if req.route == "/to-file":
            req.respond(302, b"", headers={"Location": "file:///etc/passwd"})
        elif req.route == "/loop":
            req.respond(302, b"", headers={"Location": f"/loop?n={req.index}"})
        elif req.route == "/huge":
            req.respond(200, self.feed + b"<!--" + b"x" * 300_000 + b"-->", content_type="application/rss+xml")
        elif req.route == "/drip":
            h = req.h
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml")
            h.send_header("Content-Length", str(len(self.feed)))
            h.end_headers()
            for b in self.feed:  # one byte each 50 ms: every socket wait is short, the whole is not
                h.wfile.write(bytes([b]))
                h.wfile.flush()
                time.sleep(0.05)
        elif req.route == "/ok.rss":
            req.respond(200, self.feed, content_type="application/rss+xml")


def test_fetches_are_bounded_in_redirects_schemes_size_and_time(tmp_path: Path) -> None:
    feed = rss((1, "Bridge reopened", "Traffic flows again.")).encode()
    routes = ("to-file", "loop", "huge", "drip", "ok.rss")
    with HTTPServer(Hostile(feed)) as srv, Engine(tmp_path / "d", settings()) as eng:
        srcs = {r: RSSSource(RSSConfig(feeds=[f"{srv.url}/{r}"], interval_s=60, max_redirects=3, max_bytes=100_000,
                                       fetch_timeout_s=1.0, timeout_s=5), name=f"feed-{r}") for r in routes}
        t0 = time.monotonic()
        with SourceRunner(eng, list(srcs.values())) as runner:
            wait_for(lambda: all(s.status.reconnects for r, s in srcs.items() if r != "ok.rss")
                     and srcs["ok.rss"].status.accepted == 1, timeout=20)
            took = time.monotonic() - t0
            runner.flush()
        errors = {r: s.status.last_error or "" for r, s in srcs.items()}
        assert eng.count() == 1
    assert len(srv.routes("/to-file")) == 1 and "only http(s) redirects" in errors["to-file"]
    assert len(srv.routes("/loop")) == 4 and "more than max_redirects (3)" in errors["loop"]  # 1 + 3 redirects
    assert "larger than max_bytes" in errors["huge"]
    assert "fetch_timeout_s (1s)" in errors["drip"]
    assert took < 10  # the drip (about 35 s at its pace) was cut off after 1 s


def test_a_name_that_resolves_to_a_local_address_is_local_like_the_address() -> None:
    import socket

    from veristream.sources.base import local_host

    assert local_host("127.0.0.1") and local_host("10.1.2.3") and local_host("localhost") and local_host("::1")
    assert not local_host("8.8.8.8") and not local_host("no-such-host.invalid")
    name = socket.gethostname()  # this machine's name: loopback in /etc/hosts on most Linux systems
    if ipaddress_of(name) is None or not ipaddress_of(name).is_loopback:
        pytest.skip(f"{name} does not resolve to a loopback address here")
    assert local_host(name)  # a name, not an address: resolved before a redirect to it is followed


def ipaddress_of(name: str):
    import ipaddress
    import socket

    try:
        return ipaddress.ip_address(socket.gethostbyname(name))
    except OSError:
        return None
