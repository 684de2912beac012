"""The whole job on VyOS routers in the lab (issue 16): r1 answers SSH as VyOS 1.4, r2 as 1.3.

Each router is a lab router underneath (real FRR, strongSwan, nftables); its sshd runs the
VyOS personality (tasks/lab/vyos/), whose commits drive them. Deploy, verify and failover run
as an operator runs them, over real SSH with the toolkit's VyOS driver, against real BGP
sessions, real IPsec SAs and real traffic. The module swaps the session's lab for
``lab/topology-vyos.yaml`` and puts the default lab back at the end.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lab_variants import lab_inventory_variant

from tasks import PROJECT_ROOT
from tasks.deploy import DeployOptions
from tasks.health import post_check, snapshot
from tasks.inventory import load
from tasks.lab import Lab, control
from tasks.lab.start import configure_router
from tasks.lab.topology import load_topology
from tasks.lab.vyos.router import STATE, twin_of
from tasks.lab.vyos.store import Store
from tasks.verify import run_verify
from tasks.verify.report import VerifyReport
from tasks.verify_extra import extra_checks
from tasks.waves import run_deploy

pytestmark = pytest.mark.lab

RUNBOOKS = PROJECT_ROOT / "runbooks"
FAST = {"confirm_timeout": 120, "settle_timeout": 30.0, "snapshot": snapshot,
        "post_check": post_check}  # fmt: skip


#: A commit-confirm "minute" on this module's routers: the timer's expiry is waited for.
MINUTE = 20.0


@pytest.fixture(scope="module")
def vyos_lab(lab: Lab) -> Iterator[Lab]:
    """The VyOS lab in factory state, for this module; the default lab comes back after.
    Its commit-confirm minutes last :data:`MINUTE` seconds (deploy's 2 minutes: 40 s)."""
    vyos = load_topology(PROJECT_ROOT / "lab" / "topology-vyos.yaml")
    topo = vyos.model_copy(
        update={"routers": [r.model_copy(update={"vyos_minute": MINUTE}) for r in vyos.routers]}
    )
    lab.down()
    try:
        control.up(topo, configured=False)
        yield Lab(topo)
    finally:
        control.down(topo.prefix, topo.runtime_dir)
        control.up(lab.topology, configured=True)


def runbook(
    name: str, lab: Lab, *args: str, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, str(RUNBOOKS / name), "-c", str(lab.config_file), *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


def verify(config: Path) -> VerifyReport:
    nr = load(config)
    return run_verify(nr, extra_checks(nr, aws=False, probe=True))


def failing(report: VerifyReport) -> list[tuple[str, str, str]]:
    return sorted((c.check, c.target, c.severity) for c in report.checks if c.status == "fail")


def active(lab: Lab, router: str) -> list[str]:
    return Store(lab.box(router).path(STATE)).read_active()


def configured(lab: Lab) -> Lab:
    """Every router deployed (a test run alone finds them in factory state)."""
    for router in lab.routers:
        if not any(line.startswith("set protocols bgp") for line in active(lab, router)):
            lab.configure(router)
    lab.wait_ready(configured=True, timeout=60)
    return lab


def test_deploy_from_factory_then_unchanged_then_healthy(vyos_lab: Lab) -> None:
    """From factory, one login per router; a second run changes nothing; verify exits 0."""
    lab = vyos_lab
    assert not [line for line in active(lab, "r1") if "protocols bgp" in line]
    logins = lab.ssh_logins()
    first = runbook("deploy.py", lab, "--json")
    assert first.returncode == 0, first.stdout + first.stderr
    outcomes = {o["host"]: o["status"] for o in json.loads(first.stdout)["hosts"]}
    assert outcomes == {"r1": "changed", "r2": "changed"}
    assert {r: n - logins[r] for r, n in lab.ssh_logins().items()} == {"r1": 1, "r2": 1}
    assert any(line.startswith("set protocols bgp system-as") for line in active(lab, "r1"))
    assert any(line.startswith("set protocols bgp 65010 neighbor") for line in active(lab, "r2"))
    again = runbook("deploy.py", lab, "--json")
    assert again.returncode == 0, again.stdout + again.stderr
    assert {o["status"] for o in json.loads(again.stdout)["hosts"]} == {"unchanged"}
    healthy = runbook("verify.py", lab)
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert lab.vgw_best_path()["router"] == "r1"
    assert lab.probe_source() == lab.nat_address("r1")


def test_translation_gives_the_frr_state_of_the_same_inventory(vyos_lab: Lab) -> None:
    """r1 configured through VyOS (its rendered set lines, committed) and through the FRR
    platform (its twin's frr templates) ends with the same FRR running state."""
    lab = configured(vyos_lab)

    def state() -> dict[str, Any]:
        neighbors = json.loads(lab.vtysh("r1", "show bgp neighbors json"))
        advertised = {
            peer: sorted(json.loads(lab.vtysh(
                "r1", f"show bgp ipv4 unicast neighbors {peer} advertised-routes json"
            )).get("advertisedRoutes", {}))
            for peer in neighbors
        }  # fmt: skip
        return {
            "neighbors": {
                peer: (
                    n["remoteAs"],
                    n["bgpTimerConfiguredHoldTimeMsecs"],
                    n["bgpTimerConfiguredKeepAliveIntervalMsecs"],
                )
                for peer, n in neighbors.items()
            },
            "route_maps": lab.vtysh("r1", "show route-map TO-AWS").count("prepend"),
            "advertised": advertised,
            "sessions": sorted(n["bgpState"] for n in neighbors.values()),
        }

    through_vyos = state()
    configure_router(lab.plan, twin_of(lab.plan, "r1"))  # the frr platform's own files
    lab.wait_ready(configured=True, timeout=60)
    through_frr = state()
    assert through_vyos == through_frr
    assert through_vyos["sessions"] == ["Established", "Established"]
    assert through_vyos["advertised"] and all(
        routes == ["0.0.0.0/0"] for routes in through_vyos["advertised"].values()
    )
    lab.configure("r1")  # back to the VyOS-committed config
    lab.wait_ready(configured=True, timeout=60)


def test_verify_scenarios_exit_as_on_frr(vyos_lab: Lab) -> None:
    """Backup tunnel down: degraded (1). The primary's sessions shut through its VyOS CLI
    (configure, set, commit over SSH): primary path broken (2). Healthy again: 0."""
    lab = configured(vyos_lab)
    twin = twin_of(lab.plan, "r2")
    uri = twin.tunnels[0].vici_uri or ""
    ike = "peer-198_18_0_102-tunnel-vti"  # 1.3's name as the lab writes it (names.py)
    lab.exec("r2", ["swanctl", "--unload-conn", "--name", ike, "--uri", uri])
    lab.exec("r2", ["swanctl", "--terminate", "--ike", ike, "--force", "--uri", uri])
    report = verify(lab.config_file)
    assert report.exit_code == 1, failing(report)
    assert ("ipsec_sa", "r2/tun1", "backup") in failing(report)
    # As on VyOS, committing an unchanged tunnel does not start it again: load and start it.
    lab.configure("r2")
    lab.exec("r2", ["swanctl", "--initiate", "--child", ike, "--timeout", "10", "--uri", uri])

    shut = [
        "configure",
        "set protocols bgp neighbor 169.254.10.1 shutdown",
        "set protocols bgp neighbor 169.254.10.5 shutdown",
        "commit",
        "exit",
    ]
    _cli(lab, "r1", shut)
    report = verify(lab.config_file)
    assert report.exit_code == 2, failing(report)
    decision = next(c for c in report.checks if c.check == "path_decision")
    assert "VGW will prefer r2, not the primary r1" in decision.detail
    lab.configure("r1")
    lab.wait_ready(configured=True, timeout=60)
    assert verify(lab.config_file).exit_code == 0


def test_a_commit_error_is_rolled_back_and_the_router_keeps_working(
    vyos_lab: Lab, tmp_path: Path
) -> None:
    """A tunnel interface the router does not have: the commit fails on the router (``ip
    -batch``), VyOS keeps its active config, the driver reports CommitError, nothing changed."""
    lab = configured(vyos_lab)

    def missing_interface(hosts: dict[str, Any]) -> None:
        hosts["r2"]["data"]["tunnels"][1]["interface"] = "vti9"

    config = lab_inventory_variant(lab, tmp_path, missing_interface)
    before = active(lab, "r2")
    report = run_deploy(load(config), DeployOptions(**FAST), progress=lambda m: None)
    r2 = next(o for o in report.outcomes if o.host == "r2")
    assert r2.status == "rolled_back", r2.error
    assert "CommitError" in r2.error and "ip" in r2.error
    assert active(lab, "r2") == before
    lab.wait_ready(configured=True, timeout=60)


def test_failover_drain_and_failback_on_vyos(vyos_lab: Lab) -> None:
    proc = runbook("failover.py", configured(vyos_lab), "--hold", "2", "--no-aws", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    phases = {p["name"]: p for p in json.loads(proc.stdout)["phases"]}
    for name in ("drain", "restore"):
        switch = phases[name]["switch"]
        assert switch["lost"] == 0 and 0 < switch["traffic_s"] <= 5, (name, switch)
    assert vyos_lab.vgw_best_path()["router"] == "r1"


def _cli(lab: Lab, router: str, lines: list[str]) -> None:
    """Type ``lines`` into the router's VyOS CLI over SSH, as an operator would."""
    host = load(lab.config_file).inventory.hosts[router]
    argv = ["ssh", "-tt", "-i", str(lab.plan.ssh_key), "-o", "BatchMode=yes",
            "-o", f"UserKnownHostsFile={lab.plan.known_hosts}", "-o", "StrictHostKeyChecking=yes",
            f"labadmin@{host.hostname}"]  # fmt: skip
    proc = subprocess.run(argv, input="\n".join([*lines, "exit", ""]), capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip
    assert "Commit failed" not in proc.stdout, proc.stdout


def test_backup_promoted_to_primary_and_the_vgw_follows(vyos_lab: Lab, tmp_path: Path) -> None:
    """r2 (1.3) made primary and r1 (1.4) its backup in the inventory: one deploy moves the
    VGW's choice and the VPC's traffic to r2; deploying the lab's inventory moves them back."""
    lab = configured(vyos_lab)

    def swap(hosts: dict[str, Any]) -> None:
        hosts["r1"]["data"].update(role="backup", rank=1)
        hosts["r2"]["data"]["role"] = "primary"
        hosts["r2"]["data"].pop("rank")

    promoted = lab_inventory_variant(lab, tmp_path, swap)
    report = run_deploy(load(promoted), DeployOptions(**FAST), progress=lambda m: None)
    assert report.ok, [(o.host, o.status, o.error) for o in report.outcomes]
    assert _eventually(lambda: lab.vgw_best_path()["router"] == "r2")
    assert lab.probe_source() == lab.nat_address("r2")
    back = run_deploy(load(lab.config_file), DeployOptions(**FAST), progress=lambda m: None)
    assert back.ok, [(o.host, o.status, o.error) for o in back.outcomes]
    assert _eventually(lambda: lab.vgw_best_path()["router"] == "r1")


def test_a_session_lost_after_apply_is_undone_by_the_commit_confirm_timer(
    vyos_lab: Lab, tmp_path: Path
) -> None:
    """deploy frozen the moment its commit-confirm armed the timer (SIGSTOP: the session goes
    silent, nothing is ever confirmed), then killed: VyOS's timer "reboots" the router to its
    saved config when it expires (BEHAVIOUR.md: both versions reboot at expiry), and the
    change is gone from the router's FRR too."""
    lab = configured(vyos_lab)

    def med(hosts: dict[str, Any]) -> None:
        hosts["r2"]["data"]["bgp"] = {"holdtime": 30, "keepalive": 10, "connect_retry": 2,
                                      "prepend_per_rank": 2, "med_per_rank": 150}  # fmt: skip

    config = lab_inventory_variant(lab, tmp_path, med)
    store = Store(lab.box("r2").path(STATE))
    before = store.read_active()
    argv = [sys.executable, str(RUNBOOKS / "deploy.py"), "-c", str(config), "--hosts", "r2",
            "--confirm-timeout", "120"]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _eventually(lambda: store.pending() is not None, timeout=30, step=0.01)
        os.kill(proc.pid, signal.SIGSTOP)  # before post-check and confirm can run
        assert _eventually(lambda: "metric '150'" in " ".join(store.read_active()), timeout=20)
        assert "metric 150" in lab.vtysh("r2", "show route-map TO-AWS")
        # commit-confirm 2: two minutes of MINUTE seconds after it was armed
        assert _eventually(lambda: store.read_active() == before, timeout=2 * MINUTE + 20), (
            "the timer never fired"
        )
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert store.pending() is None
    lab.wait_ready(configured=True, timeout=60)
    assert "metric 150" not in lab.vtysh("r2", "show route-map TO-AWS")


def _eventually(check: Any, timeout: float = 15.0, step: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(step)
    return bool(check())


def test_isp_failure_moves_the_traffic_off_the_vyos_primary(vyos_lab: Lab) -> None:
    """failover --mode isp on r1 (VyOS 1.4 with isp_health): its internet path broken beyond
    the ISP's first hop, the VPC's traffic moves to r2 and comes back once it is restored."""
    proc = runbook("failover.py", configured(vyos_lab), "--mode", "isp", "--hold", "2",
                   "--no-aws", "--json")  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    phases = {p["name"]: p for p in json.loads(proc.stdout)["phases"]}
    assert 0 < phases["cut"]["switch"]["traffic_s"] <= 10, phases["cut"]
    assert phases["restore"]["switch"]["lost"] == 0, phases["restore"]
    assert vyos_lab.vgw_best_path()["router"] == "r1"
