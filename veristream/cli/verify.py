"""`veristream verify` and `veristream train`: glue over `Engine.verify` and `train.py`.

Rendering is here, the work in the engine.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import click

from ..verify.align import describe
from ..verify.base import EvidencePost, Verdict, VerifyError
from ..verify.judge import LLMJudge
from ..verify.train import WHAT, TrainError, default_data_dir, train_files
from .cluster import nats_option, open_reader
from .options import Ctx, json_option, since_option, until_option, when
from .output import footer, print_json

LETTER = {"support": "S", "deny": "D", "query": "Q", "comment": "C"}


@click.command("verify")
@click.argument("claim")
@since_option("Only posts at/after this time: ISO time or a span back from the stream's now (6h, 2d).")
@until_option()
@click.option("-n", "--limit", type=click.IntRange(1, 200), default=8, show_default=True,
              help="Posts shown for, against and neither (the verdict weighs every post found).")
@click.option("--judge/--no-judge", default=None, help="A second reading of the key posts' stances by an "
              "OpenAI-compatible model, shown beside them, never counted (setting verify_judge).")
@click.option("--base-url", help="Server for --judge, e.g. http://127.0.0.1:8000/v1 (setting openai_base_url).")
@click.option("--openai-model", help="Model name for --judge (setting openai_model).")
@json_option("One JSON object: verdict, reasons, evidence for and against.")
@nats_option()
@click.pass_obj
def verify(obj: Ctx, claim: str, since: str | None, until: str | None, limit: int, judge: bool | None,
           base_url: str | None, openai_model: str | None, as_json: bool, nats_url: str | None) -> None:
    """Check CLAIM against the stored posts: what the stream says for and against it, how
    independent and credible that is, and a verdict (supported, refuted, contested,
    unverified) with its confidence and reasons. Both sides are always shown.

    Example: veristream verify "the co-pilot locked the captain out of the cockpit" --since 2d
    """
    eng = open_reader(obj, nats_url, "run `veristream ingest FILE` first")
    try:
        now = eng.now()
        s = eng.settings
        llm: LLMJudge | bool = False
        if s.verify.judge if judge is None else judge:
            try:
                llm = LLMJudge.from_settings(s, base_url, openai_model)
            except ValueError as e:
                raise click.UsageError(str(e)) from None
        try:
            v = eng.verify(claim, since=when(since, now, "since"), until=when(until, now, "until"),
                           limit=limit, judge=llm)
        except VerifyError as e:
            raise click.ClickException(str(e)) from None
        except ValueError as e:
            raise click.UsageError(str(e)) from None
    finally:
        eng.close()
    if as_json:
        print_json(v.to_dict())
        return
    render(v, shutil.get_terminal_size((100, 24)).columns)


def render(v: Verdict, width: int = 100) -> None:
    width = max(60, min(width, 160))
    click.echo(f"Claim: {v.claim}")
    click.echo(f"Verdict: {v.verdict.upper()} (confidence {v.confidence:.2f})")
    for r in v.reasons:
        for i, ln in enumerate(textwrap.wrap(r, width - 4) or [""]):
            click.echo(("  - " if i == 0 else "    ") + ln)
    col = (width - 3) // 2
    if v.assertions:
        click.echo("")
        for ln in assertion_rows(v, col):
            click.echo(ln.rstrip())
    left = [f"FOR · {_count(v.support)}"] + _column(v.evidence_for, col)
    right = [f"AGAINST · {_count(v.against)}"] + _column(v.evidence_against, col)
    click.echo("")
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else ""
        b = right[i] if i < len(right) else ""
        click.echo(f"{a:<{col}} │ {b}".rstrip())
    if v.other:
        click.echo("")
        click.echo(f"NEITHER SIDE · {v.queries} question(s), {v.comments} other comment(s)")
        for ln in _column(v.other, width):
            click.echo(ln)
    click.echo(footer(v.as_of, v.posts_considered, v.retrieval_mode, v.embedding_pending, f"{v.took_ms:.0f} ms"),
               err=True)


STATUS = {"confirmed": "CONFIRMED", "conflicted": "CONTRADICTED", "disputed": "DISPUTED",
          "unaddressed": "NOT ADDRESSED"}


def assertion_rows(v: Verdict, col: int) -> list[str]:
    """The claim's details side by side: what the claim says, what the stream says (with the
    independent sources on each side and the posts that state them)."""
    out = [f"{'THE CLAIM SAYS':<{col}} │ THE STREAM SAYS"]
    for r in v.assertions:
        left = textwrap.wrap(describe(r.assertion).replace(": the claim says", ":"), col) or [""]
        right = [f"{STATUS.get(r.status, r.status)}"]
        if r.confirm.posts or r.conflict.posts:
            right.append(f"{r.confirm.authors} source(s), {r.confirm.posts} post(s) state it")
            for vc in r.other_values[:3]:
                right.append(f"{vc.sources} source(s), {vc.posts} post(s) state {vc.value}")
            keys = r.confirm_keys[:2] + r.conflict_keys[:2]
            if keys:
                right += textwrap.wrap("posts: " + ", ".join(keys), col)
        else:
            right.append("no post states it or another value")
        right = [x for ln in right for x in (textwrap.wrap(ln, col) or [""])]
        for i in range(max(len(left), len(right))):
            a = left[i] if i < len(left) else ""
            b = right[i] if i < len(right) else ""
            out.append(f"{a:<{col}} │ {b}")
    return out


def _count(c) -> str:
    return f"{c.authors} source(s), {c.posts} post(s), {len(c.domains)} domain(s)"


def _column(posts: list[EvidencePost], width: int) -> list[str]:
    out: list[str] = []
    if not posts:
        return ["(none found)"]
    for p in posts:
        head = (f"[{LETTER.get(p.stance, '?')} {p.stance_confidence:.2f}] @{p.author} "
                f"{p.created_at.strftime('%Y-%m-%d %H:%M')}"
                + (" (not counted again)" if p.side != "other" and not p.counted else ""))
        out += textwrap.wrap(head, width) or [""]
        out += ["  " + ln for ln in textwrap.wrap(p.text, width - 2)[:4]]
        for what, said in p.attached[:2]:
            label = {"image": "in an image attached to it", "alt": "an image's alt text", "card": "its link card"}[what]
            out += ["  " + ln for ln in textwrap.wrap(f"{label}: {' '.join(said.split())}", width - 2)[:3]]
        extra = _signals(p)
        if extra:
            out += ["  " + ln for ln in textwrap.wrap(extra, width - 2)]
        for n in p.notes[:2]:
            out += ["  " + ln for ln in textwrap.wrap(f"note ({n.status.lower()}, {n.classification.lower()}): "
                                                      f"{n.summary}", width - 2)[:3]]
    return out


def _signals(p: EvidencePost) -> str:
    bits = []
    if p.story_posts > 1:
        bits.append(f"{p.story_posts} copies/{p.story_authors} authors")
    c = p.credibility
    if c is not None:
        if abs(c.weight - 1.0) > 1e-6:
            bits.append(f"weight {c.weight:.2f}")
        for s in c.signals:
            if s.name == "verified" and s.value:
                bits.append("verified")
            elif s.name == "followers" and s.value is not None:
                bits.append(f"{s.value:,} followers")
            elif s.name == "primary_source" and s.value:
                bits.append("links " + ", ".join(s.value[:2]))
            elif s.name == "account_age_days" and s.value is not None and s.effect < 0:
                bits.append("new account")
            elif s.name in ("misleading_notes", "refuted_claims") and s.value:
                bits.append(f"{s.value} {s.name.replace('_', ' ')}")
    if p.crowd is not None:
        bits.append(f"replies: {p.crowd.replies} ({p.crowd.deny} deny, {p.crowd.query} query)")
    if p.judge is not None:
        bits.append(f"LLM judge: {p.judge}")
    return " · ".join(bits)


@click.command("train")
@click.argument("models", nargs=-1, type=click.Choice(["stance", "veracity", "claims", "all"]))
@click.option("--rumoureval", type=click.Path(dir_okay=False), help="RumourEval 2017 threads JSONL "
              "(default ../shared/data/rumoureval2017/traindev_threads.jsonl when present).")
@click.option("--pheme", type=click.Path(dir_okay=False), help="PHEME source tweets JSONL for the veracity "
              "text layer (default ../shared/data/pheme/pheme_source_tweets.jsonl when present).")
@click.option("--climate-fever", type=click.Path(dir_okay=False), help="Climate-FEVER claims JSONL "
              "(default ../shared/data/climate_fever/dev.jsonl when present).")
@click.option("--split", type=click.Choice(["train", "all"]), default="train", show_default=True,
              help="RumourEval threads to learn from: the task's train split (dev kept for scoring) or all.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Where the .npz weights go (default: verify-models in the data directory).")
@click.option("--cache", type=click.Path(file_okay=False), default=None,
              help="Embedding cache (default: train-cache in the data directory).")
@click.pass_obj
def train(obj: Ctx, models: tuple[str, ...], rumoureval: str | None, pheme: str | None, climate_fever: str | None,
          split: str, out_dir: str | None, cache: str | None) -> None:
    """Train the verification models (needs scikit-learn: pip install 'veristream[train]')
    and write their weights; point the settings verify_*_weights at them to use them.

    Example: veristream train all --out veristream/data/verify
    """
    what = list(WHAT) if not models or "all" in models else list(dict.fromkeys(models))
    data = default_data_dir()

    def pick(given: str | None, rel: str) -> Path | None:
        if given:
            return Path(given)
        return data / rel if data is not None and (data / rel).is_file() else None

    out = Path(out_dir) if out_dir else obj.data_dir / "verify-models"
    try:
        got = train_files(what, out, pick(rumoureval, "rumoureval2017/traindev_threads.jsonl"),
                          pick(pheme, "pheme/pheme_source_tweets.jsonl"), pick(climate_fever, "climate_fever/dev.jsonl"),
                          split, Path(cache) if cache else obj.data_dir / "train-cache",
                          log=lambda m: click.echo(m, err=True))
    except (TrainError, ValueError, OSError) as e:
        raise click.ClickException(str(e)) from None
    for name, path in got.items():
        click.echo(f"{name}: {path}  (setting verify_{name}_weights = \"{path}\")")
