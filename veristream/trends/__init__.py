"""What is happening now: bursting terms and the events they form, in event time.

`Trends` (in `detector`) is a writing engine's detector; `StoredTrends` reads what a writer
stored. The layout and the threading, time and restart rules are in `detector`'s docstring.
"""

from .detector import StoredTrends, TrendConfig, Trends, sparkline
from .records import Curve, Event, Trend, TrendsStatus

__all__ = ["Trends", "StoredTrends", "TrendConfig", "Trend", "TrendsStatus", "Event", "Curve", "sparkline"]
