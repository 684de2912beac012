"""verify's judgement without a lab: data-plane verdicts and the per-VPC path check."""

from __future__ import annotations

from pathlib import Path

import pytest
from inventory_factory import base_hosts, write_inventory

from tasks.inventory import load
from tasks.model import Router
from tasks.path_decision import Advertisement
from tasks.verify import HostEvidence, path_checks
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
