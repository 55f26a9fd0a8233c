"""The writer's batch paths give what the per-post paths give: stories assigned for a whole
batch at once, and index documents handed to tantivy as JSON made where posts are prepared."""

from __future__ import annotations

import random
from pathlib import Path

import tantivy

from veristream.core.index.lexical import Filters, IndexDoc, LexicalIndex, document, json_doc, json_tail
from veristream.core.stories import StoryIndex, fingerprints

FIELDS = ["text", "cjk", "tags", "handle", "lang", "source", "reply", "alt", "card", "domain", "place"]


def _docs() -> list[IndexDoc]:
    rnd = random.Random(5)
    words = ["flood", "Inundación", "bridge", "closed", "東京", "地震", "road", "river", "fire", "north", ""]
    out = []
    for seq in range(1, 400):
        text = " ".join(rnd.choice(words) for _ in range(rnd.randint(0, 12)))
        coords = rnd.random()
        lat, lon = ((round(rnd.uniform(-90, 90), 4), round(rnd.uniform(-180, 180), 4)) if coords < 0.3 else
                    (rnd.uniform(-90, 90), rnd.uniform(-180, 180)) if coords < 0.4 else (None, None))
        out.append(IndexDoc(seq, 1_700_000_000_000_000 + seq * 7919, seq // 3, text,
                            rnd.sample(["news", "Flood", "東京"], rnd.randint(0, 2)), rnd.choice(["", "bob", "ann"]),
                            rnd.choice(["", "en", "ja"]), "file", rnd.random() < 0.3,
                            cjk="東京 地震" if "東京" in text else "", reply=rnd.choice(["", "file:9"]),
                            alt=rnd.choice(["", "a flooded road"]), card=rnd.choice(["", "River levels\nrising"]),
                            domains=rnd.choice([(), ("news.bbc.co.uk", "bbc.co.uk")]),
                            places=rnd.choice([(), ("kyoto", "jp", "japan")]), lat=lat, lon=lon))
    return out


def _as_json(d: IndexDoc) -> str | IndexDoc:
    tail = json_tail(d.ts, d.text, d.tags, d.handle, d.lang, d.source, d.has_media, d.cjk, d.reply, d.alt, d.card,
                     d.domains, d.places, d.lat, d.lon)
    return json_doc(d.seq, d.story, tail) if tail else d


def test_json_documents_index_as_built_documents(tmp_path: Path) -> None:
    docs = _docs()
    by_json = [_as_json(d) for d in docs]
    assert 0 < sum(type(d) is str for d in by_json) < len(docs)  # coordinates too long for JSON: built
    built, parsed = LexicalIndex(tmp_path / "a"), LexicalIndex(tmp_path / "b")
    built.add_built([document(d) for d in docs])
    parsed.add_built([d if type(d) is str else document(d) for d in by_json])
    for ix in (built, parsed):
        ix._writer.commit()
        ix.reload()
    for f in FIELDS:
        assert built.term_counts(f) == parsed.term_counts(f), f
    a, b = built.searcher(), parsed.searcher()
    assert _fast(built) == _fast(parsed) and len(_fast(built)) == len(docs)
    assert sum(len(v) == 4 for v in _fast(built).values()) > 50
    for q in ("flood", "inundacion road", "東京", "river levels"):
        qa, qb = built.build_query(q, Filters())[0], parsed.build_query(q, Filters())[0]
        assert built.top(a, qa, 50, False, count=True) == parsed.top(b, qb, 50, False, count=True)
    near = Filters(near=(35.0, 135.7, 2000.0), domain="bbc.co.uk")
    assert built.top(a, built.build_query("", near)[0], 400, True) == parsed.top(b, parsed.build_query("", near)[0], 400, True)
    assert a.search(tantivy.Query.all_query(), 1, count=True).count == len(docs)


def _fast(ix: LexicalIndex) -> dict[int, tuple]:
    """seq -> (story, ts) of every document, and (lat, lon) of those that have them."""
    s = ix.searcher()
    addrs = [a for _, a in s.search(tantivy.Query.all_query(), 1000).hits]
    out = {seq: (story, ts) for seq, story, ts in zip(s.fast_field_values("seq", addrs), s.fast_field_values("story", addrs),
                                                       s.fast_field_values("ts", addrs))}
    geo = [a for _, a in s.search(tantivy.Query.range_query(ix.schema, "lat", tantivy.FieldType.Float, -90.0, 90.0), 1000).hits]
    for seq, la, lo in zip(s.fast_field_values("seq", geo), s.fast_field_values("lat", geo), s.fast_field_values("lon", geo)):
        out[seq] += (la, lo)
    return out


def test_stories_assigned_per_batch_as_one_by_one() -> None:
    rnd = random.Random(11)
    base = ["the ferry to the island leaves at dawn with supplies and mail for everyone",
            "storm warning for the coast tonight, stay indoors and keep away from the harbour",
            "the council votes on the new bridge tomorrow morning in the town hall"]
    texts, refs = [], []
    for i in range(600):
        t = rnd.choice(base) + (" " + rnd.choice(["now", "again", "today", ""]) if rnd.random() < 0.7 else f" {i} {i * 7}")
        texts.append(t if rnd.random() < 0.8 else f"unique post {i} about nothing in particular {i * 13}")
        # Reposts: of earlier posts (some long gone from a small ring), of later ones, of stored ones.
        refs.append(rnd.choice([None, None, None, f"k{rnd.randrange(max(1, i))}", f"k{i + 5}", f"stored{i % 7}"]))
    fps = fingerprints(texts, 5)
    posts = [(f"k{i}", fp.texthash, fp.ntokens, fp.sig, fp.bands, refs[i]) for i, fp in enumerate(fps)]
    stored = {f"stored{j}": 9000 + j for j in range(0, 7, 2)}
    asked: list[list[str]] = []

    def lookup(keys: list[str]) -> dict[str, int]:
        asked.append(keys)
        return {k: stored[k] for k in keys if k in stored}

    # A window smaller than a batch: posts leave the ring while their batch is assigned.
    one, batch = StoryIndex(100, window=64), StoryIndex(100, window=64)
    singly = [one.assign(*p, lambda k: stored.get(k)) for p in posts]
    together: list[int] = []
    for i in range(0, len(posts), 250):
        together += batch.assign_batch(posts[i : i + 250], lookup)
    assert together == singly
    assert len(set(singly)) < len(singly) and 9000 in singly  # copies joined, a stored post's story reached
    assert batch.next_id == one.next_id
