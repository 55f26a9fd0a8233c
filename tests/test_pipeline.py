"""The live pipeline under load: when the writer falls behind, batches are prepared in worker
processes while it writes, with the same result as preparing them on the writer."""

from __future__ import annotations

from pathlib import Path

from veristream import Engine, Settings
from conftest import mkpost


def stream(n: int) -> list:
    # Every tenth post is a copy of the one before it: stories must come out the same either way.
    posts = []
    for i in range(n):
        text = (f"ferry {i - 1} leaves the north harbour at dawn with supplies for the island" if i % 10 == 9
                else f"ferry {i} leaves the north harbour at dawn with supplies for the island")
        posts.append(mkpost(str(i), text, minutes=i / 100, author=f"u{i % 97}"))
    return posts


def ingest_live(tmp: Path, posts: list, workers: int) -> tuple[Engine, dict]:
    # One cold commit, at the end: which posts a timed cold commit leaves in which tier changes
    # BM25's statistics (they are per tier), and so ties in the order compared below.
    eng = Engine(tmp, Settings.load(env={}, vectors=False, trends=False, prepare_workers=workers,
                                    index_cold_commit_s=3600, index_hot_max_posts=1_000_000))
    pipe = eng.pipeline()
    for p in posts:  # as fast as put takes them: the writer falls behind and batches grow
        pipe.put(p)
    pipe.flush(120)
    status = pipe.status()
    pipe.close()
    return eng, status


def test_busy_stream_is_prepared_in_worker_processes_with_the_same_result(tmp_path: Path) -> None:
    posts = stream(20_000)
    with_workers, st = ingest_live(tmp_path / "w", posts, 1)
    alone, st0 = ingest_live(tmp_path / "a", posts, 0)
    try:
        assert st["prepared_by_workers"] > 0 and st["prepare_workers_failed"] is None
        assert st0["prepared_by_workers"] == 0
        assert with_workers.count() == alone.count() == len(posts)
        for q in ("ferry 4999", "north harbour supplies", "ferry 19998"):
            a = with_workers.search(q, limit=5, all_posts=True)
            b = alone.search(q, limit=5, all_posts=True)
            assert [(h.post.key, h.story.posts if h.story else None) for h in a.hits] == \
                   [(h.post.key, h.story.posts if h.story else None) for h in b.hits]
        # A copy joins the story of the post it copies, whichever process prepared it.
        st9 = with_workers.search("ferry 8", all_posts=True, limit=10)
        assert {h.post.id for h in st9.hits} >= {"8", "9"} and len({h.story.id for h in st9.hits if h.post.id in ("8", "9")}) == 1
    finally:
        with_workers.close()
        alone.close()
