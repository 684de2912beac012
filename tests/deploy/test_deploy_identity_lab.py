"""Device identity on the lab's FRR routers (issue 17, item 10): a router records which
inventory host it is when it is configured, and a run whose inventory points one host at
another router's address is refused at the connection, before anything is read or changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lab_variants import lab_inventory_variant

from tasks.deploy import DeployOptions
from tasks.health import post_check, snapshot
from tasks.inventory import load
from tasks.lab import Lab
from tasks.waves import run_deploy

pytestmark = pytest.mark.lab

FAST = {"confirm_timeout": 120, "settle_timeout": 20.0, "snapshot": snapshot,
        "post_check": post_check}  # fmt: skip
IDENTITY = "/etc/vpc-ha/identity"


def deploy(config: Path, **options: Any) -> Any:
    return run_deploy(load(config), DeployOptions(**{**FAST, **options}), progress=lambda m: None)


def identity(lab: Lab, router: str) -> str:
    return lab.exec(router, ["sh", "-c", f"cat {IDENTITY} 2>/dev/null"]).stdout.strip()


def test_swapped_management_addresses_are_refused_by_identity(
    configured_lab: Lab, tmp_path: Path
) -> None:
    lab = configured_lab
    for router in lab.routers:  # a lab left up by an older checkout has no identity yet
        lab.configure(router)
    assert [identity(lab, r) for r in lab.routers] == list(lab.routers)
    assert all(o.status == "unchanged" for o in deploy(lab.config_file, dry_run=True).outcomes)

    def swap(hosts: dict[str, Any]) -> None:
        hosts["r1"]["hostname"], hosts["r2"]["hostname"] = (
            hosts["r2"]["hostname"], hosts["r1"]["hostname"])  # fmt: skip

    config = lab_inventory_variant(lab, tmp_path, swap)
    before = {r: lab.vtysh(r, "show running-config") for r in lab.routers}
    for dry_run in (True, False):
        report = deploy(config, dry_run=dry_run)
        for o in report.outcomes:
            other = "r2" if o.host == "r1" else "r1"
            if not dry_run and o.host == "r1":  # a failed wave stops the later ones
                assert o.status == "skipped" and "r2 failed in wave 1" in o.error, o
                continue
            assert o.status == "failed" and o.diff == "", o
            assert f"says it is '{other}'" in o.error and "--adopt" in o.error, o.error
    assert {r: lab.vtysh(r, "show running-config") for r in lab.routers} == before
    assert [identity(lab, r) for r in lab.routers] == list(lab.routers)


def test_a_factory_router_is_accepted_and_deploy_records_its_identity(
    configured_lab: Lab,
) -> None:
    lab = configured_lab
    lab.factory_reset("r2")
    assert identity(lab, "r2") == ""
    dry = next(o for o in deploy(lab.config_file, dry_run=True).outcomes if o.host == "r2")
    assert dry.status == "would_change" and "+++ candidate/identity\n+r2" in dry.diff
    report = deploy(lab.config_file)
    assert report.ok, report.outcomes
    assert identity(lab, "r2") == "r2"
