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


CASES = [
    # (id, mutation, host, field, words in the rule)
    ("typo-tunnels", data("r2", tunnel_mut=[]), "r2", "tunnel_mut", "'tunnels'?"),
    ("typo-bgp", data("r1", bgb={"holdtime": 9}), "r1", "bgb", "did you mean 'bgp'"),
    ("asn-true", data("r1", asn=True), "r1", "asn", "not true/false"),
    ("rank-true", data("r2", rank=True), "r2", "rank", "not true/false"),
    ("holdtime-zero", data("r1", bgp={"holdtime": 0, "keepalive": 10}), "r1", "bgp.holdtime",
     "3..65535"),
    ("same-outside-both-tunnels", tunnel("r1", 1, outside_address="203.0.113.10"), "r1",
     "tunnels[1].outside_address", "already the outside address of r1 tunnels[0]"),
    ("same-outside-two-routers", tunnel("r2", 0, outside_address="203.0.113.10"), "r2",
     "tunnels[0].outside_address", "already the outside address of r1"),
    ("same-wan-two-routers", data("r3", wan={"interface": "eth0", "address": "198.51.100.10"}),
     "r3", "wan.address", "already the WAN address of r1"),
    ("same-hostname", entry("r2", hostname="127.0.0.11"), "r2", "hostname",
     "already the management address of r1"),
    ("missing-hostname", entry("r3", hostname=None), "r3", "hostname",
     "would be looked up in DNS"),
    ("documentation-hostname", entry("r2", hostname="192.0.2.50"), "r2", "hostname",
     "documentation address"),
    ("unresolvable-hostname", entry("r3", hostname="r3.mgmt.example-unresolvable"), "r3",
     "hostname", "does not resolve"),
    ("key-env-unset", unset_env("VPC_HA_TEST_UNSET_KEY"), "r1", "tunnels[0].psk",
     "VPC_HA_TEST_UNSET_KEY is not set"),
    ("key-file-missing", tunnel("r3", 1, psk={"file": "keys/r3-tun2.psk"}), "r3",
     "tunnels[1].psk", "cannot read secret file"),
    ("unknown-group", entry("r2", groups=["vpc-a", "vpc-typo"]), "r2", "groups",
     "'vpc-typo' is not defined"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutate", "host", "field", "words"), [pytest.param(*c[1:], id=c[0]) for c in CASES]
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
    monkeypatch.delenv("VPC_HA_TEST_UNSET_KEY", raising=False)

    def no_dns(name: str, *args: Any, **kwargs: Any) -> Any:  # never query a resolver here
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr("tasks.inputs.socket.getaddrinfo", no_dns)
    mutate(loopback_hosts)
    config = write_inventory(tmp_path, loopback_hosts)
    with pytest.raises(SystemExit) as code:
        load_runbook("deploy").main(["-c", str(config), "--dry-run"])
    err = capsys.readouterr().err
    assert code.value.code == 2, err
    assert connects == []
    lines = [line.strip().removeprefix("- ") for line in err.splitlines()]
    assert any(line.startswith(f"{host}: {field} = ") and words in line for line in lines), err
    assert "Nothing was touched" in err


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
