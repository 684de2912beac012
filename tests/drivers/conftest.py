"""Fixtures for driver tests: a SCRIPTED VyOS device (a paramiko server, not a real router)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

# scripted_vyos sits beside this file (pytest puts a conftest's folder without __init__.py on
# the import path); inventory_factory in tests/ (pyproject.toml's pytest `pythonpath`).
from scripted_vyos import Script, ScriptedVyos

from tasks.drivers.base import LocalChangeLock


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
