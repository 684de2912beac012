"""verify on the lab: healthy 0, backup tunnel down 1, primary withdrawn 2, weight-only 2, 3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lab_variants import lab_inventory_variant

from tasks.inventory import load
from tasks.lab import Lab
from tasks.verify import run_verify
from tasks.verify.report import VerifyReport
from tasks.verify_extra import extra_checks

pytestmark = pytest.mark.lab


def verify(config: Path) -> VerifyReport:
    nr = load(config)
    return run_verify(nr, extra_checks(nr, aws=False, probe=True))


def failing(report: VerifyReport) -> list[tuple[str, str, str]]:
    return sorted((c.check, c.target, c.severity) for c in report.checks if c.status == "fail")


def vtysh_config(lab: Lab, router: str, *lines: str) -> None:
    args = ["vtysh", "-c", "configure terminal"]
    for line in lines:
        args += ["-c", line]
    proc = lab.exec(router, args)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_healthy_lab_exits_0_with_every_kind_of_evidence(configured_lab: Lab) -> None:
    report = verify(configured_lab.config_file)
    assert report.exit_code == 0, failing(report)
    kinds = {c.check for c in report.checks if c.status == "pass"}
    assert kinds >= {"ipsec_sa", "bgp_session", "bgp_timers", "advertise_default",
                     "received_vpc", "nat", "path_decision", "data_plane"}  # fmt: skip


def test_backup_tunnel_down_is_degraded(configured_lab: Lab) -> None:
    lab = configured_lab
    uri = "unix:///run/strongswan/tun1/charon.vici"
    lab.exec("r2", ["swanctl", "--unload-conn", "--name", "tun1", "--uri", uri])
    lab.exec("r2", ["swanctl", "--terminate", "--ike", "tun1", "--force", "--uri", uri])
    report = verify(lab.config_file)
    assert report.exit_code == 1
    assert ("ipsec_sa", "r2/tun1", "backup") in failing(report)
    assert all(sev == "backup" for _, _, sev in failing(report))


def test_dead_backup_is_degraded_not_unverifiable(configured_lab: Lab) -> None:
    """Every SA of the backup gone (both charons list nothing): degraded (1). Before, the
    empty ``swanctl --list-sas`` read as a parse error and verify said "could not verify" (3)."""
    lab = configured_lab
    for tunnel in ("tun1", "tun2"):
        uri = f"unix:///run/strongswan/{tunnel}/charon.vici"
        lab.exec("r2", ["swanctl", "--unload-conn", "--name", tunnel, "--uri", uri])
        lab.exec("r2", ["swanctl", "--terminate", "--ike", tunnel, "--force", "--uri", uri])
    report = verify(lab.config_file)
    assert report.exit_code == 1, [(c.check, c.target, c.status, c.detail) for c in report.checks
                                   if c.status in ("fail", "error")]  # fmt: skip
    assert ("ipsec_sa", "r2/tun1", "backup") in failing(report)
    assert ("ipsec_sa", "r2/tun2", "backup") in failing(report)


def test_primary_losing_one_tunnel_is_degraded_not_broken(configured_lab: Lab) -> None:
    """r1's second tunnel down while its first carries the traffic: the primary path works and
    has lost its redundancy (1), not "primary path broken" (2)."""
    lab = configured_lab
    uri = "unix:///run/strongswan/tun2/charon.vici"
    lab.exec("r1", ["swanctl", "--unload-conn", "--name", "tun2", "--uri", uri])
    lab.exec("r1", ["swanctl", "--terminate", "--ike", "tun2", "--force", "--uri", uri])
    report = verify(lab.config_file)
    assert report.exit_code == 1, failing(report)
    assert ("ipsec_sa", "r1/tun2", "redundancy") in failing(report)
    assert next(c for c in report.checks if c.check == "path_decision").status == "pass"


def test_backup_with_wrong_timers_is_degraded(configured_lab: Lab) -> None:
    lab = configured_lab
    vtysh_config(lab, "r2", "router bgp 65010", "neighbor 169.254.10.9 timers 3 9")
    lab.exec("r2", ["vtysh", "-c", "clear ip bgp 169.254.10.9"])
    lab.wait_ready(configured=True, timeout=30)
    try:
        report = verify(lab.config_file)
    finally:
        # Negotiated timers change only when the session restarts: restore, then reset it.
        lab.configure("r2")
        lab.exec("r2", ["vtysh", "-c", "clear ip bgp 169.254.10.9"])
        lab.wait_ready(configured=True, timeout=30)
    assert report.exit_code == 1, failing(report)
    timers = next(c for c in report.checks if c.check == "bgp_timers" and c.target == "r2/tun1")
    assert timers.status == "fail" and "hold 9 s / keepalive 3 s, expected 30 / 10" in timers.detail


def test_primary_withdrawn_is_broken_with_the_reason(configured_lab: Lab) -> None:
    lab = configured_lab
    vtysh_config(lab, "r1", "router bgp 65010", "neighbor 169.254.10.1 shutdown",
                 "neighbor 169.254.10.5 shutdown")  # fmt: skip
    report = verify(lab.config_file)
    assert report.exit_code == 2
    decision = next(c for c in report.checks if c.check == "path_decision")
    assert decision.status == "fail"
    assert "VGW will prefer r2, not the primary r1" in decision.detail
    sessions = [c for c in report.checks if c.check == "bgp_session" and c.target.startswith("r1")]
    assert {c.status for c in sessions} == {"fail"}
    assert all("Idle (Admin)" in c.detail for c in sessions)


def test_weight_only_backup_is_not_guaranteed(configured_lab: Lab) -> None:
    # The reference design: the backup "less preferred" by weight, which AWS never sees.
    lab = configured_lab
    vtysh_config(lab, "r2", "route-map TO-AWS permit 10", "no set as-path prepend",
                 "no set metric", "set weight 65535")  # fmt: skip
    lab.exec("r2", ["vtysh", "-c", "clear ip bgp * soft out"])
    report = verify(lab.config_file)
    assert report.exit_code == 2
    decision = next(c for c in report.checks if c.check == "path_decision")
    assert decision.status == "fail" and "tie between r1, r2" in decision.detail
    assert ("advertise_default", "r2/tun1", "backup") in failing(report)


def test_unreachable_router_means_could_not_verify(configured_lab: Lab, tmp_path: Path) -> None:
    def unreachable(hosts: dict[str, Any]) -> None:
        hosts["r2"]["hostname"] = "100.64.77.99"  # in the lab's management prefix, unused
        hosts["r2"].setdefault("connection_options", {})

    config = lab_inventory_variant(configured_lab, tmp_path, unreachable)
    report = verify(config)
    assert report.exit_code == 3
    errors = [c for c in report.checks if c.status == "error"]
    assert {c.check for c in errors} == {"collect", "path_decision"}
    assert "unreachable" in next(c.detail for c in errors if c.check == "collect")
