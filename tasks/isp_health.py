"""ISP health as verify judges it: what a router's own health monitor says about its ISP path.

A router with ``isp_health`` withdraws its default route from AWS when its targets beyond the
ISP's first hop stop answering (see templates: the token route and conditional advertisement).
The tunnels and BGP sessions stay up while it does, so session checks alone would call such a
primary healthy: this module turns the monitor's state into checks. The primary's ISP down is
a broken primary path (exit 2) whether or not a probe runs; a backup's is a backup not ready.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tasks.model import Router
    from tasks.verify.report import Check, Severity

_FIELD = re.compile(r"(\w+)=(\S+)")


@dataclass(frozen=True)
class HealthState:
    """A monitor's account of its ISP path.

    ``path_up``: None when the monitor has not judged yet (or its state cannot be read);
    ``running``: the monitor process is alive (None: the platform cannot tell);
    ``since``/``checked``: epoch seconds of the last change and the last check, if known.
    """

    path_up: bool | None
    running: bool | None
    since: float | None = None
    checked_age_s: float | None = None

    @classmethod
    def parse(cls, text: str, running: bool | None, now: float) -> HealthState:
        """``up|down since=<epoch> checked=<epoch> fails=N goods=N`` (the frr monitor's line)."""
        word, _, rest = text.strip().partition(" ")
        fields = dict(_FIELD.findall(rest))

        def epoch(key: str) -> float | None:
            value = fields.get(key, "")
            return float(value) if value.isdigit() else None

        checked = epoch("checked")
        return cls(
            path_up={"up": True, "down": False}.get(word),
            running=running,
            since=epoch("since"),
            checked_age_s=None if checked is None else max(0.0, now - checked),
        )


def _isp(router: Router) -> str:
    name = router.wan.isp
    return f"ISP {name} ({router.wan.interface})" if name else f"the ISP on {router.wan.interface}"


def _clock(epoch: float | None) -> str:
    return time.strftime("%H:%M:%SZ", time.gmtime(epoch)) if epoch else "an unknown time"


def health_checks(router: Router, state: HealthState | None) -> list[Check]:
    """The ``isp_health`` check of one router (none when the inventory sets no checks)."""
    from tasks.verify.report import Check, severity_of

    health = router.isp_health
    if health is None:
        return []
    isp, sev = _isp(router), severity_of(router)
    targets = ", ".join(map(str, health.targets))
    if health.maintenance:
        return [Check("isp_health", router.name, "warn", "info",
                      f"{isp}: checks suspended for maintenance (isp_health.maintenance); the "
                      f"default route is advertised whatever the ISP does")]  # fmt: skip
    # A dead monitor leaves the last decision in force: the path may work but is unguarded.
    degraded: Severity = "redundancy" if router.role == "primary" else "backup"
    redeploy = f"deploy.py --hosts {router.name} starts it again"
    if state is None or state.running is False:
        return [Check("isp_health", router.name, "fail", degraded,
                      f"{isp}: the health monitor is not running, so an ISP outage would not "
                      f"move the traffic; {redeploy}")]  # fmt: skip
    stale = health.interval + health.timeout * len(health.targets) + 10
    if state.checked_age_s is not None and state.checked_age_s > stale:
        return [Check("isp_health", router.name, "fail", degraded,
                      f"{isp}: the health monitor last checked {state.checked_age_s:.0f}s ago "
                      f"(every {health.interval}s expected); {redeploy}")]  # fmt: skip
    if state.path_up is None:
        return [Check("isp_health", router.name, "error", sev,
                      f"{isp}: the health monitor's state cannot be read")]  # fmt: skip
    if state.path_up:
        return [Check("isp_health", router.name, "pass", sev,
                      f"{isp} up: {targets} answering (since {_clock(state.since)})")]  # fmt: skip
    consequence = (
        "the primary withdrew 0.0.0.0/0 and the VPC's traffic leaves through a backup"
        if router.role == "primary"
        else "this backup withdrew 0.0.0.0/0 and cannot take the traffic"
    )
    return [Check("isp_health", router.name, "fail", sev,
                  f"{isp} down since {_clock(state.since)}: no answer from {targets} beyond the "
                  f"first hop; {consequence}")]  # fmt: skip
