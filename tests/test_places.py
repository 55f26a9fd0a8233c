"""Places (issue 18): from the service (coordinates, X places) or from the words, resolved with
a gazetteer that ships in a package, disambiguated by context and population, with a
confidence; filters --place and --near; events and trends know where."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from conftest import mkpost
from test_readers import X_FULL
from veristream import Engine, Geo, Settings
from veristream.api.app import create_app
from veristream.cli import cli
from veristream.places import distance_km, parse_near, resolve_post, resolve_text
from veristream.readers import parse_obj

KYOTO = (35.0116, 135.7681)
TOKYO = (35.6895, 139.6917)


def settings() -> Settings:
    return Settings.load(env={}, vectors=False, media_enabled=False)


def best(text: str):
    found = resolve_text(text)
    return found[0] if found else None


def test_kyoto_is_kyoto_not_tokyo() -> None:
    p = best("Severe flooding in Kyoto this morning, trains stopped")
    assert p is not None and p.name == "Kyoto" and p.country == "JP" and p.confidence >= 0.9
    assert distance_km(p.lat, p.lon, *KYOTO) < 20 and distance_km(p.lat, p.lon, *TOKYO) > 300
    assert best("京都で大雨、鴨川が増水").name == "Kyoto"
    assert best("東京都で震度5弱").name == "Tokyo"  # 東京都 holds 京都: the longest name wins


def test_paris_texas_is_not_in_france() -> None:
    p = best("Tornado damage in Paris, Texas tonight")
    assert (p.name, p.country, p.admin1) == ("Paris", "US", "TX") and p.confidence >= 0.9
    assert best("Paris, TX: shelters open").country == "US"
    p = best("Huge protest in Paris tonight")
    assert p.country == "FR"  # alone, the largest Paris
    assert best("Storm warning for Portland, Oregon").admin1 == "OR"
    assert best("Shooting reported in Nice, France").country == "FR"


def test_context_and_common_words() -> None:
    # Other places in the post pull an ambiguous name to their country.
    assert best("Flooding in Valencia and Maracay").country == "VE"
    assert resolve_text("Mobile phones are down everywhere") == []
    assert resolve_text("Nice weather today") == []
    # A bare capitalised word that is also an everyday word is a town only with low confidence.
    weak = best("Reading the news about the storm")
    assert weak is None or weak.confidence < 0.35


def test_service_place_wins_over_the_words() -> None:
    p = parse_obj(X_FULL)  # X geo: coordinates and the place "Boston, MA"
    pl = resolve_post(p)
    assert pl.source == "service" and pl.confidence == 1.0 and pl.name == "Boston" and pl.country == "US"
    msg = copy.deepcopy(X_FULL)
    del msg["data"]["geo"]["coordinates"]  # a place without coordinates: its bbox centre
    pl = resolve_post(parse_obj(msg))
    assert pl.source == "service" and abs(pl.lat - 42.31) < 0.1
    q = mkpost("q", "Flooding in Kyoto")
    q.geo = Geo(lat=48.8566, lon=2.3522)  # coordinates beat the words
    assert resolve_post(q).source == "service" and resolve_post(q).name == "Paris"  # the nearest city names it
    assert distance_km(resolve_post(q).lat, resolve_post(q).lon, 48.8566, 2.3522) < 1


def test_parse_near_rejects_nonsense() -> None:
    assert parse_near("35.0, 135.7, 50") == (35.0, 135.7, 50.0)
    for bad in ("1,2", "a,b,c", "95,0,10", "0,0,-1", "nan,0,1", "0,200,5"):
        with pytest.raises(ValueError):
            parse_near(bad)


POSTS = [
    ("k1", "Severe flooding in Kyoto, the Kamo river is over its banks", 0, "a1"),
    ("k2", "Flooding in Kyoto: Gion streets under water", 1, "a2"),
    ("k3", "京都で大雨、川が氾濫しそう", 2, "a3"),
    ("t1", "Flooding in Tokyo subway stations reported", 3, "a4"),
    ("p1", "Flooding in Paris, Texas after the storm", 4, "a5"),
    ("p2", "Flooding along the Seine in Paris", 5, "a6"),
    ("x1", "Flooding is a problem everywhere", 6, "a7"),
]


@pytest.fixture
def eng(tmp_path: Path):
    e = Engine(tmp_path / "data", settings())
    e.ingest([mkpost(i, t, minutes=m, author=a, lang="ja" if i == "k3" else "en") for i, t, m, a in POSTS])
    yield e
    e.close()


def ids(res) -> set[str]:
    return {h.post.id for h in res.hits}


def test_place_and_near_filters(eng: Engine) -> None:
    assert ids(eng.search("flooding", place="Kyoto", all_posts=True)) == {"k1", "k2"}
    assert ids(eng.search("", place="Kyoto", all_posts=True)) == {"k1", "k2", "k3"}
    assert ids(eng.search("", near=(*KYOTO, 30), all_posts=True)) == {"k1", "k2", "k3"}
    assert ids(eng.search("", near=(*TOKYO, 30), all_posts=True)) == {"t1"}
    assert ids(eng.search("", place="Japan", all_posts=True)) == {"k1", "k2", "k3", "t1"}
    assert ids(eng.search("", place="Texas", all_posts=True)) == {"p1"}
    assert ids(eng.search("", place="France", all_posts=True)) == {"p2"}
    hit = eng.search("Gion").hits[0]
    assert hit.place.name == "Kyoto" and hit.place.source == "text"


def test_cli_and_api_place_filters(eng: Engine) -> None:
    d = eng.data_dir
    with TestClient(create_app(eng, settings()), base_url="http://127.0.0.1") as c:
        r = c.get("/v1/search", params={"near": "35.01,135.77,30", "all": "true"})
        assert {h["id"] for h in r.json()["hits"]} == {"k1", "k2", "k3"}
        assert r.json()["hits"][0]["place"]["name"] == "Kyoto"
        r = c.get("/v1/search", params={"place": "texas"})
        assert [h["id"] for h in r.json()["hits"]] == ["p1"]
    eng.close()
    out = CliRunner().invoke(cli, ["--data-dir", str(d), "search", "--place", "Kyoto", "--all", "--json"],
                             catch_exceptions=False)
    assert {json.loads(x)["id"] for x in out.output.splitlines()} == {"k1", "k2", "k3"}
    out = CliRunner().invoke(cli, ["--data-dir", str(d), "search", "flooding", "--near", "35.69,139.69,20"],
                             catch_exceptions=False)
    assert "place: Tokyo, JP (text" in out.output
    out = CliRunner().invoke(cli, ["--data-dir", str(d), "search", "--near", "1,2"])
    assert out.exit_code == 2 and "LAT,LON,RADIUS_KM" in out.output


def test_events_carry_where_they_happen_and_trends_near(tmp_path: Path) -> None:
    from test_trends import Stream, feed
    from test_trends import settings as trend_settings

    s = Stream(200)
    s.burst("kyoto", ["flooding", "in Kyoto", "river", "rescue boats"], at=180, authors=30)
    e = Engine(tmp_path / "d", trend_settings(media_enabled=False))
    try:
        feed(e, s.sorted())
        evs = e.events()
        assert len(evs) == 1 and "flooding" in " ".join(evs[0].terms)
        assert list(evs[0].places)[0] == "Kyoto, JP" and evs[0].places["Kyoto, JP"] >= 10
        near_kyoto = {t.term for t in e.trends("1h", near=(*KYOTO, 50))}
        assert "flooding" in near_kyoto
        assert not {t.term for t in e.trends("1h", near=(*TOKYO, 50))}
    finally:
        e.close()


def test_map_endpoint_and_base_map(eng: Engine) -> None:
    with TestClient(create_app(eng, settings()), base_url="http://127.0.0.1") as c:
        r = c.get("/v1/map")
        assert r.status_code == 200, r.text
        posts = {p["key"]: p for p in r.json()["posts"]}
        assert posts["file:k1"]["place"] == "Kyoto, JP" and abs(posts["file:k1"]["lat"] - KYOTO[0]) < 0.2
        assert "file:x1" not in posts  # no place: not on the map
        svg = c.get("/map/world.svg")
        assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
        assert svg.text.startswith("<svg") and "<title>Japan</title>" in svg.text and "<script" not in svg.text
        page = c.get("/").text
        assert "/static/map.js" in page and 'id="map-points"' in page
        assert c.get("/static/map.js").status_code == 200
