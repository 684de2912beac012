"""Session-wide fixtures: the network-namespace lab, brought up once and down at the end.

Tests marked ``@pytest.mark.lab`` are skipped, with the reason, when the lab cannot run here
(not root, or a package missing; the reason names the fix).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from functools import cache

import pytest

# Shared test helpers (inventory_factory, lab_variants) live in tests/, which pyproject.toml's
# pytest `pythonpath` puts on the import path for every subfolder.
from tasks.drivers import driver_for
from tasks.inventory import load
from tasks.lab import Lab, LabError, control, preflight
from tasks.lab.topology import load_topology


def pytest_configure(config: pytest.Config) -> None:
    # Tests that press Ctrl-C (SIGINT to this process, or to a runbook it starts) need
    # KeyboardInterrupt even when pytest runs as a background job of a non-interactive shell,
    # which starts with SIGINT ignored (and passes that on to the runbooks).
    signal.signal(signal.SIGINT, signal.default_int_handler)


@cache
def lab_skip_reason() -> str | None:
    """Why lab tests cannot run on this machine, or None when they can."""
    try:
        preflight.check()
    except LabError as exc:
        return f"lab unavailable: {exc}".replace("\n", " ")
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = lab_skip_reason()
    if reason is None:
        return
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if "lab" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """The default 2-router lab, configured (every session Established), for the session.

    Holds the lab's session lock (another pytest session on this machine waits), brings the
    lab up once and down at the end, unless it was already up before (then it is left up).
    Tests that change its state put it back (restore_underlay, configure, up again).
    """
    reason = lab_skip_reason()
    if reason:
        pytest.skip(reason)
    with control.session_lock():
        handle = Lab(load_topology())
        result = control.up(handle.topology, configured=True)
        try:
            yield handle
        finally:
            if result["action"] == "built":
                handle.down()


@pytest.fixture
def configured_lab(lab: Lab) -> Iterator[Lab]:
    """The session lab, put back to its configured, healthy state after the test."""
    yield lab
    for router in lab.routers:
        host = load(lab.config_file).inventory.hosts[router]
        driver = driver_for(host)
        try:
            driver.open()
            if driver.pending():  # type: ignore[attr-defined]
                driver.rollback()
        except Exception:  # the router may be the one a test made unreachable
            pass
        finally:
            driver.close()
        lab.configure(router)
    lab.wait_ready(configured=True, timeout=60)


@pytest.fixture(autouse=True)
def _private_router_locks(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Non-lab tests take routers' change locks in a folder of their own.

    The scripted routers are called r1, r2 ... like the lab's and every other test session's:
    with the machine-wide ``/run/lock/vpc-ha`` another session's deploy of its r1 made this
    session's deploy of a scripted r1 fail with "another run ... is changing this router".
    """
    if "lab" not in request.keywords:
        from tasks.drivers.base import LocalChangeLock

        monkeypatch.setattr(LocalChangeLock, "DIRECTORY", tmp_path_factory.mktemp("locks"))


@pytest.fixture(autouse=True)
def _sessions_end_with_the_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """A lab test's router sessions end with it, as a runbook's end with the run
    (``run_main``): in-process runs of deploy, verify or failover keep one session per host,
    and paramiko's transport thread would keep it logged in for the rest of the session.
    (Driver tests share a module-wide session to a scripted device on purpose.)"""
    yield
    if "lab" in request.keywords:
        from tasks.platforms.connection import close_all

        close_all()
