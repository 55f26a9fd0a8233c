"""The web page end to end, in Debian's headless Chromium driven by Playwright, against a real
server on loopback: it loads, a post ingested through the API appears in the live feed, an
asked question streams a cited answer whose citation opens its post, the verify view shows
what /v1/verify says, and posts full of script payloads execute nothing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx2
import orjson
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from api_server import Served
from conftest import mkpost
from veristream import Engine, Settings

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]

FIRE = [("f1", 0, "firecrew", "Cedar Ridge wildfire: evacuation ordered for Pine Hollow, crews on the north flank"),
        ("f2", 3, "county", "Cedar Ridge wildfire now 40 percent contained, evacuation centre open at the school"),
        ("f3", 5, "kim", "Smoke from the Cedar Ridge wildfire everywhere; the school is an evacuation centre")]

PAYLOAD = ('<script>window.__xss=1</script><img src=x onerror="window.__xss=2;alert(2)">'
           '<svg onload="window.__xss=3"></svg><b>Harlow lighthouse</b> "\'><iframe src=javascript:alert(4)>')


def chromium() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if path is None:
        pytest.fail("Debian's chromium is needed for the browser test (apt-get install chromium; `make test` does it)")
    return path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    eng = Engine(tmp_path_factory.mktemp("web") / "data", Settings.load(env={}, vectors=False))
    eng.ingest([mkpost(i, t, minutes=m, author=a) for i, m, a, t in FIRE])
    try:
        with Served(eng) as s:
            yield s
    finally:
        eng.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Watch:
    """What the page did that it must not: dialogs, script errors, console errors."""

    def __init__(self, page: Page):
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)


@pytest.fixture
def page(browser: Browser, served: Served) -> Iterator[tuple[Page, Watch]]:
    ctx = browser.new_context()
    pg = ctx.new_page()
    watch = Watch(pg)
    pg.goto(served.url + "/")
    expect(pg.locator("#feed-state")).to_have_attribute("data-state", "live", timeout=15000)
    yield pg, watch
    ctx.close()


def ingest(s: Served, *posts: dict) -> None:
    r = httpx2.post(s.url + "/v1/posts", content=b"\n".join(orjson.dumps(p) for p in posts), headers=s.auth, timeout=30)
    assert r.status_code == 200 and r.json()["accepted"] == len(posts), r.text


def test_page_loads_and_a_post_ingested_through_the_api_appears_live(page: tuple[Page, Watch], served: Served,
                                                                      tmp_path: Path) -> None:
    pg, watch = page
    expect(pg.locator("h1")).to_have_text("veristream")
    expect(pg.locator("#feed .post")).to_have_count(3)  # the recent posts, on opening
    expect(pg.locator("#sources")).to_contain_text("no live source")
    ingest(served, {"id": "live1", "text": "Pine Hollow road reopened after the Cedar Ridge wildfire",
                    "created_at": "2026-01-15T12:20:00Z", "author": "roads"})
    first = pg.locator("#feed .post").first
    expect(first).to_contain_text("Pine Hollow road reopened", timeout=10000)
    expect(first).to_contain_text("@roads")
    # The filter: a new stream with only matching posts.
    pg.fill("#feed-q", "school")
    pg.click("#feed-form button")
    expect(pg.locator("#feed-state")).to_contain_text("school")
    expect(pg.locator("#feed .post")).to_have_count(2)
    pg.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    assert not watch.dialogs and not watch.errors, (watch.dialogs, watch.errors)


def test_ask_streams_a_cited_answer_and_a_citation_opens_its_post(page: tuple[Page, Watch]) -> None:
    pg, watch = page
    pg.fill("#ask-q", "What is happening with the Cedar Ridge wildfire evacuation?")
    pg.click("#ask-form button")
    answer = pg.locator("#answer")
    expect(answer).to_have_attribute("data-state", "done", timeout=20000)
    assert int(answer.get_attribute("data-chunks")) >= 1  # it came in pieces, as streamed
    cites = pg.locator("#citations li")
    assert cites.count() >= 1
    expect(pg.locator("#answer-meta")).to_contain_text("as of 2026-01-15")
    marker = answer.locator("button.cite").first
    expect(marker).to_have_text("[1]")
    cited_key = cites.first.get_attribute("data-post")
    cited_text = next(t for i, _, _, t in FIRE if f"file:{i}" == cited_key)
    marker.click()
    dialog = pg.locator("#post-view")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".post-text")).to_have_text(cited_text)
    assert not watch.dialogs and not watch.errors, (watch.dialogs, watch.errors)


def test_hostile_posts_render_as_text_and_execute_nothing(page: tuple[Page, Watch], served: Served) -> None:
    pg, watch = page
    ingest(served, {"id": "evil1", "text": PAYLOAD, "created_at": "2026-01-15T12:30:00Z", "lang": "en",
                    "author": {"id": "e1", "handle": "\"><img src=x onerror=window.__xss=5>",
                               "name": "<script>window.__xss=6</script>"},
                    "url": "javascript:window.__xss=7", "urls": ["javascript:alert(8)"],
                    "hashtags": ["<img src=x onerror=alert(9)>"],
                    "media": [{"kind": "photo", "url": "javascript:alert(10)",
                               "alt": "<img src=x onerror=alert(11)>"}]})
    item = pg.locator("#feed .post").first
    expect(item).to_contain_text("<script>window.__xss=1</script>", timeout=10000)
    expect(item).to_contain_text('<img src=x onerror="window.__xss=2;alert(2)">')
    expect(item).to_contain_text("<script>window.__xss=6</script>")
    item.click()  # the post view: text, and no link made of the javascript: URL
    expect(pg.locator("#post-view .post-text")).to_have_text(PAYLOAD)
    pg.click("#post-view-close")
    # Ask about it: the answer quotes it, and still as text.
    pg.fill("#ask-q", "harlow lighthouse")
    pg.click("#ask-form button")
    expect(pg.locator("#answer")).to_have_attribute("data-state", "done", timeout=20000)
    expect(pg.locator("#citations")).to_contain_text("<script>")
    pg.wait_for_timeout(300)  # room for any onerror/onload to have fired
    assert pg.evaluate("window.__xss") is None
    for sel in ("main img", "main script", "main iframe", "#feed svg", "#answer svg", "#citations img",
                "a[href^='javascript']", "#post-view img"):
        assert pg.locator(sel).count() == 0, sel
    assert not watch.dialogs, watch.dialogs
    assert not watch.errors, watch.errors


def test_verify_view_shows_what_the_api_says(page: tuple[Page, Watch], tmp_path: Path) -> None:
    pg, watch = page
    pg.fill("#verify-q", "The Pine Hollow evacuation was ordered")
    pg.click("#verify-form button")
    verdict = pg.locator("#verdict")
    expect(verdict).to_have_attribute("data-state", "done", timeout=60000)
    text = verdict.inner_text()
    # Read at a glance: the verdict word and its confidence, a row per detail of the claim with
    # both sides, the columns and the reasons; no field names of the JSON as labels.
    assert pg.locator("#verdict .verdict").inner_text() in ("Supported", "Refuted", "Contested", "Unverified")
    assert "confidence" in pg.locator("#verdict .verdict-head").inner_text()
    row = pg.locator("#verdict tr.detail").filter(has_text="Pine Hollow")
    expect(row).to_have_count(1)
    assert "Place" in row.inner_text() and "post" in row.inner_text()  # the stream's side, with its posts
    assert "For" in text and "Against" in text and "Why" in text
    for raw in ("evidence_for", "stance_confidence", "raw_confidence", "notes_available", "{"):
        assert raw not in text, raw
    pg.screenshot(path=str(tmp_path / "verify.png"), full_page=True)
    assert (tmp_path / "verify.png").stat().st_size > 1000
    assert not watch.dialogs
