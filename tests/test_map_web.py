"""The page's map in Debian's headless Chromium (issue 18 item 5): posts with a place appear as
points over the country outlines, live, and a hostile post's text is only a <title>'s text."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import orjson
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from api_server import Served
from conftest import mkpost
from test_web import CHROMIUM_ARGS, chromium
from veristream import Engine, Settings


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    eng = Engine(tmp_path_factory.mktemp("map") / "data", Settings.load(env={}, vectors=False, media_enabled=False))
    eng.ingest([mkpost("k1", "Severe flooding in Kyoto this morning"), mkpost("n1", "No place in this post", minutes=1)])
    try:
        with Served(eng) as s:
            yield s
    finally:
        eng.close()


@pytest.fixture
def page(served: Served) -> Iterator[Page]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        pg = b.new_context().new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(served.url + "/")
        yield pg
        assert not errors, errors
        b.close()


def test_posts_with_places_are_points_on_the_map(page: Page, served: Served) -> None:
    dots = page.locator("#map-points circle.post-dot")
    expect(dots).to_have_count(1, timeout=15000)
    x = float(dots.first.get_attribute("cx"))
    assert 835 < x < 850  # Kyoto's 135.77°E on a 960-wide equirectangular map
    payload = '<img src=x onerror="window.__xss=1">Flooding in Paris, Texas'
    r = httpx2.post(served.url + "/v1/posts", content=orjson.dumps({"id": "p1", "text": payload,
                    "created_at": "2026-01-15T12:30:00Z", "author": "tx"}), headers=served.auth, timeout=30)
    assert r.status_code == 200
    expect(dots).to_have_count(2, timeout=20000)  # refreshed live
    assert page.evaluate("window.__xss") is None
    assert page.locator("#map-points img").count() == 0
    assert "Paris, TX, US" in page.locator("#map-points").inner_html()
