"""Asking: question -> evidence -> draft -> checked, cited, time-stamped answer.

1. The question's time phrases become a window (event time); the rest is the topic.
2. Retrieval gathers up to `GATHER` posts (copies included) and keeps the relevant ones:
   those with enough of the topic's words; only where those are thin (fewer than
   `dense_fill_stories` stories), hybrid retrieval's, close MiniLM matches too (`gather`).
3. The composer drafts; statements are checked as they stream and only those that hold are
   passed to `on_text`. A draft left with no supported statement, or a composer that cannot
   run, gives way to the extractive digest, and the answer says why (`fallback`).
4. The answer is stamped "as of" the event time of the newest post it cites.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from ..analysis import needs_analysis, strip_spaceless
from ..core.index.lexical import Filters
from ..model import to_us
from ..retrieve import Hit, RetrieveQuery
from .base import Answer, Citation, Composer, ComposerError, Evidence, Question
from .citations import Checker
from .extractive import ExtractiveComposer
from .llm_local import LocalComposer
from .llm_openai import OpenAIComposer
from ..model import all_words
from ..words import content_stems, keywords, stem
from .facts import kind_words, reads_slot, verb_forms
from .names import AskedName, asked_name, near_need, _is_head
from .question import WORDINGS, answer_language, parse_question, read_slot

if TYPE_CHECKING:
    from ..retrieve import Retrieval
    from ..settings import Settings
    from ..vectors import Vectors


class Answers(Protocol):
    """What answering needs of the engine (`veristream.Engine` is one): settings, the event-time
    now, hybrid retrieval, whether a post is still stored, and the encoder when vectors are on."""

    settings: "Settings"
    vectors: "Vectors | None"

    def now(self) -> datetime | None: ...
    def retrieve_many(self, queries: list[RetrieveQuery]) -> "list[Retrieval]": ...
    def get(self, key: str) -> Any: ...

GATHER = 300  # posts retrieved per question (copies included)
EVENT_GAP_S = 7 * 86400  # posts further apart than this in event time (and none between) are of two events
EVENT_MARGIN_S = 2 * 86400  # posts found for the question's details this far outside its event's posts are read
NEAR_RANKS = GATHER  # of the lexical list, the best posts looked at for the question's details
DETAIL_SHARE = 0.2  # a question's word said by at most this share of its event's posts is one of its details
MAX_DETAIL_POSTS = 100  # posts read for the question's details (best first)
MAX_DETAILS = 4  # of a question's details, the rarest searched for
_MODALS = frozenset({"might", "may", "must", "could", "would", "should", "can", "will", "shall"})
ROLE_POSTS = 600  # posts of the event that say the role noun a question asks a name by, looked through
LATEST_RECENCY = 0.9  # recency weight for "latest on ..." questions
COMPOSERS = ("extractive", "local", "openai")


def make_composer(name: str, settings: "Settings", **options: str | None) -> Composer:
    """A composer by name, configured from settings; `options` (CLI flags) override them."""
    s = settings
    if name == "extractive":
        return ExtractiveComposer(s.ask.post_chars)
    if name == "local":
        return LocalComposer(options.get("llm_path") or s.llm.model_path, s.llm.ctx, s.llm.threads, s.llm.max_tokens,
                             s.llm.temperature, s.ask.posts, s.ask.post_chars)
    if name == "openai":
        return OpenAIComposer(options.get("base_url") or s.openai.base_url, options.get("model") or s.openai.model,
                              options.get("api_key") or s.openai.api_key, s.openai.timeout_s, s.llm.max_tokens,
                              s.llm.temperature, s.ask.posts, s.ask.post_chars)
    raise ValueError(f"composer must be one of {', '.join(COMPOSERS)}, got {name!r}")


def relevant(h: Hit, nkeywords: int, min_similarity: float, dense: bool = True) -> bool:
    """Enough of the topic's words (all of two, 60 % of more), or a close vector match
    (when `dense`: the shipped MiniLM knows English, not Japanese or Chinese)."""
    if nkeywords == 0:
        return True
    need = 1 if nkeywords == 1 else max(2, math.ceil(0.6 * nkeywords))
    if h.coverage * nkeywords >= need - 1e-9:
        return True
    if not dense:
        return False
    sim = h.similarity or 0.0
    return sim >= min_similarity + 0.1 or (h.coverage > 0 and sim >= min_similarity)


def stories(posts: list[Hit]) -> int:
    return len({h.story.id if h.story else -h.seq for h in posts})


def gather(engine: Answers, q: Question, now: datetime | None, lang: str | None = None) -> Evidence:
    """The evidence for a question: posts that say its words, in the order of their BM25 x
    recency; and, where those are thin (fewer than `dense_fill_stories` stories), hybrid
    retrieval's fused list, where posts close to the question in meaning fill in.

    Words first: on a stream where every post about an event is near the question in
    meaning, the dense list ranks generic posts ("prayers for #Ottawa") above the specific
    ones that say what the question asks, and an answer quotes its top posts. Where the
    question shares few words with the posts (asked in other words), meaning is what finds
    them."""
    f = Filters(to_us(q.since) if q.since else None, to_us(q.until) if q.until else None, lang=lang)
    s = engine.settings
    recency = LATEST_RECENCY if q.latest else None
    # An English-trained embedding puts any two texts in a spaceless script close together:
    # there, only the topic's words decide what is relevant.
    spaceless = needs_analysis(q.topic)
    dense = engine.vectors is not None and not spaceless
    r = lexical = engine.retrieve_many([RetrieveQuery(q.topic, f, GATHER, all_posts=True, recency_weight=recency,
                                                      dense=False)])[0]
    posts = [h for h in r.hits if relevant(h, len(r.keywords), s.vectors.min_similarity, dense=False)]
    if dense and stories(posts) < s.vectors.fill_stories:
        r = engine.retrieve_many([RetrieveQuery(q.topic, f, GATHER, all_posts=True, recency_weight=recency)])[0]
        posts = [h for h in r.hits if relevant(h, len(r.keywords), s.vectors.min_similarity)]
    if q.lang == "en" and spaceless and posts and not any(c.isalpha() for c in strip_spaceless(q.text)):
        # A question in Han characters alone may be Japanese or Chinese: word the answer in
        # the language most of the posts it found are in, where a wording exists.
        langs = Counter(h.post.lang or answer_language(h.post.text) for h in posts[:50])
        top = langs.most_common(1)[0][0]
        if top in WORDINGS and top != "en":
            q.lang = top
    posts, span = one_event(posts)
    english = q.lang == "en" and not spaceless
    extra = _slot_posts(engine, q, f, r.keywords, posts, recency) if english else []
    near: list[Hit] = []
    if english:
        near = _near_posts(engine, q, f, lexical, posts, span, recency)
    details: list[Hit] = []
    if english and span is not None:
        details = _detail_posts(engine, q, f, lexical, posts, span, recency)
    if span is not None:  # what the other searches found is read only where it is of the same event
        lo, hi = span[0] - EVENT_MARGIN_S * 1_000_000, span[1] + EVENT_MARGIN_S * 1_000_000
        extra = [h for h in extra if lo <= to_us(h.post.created_at) <= hi]
        near = [h for h in near if lo <= to_us(h.post.created_at) <= hi]
    return Evidence(q, posts, r, now, capped=len(r.hits) >= GATHER and len(posts) >= GATHER * 0.9, extra=extra,
                    near=near, details=details)


def rare_words(kws: list[str], texts: list[str]) -> dict[str, float]:
    """The question's words its event's posts rarely say (`DETAIL_SHARE` of them at most), with
    the share that says each: its details ("driving" in a question about a manhunt, "demand" in
    one about a siege), as against the words that name the event, which most of its posts say."""
    if not texts:
        return {}
    said = [content_stems(t) for t in texts]
    out = {}
    for k in kws:
        s = stem(k)
        n = sum(1 for ws in said if s in ws)
        if len(k) > 2 and not k.isdigit() and n <= DETAIL_SHARE * len(said):
            out[k] = n / len(said)
    return out


def _detail_posts(engine: Answers, q: Question, f: Filters, lexical: "Retrieval", posts: list[Hit],
                  span: tuple[int, int], recency: float | None) -> list[Hit]:
    """Posts of the question's event that say its rare details (`rare_words`) and one of its
    other words, however few of its words they say beyond that: "Bombing suspect may be driving
    ... green Honda Civic" says 3 of the 10 words of "what make of car did police say the bombing
    suspect might be driving during the manhunt", too few to be relevant, and the detail that
    tells it from the manhunt's other posts. Each detail is searched for alone within the event's
    span (the event's own words would rank the posts that say them most first); the posts that
    say the rarest details, then the most of the question's other words, come first."""
    kws = [k for k in lexical.keywords if k.isascii()]
    if len(kws) < 3 or len(posts) < 5:
        return []
    # the kind of thing asked for ("what make", "which gas station") is what posts name, not a detail
    # they state; a modal ("might") states nothing
    asked = asked_name(q.text)
    kind = {stem(w) for w in (asked.nouns if asked else ())} | {stem(read_slot(q.text).noun or "")}
    rare = rare_words([k for k in kws if stem(k) not in kind and k not in _MODALS],
                      [all_words(h.post)[:600] for h in posts])
    if not rare or len(rare) == len(kws):
        return []
    ranked = sorted(rare, key=lambda k: rare[k])[:MAX_DETAILS]
    lo = span[0] - EVENT_MARGIN_S * 1_000_000
    hi = span[1] + EVENT_MARGIN_S * 1_000_000
    within = Filters(max(lo, f.since_us or lo), min(hi, f.until_us or hi), lang=f.lang)
    # the index holds words as said: a detail is searched for in the forms posts say it in ("demands")
    found = engine.retrieve_many([RetrieveQuery(" ".join(sorted(verb_forms(k) | verb_forms(stem(k)))), within,
                                                GATHER // 2, all_posts=True, recency_weight=recency, dense=False)
                                  for k in ranked])
    weight = {stem(k): math.log(1.0 / (rare[k] + 1.0 / len(posts))) for k in ranked}
    other = {stem(k) for k in kws} - {stem(k) for k in rare}
    have = {h.post.key for h in posts}
    scored: dict[str, tuple[float, int, Hit]] = {}
    for r in found:
        for h in r.hits:
            if h.post.key in have or h.post.key in scored:
                continue
            said = content_stems(all_words(h.post)[:600])
            if said & other:
                scored[h.post.key] = (sum(w for s, w in weight.items() if s in said), len(said & other), h)
    best = sorted(scored.values(), key=lambda x: (-x[0], -x[1]))
    return [h for _, _, h in best[:MAX_DETAIL_POSTS]]


def one_event(posts: list[Hit]) -> tuple[list[Hit], tuple[int, int] | None]:
    """The posts of the one event a question is about, and its span in event time (us). The
    posts a question's words find can be of events weeks or years apart (a flood in Queensland
    in January, one in Alberta in June: "the cat whose owner swam after it in the High River
    floodwaters" shares its words with both). Posts more than `EVENT_GAP_S` apart with none
    between are two events; the one whose posts rank best (each post weighs 1 / (rank + 2)) is
    kept when it holds most of that weight, and the others are left out. One event, or none
    with most of the weight: all posts are kept."""
    if len(posts) < 2:
        return posts, None
    order = sorted(range(len(posts)), key=lambda i: to_us(posts[i].post.created_at))
    times = [to_us(posts[i].post.created_at) for i in order]
    groups: list[list[int]] = [[order[0]]]
    for k in range(1, len(order)):
        if times[k] - times[k - 1] > EVENT_GAP_S * 1_000_000:
            groups.append([])
        groups[-1].append(order[k])

    def weight(g: list[int]) -> float:
        return sum(1.0 / (i + 2) for i in g)

    best = max(groups, key=weight)
    span = (min(to_us(posts[i].post.created_at) for i in best), max(to_us(posts[i].post.created_at) for i in best))
    if len(groups) == 1:
        return posts, span
    if weight(best) < 0.5 * sum(weight(g) for g in groups):
        return posts, None
    keep = set(best)
    return [h for i, h in enumerate(posts) if i in keep], span


def _near_posts(engine: Answers, q: Question, f: Filters, lexical: "Retrieval", posts: list[Hit],
                span: tuple[int, int] | None, recency: float | None) -> list[Hit]:
    """Posts that say the question's details without enough of its words to be among its
    relevant posts, read for the name it asks for (`names`, which weighs them by how many of the
    question's words they say): the lexical list's posts that say two of its words ("Meet at McMahon Stadium at 10 am" for "where in Calgary were
    flood volunteers told to meet at 10 a.m. to be bused to help with re-entry"), and, when it
    asks for a name by a role noun ("who was the key eyewitness"), the posts of its event that
    say the noun (in any number, or a word ending in it: "witness") with another of its words."""
    asked = asked_name(q.text)
    if asked is None:
        return []
    have = {h.post.key for h in posts}
    n = len(lexical.keywords)
    need = min(2, near_need(n))
    out = [h for h in lexical.hits[:NEAR_RANKS] if h.post.key not in have and h.coverage * n >= need - 1e-9]
    if asked is not None and asked.head and span is not None:
        head = asked.head
        kws = [k for k in lexical.keywords if not _is_head(k, head)]
        lo = span[0] - EVENT_MARGIN_S * 1_000_000
        hi = span[1] + EVENT_MARGIN_S * 1_000_000
        within = Filters(max(lo, f.since_us or lo), min(hi, f.until_us or hi), lang=f.lang)
        # the noun and the kinds of it posts name things by ("which church": a cathedral)
        heads = list(dict.fromkeys([*_head_variants(head), *kind_words(head)]))
        r = engine.retrieve_many([RetrieveQuery(" ".join(heads), within, ROLE_POSTS, all_posts=True,
                                                recency_weight=recency, dense=False)])[0]
        stems = {stem(k) for k in kws}
        seen = have | {h.post.key for h in out}
        for h in r.hits:
            if h.post.key in seen:
                continue
            said = keywords(h.post.text.lower())
            if any(_is_head(w, x) for w in said for x in heads) and len({stem(w) for w in said} & stems) >= 1:
                out.append(h)
                seen.add(h.post.key)
    return out


def _head_variants(head: str) -> list[str]:
    """The words posts name a role noun by: itself and, for a compound, the word it ends in
    ("eyewitness": witness; "co-pilot": pilot)."""
    from .names import _common

    out = [head]
    if "-" in head:
        out.append(head.rsplit("-", 1)[1])
    else:
        out += [head[k:] for k in range(2, len(head) - 4) if head[k:] in _common()][:1]
    return out


def _slot_posts(engine: Answers, q: Question, f: Filters, kws: list[str], posts: list[Hit],
                recency: float | None) -> list[Hit]:
    """More posts for reading what fills the question's own slot: those that say its other words
    without its verb or the kind of thing it asks for. Posts name what was hit with other verbs
    ("destroyed", "flattened") and a storm by its name, not "storm" ("ex-cyclone Oswald"): "which
    school was hit by the Moore tornado" also reads the posts about the Moore tornado's school."""
    slot = read_slot(q.text)
    if not reads_slot(slot):
        return []
    drop = set(verb_forms(slot.verb)) if slot.verb else set()
    kinds = kind_words(slot.noun) if slot.noun else []
    drop |= {w for k in kinds for w in (k, k + "s", k + "es")}
    rest = [k for k in kws if k not in drop]
    if not drop or not rest or len(rest) == len(kws):
        return []
    # the kind's words are searched for too ("storm cyclone hurricane typhoon"): a post says one of them
    r = engine.retrieve_many([RetrieveQuery(" ".join(rest + kinds), f, GATHER, all_posts=True,
                                            recency_weight=recency, dense=False)])[0]
    have = {h.post.key for h in posts}
    n = len(rest) + (1 if kinds else 0)  # a word of the kind counts as one of the question's words
    need = 1 if n == 1 else max(2, math.ceil(0.6 * n))
    rest_set, kind_set = set(rest), {w for k in kinds for w in (k, k + "s", k + "es")}
    out = []
    for h in r.hits:
        if h.post.key in have:
            continue
        said = set(keywords(h.post.text.lower()))
        if len(said & rest_set) + (1 if said & kind_set else 0) >= need:
            out.append(h)
    return out



def ask(engine: Answers, question: str, *, since: datetime | None = None, until: datetime | None = None,
        composer: str | Composer = "extractive", on_text: Callable[[str], None] | None = None,
        lang: str | None = None, **options: str | None) -> Answer:
    t0 = time.perf_counter()
    comp = composer if isinstance(composer, Composer) else make_composer(composer, engine.settings, **options)
    now = engine.now()
    q = parse_question(question, now, since, until)
    ev = gather(engine, q, now, lang)
    first: list[float] = []

    def emit(text: str) -> None:
        if not first:
            first.append((time.perf_counter() - t0) * 1000)
        if on_text is not None:
            on_text(text)

    answer, fallback = None, None
    if comp.name != "extractive" and not ev.posts:
        fallback = "no relevant posts to compose from"
    elif comp.name != "extractive":
        try:
            answer = _run(engine, comp, ev, emit)
            if not answer.statements:
                fallback = "no statement of the model's answer was supported by the posts it cited"
        except ComposerError as e:  # nothing shown yet: the extractive digest takes over
            fallback = str(e)
    if answer is None or fallback is not None:
        checked = answer.check if answer is not None else None
        withheld = answer.posts_withheld if answer is not None else 0
        answer = _run(engine, ExtractiveComposer(engine.settings.ask.post_chars), ev, emit)
        if checked is not None:
            answer.check = checked  # what the check did to the model's draft
            answer.posts_withheld = withheld
    answer.asked = comp.name
    answer.fallback = fallback
    answer.posts_considered = len(ev.posts)
    answer.retrieval_mode = ev.retrieval.mode
    emb = ev.retrieval.embedding
    answer.embedding_pending = emb.pending if emb is not None else 0
    answer.now = now
    answer.took_ms = (time.perf_counter() - t0) * 1000
    answer.first_text_ms = first[0] if first else None
    return answer


def _run(engine: Answers, comp: Composer, ev: Evidence, emit: Callable[[str], None]) -> Answer:
    draft = comp.compose(ev)

    def stored(keys: list[str]) -> set[str]:
        return {k for k in keys if engine.get(k) is not None}

    encode = engine.vectors.encode if engine.vectors is not None and not draft.trusted else None
    checker = Checker(draft, stored, encode)
    statements = []
    try:
        for st in checker.run():
            statements.append(st)
            emit(st.text + draft.joiner)
    except ComposerError:
        if not statements:
            raise
        # A stream cut short: keep what was checked and shown.
    citations = [Citation.of(n, draft.sources[i].post, engine.settings.ask.post_chars)
                 for n, i in enumerate(checker.order, 1)]
    as_of = max((c.time for c in citations), default=None)
    text = draft.joiner.join(s.text for s in statements).strip()
    return Answer(ev.question, text, statements, citations, as_of, comp.name, comp.name, checker.check,
                  posts_withheld=draft.withheld)
