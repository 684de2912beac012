"""Shared fixtures for the AWS tests: no network, no real credentials, ever.

Where each stand-in stands:
- moto (``mock_aws``) for what it implements: VPCs, VGWs and attachments, customer gateways,
  VPN connections (with a fixed customer gateway configuration), route tables, and
  CloudFormation stacks of the resource types it knows.
- botocore's Stubber for what moto lacks or fakes: VgwTelemetry, tunnel options, route
  propagation, realistic customer gateway configurations, and CloudFormation change sets and
  events for VPNConnection/CustomerGateway. The Stubber checks every request and canned
  response against the real API model, so fixture shapes cannot drift from AWS's.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/inventory_factory.py

from tasks import PROJECT_ROOT
from tasks.inventory import load, router_of
from tasks.model import Router

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REGION = "us-east-1"
VPC_ID = "vpc-0123456789abcdef0"
VGW_ID = "vgw-0a1b2c3d4e5f60718"


def fixture_json(relative: str) -> dict[str, Any]:
    """A JSON fixture; ``{"$file": "x.xml"}`` values are replaced by that file's text."""

    def expand(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"$file"}:
                return (FIXTURES / value["$file"]).read_text(encoding="utf-8")
            return {k: expand(v) for k, v in value.items() if k != "_about"}
        if isinstance(value, list):
            return [expand(v) for v in value]
        return value

    data = json.loads((FIXTURES / relative).read_text(encoding="utf-8"))
    return expand(data)  # type: ignore[no-any-return]


def _isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Point every credential source away from this machine's."""
    import os

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    empty = tmp_path / "aws-empty"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Dummy credentials and a region: enough for botocore to sign, never valid anywhere."""
    _isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def no_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials anywhere botocore looks (environment, files, instance metadata)."""
    _isolate(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


class StubSession:
    """A boto3 session whose clients are created once, so a test can stub them first."""

    def __init__(self) -> None:
        self.session = boto3.session.Session(region_name=REGION)
        self.clients: dict[str, Any] = {}
        self.stubbers: dict[str, Stubber] = {}

    def client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        if service_name not in self.clients:
            self.clients[service_name] = self.session.client(service_name)
        return self.clients[service_name]

    def get_credentials(self) -> Any:
        return self.session.get_credentials()

    def stub(self, service_name: str) -> Stubber:
        if service_name not in self.stubbers:
            stubber = Stubber(self.client(service_name))
            stubber.activate()
            self.stubbers[service_name] = stubber
        return self.stubbers[service_name]


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
    import logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:], root.level = handlers, level
