"""What the commands share: the context object, the shared options (as decorators, so each is
declared once), reading times and the data directory's checks, as usage errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import click

from ..core import DataDir, EngineError
from ..engine import Engine
from ..places import parse_near
from ..readers import FORMATS
from ..settings import Settings, SettingsError
from ..timespec import TimeSpecError, parse_when

F = TypeVar("F", bound=Callable)


class Ctx:
    """`ctx.obj` of every command: where the data is and which settings file to read."""

    def __init__(self, data_dir: str, config: str | None):
        self.data_dir = Path(data_dir)
        self.config = config

    def settings(self) -> Settings:
        try:
            return Settings.load(self.config, self.data_dir)
        except SettingsError as e:
            raise click.UsageError(str(e)) from None

    def engine(self, readonly: bool = False) -> Engine:
        settings = self.settings()
        try:
            return Engine(self.data_dir, settings, readonly=readonly)
        except EngineError as e:
            raise click.UsageError(str(e)) from None

    def has_data(self) -> bool:
        return DataDir(self.data_dir).exists()

    def need_data(self, hint: str = "") -> None:
        """A usage error unless something was ever ingested here; `hint`: what to run first."""
        if not self.has_data():
            raise click.UsageError(f"no veristream data in {self.data_dir}" + (f" ({hint})" if hint else ""))


def when(value: str | None, now: datetime | None, what: str) -> datetime | None:
    """`--since`/`--until`: an ISO time or a span back from the stream's now (veristream.timespec)."""
    try:
        return parse_when(value, now, what)
    except TimeSpecError as e:
        raise click.BadParameter(e.message, param_hint=f"--{e.what}") from None


def speed(ctx: click.Context, param: click.Parameter, value: str) -> float | None:
    """The callback of `--speed`: an event-time speed-up, or None for 'max'."""
    if value == "max":
        return None
    try:
        v = float(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a number or 'max'") from None
    if not v > 0:
        raise click.BadParameter("must be greater than 0")
    return v


# -- shared options --------------------------------------------------------------------------

SINCE_HELP = "Only posts at/after this time: ISO time or a span back from the stream's now (2h, 7d)."
UNTIL_HELP = "Only posts at/before this time (same forms as --since)."


def since_option(help: str = SINCE_HELP) -> Callable[[F], F]:
    return click.option("--since", help=help)


def until_option(help: str = UNTIL_HELP) -> Callable[[F], F]:
    return click.option("--until", help=help)


def json_option(help: str) -> Callable[[F], F]:
    return click.option("--json", "as_json", is_flag=True, help=help)


def quiet_option(help: str = "No progress line.") -> Callable[[F], F]:
    return click.option("-q", "--quiet", is_flag=True, help=help)


def limit_option(most: int, default: int) -> Callable[[F], F]:
    return click.option("-n", "--limit", type=click.IntRange(1, most), default=default, show_default=True)


def _near(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[float, float, float] | None:
    if value is None:
        return None
    try:
        return parse_near(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


def near_option(help: str = "Only posts whose place is within RADIUS_KM of LAT,LON (e.g. 35.01,135.77,50).") -> Callable[[F], F]:
    return click.option("--near", metavar="LAT,LON,RADIUS_KM", callback=_near, help=help)


def lang_option(help: str) -> Callable[[F], F]:
    return click.option("--lang", help=help)


def format_option(help: str | None = None) -> Callable[[F], F]:
    """`--format` of the input lines: one of veristream.readers.FORMATS."""
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True, help=help)


def probe_timeout_option(help: str) -> Callable[[F], F]:
    return click.option("--probe-timeout", type=click.FloatRange(0.1, 60), default=3.0, show_default=True, help=help)
