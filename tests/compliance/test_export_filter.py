"""Rule bgp-export-filter: rendered configs pass (and are really read), each way of letting
more than 0.0.0.0/0 reach AWS is named, the reference design (no filter) fails."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REFERENCE, inventory_routers

from tasks.compliance.engine import HostInput, evaluate
from tasks.compliance.export_filter import read_policy
from tasks.compliance.policy import Policy
from tasks.compliance.sources import parse_texts
from tasks.compliance.vyos import parse
from tasks.render import render_router

RULE = "bgp-export-filter"


def rendered(tmp_path: Path, platform: str, syntax: str | None = None) -> dict[str, str]:
    return render_router(inventory_routers(tmp_path, platform, syntax)["r2"])


def hits(files: dict[str, str], platform: str, policy: Policy) -> set[str]:
    cfg = parse_texts("r2", platform, files, complete=False)
    return {f.value for f in evaluate(HostInput(cfg), policy).findings if f.rule == RULE}


@pytest.mark.parametrize(("platform", "syntax"), [("vyos", "1.3"), ("vyos", "1.4"), ("frr", None)])
def test_rendered_filter_is_read_and_passes(
    tmp_path: Path, policy: Policy, platform: str, syntax: str | None
) -> None:
    files = rendered(tmp_path, platform, syntax)
    cfg = parse_texts("r2", platform, files, complete=False)
    read = read_policy(cfg)
    [rule10] = read.prefix_lists["DEFAULT-ONLY"].values()
    assert (rule10.action, rule10.prefix, rule10.le) == ("permit", "0.0.0.0/0", None)
    assert read.route_maps["TO-AWS"]["10"].prefix_lists == ["DEFAULT-ONLY"]
    assert all(n.export_maps == ["TO-AWS"] for n in cfg.bgp.neighbors)
    assert hits(files, platform, policy) == set()


@pytest.mark.parametrize(
    ("old", "new", "value"),
    [
        ("rule 10 prefix '0.0.0.0/0'", "rule 10 prefix '0.0.0.0/0'\n"
         "set policy prefix-list DEFAULT-ONLY rule 10 le '32'",
         "route-map TO-AWS rule 10: prefix-list DEFAULT-ONLY rule 10 permits 0.0.0.0/0 le 32 "
         "(every route)"),
        ("rule 10 prefix '0.0.0.0/0'", "rule 10 prefix '10.0.0.0/8'",
         "route-map TO-AWS rule 10: prefix-list DEFAULT-ONLY rule 10 permits 10.0.0.0/8"),
        ("set policy route-map TO-AWS rule 10 match ip address prefix-list 'DEFAULT-ONLY'\n", "",
         "route-map TO-AWS rule 10 permits everything"),
        ("match ip address prefix-list 'DEFAULT-ONLY'", "match ip address prefix-list 'NOPE'",
         "route-map TO-AWS rule 10: prefix-list NOPE is not defined"),
        ("route-map export 'TO-AWS'", "route-map export 'OTHER'", "route-map OTHER is not defined"),
    ],
)  # fmt: skip
def test_vyos_mistakes_are_named(
    tmp_path: Path, policy: Policy, old: str, new: str, value: str
) -> None:
    files = rendered(tmp_path, "vyos", "1.4")
    assert old in files["config.set"], old
    files["config.set"] = files["config.set"].replace(old, new)
    assert value in hits(files, "vyos", policy)


def test_vyos_neighbor_without_export_map(tmp_path: Path, policy: Policy) -> None:
    files = rendered(tmp_path, "vyos", "1.4")
    lines = files["config.set"].splitlines()
    files["config.set"] = "\n".join(x for x in lines if "route-map export" not in x) + "\n"
    found = hits(files, "vyos", policy)
    assert found == {"no export route-map"}


def test_frr_le_32_and_redistribute_without_filter(tmp_path: Path, policy: Policy) -> None:
    files = rendered(tmp_path, "frr")
    old = "ip prefix-list DEFAULT-ONLY seq 10 permit 0.0.0.0/0"
    assert old in files["frr.conf"]
    files["frr.conf"] = files["frr.conf"].replace(old, f"{old} le 32")
    assert hits(files, "frr", policy) == {
        "route-map TO-AWS rule 10: prefix-list DEFAULT-ONLY rule 10 permits 0.0.0.0/0 le 32 "
        "(every route)"
    }


def test_reference_design_has_no_export_filter(policy: Policy) -> None:
    """The reference's neighbors are masked (xxx.xxx.247.1): judged as VGW sessions, said so."""
    cfg = parse("router1", (REFERENCE / "router1.set").read_text())
    found = [f for f in evaluate(HostInput(cfg), policy).findings if f.rule == RULE]
    assert {(f.where, f.value) for f in found} == {
        (f"neighbor xxx.xxx.247.{n} (address masked: judged as a VGW session)",
         "no export route-map") for n in (1, 5)
    }  # fmt: skip
