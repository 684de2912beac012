"""The ``counters`` observer: which router carries the VPC's traffic, from the routers' counters.

The router the VGW forwards the VPC's outbound traffic to is the one whose tunnels receive it.
Every router of the VPC is read about once a second (``interval``) over one SSH session that
stays open for the whole observation (a login per sample would cost more than the interval).
The counter marked ``decides`` in ``parsers/counters.yaml`` is turned into a rate per
interval; a router *carries* in an interval when its rate is at least ``min_pps``. BGP
keepalives, IKE and DPD add well under one packet per second, so the default threshold (5/s)
is not reached by them.

Too little traffic to tell is said, never guessed: verify skips with the highest rate it saw.

Settings (``user_defined.probe`` with ``kind: counters``): ``interval`` (s, default 1),
``min_pps`` (default 5), ``window`` (s verify observes, default 4).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import yaml

from tasks import PROJECT_ROOT
from tasks.inventory import router_of
from tasks.model import Router, by_vpc
from tasks.observers import ObserverError, register
from tasks.observers.counter_parse import PARSERS
from tasks.observers.intervals import Interval, carriers, switch_from_intervals
from tasks.verify.report import Check

log = logging.getLogger(__name__)

TABLE = PROJECT_ROOT / "parsers" / "counters.yaml"


@dataclass(frozen=True)
class CounterSpec:
    counter: str
    command: str
    parser: str
    decides: bool = False


@cache
def counter_table() -> dict[str, tuple[CounterSpec, ...]]:
    """Platform -> its counters; a broken table or an unknown parser is refused."""
    data = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
    table = {p: tuple(CounterSpec(**e) for e in entries) for p, entries in data.items()}
    for platform, specs in table.items():
        unknown = [s.parser for s in specs if s.parser not in PARSERS]
        deciding = [s for s in specs if s.decides]
        if unknown or len(deciding) != 1:
            raise ObserverError(
                f"{TABLE}: {platform}: unknown parsers {unknown} or not one deciding counter"
            )
    return table


@dataclass
class Sample:
    at: float  # time.monotonic() in the middle of the read
    values: dict[str, int | None]


@dataclass
class RouterSampler:
    """One router, one open session, a sample every ``interval`` seconds in a thread."""

    host: Any
    router: Router
    interval: float
    samples: list[Sample] = field(default_factory=list)
    error: str | None = None

    def __post_init__(self) -> None:
        self.specs = counter_table().get(self.router.platform, ())
        self.decider = next((s.counter for s in self.specs if s.decides), "")
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, daemon=True, name=f"counters-{self.router.name}"
        )

    def start(self) -> RouterSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=15)

    def _run(self) -> None:
        from tasks.drivers.base import driver_for

        if not self.specs:
            self.error = f"no counters known for platform {self.router.platform!r}"
            return
        driver = driver_for(self.host)
        try:
            driver.open(dedicated=True)  # polls in its own thread, beside the run's session
            while not self._stop.is_set():
                began = time.monotonic()
                raw: dict[str, str] = {}
                for command in dict.fromkeys(s.command for s in self.specs):
                    raw[command] = driver.show(command)
                at = (began + time.monotonic()) / 2
                values = {
                    s.counter: PARSERS[s.parser](raw[s.command], self.router) for s in self.specs
                }
                self.samples.append(Sample(at, values))
                self._stop.wait(max(0.0, began + self.interval - time.monotonic()))
        except Exception as exc:  # DriverError, ConnectError: the router is unread, said so
            self.error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        finally:
            try:
                driver.close()
            except Exception:
                log.debug("close failed", exc_info=True)

    def intervals(self, counter: str | None = None) -> list[Interval]:
        """Consecutive samples as (start, end, rate per second); a counter reset is skipped."""
        key = counter or self.decider
        out = []
        for a, b in zip(self.samples, self.samples[1:], strict=False):
            va, vb = a.values.get(key), b.values.get(key)
            if va is None or vb is None or vb < va or b.at <= a.at:
                continue
            out.append(Interval(self.router.name, a.at, b.at, (vb - va) / (b.at - a.at)))
        return out


class CountersObserver:
    """Samples every router's counters; verify and failover read the intervals."""

    kind = "counters"
    sees_vgw = False
    watch_interval = 0.1
    counts_loss = False  # no sequence numbers: the gap stands in for the loss

    def __init__(self, conf: Mapping[str, Any], hosts: Mapping[str, Any]) -> None:
        try:
            self.interval = float(conf.get("interval", 1.0))
            self.min_pps = float(conf.get("min_pps", 5.0))
            self.window = float(conf.get("window", 4.0))
        except (TypeError, ValueError) as exc:
            raise ObserverError(f"user_defined.probe (counters): {exc}") from exc
        if not (0.2 <= self.interval <= 10 and self.min_pps > 0 and 0 < self.window <= 60):
            raise ObserverError(
                "user_defined.probe (counters): interval in [0.2, 10] s, "
                "min_pps > 0, window in (0, 60] s"
            )
        self.hosts = dict(hosts)
        self.routers = {name: router_of(h) for name, h in self.hosts.items()}
        self.basis = (
            f"router counters ({self._deciders()}) read every {self.interval:g}s "
            f"over one SSH session per router; carrying = >= {self.min_pps:g} pkt/s"
        )
        self.samplers: dict[str, RouterSampler] = {}
        self._last: str | None = None

    def _deciders(self) -> str:
        table = counter_table()
        names = {
            s.counter for r in self.routers.values() for s in table.get(r.platform, ()) if s.decides
        }
        return ", ".join(sorted(names)) or "none"

    # ---- sampling ------------------------------------------------------------------------------
    def start(self) -> CountersObserver:
        if not self.samplers:
            self.samplers = {
                n: RouterSampler(self.hosts[n], r, self.interval).start()
                for n, r in self.routers.items()
            }
        return self

    def close(self) -> None:
        for sampler in self.samplers.values():
            sampler.stop()

    def intervals(self, since: float = 0.0) -> list[Interval]:
        return [i for s in self.samplers.values() for i in s.intervals() if i.end > since]

    def wait_samples(self, count: int = 2, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(len(s.samples) >= count or s.error for s in self.samplers.values()):
                return
            time.sleep(0.05)

    # ---- verify -----------------------------------------------------------------------------
    def data_plane(self, routers: dict[str, Router]) -> list[Check]:
        """Observe ``window`` seconds, then judge each VPC from what its routers carried."""
        self.start()
        try:
            self.wait_samples(1)
            deadline = time.monotonic() + self.window
            while time.monotonic() < deadline and not all(s.error for s in self.samplers.values()):
                time.sleep(0.05)
        finally:
            self.close()
        return [self._judge(vpc, members) for vpc, members in by_vpc(routers.values()).items()]

    def _judge(self, vpc: str, members: list[Router]) -> Check:
        rates: dict[str, float] = {}
        unread: list[str] = []
        for r in members:
            sampler = self.samplers.get(r.name)
            spans = sampler.intervals() if sampler else []
            if not spans:
                why = sampler.error if sampler and sampler.error else "no counter interval"
                unread.append(f"{r.name} ({why})")
                continue
            total = sum(i.end - i.start for i in spans)
            rates[r.name] = sum(i.rate * (i.end - i.start) for i in spans) / total
        seen = ", ".join(f"{n} {v:.1f} pkt/s" for n, v in sorted(rates.items())) or "none"
        note = f"; unread: {', '.join(unread)}" if unread else ""

        def check(status: str, detail: str) -> Check:
            return Check("data_plane", vpc, status, "primary", detail + note)  # type: ignore[arg-type]

        if not rates:
            return Check(
                "data_plane", vpc, "error", "primary", f"no router's counters could be read{note}"
            )
        carrying = sorted(
            (n for n, v in rates.items() if v >= self.min_pps), key=lambda n: -rates[n]
        )
        primary = next((r.name for r in members if r.role == "primary"), None)
        if not carrying:
            return check(
                "skip",
                f"too little traffic to tell which router carries it: {seen} "
                f"over {self.window:g}s (need >= {self.min_pps:g} pkt/s)",
            )
        if len(carrying) > 1:
            return check("fail", f"traffic split over {', '.join(carrying)} ({seen})")
        who = carrying[0]
        if who == primary:
            return check("pass", f"counters: {who} carries the VPC's traffic ({seen})")
        return check(
            "fail", f"counters: {who} carries the VPC's traffic, not the primary {primary} ({seen})"
        )

    # ---- failover ---------------------------------------------------------------------------
    def vgw_choice(self) -> str | None:
        """The router that carried traffic in the latest intervals (the last one seen, kept
        while nothing moves: no traffic is not a path change)."""
        if not self.samplers:
            self.start()
            self.wait_samples(3)
        latest = {s.router.name: s.intervals()[-1] for s in self.samplers.values() if s.intervals()}
        now = carriers(list(latest.values()), self.min_pps)
        if len(now) == 1:
            self._last = now[0]
        return self._last

    def measure(self, rate: float, duration: float) -> CountersMeasurement:
        self.start()
        return CountersMeasurement(self)

    def nat_address(self, router: str) -> str:
        return str(self.routers[router].wan.address)


class CountersMeasurement:
    def __init__(self, observer: CountersObserver) -> None:
        self.observer = observer
        self.basis = observer.basis
        self.since = 0.0

    def start(self) -> CountersMeasurement:
        self.since = time.monotonic()
        return self

    def ready(self) -> None:
        """Wait for one full interval of every router read after the start (the baseline)."""
        deadline = time.monotonic() + 4 * self.observer.interval + 5
        while time.monotonic() < deadline:
            if all(
                any(i.start >= self.since for i in s.intervals()) or s.error
                for s in self.observer.samplers.values()
            ):
                return
            time.sleep(0.05)

    def stop(self) -> None:
        """The samplers keep running for the next phase; the observer closes them."""

    def last_traffic(self) -> float | None:
        """The end of the last interval in which any router carried the VPC's traffic (the
        measurement's start while none has yet)."""
        carrying = [i.end for i in self.observer.intervals(self.since)
                    if i.rate >= self.observer.min_pps]  # fmt: skip
        return max(carrying, default=self.since)

    def on(self, router: str, since: float, count: int = 2) -> bool:
        sampler = self.observer.samplers[router]
        mine = [i for i in sampler.intervals() if i.start >= since][-count:]
        if len(mine) < count or any(i.rate < self.observer.min_pps for i in mine):
            return False
        others = [i for i in self.observer.intervals(mine[0].start) if i.router != router]
        return not carriers(others, self.observer.min_pps)

    def switch(self, t0: float, new: str, old: str) -> Any:
        return switch_from_intervals(
            self.observer.intervals(self.since - 2 * self.observer.interval),
            t0,
            new,
            old,
            self.observer.min_pps,
            self.basis,
        )


register("counters", CountersObserver)
