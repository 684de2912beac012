"""A tunnel heals by itself after an AWS-side outage longer than DPD plus one keying try.

AWS replaces tunnel endpoints one at a time and an endpoint can be gone for minutes. With
strongSwan's default single keying try, a router gave up about 58 s into such an outage and the
tunnel never came back (deploy then said "unchanged"). The rendered config retries for ever.
"""

from __future__ import annotations

import time

import pytest

from tasks.lab import Lab, control

pytestmark = pytest.mark.lab

OUTAGE = 120.0
BOUND = 30.0


def tunnel_state(lab: Lab, router: str, tunnel: str) -> dict[str, object]:
    for t in lab.status()["tunnels"]:
        if t["router"] == router and t["tunnel"] == tunnel:
            return t
    raise AssertionError(f"{router}/{tunnel} not in the lab's status")


def test_a_tunnel_is_back_within_30_s_of_a_120_s_aws_side_outage(configured_lab: Lab) -> None:
    lab = configured_lab
    lab.configure("r2")  # from the templates as they are now, whatever the lab ran before
    lab.wait_ready(configured=True, timeout=60)
    assert tunnel_state(lab, "r2", "tun1")["bgp_router"] == "Established"
    lab.cut_aws_endpoint("r2", "tun1")
    try:
        time.sleep(OUTAGE)
        during = tunnel_state(lab, "r2", "tun1")
    finally:
        lab.restore_aws_endpoint("r2", "tun1")
    ended = time.monotonic()
    assert during["bgp_router"] != "Established", during  # the outage was real
    deadline = ended + BOUND + 30
    state = during
    while time.monotonic() < deadline:
        state = tunnel_state(lab, "r2", "tun1")
        if state["child"] == "INSTALLED" and state["bgp_router"] == "Established":
            break
        time.sleep(0.5)
    back_after = time.monotonic() - ended
    print(f"AWS-side outage {OUTAGE:.0f}s: tunnel back {back_after:.1f}s after its end")
    assert state["child"] == "INSTALLED" and state["bgp_router"] == "Established", state
    assert back_after <= BOUND
    assert lab.vgw_best_path()["router"] == "r1"  # the primary never moved


@pytest.fixture(autouse=True)
def rebuilt_after(lab: Lab):  # type: ignore[no-untyped-def]
    """Charon's retries during the outage can leave extra SAs behind on r2; a later test that
    drains onto r2 then lost traffic. Hand the next test a freshly built lab."""
    yield
    lab.down()
    control.up(lab.topology, configured=True)
