"""Watching the path during a failover: which router carries the traffic, and when it moved.

A failover is measured from the drain command to two events: the VGW's path change and the
moment traffic leaves through the backup. The observer that judges them is chosen by kind
(:mod:`tasks.observers`, ``user_defined.probe.kind``):

- ``counters``: the routers' own tunnel RX / SA / NAT counters, read about once a second over
  one SSH session per router; no VGW view (no AWS API says which tunnel a VGW forwards on), no
  loss count, a gap ("no router carried traffic") instead;
- ``ssm``: an agent in the VPC polling a "what is my address" URL through SSM Run Command, with
  sequence numbers: losses and switch times like the lab's, collected after each phase;
- ``lab`` (registered by the lab): the lab's VGW and UDP probe stream; the only
  :class:`FaultInjector` (``--mode hard``).

:class:`VgwWatch` polls the observer's choice in a thread so its changes are time-stamped while
the main thread is busy issuing commands; :func:`switch_of` turns a probe stream into timings
and losses. CloudWatch confirms after the fact (:mod:`tasks.observers.cloudwatch`).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tasks.failover.policy import FailoverError


class Probe(Protocol):
    seq: int
    source: str
    sent: float
    received: float


class PathObserver(Protocol):
    """What the failover asks of an observer (see :class:`tasks.observers.base.Observer`)."""

    kind: str
    basis: str
    #: True when the observer sees the VGW's own choice (the lab): then ``vgw_s`` is reported.
    sees_vgw: bool

    def vgw_choice(self) -> str | None:
        """The router the VGW forwards the VPC's outbound traffic to, or None (no path)."""

    def measure(self, rate: float, duration: float) -> Any:
        """A :class:`tasks.observers.base.Measurement` around one change."""

    def nat_address(self, router: str) -> str:
        """The source address traffic leaving through ``router`` arrives with."""

    def close(self) -> None: ...


class FaultInjector(Protocol):
    def cut_underlay(self, router: str) -> None: ...

    def restore_underlay(self, router: str) -> None: ...

    def break_isp(self, router: str) -> None: ...

    def restore_isp(self, router: str) -> None: ...


def observer_for(probe: dict[str, Any] | None, hosts: Mapping[str, Any] | None = None) -> Any:
    """The observer the Nornir config's ``user_defined.probe`` names; refused when none fits.

    No ``kind`` means ``counters`` (the routers' own counters). Kinds are registered in
    :mod:`tasks.observers` (the lab registers ``lab``); this module never imports the lab.
    """
    from tasks.observers import ObserverError
    from tasks.observers import observer_for as build

    try:
        return build(probe, hosts or {})
    except ObserverError as exc:
        raise FailoverError(
            f"a failover test needs a path observer: {exc}. Without one the switch cannot be "
            "measured."
        ) from exc


class VgwWatch:
    """Polls the VGW's choice every ``interval`` seconds in a thread; changes time-stamped."""

    def __init__(self, observer: PathObserver, interval: float = 0.02) -> None:
        self.observer = observer
        self.interval = interval
        self.changes: list[tuple[float, str | None]] = []
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="vgw-watch")

    def start(self) -> VgwWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        last: object = object()
        while not self._stop.is_set():
            asked = time.monotonic()
            try:
                now = self.observer.vgw_choice()
            except Exception:  # a failed read is a gap in the record, not a failover error
                self.errors += 1
            else:
                if now != last:
                    # The answer describes some moment during the call: take its middle.
                    self.changes.append(((asked + time.monotonic()) / 2, now))
                    last = now
            self._stop.wait(self.interval)

    @property
    def current(self) -> str | None:
        return self.changes[-1][1] if self.changes else None

    def first(self, router: str, since: float) -> float | None:
        """When the VGW started using ``router`` (and kept it) at or after ``since``."""
        hit = None
        for at, value in self.changes:
            if value != router:
                hit = None
            elif hit is None:
                hit = max(at, since)
        return hit


@dataclass
class Switch:
    """One measured path change. Times are seconds from the command that caused it."""

    vgw_s: float | None = None
    traffic_s: float | None = None
    sent: int | None = 0  # None: the observer has no probes to count (router counters)
    received: int | None = 0
    lost: int | None = 0
    outage_s: float | None = None
    via_other: int = 0
    #: What these figures are based on (probes with sequence numbers, router counters ...).
    basis: str = ""


def switch_of(
    records: Sequence[Probe], sent: int, t0: float, new_source: str, old_source: str
) -> Switch:
    """Timings and losses of a move from ``old_source`` to ``new_source`` started at ``t0``.

    ``traffic_s`` is when the first probe that arrived through the new path after the last one
    through the old path was received: from then on traffic stayed on the new path. ``lost``
    counts sequence numbers sent and never received; ``outage_s`` the longest gap between
    arrivals after ``t0``; ``via_other`` probes that came through neither path.
    """
    seqs = {r.seq for r in records}
    result = Switch(sent=sent, received=len(seqs), lost=max(0, sent - len(seqs)))
    after = sorted((r for r in records if r.received >= t0), key=lambda r: r.received)
    result.via_other = sum(1 for r in records if r.source not in (new_source, old_source))
    last_old = max((i for i, r in enumerate(after) if r.source != new_source), default=-1)
    moved = after[last_old + 1 :]
    if moved:
        result.traffic_s = round(moved[0].received - t0, 3)
    arrivals = [t0] + [r.received for r in after]
    if len(arrivals) > 1:
        result.outage_s = round(max(b - a for a, b in itertools.pairwise(arrivals)), 3)
    return result
