"""Cut the primary's tunnel underlay: traffic moves to the backup within holdtime + margin."""

from __future__ import annotations

import itertools
import time

import pytest

from tasks.lab import Lab

pytestmark = pytest.mark.lab

HOLDTIME = 30
MARGIN = 15


def _wait_source(lab: Lab, wanted: str, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if lab.probe_source(timeout=0.5) == wanted:
            return time.monotonic() - start
        time.sleep(0.25)
    raise AssertionError(f"traffic did not leave through {wanted} within {timeout:.0f}s")


def test_underlay_cut_moves_traffic_to_backup_and_back(lab: Lab) -> None:
    primary, backup = lab.nat_address("r1"), lab.nat_address("r2")
    assert lab.probe_source() == primary
    stream = lab.probe_stream(rate=20, duration=HOLDTIME + MARGIN + 10).start()
    cut_at = time.monotonic()
    lab.cut_underlay("r1")
    try:
        moved_after = _wait_source(lab, backup, HOLDTIME + MARGIN)
        assert lab.vgw_best_path()["router"] == "r2"
        time.sleep(2)  # the stream keeps flowing through the backup
    finally:
        records = stream.stop()
        lab.restore_underlay("r1")
    assert moved_after <= HOLDTIME + MARGIN
    after = [r for r in records if r.received - cut_at > moved_after + 0.5]
    assert after and {r.source for r in after} == {backup}
    before = [r for r in records if r.received < cut_at]
    assert {r.source for r in before} <= {primary}
    arrivals = [cut_at] + [r.received for r in records if r.received >= cut_at]
    outage = max(b - a for a, b in itertools.pairwise(arrivals))
    print(f"underlay cut: traffic on the backup after {moved_after:.1f}s, outage {outage:.1f}s")
    # The primary comes back (BGP re-establishes over the surviving or renewed SA).
    _wait_source(lab, primary, 90)
    lab.wait_ready(configured=True, timeout=60)
    assert lab.vgw_best_path() == {"router": "r1", "tunnel": "tun1", "nexthop": "198.19.0.10"}
    # Right after re-convergence a single probe was seen lost (2 of 3 full runs); what this
    # test proves is that the primary carries the traffic again, so allow a few seconds.
    assert _wait_source(lab, primary, 10) <= 10
