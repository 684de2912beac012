"""Every line the VyOS templates can render is one VyOS's own schema accepts, per version.

The checker and the per-version trees are VyOS's (``../shared/vyos-schema``, see
:mod:`tasks.lab.vyos.schema`). Checked: the goldens, a sweep over the values the inventory model
accepts (each field across its range, one at a time, on both syntaxes), and the failover's
drain/restore lines. A value the model accepts but VyOS would refuse fails here; a value VyOS
refuses must be refused by the model (``tests/test_inventory_rules.py``).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from tasks.failover.policy import COMMANDS, prepend_line
from tasks.lab.vyos.schema import invalid_lines
from tasks.model import Router
from tasks.model.ipsec import AWS_DH_GROUPS, AWS_ENCRYPTION, AWS_INTEGRITY
from tasks.render import render_router

GOLDEN = Path(__file__).parent / "golden"
SYNTAXES = ("1.3", "1.4")

BASE: dict[str, Any] = {
    "name": "r1",
    "platform": "vyos",
    "role": "primary",
    "asn": 65010,
    "vpc": {"id": "vpc-a", "networks": ["10.0.0.0/24"], "vgw": {"id": "vgw-test", "asn": 64512}},
    "wan": {"interface": "eth0", "address": "198.51.100.10"},
    "tunnels": [
        {"name": "tun1", "interface": "vti0", "outside_address": "203.0.113.10",
         "inside_cidr": "169.254.10.0/30", "psk": {"env": "TEST_PSK_TUN1"}},
        {"name": "tun2", "interface": "vti1", "outside_address": "203.0.113.11",
         "inside_cidr": "169.254.10.4/30", "psk": {"env": "TEST_PSK_TUN2"}},
    ],
}  # fmt: skip


def _with(path: str, value: Any) -> dict[str, Any]:
    """BASE with ``path`` (dotted; ``tunnels.0.interface``) set to ``value``."""
    data = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node: Any = data
    for key in parents:
        node = node[int(key)] if key.isdigit() else node.setdefault(key, {})
    node[int(last) if last.isdigit() else last] = value
    return data


def _variations() -> Iterator[dict[str, Any]]:
    """One field at a time across the values the model could accept, plus role x prepends."""
    yield copy.deepcopy(BASE)
    for rank, per_rank in itertools.product((1, 2, 3, 12, 13, 16), (1, 2, 5, 10)):
        data = _with("role", "backup")
        data["rank"] = rank
        data["bgp"] = {"prepend_per_rank": per_rank, "med_per_rank": 268435455}
        yield data
    for phase in ("ike", "esp"):
        for value in AWS_ENCRYPTION:
            yield _with(f"ipsec.{phase}.encryption", value)
        for value in AWS_INTEGRITY:
            yield _with(f"ipsec.{phase}.integrity", value)
        for value in AWS_DH_GROUPS:
            yield _with(f"ipsec.{phase}.dh_group", value)
    for version in (1, 2):
        yield _with("ipsec.ike_version", version)
    for value in (900, 28800):
        yield _with("ipsec.ike_lifetime", value)
    for value in (900, 3600):
        yield _with("ipsec.esp_lifetime", value)
    for interval, timeout in ((1, 30), (2, 30), (29, 30), (3600, 86400), (10, 86401)):
        yield _with("ipsec.dpd", {"interval": interval, "timeout": timeout})
    for action in ("restart", "clear", "hold", "trap"):
        yield _with("ipsec.dpd.action", action)
    for hold, keep in ((0, 1), (0, 65535), (3, 1), (4, 1), (30, 10), (65535, 21845)):
        yield _with("bgp", {"holdtime": hold, "keepalive": keep})
    for value in (1, 65535):
        yield _with("bgp.connect_retry", value)
    for mtu in (1200, 1399, 1446):
        yield _with("tunnel_mtu", mtu)
    for mss in (0, 535, 536, 1359, 1406):
        yield _with("mss_clamp", mss)
    for name in ("vti0", "vti99", "tun0", "eth1"):
        yield _with("tunnels.0.interface", name)
    yield {**copy.deepcopy(BASE), "tunnels": [copy.deepcopy(BASE["tunnels"][0])]}
    several = ["10.0.0.0/16", "172.16.0.0/12", "192.168.0.0/24"]
    for networks in (["10.0.0.0/8"], ["10.1.2.3/32"], several):
        yield _with("vpc.networks", networks)
    for asn in (1, 4294967294):
        yield _with("asn", asn)
    for asn in (65534, 4200000000, 4294967294):
        yield _with("vpc.vgw.asn", asn)
    yield _with("router_id", "10.255.0.1")
    yield _with("vpc.vgw.id", "vgw-" + "0" * 60)
    yield _with("wan.interface", "bond0.100")
    yield _with("tunnels.0.name", "T" + "a" * 30)
    health = {"targets": ["192.0.2.200"], "gateway": "198.51.100.1"}
    for extra in ({}, {"interval": 1}, {"interval": 255}, {"maintenance": True},
                  {"targets": [f"198.18.100.{i}" for i in range(1, 9)]}):  # fmt: skip
        yield _with("isp_health", {**health, **extra})


def sweep(syntax: str) -> tuple[int, int, int, list[str]]:
    """(renders, lines, refused inventories, invalid lines) over :func:`_variations`."""
    renders = lines = refused = 0
    invalid: list[str] = []
    for data in _variations():
        try:
            router = Router.model_validate({**data, "vyos_syntax": syntax})
        except ValidationError:
            refused += 1
            continue
        text = render_router(router)["config.set"].splitlines()
        sets = [line for line in text if line.startswith(("set ", "delete "))]
        renders += 1
        lines += len(sets)
        invalid += invalid_lines(syntax, sets)
    return renders, lines, refused, invalid


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_goldens_are_valid_vyos(syntax: str) -> None:
    goldens = sorted((GOLDEN / f"vyos-{syntax}").glob("*.txt"))
    assert len(goldens) == 3
    for golden in goldens:
        assert invalid_lines(syntax, golden.read_text().splitlines()) == [], golden.name


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_every_render_the_model_accepts_is_valid_vyos(syntax: str) -> None:
    renders, lines, refused, invalid = sweep(syntax)
    assert invalid == [], f"{len(invalid)} invalid of {lines} lines in {renders} renders"
    assert renders > 60 and lines > renders * 70
    assert refused > 5, "the sweep must reach values the model refuses, else it proves little"


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_failover_lines_are_valid_vyos(syntax: str) -> None:
    router = Router.model_validate({**BASE, "vyos_syntax": syntax})
    table = COMMANDS[f"vyos-{syntax}"]
    peer = str(router.tunnels[0].aws_inside_address)
    lines = [prepend_line(router, 3), prepend_line(router, 0)] + [
        table[key].format(asn=router.asn, peer=peer) for key in ("shutdown", "no_shutdown")
    ]
    assert invalid_lines(syntax, lines) == []


def test_the_checker_does_refuse_what_vyos_refuses() -> None:
    """The test above can fail: the old 1.3 MSS line and a 1.4 'hold' are caught."""
    assert invalid_lines("1.3", ["set interfaces vti vti0 ip adjust-mss '1359'"])
    assert invalid_lines(
        "1.4", ["set vpn ipsec ike-group AWS-IKE dead-peer-detection action 'hold'"]
    )


#: What keeps a VyOS tunnel retrying for ever after an AWS-side outage, per version (issue 17
#: item 6): the peer initiates (1.3 vpn-config.pl: auto=start + keyingtries=%forever; 1.4
#: swanctl peer.j2: keyingtries = 0 + start_action = start), DPD restarts a dead peer, and a
#: CHILD_SA the AWS end closes is re-initiated (close-action: 1.3 'restart', 1.4 'start').
RETRY_FOR_EVER = {
    "1.3": {"close-action": "restart", "dead-peer-detection action": "restart"},
    "1.4": {"close-action": "start", "dead-peer-detection action": "restart"},
}


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_rendered_ipsec_retries_for_ever(syntax: str) -> None:
    router = Router.model_validate({**BASE, "vyos_syntax": syntax})
    lines = render_router(router)["config.set"].splitlines()
    wanted = [f"set vpn ipsec ike-group AWS-IKE {node} '{value}'"
              for node, value in RETRY_FOR_EVER[syntax].items()]  # fmt: skip
    peers = [t.name if syntax == "1.4" else str(t.outside_address) for t in router.tunnels]
    wanted += [f"set vpn ipsec site-to-site peer {p} connection-type 'initiate'" for p in peers]
    missing = [line for line in wanted if line not in lines]
    assert missing == [], f"VyOS {syntax} does not render {missing}"
    assert invalid_lines(syntax, wanted) == []
    # The other version's close-action word is refused by this version's schema: per version.
    other = RETRY_FOR_EVER["1.4" if syntax == "1.3" else "1.3"]["close-action"]
    assert invalid_lines(syntax, [f"set vpn ipsec ike-group AWS-IKE close-action '{other}'"])
