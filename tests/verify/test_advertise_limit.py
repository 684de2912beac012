"""verify's router-side check of AWS's 100-prefix limit, from parsed advertised-routes output.

The raw text is the recorded VyOS 1.4 fixture (tests/parsers/fixtures/vyos/...) with rows
added, parsed by the same parser verify uses; no router and no AWS are involved.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from inventory_factory import base_hosts, write_inventory

from tasks.aws.prefix_limit import AWS_PREFIX_LIMIT, limit_verdict
from tasks.collect import RouterState
from tasks.inventory import load
from tasks.model import Router
from tasks.parsing import parse
from tasks.verify.router import router_checks

FIXTURE = (
    Path(__file__).resolve().parent.parent
    / "parsers/fixtures/vyos/show_ip_bgp_neighbors_advertised_routes/vyos14_frr91_primary.raw"
)
ROW = " *> 0.0.0.0/0        0.0.0.0                  0         32768 i"


def advertised_raw(extra: int) -> str:
    """The recorded output with ``extra`` more /24s advertised after the default route."""
    rows = [f" *> 203.{i // 256}.{i % 256}.0/24  0.0.0.0                  0         32768 i"
            for i in range(extra)]  # fmt: skip
    text = FIXTURE.read_text().replace(ROW, "\n".join([ROW, *rows]))
    return text.replace("Total number of prefixes 1", f"Total number of prefixes {1 + extra}")


def count_of(extra: int) -> set[str]:
    table = parse("vyos", "show ip bgp neighbors 169.254.11.1 advertised-routes",
                  advertised_raw(extra))  # fmt: skip
    return {p["prefix"] for p in table["paths"]}


@pytest.mark.parametrize(
    ("extra", "status", "words"),
    [(0, "pass", "1 prefix(es) advertised"), (4, "warn", "the design advertises only 0.0.0.0/0"),
     (AWS_PREFIX_LIMIT, "fail", "101 prefixes advertised to 169.254.11.1: over AWS's limit")],
)  # fmt: skip
def test_limit_verdict_from_the_parsed_output(extra: int, status: str, words: str) -> None:
    prefixes = count_of(extra)
    assert len(prefixes) == 1 + extra
    got, detail = limit_verdict(prefixes, "169.254.11.1")
    assert got == status and words in detail


@pytest.fixture
def primary(tmp_path: Path) -> Router:
    nr = load(write_inventory(tmp_path, base_hosts("vyos")))
    return next(h.data["router"] for h in nr.inventory.hosts.values()
                if h.data["router"].role == "primary")  # fmt: skip


def test_router_checks_fail_the_primary_over_the_limit(primary: Router) -> None:
    """An Established session to each VGW peer, 101 prefixes sent on the first: the check
    ``advertise_limit`` fails at the primary's severity; the other peer passes."""
    peers = [str(t.aws_inside_address) for t in primary.tunnels]
    summary = {"router_id": "198.51.100.10", "local_as": primary.asn, "neighbors": [
        {"address": p, "remote_as": primary.vpc.vgw.asn, "up_down": "01:00:00", "up_down_s": 3600,
         "state": "Established", "established": True, "prefixes_received": 1,
         "prefixes_sent": 1, "description": None} for p in peers]}  # fmt: skip
    tables = {p: parse("vyos", f"show ip bgp neighbors {p} advertised-routes",
                       advertised_raw(AWS_PREFIX_LIMIT if i == 0 else 0))
              for i, p in enumerate(peers)}  # fmt: skip
    state = RouterState(summary=summary, advertised=tables)  # type: ignore[arg-type]
    checks = [c for c in router_checks(primary, state).checks if c.check == "advertise_limit"]
    assert [(c.status, c.severity) for c in checks] == [("fail", "primary"), ("pass", "primary")]
