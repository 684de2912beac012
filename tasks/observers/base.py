"""What every observer hands verify and failover, and the verdicts they share.

An observer answers three questions, each with the evidence it is based on (``basis``):

- verify: :meth:`Observer.data_plane` -> one ``data_plane`` :class:`~tasks.verify.report.Check` per
  VPC: does the VPC's outbound traffic leave through the primary now?
- failover: :meth:`Observer.vgw_choice` (which router carries the traffic, cheap: the watch
  thread polls it) and :meth:`Observer.measure` (a :class:`Measurement` around one change).

Probe-based observers (lab, ssm) produce records with sequence numbers and the NAT address
each answer names; :class:`ProbeMeasurement` turns those into the failover's figures with
:func:`tasks.failover.observe.switch_of`. The counters observer has no probes and measures from
counter intervals instead (:mod:`tasks.observers.counters`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Protocol

from tasks.failover.observe import Switch, switch_of
from tasks.model import Router, by_vpc
from tasks.verify.report import Check


class Measurement(Protocol):
    """Evidence around one change: started before it, asked whether traffic is on a router."""

    basis: str

    def start(self) -> Measurement: ...

    def ready(self) -> None:
        """Return once the measurement sees the path as it is before the change (a baseline)."""

    def stop(self) -> None:
        """End the measurement (idempotent); its figures stay readable."""

    def on(self, router: str, since: float) -> bool:
        """Has traffic been on ``router`` (and only there) at and after ``since``?"""

    def switch(self, t0: float, new: str, old: str) -> Switch:
        """The figures of a move from ``old`` to ``new`` commanded at ``t0`` (monotonic)."""

    def last_traffic(self) -> float | None:
        """When (monotonic) traffic was last seen on any router; None when this measurement
        cannot tell while it runs (its evidence arrives afterwards)."""


class Observer(Protocol):
    kind: str
    basis: str

    def data_plane(self, routers: dict[str, Router]) -> list[Check]: ...

    def vgw_choice(self) -> str | None: ...

    def measure(self, rate: float, duration: float) -> Measurement: ...

    def nat_address(self, router: str) -> str: ...

    def close(self) -> None: ...


def source_verdict(members: list[Router], source: str | None, what: str) -> tuple[str, str]:
    """(status, detail) for "``what`` left with NAT address ``source``" in one VPC."""
    primary = next((r for r in members if r.role == "primary"), None)
    nat = {str(r.wan.address): r.name for r in members}
    if source is None:
        return "fail", f"{what}: the probes from the VPC side were all lost"
    if primary is not None and source == str(primary.wan.address):
        return "pass", f"{what} left through {primary.name} (NAT {source})"
    via = nat.get(source, "an unknown router")
    return "fail", f"{what} left through {via} (NAT {source}), not the primary"


def source_checks(routers: Mapping[str, Router], source: str | None, what: str) -> list[Check]:
    checks = []
    for vpc, members in by_vpc(routers.values()).items():
        status, detail = source_verdict(members, source, what)
        checks.append(Check("data_plane", vpc, status, "primary", detail))  # type: ignore[arg-type]
    return checks


class ProbeMeasurement:
    """A probe stream (records with ``seq``, ``source``, ``received``) as a Measurement."""

    def __init__(self, stream: Any, nat: Mapping[str, str], basis: str) -> None:
        self.stream = stream
        self.nat = dict(nat)
        self.basis = basis
        self._records: list[Any] | None = None
        self._started = time.monotonic()

    def start(self) -> ProbeMeasurement:
        self.stream.start()
        self._started = time.monotonic()
        return self

    def ready(self, baseline: float = 0.3) -> None:
        time.sleep(baseline)  # a baseline of probes on the old path

    def stop(self) -> None:
        if self._records is None:
            self._records = list(self.stream.stop())

    @property
    def records(self) -> list[Any]:
        return self._records if self._records is not None else list(self.stream.records)

    def last_traffic(self) -> float | None:
        records = self.records
        return records[-1].received if records else self._started

    def on(self, router: str, since: float, count: int = 3) -> bool:
        recent = [r for r in self.records[-count:] if r.received >= since]
        return len(recent) == count and all(r.source == self.nat[router] for r in recent)

    def switch(self, t0: float, new: str, old: str) -> Switch:
        self.stop()
        result = switch_of(self.records, self.stream.sent, t0, self.nat[new], self.nat[old])
        result.basis = self.basis
        return result
