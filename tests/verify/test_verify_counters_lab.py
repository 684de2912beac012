"""verify's data-plane check by the routers' counters agrees with the lab probe (issue 14).

In every verify lab scenario the VPC host sends the lab's probe stream (50/s, the traffic a
VPC's instances would send); verify runs once with ``probe.kind: counters`` (real tunnel RX,
SA and nft counters over one SSH session per router) and once with the lab's own probe, and
the two data-plane verdicts must agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from lab_variants import lab_inventory_variant

from tasks.inventory import load
from tasks.lab import Lab
from tasks.verify import run_verify
from tasks.verify.report import Check, VerifyReport
from tasks.verify_extra import extra_checks

pytestmark = pytest.mark.lab

COUNTERS = {"kind": "counters", "interval": 0.5, "window": 2.0}


def with_probe(config: Path, probe: dict[str, Any], directory: Path) -> Path:
    data = yaml.safe_load(config.read_text())
    data.setdefault("user_defined", {})["probe"] = probe
    path = directory / f"nornir-{probe['kind']}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def verify(config: Path) -> VerifyReport:
    nr = load(config)
    return run_verify(nr, extra_checks(nr, aws=False, probe=True))


def data_plane(report: VerifyReport) -> Check:
    [check] = [c for c in report.checks if c.check == "data_plane"]
    return check


def both(lab: Lab, config: Path, tmp_path: Path) -> tuple[VerifyReport, VerifyReport]:
    """(counters, lab probe) verify reports, both taken while the VPC host sends traffic."""
    with lab.probe_stream(rate=50, duration=60):
        counters = verify(with_probe(config, COUNTERS, tmp_path))
        probe = verify(with_probe(config, {"kind": "lab"}, tmp_path))
    c, p = data_plane(counters), data_plane(probe)
    print(f"counters: {c.status} {c.detail} | lab probe: {p.status} {p.detail}")
    return counters, probe


def vtysh_config(lab: Lab, router: str, *lines: str) -> None:
    args = ["vtysh", "-c", "configure terminal"]
    for line in lines:
        args += ["-c", line]
    proc = lab.exec(router, args)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture
def restored(configured_lab: Lab) -> Iterator[Lab]:
    yield configured_lab
    for router in configured_lab.routers:
        configured_lab.configure(router)
    configured_lab.wait_ready(configured=True, timeout=60)


def agree(counters: VerifyReport, probe: VerifyReport) -> None:
    c, p = data_plane(counters), data_plane(probe)
    assert c.status == p.status, (c, p)
    assert counters.exit_code == probe.exit_code


def test_healthy_counters_say_the_primary_carries(restored: Lab, tmp_path: Path) -> None:
    counters, probe = both(restored, restored.config_file, tmp_path)
    agree(counters, probe)
    check = data_plane(counters)
    assert check.status == "pass" and "r1 carries" in check.detail
    assert counters.exit_code == 0


def test_primary_sessions_shut_counters_see_the_backup(restored: Lab, tmp_path: Path) -> None:
    vtysh_config(restored, "r1", "router bgp 65010", "neighbor 169.254.10.1 shutdown",
                 "neighbor 169.254.10.5 shutdown")  # fmt: skip
    counters, probe = both(restored, restored.config_file, tmp_path)
    agree(counters, probe)
    check = data_plane(counters)
    assert check.status == "fail" and "r2 carries the VPC's traffic, not the primary r1" in (
        check.detail
    )


def test_weight_only_backup_counters_agree(restored: Lab, tmp_path: Path) -> None:
    vtysh_config(restored, "r2", "route-map TO-AWS permit 10", "no set as-path prepend",
                 "no set metric", "set weight 65535")  # fmt: skip
    restored.exec("r2", ["vtysh", "-c", "clear ip bgp * soft out"])
    counters, probe = both(restored, restored.config_file, tmp_path)
    agree(counters, probe)
    assert counters.exit_code == 2


def test_unreachable_router_counters_agree(restored: Lab, tmp_path: Path) -> None:
    def unreachable(hosts: dict[str, Any]) -> None:
        hosts["r2"]["hostname"] = "100.64.77.99"  # in the lab's management prefix, unused

    config = lab_inventory_variant(restored, tmp_path / "inv", unreachable)
    counters, probe = both(restored, config, tmp_path)
    agree(counters, probe)
    check = data_plane(counters)
    assert check.status == "pass" and "unread: r2" in check.detail
    assert counters.exit_code == 3  # the router side could not collect r2


def test_without_traffic_counters_skip_with_the_rate_seen(restored: Lab, tmp_path: Path) -> None:
    """No probe stream: BGP keepalives alone must not be taken for the VPC's traffic."""
    report = verify(with_probe(restored.config_file, COUNTERS, tmp_path))
    check = data_plane(report)
    assert check.status == "skip" and "too little traffic to tell" in check.detail, check
    assert "pkt/s" in check.detail


def test_unknown_kind_is_refused_before_any_router_is_touched(
    restored: Lab, tmp_path: Path
) -> None:
    from tasks.observers import ObserverError

    nr = load(with_probe(restored.config_file, {"kind": "bogus"}, tmp_path))
    calls: list[Callable[..., Any]] = []
    with pytest.raises(ObserverError, match="known kinds: counters, lab, ssm"):
        calls.extend(extra_checks(nr, aws=False, probe=True))
    assert calls == []
