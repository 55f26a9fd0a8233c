"""Verifying a claim against the stream: gather -> judge each post -> weigh -> verdict.

1. Hybrid retrieval gathers up to `verify_posts` posts about the claim (copies included) in
   the window asked for, and keeps the relevant ones (as `ask` does).
2. Each post gets its stance toward the claim (the stance model, with the post it replies
   to as context), and a second opinion from the claim-evidence model, shown beside it but
   not used for the verdict: learned from Wikipedia sentences, it reads posts poorly (README:
   Verify, measured figures).
3. Side: support -> for, deny -> against; questions and comments take no side and are
   listed under `other`.
4. Community notes (when the notes service is there) are fetched for the posts; a helpful
   "misleading" note takes its post off its side and counts for the other.
5. Credibility signals of each author (see `credibility`), and the crowd: the key posts'
   own replies, judged by the stance model (and read by the veracity model, shown); a post
   whose replies deny or question it (two or more, outnumbering support) counts half.
6. Independence, the verdict and its calibrated confidence: `independence`, `verdict`.

It presents evidence: it never refuses a claim and lists both sides, whatever the verdict.
Thread-safe like retrieval: the models are read-only once loaded.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..core.index.lexical import Filters
from ..model import Post, all_words, attachments, to_us
from ..retrieve import Hit, RetrieveQuery
from ..core.search import SearchQuery
from ..vectors.encoder import EncoderError, embed_text, find_model, index_id, load_encoder, missing_notice
from .base import EvidencePost, NoteRef, Verdict, VerifyError
from .claims import ClaimModel
from .credibility import AuthorRecord, assess
from .independence import Corroboration, Item, corroboration
from .judge import JudgeReport, LLMJudge, agreement_reason
from .linear import Weights, WeightsError
from .record import VerdictLog
from . import features as F
from .stance import STANCES, StanceInput, StanceModel, TextEncoder
from .stance import features as stance_features
from .veracity import Veracity, VeracityModel
from .verdict import calibrate, decide, decide_assertions, match_probability
from . import align as _align
from .assertions import _KIND_WORD, DENIAL_RX, ClaimReading, mentions, read_claim, read_posts

if TYPE_CHECKING:
    from ..core.search import SearchResult
    from ..notes import ScoredNote
    from ..retrieve import Retrieval
    from ..settings import Settings


class Checks(Protocol):
    """What verification needs of the engine (`veristream.Engine` is one)."""

    settings: "Settings"
    data_dir: Path

    def now(self) -> datetime | None: ...
    def get(self, key: str) -> Post | None: ...
    def search(self, text: str = "", **filters: Any) -> "SearchResult": ...
    def search_many(self, queries: list[SearchQuery]) -> "list[SearchResult]": ...
    def retrieve_many(self, queries: list[RetrieveQuery]) -> "list[Retrieval]": ...
    def notes_for(self, post_keys: list[str]) -> "dict[str, list[ScoredNote]]": ...
    def author_note_record(self, author_ids: list[str]) -> dict[str, int]: ...
    def post_vectors(self, seqs: list[int]) -> "tuple[str | None, dict[int, np.ndarray]]": ...

MAX_CLAIM_CHARS = 1000
TRAINED_MAX_TOKENS = 128  # as in training (train.py)
MAX_SHOWN_CHARS = 280
MAX_PARENT_HOPS = 3  # how far up a reply chain the depth is followed
MAX_REPLIES = 200  # replies judged per key post
REMEMBERED_TEXTS = 20_000  # vectors kept between claims (~30 MB): the same posts come up again
NOTE_WEIGHT = 1.0
MISLEADING = "MISINFORMED_OR_POTENTIALLY_MISLEADING"
HELPFUL = "CURRENTLY_RATED_HELPFUL"


def shipped_weights(name: str) -> Path:
    return Path(str(resources.files("veristream") / "data" / "verify" / f"{name}.npz"))


@dataclass(slots=True)
class Models:
    stance: StanceModel
    veracity: VeracityModel
    claims: ClaimModel

    @classmethod
    def load(cls, settings: "Settings", encoder: TextEncoder) -> "Models":
        def weights(name: str, path: str) -> Weights:
            try:
                return Weights.load(path or shipped_weights(name), name)
            except WeightsError as e:
                raise VerifyError(f"verify: {e}") from None

        try:
            return cls(StanceModel(weights("stance", settings.verify.stance_weights), encoder),
                       VeracityModel(weights("veracity", settings.verify.veracity_weights), encoder),
                       ClaimModel(weights("claims", settings.verify.claims_weights), encoder))
        except ValueError as e:
            raise VerifyError(f"verify: {e}") from None


class Verifier:
    """What `Engine.verify` runs; one per engine, holding the loaded models."""

    def __init__(self, engine: Checks):
        self.engine = engine
        self.settings = engine.settings
        encoder, self._vector_id = _encoder(engine)
        self.models = Models.load(self.settings, encoder)
        self._vectors = _Remembered(encoder, REMEMBERED_TEXTS)
        self.log = VerdictLog(engine.data_dir / "verify" / "verdicts.jsonl") if self.settings.verify.record else None

    def verify(self, claim: str, *, since: datetime | None = None, until: datetime | None = None,
               limit: int = 10, judge: LLMJudge | bool | None = None, record: bool = True) -> Verdict:
        """`judge`: an LLM's second reading of the key posts, shown, never counted (None: as
        the setting `verify_judge` says, with the openai_* settings; False: none). `record`:
        a decisive verdict enters the authors' record (when the setting `verify_record` is on)."""
        t0 = time.perf_counter()
        eng, s = self.engine, self.settings
        claim = " ".join((claim or "").split())[:MAX_CLAIM_CHARS]
        if not claim:
            raise ValueError("the claim is empty")
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        now = eng.now()
        reading = read_claim(claim)  # the claim's topic and its assertions (assertions.py)
        hits, mode, pending = self._gather(claim, since, until, reading.topic, role_queries(reading))
        posts = [h.post for h in hits]
        parents = self._parents(posts)
        # What each post states: its words and what is attached to it (text read from its images,
        # alt text, link cards): a screenshot of an official statement is evidence like a post.
        said = [all_words(p) for p in posts]
        self._reuse_stored([(h.seq, text) for h, text in zip(hits, said) if text == h.post.text])

        # Stance toward the claim; a reply is read with the post it answers.
        items = []
        for p, text in zip(posts, said):
            par = parents.get(p.key)
            items.append(StanceInput(text, claim, par[0].text if par else None, 1 + (par[1] if par else 0)))
        enc = self._vectors  # each text is encoded once (and posts the index embedded, never)
        stance_p = self.models.stance.proba(*stance_features(enc, items))
        judged = self.models.claims.judge([claim] * len(posts), said, enc)

        notes = self._notes([p.key for p in posts])
        records = self._records(posts, claim)

        ev: list[EvidencePost] = []
        for h, p, sp, j in zip(hits, posts, stance_p, judged):
            k = int(sp.argmax())
            e = EvidencePost(p.key, p.id, p.source, p.author.handle or p.author.id, p.author.id, p.created_at, p.url,
                             _bounded(p.text), STANCES[k], float(sp[k]), evidence=j.label,
                             evidence_confidence=j.confidence, reply_to=p.reply_to,
                             similarity=h.similarity,
                             attached=[(what, _bounded(x)) for what, x in attachments(p)[:3]])
            if h.story is not None:
                e.story_id, e.story_posts, e.story_authors = h.story.id, h.story.posts, h.story.authors
            e.credibility = assess(p, records.get(p.author.id))
            e.notes = notes.get(p.key, [])
            if e.stance == "support":
                e.side = "for"
            elif e.stance == "deny":
                e.side = "against"
            ev.append(e)

        # The claim as a rumour, every post about it a reaction (RumourEval's setting).
        crowd = None
        if len(posts):
            depths = [it.depth for it in items]
            crowd = self.models.veracity.judge([claim], [stance_p], [depths], enc.encode([claim]))[0]
        self._key_post_crowds(ev, posts, enc)
        earned = self._veracity_shown()
        shown_crowd = crowd if earned and crowd is not None and crowd.shown else None
        for e in ev:  # where the reading is not shown the counts of reactions stay (the stance model's)
            if e.crowd is not None and not (earned and e.crowd.shown):
                c = e.crowd
                e.crowd = Veracity("", 0.0, {}, c.replies, c.deny, c.query, c.support, c.known, False)

        results, on_topic = self._assertions(reading, ev, posts, hits)  # sides by the claim's details (align.py)
        support, against, noted = self._corroborate(ev)
        if results:
            lone = _align.settle_lone(results, support, against, on_topic)  # one source deciding, and how
            dec = decide_assertions(results, support, against, s.verify.min_sources, s.verify.contested_share,
                                    bool(lone))
            if lone == _align.LONE_TOGETHER:
                dec.reasons.append("every detail is confirmed, and the one source that states them together says "
                                   "what the claim says")
        else:
            dec = decide(support, against, s.verify.min_sources, s.verify.contested_share)
        reasons = list(dec.reasons)
        coef = self.models.veracity.weights.meta.get("calibration")
        conf = calibrate(dec.verdict, dec.raw, match_probability(dec.verdict, shown_crowd.probs if shown_crowd else None),
                         coef)
        reasons += self._more_reasons(ev, shown_crowd, noted)

        key = lambda e: (not e.counted, -(e.credibility.weight if e.credibility else 1) * e.stance_confidence,
                         -e.created_at.timestamp())
        lists: dict[str, list[EvidencePost]] = {"for": [], "against": [], "other": []}
        for e in sorted(ev, key=key):
            lists[e.side].append(e)
        as_of = max((e.created_at for e in ev), default=None)  # every post considered weighs in the verdict
        v = Verdict(claim, dec.verdict, conf, reasons, as_of, lists["for"][:limit], lists["against"][:limit],
                    lists["other"][:limit], support, against,
                    sum(e.stance == "query" for e in ev), sum(e.stance == "comment" and e.side == "other" for e in ev),
                    shown_crowd, True, dec.raw, since, until, now, len(posts), mode)
        v.assertions, v.topic = results, reading.topic
        v.embedding_pending = pending
        if judge is None and s.verify.judge:
            judge = LLMJudge.from_settings(s)
        if isinstance(judge, LLMJudge):
            v.judge = self._judge(judge, claim, lists)
            v.reasons.append(agreement_reason(v.judge, {e.key: e.stance for e in ev}, {e.key: "@" + e.author for e in ev}))
        if self.log is not None and record:
            counted = {e.key: e.author_id for e in ev if e.counted}
            self.log.add(v, [(counted[k], k) for k in support.counted if k in counted],
                         [(counted[k], k) for k in against.counted if k in counted])
        v.took_ms = (time.perf_counter() - t0) * 1000
        return v

    # -- steps ----------------------------------------------------------------------------

    def _gather(self, claim: str, since: datetime | None, until: datetime | None,
                topic: str | None = None, roles: list[str] | None = None) -> tuple[list[Hit], str, int]:
        """Posts about the claim, and about its topic without the claim's distinguishing values
        (a post stating another city or count is found too: it is evidence against); then, for
        each detail the claim turns on, posts on the topic that state a value in its role (the
        topic with the role's words: "born", "origin" for where someone is from), up to
        `ROLE_POSTS` more each: a rival value is often stated by posts the claim's words miss."""
        eng = self.engine
        f = Filters(to_us(since) if since else None, to_us(until) if until else None)
        n = self.settings.verify.posts
        qs = [RetrieveQuery(claim, f, n, all_posts=True)]
        if topic and topic != claim:
            qs.append(RetrieveQuery(topic, f, n, all_posts=True))
        main = len(qs)
        qs += [RetrieveQuery(q, f, ROLE_POSTS * 2, all_posts=True) for q in (roles or [])[:MAX_ROLE_QUERIES]]
        hits: list[Hit] = []
        seen: set[str] = set()
        mode, pending = "lexical", 0
        for k, r in enumerate(eng.retrieve_many(qs)):
            mode = r.mode
            pending = r.embedding.pending if r.embedding is not None else 0
            if k == main:
                hits = hits[:n]  # the claim's own posts first; each role's come on top
            added = 0
            for h in r.hits:
                if k >= main and added >= ROLE_POSTS:
                    break
                if h.post.key not in seen and about(h, len(r.keywords), self.settings.vectors.min_similarity,
                                                    0.6 if k < main else 0.4):
                    seen.add(h.post.key)
                    hits.append(h)
                    added += 1
        return hits if len(qs) > main else hits[:n], mode, pending

    def _assertions(self, reading: ClaimReading, ev: list[EvidencePost], posts: list[Post],
                    hits: list[Hit]) -> tuple[list, set[str] | None]:
        """Align every post with the claim's assertions, tally them per assertion, and set each
        post's side from what it states (align.py). Without assertions, sides stay the stance
        model's, a denial needing a denial's words. Returns the tallies and the keys of the posts
        on the claim's topic (None for a claim of places and names only, or with no assertions)."""
        said = [all_words(p) for p in posts]  # words and what is attached (as `verify` reads them)
        for e, text in zip(ev, said):
            if e.side == "against" and DENIAL_RX.search(text) is None:
                e.side = "other"  # read as a denial, but it says nothing of the kind
        if not reading.assertions:
            return [], None
        s = self.settings
        facts = read_posts(said, [p.created_at for p in posts])
        aligned = []
        anchors = [a.value for a in reading.assertions if a.kind in _align.ANCHORS]
        naming = [i for i, f in enumerate(facts) if any(mentions(f.lower, f.words, v) for v in anchors)]
        topic = _align.Topic(reading.topic, said, naming if anchors else None, reading.loose)
        lexical = [topic.lexical(i) for i in range(len(posts))]
        for k, (e, p, f, h) in enumerate(zip(ev, posts, facts, hits)):
            # close in meaning, but of another kind of event, is no sign it is about the claim
            similar = h.similarity is not None and h.similarity >= s.vectors.min_similarity + 0.15 and \
                not topic.other_event(k)
            links = _align.align_post(reading, f, p.created_at, lexical[k], similar, topic.novel, topic)
            e.details = [(i, a.relation, a.value) for i, a in sorted(links.items())]
            aligned.append(_align.Aligned(e.key, e.author_id, e.story_id, e.created_at,
                                          e.credibility.weight if e.credibility else 1.0,
                                          e.credibility.domains if e.credibility else [], links, lexical[k]))
        results = _align.tally(reading, aligned, s.verify.min_sources, s.verify.contested_share)
        # Support states a distinguishing detail (a number, date, cause, actor or owner; a place or
        # name only when the claim asserts nothing else) and is silent on no unsettled one.
        details = _align.distinguishing(reading)
        # a detail of a clause that gives the reason ("because the Kremlin was preparing an announcement")
        # supports from a post on the claim's topic only: alone it is not what the claim says happened
        fore = {i for i in details if not reading.assertions[i].background}
        must = _align.required(reading)
        unsettled = {i for i, r in enumerate(results) if r.status != "confirmed" and not _align.idle_description(r)}
        # a claim of places and names only that says more of them than an event's word (3 words or more
        # besides them): what it says is in its words, half of which a supporting post uses ("the gunmen
        # forced a cartoonist to type in the door code" is not supported by posts naming Charlie Hebdo);
        # and a claim about named parties is supported or contradicted only by posts naming one of them
        # ("closed Monday" of a shop is nothing of the New York Stock Exchange)
        names_only = not any(_align.carries(a) for a in reading.assertions)
        parties = {i for i, a in enumerate(reading.assertions) if a.kind == "who" and a.role in ("person", "org")
                   and not a.negated} if not names_only else set()
        # conflicts the tally counted (not strays or superseded); a rival of a detail the stream settles
        # on the claim's ("shot at the War Memorial" beside "inside Parliament", "the Lindt cafe" beside
        # "Martin Place": another site of the event) is another thing's, and puts no post against
        counted = [set(r.conflict_keys) if r.status != "confirmed" else set() for r in results]
        for k, (e, al, lex) in enumerate(zip(ev, aligned, lexical)):
            rel = {x.relation for x in al.links.values() if x.relation == _align.CONFIRMS}
            if any(x.relation == _align.CONFLICTS and e.key in counted[i] for i, x in al.links.items()):
                rel.add(_align.CONFLICTS)
            confirmed = {i for i, x in al.links.items() if x.relation == _align.CONFIRMS}
            # a denial of this claim: on its topic or stating one of its details (a claim that something
            # was said or rumoured is not denied by a post denying what was said: it is one more that tells of it)
            # (nor is a claim that itself calls the story false, "the footballer falsely rumoured to have
            # Ebola plays for Milan", denied by posts saying it was false)
            denial = e.stance == "deny" and e.side == "against" and (lex or al.links.named_any) and \
                not reading.reported and not reading.disclaims
            of_party = not parties or bool(confirmed & parties)
            if _align.CONFLICTS in rel and of_party:
                side = "against"
            elif denial:
                side = "against"
            elif confirmed & details and confirmed >= must and (e.stance != "query" or reading.reported) \
                    and not (unsettled - set(al.links)) and (lex or confirmed & fore) \
                    and (not names_only or len(topic.stems) < 3 or topic.share(k) >= 0.5) and of_party:
                side = "for"
            else:
                side = "other"  # context: silent on a detail nobody states, or asking
            if reading.negated and side != "other" and not denial:
                side = "against" if side == "for" else "for"
            elif reading.negated and denial:
                side = "for" if _align.CONFIRMS in rel else "other"
            e.side = side
        return results, (None if names_only else {e.key for e, lex in zip(ev, lexical) if lex})

    def _judge(self, judge: LLMJudge, claim: str, lists: dict[str, list[EvidencePost]]) -> JudgeReport:
        """The judge reads the posts that decide the verdict: each side's strongest in turn,
        then the questions and comments."""
        order: list[EvidencePost] = []
        for pair in zip_longest(lists["for"], lists["against"]):
            order += [e for e in pair if e is not None]
        order += lists["other"]
        report = judge.judge(claim, [(e.key, e.text) for e in order])
        for e in order:
            e.judge = report.read.get(e.key)
        return report

    def _reuse_stored(self, posts: list[tuple[int, str]]) -> None:
        """Posts the vector index has embedded are read through their stored vectors: the same
        model over the same link-free text (`embed_text`), so encoding them again (most of a
        verification's time) would give the same vectors. Only when the index's model is the
        one the verify models were trained on; longer posts are judged on their start, so they
        are encoded as judged."""
        todo = [(seq, text) for seq, text in posts if len(text) <= F.MAX_CHARS and not self._vectors.has(text)]
        if not todo:
            return
        model, stored = self.engine.post_vectors([seq for seq, _ in todo])
        if model != self._vector_id:
            return
        self._vectors.remember([(text, stored[seq]) for seq, text in todo if seq in stored])

    def _parents(self, posts: list[Post]) -> dict[str, tuple[Post, int]]:
        """For each reply whose parent is stored: (parent, the parent's depth: 1 for a post
        that replies to nothing stored)."""
        eng = self.engine
        cache: dict[str, Post | None] = {}

        def get(key: str) -> Post | None:
            if key not in cache:
                cache[key] = eng.get(key)
            return cache[key]

        out = {}
        for p in posts:
            pk = p.ref_key(p.reply_to)
            parent = get(pk) if pk else None
            if parent is None:
                continue
            depth, cur = 1, parent
            for _ in range(MAX_PARENT_HOPS):
                up = cur.ref_key(cur.reply_to)
                nxt = get(up) if up else None
                if nxt is None:
                    break
                depth, cur = depth + 1, nxt
            out[p.key] = (parent, depth)
        return out

    def _notes(self, keys: list[str]) -> dict[str, list[NoteRef]]:
        if not keys:
            return {}
        return {k: [NoteRef(n.note_id, _bounded(n.summary or ""), str(n.classification), str(n.status)) for n in notes]
                for k, notes in self.engine.notes_for(keys).items()}

    def _records(self, posts: list[Post], claim: str) -> dict[str, AuthorRecord]:
        eng = self.engine
        authors: dict[str, str] = {}
        for p in posts:
            authors.setdefault(p.author.id, p.author.handle)
        ids = list(authors)
        noted = eng.author_note_record(ids) if ids else {}
        refuted = self.log.refuted_counts(ids, exclude_claim=claim) if self.log is not None else None
        # Each author's stored posts, counted on one index snapshot (one reload, not one per author).
        handled = [(aid, h) for aid, h in authors.items() if h]
        counts = eng.search_many([SearchQuery("", Filters(author=h), limit=1) for _, h in handled])
        here = {aid: r.total for (aid, _), r in zip(handled, counts)}
        return {aid: AuthorRecord(here.get(aid), noted.get(aid, 0),
                                  refuted.get(aid, 0) if refuted is not None else None) for aid in authors}

    def _key_post_crowds(self, ev: list[EvidencePost], posts: list[Post], enc: TextEncoder) -> None:
        """The veracity model on the best posts of each side with their own stored replies."""
        n = self.settings.verify.crowd_posts
        if n <= 0:
            return
        by_key = {p.key: p for p in posts}
        keys = [e for e in sorted(ev, key=lambda e: -e.stance_confidence) if e.side != "other" and not e.reply_to][:n]
        for e in keys:
            p = by_key[e.key]
            replies = self._replies(p)
            if not replies:
                continue
            items = [StanceInput(r.text, p.text, p.text, 1) for r in replies]
            P = self.models.stance.proba(*stance_features(enc, items))
            e.crowd = self.models.veracity.judge([p.text], [P], [[1] * len(replies)], enc.encode([p.text[:MAX_CLAIM_CHARS]]))[0]

    def _replies(self, p: Post) -> list[Post]:
        until = p.created_at + timedelta(seconds=self.settings.verify.reply_window_s)
        res = self.engine.search("", reply_to=p.key, since=p.created_at, until=until, order="time",
                                 limit=MAX_REPLIES, all_posts=True)
        hits = [h for h in res.hits if h.post.key != p.key]
        self._reuse_stored([(h.seq, h.post.text) for h in hits])
        return [h.post for h in hits]

    def _corroborate(self, ev: list[EvidencePost]) -> tuple[Corroboration, Corroboration, int]:
        side_items: dict[str, list[Item]] = {"for": [], "against": []}
        noted = 0
        for e in ev:
            if e.side == "other":
                continue
            misleading = [n for n in e.notes if n.status == HELPFUL and n.classification == MISLEADING]
            if misleading:
                noted += 1
                other = "against" if e.side == "for" else "for"
                for n in misleading:
                    side_items[other].append(Item(e.key + "#note:" + n.note_id, "note:" + n.note_id, None, e.created_at,
                                                  NOTE_WEIGHT))
                continue
            # A source weighs its credibility; the stance's own confidence is shown, not multiplied
            # in: the classes' probabilities are not on one scale (denials are read more surely).
            w = e.credibility.weight if e.credibility else 1.0
            if doubted(e.crowd):
                w *= 0.5
            side_items[e.side].append(Item(e.key, e.author_id, e.story_id, e.created_at, w,
                                           e.credibility.domains if e.credibility else []))
        support, against = corroboration(side_items["for"]), corroboration(side_items["against"])
        counted = set(support.counted) | set(against.counted)
        for e in ev:
            e.counted = e.key in counted
        return support, against, noted

    def _veracity_shown(self) -> bool:
        """The veracity model's reading is shown only when its weights record held-out accuracy
        above the majority class's (`heldout_accuracy` > `heldout_majority` in their meta), and
        then only for claims close to the rumours it learned from (`Veracity.shown`), the ones
        that figure was measured on: the shipped model scores 0.77 there where the majority
        class scores 0.47, and below the majority class on events it never saw (docs/verify.md)."""
        meta = self.models.veracity.weights.meta
        acc, base = meta.get("heldout_accuracy"), meta.get("heldout_majority")
        return isinstance(acc, (int, float)) and isinstance(base, (int, float)) and acc > base

    def _more_reasons(self, ev: list[EvidencePost], crowd: Veracity | None, noted: int) -> list[str]:
        out = []
        copies = sum(1 for e in ev if e.side != "other" and not e.counted)
        if copies:
            out.append(f"{copies} post(s) on a side were not counted again: copies, reposts or the same author")
        q = sum(1 for e in ev if e.stance == "query")
        if q:
            out.append(f"{q} post(s) question the claim (taking no side)")
        if noted:
            out.append(f"{noted} post(s) carry a helpful community note rating them misleading: counted for the other side")
        halved = sum(1 for e in ev if doubted(e.crowd) and e.side != "other")
        if halved:
            out.append(f"{halved} key post(s) count half: more of their replies deny or question them than support them")
        if crowd is not None:
            p = crowd.probs
            out.append(f"the rumour model (PHEME and RumourEval rumours of 2014-15) reads the claim's wording, close to "
                       f"a rumour it learned (similarity {crowd.known:.2f}), as true {p['true']:.0%}, "
                       f"false {p['false']:.0%}, unverified {p['unverified']:.0%}; the reactions are not in it")
        return out


ROLE_POSTS = 40  # posts each detail's own retrieval may add to those found for the claim and its topic
MAX_ROLE_QUERIES = 3
# Words posts state a value of each role with ("originally from Iran", "a 3-year-old boy").
ROLE_CUES = {"origin": "born origin native nationality from", "member": "member served regiment unit",
             "relation": "", "nickname": "dubbed nicknamed called", "model": "model type",
             "time": "morning afternoon evening night", "cause": "caused cause blamed", "owner": "owned owner subsidiary",
             "means": "made", "kind": "armed weapons plant factory site", "date": "", "agent": ""}
_UNIT_CUES = {"age": "year old aged", "deaths": "killed dead toll", "injured": "injured hurt", "dollars": "million",
              "evacuated": "evacuated evacuation", "bodies": "bodies found recovered"}


def role_queries(reading: ClaimReading) -> list[str]:
    """One query per detail the claim turns on (not its places and names): the claim's places and
    names and its topic, with the words a post states a value of that role with, never the
    claim's own value (the rival values are what is missing)."""
    anchors = [a.value for a in reading.assertions if a.kind in _align.ANCHORS and not a.negated]
    base = " ".join(dict.fromkeys(anchors + [reading.topic]))
    out = []
    for a in reading.assertions:
        if not _align.carries(a):
            continue
        if a.kind == "number":
            cue = _UNIT_CUES.get(a.role, a.role.replace("n:", "").replace("_", " "))
        elif a.kind == "agent" and a.verb:
            cue = a.verb + " " + (a.title or "")
        elif a.kind == "cause" and _KIND_WORD.search(a.value):
            cue = _KIND_WORD.search(a.value).group(0)  # "cyclone Yasi": posts naming the cyclone
        else:
            cue = ROLE_CUES.get(a.kind, "")
        q = " ".join((base + " " + cue).split())
        if q and q not in out and q != reading.claim:
            out.append(q)
    return out


def doubted(crowd: Veracity | None) -> bool:
    """RumourEval's lesson, applied openly: a post whose replies deny or question it (two or
    more, outnumbering the supporting ones) is more often false."""
    return crowd is not None and crowd.deny + crowd.query >= 2 and crowd.deny + crowd.query > crowd.support


def about(h: Hit, nkeywords: int, min_similarity: float, share: float = 0.6) -> bool:
    """Whether a retrieved post is about the claim: stricter than `ask`'s relevance, since a
    post taken as evidence takes a side (sharing one word of "Putin has died" is not enough).
    Most of the claim's content words, or a close MiniLM match, or some words and a fair one."""
    if nkeywords == 0:
        return True
    need = 1 if nkeywords == 1 else max(2, math.ceil(share * nkeywords))
    if h.coverage * nkeywords >= need - 1e-9:
        return True
    sim = h.similarity or 0.0
    return sim >= min_similarity + 0.15 or (h.coverage >= 0.5 and sim >= min_similarity + 0.1)


class _Remembered:
    """The verify models' encoder, reading each text as the vector index does (`embed_text`:
    without links; the stance figures are the same either way, docs/verify.md) and keeping
    the last `capacity` texts' vectors, so a post seen by an earlier claim, or embedded by the
    index (`remember`), is not encoded again. Thread-safe: verifications may run at once."""

    def __init__(self, enc: TextEncoder, capacity: int):
        self.enc = enc
        self.capacity = capacity
        self._seen: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def has(self, text: str) -> bool:
        with self._lock:
            return embed_text(text) in self._seen

    def remember(self, pairs: list[tuple[str, np.ndarray]]) -> None:
        with self._lock:
            for text, vec in pairs:
                self._keep(embed_text(text), np.asarray(vec, np.float32))

    def _keep(self, key: str, vec: np.ndarray) -> None:
        self._seen[key] = vec
        self._seen.move_to_end(key)
        while len(self._seen) > self.capacity:
            self._seen.popitem(last=False)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), np.float32)
        keys = [embed_text(t) for t in texts]
        with self._lock:
            got = {k: self._seen[k] for k in keys if k in self._seen}
        todo = [k for k in dict.fromkeys(keys) if k not in got]
        if todo:
            got.update(zip(todo, self.enc.encode(todo)))
        with self._lock:
            for k in dict.fromkeys(keys):
                self._keep(k, got[k])
        return np.stack([got[k] for k in keys])


def _encoder(engine: Checks) -> tuple[TextEncoder, str]:
    """The shipped MiniLM, whatever model retrieval uses: the verify models were trained on its
    vectors. Loaded encoders are shared in the process, so with the default settings this is
    the engine's own. With it, the id a vector index holding the same vectors has."""
    files = find_model()
    if files is None:
        raise VerifyError("verify needs the sentence-embedding model: " + missing_notice())
    try:
        enc = load_encoder(files, TRAINED_MAX_TOKENS, engine.settings.vectors.threads)
    except EncoderError as e:
        raise VerifyError(f"verify: {e}") from None
    if enc.dim != 384:
        raise VerifyError(f"verify: {files.onnx} gives {enc.dim}-dimension vectors; the models need MiniLM's 384")
    return enc, index_id(files, TRAINED_MAX_TOKENS)


def _bounded(text: str) -> str:
    t = " ".join(text.split())
    return t if len(t) <= MAX_SHOWN_CHARS else t[: MAX_SHOWN_CHARS - 1] + "…"
