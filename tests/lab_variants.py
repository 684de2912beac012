"""Variants of the lab inventory for fault tests (unreachable, bad keys, wrong values)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tasks.lab import Lab

HostsMutation = Callable[[dict[str, Any]], None]


def lab_inventory_variant(lab: Lab, directory: Path, mutate: HostsMutation | None = None) -> Path:
    """Copy the lab's inventory to ``directory``, change it, and return a Nornir config for it."""
    config = yaml.safe_load(lab.config_file.read_text())
    options = config["inventory"]["options"]
    directory.mkdir(parents=True, exist_ok=True)
    for key in ("host_file", "group_file", "defaults_file"):
        data = yaml.safe_load(Path(options[key]).read_text()) or {}
        if key == "host_file" and mutate:
            data = copy.deepcopy(data)
            mutate(data)
        target = directory / Path(options[key]).name
        target.write_text(yaml.safe_dump(data))
        options[key] = str(target)
    path = directory / "nornir.yaml"
    path.write_text(yaml.safe_dump(config))
    return path
