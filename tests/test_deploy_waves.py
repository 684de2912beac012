"""Wave planning: routers that back each other up never share a wave; backups go first."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from inventory_factory import GROUPS, PSK_ENV, base_hosts, base_router, write_inventory

from tasks.inventory import load
from tasks.waves import plan_waves


def two_vpcs(tmp_path: Path) -> dict[str, object]:
    hosts = {f"a-{k}": v for k, v in base_hosts().items()}
    vpc_x = {"id": "vpc-x", "networks": ["10.1.0.0/24"], "vgw": {"id": "vgw-x", "asn": 64512}}
    groups = {**GROUPS, "vpc-x": {"data": {"vpc": vpc_x}}}
    for name, role, rank, octet in (("x-r1", "primary", 0, 20), ("x-r2", "backup", 1, 21)):
        host = base_router(name, role, rank, third_octet=octet)
        host["groups"] = ["vpc-x"]
        hosts[name] = host
    nr = load(write_inventory(tmp_path, hosts, groups=groups))
    return {n: h.data["router"] for n, h in nr.inventory.hosts.items()}


def test_backups_first_highest_rank_first_one_router_per_vpc_per_wave(tmp_path: Path) -> None:
    waves = plan_waves(two_vpcs(tmp_path))  # type: ignore[arg-type]
    assert waves == [["a-r3", "x-r2"], ["a-r2", "x-r1"], ["a-r1"]]


def test_primary_first_when_asked(tmp_path: Path) -> None:
    waves = plan_waves(two_vpcs(tmp_path), primary_first=True)  # type: ignore[arg-type]
    assert waves == [["a-r1", "x-r1"], ["a-r3", "x-r2"], ["a-r2"]]


def test_no_wave_holds_two_routers_of_one_vpc(tmp_path: Path) -> None:
    routers = two_vpcs(tmp_path)
    for wave in plan_waves(routers):  # type: ignore[arg-type]
        vpcs = [routers[h].vpc.id for h in wave]  # type: ignore[attr-defined]
        assert len(vpcs) == len(set(vpcs))


def test_a_dry_run_reads_every_wave_even_after_a_failure(tmp_path: Path, monkeypatch) -> None:
    """Nothing changes in a dry run, so a router that cannot be read (here: its key does not
    resolve) must not hide the diffs of the routers in later waves; a real deploy stops."""
    from tasks.deploy import DeployOptions
    from tasks.waves import run_deploy

    for var in PSK_ENV.values():
        monkeypatch.delenv(var, raising=False)
    nr = load(write_inventory(tmp_path, base_hosts()))
    dry = {o.host: o for o in run_deploy(nr, DeployOptions(dry_run=True), lambda _m: None).outcomes}
    assert {o.status for o in dry.values()} == {"failed"}
    assert all(PSK_ENV["tun1"] in o.error for o in dry.values())
    real = {o.host: o for o in run_deploy(nr, DeployOptions(), lambda _m: None).outcomes}
    assert real["r3"].status == "failed"
    assert real["r2"].status == real["r1"].status == "skipped"


@pytest.mark.parametrize(
    ("confirm", "settle", "words"),
    [(-5, 90.0, "must be 120..3600"), (0, 90.0, "must be 120..3600"),
     (1, 1.0, "must be 31..3600"), (100, 90.0, "at least --settle-timeout 90 + 30"),
     (7200, 90.0, "must be 120..3600"), (300, 0.0, "must be positive")],
)  # fmt: skip
def test_unsafe_confirm_windows_are_refused(confirm: int, settle: float, words: str) -> None:
    """A negative window armed no timer; 0 or 1 let the timer race the post-check."""
    from tasks.deploy import BadOptions, DeployOptions

    with pytest.raises(BadOptions, match=re.escape(words)):
        DeployOptions(confirm_timeout=confirm, settle_timeout=settle)


def test_the_runbook_refuses_an_unsafe_window_with_exit_2(capsys) -> None:
    from script_loader import load_runbook

    with pytest.raises(SystemExit) as code:
        load_runbook("deploy").main(["--confirm-timeout", "-5"])
    assert code.value.code == 2
    assert "--confirm-timeout -5" in capsys.readouterr().err
