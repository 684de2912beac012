"""Rule isp-health: the default route follows ISP health exactly as the inventory says."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import inventory_routers

from tasks.compliance.check import Known, check_saved
from tasks.compliance.policy import Policy
from tasks.compliance.sources import Saved
from tasks.model import Router
from tasks.model.isp import IspHealth
from tasks.render import render_router

HEALTH = IspHealth.model_validate({"targets": ["198.18.100.10"], "gateway": "198.51.100.1"})


def primary(tmp_path: Path, platform: str, health: IspHealth | None) -> Router:
    router = inventory_routers(tmp_path, platform, "1.4" if platform == "vyos" else None)["r1"]
    return router.model_copy(update={"isp_health": health})


def without(text: str, drop: Callable[[str], bool]) -> str:
    return "\n".join(line for line in text.splitlines() if not drop(line))


def findings(router: Router, files: dict[str, str], policy: Policy) -> list[tuple[str, str]]:
    saved = Saved(router.name, router.platform, files, Path("."))
    [result] = check_saved([saved], policy, {router.name: Known(router, None)})
    return [(f.where, f.value) for f in result.findings if f.rule == "isp-health"]


@pytest.mark.parametrize("platform", ["frr", "vyos"])
def test_rendered_health_config_complies(tmp_path: Path, policy: Policy, platform: str) -> None:
    for health in (HEALTH, None):
        router = primary(tmp_path / str(bool(health)), platform, health)
        assert findings(router, render_router(router), policy) == []


@pytest.mark.parametrize("platform", ["frr", "vyos"])
def test_an_unconditional_neighbor_is_flagged(
    tmp_path: Path, policy: Policy, platform: str
) -> None:
    router = primary(tmp_path, platform, HEALTH)
    files = render_router(router)
    name = "frr.conf" if platform == "frr" else "config.set"
    files[name] = without(files[name], lambda line: "169.254.10.5" in line and (
        "advertise-map" in line or "exist-map" in line))  # fmt: skip
    assert findings(router, files, policy) == [("neighbor 169.254.10.5", "unconditional")]


@pytest.mark.parametrize("platform", ["frr", "vyos"])
def test_conditional_without_checks_and_a_missing_monitor_are_flagged(
    tmp_path: Path, policy: Policy, platform: str
) -> None:
    router = primary(tmp_path, platform, HEALTH)
    files = render_router(router)
    unguarded = router.model_copy(update={"isp_health": None})
    hits = findings(unguarded, files, policy)
    assert [where for where, _ in hits] == ["neighbor 169.254.10.1", "neighbor 169.254.10.5"]
    assert hits[0][1] == "advertise-map TO-AWS exist-map ISP-HEALTHY"
    if platform == "frr":
        files["isp-health.sh"] = ""  # what the router shows when the monitor is not running
    else:
        files["config.set"] = without(files["config.set"], lambda line: "failover" in line)
    assert findings(router, files, policy) == [("ISP health monitor", "not in force")]
