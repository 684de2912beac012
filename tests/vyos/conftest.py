"""Fixtures of the VyOS personality's tests (tests/vyos sits on the import path, for its
helpers: pty_shell, ssh_pty_bridge, vyos_fakes, translate_facts)."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tasks.lab.vyos.store import Store
from tasks.lab.vyos.timer import is_timer


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Path]:
    """A router's state directory; a timer a test left armed is stopped, by its PID."""
    path = tmp_path / "r1"
    yield path
    pending = Store(path).pending()
    if pending is not None and is_timer(pending.pid, path):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pending.pid, signal.SIGTERM)
