"""Watching the path from outside the routers: which router the VGW uses, where probes leave.

A failover is measured from the drain command to two events: the VGW's path change and the
first probe that leaves through the backup's NAT address. Neither can be read from the routers
themselves (a router only knows what it sent), so an observer stands where AWS and the VPC are:

- :class:`PathObserver`: the VGW's choice and a probe stream; :class:`LabObserver` reads the
  lab's VGW (it plays AWS) and uses the lab's VPC and internet hosts.
- An AWS observer would get the data plane from a probe agent on an instance in the VPC
  (started through SSM Run Command) sending to a collector that records source addresses,
  and would infer the VGW's choice from that stream, because no AWS API says which tunnel a VGW
  forwards on; CloudWatch ``TunnelDataOut`` per tunnel confirms it at one-minute granularity.
  It is not built yet: ``user_defined.probe.kind`` other than ``lab`` is refused up front.
- :class:`FaultInjector`: cutting a router's underlay for ``--mode hard``; only the lab has one.

:class:`VgwWatch` polls the VGW in a thread so its changes are time-stamped while the main
thread is busy issuing commands; :func:`switch_of` turns a probe stream into timings and losses.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tasks.failover.policy import FailoverError


class Probe(Protocol):
    seq: int
    source: str
    sent: float
    received: float


class Stream(Protocol):
    """A bounded probe stream: ``start()``, then ``stop()`` returns what arrived."""

    sent: int
    records: list[Any]

    def start(self) -> Stream: ...

    def stop(self) -> list[Any]: ...


class PathObserver(Protocol):
    def vgw_choice(self) -> str | None:
        """The router the VGW forwards the VPC's outbound traffic to, or None (no path)."""

    def stream(self, rate: float, duration: float) -> Stream:
        """A probe stream from the VPC side to a collector that records NAT addresses."""

    def nat_address(self, router: str) -> str:
        """The source address probes leaving through ``router`` arrive with."""


class FaultInjector(Protocol):
    def cut_underlay(self, router: str) -> None: ...

    def restore_underlay(self, router: str) -> None: ...


class LabObserver:
    """The lab plays AWS: its VGW's best path, its VPC host and internet host."""

    kind = "lab"

    def __init__(self, lab: Any | None = None) -> None:
        if lab is None:
            from tasks.lab import Lab

            lab = Lab()
        self.lab = lab

    def vgw_choice(self) -> str | None:
        best = self.lab.vgw_best_path()
        return best["router"] if best else None

    def stream(self, rate: float, duration: float) -> Stream:
        stream: Stream = self.lab.probe_stream(rate=rate, duration=duration)
        return stream

    def nat_address(self, router: str) -> str:
        return str(self.lab.nat_address(router))

    def cut_underlay(self, router: str) -> None:
        self.lab.cut_underlay(router)

    def restore_underlay(self, router: str) -> None:
        self.lab.restore_underlay(router)


def observer_for(probe: dict[str, Any] | None) -> PathObserver:
    """The observer the Nornir config's ``user_defined.probe`` names; refused when none fits."""
    kind = (probe or {}).get("kind")
    if kind == "lab":
        return LabObserver()
    raise FailoverError(
        "a failover test needs a path observer: set user_defined.probe in the Nornir config "
        f"(known kinds: lab; got {kind!r}). Without one the switch cannot be measured."
    )


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
    sent: int = 0
    received: int = 0
    lost: int = 0
    outage_s: float | None = None
    via_other: int = 0


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
