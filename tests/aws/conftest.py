"""pytest fixtures for the AWS tests; the helpers and the stand-in notes are in aws_fixtures."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from aws_fixtures import REGION, StubSession, isolate_aws

from tasks import PROJECT_ROOT
from tasks.inventory import load, router_of
from tasks.model import Router


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials and a region: enough for botocore to sign, never valid anywhere."""
    isolate_aws(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def no_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials anywhere botocore looks (environment, files, instance metadata)."""
    isolate_aws(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def stub_session(aws_env: None) -> Iterator[StubSession]:
    session = StubSession()
    yield session
    for stubber in session.stubbers.values():
        stubber.deactivate()


@pytest.fixture
def example_nornir_config(tmp_path: Path) -> Path:
    """The repository's example inventory, with its files named by absolute path."""
    config = {
        "inventory": {
            "plugin": "SimpleInventory",
            "options": {
                "host_file": str(PROJECT_ROOT / "inventory" / "hosts.yaml"),
                "group_file": str(PROJECT_ROOT / "inventory" / "groups.yaml"),
                "defaults_file": str(PROJECT_ROOT / "inventory" / "defaults.yaml"),
            },
        },
        "runner": {"plugin": "threaded", "options": {"num_workers": 2}},
        "logging": {"enabled": False},
    }
    path = tmp_path / "config.yaml"
    path.write_text(json.dumps(config))
    return path


@pytest.fixture
def example_routers(example_nornir_config: Path) -> list[Router]:
    """router1 (primary) and router2 (backup N+1) of the example inventory."""
    nr = load(example_nornir_config)
    return sorted((router_of(h) for h in nr.inventory.hosts.values()), key=lambda r: r.name)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Runbooks replace the root logger's handlers; put the test runner's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:], root.level = handlers, level
