"""Shared fixtures: the reference configs, the policy, and rendered configs from our templates."""

from __future__ import annotations

from pathlib import Path

import pytest
from inventory_factory import base_hosts, write_inventory  # tests/: pytest's `pythonpath`

from tasks.compliance.policy import Policy, load_policy
from tasks.inventory import load
from tasks.model import Router

HERE = Path(__file__).parent
REFERENCE = HERE / "fixtures" / "reference"


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy()


def inventory_routers(
    directory: Path, platform: str, syntax: str | None = None
) -> dict[str, Router]:
    """A primary and two backups (N+1, N+2) of one VPC, validated like a runbook does."""
    hosts = base_hosts(platform)
    if syntax:
        for host in hosts.values():
            host["data"]["vyos_syntax"] = syntax
    nr = load(write_inventory(directory, hosts))
    return {name: h.data["router"] for name, h in nr.inventory.hosts.items()}


def inventory_config(directory: Path, platform: str = "vyos") -> Path:
    """Write the factory inventory and return its Nornir config path."""
    return write_inventory(directory, base_hosts(platform))
