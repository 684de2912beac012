"""Helpers shared by the AWS tests (a uniquely named module: ``conftest`` is ambiguous when
several test folders have one).

No network, no real credentials, ever.

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
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

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


def isolate_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
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
