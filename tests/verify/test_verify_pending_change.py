"""verify and deploy's dry run say when a router holds a change an earlier run left unconfirmed
(issue 17, item 3: a killed deploy's router is half-applied until its timer fires; verify said
HEALTHY and the dry run said nothing). No router: the driver is replaced by one that reports a
pending change as the frr driver does; the lab proves the real one
(tests/deploy/test_deploy_concurrent_lab.py, the killed-deploy test).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from inventory_factory import PSK_ENV, base_hosts, write_inventory

from tasks.deploy import DeployOptions
from tasks.inventory import load
from tasks.verify import run_verify
from tasks.verify.report import HostEvidence, exit_code
from tasks.waves import run_deploy

PENDING = "an unconfirmed change is pending: it rolls back by itself at 2026-12-02 03:00:00Z"


def pending_driver(pending_on: set[str]) -> Any:
    class Pending:
        adopt = False

        def __init__(self, host: Any) -> None:
            self.host = host

        def open(self) -> None: ...

        def close(self) -> None: ...

        def lock(self, owner: str, wait: float = 0) -> None: ...

        def pending_change(self) -> str | None:
            return PENDING if self.host.name in pending_on else None

        def drain_guard(self) -> str | None:
            return None

        def diff(self, candidate: dict[str, str]) -> str:
            return ""

    return Pending


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in PSK_ENV.values():
        monkeypatch.setenv(var, f"{var.lower()}-value-1234")
    # The routers' own state is healthy: only the pending change is judged here.
    monkeypatch.setattr("tasks.verify.collect_state", lambda driver: None)
    monkeypatch.setattr("tasks.verify.router_checks",
                        lambda router, state: HostEvidence(router.name, []))  # fmt: skip
    return write_inventory(tmp_path, base_hosts())


@pytest.mark.parametrize(("router", "code"), [("r2", 1), ("r1", 2)])
def test_verify_reports_a_pending_change_and_degrades(
    config: Path, monkeypatch: pytest.MonkeyPatch, router: str, code: int
) -> None:
    monkeypatch.setattr("tasks.verify.driver_for", pending_driver({router}))
    report = run_verify(load(config))
    rows = [c for c in report.checks if c.check == "pending_change"]
    assert [(c.target, c.status) for c in rows] == [(router, "fail")], report.checks
    assert PENDING in rows[0].detail and f"deploy.py --rollback --hosts {router}" in rows[0].detail
    # A backup's: degraded; the primary's: not guaranteed. (The path decision is left out: the
    # stubbed routers advertise nothing.)
    assert exit_code(c for c in report.checks if c.check != "path_decision") == code


def test_verify_says_nothing_when_no_change_is_pending(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tasks.verify.driver_for", pending_driver(set()))
    assert not [c for c in run_verify(load(config)).checks if c.check == "pending_change"]


def test_dry_run_reports_a_pending_change(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tasks.deploy.driver_for", pending_driver({"r2"}))
    report = run_deploy(load(config), DeployOptions(dry_run=True), lambda _m: None)
    r2 = next(o for o in report.outcomes if o.host == "r2")
    assert PENDING in r2.error and "deploy.py --confirm --hosts r2" in r2.error
    assert all(PENDING not in o.error for o in report.outcomes if o.host != "r2")
