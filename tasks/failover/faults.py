"""The lab-only faults a failover test can inject instead of a drain (``--mode hard|isp``).

Each names what breaks, the observer's methods that make and heal it, and how fast the design
must converge: ``hard`` cuts the primary's underlay (tunnels die; BGP notices at hold-time);
``isp`` breaks its internet path beyond the ISP's first hop while the tunnels stay up, so only
the primary's ISP health monitor can move the traffic (detection, then BGP's scan timer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tasks.model import Router
from tasks.model.isp import HEALTH_SCAN_S


@dataclass(frozen=True)
class Fault:
    mode: str
    what: str
    make: str  # observer method that injects the fault on a router
    heal: str  # observer method that removes it
    #: (primary, margin) -> seconds within which traffic must be on the backup / back
    break_bound: Callable[[Router, float], float]
    heal_bound: Callable[[Router, float], float]
    #: why this primary cannot run this fault, or None
    refusal: Callable[[Router], str | None]
    #: which BGP timer the bound is built from, for the report
    basis: Callable[[Router], str]


def _holdtime(primary: Router, margin: float) -> float:
    return primary.bgp.holdtime + margin


def _health(primary: Router) -> str | None:
    health = primary.isp_health
    if health is None or not health.active:
        return (
            f"--mode isp needs isp_health (not in maintenance) on the primary {primary.name}: "
            "without it the primary keeps attracting the VPC's traffic while its ISP is broken, "
            "and the test would blackhole the VPC"
        )
    return None


def _detect(primary: Router, margin: float) -> float:
    assert primary.isp_health is not None
    return primary.isp_health.detection_s + HEALTH_SCAN_S + margin


def _return(primary: Router, margin: float) -> float:
    assert primary.isp_health is not None
    return primary.isp_health.return_s + HEALTH_SCAN_S + margin


def _health_basis(primary: Router) -> str:
    h = primary.isp_health
    assert h is not None
    return (f"health checks every {h.interval}s, fall {h.falls}, rise {h.rises}, "
            f"BGP scan {HEALTH_SCAN_S}s")  # fmt: skip


FAULTS: dict[str, Fault] = {
    "hard": Fault(
        "hard", "underlay", "cut_underlay", "restore_underlay", _holdtime, _holdtime,
        lambda _primary: None, lambda p: f"holdtime {p.bgp.holdtime}s",
    ),
    "isp": Fault(
        "isp", "internet path (beyond the ISP's first hop)", "break_isp", "restore_isp",
        _detect, _return, _health, _health_basis,
    ),
}  # fmt: skip
