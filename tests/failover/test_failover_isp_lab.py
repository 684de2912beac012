"""ISP health on the lab (issue 18): the primary's ISP breaks beyond its first hop while its
tunnels stay up; its health monitor (real sh, ping and FRR) withdraws the default route, the
VGW moves to the backup, verify says so with or without a probe, and a monitor that dies is
seen and restarted by the next deploy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from failover_helpers import LAB_CONFIG, sessions_up

from tasks import PROJECT_ROOT
from tasks.lab import Lab

pytestmark = pytest.mark.lab

RUNBOOKS = PROJECT_ROOT / "runbooks"
STATE = "/etc/vpc-ha/isp-health.state"


def runbook(name: str, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AWS_EC2_METADATA_DISABLED": "true"}
    return subprocess.run(
        [sys.executable, str(RUNBOOKS / name), "-c", str(LAB_CONFIG), *args],
        capture_output=True, text=True, timeout=timeout, check=False, env=env,
    )  # fmt: skip


def monitor_state(lab: Lab) -> str:
    return lab.exec("r1", ["cat", STATE]).stdout.split(" ")[0]


def wait_for(what: str, condition: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.5)


def test_isp_break_moves_the_traffic_within_10s_and_back(healthy_lab: Lab) -> None:
    """failover.py --mode isp end to end: exit 0, traffic on r2 within 10 s, back on r1."""
    proc = runbook("failover.py", "--mode", "isp", "--hold", "3", "--no-aws", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    phases = {p["name"]: p for p in report["phases"]}
    assert list(phases) == ["precheck", "cut", "hold", "restore", "postcheck"]
    cut, back = phases["cut"]["switch"], phases["restore"]["switch"]
    assert 0 < cut["traffic_s"] <= 10 and cut["vgw_s"] <= 10, cut
    assert cut["lost"] > 0  # the blackhole loses traffic until the monitor withdraws
    assert back["lost"] == 0 and back["traffic_s"] <= 10, back
    assert phases["hold"]["switch"]["lost"] == 0
    assert report["restored"] is True and report["undone"] == []
    print(f"isp: traffic on r2 after {cut['traffic_s']:.2f}s ({cut['lost']} of {cut['sent']} "
          f"probes lost at 50/s), back on r1 after {back['traffic_s']:.2f}s, "
          f"{back['lost']} lost")  # fmt: skip
    tables = healthy_lab.exec(healthy_lab.plan.isp_ns, ["nft", "list", "tables"]).stdout
    assert "vha_isp_break" not in tables
    assert healthy_lab.vgw_best_path()["router"] == "r1"
    assert monitor_state(healthy_lab) == "up"


def test_verify_without_probe_names_the_primarys_isp(healthy_lab: Lab) -> None:
    """During the break the tunnels stay up, and verify --no-probe still exits 2."""
    healthy_lab.break_isp("r1")
    try:
        wait_for("r1's monitor to call its ISP down", lambda: monitor_state(healthy_lab) == "down")
        wait_for("the VGW to move to r2", lambda: healthy_lab.vgw_best_path()["router"] == "r2")
        assert sessions_up(healthy_lab, "r1")  # only the ISP path is broken
        proc = runbook("verify.py", "--no-probe")
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "ISP lab-isp (eth0) down since" in proc.stdout
        assert "the primary withdrew 0.0.0.0/0" in proc.stdout
    finally:
        healthy_lab.restore_isp("r1")
    wait_for("the VGW back on r1", lambda: healthy_lab.vgw_best_path()["router"] == "r1")
    proc = runbook("verify.py", "--no-probe")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ISP lab-isp (eth0) up" in proc.stdout


def test_a_dead_monitor_is_degraded_and_deploy_restarts_it(healthy_lab: Lab) -> None:
    pid = healthy_lab.exec("r1", ["cat", "/etc/vpc-ha/isp-health.pid"]).stdout.strip()
    assert pid.isdigit()
    healthy_lab.exec("r1", ["kill", "--", f"-{pid}"])
    try:
        proc = runbook("verify.py", "--no-probe")
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "the health monitor is not running" in proc.stdout
        dry = runbook("deploy.py", "--dry-run", "--hosts", "r1")
        assert "isp-health.sh" in dry.stdout, dry.stdout + dry.stderr
    finally:
        proc = runbook("deploy.py", "--hosts", "r1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wait_for("the monitor's first check", lambda: monitor_state(healthy_lab) == "up", 15)
    assert runbook("verify.py", "--no-probe").returncode == 0
