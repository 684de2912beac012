"""Bad input found before any device: each case is refused with exit 2, naming host, field and
fix, and no runbook opens an SSH session (``tasks.drivers.ssh.open_session``, where every
session is opened, is replaced by a recorder).

These are the cases the inventory model let through (issue 17, item 13 and 10): YAML and
plugin errors, unknown groups, top-level typos, booleans for numbers, holdtime 0, shared
addresses, missing or documentation hostnames, key sources that do not resolve, relative key
paths, and an error on one router blaming another.
"""

from __future__ import annotations

import copy
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from inventory_factory import GROUPS, PSK_ENV, base_hosts, write_inventory
from script_loader import load_runbook

from tasks.errors import InventoryError, ToolkitError
from tasks.inventory import load

Hosts = dict[str, Any]


@pytest.fixture
def loopback_hosts(monkeypatch: pytest.MonkeyPatch) -> Hosts:
    """The factory's routers on loopback addresses (never contacted), with their keys set."""
    for var in PSK_ENV.values():
        monkeypatch.setenv(var, f"{var.lower()}-value-1234")
    hosts = base_hosts()
    for index, host in enumerate(hosts.values(), start=11):
        host["hostname"] = f"127.0.0.{index}"
    return hosts


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every SSH session a runbook tries to open (none is opened)."""
    tried: list[str] = []

    def refuse(params: dict[str, Any], session_class: object = None) -> None:
        tried.append(str(params.get("host")))
        raise OSError("test: no connection")

    monkeypatch.setattr("tasks.drivers.ssh.open_session", refuse)
    return tried


def data(host: str, **changes: Any) -> Callable[[Hosts], None]:
    def mutate(hosts: Hosts) -> None:
        hosts[host]["data"].update(changes)

    return mutate


def tunnel(host: str, index: int, **changes: Any) -> Callable[[Hosts], None]:
    def mutate(hosts: Hosts) -> None:
        hosts[host]["data"]["tunnels"][index].update(changes)

    return mutate


def entry(host: str, **changes: Any) -> Callable[[Hosts], None]:
    def mutate(hosts: Hosts) -> None:
        hosts[host].update(changes)
        for key in [k for k, v in changes.items() if v is None]:
            hosts[host].pop(key)

    return mutate


def unset_env(var: str) -> Callable[[Hosts], None]:
    def mutate(hosts: Hosts) -> None:
        hosts["r1"]["data"]["tunnels"][0]["psk"] = {"env": var}

    return mutate


def sub(host: str, key: str, **changes: Any) -> Callable[[Hosts], None]:
    """Change keys inside the mapping ``data[key]`` (bgp, ipsec, wan ...) of ``host``."""

    def mutate(hosts: Hosts) -> None:
        hosts[host]["data"].setdefault(key, {}).update(changes)

    return mutate


def ipsec(host: str, part: str, **changes: Any) -> Callable[[Hosts], None]:
    """Change ``data.ipsec.<part>`` (ike, esp, dpd) of ``host``."""

    def mutate(hosts: Hosts) -> None:
        hosts[host]["data"].setdefault("ipsec", {}).setdefault(part, {}).update(changes)

    return mutate


def drop(host: str, *path: str | int) -> Callable[[Hosts], None]:
    """Remove the key at ``path`` under ``data`` of ``host``."""

    def mutate(hosts: Hosts) -> None:
        node: Any = hosts[host]["data"]
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return mutate


def both(*mutations: Callable[[Hosts], None]) -> Callable[[Hosts], None]:
    def mutate(hosts: Hosts) -> None:
        for one in mutations:
            one(hosts)

    return mutate


def platform(host: str, value: Any, syntax: Any = None) -> Callable[[Hosts], None]:
    """A VyOS host (vti interfaces), optionally with ``vyos_syntax``."""

    def mutate(hosts: Hosts) -> None:
        hosts[host]["platform"] = value
        for index, t in enumerate(hosts[host]["data"]["tunnels"]):
            t["interface"] = f"vti{index}"
        if syntax is not None:
            hosts[host]["data"]["vyos_syntax"] = syntax

    return mutate


CASES = [
    # (id, mutation, host, field, words in the rule: the rule or the fix)
    # -- typos, at every level of a host's data
    ("typo-tunnels", data("r2", tunnel_mut=[]), "r2", "tunnel_mut", "'tunnels'?"),
    ("typo-bgp", data("r1", bgb={"holdtime": 9}), "r1", "bgb", "did you mean 'bgp'"),
    ("typo-in-bgp", sub("r1", "bgp", holdtim=30), "r1", "bgp.holdtim",
     "did you mean 'holdtime'"),
    ("typo-in-wan", sub("r2", "wan", adress="198.51.100.99"), "r2", "wan.adress",
     "did you mean 'address'"),
    ("typo-in-tunnel", tunnel("r1", 1, outside_adress="203.0.113.99"), "r1",
     "tunnels[1].outside_adress", "did you mean 'outside_address'"),
    ("typo-in-dpd", ipsec("r3", "dpd", timout=60), "r3", "ipsec.dpd.timout",
     "did you mean 'timeout'"),
    ("typo-in-ike", ipsec("r1", "ike", encrytion="aes256"), "r1", "ipsec.ike.encrytion",
     "did you mean 'encryption'"),
    ("typo-in-psk", tunnel("r2", 0, psk={"evn": "TEST_PSK_TUN1"}), "r2", "tunnels[0].psk.evn",
     "did you mean 'env'"),
    ("typo-in-host-entry", entry("r2", hostnme="127.0.0.12"), "r2", "hostnme",
     "did you mean 'hostname'"),
    ("typo-role-value", data("r2", role="backpu"), "r2", "role", "'primary' or 'backup'"),
    # -- wrong types
    ("asn-text", data("r1", asn="65010x"), "r1", "asn", "valid integer"),
    ("rank-text", data("r2", rank="one"), "r2", "rank", "valid integer"),
    ("tunnels-mapping", data("r3", tunnels={"tun1": {}}), "r3", "tunnels", "valid list"),
    ("tunnels-empty", data("r3", tunnels=[]), "r3", "tunnels", "at least 1 item"),
    ("wan-text", data("r1", wan="eth0"), "r1", "wan", "mapping of interface and address"),
    ("bgp-number", data("r2", bgp=30), "r2", "bgp", "mapping"),
    ("ipsec-list", data("r2", ipsec=["aes256"]), "r2", "ipsec", "mapping"),
    ("mtu-text", data("r1", tunnel_mtu="big"), "r1", "tunnel_mtu", "valid integer"),
    ("port-text", entry("r2", port="ssh"), "r2", "port", "1..65535"),
    ("groups-text", entry("r3", groups="vpc-a"), "r3", "groups", "a list of group names"),
    # -- out of range
    ("asn-too-big", data("r1", asn=4294967295), "r1", "asn", "1-4294967294"),
    ("rank-too-big", data("r3", rank=17), "r3", "rank", "less than or equal to 16"),
    ("rank-negative", data("r2", rank=-1), "r2", "rank", "greater than or equal to 0"),
    ("mtu-too-small", data("r1", tunnel_mtu=1100), "r1", "tunnel_mtu", "greater than or equal"),
    ("ike-lifetime-short", sub("r1", "ipsec", ike_lifetime=100), "r1", "ipsec.ike_lifetime",
     "greater than or equal to 900"),
    ("esp-lifetime-long", sub("r1", "ipsec", esp_lifetime=99999), "r1", "ipsec.esp_lifetime",
     "less than or equal to 3600"),
    ("holdtime-zero", data("r1", bgp={"holdtime": 0, "keepalive": 10}), "r1", "bgp.holdtime",
     "3..65535"),
    ("holdtime-too-big", sub("r1", "bgp", holdtime=70000, keepalive=10), "r1", "bgp.holdtime",
     "3..65535"),
    ("keepalive-zero", sub("r2", "bgp", keepalive=0), "r2", "bgp.keepalive", "at least 1"),
    ("prepend-too-many", sub("r3", "bgp", prepend_per_rank=11), "r3", "bgp.prepend_per_rank",
     "less than or equal to 10"),
    ("med-negative", sub("r3", "bgp", med_per_rank=-1), "r3", "bgp.med_per_rank",
     "greater than or equal to 0"),
    ("ike-port-too-big", tunnel("r1", 0, ike_local_port=70000), "r1",
     "tunnels[0].ike_local_port", "less than or equal to 65535"),
    ("ssh-port-too-big", entry("r1", port=70000), "r1", "port", "1..65535"),
    ("dpd-interval-over-timeout", ipsec("r2", "dpd", interval=50, timeout=40), "r2",
     "ipsec.dpd.interval", "shorter than the DPD timeout"),
    ("dpd-timeout-short", ipsec("r2", "dpd", timeout=20, interval=5), "r2",
     "ipsec.dpd.timeout", "at least 30"),
    # -- booleans where numbers belong
    ("asn-true", data("r1", asn=True), "r1", "asn", "not true/false"),
    ("rank-true", data("r2", rank=True), "r2", "rank", "not true/false"),
    ("holdtime-true", sub("r1", "bgp", holdtime=True), "r1", "bgp.holdtime", "not true/false"),
    ("mtu-false", data("r3", tunnel_mtu=False), "r3", "tunnel_mtu", "not true/false"),
    ("mss-true", data("r3", mss_clamp=True), "r3", "mss_clamp", "not true/false"),
    ("ike-version-true", sub("r2", "ipsec", ike_version=True), "r2", "ipsec.ike_version",
     "not true/false"),
    ("dpd-timeout-true", ipsec("r1", "dpd", timeout=True), "r1", "ipsec.dpd.timeout",
     "not true/false"),
    ("port-true", entry("r3", port=True), "r3", "port", "not true/false"),
    # -- duplicates
    ("same-outside-both-tunnels", tunnel("r1", 1, outside_address="203.0.113.10"), "r1",
     "tunnels[1].outside_address", "already the outside address of r1 tunnels[0]"),
    ("same-outside-two-routers", tunnel("r2", 0, outside_address="203.0.113.10"), "r2",
     "tunnels[0].outside_address", "already the outside address of r1"),
    ("same-wan-two-routers", data("r3", wan={"interface": "eth0", "address": "198.51.100.10"}),
     "r3", "wan.address", "already the WAN address of r1"),
    ("same-hostname", entry("r2", hostname="127.0.0.11"), "r2", "hostname",
     "already the management address of r1"),
    ("same-inside-both-tunnels", tunnel("r1", 1, inside_cidr="169.254.10.0/30"), "r1",
     "tunnels[1].inside_cidr", "already used on VGW vgw-test by r1 tunnels[0]"),
    ("same-tunnel-name", tunnel("r2", 1, name="tun1"), "r2", "tunnels", "names must be unique"),
    ("same-tunnel-interface", tunnel("r3", 1, interface="ipsec0"), "r3",
     "tunnels[1].interface", "already the interface of tunnels[0]"),
    ("two-primaries", data("r2", role="primary", rank=0), "r2", "role", "exactly one primary"),
    ("same-rank", data("r3", rank=1), "r3", "rank", "already used by r2"),
    # -- bad CIDRs and addresses
    ("inside-not-cidr", tunnel("r1", 0, inside_cidr="169.254.10.x/30"), "r1",
     "tunnels[0].inside_cidr", "not a network address"),
    ("inside-ipv6", tunnel("r1", 0, inside_cidr="fe80::/126"), "r1", "tunnels[0].inside_cidr",
     "IPv4"),
    ("inside-not-30", tunnel("r2", 1, inside_cidr="169.254.11.0/29"), "r2",
     "tunnels[1].inside_cidr", "must be a /30"),
    ("inside-outside-link-local", tunnel("r2", 0, inside_cidr="10.9.9.0/30"), "r2",
     "tunnels[0].inside_cidr", "inside 169.254.0.0/16"),
    ("inside-aws-reserved", tunnel("r3", 0, inside_cidr="169.254.2.0/30"), "r3",
     "tunnels[0].inside_cidr", "reserved by AWS"),
    ("inside-metadata-reserved", tunnel("r3", 1, inside_cidr="169.254.169.252/30"), "r3",
     "tunnels[1].inside_cidr", "reserved by AWS"),
    ("inside-host-bits", tunnel("r1", 1, inside_cidr="169.254.10.5/30"), "r1",
     "tunnels[1].inside_cidr", "not a network address"),
    ("outside-not-ip", tunnel("r3", 0, outside_address="vpn.example"), "r3",
     "tunnels[0].outside_address", "IPv4"),
    ("wan-not-ip", sub("r2", "wan", address="198.51.100.300"), "r2", "wan.address", "IPv4"),
    ("router-id-not-ip", data("r1", router_id="r1"), "r1", "router_id", "IPv4"),
    ("interface-with-space", tunnel("r1", 0, interface="ipsec 0"), "r1",
     "tunnels[0].interface", "should match pattern"),
    # -- platforms and VyOS syntax
    ("platform-unknown", entry("r2", platform="ios"), "r2", "platform", "'vyos' or 'frr'"),
    ("platform-missing", entry("r3", platform=None), "r3", "platform", "'vyos' or 'frr'"),
    ("vyos-syntax-unknown", platform("r1", "vyos", "1.5"), "r1", "vyos_syntax",
     "'1.3' or '1.4'"),
    ("vyos-syntax-unquoted", platform("r2", "vyos", 1.4), "r2", "vyos_syntax",
     'quote it: vyos_syntax: "1.4"'),
    ("vyos-interface-not-vti", both(platform("r3", "vyos", "1.4"),
                                    tunnel("r3", 0, interface="tun0")), "r3",
     "tunnels[0].interface", "vtiN"),
    # -- pre-shared key sources
    ("psk-plain-text", tunnel("r1", 0, psk="hunter2-plain"), "r1", "tunnels[0].psk",
     "a reference"),
    ("psk-two-sources", tunnel("r1", 1, psk={"env": "A", "file": "/x"}), "r1",
     "tunnels[1].psk", "exactly one of"),
    ("psk-no-source", tunnel("r2", 1, psk={}), "r2", "tunnels[1].psk", "exactly one of"),
    ("psk-unknown-source", tunnel("r2", 0, psk={"vault": "kv/r2"}), "r2",
     "tunnels[0].psk.vault", "env, file, ssm, secretsmanager"),
    ("psk-key-without-secretsmanager", tunnel("r3", 0, psk={"env": "TEST_PSK_TUN1", "key": "k"}),
     "r3", "tunnels[0].psk", "only meaningful with 'secretsmanager'"),
    ("key-env-unset", unset_env("VPC_HA_TEST_UNSET_KEY"), "r1", "tunnels[0].psk",
     "VPC_HA_TEST_UNSET_KEY is not set"),
    ("key-file-missing", tunnel("r3", 1, psk={"file": "keys/r3-tun2.psk"}), "r3",
     "tunnels[1].psk", "cannot read secret file"),
    # -- vici_uri (reaches a root shell on the router)
    ("vici-shell", tunnel("r1", 0, vici_uri="unix:///run/charon.vici; reboot"), "r1",
     "tunnels[0].vici_uri", "should match pattern"),
    ("vici-no-port", tunnel("r1", 1, vici_uri="tcp://127.0.0.1"), "r1", "tunnels[1].vici_uri",
     "should match pattern"),
    ("vici-scheme", tunnel("r2", 0, vici_uri="http://127.0.0.1:4502"), "r2",
     "tunnels[0].vici_uri", "should match pattern"),
    # -- missing required fields
    ("role-missing", drop("r2", "role"), "r2", "role", "required"),
    ("asn-missing", drop("r1", "asn"), "r1", "asn", "required"),
    ("tunnels-missing", drop("r3", "tunnels"), "r3", "tunnels", "required"),
    ("wan-missing", drop("r3", "wan"), "r3", "wan", "required"),
    ("outside-missing", drop("r1", "tunnels", 0, "outside_address"), "r1",
     "tunnels[0].outside_address", "required"),
    ("inside-missing", drop("r2", "tunnels", 1, "inside_cidr"), "r2", "tunnels[1].inside_cidr",
     "required"),
    ("psk-missing", drop("r2", "tunnels", 0, "psk"), "r2", "tunnels[0].psk", "required"),
    ("tunnel-name-missing", drop("r3", "tunnels", 1, "name"), "r3", "tunnels[1].name",
     "required"),
    ("vpc-missing", entry("r3", groups=[]), "r3", "vpc", "required"),
    # -- management addresses
    ("missing-hostname", entry("r3", hostname=None), "r3", "hostname",
     "would be looked up in DNS"),
    ("documentation-hostname", entry("r2", hostname="192.0.2.50"), "r2", "hostname",
     "documentation address"),
    ("unresolvable-hostname", entry("r3", hostname="r3.mgmt.example-unresolvable"), "r3",
     "hostname", "does not resolve"),
    ("unknown-group", entry("r2", groups=["vpc-a", "vpc-typo"]), "r2", "groups",
     "'vpc-typo' is not defined"),
]  # fmt: skip


def group(**changes: Any) -> Callable[[Hosts], None]:
    """Change the VPC group's ``vpc`` data (it reaches every host through its group)."""

    def mutate(hosts: Hosts) -> None:
        hosts["__groups__"]["vpc-a"]["data"]["vpc"].update(changes)

    return mutate


def vgw(**changes: Any) -> Callable[[Hosts], None]:
    def mutate(hosts: Hosts) -> None:
        hosts["__groups__"]["vpc-a"]["data"]["vpc"]["vgw"].update(changes)

    return mutate


#: Broken group data: every host of the group is named (the value reaches each of them).
GROUP_CASES = [
    ("typo-in-vpc", group(netwroks=["10.0.0.0/24"]), "r1", "vpc.netwroks",
     "did you mean 'networks'"),
    ("typo-in-vgw", vgw(asm=64512), "r2", "vpc.vgw.asm", "did you mean 'asn'"),
    ("vgw-asn-true", vgw(asn=True), "r1", "vpc.vgw.asn", "not true/false"),
    ("vgw-asn-out-of-range", vgw(asn=65535), "r3", "vpc.vgw.asn", "64512-65534"),
    ("vpc-network-host-bits", group(networks=["10.0.0.1/24"]), "r1", "vpc.networks",
     "host bits set; write 10.0.0.0/24"),
    ("vpc-networks-empty", group(networks=[]), "r2", "vpc.networks", "at least 1 item"),
    ("vpc-networks-text", group(networks="10.0.0.0/24"), "r3", "vpc.networks", "valid list"),
    ("vpc-id-shell", group(id="vpc-a; reboot"), "r1", "vpc.id", "should match pattern"),
    ("vgw-id-quote", vgw(id="vgw-'x"), "r2", "vpc.vgw.id", "should match pattern"),
]  # fmt: skip


def run_refused(
    runbook: str,
    argv: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    connects: list[str],
) -> str:
    """Run ``runbook``'s main; it must exit 2 before any connection. Returns its stderr."""
    monkeypatch.delenv("VPC_HA_TEST_UNSET_KEY", raising=False)

    def no_dns(name: str, *args: Any, **kwargs: Any) -> Any:  # never query a resolver here
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr("tasks.inputs.socket.getaddrinfo", no_dns)
    with pytest.raises(SystemExit) as code:
        load_runbook(runbook).main(argv)
    captured = capsys.readouterr()
    err = captured.err
    assert code.value.code == 2, err + captured.out
    assert connects == [], f"{runbook} connected to {connects}"
    assert "Traceback" not in err
    return err


def write_case(tmp_path: Path, hosts: Hosts, mutate: Callable[[Hosts], None]) -> Path:
    groups = copy.deepcopy(GROUPS)
    hosts["__groups__"] = groups
    mutate(hosts)
    hosts.pop("__groups__")
    return write_inventory(tmp_path, hosts, groups=groups)


def names(err: str, host: str, field: str, words: str) -> bool:
    lines = [line.strip().removeprefix("- ") for line in err.splitlines()]
    return any(line.startswith(f"{host}: {field} = ") and words in line for line in lines)


@pytest.mark.parametrize(
    ("mutate", "host", "field", "words"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES + GROUP_CASES],
)
def test_deploy_refuses_before_any_router(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    loopback_hosts: Hosts,
    connects: list[str],
    mutate: Callable[[Hosts], None],
    host: str,
    field: str,
    words: str,
) -> None:
    config = write_case(tmp_path, loopback_hosts, mutate)
    err = run_refused("deploy", ["-c", str(config), "--dry-run"], monkeypatch, capsys, connects)
    assert names(err, host, field, words), err
    assert "Nothing was touched" in err


#: A representative case of each kind, run through every runbook that connects.
EVERY_RUNBOOK = ["typo-in-bgp", "asn-true", "holdtime-zero", "same-hostname", "inside-ipv6",
                 "vyos-syntax-unquoted", "psk-plain-text", "vici-shell", "role-missing",
                 "documentation-hostname", "unknown-group", "typo-in-host-entry",
                 "typo-in-vpc"]  # fmt: skip
RUNBOOK_ARGS = {
    "verify": ["--no-aws", "--no-probe"],
    "failover": ["--no-aws"],
    "compliance": ["--no-history"],
}


@pytest.mark.parametrize("runbook", sorted(RUNBOOK_ARGS))
@pytest.mark.parametrize(
    ("mutate", "host", "field", "words"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES + GROUP_CASES if c[0] in EVERY_RUNBOOK],
)
def test_verify_failover_and_compliance_refuse_before_any_router(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    loopback_hosts: Hosts,
    connects: list[str],
    runbook: str,
    mutate: Callable[[Hosts], None],
    host: str,
    field: str,
    words: str,
) -> None:
    config = write_case(tmp_path, loopback_hosts, mutate)
    argv = ["-c", str(config), *RUNBOOK_ARGS[runbook]]
    if runbook == "compliance":
        argv += ["--lock-file", str(tmp_path / "compliance.lock")]
    err = run_refused(runbook, argv, monkeypatch, capsys, connects)
    assert names(err, host, field, words), err


def test_the_every_runbook_subset_is_what_it_says() -> None:
    ids = {c[0] for c in CASES + GROUP_CASES}
    assert set(EVERY_RUNBOOK) <= ids
    assert len(CASES) + len(GROUP_CASES) + len(FILE_CASES) >= 69


def config_yaml_broken(config: Path) -> None:
    config.write_text("inventory:\n  plugin: SimpleInventory\n  options: {host_file: [\n")


def plugin(name: str) -> Callable[[Path], None]:
    def breaks(config: Path) -> None:
        conf = yaml.safe_load(config.read_text())
        conf["inventory"]["plugin"] = name
        config.write_text(yaml.safe_dump(conf))

    return breaks


def option(key: str, value: str) -> Callable[[Path], None]:
    def breaks(config: Path) -> None:
        conf = yaml.safe_load(config.read_text())
        conf["inventory"]["options"][key] = value
        config.write_text(yaml.safe_dump(conf))

    return breaks


def file_text(name: str, text: str) -> Callable[[Path], None]:
    def breaks(config: Path) -> None:
        (config.parent / name).write_text(text)

    return breaks


def groups_of_group(config: Path) -> None:
    groups = yaml.safe_load((config.parent / "groups.yaml").read_text())
    groups["vpc-a"]["groups"] = ["vyos-typo"]
    (config.parent / "groups.yaml").write_text(yaml.safe_dump(groups))


#: Broken files and Nornir settings: no host to name, so the message names the file (or the
#: group) and what to fix.
FILE_CASES = [
    ("hosts-yaml-syntax", file_text("hosts.yaml", "r1: [unclosed\n"), "hosts.yaml",
     "not valid YAML"),
    ("groups-yaml-syntax", file_text("groups.yaml", "vpc-a: {data: [\n"), "groups.yaml",
     "not valid YAML"),
    ("defaults-yaml-syntax", file_text("defaults.yaml", "data: {bgp: [\n"), "defaults.yaml",
     "not valid YAML"),
    ("config-yaml-syntax", config_yaml_broken, "config.yaml", "cannot read Nornir config"),
    ("plugin-typo", plugin("SimpleInventry"), "SimpleInventry", "SimpleInventory (inventory)"),
    ("host-file-missing", option("host_file", "hosts-typo.yaml"), "hosts-typo.yaml",
     "not found"),
    ("hosts-a-list", file_text("hosts.yaml", "- r1\n- r2\n"), "hosts.yaml",
     "must each map names to entries"),
    ("host-entry-text", file_text("hosts.yaml", "r1: 127.0.0.11\n"), "r1: <entry> = ",
     "must be a mapping"),
    ("group-of-unknown-group", groups_of_group, "vpc-a: groups = 'vyos-typo'",
     "is not defined"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("breaks", "where", "words"), [pytest.param(*c[1:], id=c[0]) for c in FILE_CASES]
)
def test_broken_files_are_refused_naming_the_file_and_the_fix(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    loopback_hosts: Hosts,
    connects: list[str],
    breaks: Callable[[Path], None],
    where: str,
    words: str,
) -> None:
    config = write_inventory(tmp_path, loopback_hosts)
    breaks(config)
    for runbook in ("deploy", "verify"):
        argv = ["-c", str(config)] + (["--dry-run"] if runbook == "deploy" else ["--no-aws"])
        err = run_refused(runbook, argv, monkeypatch, capsys, connects)
        assert where in err and words in err, err


def test_a_missing_relative_key_file_is_named_by_its_path_beside_the_config(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    loopback_hosts: Hosts,
    connects: list[str],
) -> None:
    loopback_hosts["r2"]["data"]["tunnels"][0]["psk"] = {"file": "keys/r2-tun1.psk"}
    config = write_inventory(tmp_path, loopback_hosts)
    monkeypatch.chdir("/")
    err = run_refused("deploy", ["-c", str(config), "--dry-run"], monkeypatch, capsys, connects)
    assert names(err, "r2", "tunnels[0].psk", f"cannot read secret file {tmp_path}/keys/"), err


def test_an_error_on_the_primary_does_not_blame_the_backups(
    tmp_path: Path, loopback_hosts: Hosts
) -> None:
    loopback_hosts["r1"]["data"]["asn"] = 0
    with pytest.raises(InventoryError) as info:
        load(write_inventory(tmp_path, loopback_hosts))
    assert [p.host for p in info.value.problems] == ["r1"], info.value.problems


def test_relative_key_files_are_relative_to_the_config_not_the_working_directory(
    tmp_path: Path, loopback_hosts: Hosts, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "r1-tun1.psk").write_text("a-key-read-from-a-file-42\n")
    loopback_hosts["r1"]["data"]["tunnels"][0]["psk"] = {"file": "keys/r1-tun1.psk"}
    config = write_inventory(tmp_path, loopback_hosts)
    monkeypatch.chdir("/")
    router = load(config).inventory.hosts["r1"].data["router"]
    assert router.tunnels[0].psk.file == str(tmp_path / "keys" / "r1-tun1.psk")
    assert router.tunnels[0].psk.resolve() == "a-key-read-from-a-file-42"


@pytest.mark.parametrize(
    ("broken", "words"),
    [
        ("hosts.yaml", "not valid YAML"),
        ("groups.yaml", "not valid YAML"),
        ("plugin", "is not registered"),
    ],
)
def test_unreadable_files_and_plugins_are_errors_not_tracebacks(
    tmp_path: Path, loopback_hosts: Hosts, broken: str, words: str
) -> None:
    config = write_inventory(tmp_path, loopback_hosts, groups=copy.deepcopy(GROUPS))
    if broken == "plugin":
        conf = yaml.safe_load(config.read_text())
        conf["inventory"]["plugin"] = "SimpleInventry"
        config.write_text(yaml.safe_dump(conf))
    else:
        (tmp_path / broken).write_text("r1: [unclosed\n")
    with pytest.raises(ToolkitError, match=words):
        load(config)
