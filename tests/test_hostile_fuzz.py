"""The poison-message fuzz harness (bench/fuzz.py), small: a few thousand mutated messages at
every boundary (readers, bulk chunks, the live sources' handlers, POST /v1/posts), with good
posts interleaved. No exception may escape, no writer stop, every good post stored."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import orjson

FUZZ = Path(__file__).resolve().parents[1] / "bench" / "fuzz.py"


def load_fuzz():
    spec = importlib.util.spec_from_file_location("veristream_bench_fuzz", FUZZ)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_fuzz_every_boundary_holds_and_every_good_post_is_stored(tmp_path: Path) -> None:
    fuzz = load_fuzz()
    out = fuzz.fuzz(3000, seed=11, keep=tmp_path, log=False)
    assert out["mutated"] >= 3000 and out["messages"] == out["mutated"] + out["good_posts"]
    assert out["unhandled"] == 0, out.get("examples")
    assert out["sources_stopped"] == 0 and out["writer_stops"] == 0
    assert out["stalls"] == 0, out["slowest_message_ms"]  # no message holds a read loop for seconds
    assert out["good_posts"] > 300 and out["good_posts_stored"] == out["good_posts"], out.get("missing_examples")
    # the mutations really are hostile: most are rejected, and each kind was tried
    assert out["quarantined"] > out["mutated"] // 4
    assert {"type", "wrap", "deep", "number", "big", "truncate", "utf8"} <= set(out["mutations"])
    assert min(out["per_target"][t] for t in ("readers", "source:bluesky", "source:mastodon", "source:x", "api")) > 300


def test_mutations_are_real_shaped_and_deterministic() -> None:
    fuzz = load_fuzz()
    seed = fuzz.SEEDS["jetstream"](1, "hello")
    a = [fuzz.Mutator(random.Random(5)).mutate(seed) for _ in range(50)]
    b = [fuzz.Mutator(random.Random(5)).mutate(seed) for _ in range(50)]
    assert a == b
    decoded = 0
    for raw in a:
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        decoded += 1
        assert raw != orjson.dumps(seed)  # every message is changed
        assert type(obj) is dict and "commit" in obj or "did" in obj or "kind" in obj
    assert decoded > 25  # most still look like Jetstream events: they reach the readers' checks
