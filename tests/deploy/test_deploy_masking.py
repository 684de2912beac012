"""A key rotation's dry run shows neither key: the new one is masked because this process
resolved it, the old one (read back from the router, never resolved here) by its position."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from inventory_factory import PSK_ENV, base_hosts, write_inventory

from tasks.deploy import DeployOptions
from tasks.inventory import load
from tasks.waves import run_deploy

OLD_KEY = "Old.Key_read_back_from_the_router_7"


class RotatingDriver:
    """Answers diff() as the frr driver does for a changed key (a unified diff of swanctl
    files) and as VyOS's ``compare`` does (``-``/``+`` lines of the set tree)."""

    def __init__(self, host: object) -> None:
        self.new_key = ""

    def open(self) -> None: ...

    def lock(self, owner: str, wait: float = 0) -> None: ...

    def pending_change(self) -> str | None:
        return None

    def close(self) -> None: ...

    def diff(self, candidate: dict[str, str]) -> str:
        text = "\n".join(candidate.values())
        self.new_key = text.split('secret = "', 1)[1].split('"', 1)[0]
        return (
            "--- running/swanctl/tun1.conf\n+++ candidate/swanctl/tun1.conf\n"
            f'-        secret = "{OLD_KEY}"\n+        secret = "{self.new_key}"\n'
            "[vpn ipsec authentication psk tun1]\n"
            f"-     secret '{OLD_KEY}'\n+     secret '{self.new_key}'\n"
        )


def test_dry_run_diff_and_json_mask_the_old_and_the_new_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_key = "New-Key-resolved-by-this-run-42"
    monkeypatch.setenv(PSK_ENV["tun1"], new_key)
    monkeypatch.setenv(PSK_ENV["tun2"], "another-key-resolved-43")
    monkeypatch.setattr("tasks.deploy.driver_for", RotatingDriver)
    hosts = {"r1": base_hosts()["r1"]}
    hosts["r1"]["data"]["role"] = "primary"
    nr = load(write_inventory(tmp_path, hosts))
    report = run_deploy(nr, DeployOptions(dry_run=True), lambda _m: None)
    (outcome,) = report.outcomes
    assert outcome.status == "would_change"
    text = outcome.diff + json.dumps(report.as_dict())
    assert OLD_KEY not in text and new_key not in text
    assert text.count("********") >= 4
