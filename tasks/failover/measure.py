"""Measuring a failover run's traffic: streams from the observer, the VGW watch, the bounds.

A :class:`Meter` starts the observer's measurements, follows the VGW's choice, times how long
the traffic takes to arrive where a phase's action sent it (:meth:`Meter.measured`) and names
what a measured :class:`~tasks.failover.observe.Switch` got wrong against the bounds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tasks.failover.observe import PathObserver, Switch, VgwWatch
from tasks.failover.policy import FailoverError
from tasks.failover.records import FailoverOptions, PhaseResult, PhaseTimeout
from tasks.model import Router


def wait_for(what: str, ready: Callable[[], bool], timeout: float) -> float:
    """Poll ``ready`` every 20 ms; the seconds it took.

    Raises:
        PhaseTimeout: not ready within ``timeout`` seconds.
    """
    start = time.monotonic()
    while not ready():
        if time.monotonic() - start > timeout:
            raise PhaseTimeout(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - start


class Meter:
    """The measurements of one run; ``hook`` is the run's test hook, called at a point name."""

    def __init__(
        self, observer: PathObserver, options: FailoverOptions, hook: Callable[[str], None]
    ) -> None:
        self.observer = observer
        self.opt = options
        self.hook = hook
        self.watch: VgwWatch | None = None
        self.streams: list[Any] = []

    def start_watch(self) -> VgwWatch:
        every = getattr(self.observer, "watch_interval", 0.02)
        self.watch = VgwWatch(self.observer, every).start()
        return self.watch

    def stop_all(self) -> None:
        """Stop every measurement still running and the VGW watch."""
        for stream in list(self.streams):
            self.stop(stream)
        if self.watch is not None:
            self.watch.stop()

    def stream(self, duration: float) -> Any:
        """A started :class:`~tasks.observers.base.Measurement` that has its baseline."""
        stream = self.observer.measure(self.opt.rate, duration).start()
        self.streams.append(stream)
        stream.ready()
        return stream

    def stop(self, stream: Any) -> None:
        if stream in self.streams:
            self.streams.remove(stream)
        stream.stop()

    def silence(self, stream: Any, where: str) -> None:
        """Raise when the measurement has seen no traffic for longer than allowed: the path the
        traffic should be on is dead (the VGW's choice alone would notice only at hold time)."""
        last = stream.last_traffic()
        if last is None:
            return
        # Router counters see traffic once per read interval: allow three of them.
        limit = max(self.opt.max_silence, 3 * float(getattr(self.observer, "interval", 0.0)))
        gap = time.monotonic() - last
        if gap > limit:
            raise FailoverError(f"no traffic seen for {gap:.1f}s {where} (limit {limit:g}s): "
                                "restoring the primary")  # fmt: skip

    def measured(
        self, phase: PhaseResult, action: Callable[[], None], to: Router, frm: Router,
        point: str | None, timeout: float, silence: bool = False,
    ) -> Switch:  # fmt: skip
        """Probe, run ``action`` (t0), wait until the VGW and the probes are on ``to``, settle."""
        assert self.watch is not None
        stream = self.stream(timeout + self.opt.settle + 2)
        t0 = time.monotonic()
        phase.timings["command_at"] = round(time.time(), 3)  # wall clock: compare with others
        action()
        phase.timings["command_s"] = round(time.monotonic() - t0, 3)
        if point:
            self.hook(point)
        sees_vgw = getattr(self.observer, "sees_vgw", False)

        def arrived() -> bool:
            if silence:
                self.silence(stream, f"while moving the traffic to {to.name}")
            return (
                self.watch is not None
                and (not sees_vgw or self.watch.current == to.name)
                and stream.on(to.name, t0)
            )

        wait_for(f"the {'VGW and the ' if sees_vgw else ''}traffic to be on {to.name}",
                 arrived, timeout)  # fmt: skip
        time.sleep(self.opt.settle)
        self.stop(stream)
        switch = stream.switch(t0, to.name, frm.name)
        if to.name != frm.name:
            vgw = self.watch.first(to.name, t0) if sees_vgw else None
            switch.vgw_s = round(vgw - t0, 3) if vgw is not None else None
        else:
            switch.traffic_s = None  # nothing was meant to move
        phase.switch = switch
        return switch

    def loss(self) -> str:
        """The loss bound as the observer can judge it (counters cannot count lost packets)."""
        if getattr(self.observer, "counts_loss", True):
            return f"lost <= {self.opt.bounds.max_lost}"
        return f"no-traffic gap <= {self.opt.bounds.max_gap_s:g}s"

    def switch_problems(
        self, switch: Switch, max_s: float | None, max_lost: int | None
    ) -> list[str]:
        problems = []
        if max_s is not None and (switch.traffic_s is None or switch.traffic_s > max_s):
            problems.append(f"traffic moved after {switch.traffic_s}s (bound {max_s}s)")
        if max_lost is not None and switch.lost is not None and switch.lost > max_lost:
            problems.append(f"{switch.lost} probes lost (bound {max_lost})")
        gap = self.opt.bounds.max_gap_s
        if max_lost is not None and switch.lost is None and switch.outage_s is not None \
                and switch.outage_s > gap:  # fmt: skip
            # No probes to count (router counters): how long no router carried traffic.
            problems.append(f"no router carried traffic for {switch.outage_s}s (bound {gap}s)")
        return problems
