"""`veristream ask`: a cited answer from the stored posts."""

from __future__ import annotations

import sys

import click

from ..answer import ComposerError, make_composer
from ..model import iso
from .cluster import nats_option, open_reader
from .options import Ctx, json_option, lang_option, since_option, until_option, when
from .output import footer, print_json
from .search import NO_DATA_HINT

SINCE_HELP = "Only posts at/after this time: ISO time or a span back from the stream's now (6h, 2d)."


@click.command()
@click.argument("question")
@since_option(SINCE_HELP)
@until_option()
@click.option("--composer", "--model", "composer", type=click.Choice(["extractive", "local", "openai"]),
              default="extractive", show_default=True,
              help="extractive: a cited digest, no model; local: a GGUF model via llama.cpp; "
                   "openai: an OpenAI-compatible server.")
@click.option("--llm-path", type=click.Path(dir_okay=False), help="GGUF file for --composer local "
              "(default: setting llm_model_path, else the shipped SmolLM2-135M-Instruct).")
@click.option("--base-url", help="Server for --composer openai, e.g. http://127.0.0.1:8000/v1 (setting openai_base_url).")
@click.option("--openai-model", help="Model name for --composer openai (setting openai_model).")
@click.option("--api-key", help="Key for --composer openai (default: setting openai_api_key, else env OPENAI_API_KEY).")
@lang_option("Only posts in this language (ISO 639-1, e.g. ja).")
@json_option("One JSON object: the answer, its citations and checks.")
@nats_option()
@click.pass_obj
def ask(obj: Ctx, question: str, since, until, composer, llm_path, base_url, openai_model, api_key, lang,
        as_json, nats_url) -> None:
    """Answer QUESTION from the stored posts, citing them, stamped with the event time of the
    newest post used. The answer streams as it is checked; unsupported citations are dropped.

    Example: veristream ask "what happened at the marathon in the last hour?" --composer local
    """
    eng = open_reader(obj, nats_url, NO_DATA_HINT)
    try:
        if eng.vectors_notice:
            click.echo(eng.vectors_notice, err=True)
        now = eng.now()
        comp = make_composer(composer, eng.settings, llm_path=llm_path, base_url=base_url, model=openai_model,
                             api_key=api_key)

        def show(text: str) -> None:
            click.echo(text, nl=False)
            sys.stdout.flush()

        try:
            ans = eng.ask(question, since=when(since, now, "since"), until=when(until, now, "until"),
                          composer=comp, on_text=None if as_json else show, lang=lang)
        except ComposerError as e:
            raise click.ClickException(str(e)) from None
    finally:
        eng.close()
    if as_json:
        print_json(ans.to_dict())
        return
    click.echo("" if ans.text.endswith("\n") else "\n", nl=False)
    for c in ans.citations:
        click.echo(f"[{c.n}] @{c.author or '?'} {iso(c.time)} {c.post_id}" + (f" {c.url}" if c.url else ""))
        for what, said in c.attached:
            label = {"image": "text in image", "alt": "alt text", "card": "link card"}[what]
            click.echo(f"    {label}: {' '.join(said.split())}")
    click.echo(footer(ans.as_of, ans.posts_considered, ans.retrieval_mode, ans.embedding_pending, ans.composer,
                      f"{ans.took_ms:.0f} ms"), err=True)
    if ans.fallback:
        click.echo(f"note: showing the extractive digest instead of the {ans.asked} answer: {ans.fallback}", err=True)
    ck = ans.check
    if ck.dropped or ck.unsupported_statements:
        click.echo(f"note: {ck.dropped} citation marker(s) dropped ({ck.dropped_unresolved} unresolved, "
                   f"{ck.dropped_unsupported} unsupported), {ck.unsupported_statements} unsupported statement(s) "
                   f"not shown", err=True)
