"""Lab pieces that need no root: address plan, inventory, apply commands, refusals."""

from __future__ import annotations

import pytest
from script_loader import load_runbook

from tasks import PROJECT_ROOT
from tasks.inventory import load, router_of
from tasks.lab import apply, inventory, preflight
from tasks.lab.topology import LabError, Plan, load_topology
from tasks.render import render_router

TOPOLOGY_4 = PROJECT_ROOT / "lab" / "topology-4.yaml"


def test_default_topology_has_primary_and_backup() -> None:
    plan = Plan(load_topology())
    assert plan.names == ["r1", "r2"]
    assert [r.spec.role for r in plan.routers] == ["primary", "backup"]
    assert len(plan.namespaces) == 11
    assert all(ns.startswith("vha-") for ns in plan.namespaces)


def test_four_router_topology() -> None:
    plan = Plan(load_topology(TOPOLOGY_4))
    assert [r.spec.rank for r in plan.routers] == [0, 1, 2, 3]
    insides = [t.inside for t in plan.tunnels]
    assert len(set(insides)) == 8
    assert load_topology(routers=4) == load_topology(TOPOLOGY_4)


def test_addresses_stay_in_lab_prefixes() -> None:
    plan = Plan(load_topology(TOPOLOGY_4))
    topo = plan.topo
    for r in plan.routers:
        assert r.mgmt in topo.management and r.wan in topo.underlay
        for t in r.tunnels:
            assert t.aws_outside in topo.underlay and t.aws_backbone in topo.backbone
            assert t.inside.subnet_of(topo.inside_base)
    assert plan.host_mgmt in topo.management


def test_committed_inventory_matches_topology() -> None:
    generated = inventory.inventory_files(load_topology())
    for name, text in generated.items():
        assert (inventory.COMMITTED_DIR / name).read_text(encoding="utf-8") == text, (
            f"inventory/lab/{name} is stale: run python -m tasks.lab.inventory"
        )


@pytest.mark.parametrize("topology", [None, TOPOLOGY_4])
def test_lab_inventory_validates_and_renders(topology, tmp_path) -> None:
    config = inventory.write_inventory(load_topology(topology), tmp_path)
    nr = load(config)
    for host in nr.inventory.hosts.values():
        router = router_of(host)
        assert host.platform == "frr"
        files = render_router(router)  # secrets masked: no PSK file needed
        assert set(files) == {
            "frr.conf",
            "swanctl/tun1.conf",
            "swanctl/tun2.conf",
            "nftables.nft",
            "interfaces.ip",
            "isp-health.sh",
        }
        assert "local_port = 501" in files["swanctl/tun2.conf"]
        extras = host.get_connection_parameters("netmiko").extras
        assert extras["device_type"] == "linux" and extras["use_keys"] is True


def test_apply_commands_order_and_paths() -> None:
    nr = load(
        inventory.COMMITTED_CONFIG.parent / "config.yaml",
        inventory={
            "plugin": "SimpleInventory",
            "options": {
                "host_file": str(inventory.COMMITTED_DIR / "hosts.yaml"),
                "group_file": str(inventory.COMMITTED_DIR / "groups.yaml"),
                "defaults_file": str(inventory.COMMITTED_DIR / "defaults.yaml"),
            },
        },
    )
    router = router_of(nr.inventory.hosts["r1"])
    files = render_router(router)
    commands = apply.apply_commands(router, files)
    assert commands[0] == "ip -batch /etc/vpc-ha/interfaces.ip"
    assert commands[1] == "nft -f /etc/vpc-ha/nftables.nft"
    # then the table as nft lists it, the evidence a later diff compares the live table with
    assert commands[2] == (
        "{ nft -s list table ip vpc_ha 2>/dev/null || true; } > /etc/vpc-ha/nftables.applied"
    )
    assert commands[3].startswith("swanctl --load-all --clear --file /etc/vpc-ha/swanctl/tun1.conf")
    assert commands[3].endswith("--uri unix:///run/strongswan/tun1/charon.vici")
    assert any("frr-reload.py --reload" in c for c in commands)
    assert apply.apply_commands(router, files, "/tmp/x/")[0] == "ip -batch /tmp/x/interfaces.ip"
    assert any("swanctl --initiate --child tun2" in c for c in commands)
    reset = apply.factory_commands(router)
    assert "nft -f /etc/vpc-ha/factory/nftables.nft" in reset
    assert not any("--initiate" in c for c in reset)


def test_refuses_without_root() -> None:
    with pytest.raises(LabError, match="needs root"):
        preflight.check(euid=1000)


def test_refuses_with_missing_package_and_names_the_fix() -> None:
    with pytest.raises(LabError, match=r"apt-get install -y frr-missing-example"):
        preflight.check(euid=0, requirements={"/nonexistent/zebra": "frr-missing-example"})


def test_runbook_refusal_exit_code(monkeypatch, capsys) -> None:
    runbook = load_runbook("lab")
    monkeypatch.setattr(preflight.os, "geteuid", lambda: 1000)
    assert runbook.main(["up"]) == runbook.EXIT_REFUSED
    assert "needs root" in capsys.readouterr().err


def test_bad_topology_is_refused(tmp_path) -> None:
    bad = tmp_path / "t.yaml"
    bad.write_text("routers: [{name: r1, role: backup, rank: 1}]\n")
    with pytest.raises(LabError, match="exactly one router must be the primary"):
        load_topology(bad)
