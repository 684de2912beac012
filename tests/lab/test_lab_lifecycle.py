"""up is idempotent, factory reset and configure round-trip, down leaves nothing, 4 routers.

These tests take the session's lab through down/up and always leave it up and configured.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tasks import PROJECT_ROOT
from tasks.lab import Lab, LabError, charon, control, preflight, procs
from tasks.lab.box import all_boxes, router_box
from tasks.lab.topology import load_topology

NOTHING = {"namespaces": [], "processes": [], "interfaces": [], "mounts": [], "runtime": []}

pytestmark = pytest.mark.lab


def _all_pids(lab: Lab) -> dict[str, int]:
    return {
        f"{box.ns}/{name}": pid for box in all_boxes(lab.plan) for name, pid in box.pids().items()
    }


def test_up_is_idempotent(lab: Lab) -> None:
    before = _all_pids(lab)
    result = control.up(lab.topology, configured=True)
    assert result["action"] == "already up"
    assert _all_pids(lab) == before
    assert all(procs.alive(p) for p in before.values())


def test_factory_reset_then_configure(lab: Lab) -> None:
    lab.factory_reset("r2")
    try:
        assert "router bgp" not in lab.vtysh("r2", "show running-config")
        assert "INSTALLED" not in lab.swanctl_list_sas("r2")
        assert lab.exec("r2", ["nft", "list", "table", "ip", "vpc_ha"]).returncode != 0
        assert lab.probe_source() == lab.nat_address("r1")  # the primary is untouched
    finally:
        lab.configure("r2")
    lab.wait_ready(configured=True, timeout=30)
    peers = json.loads(lab.vtysh("r2", "show bgp ipv4 unicast summary json"))["peers"]
    assert {p["state"] for p in peers.values()} == {"Established"}


def test_down_leaves_nothing_then_up_again(lab: Lab) -> None:
    pids = list(_all_pids(lab).values())
    lab.down()
    left = control.leftovers(lab.topology.prefix, lab.plan.runtime)
    assert left == {"namespaces": [], "processes": [], "interfaces": [], "mounts": [],
                    "runtime": []}  # fmt: skip
    assert not any(procs.alive(p) for p in pids)
    assert not (lab.plan.runtime).exists()
    control.up(lab.topology, configured=True)
    assert lab.probe_source() == lab.nat_address("r1")


def test_up_cleans_a_crashed_run(lab: Lab) -> None:
    """A lab whose daemons died (a crash) is rebuilt, not trusted."""
    victim = router_box(lab.plan, "r2").pids()["bgpd"]
    procs.stop([victim])
    assert not control.healthy(lab.plan)
    result = control.up(lab.topology, configured=True)
    assert result["action"] == "built"
    assert not procs.alive(victim)
    assert lab.vgw_best_path()["router"] == "r1"


def test_four_routers(lab: Lab) -> None:
    topo4 = load_topology(PROJECT_ROOT / "lab" / "topology-4.yaml")
    lab.down()
    try:
        result = control.up(topo4, configured=True)
        four = Lab(topo4)
        data = four.status()
        assert len(data["tunnels"]) == 8
        assert {t["bgp_router"] for t in data["tunnels"]} == {"Established"}
        assert {t["child"] for t in data["tunnels"]} == {"INSTALLED"}
        assert four.vgw_best_path()["router"] == "r1"
        assert four.probe_source() == four.nat_address("r1")
        paths = json.loads(four.vtysh(four.plan.vgw_ns, "show ip bgp 0.0.0.0/0 json"))["paths"]
        assert sorted(p["aspath"]["length"] for p in paths) == [1, 1, 3, 3, 5, 5, 7, 7]
        print(f"4-router lab up --configured in {result['seconds']:.1f}s")
    finally:
        control.down(topo4.prefix, topo4.runtime_dir)
        control.up(lab.topology, configured=True)


def test_a_charon_that_cannot_load_a_plugin_is_refused_fast_leaving_nothing(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Preflight, before anything is built: the plugin named, in well under 2 s."""
    lab.down()
    monkeypatch.setattr(charon, "PLUGINS", charon.PLUGINS + " no-such-plugin")
    try:
        started = time.monotonic()
        with pytest.raises(LabError, match=r"libstrongswan-no-such-plugin\.so"):
            control.up(lab.topology, configured=True)
        took = time.monotonic() - started
        print(f"refused in {took:.2f}s")
        assert took < 2
        assert control.leftovers(lab.topology.prefix, lab.plan.runtime) == NOTHING
    finally:
        monkeypatch.undo()
        control.up(lab.topology, configured=True)


def test_charon_plugin_check_names_a_plugin_that_exists_but_does_not_load() -> None:
    assert charon.unloadable_plugins() == []
    assert charon.unloadable_plugins(charon.PLUGINS + " no-such-plugin") == ["no-such-plugin"]
    with pytest.raises(LabError, match="charon cannot load plugin 'no-such-plugin'"):
        preflight.check(plugins=charon.PLUGINS + " no-such-plugin")


def test_a_failed_up_tears_down_everything_and_says_where_the_logs_are(
    lab: Lab, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The fresh-machine failure itself (charon without its openssl plugin aborts), with
    preflight out of the way so the build really starts and fails half-way."""
    lab.down()
    monkeypatch.setattr(control, "FAILED_LOGS_DIR", tmp_path)
    monkeypatch.setattr(control.preflight, "check", lambda **_kw: None)
    monkeypatch.setattr(charon, "PLUGINS", charon.PLUGINS.replace("openssl ", ""))
    try:
        with pytest.raises(LabError, match="torn down; logs kept in") as caught:
            control.up(lab.topology, configured=True)
        assert control.leftovers(lab.topology.prefix, lab.plan.runtime) == NOTHING
        kept = Path(str(caught.value).rsplit("logs kept in ", 1)[1].rstrip(")"))
        assert kept.parent == tmp_path
        logs = "".join(p.read_text(errors="replace") for p in kept.glob("**/charon*.log"))
        assert "initialization failed" in logs or "failed to load" in logs
    finally:
        monkeypatch.undo()
        control.up(lab.topology, configured=True)
