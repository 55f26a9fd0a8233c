"""Text in images, end to end (issue 18): a consumer of the accepted stream fetches each post's
images from a local HTTP image host (PNGs drawn here, in English and Japanese, and hostile
ones), reads them with tesseract, and the text joins the post's index document: searched
with its words, shown with it, cited by ask and counted by verify. The checkpoint is in the
store: a restart resumes. Skipped only when the tesseract binary is absent (`make test`
installs it)."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from conftest import mkpost
from media_server import ImageHost, blank_png, japanese_font, noise_png, text_png
from veristream import Engine, Media, Settings
from veristream.api.app import create_app
from veristream.cli import cli

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None,
                                reason="tesseract is not installed (make test installs Debian's tesseract-ocr)")

ROUTE9 = "Bridge closed on Route 9"


def settings(**kw: object) -> Settings:
    return Settings.load(env={}, vectors=False, media_allow_loopback=True, media_timeout_s=1.5,
                         media_max_bytes=300_000, media_max_pixels=4_000_000, media_per_host_per_s=1000.0, **kw)


def image_post(id: str, url: str, text: str = "", minutes: float = 0, author: str = "alice"):
    p = mkpost(id, text, minutes=minutes, author=author)
    p.media = [Media("photo", url)]
    return p


@pytest.fixture(scope="module")
def host() -> Iterator[ImageHost]:
    h = ImageHost()
    yield h
    h.close()


@pytest.fixture
def eng(tmp_path: Path) -> Iterator[Engine]:
    e = Engine(tmp_path / "data", settings())
    yield e
    e.close()


def test_a_post_that_is_only_an_image_is_found_by_its_text(eng: Engine, host: ImageHost, tmp_path: Path) -> None:
    url = host.put("route9.png", text_png(ROUTE9))
    eng.ingest([image_post("img", url), mkpost("words", "Traffic is slow on the interstate", minutes=1)])
    # Its own words (none) are searchable at once; the image text follows.
    assert eng.search("interstate").hits
    assert eng.media is not None and eng.media.wait(timeout=120)
    hits = eng.search("route 9").hits
    assert [h.post.id for h in hits] == ["img"]
    assert "Bridge closed on Route 9" in (hits[0].post.image_text or "")
    st = eng.media_status()
    assert st.enabled and st.pending == 0 and st.images == 1 and st.posts_with_text == 1
    # Stats and metrics show the consumer.
    assert eng.stats().to_dict()["media"]["pending"] == 0
    with TestClient(create_app(eng, settings()), base_url="http://127.0.0.1") as c:
        r = c.get("/v1/search", params={"q": "route 9"})
        assert r.json()["hits"][0]["image_text"].startswith("Bridge closed")
        m = c.get("/metrics").text
        assert "veristream_media_pending_posts 0.0" in m and "veristream_media_images_read_total 1.0" in m
    # The index can be rebuilt from the store: the image text is kept beside the post.
    eng.core.reindex()
    assert [h.post.id for h in eng.search("route 9").hits] == ["img"]


def test_images_among_many_posts_without_are_all_read(eng: Engine, host: ImageHost) -> None:
    """Past start-up the consumer reads only the posts the writer reported with images: those
    scattered over batches of posts without, and one removed before it was read, all come out
    right, and the consumer ends caught up with the store."""
    urls = [host.put(f"sign{i}.png", text_png(f"Shelter open at gate {n}")) for i, n in enumerate((4, 7, 9))]
    plain = [mkpost(f"p{i}", f"ordinary words number {i}", minutes=i / 100) for i in range(300)]
    for k, (i, url) in enumerate(zip((10, 150, 290), urls)):
        plain[i] = image_post(f"img{k}", url, minutes=i / 100)
    gone = image_post("gone", host.put("gone.png", text_png("Do not read me")), minutes=4)
    for chunk in (plain[:100], plain[100:200], plain[200:] + [gone]):
        eng.ingest(chunk)
    eng.delete([gone.key])
    assert eng.media is not None and eng.media.wait(timeout=120)
    for k, n in enumerate((4, 7, 9)):
        assert [h.post.id for h in eng.search(f"gate {n}").hits] == [f"img{k}"]
    st = eng.media_status()
    assert st.pending == 0 and st.posts_with_text == 3 and st.done_seq >= eng.core.store.cursor().seq - 1


def test_cli_shows_text_in_image(tmp_path: Path, host: ImageHost) -> None:
    d = tmp_path / "data"
    e = Engine(d, settings())
    try:
        e.ingest([image_post("img", host.put("route9b.png", text_png(ROUTE9)))])
        assert e.media.wait(timeout=120)
    finally:
        e.close()
    out = CliRunner().invoke(cli, ["--data-dir", str(d), "search", "route 9"], catch_exceptions=False)
    assert "text in image: Bridge closed on Route 9" in out.output
    out = CliRunner().invoke(cli, ["--data-dir", str(d), "search", "route 9", "--json"], catch_exceptions=False)
    assert json.loads(out.output.splitlines()[0])["image_text"].startswith("Bridge closed")
    out = CliRunner().invoke(cli, ["--data-dir", str(d), "stats", "--json"], catch_exceptions=False)
    assert json.loads(out.output)["media"]["pending"] == 0


def test_japanese_image_text_is_searchable(eng: Engine, host: ImageHost) -> None:
    font = japanese_font()
    if font is None:
        pytest.skip("no Japanese font to draw with (Debian fonts-ipafont-gothic; make test installs it)")
    eng.ingest([image_post("ja", host.put("ja.png", text_png("京都で大雨警報が発表されました", font)))])
    assert eng.media.wait(timeout=120)
    assert [h.post.id for h in eng.search("大雨警報").hits] == ["ja"]


def test_hostile_images_are_counted_and_never_block_ingest(eng: Engine, host: ImageHost) -> None:
    posts = [image_post("big", host.put("big.png", noise_png(800, 800))),
             image_post("bomb", host.put("bomb.png", blank_png(6000, 6000))),
             image_post("fake", host.put("fake.png", b"<html>not an image</html>")),
             image_post("slow", host.url("slow.png")),
             image_post("private", "http://10.1.2.3/secret.png"),
             image_post("script", "javascript:alert(1)")]
    eng.ingest(posts)
    eng.ingest([mkpost("after", "Ingest goes on while images fail", minutes=2)])
    assert eng.search("ingest goes on").hits  # searchable at once, whatever the images do
    assert eng.media.wait(timeout=120)
    failed = eng.media_status().failed
    for reason in ("too_large", "too_many_pixels", "not_image", "timeout", "not_public", "bad_url"):
        assert failed.get(reason) == 1, (reason, failed)
    # Hostile ones are quarantined with a reason naming the image.
    lines = [json.loads(x) for x in (eng.data_dir / "quarantine.jsonl").read_text().splitlines()]
    reasons = " ".join(x["reason"] for x in lines if x["input"] == "media")
    assert "big.png" in reasons and "10.1.2.3" in reasons and "too_many_pixels" in reasons


def test_restart_resumes_after_the_checkpoint(tmp_path: Path, host: ImageHost) -> None:
    d = tmp_path / "data"
    e = Engine(d, settings())
    e.ingest([image_post("a", host.put("a.png", text_png("Shelter open at Lincoln School")))])
    assert e.media.wait(timeout=120)
    e.close()
    before = host.hits.get("a.png", 0)
    e = Engine(d, settings())
    try:
        e.ingest([image_post("b", host.put("b.png", text_png("Water main break on Elm Street")), minutes=1)])
        assert e.media.wait(timeout=120)
        assert host.hits.get("a.png", 0) == before  # not fetched again
        assert e.media_status().images == 1
        assert [h.post.id for h in e.search("lincoln school").hits] == ["a"]
        assert [h.post.id for h in e.search("elm street").hits] == ["b"]
    finally:
        e.close()


def test_ocr_off_without_its_models_is_one_notice(tmp_path: Path) -> None:
    e = Engine(tmp_path / "data", settings(media_languages="eng+zzz"))
    try:
        assert e.media is None and "zzz" in (e.media_notice or "")
        e.ingest([mkpost("x", "still ingesting")])
        assert e.search("ingesting").hits
        assert e.media_status().enabled is False
    finally:
        e.close()


def test_ask_cites_and_verify_counts_the_image(eng: Engine, host: ImageHost) -> None:
    url = host.put("route9c.png", text_png(ROUTE9))
    eng.ingest([image_post("img", url, author="dot_transport"),
                mkpost("other", "Heavy traffic downtown this morning", minutes=1, author="bob")])
    assert eng.media.wait(timeout=120)
    ans = eng.ask("Is Route 9 closed?", composer="extractive")
    assert ans.citations and ans.citations[0].post_id == "file:img", ans.text
    assert "In an image attached to [1]" in ans.text and "Bridge closed on Route 9" in ans.text, ans.text
    assert ans.citations[0].attached[0] == ("image", "Bridge closed on Route 9")
    assert ans.to_dict()["citations"][0]["attached"][0]["kind"] == "image"
    d = eng.verify("The bridge on Route 9 is closed", record=False, judge=False).to_dict()
    found = [e for e in d["evidence_for"] if e["key"] == "file:img"]
    assert found and found[0]["counted"], d
    assert found[0]["attached"][0] == {"kind": "image", "text": "Bridge closed on Route 9"}


def test_an_edited_post_has_its_new_image_read(eng: Engine, host: ImageHost) -> None:
    p = image_post("e", host.put("before.png", text_png("Shelter open at Lincoln School")))
    eng.ingest([p])
    assert eng.media.wait(timeout=120)
    assert [h.post.id for h in eng.search("lincoln school").hits] == ["e"]
    edited = image_post("e", host.put("after.png", text_png("Shelter moved to Jefferson Hall")))
    edited.edited_at = edited.created_at + timedelta(minutes=5)
    eng.ingest([edited])
    assert eng.media.wait(timeout=120)  # the edit's images are read again in the background
    assert [h.post.id for h in eng.search("jefferson hall").hits] == ["e"]
    assert eng.search("lincoln school").hits == []  # the old image's text is gone with it
