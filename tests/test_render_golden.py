"""Golden files: rendered configs for both platforms, both VyOS syntaxes, primary and N+1, N+2.

Regenerate after an intended template change with
``UPDATE_GOLDEN=1 pytest tests/test_render_golden.py`` and review the diff like any
other code change.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from inventory_factory import base_hosts, write_inventory

from tasks.inventory import load
from tasks.model import Router
from tasks.render import as_text, render_router

GOLDEN = Path(__file__).parent / "golden"
VARIANTS = [("vyos", "1.3"), ("vyos", "1.4"), ("frr", None)]
ROLES = {"r1": "primary", "r2": "backup-rank1", "r3": "backup-rank2"}


def routers(tmp_path: Path, platform: str, syntax: str | None) -> dict[str, Router]:
    hosts = base_hosts(platform)
    if syntax:
        for host in hosts.values():
            host["data"]["vyos_syntax"] = syntax
    nr = load(write_inventory(tmp_path, hosts))
    return {name: h.data["router"] for name, h in nr.inventory.hosts.items()}


@pytest.mark.parametrize(("platform", "syntax"), VARIANTS, ids=["vyos-1.3", "vyos-1.4", "frr"])
@pytest.mark.parametrize("host", sorted(ROLES))
def test_render_matches_golden(
    tmp_path: Path, platform: str, syntax: str | None, host: str
) -> None:
    router = routers(tmp_path, platform, syntax)[host]
    text = as_text(render_router(router))
    golden = GOLDEN / f"{platform}{'-' + syntax if syntax else ''}" / f"{ROLES[host]}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
    assert golden.is_file(), f"missing golden file {golden} (run with UPDATE_GOLDEN=1)"
    assert text == golden.read_text()


@pytest.mark.parametrize(("platform", "syntax"), VARIANTS, ids=["vyos-1.3", "vyos-1.4", "frr"])
def test_backups_prepend_more_with_rank_and_never_use_weight(
    tmp_path: Path, platform: str, syntax: str | None
) -> None:
    rendered = {
        n: as_text(render_router(r)) for n, r in routers(tmp_path, platform, syntax).items()
    }
    prepends = {}
    for name, text in rendered.items():
        assert "weight" not in text, f"{name} uses weight, which AWS never sees"
        found = re.search(r"prepend '?([0-9 ]+?)'?$", text, re.MULTILINE)
        prepends[name] = len(found.group(1).split()) if found else 0
    assert prepends == {"r1": 0, "r2": 2, "r3": 4}


def test_vyos_syntaxes_differ_where_vyos_does(tmp_path: Path) -> None:
    v13 = as_text(render_router(routers(tmp_path / "a", "vyos", "1.3")["r1"]))
    v14 = as_text(render_router(routers(tmp_path / "b", "vyos", "1.4")["r1"]))
    assert "set protocols bgp 65010 neighbor 169.254.10.1 remote-as '64512'" in v13
    assert "system-as" not in v13
    assert "set protocols bgp system-as '65010'" in v14
    assert "set protocols bgp neighbor 169.254.10.1 remote-as '64512'" in v14


def test_frr_renders_one_swanctl_file_per_tunnel(tmp_path: Path) -> None:
    files = render_router(routers(tmp_path, "frr", None)["r2"])
    assert sorted(files) == [
        "frr.conf", "interfaces.ip", "isp-health.sh", "nftables.nft", "swanctl/tun1.conf",
        "swanctl/tun2.conf",
    ]  # fmt: skip
    assert "remote_addrs = 203.0.113.12" in files["swanctl/tun1.conf"]
    assert "remote_addrs = 203.0.113.13" in files["swanctl/tun2.conf"]
