"""Live mode through a stand-in driver: parallel fetch, parse, drift, failures as findings.

The real vyos/frr drivers are exercised against the lab by the integrator; this pins the
contract compliance relies on (``driver_for(host)``, ``open``, ``show``, ``close``).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from conftest import inventory_config

from tasks.compliance import sources
from tasks.compliance.check import check_live
from tasks.compliance.policy import Policy
from tasks.errors import DriverError
from tasks.inventory import load, router_of
from tasks.render import render_router

DEVICE = (
    "set system host-name {name}\nset system login user vyos level admin\n"
    "set system ntp server 192.0.2.123\nset system ntp server 192.0.2.124\n"
    "set system syslog host 192.0.2.9 facility all level notice\n"
    "set service ssh listen-address '{mgmt}'\n"
)


class FakeDriver:
    platform = "vyos"
    commands: ClassVar[list[str]] = []

    def __init__(self, host) -> None:  # type: ignore[no-untyped-def]
        self.host = host
        self.closed = False

    def open(self) -> None:
        if self.host.name == "r3":
            raise DriverError("r3: connection refused")

    def close(self) -> None:
        self.closed = True

    def show(self, command: str) -> str:
        FakeDriver.commands.append(command)
        text = render_router(router_of(self.host))["config.set"]
        text = text.replace("timers keepalive '10'", "timers keepalive '30'")
        return text + DEVICE.format(name=self.host.name, mgmt=self.host.hostname)


def test_live_fetches_in_parallel_and_an_unreachable_router_is_a_finding(
    tmp_path: Path, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources, "driver_for", FakeDriver)
    nr = load(inventory_config(tmp_path, "vyos"))
    results = {r.host: r for r in check_live(nr, policy)}
    assert set(FakeDriver.commands) == {"show configuration commands"}
    for host in ("r1", "r2"):
        rules = {f.rule for f in results[host].findings}
        assert rules == {"bgp-keepalive-holdtime", "config-drift"}, host
        assert "-set protocols bgp neighbor" in results[host].drift
    assert [f.rule for f in results["r3"].findings] == ["check-failed"]
    assert "connection refused" in results["r3"].findings[0].value
