#!/usr/bin/env python
"""Media benchmark (issue 18): OCR speed and accuracy, the media consumer's lag at a given
image rate, what ingest loses with the consumer on, and place resolution accuracy.

    python bench/media.py                       # the defaults below, a few minutes on 2 cores
    python bench/media.py --rate 20 --seconds 15 --ingest 20000

Images are PNGs drawn here with Pillow (DejaVu Sans for English, IPA Gothic for Japanese:
Debian fonts-ipafont-gothic) and served by a local HTTP server on loopback, as the media
tests do; nothing else is contacted. Phases:

1. `ocr_images_per_s`: `--ocr-images` images (English and Japanese alternating) read one
   after another by one tesseract process at a time (per core); `ocr_word_accuracy_en` /
   `_ja`: the share of each image's words (Japanese: MeCab/ipadic tokens) that the reading
   has, in order (difflib's longest matching blocks over tokens), over all images.
2. `media_lag_p50_s` / `media_lag_p99_s`: posts with one image each ingested at `--rate`
   images/s for `--seconds` (with plain posts between them), the consumer running with
   `--workers` threads; the delay of each image post from its acceptance to its image text
   being searchable (the consumer's own measurement, wall clock), until every image is read.
3. `ingest_ratio_with_media`: `--ingest` demo-stream posts, 1 % of them with an image on the
   local server, ingested at full speed in batches of 500 with the consumer off, then on,
   three times over (fresh data directories); the median posts/s on over the median off.
4. `place_accuracy`: `PLACES`, posts labelled by hand with the place they are about (or none);
   a post counts as right when the resolved city and country match (or nothing is resolved
   when none is labelled).

Progress goes to stderr; the last line on stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from veristream import Author, Engine, Media, Post, Settings  # noqa: E402
from veristream.analysis import tokens  # noqa: E402
from veristream.demo import generate  # noqa: E402
from veristream.media.ocr import Tesseract  # noqa: E402
from veristream.places import resolve_text  # noqa: E402

LATIN_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
JAPANESE_FONT = "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"

EN = [
    "Bridge closed on Route 9 until further notice",
    "Evacuation order for Pine Hollow residents",
    "Water main break on 5th Avenue, expect delays",
    "Shelter open at Lincoln Elementary School",
    "Boil water advisory for the east side",
    "All flights cancelled due to severe weather",
    "Power restored to most customers by midnight",
    "Road flooded near the county fairgrounds",
    "Wildfire is 40 percent contained as of Tuesday",
    "Do not drive through standing water",
    "Police ask people to avoid the downtown area",
    "Schools closed tomorrow because of the storm",
    "Tornado warning in effect until 9 PM",
    "Emergency crews are inspecting the dam",
    "Train service suspended between Oak and Elm stations",
    "Residents should stay indoors and keep windows closed",
    "Official statement from the mayor's office",
    "Three people were taken to the hospital",
    "The highway will reopen on Friday morning",
    "Call 911 only for life threatening emergencies",
]
JA = [
    "京都で大雨警報が発表されました",
    "橋が通行止めになっています",
    "避難所は市民会館です",
    "大阪駅周辺で停電",
    "東京で地震、震度5弱",
    "川の水位が上がっています",
    "電車は全線で運転を見合わせています",
    "明日の学校は休校です",
    "土砂崩れのため道路が通れません",
    "断水のお知らせ",
    "台風の影響で停電が続いています",
    "高速道路は午後から再開します",
    "消防が現場で活動中です",
    "住民は高台に避難してください",
    "市役所からのお知らせ",
    "水道の復旧は明日の予定です",
    "空港の全便が欠航しました",
    "けが人が三人病院に運ばれました",
    "火災は鎮火しました",
    "不要不急の外出を控えてください",
]

# Posts labelled by hand: (text, expected (city, country) or None).
PLACES: list[tuple[str, tuple[str, str] | None]] = [
    ("Severe flooding in Kyoto this morning, the Kamo river is over its banks", ("Kyoto", "JP")),
    ("Tornado damage in Paris, Texas tonight", ("Paris", "US")),
    ("Huge crowds in Paris for the protest", ("Paris", "FR")),
    ("Earthquake felt in Tokyo, buildings swaying", ("Tokyo", "JP")),
    ("京都で大雨、鴨川が増水", ("Kyoto", "JP")),
    ("東京都で震度5弱の地震", ("Tokyo", "JP")),
    ("大阪で停電が続いています", ("Osaka", "JP")),
    ("Wildfire near Sacramento, California forces evacuations", ("Sacramento", "US")),
    ("Storm warning for Portland, Oregon", ("Portland", "US")),
    ("Power outage across Portland, Maine", ("Portland", "US")),
    ("Shooting reported in Nice, France", ("Nice", "FR")),
    ("Nice weather today, going to the beach", None),
    ("Mobile phones are down across the region", None),
    ("Flooding in Valencia and Maracay after the rains", ("Valencia", "VE")),
    ("Heavy rain in Valencia, Spain, streets under water", ("Valencia", "ES")),
    ("Protest outside parliament in London tonight", ("London", "GB")),
    ("Power cut in London, Ontario", ("London", "CA")),
    ("Explosion at a chemical plant in Houston", ("Houston", "US")),
    ("Bushfire smoke over Sydney again", ("Sydney", "AU")),
    ("Traffic chaos in Mumbai after the monsoon rains", ("Mumbai", "IN")),
    ("Landslide near Medellín blocks the highway", ("Medellín", "CO")),
    ("Hurricane makes landfall near Miami", ("Miami", "US")),
    ("Boston Marathon finish line explosion", ("Boston", "US")),
    ("Aftershock in Christchurch overnight", ("Christchurch", "NZ")),
    ("Blackout in Berlin, trains stopped", ("Berlin", "DE")),
    ("Snowstorm shuts down Chicago airports", ("Chicago", "US")),
    ("Springfield, Illinois under a tornado warning", ("Springfield", "US")),
    ("Reading the latest update from officials now", None),
    ("Just watched the news, unbelievable", None),
    ("Water main break downtown, avoid the area", None),
    ("Flooding in Jakarta displaces thousands", ("Jakarta", "ID")),
    ("Cyclone warning for Chennai coast", ("Chennai", "IN")),
    ("Heatwave in Athens, the Acropolis is closed", ("Athens", "GR")),
    ("Athens, Georgia schools closed for the storm", ("Athens", "US")),
    ("Fire at the port of Rotterdam", ("Rotterdam", "NL")),
    ("Train derailment outside Lyon", ("Lyon", "FR")),
    ("Riots in Manchester city centre", ("Manchester", "GB")),
    ("Gas leak in Toronto's east end", ("Toronto", "CA")),
    ("Earthquake in Istanbul, people in the streets", ("Istanbul", "TR")),
    ("Volcano ash cloud over Catania airport", ("Catania", "IT")),
    ("Flash floods in Dubai", ("Dubai", "AE")),
    ("Lagos traffic at a standstill after the flood", ("Lagos", "NG")),
    ("Smoke over Seattle from the wildfires", ("Seattle", "US")),
    ("Victoria Station evacuated after a fire alarm", None),
    ("Strike closes the port in Marseille", ("Marseille", "FR")),
    ("Storm surge floods Galveston, Texas", ("Galveston", "US")),
    ("Power is back in San Juan", ("San Juan", "PR")),
    ("Avalanche warning near Innsbruck", ("Innsbruck", "AT")),
    ("Bomb threat at Frankfurt airport", ("Frankfurt am Main", "DE")),
    ("The president spoke about the economy", None),
]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def png(text: str, font: str, size: int = 34) -> bytes:
    f = ImageFont.truetype(font, size)
    box = f.getbbox(text)
    img = Image.new("RGB", (box[2] + 60, box[3] + 60), "white")
    ImageDraw.Draw(img).text((30, 30), text, fill="black", font=f)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


class Host:
    """Loopback image host: name -> PNG bytes."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        files = self.files

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                body = files.get(self.path.lstrip("/"))
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def put(self, name: str, body: bytes) -> str:
        self.files[name] = body
        return f"http://127.0.0.1:{self.server.server_address[1]}/{name}"


def word_tokens(text: str, lang: str) -> list[str]:
    if lang == "ja":
        return [t for t in tokens(text, "ja") if t.strip() and t not in "、。,."]
    return [w.strip(".,;:!?'\"").lower() for w in text.split() if w.strip(".,;:!?'\"")]


def matched(ref: list[str], got: list[str]) -> int:
    sm = difflib.SequenceMatcher(a=ref, b=got, autojunk=False)
    return sum(b.size for b in sm.get_matching_blocks())


def bench_ocr(n: int) -> dict:
    ocr = Tesseract.find("eng+jpn")
    imgs = []
    for i in range(n):
        if i % 2 == 0:
            text, font, lang = EN[(i // 2) % len(EN)], LATIN_FONT, "en"
        else:
            text, font, lang = JA[(i // 2) % len(JA)], JAPANESE_FONT, "ja"
        imgs.append((text, lang, Image.open(io.BytesIO(png(text, font)))))
    right = {"en": 0, "ja": 0}
    total = {"en": 0, "ja": 0}
    t0 = time.perf_counter()
    for text, lang, img in imgs:
        got = ocr.read(img.copy())
        ref = word_tokens(text, lang)
        right[lang] += matched(ref, word_tokens(got, lang))
        total[lang] += len(ref)
    dt = time.perf_counter() - t0
    log(f"ocr: {n} images in {dt:.1f} s; en {right['en']}/{total['en']} ja {right['ja']}/{total['ja']} words")
    return {"ocr_images": n, "ocr_images_per_s": round(n / dt, 2),
            "ocr_word_accuracy_en": round(right["en"] / max(1, total["en"]), 3),
            "ocr_word_accuracy_ja": round(right["ja"] / max(1, total["ja"]), 3)}


T0 = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)


def post(i: int, text: str, url: str | None = None) -> Post:
    return Post(id=str(i), source="file", author=Author(f"u{i % 500}", f"user{i % 500}"), text=text,
                created_at=T0 + timedelta(milliseconds=10 * i), lang="en",
                media=[Media("photo", url)] if url else [])


def settings(workers: int, enabled: bool = True) -> Settings:
    return Settings.load(env={}, vectors=False, trends=False, durability="os", media_enabled=enabled,
                         media_allow_loopback=True, media_workers=workers, media_per_host_per_s=1000.0,
                         media_queue=64)


def bench_lag(host: Host, rate: float, seconds: float, workers: int) -> dict:
    images = [host.put(f"lag{i}.png", png(EN[i % len(EN)] + f" #{i}", LATIN_FONT)) for i in range(int(rate * seconds))]
    d = Path(tempfile.mkdtemp(prefix="vs-media-lag-"))
    eng = Engine(d / "data", settings(workers))
    assert eng.media is not None, eng.media_notice
    try:
        t0 = time.monotonic()
        for i, url in enumerate(images):
            # Each image post comes with 9 plain posts: a stream where 1 post in 10 has an image.
            batch = [post(10 * i + k, f"plain post {10 * i + k} about the weather") for k in range(9)]
            batch.append(post(10 * i + 9, "", url))
            eng.ingest(batch)
            sleep = t0 + (i + 1) / rate - time.monotonic()
            if sleep > 0:
                time.sleep(sleep)
        offered_s = time.monotonic() - t0
        eng.media.wait(timeout=600)
        st = eng.media_status()
        drain_s = time.monotonic() - t0
    finally:
        eng.close()
        shutil.rmtree(d, ignore_errors=True)
    log(f"lag: {len(images)} images offered in {offered_s:.1f} s, all read after {drain_s:.1f} s; "
        f"delay p50 {st.delay_p50_s} p99 {st.delay_p99_s} s; failed {st.failed}")
    return {"media_rate_images_per_s": rate, "media_workers": workers, "media_images": len(images),
            "media_lag_p50_s": st.delay_p50_s, "media_lag_p99_s": st.delay_p99_s,
            "media_read_images_per_s": round(st.images / drain_s, 2), "media_failed": sum(st.failed.values())}


def bench_ingest(host: Host, n: int, workers: int) -> dict:
    url = host.put("ingest.png", png("Road closed at the river crossing", LATIN_FONT))
    posts = list(generate(n, rate_per_s=50.0))
    for i, p in enumerate(posts):
        if i % 100 == 0:
            p.media = [Media("photo", url.replace("ingest.png", f"ingest.png?{i}"))]
    rates = {}
    runs = [(f"{'on' if on else 'off'}{k}", on) for k in range(3) for on in (False, True)]
    for label, on in runs:
        d = Path(tempfile.mkdtemp(prefix=f"vs-media-ingest-{label}-"))
        eng = Engine(d / "data", settings(workers, enabled=on))
        try:
            t0 = time.perf_counter()
            for i in range(0, len(posts), 500):
                eng.ingest(posts[i:i + 500])
            rates[label] = len(posts) / (time.perf_counter() - t0)
        finally:
            eng.close()
            shutil.rmtree(d, ignore_errors=True)
        log(f"ingest media {label}: {rates[label]:,.0f} posts/s")
    off = statistics.median(v for k, v in rates.items() if k.startswith("off"))
    on = statistics.median(v for k, v in rates.items() if k.startswith("on"))
    return {"ingest_posts": n, "ingest_posts_per_s_media_off": round(off), "ingest_posts_per_s_media_on": round(on),
            "ingest_ratio_with_media": round(on / off, 3)}


def bench_places() -> dict:
    right = 0
    wrong = []
    for text, want in PLACES:
        found = [p for p in resolve_text(text) if p.confidence >= 0.35]
        got = (found[0].name, found[0].country) if found else None
        if got == want:
            right += 1
        else:
            wrong.append((text, want, got))
    for w in wrong:
        log(f"place: {w[0]!r}: want {w[1]}, got {w[2]}")
    t0 = time.perf_counter()
    texts = [t for t, _ in PLACES] * 40
    for t in texts:
        resolve_text(t)
    per = (time.perf_counter() - t0) / len(texts)
    return {"place_posts": len(PLACES), "place_accuracy": round(right / len(PLACES), 3),
            "place_resolve_us_per_post": round(per * 1e6, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ocr-images", type=int, default=40)
    ap.add_argument("--rate", type=float, default=20.0, help="images/s offered in the lag phase")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--ingest", type=int, default=20_000)
    a = ap.parse_args()
    if shutil.which("tesseract") is None:
        sys.exit("bench/media.py needs tesseract (make test installs Debian's tesseract-ocr, -eng, -jpn)")
    res: dict = {"bench": "media", "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
                 "machine": f"{platform.machine()} {os.cpu_count()} cores", "load_before": os.getloadavg()[0]}
    host = Host()
    res |= bench_places()
    res |= bench_ocr(a.ocr_images)
    res |= bench_lag(host, a.rate, a.seconds, a.workers)
    res |= bench_ingest(host, a.ingest, a.workers)
    res["load_after"] = os.getloadavg()[0]
    print(json.dumps(res))


if __name__ == "__main__":
    main()
