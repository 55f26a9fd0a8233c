"""Hybrid retrieval through the Engine: BM25 + MiniLM vectors (real onnxruntime encoder, real
usearch index), fused by rank, in event time, by story; embedding beside ingest, its lag
visible, lexical search covering what is not embedded yet."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import orjson
import pytest

from veristream import Engine, Settings
from veristream.vectors import Vectors, find_model
from conftest import T0, mkpost

pytestmark = pytest.mark.skipif(find_model() is None, reason="the MiniLM model packages are not installed")

BRIDGE = "The old bridge over the river collapsed this morning and two cars fell into the water"
PARAPHRASE_Q = "automobiles plunged after a span gave way"  # no word in common with BRIDGE


def settings(**kw) -> Settings:
    return Settings.load(env={}, vectors_save_interval_s=0.2, **kw)


@pytest.fixture
def eng(tmp_path: Path) -> Iterator[Engine]:
    e = Engine(tmp_path / "data", settings())
    yield e
    e.close()


def ids(hits) -> list[str]:
    return [h.post.id for h in hits]


class Gate:
    """Holds the embedding thread (only it) until opened: a lag we control, no sleeping. The
    thread of the engine's own process (`embed_process = false`): the monkeypatch cannot reach
    a child process (see the tests of `EmbedProcess` below for the same through its pid)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.open = threading.Event()
        self.entered = threading.Event()
        real = Vectors._load
        gate = self

        class Held:
            def __init__(self, enc):
                self.enc, self.id, self.dim = enc, enc.id, enc.dim

            def encode(self, texts):
                if threading.current_thread().name == "veristream-embed":
                    gate.entered.set()
                    assert gate.open.wait(30), "gate never opened"
                return self.enc.encode(texts)

        monkeypatch.setattr(Vectors, "_load", staticmethod(lambda files, s: Held(real(files, s))))


def test_dense_finds_a_paraphrase_that_bm25_misses(eng: Engine) -> None:
    eng.ingest([mkpost("bridge", BRIDGE, author="a"), mkpost("pizza", "Best pizza in town at the corner shop", author="b"),
                mkpost("vote", "Polls close at 8pm, remember to vote today", author="c")])
    assert eng.wait_embedded(60)
    lexical = eng.retrieve(PARAPHRASE_Q, dense=False)
    assert lexical.mode == "lexical" and "bridge" not in ids(lexical.hits)
    hybrid = eng.retrieve(PARAPHRASE_Q)
    assert hybrid.mode == "hybrid"
    assert ids(hybrid.hits)[0] == "bridge"
    top = hybrid.hits[0]
    assert top.lexical_rank is None and top.dense_rank == 1 and top.similarity > 0.35
    assert "pizza" not in ids(hybrid.hits)  # below the similarity floor


def test_fusion_puts_posts_both_lists_agree_on_first(eng: Engine) -> None:
    eng.ingest([
        mkpost("both", "Flooded downtown bridge closed, water over the road", minutes=0, author="a"),
        mkpost("lex", "bridge tournament results: the downtown club wins again", minutes=1, author="b"),
        mkpost("dense", "Streets under water after the river burst its banks", minutes=2, author="c"),
    ])
    assert eng.wait_embedded(60)
    r = eng.retrieve("flooded bridge downtown", limit=3)
    assert ids(r.hits)[0] == "both"
    both = r.hits[0]
    assert (both.lexical_rank, both.dense_rank) == (1, 1)
    assert r.hits[0].score > max(h.score for h in r.hits[1:])
    assert r.keywords == ["flooded", "bridge", "downtown"]


def test_recency_in_event_time_and_filters_apply_to_both_lists(eng: Engine) -> None:
    eng.ingest([mkpost("old", "Wildfire near the ridge forces evacuations", minutes=0, author="a"),
                mkpost("new", "Wildfire near the ridge forces more evacuations", minutes=600, author="b")])
    assert eng.wait_embedded(60)
    assert ids(eng.retrieve("wildfire evacuations ridge", all_posts=True).hits)[0] == "new"
    since = T0 + timedelta(minutes=300)
    assert ids(eng.retrieve("brush fire, people leaving their homes", since=since).hits) == ["new"]
    assert ids(eng.retrieve("brush fire, people leaving their homes", until=since).hits) == ["old"]


def test_copies_show_once_unless_all_posts(eng: Engine) -> None:
    text = "Power cut across the whole east side of the city, traffic lights are out"
    eng.ingest([mkpost(f"c{i}", text, minutes=i, author=f"u{i}") for i in range(4)]
               + [mkpost("other", "Power restored on the west side", minutes=5, author="z")])
    assert eng.wait_embedded(60)
    hits = eng.retrieve("electricity outage east side").hits
    copies = [h for h in hits if h.post.id.startswith("c")]
    assert len(copies) == 1 and copies[0].story.posts == 4
    assert len([h for h in eng.retrieve("electricity outage east side", all_posts=True).hits
                if h.post.id.startswith("c")]) == 4


def test_embedding_lag_is_visible_and_lexical_covers_unembedded_posts(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    gate = Gate(monkeypatch)
    with Engine(tmp_path / "data", settings(embed_process=False)) as eng:
        r = eng.ingest([mkpost("bridge", BRIDGE), mkpost("x", "Bridge inspection was scheduled for next week", minutes=1)])
        assert gate.entered.wait(30)  # the thread is embedding the batch, held
        st = eng.embedding_status()
        assert st.enabled and st.pending == 2 and st.vectors == 0
        # Ingest goes on while embedding is held: the writer never waits for it.
        assert eng.ingest([mkpost("late", "Divers reach the cars in the river under the bridge", minutes=2)]).accepted == 1
        assert eng.embedding_status().pending == 3
        found = eng.retrieve("bridge river cars")
        assert set(ids(found.hits)) >= {"bridge", "late"}  # lexical covers them
        # ... and what words find is ordered in meaning too: vectors made at query time.
        assert found.mode == "hybrid"
        assert all(h.similarity is not None for h in found.hits if h.post.id in ("bridge", "late"))
        assert "bridge" not in ids(eng.retrieve(PARAPHRASE_Q).hits)  # not embedded: no match in meaning alone yet
        assert not eng.wait_embedded(0.05)
        # Answers and verdicts say how far behind embedding is.
        assert eng.ask("what happened to the bridge?").embedding_pending == 3
        assert eng.verify("The bridge over the river collapsed", record=False).to_dict()["retrieval"] == \
            {"mode": "hybrid", "embedding_pending": 3}
        gate.open.set()
        assert eng.wait_embedded(60)
        st = eng.embedding_status()
        assert st.pending == 0 and st.vectors == 3 and st.embedded_seq == max(r.seqs) + 1
        assert ids(eng.retrieve(PARAPHRASE_Q).hits)[0] == "bridge"
        assert eng.verify("The bridge over the river collapsed", record=False).embedding_pending == 0


def test_restart_resumes_embedding_from_the_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    with Engine(data, settings()) as eng:
        eng.ingest([mkpost(str(i), f"Post number {i} about the harbour ferry timetable", minutes=i) for i in range(5)])
        assert eng.wait_embedded(60)
    cp = orjson.loads((data / "vectors" / "checkpoint.json").read_bytes())
    assert cp["seq"] == 5 and cp["vectors"] == 5
    with Engine(data, settings(vectors=False)) as eng:  # e.g. stopped before the thread got to it
        eng.ingest([mkpost("b", BRIDGE, minutes=10)])
    gate = Gate(monkeypatch)
    with Engine(data, settings(embed_process=False)) as eng:
        assert gate.entered.wait(30)  # resumed on its own, from the checkpoint
        st = eng.embedding_status()
        assert (st.embedded_seq, st.pending, st.vectors) == (5, 1, 5)
        gate.open.set()
        assert eng.wait_embedded(60)
        st = eng.embedding_status()
        assert st.vectors == 6 and st.pending == 0
        assert ids(eng.retrieve(PARAPHRASE_Q).hits)[0] == "b"


def test_closing_mid_block_keeps_a_checkpoint_that_resumes_to_every_post(tmp_path: Path) -> None:
    data = tmp_path / "data"
    n = 600  # a block is 512 posts in batches of 64: closing right after ingest finds one being encoded
    long = " ".join(f"word{j}" for j in range(12))
    with Engine(data, settings()) as eng:
        eng.ingest([mkpost(str(i), f"ferry {i} {long}", minutes=i / 10) for i in range(n)])
    path = data / "vectors" / "checkpoint.json"
    cp = orjson.loads(path.read_bytes()) if path.exists() else {}
    assert cp.get("seq", 0) <= n and cp.get("vectors", 0) >= cp.get("seq", 0)  # a prefix, all of it embedded
    with Engine(data, settings()) as eng:
        assert eng.wait_embedded(300)
        st = eng.embedding_status()
        assert (st.vectors, st.pending, st.embedded_seq) == (n, 0, n)


def test_removed_posts_leave_the_vector_index(eng: Engine) -> None:
    eng.ingest([mkpost("bridge", BRIDGE), mkpost("keep", "Ferry service resumes on the east harbour", minutes=1)])
    assert eng.wait_embedded(60)
    eng.delete(["file:bridge"])
    assert eng.wait_embedded(60)
    assert eng.embedding_status().vectors == 1
    assert "bridge" not in ids(eng.retrieve(PARAPHRASE_Q).hits)


def test_edited_post_is_embedded_again(eng: Engine) -> None:
    eng.ingest([mkpost("p", "Lunch menu for the school canteen this week")])
    assert eng.wait_embedded(60)
    edited = mkpost("p", BRIDGE)
    edited.edited_at = T0 + timedelta(minutes=5)
    assert eng.ingest([edited]).updated == 1
    assert eng.wait_embedded(60)
    assert ids(eng.retrieve(PARAPHRASE_Q).hits) == ["p"]
    assert eng.embedding_status().vectors == 1


def test_read_only_engine_uses_the_saved_vectors(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Engine(data, settings()) as eng:
        eng.ingest([mkpost("bridge", BRIDGE)])
        assert eng.wait_embedded(60)
    ro = Engine(data, settings(), readonly=True)
    try:
        st = ro.embedding_status()
        assert st.state == "read-only" and st.vectors == 1 and st.pending == 0
        r = ro.retrieve(PARAPHRASE_Q)
        assert r.mode == "hybrid" and ids(r.hits) == ["bridge"]
    finally:
        ro.close()


def test_rebuild_embeds_everything_again(eng: Engine) -> None:
    eng.ingest([mkpost(str(i), f"Harbour ferry timetable change number {i}") for i in range(3)])
    assert eng.wait_embedded(60)
    eng.rebuild_vectors()
    assert eng.wait_embedded(60)
    assert eng.embedding_status().vectors == 3


def test_without_the_model_retrieval_is_lexical_with_a_one_line_notice(tmp_path: Path) -> None:
    with Engine(tmp_path / "data", settings(embed_model_path=str(tmp_path / "missing.onnx"))) as eng:
        assert eng.vectors is None
        assert "lexical only" in eng.vectors_notice and "\n" not in eng.vectors_notice
        eng.ingest([mkpost("bridge", BRIDGE)])
        r = eng.retrieve("bridge collapsed")
        assert r.mode == "lexical" and ids(r.hits) == ["bridge"]
        assert not eng.embedding_status().enabled
        assert not (tmp_path / "data" / "vectors").exists()
    with Engine(tmp_path / "off", settings(vectors=False)) as eng:
        assert eng.vectors is None and "vectors = false" in eng.vectors_notice


def test_cli_embed_catches_up_and_reports(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from veristream.cli import cli

    data = tmp_path / "data"
    with Engine(data, settings(vectors=False)) as eng:
        eng.ingest([mkpost(str(i), f"Harbour ferry timetable change number {i}") for i in range(3)])
    runner = CliRunner()
    res = runner.invoke(cli, ["--data-dir", str(data), "embed", "--status"])
    assert res.exit_code == 0, res.output
    assert "0 vectors" in res.stdout and "3 posts not embedded yet" in res.stdout
    res = runner.invoke(cli, ["--data-dir", str(data), "embed"])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("3 vectors") and "0 posts not embedded yet" in res.stdout


# -- embedding throughput: batches of like length, links left out, progress inside a block --


TEXTS = ["Flood warning", "Evacuate now", "The bridge on Route 9 is closed until further notice by the county",
         "Power is back", "Crews are still searching the river banks below the old mill for the two missing kayakers",
         "storm", "Schools closed tomorrow across the valley because of the snow", "Road reopened", "",
         "Hospital asks for blood donors after the crash on the motorway this afternoon, all types needed"]


def test_length_sorted_batches_give_the_vectors_of_each_text_encoded_alone() -> None:
    import numpy as np

    from veristream.vectors import OnnxEncoder

    files = find_model()
    enc = OnnxEncoder(files, batch=3, batch_tokens=40)
    batches = list(enc.batches(TEXTS))
    assert sorted(i for rows, _ in batches for i in rows.tolist()) == list(range(len(TEXTS)))  # each once
    assert len(batches) >= 4 and all(len(rows) <= 3 for rows, _ in batches)
    together = enc.encode(TEXTS)
    alone = np.vstack([enc.encode([t]) for t in TEXTS])
    unsorted = OnnxEncoder(files, batch=100, batch_tokens=10**6).encode(TEXTS)  # one batch, padded to the longest
    assert np.allclose(together, alone, atol=1e-5) and np.allclose(together, unsorted, atol=1e-5)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert enc.encode([]).shape == (0, enc.dim)


def test_links_are_not_embedded(eng: Engine) -> None:
    from veristream.vectors import embed_text

    assert embed_text("Bridge closed https://t.co/AbC123 see www.example.com/x  now") == "Bridge closed see now"
    eng.ingest([mkpost("link", "https://t.co/AbCdEf123"), mkpost("bridge", BRIDGE + " https://t.co/xYz987QwE")])
    assert eng.wait_embedded(60)
    st = eng.embedding_status()
    assert (st.vectors, st.pending) == (1, 0)  # a post that is only a link gets no vector
    top = eng.retrieve(BRIDGE).hits[0]
    assert top.post.id == "bridge" and top.similarity > 0.99  # its vector is its words' alone


def test_each_batch_counts_as_soon_as_it_is_in_the_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    first, go = threading.Event(), threading.Event()
    real = Vectors._load

    class TwoAtATime:
        """Encodes two posts a batch and holds before the second batch."""

        def __init__(self, enc):
            self.enc, self.id, self.dim = enc, enc.id, enc.dim

        def encode(self, texts):
            return self.enc.encode(texts)

        def batches(self, texts):
            for k in range(0, len(texts), 2):
                if k:
                    first.set()
                    assert go.wait(30), "never released"
                yield np.arange(k, min(k + 2, len(texts))), self.enc.encode(texts[k:k + 2])

    monkeypatch.setattr(Vectors, "_load", staticmethod(lambda files, s: TwoAtATime(real(files, s))))
    with Engine(tmp_path / "data", settings(embed_process=False)) as eng:
        eng.ingest([mkpost(str(i), f"Harbour ferry timetable change number {i}", minutes=i) for i in range(5)])
        assert first.wait(30)
        st = eng.embedding_status()
        assert (st.vectors, st.pending, st.embedded_seq) == (2, 3, 0)  # searchable before the block is done
        go.set()
        assert eng.wait_embedded(60)
        st = eng.embedding_status()
        assert (st.vectors, st.pending, st.embedded_seq) == (5, 0, 5) and st.lag_s == 0


# -- what an answer takes from the fused list ------------------------------------------------


def test_answer_evidence_takes_matches_in_meaning_only_where_words_find_little(tmp_path: Path) -> None:
    from veristream.answer.ask import gather
    from veristream.answer.question import parse_question

    worded = ["The Route 9 bridge collapsed this morning", "Bridge collapse on Route 9: two cars in the river",
              "Route 9 bridge collapse, divers on scene"]
    posts = ([mkpost(f"w{i}", t, minutes=i, author=f"a{i}") for i, t in enumerate(worded)]
             + [mkpost("near", "Route 9 overpass caved in, cars fell into the river", minutes=5, author="n"),
                mkpost("pizza", "Best pizza in town at the corner shop", minutes=6, author="p")])

    def evidence(eng: Engine, question: str) -> tuple[set[str], str]:
        now = eng.now()
        ev = gather(eng, parse_question(question, now), now)
        return {h.post.id for h in ev.posts}, ev.retrieval.mode

    q = "bridge collapse on Route 9"
    with Engine(tmp_path / "a", settings(dense_fill_stories=3)) as eng:
        eng.ingest(posts)
        assert eng.wait_embedded(60)
        near = next(h for h in eng.retrieve(q, all_posts=True).hits if h.post.id == "near")
        assert near.similarity > 0.45 and near.coverage < 0.6  # close in meaning, two of the four words
        # The question's words find three stories: the post near it only in meaning stays out.
        assert evidence(eng, q) == ({"w0", "w1", "w2"}, "lexical")
        # Asked in other words ("viaduct" is in no post): meaning fills in, the unrelated post stays out.
        assert evidence(eng, "a viaduct fell down") == ({"w0", "w1", "w2", "near"}, "hybrid")
    # Where three stories are too few, the same question takes the post near it in meaning too:
    # the rule, not the similarity, kept it out.
    with Engine(tmp_path / "b", settings(dense_fill_stories=4)) as eng:
        eng.ingest(posts)
        assert eng.wait_embedded(60)
        assert evidence(eng, q) == ({"w0", "w1", "w2", "near"}, "hybrid")


def test_copies_of_a_text_are_encoded_once_and_each_gets_its_vector(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    real = Vectors._load

    class Counting:
        def __init__(self, enc):
            self.enc, self.id, self.dim = enc, enc.id, enc.dim

        def encode(self, texts):
            seen.extend(texts)
            return self.enc.encode(texts)

    monkeypatch.setattr(Vectors, "_load", staticmethod(lambda files, s: Counting(real(files, s))))
    ferry = "Ferry service resumes on the east harbour after the storm"
    with Engine(tmp_path / "data", settings(embed_process=False)) as eng:
        # copies within one block, and in a later block after the first was embedded
        eng.ingest([mkpost(f"b{i}", BRIDGE, author=f"a{i}") for i in range(5)] + [mkpost("f", ferry)])
        assert eng.wait_embedded(60)
        eng.ingest([mkpost(f"c{i}", BRIDGE, minutes=1, author=f"c{i}") for i in range(3)])
        assert eng.wait_embedded(60)
        assert sorted(seen) == sorted([BRIDGE, ferry])  # each distinct text encoded once
        assert eng.embedding_status().vectors == 9
        hits = eng.retrieve(PARAPHRASE_Q, all_posts=True, limit=20).hits
        copies = [h for h in hits if h.post.text == BRIDGE]
        assert len(copies) == 8 and len({round(h.similarity, 6) for h in copies}) == 1
