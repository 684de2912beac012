"""deploy on the lab: from factory state to every session up, idempotence, rollback, faults."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from lab_variants import lab_inventory_variant

from tasks.cli import interruptible
from tasks.deploy import DeployOptions
from tasks.drivers import driver_for
from tasks.health import post_check, snapshot
from tasks.inventory import load
from tasks.lab import Lab
from tasks.waves import run_deploy

pytestmark = pytest.mark.lab

FAST = {"confirm_timeout": 120, "settle_timeout": 20.0, "snapshot": snapshot,
        "post_check": post_check}  # fmt: skip


def established(lab: Lab, router: str) -> set[str]:
    # Without a BGP instance (factory state) FRR answers {} instead of a peers table.
    peers = json.loads(lab.vtysh(router, "show bgp ipv4 unicast summary json")).get("peers", {})
    return {addr for addr, p in peers.items() if p["state"] == "Established"}


def running_frr(lab: Lab, router: str) -> str:
    return lab.vtysh(router, "show running-config")


def no_pending_timer(lab: Lab, router: str) -> bool:
    proc = lab.exec(router, ["sh", "-c", "test -s /etc/vpc-ha/rollback.pid && "
                                         "kill -0 $(cat /etc/vpc-ha/rollback.pid)"])  # fmt: skip
    return proc.returncode != 0


def wait_for_source(lab: Lab, address: str, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lab.probe_source(timeout=0.5) == address:
            return True
    return False


def deploy(config: Path, **options: Any) -> Any:
    return run_deploy(load(config), DeployOptions(**{**FAST, **options}), progress=lambda m: None)


def test_factory_lab_is_configured_by_deploy_and_second_run_changes_nothing(
    configured_lab: Lab,
) -> None:
    lab = configured_lab
    for router in lab.routers:
        lab.factory_reset(router)
    assert all(not established(lab, r) for r in lab.routers)

    logins = lab.ssh_logins()
    report = deploy(lab.config_file)
    assert [(o.host, o.wave, o.status) for o in report.outcomes] == [
        ("r2", 1, "changed"), ("r1", 2, "changed"),
    ]  # fmt: skip
    assert report.ok
    # connect, diff, apply, the post-check polls and confirm: one login per router
    assert {r: n - logins[r] for r, n in lab.ssh_logins().items()} == {"r1": 1, "r2": 1}
    for router in lab.routers:
        assert len(established(lab, router)) == 2
        assert lab.swanctl_list_sas(router).count("INSTALLED") == 2
        assert no_pending_timer(lab, router)
    # Deploy confirms a router once it advertises the default route; the VGW (two BGP hops
    # in the lab) then needs a moment to move to the primary.
    assert wait_for_source(lab, lab.nat_address("r1"))

    again = deploy(lab.config_file)
    assert [o.status for o in again.outcomes] == ["unchanged", "unchanged"]
    assert all(not o.diff for o in again.outcomes)


def test_out_of_band_drift_is_seen_and_repaired(configured_lab: Lab) -> None:
    """Issue 17 (7): deploy compares the live MTU, addresses and nft table with the intent.
    Before, an MTU changed by hand and a deleted MSS-clamp rule both read as "unchanged"."""
    lab = configured_lab
    deploy(lab.config_file)  # records the table as this deploy applied it
    lab.exec("r2", ["ip", "link", "set", "dev", "ipsec0", "mtu", "1300"])
    rules = lab.exec("r2", ["nft", "-a", "list", "chain", "ip", "vpc_ha", "forward"]).stdout
    handle = next(line.rsplit("# handle ", 1)[1] for line in rules.splitlines()
                  if 'oifname "ipsec0" tcp flags syn' in line)  # fmt: skip
    done = lab.exec("r2", ["nft", "delete", "rule", "ip", "vpc_ha", "forward", "handle", handle])
    assert done.returncode == 0, done.stderr

    dry = deploy(lab.config_file, dry_run=True)
    r2 = next(o for o in dry.outcomes if o.host == "r2")
    assert r2.status == "would_change", r2
    assert "-link set dev ipsec0 mtu 1300 up" in r2.diff and "+link set dev ipsec0 mtu" in r2.diff
    assert "running/nftables.nft" in r2.diff

    fixed = deploy(lab.config_file)
    assert next(o for o in fixed.outcomes if o.host == "r2").status == "changed"
    link = lab.exec("r2", ["ip", "-o", "link", "show", "dev", "ipsec0"]).stdout
    assert " mtu 1300 " not in link
    clamp = lab.exec("r2", ["nft", "list", "chain", "ip", "vpc_ha", "forward"]).stdout
    assert 'oifname "ipsec0" tcp flags syn' in clamp
    again = deploy(lab.config_file)
    assert [o.status for o in again.outcomes] == ["unchanged", "unchanged"]


def test_dry_run_shows_masked_diff_and_changes_nothing(configured_lab: Lab) -> None:
    lab = configured_lab
    lab.factory_reset("r2")
    before = running_frr(lab, "r2")
    report = deploy(lab.config_file, dry_run=True)
    r2 = next(o for o in report.outcomes if o.host == "r2")
    assert r2.status == "would_change"
    assert "+ router bgp 65010" in r2.diff
    assert 'secret = "********"' in r2.diff
    psk = Path("/run/vpc-ha-lab/secrets/r2-tun1.psk").read_text().strip()
    assert psk not in r2.diff
    assert running_frr(lab, "r2") == before
    assert not established(lab, "r2")


def test_wrong_neighbor_is_rolled_back_and_router_keeps_working(
    configured_lab: Lab, tmp_path: Path
) -> None:
    lab = configured_lab

    def wrong_inside_cidr(hosts: dict[str, Any]) -> None:
        hosts["r2"]["data"]["tunnels"][0]["inside_cidr"] = "169.254.99.0/30"

    config = lab_inventory_variant(lab, tmp_path, wrong_inside_cidr)
    before = running_frr(lab, "r2")
    report = deploy(config, settle_timeout=6.0)
    r2, r1 = (next(o for o in report.outcomes if o.host == h) for h in ("r2", "r1"))
    assert r2.status == "rolled_back", r2
    assert "169.254.99.1 not Established" in r2.error
    assert r1.status == "skipped" and "r2 rolled_back in wave 1" in r1.error
    assert not report.ok
    assert running_frr(lab, "r2") == before
    assert no_pending_timer(lab, "r2")
    lab.wait_ready(configured=True, timeout=40)
    assert len(established(lab, "r2")) == 2


def test_commit_error_leaves_old_config(configured_lab: Lab, tmp_path: Path) -> None:
    lab = configured_lab

    def missing_interface(hosts: dict[str, Any]) -> None:
        hosts["r2"]["data"]["tunnels"][1]["interface"] = "ipsec9"

    config = lab_inventory_variant(lab, tmp_path, missing_interface)
    before = running_frr(lab, "r2")
    report = deploy(config)
    r2 = next(o for o in report.outcomes if o.host == "r2")
    assert r2.status == "rolled_back"
    assert "CommitError" in r2.error and "ip -batch" in r2.error
    assert running_frr(lab, "r2") == before
    assert no_pending_timer(lab, "r2")


@pytest.mark.parametrize(
    ("fault", "message"),
    [("unreachable", "unreachable"), ("credentials", "authentication failed"),
     ("host_key", "host key changed")],
)  # fmt: skip
def test_connection_faults_fail_before_any_change(
    configured_lab: Lab, tmp_path: Path, fault: str, message: str
) -> None:
    lab = configured_lab
    extras: dict[str, Any] = {}
    hostname = None
    if fault == "unreachable":
        hostname = "100.64.77.99"  # inside the lab's management prefix, nobody there
        extras = {"conn_timeout": 2}
    elif fault == "credentials":
        key = tmp_path / "other_key"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        extras = {"key_file": str(key)}
    else:
        other = tmp_path / "other_host_key"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)],
                       check=True)  # fmt: skip
        known = tmp_path / "known_hosts"
        known.write_text(f"100.64.77.12 {other.with_suffix('.pub').read_text()}")
        extras = {"ssh_strict": True, "system_host_keys": False, "alt_host_keys": True,
                  "alt_key_file": str(known)}  # fmt: skip

    def break_r2(hosts: dict[str, Any]) -> None:
        if hostname:
            hosts["r2"]["hostname"] = hostname
        if extras:
            base = {"device_type": "linux", "use_keys": True, "allow_agent": False,
                    "key_file": "/run/vpc-ha-lab/ssh/id_ed25519", "ssh_strict": True,
                    "system_host_keys": False, "alt_host_keys": True,
                    "alt_key_file": str(lab.plan.known_hosts)}  # fmt: skip
            hosts["r2"]["connection_options"] = {"netmiko": {"extras": {**base, **extras}}}

    config = lab_inventory_variant(lab, tmp_path / "inv", break_r2)
    before = running_frr(lab, "r2"), running_frr(lab, "r1")
    report = deploy(config)
    r2, r1 = (next(o for o in report.outcomes if o.host == h) for h in ("r2", "r1"))
    assert r2.status == "failed" and message in r2.error, r2.error
    assert r1.status == "skipped"
    assert (running_frr(lab, "r2"), running_frr(lab, "r1")) == before


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=["SIGINT", "SIGTERM", "SIGHUP"])  # fmt: skip
def test_ctrl_c_during_post_check_rolls_back_and_leaves_no_timer(
    configured_lab: Lab, signum: signal.Signals
) -> None:
    """Ctrl-C, a scheduler's SIGTERM and a dropped terminal's SIGHUP all roll back at once;
    before, SIGTERM and SIGHUP killed deploy and left the change pending for the whole window."""
    lab = configured_lab
    lab.factory_reset("r2")
    before = running_frr(lab, "r2")

    def interrupt_when_applying(message: str) -> None:
        if "applying" in message:
            # What a terminal's Ctrl-C does: SIGINT to the process, KeyboardInterrupt in main.
            threading.Timer(0.5, os.kill, (os.getpid(), signum)).start()

    nr = load(lab.config_file)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    interruptible()  # what deploy.py's main does
    try:
        report = run_deploy(nr, DeployOptions(**FAST), progress=interrupt_when_applying)
    finally:
        for s, handler in handlers.items():
            signal.signal(s, handler)
    assert report.interrupted
    statuses = {o.host: o.status for o in report.outcomes}
    assert statuses == {"r2": "rolled_back", "r1": "skipped"}, report.outcomes
    assert running_frr(lab, "r2") == before
    assert no_pending_timer(lab, "r2")
    host = nr.inventory.hosts["r2"]
    driver = driver_for(host)
    driver.open()
    try:
        assert not driver.pending()  # type: ignore[attr-defined]
    finally:
        driver.close()
