"""verify's judgement without a lab: data-plane verdicts and the per-VPC path check."""

from __future__ import annotations

from pathlib import Path

import pytest
from inventory_factory import base_hosts, write_inventory

from tasks.collect import RouterState
from tasks.inventory import load
from tasks.model import Router
from tasks.path_decision import Advertisement
from tasks.verify.path import path_checks
from tasks.verify.report import HostEvidence, exit_code
from tasks.verify.router import router_checks
from tasks.verify_extra import data_plane


@pytest.fixture
def routers(tmp_path: Path) -> dict[str, Router]:
    nr = load(write_inventory(tmp_path, base_hosts()))
    return {name: host.data["router"] for name, host in nr.inventory.hosts.items()}


@pytest.mark.parametrize(
    ("source", "status", "words"),
    [("198.51.100.10", "pass", "through r1"), ("198.51.100.11", "fail", "through r2"),
     ("192.0.2.99", "fail", "an unknown router"), (None, "fail", "all lost")],
)  # fmt: skip
def test_data_plane_verdict(
    routers: dict[str, Router], source: str | None, status: str, words: str
) -> None:
    [check] = data_plane({"kind": "lab"}, routers, probe_source=lambda: source)
    assert (check.status, check.severity) == (status, "primary")
    assert words in check.detail


def test_no_probe_configured_means_counters_and_unread_routers_are_no_pass(
    tmp_path: Path, routers: dict[str, Router]
) -> None:
    """Issue 14: without ``user_defined.probe`` the routers' counters are read (it used to be
    a skip). Routers that cannot be read (here: documentation addresses, refused before any
    packet) give an error, never a pass."""
    hosts = load(write_inventory(tmp_path / "inv", base_hosts())).inventory.hosts
    [check] = data_plane(None, routers, hosts=hosts)
    assert check.status == "error" and "no router's counters could be read" in check.detail
    assert "documentation address" in check.detail


def test_unknown_probe_kind_is_an_error_naming_the_known_kinds(
    routers: dict[str, Router],
) -> None:
    [check] = data_plane({"kind": "bogus"}, routers)
    assert check.status == "error" and "known kinds: counters, lab, ssm" in check.detail


def adv(router: str, prepends: int) -> Advertisement:
    return Advertisement(router, "tun1", "0.0.0.0/0", (65010,) * (1 + prepends), 0)


def test_path_check_passes_only_when_the_primary_wins(routers: dict[str, Router]) -> None:
    evidence = {n: HostEvidence(n, [], [adv(n, 2 * routers[n].rank)]) for n in routers}
    [check] = path_checks(routers, evidence)
    assert check.status == "pass"
    evidence["r1"].advertisements = []  # primary withdrawn
    [check] = path_checks(routers, evidence)
    assert check.status == "fail" and "VGW will prefer r2, not the primary r1" in check.detail


def test_path_check_without_a_routers_state_cannot_decide(routers: dict[str, Router]) -> None:
    evidence = {"r1": HostEvidence("r1", [], [adv("r1", 0)])}
    [check] = path_checks(routers, evidence)
    assert check.status == "error" and "r2, r3" in check.detail


def _state(router: Router, sa_up: dict[str, bool], established: dict[str, bool]) -> RouterState:
    """A primary's parsed state: per tunnel, whether its SA reads up and its session is."""
    neighbors, sas, advertised, received = [], [], {}, {}
    for t in router.tunnels:
        peer = str(t.aws_inside_address)
        up = established[t.name]
        neighbors.append({"address": peer, "remote_as": router.vpc.vgw.asn, "up_down": "00:01:00",
                          "up_down_s": 60, "state": "Established" if up else "Active",
                          "established": up, "prefixes_received": 1 if up else None,
                          "prefixes_sent": 1, "description": None})  # fmt: skip
        sas.append({"connection": t.name, "remote_address": str(t.outside_address),
                    "state": "up" if sa_up[t.name] else "down", "up": sa_up[t.name],
                    "encryption": None, "integrity": None})  # fmt: skip
        if up:
            advertised[peer] = {"paths": [{"prefix": "0.0.0.0/0", "as_path": [], "metric": 0}]}
            received[peer] = {"paths": [{"prefix": str(n)} for n in router.vpc.networks]}
    nat = "masquerade " + " ".join(str(n) for n in router.vpc.networks)
    return RouterState(summary={"router_id": "1.1.1.1", "local_as": router.asn,
                                "neighbors": neighbors},  # type: ignore[typeddict-item]
                       sas=sas, advertised=advertised, received=received,  # type: ignore[arg-type]
                       nat_text=nat)  # fmt: skip


def test_a_primary_tunnel_down_while_the_other_carries_traffic_is_degraded(
    routers: dict[str, Router],
) -> None:
    """Issue 17 (11): before, one dead tunnel of the primary was exit 2, "primary broken"."""
    r1 = routers["r1"]
    first, second = (t.name for t in r1.tunnels)
    checks = router_checks(r1, _state(r1, {first: True, second: False},
                                      {first: True, second: False})).checks  # fmt: skip
    failed = [(c.check, c.target, c.severity) for c in checks if c.status == "fail"]
    assert failed == [("ipsec_sa", f"r1/{second}", "redundancy"),
                      ("bgp_session", f"r1/{second}", "redundancy")]  # fmt: skip
    assert exit_code(checks) == 1
    # Both tunnels down: the primary path is broken.
    checks = router_checks(r1, _state(r1, {first: False, second: False},
                                      {first: False, second: False})).checks  # fmt: skip
    assert exit_code(checks) == 2
    assert {c.severity for c in checks if c.status == "fail"} == {"primary"}


def test_an_sa_that_reads_up_over_a_dead_session_is_not_ok(routers: dict[str, Router]) -> None:
    """The far end gone: charon lists the SA as installed until DPD ends; before, verify said
    "SA up" for it. Its session is down, so nothing crosses the tunnel."""
    r1 = routers["r1"]
    first, second = (t.name for t in r1.tunnels)
    checks = router_checks(r1, _state(r1, {first: True, second: True},
                                      {first: True, second: False})).checks  # fmt: skip
    sa = next(c for c in checks if c.check == "ipsec_sa" and c.target == f"r1/{second}")
    assert sa.status == "fail" and "nothing crosses this tunnel" in sa.detail
    assert sa.severity == "redundancy"
