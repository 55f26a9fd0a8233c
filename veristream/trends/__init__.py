"""What is happening now: bursting terms and the events they form, in event time.

`Trends` (in `detector`) is a writing engine's detector; `TrendsProcess` (in `process`, the
default) runs it in a process of its own that tails the store; `StoredTrends` reads what a
writer stored. The layout and the threading, time and restart rules are in `detector`'s
docstring, the process's contract in `process`'s.
"""

from .detector import StoredTrends, TrendConfig, Trends, sparkline
from .process import TrendsProcess
from .records import Curve, Event, Trend, TrendsStatus

__all__ = ["Trends", "TrendsProcess", "StoredTrends", "TrendConfig", "Trend", "TrendsStatus", "Event", "Curve", "sparkline"]
