"""Fetching images is hostile ground (issue 18): every refusal is counted with a reason naming
the URL, before anything is decoded. A local HTTP image host is the only server contacted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from media_server import ImageHost, blank_png, noise_png, text_png
from veristream.media.fetch import FetchError, Fetcher, HostRate, Limits


@pytest.fixture(scope="module")
def host() -> Iterator[ImageHost]:
    h = ImageHost()
    yield h
    h.close()


def fetcher(**kw: object) -> Fetcher:
    limits = {"max_bytes": 300_000, "max_pixels": 4_000_000, "timeout_s": 1.5, "allow_loopback": True, **kw}
    return Fetcher(Limits(**limits))  # type: ignore[arg-type]


def refused(f: Fetcher, url: str) -> FetchError:
    with pytest.raises(FetchError) as e:
        f.fetch(url)
    assert url[:60] in str(e.value) or "resolve" in str(e.value), str(e.value)
    return e.value


def test_an_image_is_fetched_with_its_size_known_before_decoding(host: ImageHost) -> None:
    got = fetcher().fetch(host.put("ok.png", text_png("Bridge closed on Route 9")))
    assert got.content_type == "image/png" and got.image.size[0] > 100
    got = fetcher().fetch(host.url("redirect/ok.png"))  # a redirect is followed, and checked again
    assert got.url.endswith("/ok.png")


def test_hostile_images_are_refused_with_a_reason(host: ImageHost) -> None:
    f = fetcher()
    assert refused(f, host.put("big.png", noise_png(800, 800))).reason == "too_large"  # Content-Length
    assert refused(f, host.url("nolength.png")).reason == "too_large"  # counted while reading
    assert refused(f, host.put("bomb.png", blank_png(6000, 6000))).reason == "too_many_pixels"
    assert refused(f, host.put("fake.png", b"<html><script>alert(1)</script></html>")).reason == "not_image"
    assert refused(f, host.put("page.html", b"<html></html>", "text/html")).reason == "content_type"
    assert refused(f, host.url("missing.png")).reason == "http_status"
    assert refused(f, host.url("slow.png")).reason == "timeout"  # a trickle: the whole fetch has a deadline


def test_only_public_addresses_by_default(host: ImageHost) -> None:
    strict = fetcher(allow_loopback=False)
    assert refused(strict, host.put("ok2.png", text_png("x"))).reason == "not_public"
    for url in ("http://10.0.0.1/a.png", "http://169.254.169.254/latest/meta-data", "http://[::1]/a.png",
                "http://192.168.1.1/a.png", "http://0.0.0.0/a.png"):
        assert refused(strict, url).reason == "not_public"
    # Even with loopback allowed, private and link-local addresses are not.
    assert refused(fetcher(), "http://10.0.0.1/a.png").reason == "not_public"
    for url in ("file:///etc/passwd", "ftp://example.org/a.png", "http://user:pw@127.0.0.1/a.png", "gopher://x/"):
        assert refused(fetcher(), url).reason == "bad_url"


def test_per_host_rate_spaces_fetches_to_one_host_only() -> None:
    rate = HostRate(per_s=20.0)
    assert rate.wait("a.example") == 0.0
    # The second fetch to the same host is given the next slot (what it was told to wait, not a
    # measured time); another host's turn has come.
    assert rate.wait("a.example") > 0.02
    assert rate.wait("b.example") == 0.0
