"""The failover test on the lab: measured drain and fail-back, every failure path restores.

Each test proves the primary is back on its own, independently of the report: no prepend and
no shut neighbor in r1's running config, both its sessions Established, the VGW on r1 and a
probe leaving through r1's NAT address.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from failover_helpers import LAB_CONFIG, leftovers, sessions_up

from tasks import PROJECT_ROOT
from tasks.failover import Bounds, FailoverOptions, FailoverReport, run_failover
from tasks.inventory import load
from tasks.lab import Lab

pytestmark = pytest.mark.lab

RUNBOOK = PROJECT_ROOT / "runbooks" / "failover.py"


def _run(lab: Lab, **overrides: object) -> FailoverReport:
    options = FailoverOptions(hold=1.0, aws=False, progress=lambda _m: None)
    for key, value in overrides.items():
        setattr(options, key, value)
    return run_failover(load(LAB_CONFIG), options)


def assert_primary_restored(lab: Lab) -> None:
    assert leftovers(lab) == []
    assert sessions_up(lab, "r1")
    assert lab.vgw_best_path()["router"] == "r1"
    assert lab.probe_source() == lab.nat_address("r1")


def test_drain_and_failback_lose_no_probe(healthy_lab: Lab) -> None:
    """The runbook end to end (--json): 0 probes lost at 50/s both ways, exit 0, and one SSH
    login per router for the whole test (precheck, lock, drain, restore polls, postcheck)."""
    logins = healthy_lab.ssh_logins()
    proc = subprocess.run(
        [sys.executable, str(RUNBOOK), "-c", str(LAB_CONFIG), "--hold", "2", "--no-aws", "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    after = healthy_lab.ssh_logins()
    assert {r: after[r] - logins[r] for r in after} == {"r1": 1, "r2": 1}
    report = json.loads(proc.stdout)
    phases = {p["name"]: p for p in report["phases"]}
    assert list(phases) == ["precheck", "drain", "maintenance", "hold", "restore", "postcheck"]
    assert report["backup"] == "r2" and report["prepend"] == 4
    for name in ("drain", "maintenance", "hold", "restore"):
        switch = phases[name]["switch"]
        assert switch["lost"] == 0 and switch["sent"] >= 40, (name, switch)
        assert switch["via_other"] == 0
    for name in ("drain", "restore"):
        switch = phases[name]["switch"]
        assert 0 < switch["traffic_s"] <= 5 and 0 < switch["vgw_s"] <= 5, (name, switch)
    assert report["restored"] is True and report["undone"] == []
    drain, back = phases["drain"]["switch"], phases["restore"]["switch"]
    print(f"drain: vgw {drain['vgw_s']}s traffic {drain['traffic_s']}s; "
          f"fail-back: vgw {back['vgw_s']}s traffic {back['traffic_s']}s")  # fmt: skip
    assert_primary_restored(healthy_lab)


class Injected(RuntimeError):
    """A failure the test injects through the hook."""


@pytest.mark.parametrize(
    ("point", "error", "outcome", "changed"),
    [
        ("precheck", KeyboardInterrupt, "interrupted", False),
        ("drained", Injected, "aborted", True),
        ("maintenance", KeyboardInterrupt, "interrupted", True),
        ("hold", Injected, "aborted", True),
        ("restore", KeyboardInterrupt, "interrupted", True),
        ("failback", Injected, "aborted", True),
    ],
)
def test_failure_in_any_phase_restores_the_primary(
    healthy_lab: Lab, point: str, error: type[BaseException], outcome: str, changed: bool
) -> None:
    def hook(at: str) -> None:
        if at == point:
            raise error(f"injected at {at}")

    report = _run(healthy_lab, hook=hook)
    assert report.outcome == outcome, report.as_dict()
    assert report.exit_code == {"aborted": 4, "interrupted": 130}[outcome]
    assert report.changed is changed
    assert not report.undo_failed
    if changed:
        assert report.restored is True, report.restore_detail
    else:
        assert report.restored is None and report.undone == []
    assert_primary_restored(healthy_lab)


def test_timeout_while_draining_restores_the_primary(healthy_lab: Lab) -> None:
    """Traffic "never moves" (no time allowed): the wait times out and the drain is undone."""
    report = _run(healthy_lab, switch_timeout=0.0)
    assert report.outcome == "aborted" and "timed out" in report.error
    assert report.phase("drain").status == "error"
    assert report.undone == ["remove the prepend on r1", "disarm the drain guard on r1"]
    assert report.restored is True
    assert_primary_restored(healthy_lab)


def test_refuses_when_the_only_backup_is_down(healthy_lab: Lab) -> None:
    lab = healthy_lab
    peers = ["169.254.10.9", "169.254.10.13"]

    def r2(no: str) -> None:
        lines = [f"{no}neighbor {p} shutdown" for p in peers]
        lab.exec("r2", ["vtysh", "-c", "conf t", "-c", "router bgp 65010",
                        *[a for line in lines for a in ("-c", line)]])  # fmt: skip

    r2("")
    try:
        report = _run(lab)
    finally:
        r2("no ")
        lab.wait_ready(configured=True, timeout=60)
    assert report.outcome == "refused" and report.exit_code == 3
    assert not report.changed and report.phases[-1].name == "precheck"
    assert any("no healthy backup" in r for r in report.failing_checks), report.failing_checks
    assert_primary_restored(lab)


def test_a_backup_that_dies_silently_during_the_hold_aborts_within_seconds(
    healthy_lab: Lab,
) -> None:
    """r2 stops forwarding while its BGP sessions stay up, so the VGW keeps choosing it: only
    the probes can tell. Before, nothing reacted until the hold ended (21-24 s at 20/s)."""
    lab = healthy_lab
    drop = "table ip vha_test {\n chain blackhole {\n  type filter hook forward priority -10;" \
           " policy drop;\n }\n}\n"  # fmt: skip
    began: list[float] = []

    def blackhole_r2(point: str) -> None:
        if point == "hold":
            done = lab.exec("r2", ["nft", "-f", "-"], input=drop)
            assert done.returncode == 0, done.stderr
            began.append(time.monotonic())

    try:
        report = _run(lab, hold=30.0, hook=blackhole_r2, max_silence=2.0)
    finally:
        lab.exec("r2", ["nft", "delete", "table", "ip", "vha_test"])
    assert report.outcome == "aborted" and "no traffic seen" in report.error, report.error
    hold = report.phase("hold")
    assert hold is not None and hold.seconds < 5, hold
    assert report.restored is True, report.restore_detail
    print(f"silent backup: the hold aborted after {hold.seconds:.1f}s")
    assert_primary_restored(lab)


def test_sigint_during_hold_restores_and_exits_130(healthy_lab: Lab) -> None:
    """A real Ctrl-C (SIGINT) to the runbook while the backup carries the traffic."""
    proc = subprocess.Popen(
        [sys.executable, str(RUNBOOK), "-c", str(LAB_CONFIG), "--hold", "60", "--no-aws"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 60
        for line in proc.stderr:
            if line.startswith("hold ...") or time.monotonic() > deadline:
                break
        time.sleep(1)
        os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, out + err
    assert "INTERRUPTED" in out and "primary restored" in out
    assert_primary_restored(healthy_lab)


def test_hard_failure_converges_within_holdtime(healthy_lab: Lab) -> None:
    report = _run(healthy_lab, mode="hard", bounds=Bounds(max_switch_s=5, max_lost=0))
    assert report.outcome == "passed", report.as_dict()
    cut, heal = report.phase("cut"), report.phase("restore")
    assert cut is not None and heal is not None and cut.switch and heal.switch
    assert cut.switch.traffic_s is not None and cut.switch.traffic_s <= 30 + 2
    assert cut.switch.lost > 0  # a hard failure does lose traffic until the hold time
    assert heal.switch.lost == 0
    print(f"hard: converged {cut.switch.traffic_s:.1f}s, fail-back {heal.switch.traffic_s:.1f}s")
    assert_primary_restored(healthy_lab)
    assert (
        healthy_lab.exec(healthy_lab.plan.isp_ns, ["nft", "list", "tables"]).stdout.count("vha_cut")
        == 0
    )
