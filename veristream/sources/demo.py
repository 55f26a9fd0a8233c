"""The built-in demo stream as a live source: what `veristream serve` follows with no network.

It replays `veristream.demo`'s synthetic stream (chatter, copies, campaigns and a handful of
breaking events that burst and fade) through the same runner, queue and status as a real
source, so the page, the feed, trends and `/v1/sources` behave as they do live.

Time is shifted onto the wall clock: the stream starts `catch_up_s` seconds in the past,
that first part is handed over at once (so search and trends have some history on the first
page load), and the rest arrives as its `created_at` comes due (`speed` 1: one second of
stream per second). One round of the generator (`round_s` of stream) holds every demo event;
the next round follows it with another seed, so the stream never runs dry.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..demo import generate
from .base import Sink, Source, SourceError


@dataclass
class DemoConfig:
    rate: float = 20.0  # posts per second of stream (the generator's Poisson rate)
    round_s: float = 3600.0  # stream seconds per round of the generator (all its events)
    # Stream seconds before the start, handed over at once (36,000 posts by default): past the
    # trend detector's warm-up and the stadium blackout, so the page opens on raised events and
    # the next ones (a product launch, a wildfire, a flood) break live, 2, 12 and 22 min later.
    catch_up_s: float = 1800.0
    speed: float = 1.0  # stream seconds per wall-clock second after the catch-up
    seed: int = 7
    max_posts: int = 0  # stop after this many posts (0: never)


class DemoSource(Source):
    kind = "demo"

    def __init__(self, config: DemoConfig | None = None, name: str | None = None):
        super().__init__(name)
        self.config = c = config or DemoConfig()
        if not (c.rate > 0 and c.round_s > 0 and c.speed > 0):
            raise SourceError("demo: rate, round_s and speed must be greater than 0")
        if c.catch_up_s < 0 or c.max_posts < 0:
            raise SourceError("demo: catch_up_s and max_posts must be 0 or more")
        if c.rate * c.round_s > 10_000_000:
            raise SourceError("demo: a round (rate x round_s) is limited to 10,000,000 posts")

    def _run(self, sink: Sink) -> None:
        c = self.config
        t0_wall = time.monotonic()
        origin = datetime.now(timezone.utc) - timedelta(seconds=c.catch_up_s)
        self.connected(f"built-in demo stream ({c.rate:g} posts/s, speed {c.speed:g})")
        handed = 0
        round_no = 0
        per_round = max(1, round(c.rate * c.round_s))
        while not self.stopped:
            start = origin + timedelta(seconds=round_no * c.round_s)
            for post in generate(per_round, seed=c.seed + round_no, start=start, rate_per_s=c.rate):
                # Due when the wall clock reaches the post's place in the stream (after the catch-up).
                stream_s = (post.created_at - origin).total_seconds()
                wait = (stream_s - c.catch_up_s) / c.speed - (time.monotonic() - t0_wall)
                if wait > 0 and self.wait(wait):
                    return
                if self.stopped:
                    return
                self.message(post.created_at)
                self.hand_over(sink, post)
                handed += 1
                if c.max_posts and handed >= c.max_posts:
                    return
            round_no += 1
