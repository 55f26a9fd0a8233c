#!/usr/bin/env python
"""Answers benchmark: embedding beside ingest, extractive answer latency over a large index,
and the local LLM's first token, speed and citation validity.

    python bench/answers.py                       # 1,000,000 posts (15-30 min on 2 cores)
    python bench/answers.py --posts 100000 --llm-questions 5     # a quick run

Input: the real CrisisLex tweets of ../shared/data, repeated under fresh ids and shifted in
time until `--posts` (bench/realtime.py's `write_crisislex`); nothing is copied into the
repository.

1. Embedding beside ingest (`--embed-posts`, 5,000): the same posts ingested with vectors off,
   then on; ingest time of each, and the embedding thread's rate until it has caught up
   (`embed_posts_per_s`), plus the encoder alone (`encode_posts_per_s`).
2. A `--posts` index (vectors off while ingesting: the embedding thread would take ~30 min to
   catch up with 1M posts). Its vector index is then built from the same texts: the input
   repeats ~60k distinct tweets, so each distinct text is encoded once and its vector added
   under every seq that carries it (the exact vectors the embedding thread would compute).
   A read-only engine then answers `--questions` questions (drawn from the posts' own words,
   in the forms "what happened with X Y", "latest on X", "X Y in the last hour") with the
   extractive composer: `extractive_p50_ms`, `extractive_p95_ms` (whole `Engine.ask`: time
   parsing, hybrid retrieval, digest, citation resolution).
3. The local composer (shipped SmolLM2-135M-Instruct) on `--llm-questions` of them:
   `llm_first_token_ms` (from compose start to the first token, prompt processing included),
   `llm_tokens_per_s`, and `citation_valid_ratio` = markers the model wrote that survived the
   check / markers it wrote.

Progress goes to stderr; the last line on stdout is one JSON object with the results.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "bench"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import numpy as np  # noqa: E402
import orjson  # noqa: E402

from realtime import log, machine_info, pct, query_mix, write_crisislex  # noqa: E402

TARGETS = {"extractive_p95_ms": 300, "llm_first_token_ms": 1500}


def settings(**kw):
    from veristream import Settings

    return Settings.load(env={}, **kw)


def ingest_file(data: Path, path: Path, **kw) -> tuple[float, "object"]:
    from veristream import Engine
    from veristream.replay import run

    eng = Engine(data, settings(**kw))
    t0 = time.perf_counter()
    with open(path, "rb") as f:
        run(eng, f, input_name=str(path), speed=None)
    return time.perf_counter() - t0, eng


def phase_embed(work: Path, n: int) -> dict:
    path = work / "embed.jsonl"
    write_crisislex(path, n)
    off_s, eng = ingest_file(work / "off", path, vectors=False)
    eng.close()
    on_s, eng = ingest_file(work / "on", path)
    t_ingested = time.perf_counter()
    st0 = eng.embedding_status()
    log(f"  ingested {n:,} posts: {off_s:.1f}s vectors off, {on_s:.1f}s vectors on; "
        f"{st0.pending:,} posts still to embed")
    while not eng.wait_embedded(10):
        st = eng.embedding_status()
        log(f"  embedding: {st.vectors:,} vectors, {st.pending:,} to go, {st.posts_per_s:,.0f} posts/s")
    total_s = time.perf_counter() - t_ingested + on_s
    vectors = eng.embedding_status().vectors
    # The encoder alone, one thread, batches of 64 (what the thread does, without the store).
    enc = eng.vectors.encoder()
    texts = [orjson.loads(line)["text"] for line in open(path, "rb")][:2048]
    t = time.perf_counter()
    for i in range(0, len(texts), 64):
        enc.encode(texts[i:i + 64])
    encode_rate = len(texts) / (time.perf_counter() - t)
    eng.close()
    return {"embed_posts": n, "ingest_s_vectors_off": round(off_s, 2), "ingest_s_vectors_on": round(on_s, 2),
            "ingest_posts_per_s_vectors_off": round(n / off_s), "ingest_posts_per_s_vectors_on": round(n / on_s),
            "embed_posts_per_s": round(vectors / total_s, 1), "encode_posts_per_s": round(encode_rate, 1)}


def build_index(work: Path, n: int, cache: Path | None = None) -> tuple[Path, Path]:
    path = work / "posts.jsonl"
    log(f"writing {n:,} CrisisLex posts (repeated)")
    write_crisislex(path, n)
    data = work / "big"
    log("ingesting (vectors off)")
    s, eng = ingest_file(data, path, vectors=False)
    eng.close()
    log(f"  {n:,} posts in {s:.0f}s")
    add_vectors(data, cache=cache)
    return data, path


def add_vectors(data: Path, threads: int = 2, cache: Path | None = None) -> int:
    """Build the vector index of a store ingested with vectors off, at full speed: each
    distinct text encoded once (as the embedding thread does: `embed_text`, batches of like
    token length; posts left with no text get no vector), its vector added under every seq
    carrying it; written where the engine keeps it, with its checkpoint. `cache` (an .npz of text hash -> vector) lets runs share encodings. Returns
    the number of vectors."""
    import xxhash

    from veristream.core.store import Store
    from veristream.vectors import embed_text, find_model, index_id, load_encoder
    from veristream.vectors.ann import FILE, AnnIndex
    from veristream.vectors.embedder import write_checkpoint

    st = settings()
    files = find_model()
    mid = index_id(files, st.vectors.max_tokens)
    enc = load_encoder(files, st.vectors.max_tokens, threads)
    store = Store(data / "posts.db", readonly=True)
    by_text: dict[str, list[int]] = {}
    last_seq, last_ts = 0, 0
    for rows in store.rows_after(0):
        for seq, ts, _story, doc in rows:
            text = orjson.loads(doc)["text"]
            if embed_text(text):
                by_text.setdefault(text, []).append(seq)
            last_seq, last_ts = seq, ts
    store.close()
    known: dict[int, np.ndarray] = {}
    if cache is not None and cache.is_file():
        z = np.load(cache)
        if str(z["model"]) == mid:
            known = dict(zip(z["keys"].tolist(), z["vecs"]))
    h = {t: xxhash.xxh3_64_intdigest(t.encode()) for t in by_text}
    todo = sorted((t for t in by_text if h[t] not in known), key=len)
    log(f"  {len(by_text):,} distinct texts, {len(todo):,} to encode ({len(by_text) - len(todo):,} cached)")
    t = time.perf_counter()
    for i in range(0, len(todo), 1024):
        chunk = todo[i:i + 1024]
        for text, v in zip(chunk, enc.encode([embed_text(t) for t in chunk])):
            known[h[text]] = v
        if (i // 1024) % 6 == 0:
            el = time.perf_counter() - t
            log(f"  encoded {i + len(chunk):,} ({(i + len(chunk)) / max(el, 1e-9):,.0f}/s, {el:.0f}s)")
    if cache is not None and todo:
        np.savez(cache, model=mid, keys=np.fromiter(known, dtype=np.uint64, count=len(known)),
                 vecs=np.stack(list(known.values())))
    ix = AnnIndex(st.vectors.dim)
    keys = np.fromiter((seq for seqs in by_text.values() for seq in seqs), dtype=np.uint64)
    vecs = np.stack([known[h[text]] for text, seqs in by_text.items() for _ in seqs])
    t = time.perf_counter()
    for i in range(0, len(keys), 100_000):
        ix._index.add(keys[i:i + 100_000], vecs[i:i + 100_000], threads=0)
    log(f"  {len(ix):,} vectors indexed in {time.perf_counter() - t:.0f}s")
    vdir = data / "vectors"
    vdir.mkdir(exist_ok=True)
    ix.save(vdir / FILE)
    write_checkpoint(vdir, {"model": mid, "dim": st.vectors.dim, "seq": last_seq, "ts": last_ts, "vectors": len(ix)})
    return len(ix)


def questions(path: Path, k: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    forms = ["what happened with {}?", "latest on {}", "{} in the last hour", "{}", "is it true that {}?"]
    return [rng.choice(forms).format(q) for q in query_mix(path, k, seed)]


def phase_answers(data: Path, qs: list[str], llm_n: int) -> dict:
    from veristream import Engine
    from veristream.answer.ask import gather
    from veristream.answer.citations import Checker
    from veristream.answer.llm_local import LocalComposer
    from veristream.answer.question import parse_question

    eng = Engine(data, settings(), readonly=True)
    st = eng.embedding_status()
    log(f"  read-only engine: {eng.count():,} posts, {st.vectors:,} vectors ({st.state})")
    eng.ask("warm up the query encoder")
    lat, modes, cited = [], set(), 0
    for q in qs:
        a = eng.ask(q)
        lat.append(a.took_ms)
        modes.add(a.retrieval_mode)
        cited += bool(a.citations)
    log(f"  extractive: p50 {pct(lat, 50):.0f} ms, p95 {pct(lat, 95):.0f} ms over {len(qs)} questions")
    out = {"questions": len(qs), "extractive_p50_ms": pct(lat, 50), "extractive_p95_ms": pct(lat, 95),
           "extractive_max_ms": round(max(lat), 1), "answers_with_citations": cited, "retrieval_modes": sorted(modes)}
    if llm_n:
        comp = LocalComposer()
        firsts, rates, markers, kept, statements, shown = [], [], 0, 0, 0, 0
        for q in qs[:llm_n]:
            now = eng.now()
            ev = gather(eng, parse_question(q, now), now)
            if not ev.posts:
                continue
            t0 = time.perf_counter()
            draft = comp.compose(ev)
            first, n, chunks = None, 0, []
            for c in draft.chunks:
                if first is None:
                    first = time.perf_counter()
                n += 1
                chunks.append(c)
            end = time.perf_counter()
            if first is None:
                continue
            firsts.append((first - t0) * 1000)
            if n > 1 and end > first:
                rates.append((n - 1) / (end - first))
            draft.chunks = iter(chunks)
            ck = Checker(draft, lambda keys: {k for k in keys if eng.store.doc_by_key(k)}, eng.vectors.encode)
            shown += len(list(ck.run()))
            markers += ck.check.markers
            kept += ck.check.kept
            statements += ck.check.statements
        log(f"  local LLM: first token p50 {pct(firsts, 50)} ms, {np.median(rates) if rates else 0:.0f} tokens/s, "
            f"{kept}/{markers} markers held")
        out.update({"llm_questions": len(firsts), "llm_first_token_ms": pct(firsts, 50),
                    "llm_first_token_p95_ms": pct(firsts, 95),
                    "llm_tokens_per_s": round(float(np.median(rates)), 1) if rates else None,
                    "citation_valid_ratio": round(kept / markers, 3) if markers else None,
                    "llm_markers": markers, "llm_statements": statements, "llm_statements_shown": shown})
    eng.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=1_000_000, help="posts in the index (default 1,000,000)")
    ap.add_argument("--embed-posts", type=int, default=5_000, help="posts for the embedding phase (5,000)")
    ap.add_argument("--questions", type=int, default=200, help="questions timed with the extractive composer (200)")
    ap.add_argument("--llm-questions", type=int, default=20, help="of those, answered by the local LLM (20; 0: none)")
    ap.add_argument("--vector-cache", help="an .npz of encodings shared between runs (and with eval/answers.py)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--data-dir", help="work directory (default: a temp dir, deleted at the end)")
    args = ap.parse_args(argv)
    work = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="vs-answers-"))
    work.mkdir(parents=True, exist_ok=True)
    res: dict = {"posts": args.posts, "machine": machine_info()}
    try:
        log(f"phase 1: embedding beside ingest ({args.embed_posts:,} posts)")
        res.update(phase_embed(work, args.embed_posts))
        log(f"phase 2: a {args.posts:,}-post index")
        data, path = build_index(work, args.posts, Path(args.vector_cache) if args.vector_cache else None)
        qs = questions(path, args.questions, args.seed)
        log(f"phase 3: {len(qs)} questions")
        res.update(phase_answers(data, qs, args.llm_questions))
    finally:
        if not args.data_dir:
            shutil.rmtree(work, ignore_errors=True)
    res["targets"] = TARGETS
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
