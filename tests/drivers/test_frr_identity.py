"""The frr driver checks that the router that answered is the one the inventory names (issue 17,
item 10), before it reads or changes anything.

No router: the SSH session is replaced by a real local shell (``bash -c``), and the identity
file lives in a temporary folder instead of ``/etc/vpc-ha``; the commands the driver sends to
read it are the ones it sends a router. The lab test
``tests/deploy/test_deploy_identity_lab.py`` proves it on real lab routers.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from inventory_factory import base_hosts, write_inventory

import tasks.platforms.frr.driver as frr
from tasks.drivers.base import IdentityError
from tasks.inventory import load, router_of
from tasks.platforms.frr.driver import FrrDriver


@pytest.fixture
def driver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FrrDriver:
    hosts = base_hosts()
    hosts["r1"]["hostname"] = "127.0.0.11"
    host = load(write_inventory(tmp_path / "inv", hosts)).inventory.hosts["r1"]
    monkeypatch.setattr(frr, "IDENTITY_FILE", str(tmp_path / "identity"))
    monkeypatch.setattr(frr, "session", lambda host, device_type: object())
    drv = FrrDriver(host, router_of(host))

    def sh(command: str, check: bool = True, timeout: float = 60.0) -> tuple[int, str]:
        proc = subprocess.run(["bash", "-c", command], capture_output=True, text=True,
                              timeout=timeout, check=False)  # fmt: skip
        return proc.returncode, proc.stdout

    drv.sh = sh  # type: ignore[method-assign]
    return drv


def record(driver: Any, name: str) -> None:
    Path(frr.IDENTITY_FILE).write_text(f"{name}\n")


def test_a_router_with_no_identity_yet_is_accepted(driver: FrrDriver) -> None:
    driver.open()
    assert driver.identity() is None


def test_the_router_it_was_deployed_as_is_accepted(driver: FrrDriver) -> None:
    record(driver, "r1")
    driver.open()
    assert driver.identity() == "r1"


def test_another_routers_device_is_refused_naming_both_and_the_fix(driver: FrrDriver) -> None:
    record(driver, "r2")
    with pytest.raises(IdentityError) as info:
        driver.open()
    text = str(info.value)
    assert text.startswith("r1: the device at 127.0.0.11:22 says it is 'r2', not 'r1'")
    assert "hostname/port" in text and "deploy.py --hosts r1 --adopt" in text
    assert driver._conn is None, "the session is closed: nothing else is sent"


def test_adopt_accepts_a_repurposed_device(driver: FrrDriver) -> None:
    record(driver, "r2")
    driver.adopt = True
    driver.open()
    assert driver.identity() == "r2"


def test_confirming_a_change_records_the_identity_and_a_rollback_does_not(
    driver: FrrDriver,
) -> None:
    driver.open()
    written: dict[str, str] = {}
    driver._disarm = lambda: True  # type: ignore[method-assign]
    driver.write = lambda path, text, mode=0o600: written.update({path: text})  # type: ignore[method-assign]
    driver.sh = lambda command, check=True, timeout=60.0: (0, "")  # type: ignore[method-assign]
    driver.rollback()
    assert frr.IDENTITY_FILE not in written
    driver.confirm()
    assert written[frr.IDENTITY_FILE] == "r1\n"
