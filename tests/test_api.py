"""The REST API on a real engine (FastAPI's TestClient: the app in-process, no socket): ingest
with the CLI's validation, search mirroring the CLI, stories, posts, trends, events, answers,
verify, sources, health, metrics, errors, limits, the token, CORS and the page's headers."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from conftest import mkpost
from veristream import Engine, Settings
from veristream.api import create_app, load_or_create_token
from veristream.cli import cli
from veristream.demo import generate

TOKEN = "secret-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

QUAKE = [
    ("q1", 1, "usgs", "USGS: magnitude 6.1 earthquake near Harlow Bay at 14:02, buildings shaking"),
    ("q2", 3, "bob", "Earthquake in Harlow Bay, 3 dead reported so far, the old pier collapsed"),
    ("q3", 4, "carol", "Harlow Bay earthquake: officials now say 12 dead and dozens injured"),
    ("q4", 6, "gina", "Aftershock in Harlow Bay just now, earthquake rescue teams at the pier"),
    ("q5", 7, "hal", "Aftershock in Harlow Bay just now, earthquake rescue teams at the pier"),  # a copy: one story
]


def local_client(app) -> TestClient:
    """A client as a browser on this machine is: Host 127.0.0.1 (TestClient's own 'testserver'
    is a name the Host check refuses, as it should)."""
    return TestClient(app, base_url="http://127.0.0.1")


def settings(**kw: object) -> Settings:
    return Settings.load(env={}, vectors=False, **kw)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Path]]:
    """An engine holding 50 minutes of the demo stream (its events raised) and a few known posts."""
    d = tmp_path_factory.mktemp("api") / "data"
    eng = Engine(d, settings())
    posts = list(generate(12000, rate_per_s=4.0))
    for i in range(0, len(posts), 3000):
        eng.ingest(posts[i:i + 3000])
    eng.ingest([mkpost(i, text, minutes=m, author=a, lang="en") for i, m, a, text in QUAKE])
    yield eng, d
    eng.close()


@pytest.fixture(scope="module")
def client(data: tuple[Engine, Path]) -> Iterator[TestClient]:
    eng, _ = data
    with local_client(create_app(eng, settings(), token=TOKEN)) as c:
        yield c


def err(r) -> dict:
    body = r.json()
    assert set(body) == {"error"} and {"message", "type", "code", "param"} <= set(body["error"]), body
    return body["error"]


# -- health, schema, page ---------------------------------------------------------------------

def test_health_schema_page_and_security_headers(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["stream_now"].startswith("2026-01-15")
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/v1/posts", "/v1/search", "/v1/stories/{story_id}", "/v1/trends", "/v1/events", "/v1/ask",
              "/v1/verify", "/v1/sources", "/v1/stream", "/healthz", "/metrics", "/v1/models", "/v1/chat/completions"):
        assert p in paths, p
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "object-src 'none'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "/static/app.js" in page.text
    js = client.get("/static/app.js")
    assert js.status_code == 200 and "textContent" in js.text
    assert "innerHTML" not in js.text and "insertAdjacentHTML" not in js.text and "outerHTML" not in js.text


def test_unknown_routes_and_methods_are_json_errors(client: TestClient) -> None:
    r = client.get("/v1/nope")
    assert r.status_code == 404 and "/v1/nope" in err(r)["message"]
    r = client.delete("/v1/search")
    assert r.status_code == 405 and "DELETE" in err(r)["message"]


# -- ingest ------------------------------------------------------------------------------------

def test_ingest_needs_the_token(client: TestClient) -> None:
    line = orjson.dumps({"id": "t1", "text": "token test", "created_at": "2026-01-15T12:30:00Z"})
    r = client.post("/v1/posts", content=line)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in err(r)["message"]
    r = client.post("/v1/posts", content=line, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and "wrong" in err(r)["message"]
    r = client.post("/v1/posts?token=" + TOKEN, content=line)  # a query token is for GET (EventSource) only
    assert r.status_code == 401
    assert client.get("/v1/search", params={"q": "token test"}).json()["hits"] == []


def test_ndjson_ingest_rejects_exactly_as_the_cli_does(client: TestClient, data: tuple[Engine, Path],
                                                       tmp_path: Path) -> None:
    _, d = data
    lines = [
        orjson.dumps({"id": "nd1", "text": "Ferry service to Harlow Island suspended #ferry",
                      "created_at": "2026-01-15T12:41:00Z", "author": "ferryco"}),
        orjson.dumps({"text": "no id here", "created_at": "2026-01-15T12:41:00Z"}),
        b"{not json",
        orjson.dumps({"id": "nd2", "text": "bad time", "created_at": "yesterday-ish"}),
        b"",
        orjson.dumps({"id": "nd3", "text": "x" * 25_001, "created_at": "2026-01-15T12:41:00Z"}),
        b"\xff\xfe not utf-8",
    ]
    body = b"\n".join(lines) + b"\n"
    r = client.post("/v1/posts", content=body, headers={**AUTH, "Content-Type": "application/x-ndjson"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["received"], out["accepted"], out["rejected"], out["stored"]) == (6, 1, 5, True)
    api_msgs = [x["message"] for x in out["rejections"]]
    assert [x["line"] for x in out["rejections"]] == [2, 3, 4, 6, 7]

    # The CLI, on the same lines, names the same lines with the same reasons.
    f = tmp_path / "same.jsonl"
    f.write_bytes(body)
    res = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "cli"), "ingest", str(f), "-q"])
    cli_msgs = [x.replace(str(f), "api") for x in res.stderr.splitlines() if ": rejected: " in x]
    assert api_msgs == cli_msgs and "api:2: rejected: missing field: id" in api_msgs

    # Accepted means stored and searchable now; the rejected lines are in quarantine.jsonl.
    hits = client.get("/v1/search", params={"q": "ferry harlow"}).json()["hits"]
    assert [h["key"] for h in hits] == ["file:nd1"] and hits[0]["author"]["handle"] == "ferryco"
    quarantined = [json.loads(x) for x in (d / "quarantine.jsonl").read_text().splitlines()]
    assert {(q["input"], q["line"]) for q in quarantined} >= {("api", n) for n in (2, 3, 4, 6, 7)}


def test_json_object_array_formats_source_and_no_wait(client: TestClient) -> None:
    one = {"id": "j1", "text": "Bridge reopened at Harlow Point", "created_at": "2026-01-15T12:42:00Z"}
    r = client.post("/v1/posts", json=one, headers=AUTH)
    assert r.status_code == 200 and r.json()["accepted"] == 1
    many = [{"id": f"j{i}", "text": f"Bridge traffic report {i} at Harlow Point", "created_at": "2026-01-15T12:43:00Z"}
            for i in range(2, 5)] + [42]
    r = client.post("/v1/posts?source=city", json=many, headers=AUTH)
    out = r.json()
    assert (out["accepted"], out["rejected"]) == (3, 1) and out["rejections"][0]["line"] == 4
    assert "not a JSON object" in out["rejections"][0]["reason"]
    hits = client.get("/v1/search", params={"q": "bridge harlow point", "all": "true", "order": "time"}).json()["hits"]
    assert {h["key"] for h in hits} == {"file:j1", "city:j2", "city:j3", "city:j4"}
    # A Mastodon status, forced with format=mastodon.
    status = {"id": "109", "created_at": "2026-01-15T12:44:00Z", "content": "<p>Harlow ferry back in service</p>",
              "account": {"id": "7", "acct": "port@example.social", "username": "port"}, "language": "en"}
    r = client.post("/v1/posts?format=mastodon", json=status, headers=AUTH)
    assert r.json()["accepted"] == 1, r.json()
    assert client.get("/v1/search", params={"q": "ferry service", "source": "mastodon"}).json()["hits"]
    # wait=false: 202 once queued.
    queued = {"id": "j9", "text": "queued only", "created_at": "2026-01-15T12:45:00Z"}
    r = client.post("/v1/posts?wait=false", json=queued, headers=AUTH)
    assert r.status_code == 202 and r.json()["stored"] is False
    r = client.post("/v1/posts?format=myspace", json=one, headers=AUTH)
    assert r.status_code == 422 and err(r)["param"] == "format"
    r = client.post("/v1/posts", content=b"  \n", headers=AUTH)
    assert r.status_code == 400 and "empty" in err(r)["message"]


def test_body_size_limit(data: tuple[Engine, Path]) -> None:
    eng, _ = data
    app = create_app(eng, settings(api_max_body_mb=0.001), token=TOKEN)  # 1,048 bytes
    with local_client(app) as c:
        small = {"id": "b1", "text": "small enough", "created_at": "2026-01-15T12:46:00Z"}
        assert c.post("/v1/posts", json=small, headers=AUTH).status_code == 200
        big = [dict(small, id=f"b{i}", text="y" * 200) for i in range(10)]
        r = c.post("/v1/posts", json=big, headers=AUTH)
        assert r.status_code == 413 and "1,048" in err(r)["message"] and err(r)["param"] == "body"

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while read
            for _ in range(10):
                yield b" " * 200

        r = c.post("/v1/posts", content=chunks(), headers=AUTH)
        assert r.status_code == 413


# -- search, posts, stories ------------------------------------------------------------------

@pytest.mark.parametrize("params,cli_args", [
    ({"q": "earthquake harlow"}, ["earthquake harlow"]),
    ({"q": "earthquake", "all": "true", "order": "time", "limit": "3"},
     ["earthquake", "--all", "--order", "time", "-n", "3"]),
    ({"q": "", "author": "usgs"}, ["", "--author", "usgs"]),
    ({"q": "flood", "since": "20m", "lang": "en"}, ["flood", "--since", "20m", "--lang", "en"]),
    ({"q": "#AshfordFlood", "has_media": "true"}, ["#AshfordFlood", "--has-media"]),
])
def test_search_mirrors_the_cli(client: TestClient, data: tuple[Engine, Path], params: dict, cli_args: list) -> None:
    _, d = data
    r = client.get("/v1/search", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    res = CliRunner().invoke(cli, ["--data-dir", str(d), "search", *cli_args, "--json"])
    assert res.exit_code == 0, res.output
    cli_hits = [json.loads(x) for x in res.stdout.splitlines()]
    assert [h["key"] for h in body["hits"]] == [h["key"] for h in cli_hits] and body["hits"]
    assert body["hits"] == cli_hits
    assert body["total"] >= len(body["hits"]) and body["stream_now"]


def test_search_for_the_replies_to_a_post(client: TestClient, data: tuple[Engine, Path]) -> None:
    eng, d = data
    reply = next(h.post for h in eng.search("", all_posts=True, order="time", limit=1000).hits if h.post.reply_to)
    parent = reply.ref_key(reply.reply_to)
    r = client.get("/v1/search", params={"reply_to": parent, "all": "true", "limit": "100"})
    assert r.status_code == 200, r.text
    hits = r.json()["hits"]
    assert reply.key in {h["key"] for h in hits}
    assert all(eng.get(h["key"]).ref_key(eng.get(h["key"]).reply_to) == parent for h in hits)
    res = CliRunner().invoke(cli, ["--data-dir", str(d), "search", "--replies-to", parent, "--all", "-n", "100", "--json"])
    assert res.exit_code == 0, res.output
    assert [json.loads(x)["key"] for x in res.stdout.splitlines()] == [h["key"] for h in hits]


def test_search_groups_copies_into_one_story(client: TestClient) -> None:
    hits = client.get("/v1/search", params={"q": "aftershock rescue pier"}).json()["hits"]
    assert len(hits) == 1 and hits[0]["story"]["posts"] == 2 and hits[0]["story"]["authors"] == 2
    both = client.get("/v1/search", params={"q": "aftershock rescue pier", "all": "true"}).json()["hits"]
    assert {h["key"] for h in both} == {"file:q4", "file:q5"}


def test_search_errors_name_the_input(client: TestClient) -> None:
    r = client.get("/v1/search", params={"q": "x", "since": "last tuesday"})
    assert r.status_code == 400 and err(r)["param"] == "since" and "since:" in err(r)["message"]
    r = client.get("/v1/search", params={"limit": "0"})
    assert r.status_code == 422 and err(r)["message"].startswith("query parameter limit:")
    r = client.get("/v1/search", params={"q": "a" * 1001})
    assert r.status_code == 422 and "query parameter q" in err(r)["message"] and "1000" in err(r)["message"]
    r = client.get("/v1/search", params={"order": "random"})
    assert r.status_code == 422 and err(r)["param"] == "order"
    r = client.get("/v1/search", params={"q": 'earthquake "unclosed'})
    assert r.status_code in (200, 400)  # tantivy may read it leniently; never a 500
    r = client.get("/v1/search", params={"has_media": "perhaps"})
    assert r.status_code == 422 and err(r)["param"] == "has_media"


def test_story_and_post_by_key(client: TestClient) -> None:
    hit = client.get("/v1/search", params={"q": "aftershock rescue pier"}).json()["hits"][0]
    sid = hit["story"]["id"]
    s = client.get(f"/v1/stories/{sid}").json()
    assert s["posts"] == 2 and [p["key"] for p in s["items"]] == ["file:q4", "file:q5"]
    r = client.get("/v1/stories/999999999")
    assert r.status_code == 404 and "999999999" in err(r)["message"]
    assert client.get("/v1/stories/-1").status_code == 422
    p = client.get("/v1/posts/file:q4").json()
    assert p["text"].startswith("Aftershock") and p["story"]["id"] == sid and p["story"]["posts"] == 2
    assert "raw" not in p
    r = client.get("/v1/posts/file:nope")
    assert r.status_code == 404 and "file:nope" in err(r)["message"]


# -- trends and events -----------------------------------------------------------------------

def test_events_and_trends(client: TestClient, data: tuple[Engine, Path]) -> None:
    eng, _ = data
    body = client.get("/v1/events", params={"limit": 50}).json()
    titles = " ".join(e["title"] for e in body["events"])
    assert len(body["events"]) == len(eng.events(limit=50)) >= 3
    assert "Ashford" in titles or "Northgate" in titles
    e = body["events"][0]
    assert e["curve"]["counts"] and e["curve"]["step_s"] > 0 and e["post_ids"]
    assert client.get("/v1/events", params={"since": "1m"}).status_code == 200
    t = client.get("/v1/trends", params={"window": "1h"}).json()
    assert t["window"] == "1h" and isinstance(t["trends"], list)
    assert [x["term"] for x in t["trends"]] == [x.term for x in eng.trends("1h")]
    r = client.get("/v1/trends", params={"window": "3w"})
    assert r.status_code == 400 and err(r)["param"] == "window"


# -- answers ---------------------------------------------------------------------------------

def test_ask_json_is_cited(client: TestClient) -> None:
    r = client.post("/v1/ask", json={"question": "what happened in Harlow Bay?", "stream": False})
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["citations"] and "[1]" in a["answer"] and a["as_of"]
    for c in a["citations"]:  # the demo stream has its own Harlow Bay earthquake
        assert "harlow" in c["text"].lower() or "quake" in c["text"].lower(), c
        assert client.get(f"/v1/posts/{c['post_id']}").json()["text"].startswith(c["text"].rstrip("…"))


def sse_frames(text: str) -> list[tuple[str, str]]:
    out = []
    for frame in text.replace("\r\n", "\n").split("\n\n"):
        ev, data = "message", []
        for line in frame.split("\n"):
            if line.startswith("event:"):
                ev = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
        if data:
            out.append((ev, "\n".join(data)))
    return out


def test_ask_streams_text_then_the_cited_answer(client: TestClient) -> None:
    r = client.post("/v1/ask", json={"question": "how many dead in the Harlow Bay earthquake?"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    frames = sse_frames(r.text)
    kinds = [k for k, _ in frames]
    assert kinds[-1] == "answer" and "text" in kinds and kinds.index("text") < kinds.index("answer")
    streamed = "".join(json.loads(d)["text"] for k, d in frames if k == "text")
    final = json.loads(frames[-1][1])
    assert " ".join(streamed.split()) == " ".join(final["answer"].split())
    assert final["citations"] and "[1]" in streamed


def test_ask_errors(client: TestClient) -> None:
    r = client.post("/v1/ask", json={"question": ""})
    assert r.status_code == 422 and err(r)["param"] == "question"
    r = client.post("/v1/ask", json={"question": "x" * 2001})
    assert r.status_code == 422
    r = client.post("/v1/ask", json={"question": "quake?", "composer": "gpt-9"})
    assert r.status_code == 422 and err(r)["param"] == "composer"
    r = client.post("/v1/ask", json={"question": "quake?", "since": "soon"})
    assert r.status_code == 400 and err(r)["param"] == "since"
    r = client.post("/v1/ask", content=b"{nope", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "not valid JSON" in err(r)["message"]
    r = client.post("/v1/ask", json={"question": "quake?", "surprise": 1})
    assert r.status_code == 422 and err(r)["param"] == "surprise"


def test_verify(client: TestClient) -> None:
    """The verdict on a claim as JSON, each piece of evidence a stored post."""
    r = client.post("/v1/verify", json={"claim": "12 people died in the Harlow Bay earthquake"})
    assert r.status_code == 200, r.text
    v = r.json()
    assert v["claim"] == "12 people died in the Harlow Bay earthquake"
    assert v["verdict"] in {"supported", "refuted", "contested", "unverified"} and 0 <= v["confidence"] <= 1
    assert isinstance(v["reasons"], list) and v["reasons"]
    for side in ("evidence_for", "evidence_against", "other"):
        for p in v[side]:
            assert {"key", "author", "created_at", "text", "stance", "stance_confidence"} <= set(p)
            assert client.get(f"/v1/posts/{p['key']}").status_code == 200  # each cites a stored post
    assert client.post("/v1/verify", json={"claim": ""}).status_code == 422


# -- sources, metrics, security settings ------------------------------------------------------

def test_sources_without_and_with_a_runner(client: TestClient, tmp_path: Path) -> None:
    body = client.get("/v1/sources").json()
    assert body["running"] is False and body["sources"] == []
    from veristream.sources import DemoConfig, DemoSource, SourceRunner

    eng = Engine(tmp_path / "d", settings(trends=False))
    try:
        with local_client(create_app(eng, token=TOKEN)) as c, \
                SourceRunner(eng, [DemoSource(DemoConfig(rate=20, catch_up_s=5, max_posts=100))]) as runner:
            runner.wait(20)
            runner.flush()
            s = c.get("/v1/sources").json()
            assert [x["name"] for x in s["sources"]] == ["demo"] and s["sources"][0]["accepted"] == 100
            assert s["stored"]["new"] == 100 and s["errors"] == {}
            assert c.get("/v1/search", params={"q": "", "source": "demo", "limit": 1}).json()["total"] == 100
    finally:
        eng.close()


def test_metrics(client: TestClient) -> None:
    client.get("/v1/search", params={"q": "earthquake"})
    client.post("/v1/posts", content=b'{"id": 1}\n', headers=AUTH)
    m = client.get("/metrics")
    assert m.status_code == 200 and m.headers["content-type"].startswith("text/plain")
    t = m.text
    for name in ("veristream_posts_ingested_total", 'veristream_posts_rejected_total{via="api"}',
                 "veristream_freshness_lag_seconds", "veristream_ingest_backlog_posts",
                 "# TYPE veristream_trends_lag_seconds gauge", "# TYPE veristream_trends_pending_posts gauge",
                 'veristream_http_request_duration_seconds_bucket{le="0.05",method="GET",route="/v1/search",status="200"}'):
        assert name in t, name
    rejected = [x for x in t.splitlines() if x.startswith('veristream_posts_rejected_total{via="api"}')][0]
    assert float(rejected.split()[-1]) >= 1


def test_read_token_setting_and_cors(data: tuple[Engine, Path]) -> None:
    eng, _ = data
    with local_client(create_app(eng, settings(api_read_token_required=True), token=TOKEN)) as c:
        assert c.get("/healthz").status_code == 200  # liveness stays open
        for path in ("/v1/search", "/v1/events", "/v1/sources", "/metrics", "/v1/models"):
            assert c.get(path).status_code == 401, path
        assert c.get("/v1/search", headers=AUTH).status_code == 200
        assert c.get("/v1/search", params={"token": TOKEN}).status_code == 200
        assert c.post("/v1/ask", json={"question": "quake?", "stream": False}).status_code == 401
        assert c.get("/").status_code == 200  # the page itself asks for the token
    origin = {"Origin": "https://elsewhere.example"}
    with local_client(create_app(eng, settings(), token=TOKEN)) as c:
        r = c.get("/v1/search", headers=origin)
        assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    with local_client(create_app(eng, settings(api_cors_origins="https://elsewhere.example"), token=TOKEN)) as c:
        r = c.get("/v1/search", headers=origin)
        assert r.headers["access-control-allow-origin"] == "https://elsewhere.example"
        r = c.options("/v1/posts", headers={**origin, "Access-Control-Request-Method": "POST",
                                            "Access-Control-Request-Headers": "Authorization"})
        assert r.status_code == 200 and "POST" in r.headers["access-control-allow-methods"]
        assert c.get("/v1/search", headers={"Origin": "https://evil.example"}).headers.get(
            "access-control-allow-origin") is None


def test_token_generated_once_owner_only(tmp_path: Path) -> None:
    s = Settings.load(env={})
    t1 = load_or_create_token(tmp_path, s)
    assert t1.created and len(t1.value) >= 32 and t1.path == tmp_path / "api_token"
    assert stat.S_IMODE(os.stat(t1.path).st_mode) == 0o600
    t2 = load_or_create_token(tmp_path, s)
    assert not t2.created and t2.value == t1.value
    os.chmod(t1.path, 0o644)
    assert load_or_create_token(tmp_path, s).value == t1.value
    assert stat.S_IMODE(os.stat(t1.path).st_mode) == 0o600
    t3 = load_or_create_token(tmp_path / "other", Settings.load(env={"VERISTREAM_API_TOKEN": "from-env"}))
    assert (t3.value, t3.path, t3.created) == ("from-env", None, False)
    assert not (tmp_path / "other" / "api_token").exists()


def test_a_read_only_engine_serves_reads_and_refuses_writes(data: tuple[Engine, Path]) -> None:
    """A server beside the writing process (Engine(readonly=True)): search and answers work,
    storing and the live feed are refused with a clear 503."""
    _, d = data
    ro = Engine(d, settings(), readonly=True)
    try:
        with local_client(create_app(ro, token=TOKEN)) as c:
            assert c.get("/healthz").json()["readonly"] is True
            assert c.get("/v1/search", params={"q": "harlow"}).json()["hits"]
            assert c.post("/v1/ask", json={"question": "Harlow Bay?", "stream": False}).json()["citations"]
            r = c.post("/v1/posts", json={"id": "ro1", "text": "x", "created_at": "2026-01-15T12:00:00Z"}, headers=AUTH)
            assert r.status_code == 503 and "read-only" in err(r)["message"]
            r = c.get("/v1/stream")
            assert r.status_code == 503 and "read-only" in err(r)["message"]
    finally:
        ro.close()
