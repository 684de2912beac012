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


def test_no_probe_configured_is_a_skip_not_a_pass(routers: dict[str, Router]) -> None:
    [check] = data_plane(None, routers)
    assert check.status == "skip"


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
