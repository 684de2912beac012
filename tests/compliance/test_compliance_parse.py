"""Parsers: VyOS hierarchical and set forms agree; FRR texts (rendered and live) are read."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REFERENCE, inventory_routers

from tasks.compliance import frr, vyos
from tasks.compliance.drift import group_frr_files
from tasks.render import render_router


@pytest.mark.parametrize("name", ["router1", "router2"])
def test_hierarchical_and_set_forms_parse_to_the_same_model(name: str) -> None:
    hier = vyos.parse(name, (REFERENCE / f"{name}.boot").read_text())
    flat = vyos.parse(name, (REFERENCE / f"{name}.set").read_text())
    assert hier.form == "vyos-hierarchical" and flat.form == "vyos-set"
    assert hier.tunnels == flat.tunnels
    assert hier.bgp == flat.bgp
    assert hier.route_maps == flat.route_maps
    assert hier.proposals == flat.proposals
    assert hier.dpd == flat.dpd
    assert hier.nat == flat.nat
    assert hier.commit_revisions == flat.commit_revisions == "20"
    assert hier.ssh_listen == flat.ssh_listen == ["xxx.xxx.0.0"]


def test_reference_router2_values_survive_masking() -> None:
    cfg = vyos.parse("router2", (REFERENCE / "router2.boot").read_text())
    assert cfg.bgp.asn == "XXXXXX"
    assert [(n.address, n.keepalive, n.holdtime) for n in cfg.bgp.neighbors] == [
        ("xxx.xxx.247.25", "30", "30"),
        ("xxx.xxx.247.29", "30", "30"),
    ]
    assert cfg.bgp.origin_maps == ["def-route"]
    assert cfg.route_maps[0].weight == "65536"
    assert [(t.name, t.mtu, t.mss) for t in cfg.tunnels] == [
        ("vti0", "1436", None),
        ("vti1", "1436", None),
    ]
    # Two masked peers with the same printed name stay two peers; `pfs enable` inherits DH 2.
    assert [(p.name, p.interface, p.psk) for p in cfg.peers] == [
        ("xxxxx.tld", "vti0", "masked"),
        ("xxxxx.tld#2", "vti1", "masked"),
    ]
    assert {(p.kind, p.dh_group) for p in cfg.proposals} == {("ike", "2"), ("esp", "2")}
    assert cfg.syslog_local and not cfg.syslog_remote
    assert cfg.complete


def test_lost_brace_opens_a_block_and_stray_brace_is_ignored() -> None:
    text = (
        " system {\n     login xxxxxx\n         user bob {\n             level admin\n"
        "         }\n     }\n     host-name r1\n }\n }\n"
    )
    tree = vyos.build_tree(vyos.hierarchical_paths(text))
    assert vyos.value(tree, "system", "login", "xxxxxx", "user", "bob", "level") == "admin"
    assert vyos.value(tree, "system", "host-name") == "r1"


def test_set_lines_with_quotes_and_comments() -> None:
    text = "# comment\nset interfaces vti vti0 description 'tun1 vgw-a'\nset system host-name r1\n"
    cfg = vyos.parse("r1", text)
    assert cfg.form == "vyos-set"
    assert "set interfaces vti vti0 description 'tun1 vgw-a'" in cfg.lines["config"]


@pytest.mark.parametrize("syntax", ["1.3", "1.4"])
def test_rendered_vyos_reads_back_what_the_inventory_says(tmp_path: Path, syntax: str) -> None:
    router = inventory_routers(tmp_path, "vyos", syntax)["r3"]
    cfg = vyos.parse("r3", render_router(router)["config.set"])
    assert not cfg.complete  # no `system` tree: a rendered config
    assert cfg.bgp.asn == "65010"
    assert {n.address for n in cfg.bgp.neighbors} == {"169.254.12.1", "169.254.12.5"}
    assert all(n.export_maps == ["TO-AWS"] for n in cfg.bgp.neighbors)
    [entry] = cfg.route_map("TO-AWS")
    assert entry.prepend == " ".join(["65010"] * 4) and entry.metric == "200"
    assert [(t.mtu, t.mss) for t in cfg.tunnels] == [("1399", "1359")] * 2
    assert {p.dh_group for p in cfg.proposals} == {"14"}
    assert [n.sources for n in cfg.nat] == [["10.0.0.0/24"]]
    assert {p.psk for p in cfg.peers} == {"masked"}


def test_rendered_frr_reads_back_what_the_inventory_says(tmp_path: Path) -> None:
    router = inventory_routers(tmp_path, "frr")["r2"]
    cfg = frr.parse("r2", group_frr_files(render_router(router)), complete=False)
    assert cfg.bgp.asn == "65010"
    assert [(n.keepalive, n.holdtime) for n in cfg.bgp.neighbors] == [("10", "30")] * 2
    assert cfg.route_map("TO-AWS")[0].prepend == "65010 65010"
    assert [(t.name, t.mtu, t.mss, t.addresses) for t in cfg.tunnels] == [
        ("ipsec0", "1399", "1359", ["169.254.11.2/30"]),
        ("ipsec1", "1399", "1359", ["169.254.11.6/30"]),
    ]
    assert {(p.kind, p.encryption, p.integrity, p.dh_group) for p in cfg.proposals} == {
        ("ike", "aes256", "sha256", "14"),
        ("esp", "aes256", "sha256", "14"),
    }
    assert [(d.interval, d.timeout, d.action) for d in cfg.dpd] == [("10", "40", "restart")] * 2
    assert cfg.nat[0].sources == ["10.0.0.0/24"] and cfg.nat[0].outbound == "eth0"


def test_frr_live_outputs_are_read() -> None:
    files = {
        "ip": (
            "7: ipsec0: <POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1436 qdisc fq_codel state UNKNOWN\n"
            "7: ipsec0    inet 169.254.10.2/30 scope global ipsec0\\       valid_lft forever\n"
            "2: eth0    inet 198.51.100.10/24 brd 198.51.100.255 scope global eth0\n"
        ),
        "nftables.nft": (
            "table ip vpc_ha {\n\tchain forward {\n"
            '\t\toifname "ipsec0" tcp flags syn tcp option maxseg size set rt mtu\n\t}\n}\n'
        ),
        "sshd": "listenaddress 192.0.2.10:22\n",
        "ntp": "pool 2.debian.pool.ntp.org iburst\nserver 192.0.2.123\n",
        "syslog": '*.* @@logs.example.net:514\naction(type="omfwd" target="192.0.2.9")\n',
    }
    cfg = frr.parse("r1", files)
    assert [(t.name, t.mtu, t.mss) for t in cfg.tunnels] == [("ipsec0", "1436", "rt mtu")]
    assert cfg.ssh_listen == ["192.0.2.10"]
    assert cfg.ntp_servers == ["2.debian.pool.ntp.org", "192.0.2.123"]
    assert cfg.syslog_remote == ["logs.example.net:514", "192.0.2.9"]


def test_nft_rule_counters_are_traffic_not_drift() -> None:
    """A running table listed without ``-s`` carries each rule's packet counts: a router that
    forwarded traffic since its deploy must compare equal to the rendered file (the lab showed
    ``config-drift`` on every router that carried the probe)."""
    rendered = (
        "table ip vpc_ha\ndelete table ip vpc_ha\ntable ip vpc_ha {\n\tchain postrouting {\n"
        '\t\toifname "eth0" ip saddr 10.77.0.0/24 counter masquerade\n\t}\n}\n'
    )
    running = (
        "table ip vpc_ha {\n\tchain postrouting {\n"
        '\t\toifname "eth0" ip saddr 10.77.0.0/24 counter packets 95 bytes 4536 masquerade\n'
        "\t}\n}\n"
    )
    assert frr.canonical("nftables.nft", running) == frr.canonical("nftables.nft", rendered)
    changed = running.replace("10.77.0.0/24", "10.78.0.0/24")
    assert frr.canonical("nftables.nft", changed) != frr.canonical("nftables.nft", rendered)
