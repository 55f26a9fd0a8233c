"""Alt text and link cards (issue 18): read by the readers, stored, searched with the post's
words at once, `--domain`; an index of the previous schema is rebuilt on start-up."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import orjson
from click.testing import CliRunner
from fastapi.testclient import TestClient

from veristream import Engine, Settings
from veristream.api.app import create_app
from veristream.cli import cli
from veristream.model import Card
from veristream.readers import parse_obj

from conftest import mkpost
from test_readers import JS_CREATE, X_FULL


def _settings() -> Settings:
    return Settings.load(env={}, vectors=False)


def _bluesky_external() -> dict:
    msg = copy.deepcopy(JS_CREATE)
    msg["commit"]["record"] = {
        "$type": "app.bsky.feed.post", "createdAt": "2026-01-15T12:00:00Z", "text": "read this", "langs": ["en"],
        "embed": {"$type": "app.bsky.embed.external", "external": {
            "uri": "https://news.bbc.co.uk/weather/123", "title": "Levee breach upstream of Greenville",
            "description": "Residents downstream are told to move to higher ground"}},
    }
    return msg


def _bluesky_images() -> dict:
    msg = copy.deepcopy(JS_CREATE)
    msg["commit"]["rkey"] = "3kimages"
    msg["commit"]["record"] = {
        "$type": "app.bsky.feed.post", "createdAt": "2026-01-15T12:01:00Z", "text": "", "langs": ["en"],
        "embed": {"$type": "app.bsky.embed.images", "images": [
            {"alt": "A sandbag wall holding back the water on Harbor Street",
             "image": {"$type": "blob", "ref": {"$link": "bafkimg"}, "mimeType": "image/jpeg", "size": 1}}]},
    }
    return msg


def _mastodon_card() -> dict:
    return {"id": "1101", "uri": "https://mastodon.example/users/ana/statuses/1101", "created_at": "2026-01-15T12:02:00Z",
            "content": "<p>Official update</p>", "language": "en",
            "account": {"id": "9", "acct": "ana@mastodon.example", "username": "ana"},
            "media_attachments": [{"id": "m1", "type": "image", "url": "https://files.example/a.png",
                                   "description": "Map of the evacuation zone around Millbrook"}],
            "card": {"url": "https://www.county.example/alerts/7", "title": "Boil-water notice",
                     "description": "Tap water in Millbrook must be boiled", "type": "link"}}


def _x_with_card() -> dict:
    msg = copy.deepcopy(X_FULL)
    msg["data"]["id"] = "1346889436626259999"
    u = msg["data"]["entities"]["urls"][0]
    u["title"] = "Marathon route changes"
    u["description"] = "Streets closed around Copley Square"
    return msg


def test_readers_give_alt_text_and_cards() -> None:
    p = parse_obj(_bluesky_external())
    assert p.cards == [Card("https://news.bbc.co.uk/weather/123", "Levee breach upstream of Greenville",
                            "Residents downstream are told to move to higher ground")]
    assert p.cards[0].domain == "news.bbc.co.uk"
    p = parse_obj(_bluesky_images())
    assert p.media[0].alt.startswith("A sandbag wall")
    p = parse_obj(_mastodon_card())
    assert p.cards == [Card("https://www.county.example/alerts/7", "Boil-water notice",
                            "Tap water in Millbrook must be boiled")]
    assert p.media[0].alt == "Map of the evacuation zone around Millbrook"
    p = parse_obj(_x_with_card())
    assert p.cards == [Card("https://www.boston.gov/news/marathon", "Marathon route changes",
                            "Streets closed around Copley Square")]
    assert p.media[0].alt == "Smoke rising over Boylston Street"
    # X links without a title are links, not cards.
    assert parse_obj(X_FULL).cards == []


def test_cards_round_trip_and_old_documents_unchanged() -> None:
    p = parse_obj(_mastodon_card())
    d = p.to_dict()
    assert d["cards"][0]["title"] == "Boil-water notice"
    again = parse_obj(orjson.loads(orjson.dumps(d)))
    assert again.cards == p.cards
    # A post without cards serialises as before (stored digests stay what they were).
    assert "cards" not in mkpost("1", "plain").to_dict() and "image_text" not in mkpost("1", "plain").to_dict()


def test_hostile_cards_are_bounded_or_dropped() -> None:
    msg = _mastodon_card()
    msg["card"] = {"url": "javascript:alert(1)", "title": "x" * 10_000}
    assert parse_obj(msg).cards == []
    msg["card"] = {"url": "https://e.example/", "title": "t" * 10_000, "description": "d" * 10_000}
    c = parse_obj(msg).cards[0]
    assert len(c.title) == 300 and len(c.description) == 1000
    line = {"id": "9", "text": "x", "created_at": "2026-01-15T12:00:00Z",
            "cards": [{"url": "https://a.example/", "title": 5}]}
    try:
        parse_obj(line)
    except ValueError as e:
        assert "cards.title" in str(e)
    else:
        raise AssertionError("a card title that is not a string must be rejected")


def _ingest_all(eng: Engine) -> None:
    eng.ingest([parse_obj(m) for m in (_bluesky_external(), _bluesky_images(), _mastodon_card(), _x_with_card())])
    eng.ingest([mkpost("plain", "Water levels rising near the levee", minutes=5)])


def test_alt_text_and_cards_are_searched_at_once_and_domain_filters(tmp_path: Path) -> None:
    eng = Engine(tmp_path / "d", _settings())
    try:
        _ingest_all(eng)
        keys = lambda res: [h.post.key for h in res.hits]  # noqa: E731
        assert keys(eng.search("sandbag harbor")) == ["bluesky:at://did:plc:eygmaihciaxprqvxpfvl6flk/app.bsky.feed.post/3kimages"]
        assert [h.post.source for h in eng.search("levee breach").hits] == ["bluesky"]
        assert [h.post.source for h in eng.search("boil water millbrook").hits] == ["mastodon"]
        assert [h.post.source for h in eng.search("copley").hits] == ["x"]
        # A word of the post and a word of its card, together.
        assert [h.post.source for h in eng.search("official boil").hits] == ["mastodon"]
        assert [h.post.source for h in eng.search("", domain="bbc.co.uk").hits] == ["bluesky"]
        assert [h.post.source for h in eng.search("", domain="https://www.county.example/x").hits] == ["mastodon"]
        assert [h.post.source for h in eng.search("", domain="boston.gov").hits] == ["x"]
        assert eng.search("", domain="example.org").hits == []
        hit = eng.search("levee breach").hits[0]
        assert hit.post.cards[0].title == "Levee breach upstream of Greenville"
    finally:
        eng.close()


def test_cli_and_api_domain_and_json(tmp_path: Path) -> None:
    d = tmp_path / "d"
    eng = Engine(d, _settings())
    try:
        _ingest_all(eng)
        with TestClient(create_app(eng, _settings()), base_url="http://127.0.0.1") as c:
            r = c.get("/v1/search", params={"domain": "county.example"})
            assert r.status_code == 200, r.text
            hits = r.json()["hits"]
            assert [h["source"] for h in hits] == ["mastodon"]
            assert hits[0]["cards"][0]["title"] == "Boil-water notice"
            r = c.get("/v1/search", params={"near": "not,a,circle"})
            assert r.status_code == 400 and r.json()["error"]["param"] == "near"
    finally:
        eng.close()
    out = CliRunner().invoke(cli, ["--data-dir", str(d), "search", "--domain", "bbc.co.uk"], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    assert "link card (news.bbc.co.uk): Levee breach upstream of Greenville" in out.output
    out = CliRunner().invoke(cli, ["--data-dir", str(d), "search", "sandbag", "--json"], catch_exceptions=False)
    row = json.loads(out.output.splitlines()[0])
    assert row["media"][0]["alt"].startswith("A sandbag wall")


def test_index_of_the_previous_schema_is_rebuilt_on_start(tmp_path: Path) -> None:
    d = tmp_path / "d"
    eng = Engine(d, _settings())
    _ingest_all(eng)
    eng.close()
    # What an index written before cards existed looks like to this version: another schema.
    (d / "index" / "version").write_text("4")
    eng = Engine(d, _settings())
    try:
        assert eng.core.repaired >= 5
        assert [h.post.source for h in eng.search("copley").hits] == ["x"]
        assert [h.post.source for h in eng.search("", domain="bbc.co.uk").hits] == ["bluesky"]
    finally:
        eng.close()
