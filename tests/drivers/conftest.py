"""Fixtures for driver tests: a SCRIPTED VyOS device (a paramiko server, not a real router)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
# inventory_factory lives one level up; make it importable when tests/drivers runs alone.
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from scripted_vyos import Script, ScriptedVyos  # noqa: E402

from tasks.drivers.base import LocalChangeLock  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "scripted_device: runs against a scripted SSH server, not a real router"
    )


@pytest.fixture(autouse=True)
def private_change_locks(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The VyOS driver's change locks in a directory of this test's own.

    The scripted routers are named r1 and r2, like the lab's: in the machine-wide
    ``/run/lock/vpc-ha`` their locks would collide with a lab run or another checkout's test
    run on this machine (a LockedError that fails the test, or blocks the other run).
    """
    monkeypatch.setattr(LocalChangeLock, "DIRECTORY", tmp_path_factory.mktemp("locks"))


@pytest.fixture
def scripted_vyos() -> Iterator[Callable[..., ScriptedVyos]]:
    """Factory: ``scripted_vyos(**Script fields)`` starts a scripted device; stopped after."""
    started: list[ScriptedVyos] = []

    def start(**script: Any) -> ScriptedVyos:
        server = ScriptedVyos(Script(**script)).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
