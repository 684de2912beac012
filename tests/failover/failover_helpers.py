"""Checks the failover tests share (kept out of conftest so test modules can import them)."""

from __future__ import annotations

import json

from tasks import PROJECT_ROOT
from tasks.lab import Lab

LAB_CONFIG = PROJECT_ROOT / "lab" / "config.yaml"


def sessions_up(lab: Lab, router: str) -> bool:
    peers = json.loads(lab.vtysh(router, "show bgp ipv4 unicast summary json")).get("peers", {})
    return len(peers) == 2 and all(p.get("state") == "Established" for p in peers.values())


def leftovers(lab: Lab, router: str = "r1") -> list[str]:
    """Failover changes still on a router: shut neighbors or a prepend it does not render."""
    config = lab.vtysh(router, "show running-config")
    found = [line.strip() for line in config.splitlines() if line.strip().endswith(" shutdown")]
    if router == "r1":
        found += [line.strip() for line in config.splitlines() if "as-path prepend" in line]
    return found
