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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "scripted_device: runs against a scripted SSH server, not a real router"
    )


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
