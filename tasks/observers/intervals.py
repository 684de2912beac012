"""Counter intervals -> the figures of a path change (pure functions, unit-tested).

An :class:`Interval` is one router's counter rate between two consecutive reads. A router
*carries* in an interval when the rate reaches ``min_pps``. From these:

- ``traffic_s``: when the new router started carrying for good, counted from the command. The
  moment inside the first carrying interval is placed by the share of the full rate it
  carried (an interval that saw 30% of the old path's rate began carrying 30% of its length
  before its end), so the resolution is better than the read interval, not worse.
- ``outage_s``: the longest time after the command that no router carried traffic (0.0 when
  the carrying intervals overlap or touch: make-before-break).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from tasks.failover.observe import Switch


@dataclass(frozen=True)
class Interval:
    router: str
    start: float
    end: float
    rate: float  # counter units per second


def carriers(intervals: Sequence[Interval], min_pps: float) -> list[str]:
    """Routers carrying in any of ``intervals``, sorted."""
    return sorted({i.router for i in intervals if i.rate >= min_pps})


def switch_from_intervals(
    intervals: Sequence[Interval], t0: float, new: str, old: str, min_pps: float, basis: str
) -> Switch:
    result = Switch(sent=None, received=None, lost=None, basis=basis)
    on = sorted((i for i in intervals if i.rate >= min_pps), key=lambda i: i.start)
    old_on = [i for i in on if i.router == old]
    before = [i.rate for i in old_on if i.end <= t0] or [i.rate for i in on]
    full = statistics.median(before) if before else 0.0
    if new != old:
        last_old = max((i.start for i in old_on if i.end > t0), default=t0)
        first_new = next(
            (i for i in on if i.router == new and i.end > t0 and i.end >= last_old), None
        )
        if first_new is not None and full > 0:
            share = min(1.0, first_new.rate / full)
            began = first_new.end - share * (first_new.end - first_new.start)
            result.traffic_s = round(max(0.0, began - t0), 3)
    after = [i for i in on if i.end > t0]
    end = max((i.end for i in intervals), default=t0)
    gap, cursor = 0.0, t0
    for i in after:
        if i.start > cursor:
            gap = max(gap, i.start - cursor)
        cursor = max(cursor, i.end)
    if end > cursor:
        gap = max(gap, end - cursor)
    result.outage_s = round(gap, 3) if intervals else None
    result.via_other = len({i.router for i in after} - {new, old})
    return result
