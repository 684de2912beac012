"""The configured 2-router lab: sessions, SAs, the VGW's choice, NAT, SSH, status."""

from __future__ import annotations

import json
import subprocess

import pytest

from tasks.lab import Lab
from tasks.lab.status import sa_state

pytestmark = pytest.mark.lab


def test_every_bgp_session_established(lab: Lab) -> None:
    for router in lab.routers:
        peers = json.loads(lab.vtysh(router, "show bgp ipv4 unicast summary json"))["peers"]
        assert len(peers) == 2
        assert {p["state"] for p in peers.values()} == {"Established"}, (router, peers)


def test_every_sa_installed(lab: Lab) -> None:
    for router in lab.routers:
        text = lab.swanctl_list_sas(router)
        assert text.count("ESTABLISHED") == 2 and text.count("INSTALLED") == 2, text
        assert "TUNNEL-in-UDP" in text


def test_vgw_prefers_primary_tunnel_1(lab: Lab) -> None:
    assert lab.vgw_best_path() == {"router": "r1", "tunnel": "tun1", "nexthop": "198.19.0.10"}


def test_vgw_sends_med_100_and_200(lab: Lab) -> None:
    routes = json.loads(lab.vtysh("r1", "show ip bgp 10.77.0.0/24 json"))["paths"]
    meds = {p["peer"]["peerId"]: p.get("metric") for p in routes}
    assert meds == {"169.254.10.1": 100, "169.254.10.5": 200}


def test_backup_prepends_toward_vgw(lab: Lab) -> None:
    paths = json.loads(lab.vtysh(lab.plan.vgw_ns, "show ip bgp 0.0.0.0/0 json"))["paths"]
    by_len = sorted(p["aspath"]["length"] for p in paths)
    assert by_len[0] == 1 and by_len[-1] == 3


def test_probe_leaves_through_primary_nat(lab: Lab) -> None:
    assert lab.probe_source() == lab.nat_address("r1") == "198.18.0.11"


def test_probe_stream_is_bounded_and_records(lab: Lab) -> None:
    stream = lab.probe_stream(rate=100, duration=0.5).start()
    import time

    time.sleep(0.8)
    records = stream.stop()
    assert 40 <= len(records) <= 60
    assert {r.source for r in records} == {"198.18.0.11"}
    assert [r.seq for r in records] == sorted(r.seq for r in records)


def test_two_probe_streams_at_once_count_only_their_own(lab: Lab) -> None:
    """Two runs probing at once (two failover tests, a verify during a failover) each get
    every one of their own probes and none of the other's: before, both bound one port and
    reported hundreds of probes lost where none were."""
    import time

    first = lab.probe_stream(rate=100, duration=1.0).start()
    second = lab.probe_stream(rate=100, duration=1.0).start()
    time.sleep(1.3)
    a, b = first.stop(), second.stop()
    for stream, records in ((first, a), (second, b)):
        assert sorted(r.seq for r in records) == list(range(stream.sent)), (
            stream.sent,
            len(records),
        )
    assert first.port != second.port


def test_ssh_management_plane(lab: Lab) -> None:
    """labadmin reaches the router's own FRR, charons, nft and ip over SSH."""
    r = lab.plan.router("r1")
    remote = (
        "hostname; vtysh -c 'show bgp summary json' >/dev/null && echo vtysh-ok; "
        "swanctl --list-sas --uri unix:///run/strongswan/tun2/charon.vici 2>/dev/null "
        "| grep -c INSTALLED; nft list table ip vpc_ha >/dev/null && echo nft-ok; "
        "ip -br addr show dev ipsec0"
    )
    out = subprocess.run(
        ["ssh", "-i", str(lab.plan.ssh_key), "-o", "BatchMode=yes",
         "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "ConnectTimeout=5", f"labadmin@{r.mgmt}", remote],
        capture_output=True, text=True, timeout=20, check=True,
    ).stdout.split("\n")  # fmt: skip
    assert out[0] == "r1"
    assert out[1] == "vtysh-ok" and out[2] == "1" and out[3] == "nft-ok"
    assert "169.254.10.2/30" in out[4]


def test_netmiko_over_the_lab_inventory(lab: Lab) -> None:
    from nornir_netmiko.tasks import netmiko_send_command

    from tasks.inventory import load

    nr = load(lab.config_file).filter(name="r2")
    result = nr.run(task=netmiko_send_command, command_string="vtysh -c 'show bgp summary'")
    assert not result.failed, result["r2"][0].exception
    assert "169.254.10.9" in result["r2"][0].result


def test_status_json_reports_sessions_and_sas(lab: Lab) -> None:
    data = lab.status()
    assert len(data["tunnels"]) == 4
    for t in data["tunnels"]:
        assert (t["ike"], t["child"]) == ("ESTABLISHED", "INSTALLED")
        assert t["bgp_router"] == t["bgp_vgw"] == "Established"
    assert data["vgw_best"]["router"] == "r1"
    json.dumps(data)


def test_status_runbook_json(lab: Lab) -> None:
    from tasks import PROJECT_ROOT

    proc = subprocess.run(
        [str(PROJECT_ROOT / ".venv/bin/python"), str(PROJECT_ROOT / "runbooks/lab.py"),
         "status", "--json"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["vgw_best"]["tunnel"] == "tun1"


def test_sa_state_parser() -> None:
    text = (
        "tun1: #1, ESTABLISHED, IKEv2, 1_i* 2_r\n"
        "  tun1: #1, reqid 1, INSTALLED, TUNNEL-in-UDP, ESP:AES_CBC-256/HMAC_SHA2_256_128\n"
    )
    assert sa_state(text) == ("ESTABLISHED", "INSTALLED")
    assert sa_state("") == ("none", "none")
