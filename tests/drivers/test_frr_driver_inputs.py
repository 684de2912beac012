"""The frr driver never reads "could not ask charon" as "nothing loaded", and nothing from the
inventory reaches its root shell unquoted (issue 17, item 9).

No router: the driver's shell is replaced by a recorder that answers as swanctl does when
charon's socket is gone (``connecting to '...' failed: No such file or directory``, exit 1).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from inventory_factory import base_hosts, write_inventory

from tasks.errors import DriverError, InventoryError
from tasks.inventory import load, router_of
from tasks.model import Router
from tasks.platforms.frr.apply import apply_commands
from tasks.platforms.frr.driver import FrrDriver


def a_router(tmp_path: Path, **tunnel_changes: object) -> tuple[object, Router]:
    hosts = base_hosts()
    hosts["r1"]["data"]["tunnels"][0].update(tunnel_changes)
    host = load(write_inventory(tmp_path, hosts)).inventory.hosts["r1"]
    return host, router_of(host)


def test_a_charon_that_does_not_answer_stops_the_diff(tmp_path: Path) -> None:
    host, router = a_router(tmp_path)
    driver = FrrDriver(host, router)  # type: ignore[arg-type]
    sent: list[str] = []

    def sh(command: str, check: bool = True, timeout: float = 60.0) -> tuple[int, str]:
        sent.append(command)
        if command.startswith("swanctl --list-conns"):
            return (
                1,
                "connecting to 'unix:///var/run/charon.vici' failed: No such file or directory",
            )
        return 0, ""

    driver.sh = sh  # type: ignore[method-assign]
    with pytest.raises(DriverError, match="cannot read the loaded IPsec connections"):
        driver.live_files()
    assert all(c.startswith("swanctl --list-conns") for c in sent)


@pytest.mark.parametrize(
    "uri",
    ["unix:///run/charon.vici; touch /tmp/pwned", "unix:///run/$(id).vici", "file:///etc/passwd",
     "unix:///run/a b.vici"],
)  # fmt: skip
def test_a_vici_uri_that_could_reach_the_shell_is_refused(tmp_path: Path, uri: str) -> None:
    with pytest.raises(InventoryError) as info:
        a_router(tmp_path, vici_uri=uri)
    assert any(p.host == "r1" and p.field == "tunnels[0].vici_uri" for p in info.value.problems)


def test_vici_uris_are_quoted_in_apply_commands(tmp_path: Path) -> None:
    _host, router = a_router(tmp_path, vici_uri="unix:///run/strongswan/tun1/charon.vici")
    odd = router.model_copy(
        update={"tunnels": [router.tunnels[0].model_copy(update={"vici_uri": "unix:///a b"}),
                            router.tunnels[1]]}
    )  # fmt: skip
    files = {"swanctl/tun1.conf": "connections {}\n"}
    commands = apply_commands(odd, files)
    assert any("--uri 'unix:///a b'" in c for c in commands), commands


def test_host_keys_are_checked_unless_the_inventory_says_otherwise(tmp_path: Path) -> None:
    """Strict by default (the user's known_hosts); an inventory's extras still decide."""
    from tasks.drivers.ssh import netmiko_params

    host, _router = a_router(tmp_path)
    params = netmiko_params(host, "linux")  # type: ignore[arg-type]
    assert params["ssh_strict"] is True and params["system_host_keys"] is True
    hosts = base_hosts()
    hosts["r1"]["connection_options"] = {"netmiko": {"extras": {"ssh_strict": False}}}
    relaxed = load(write_inventory(tmp_path / "relaxed", hosts)).inventory.hosts["r1"]
    assert netmiko_params(relaxed, "linux")["ssh_strict"] is False
