"""One test per inventory rule: a bad value is refused with the host, field, value and rule."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from inventory_factory import base_hosts, write_inventory

from tasks.errors import InventoryError
from tasks.inventory import load

Hosts = dict[str, Any]


def tun(hosts: Hosts, host: str, index: int) -> dict[str, Any]:
    return hosts[host]["data"]["tunnels"][index]


def set_data(host: str, key: str, value: Any) -> Callable[[Hosts], None]:
    def mutate(hosts: Hosts) -> None:
        hosts[host]["data"][key] = value

    return mutate


def set_tunnel(host: str, index: int, key: str, value: Any) -> Callable[[Hosts], None]:
    def mutate(hosts: Hosts) -> None:
        tun(hosts, host, index)[key] = value

    return mutate


def problems_for(tmp_path: Path, mutate: Callable[[Hosts], None]) -> list[str]:
    hosts = base_hosts()
    mutate(hosts)
    with pytest.raises(InventoryError) as info:
        load(write_inventory(tmp_path, hosts))
    return [str(p) for p in info.value.problems]


RULES = [
    # (id, mutation, host, field, words expected in the rule text)
    ("two-primaries", lambda h: h["r2"]["data"].update(role="primary", rank=0), "r2", "role",
     "exactly one primary"),
    ("no-primary", set_data("r1", "role", "backup"), "r1", "rank", "backup needs rank"),
    ("duplicate-rank", set_data("r3", "rank", 1), "r3", "rank", "already used by r2"),
    ("backup-without-rank", set_data("r2", "rank", 0), "r2", "rank", "backup needs rank"),
    ("primary-with-rank", set_data("r1", "rank", 2), "r1", "rank", "primary has rank 0"),
    ("customer-asn-zero", set_data("r1", "asn", 0), "r1", "asn", "customer ASN"),
    ("customer-asn-as-trans", set_data("r1", "asn", 23456), "r1", "asn", "not 23456"),
    ("customer-asn-equals-vgw", set_data("r1", "asn", 64512), "r1", "asn", "differ from the VGW"),
    ("inside-not-30", set_tunnel("r1", 0, "inside_cidr", "169.254.10.0/29"), "r1",
     "tunnels[0].inside_cidr", "must be a /30"),
    ("inside-not-link-local", set_tunnel("r1", 0, "inside_cidr", "10.9.9.0/30"), "r1",
     "tunnels[0].inside_cidr", "inside 169.254.0.0/16"),
    ("inside-reserved-low", set_tunnel("r2", 1, "inside_cidr", "169.254.3.0/30"), "r2",
     "tunnels[1].inside_cidr", "reserved by AWS"),
    ("inside-reserved-metadata", set_tunnel("r2", 0, "inside_cidr", "169.254.169.252/30"),
     "r2", "tunnels[0].inside_cidr", "reserved by AWS"),
    ("inside-host-bits", set_tunnel("r1", 0, "inside_cidr", "169.254.10.1/30"), "r1",
     "tunnels[0].inside_cidr", "not a network address"),
    ("inside-duplicate-on-vgw", set_tunnel("r2", 0, "inside_cidr", "169.254.10.0/30"), "r2",
     "tunnels[0].inside_cidr", "already used on VGW vgw-test by r1"),
    ("keepalive-over-third", set_data("r1", "bgp", {"holdtime": 30, "keepalive": 30}), "r1",
     "bgp.keepalive", "at most holdtime/3"),
    ("ike-weak-cipher", set_data("r1", "ipsec", {"ike": {"encryption": "3des"}}), "r1",
     "ipsec.ike.encryption", "AWS accepts"),
    ("esp-bad-hash", set_data("r1", "ipsec", {"esp": {"integrity": "md5"}}), "r1",
     "ipsec.esp.integrity", "AWS accepts"),
    ("ike-bad-dh", set_data("r1", "ipsec", {"ike": {"dh_group": 1}}), "r1",
     "ipsec.ike.dh_group", "AWS accepts"),
    ("ike-dh5-phase1", set_data("r1", "ipsec", {"ike": {"dh_group": 5}}), "r1", "ipsec.ike",
     "(phase 2) only"),
    ("ike-version", set_data("r1", "ipsec", {"ike_version": 3}), "r1", "ipsec.ike_version",
     "1 or 2"),
    ("ike-version-bool", set_data("r1", "ipsec", {"ike_version": True}), "r1",
     "ipsec.ike_version", "not true/false"),  # a Literal[1, 2] would take true for 1
    ("esp-dh-bool", set_data("r1", "ipsec", {"esp": {"dh_group": True}}), "r1",
     "ipsec.esp.dh_group", "not true/false"),
    ("dpd-timeout-short", set_data("r1", "ipsec", {"dpd": {"timeout": 20, "interval": 5}}),
     "r1", "ipsec.dpd.timeout", "at least 30"),
    ("mtu-too-big", set_data("r1", "tunnel_mtu", 1500), "r1", "tunnel_mtu", "less than or equal"),
    ("mss-over-mtu", set_data("r1", "mss_clamp", 1400), "r1", "mss_clamp", "tunnel_mtu - 40"),
    ("psk-plain-text", set_tunnel("r1", 0, "psk", "hunter2-plain"), "r1", "tunnels[0].psk",
     "plain-text keys are not accepted"),
    ("psk-two-sources", set_tunnel("r1", 1, "psk", {"env": "A", "file": "/x"}), "r1",
     "tunnels[1].psk", "exactly one of"),
    ("outside-not-ip", set_tunnel("r3", 0, "outside_address", "vpn.example"), "r3",
     "tunnels[0].outside_address", "IPv4"),
    ("wan-missing", lambda h: h["r3"]["data"].pop("wan"), "r3", "wan", "required"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutate", "host", "field", "words"),
    [pytest.param(*rule[1:], id=rule[0]) for rule in RULES],
)
def test_rule_rejects_bad_value_naming_host_and_field(
    tmp_path: Path, mutate: Callable[[Hosts], None], host: str, field: str, words: str
) -> None:
    problems = problems_for(tmp_path, mutate)
    matching = [p for p in problems if p.startswith(f"{host}: {field} = ") and words in p]
    assert matching, f"no problem for {host}/{field} mentioning {words!r} in {problems}"


def test_vgw_asn_out_of_range_is_refused(tmp_path: Path) -> None:
    groups = {"vpc-a": {"data": {"vpc": {"id": "vpc-a", "networks": ["10.0.0.0/24"],
                                         "vgw": {"id": "vgw-test", "asn": 65535}}}}}  # fmt: skip
    with pytest.raises(InventoryError) as info:
        load(write_inventory(tmp_path, base_hosts(), groups=groups))
    texts = [str(p) for p in info.value.problems]
    assert any(t.startswith("r1: vpc.vgw.asn = 65535") and "64512-65534" in t for t in texts)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    def several(hosts: Hosts) -> None:
        hosts["r1"]["data"]["asn"] = 0
        tun(hosts, "r2", 1)["inside_cidr"] = "169.254.169.252/30"
        hosts["r3"]["data"]["bgp"] = {"holdtime": 9, "keepalive": 5}

    problems = problems_for(tmp_path, several)
    hosts_named = {p.split(":")[0] for p in problems}
    assert hosts_named == {"r1", "r2", "r3"}


def test_valid_inventory_loads_every_host(tmp_path: Path) -> None:
    nr = load(write_inventory(tmp_path, base_hosts()))
    routers = {name: host.data["router"] for name, host in nr.inventory.hosts.items()}
    assert {n: (r.role, r.rank, r.prepend_count) for n, r in routers.items()} == {
        "r1": ("primary", 0, 0),
        "r2": ("backup", 1, 2),
        "r3": ("backup", 2, 4),
    }


def test_example_inventory_is_valid() -> None:
    from tasks.cli import DEFAULT_CONFIG

    nr = load(DEFAULT_CONFIG)
    assert sorted(nr.inventory.hosts) == ["router1", "router2"]


def set_syntax(syntax: str, then: Callable[[Hosts], None]) -> Callable[[Hosts], None]:
    def mutate(hosts: Hosts) -> None:
        for host in hosts.values():
            host["data"]["vyos_syntax"] = syntax
        then(hosts)

    return mutate


#: What VyOS refuses (../shared/vyos/BEHAVIOUR.md 1.4, ../shared/vyos-schema), per version.
VYOS_RULES = [
    ("gcm16-ike",
     set_syntax("1.4", set_data("r1", "ipsec", {"ike": {"encryption": "aes128gcm16"}})),
     "r1", "ipsec.ike.encryption", "aes128gcm128"),
    ("gcm16-esp-13",
     set_syntax("1.3", set_data("r1", "ipsec", {"esp": {"encryption": "aes256gcm16"}})),
     "r1", "ipsec.esp.encryption", "aes256gcm128"),
    ("dpd-hold-14", set_syntax("1.4", set_data("r1", "ipsec", {"dpd": {"action": "hold"}})),
     "r1", "ipsec.dpd.action", "'trap'"),
    ("dpd-interval-1", set_syntax("1.3", set_data("r2", "ipsec", {"dpd": {"interval": 1}})),
     "r2", "ipsec.dpd.interval", "2..86400"),
    ("dpd-timeout-big", set_syntax("1.4", set_data("r2", "ipsec", {"dpd": {"timeout": 86401}})),
     "r2", "ipsec.dpd.timeout", "2..86400"),
    ("holdtime-3-13", set_syntax("1.3", set_data("r1", "bgp", {"holdtime": 3, "keepalive": 1})),
     "r1", "bgp.holdtime", "0 or 4..65535"),
    ("prepends-over-24-13", set_syntax("1.3", set_data("r3", "rank", 13)),
     "r3", "bgp.prepend_per_rank", "at most 24"),
    ("interface-not-vti", set_syntax("1.4", set_tunnel("r1", 1, "interface", "tun1")),
     "r1", "tunnels[1].interface", "vtiN"),
    ("mss-under-536", set_syntax("1.4", set_data("r1", "mss_clamp", 500)), "r1", "mss_clamp",
     "536..65535"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutate", "host", "field", "words"),
    [pytest.param(*rule[1:], id=rule[0]) for rule in VYOS_RULES],
)
def test_vyos_rule_rejects_what_the_version_refuses(
    tmp_path: Path, mutate: Callable[[Hosts], None], host: str, field: str, words: str
) -> None:
    hosts = base_hosts("vyos")
    mutate(hosts)
    with pytest.raises(InventoryError) as info:
        load(write_inventory(tmp_path, hosts))
    problems = [str(p) for p in info.value.problems]
    matching = [p for p in problems if p.startswith(f"{host}: {field} = ") and words in p]
    assert matching, f"no problem for {host}/{field} mentioning {words!r} in {problems}"


@pytest.mark.parametrize(
    ("syntax", "data"),
    [("1.3", {"ipsec": {"dpd": {"action": "hold"}}}),
     ("1.4", {"bgp": {"holdtime": 3, "keepalive": 1}}),
     ("1.4", {"bgp": {"prepend_per_rank": 10}})],
)  # fmt: skip
def test_vyos_rules_are_per_version(tmp_path: Path, syntax: str, data: dict[str, Any]) -> None:
    """What only the other version refuses loads: 1.3 has 'hold', 1.4 takes holdtime 3."""
    hosts = base_hosts("vyos")
    for host in hosts.values():
        host["data"].update(vyos_syntax=syntax, **data)
    hosts["r3"]["data"]["rank"] = 3  # 3 x 10 = 30 prepends: over 1.3's 24, fine on 1.4
    assert load(write_inventory(tmp_path, hosts)).inventory.hosts


def test_frr_keeps_strongswan_names(tmp_path: Path) -> None:
    """aes128gcm16 is strongSwan's name: the FRR platform still takes it."""
    hosts = base_hosts("frr")
    hosts["r1"]["data"]["ipsec"] = {"ike": {"encryption": "aes128gcm16"}}
    assert load(write_inventory(tmp_path, hosts)).inventory.hosts["r1"]
