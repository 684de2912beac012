"""The project's VyOS driver (netmiko's ``vyos`` device type underneath) against the lab
router's login shell on a real pty, behind an sshd stand-in on 127.0.0.1.

The same deploy the scripted-device tests run, but every byte goes through the shell process
a lab router's sshd would start (raw pty, state store, commit backend, timer process): the
rendered candidate of each syntax is committed with commit-confirm, confirmed and saved, and
a new login finds it active and saved. The backend is the fake of :mod:`vyos_fakes`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from inventory_factory import PSK_ENV, base_hosts, write_inventory
from nornir.core.inventory import Host
from pty_shell import run_command
from ssh_pty_bridge import PASSWORD, USER, PtyBridge
from vyos_fakes import calls

from tasks.drivers import driver_for
from tasks.inventory import load
from tasks.lab.vyos.store import Store
from tasks.lab.vyos.timer import is_timer
from tasks.render import render_router

FAST = {"conn_timeout": 5, "auth_timeout": 5, "banner_timeout": 5, "fast_cli": True,
        "global_delay_factor": 0.1, "ssh_strict": False, "system_host_keys": False}  # fmt: skip


def host_for(directory: Path, port: int, syntax: str, monkeypatch: pytest.MonkeyPatch) -> Host:
    for var in PSK_ENV.values():
        monkeypatch.setenv(var, f"Psk-{var}-on-the-shell")
    hosts: dict[str, Any] = base_hosts("vyos")
    r1 = hosts["r1"]
    r1.update({"hostname": "127.0.0.1", "port": port, "username": USER, "password": PASSWORD})
    r1["data"]["vyos_syntax"] = syntax
    r1["connection_options"] = {"netmiko": {"extras": FAST}}
    inventory = write_inventory(directory, hosts, defaults={"data": {}})
    return load(inventory).inventory.hosts["r1"]


@pytest.mark.parametrize("syntax", ["1.3", "1.4"])
def test_deploy_confirm_and_save_through_the_shell(
    syntax: str, state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with PtyBridge(syntax, state, "--host-name", "r1") as bridge:
        host = host_for(tmp_path, bridge.port, syntax, monkeypatch)
        candidate = render_router(host.data["router"], reveal_secrets=True)
        sets = [x for x in candidate["config.set"].splitlines() if x.startswith("set ")]
        driver = driver_for(host)
        driver.open()
        try:
            driver.apply(candidate, confirm_timeout=120)
            pending = Store(state).pending()
            assert pending is not None and is_timer(pending.pid, state), "commit-confirm armed"
            driver.confirm()
        finally:
            driver.close()
    store = Store(state)
    assert store.pending() is None, "confirm stopped the timer"
    _rc, shown = run_command(syntax, state, "show configuration commands")
    bgp = next(x for x in sets if x.startswith("set protocols bgp"))
    assert bgp in shown.splitlines() and store.read_saved() == store.read_active()
    applied = calls(state.parent / "calls.jsonl", "backend")
    assert len(applied) == 1 and applied[0]["version"] == syntax
