"""Failover tests share the session's lab and must hand it back configured and healthy.

``healthy_lab`` repairs a lab another test left half-configured before a test starts (a
failover test refuses to start otherwise, correctly) and, after it, checks the primary carries
no leftover of the test; if one is found the router is reconfigured, so the next test is not
blamed, and the test that left it fails.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from failover_helpers import leftovers, sessions_up

from tasks.lab import Lab


def repair(lab: Lab) -> None:
    for router in lab.routers:
        lab.configure(router)
    lab.wait_ready(configured=True, timeout=60)


@pytest.fixture
def healthy_lab(lab: Lab) -> Iterator[Lab]:
    if not all(sessions_up(lab, r) for r in lab.routers) or any(
        leftovers(lab, r) for r in lab.routers
    ):
        repair(lab)
    yield lab
    left = leftovers(lab)
    if left:
        repair(lab)
    assert not left, f"the test left failover changes on r1: {left}"
