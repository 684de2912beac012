"""Build small, valid Nornir inventories on disk for tests, then break one field at a time."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

PSK_ENV = {"tun1": "TEST_PSK_TUN1", "tun2": "TEST_PSK_TUN2"}


def base_router(
    name: str, role: str, rank: int = 0, platform: str = "frr", third_octet: int = 10
) -> dict[str, Any]:
    """One router's host entry; ``third_octet`` keeps inside CIDRs apart per router."""
    index = third_octet - 10
    data: dict[str, Any] = {
        "role": role,
        "asn": 65010,
        "wan": {"interface": "eth0", "address": f"198.51.100.{10 + index}"},
        "tunnels": [
            {
                "name": "tun1",
                "interface": "vti0" if platform == "vyos" else "ipsec0",
                "outside_address": f"203.0.113.{10 + 2 * index}",
                "inside_cidr": f"169.254.{third_octet}.0/30",
                "psk": {"env": PSK_ENV["tun1"]},
            },
            {
                "name": "tun2",
                "interface": "vti1" if platform == "vyos" else "ipsec1",
                "outside_address": f"203.0.113.{11 + 2 * index}",
                "inside_cidr": f"169.254.{third_octet}.4/30",
                "psk": {"env": PSK_ENV["tun2"]},
            },
        ],
    }
    if role == "backup":
        data["rank"] = rank
    return {"hostname": f"192.0.2.{10 + index}", "platform": platform, "groups": ["vpc-a"],
            "data": data}  # fmt: skip


def base_hosts(platform: str = "frr") -> dict[str, Any]:
    """A primary and two backups (N+1, N+2) of one VPC."""
    return {
        "r1": base_router("r1", "primary", platform=platform, third_octet=10),
        "r2": base_router("r2", "backup", 1, platform=platform, third_octet=11),
        "r3": base_router("r3", "backup", 2, platform=platform, third_octet=12),
    }


GROUPS = {
    "vpc-a": {
        "data": {
            "vpc": {
                "id": "vpc-a",
                "networks": ["10.0.0.0/24"],
                "vgw": {"id": "vgw-test", "asn": 64512},
            }
        }
    }
}


def write_inventory(
    directory: Path,
    hosts: dict[str, Any],
    groups: dict[str, Any] | None = None,
    defaults: dict[str, Any] | None = None,
) -> Path:
    """Write hosts/groups/defaults and a Nornir config; returns the config path."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    (directory / "groups.yaml").write_text(yaml.safe_dump(groups or copy.deepcopy(GROUPS)))
    (directory / "defaults.yaml").write_text(yaml.safe_dump(defaults or {}))
    config = {
        "inventory": {
            "plugin": "SimpleInventory",
            "options": {
                "host_file": str(directory / "hosts.yaml"),
                "group_file": str(directory / "groups.yaml"),
                "defaults_file": str(directory / "defaults.yaml"),
            },
        },
        "runner": {"plugin": "threaded", "options": {"num_workers": 4}},
        "logging": {"enabled": False},
    }
    path = directory / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path
