"""Collect a router's state: run the platform's show commands and parse them into records.

The command for each question differs per platform (data, below); the answer's shape does
not (:mod:`tasks.records`). A command whose output cannot be parsed raises
:class:`~tasks.errors.ParseError`, which checks turn into "could not verify", never "healthy".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tasks.drivers.base import PlatformDriver
from tasks.parsing import parse
from tasks.records import BgpNeighborDetail, BgpSummary, BgpTable, IpsecSa

#: Question -> command, per platform. ``{peer}`` is a BGP neighbor address.
COMMANDS: dict[str, dict[str, str]] = {
    "vyos": {
        "bgp_summary": "show ip bgp summary",
        "advertised": "show ip bgp neighbors {peer} advertised-routes",
        "received": "show ip bgp neighbors {peer} routes",
        "sas": "show vpn ipsec sa",
        "nat": "show configuration commands | match 'nat source'",
        # exists on both: 1.3 vtysh -c "show ip bgp neighbors $5" (vyos-1x equuleus
        # op-mode-definitions/show-ip-bgp.xml.in), 1.4 vtysh_wrapper.sh (show-ip-bgp-common.xml.i)
        "neighbor": "show ip bgp neighbors {peer}",
    },
    "frr": {
        "bgp_summary": "show ip bgp summary",
        "advertised": "show ip bgp neighbors {peer} advertised-routes",
        "received": "show ip bgp neighbors {peer} routes",
        "sas": "swanctl --list-sas",
        "nat": "nft list table ip vpc_ha",
        "neighbor": "show ip bgp neighbors {peer}",
    },
}


def command(platform: str, question: str, **values: str) -> str:
    return COMMANDS[platform][question].format(**values)


@dataclass
class RouterState:
    """What a router reports about its AWS side, parsed."""

    summary: BgpSummary | None = None
    sas: list[IpsecSa] = field(default_factory=list)
    advertised: dict[str, BgpTable] = field(default_factory=dict)
    received: dict[str, BgpTable] = field(default_factory=dict)
    neighbors: dict[str, BgpNeighborDetail] = field(default_factory=dict)
    nat_text: str = ""


def collect_sessions(driver: PlatformDriver) -> tuple[BgpSummary, list[IpsecSa]]:
    """BGP summary and SAs: the two things a post-check or a failover watch needs."""
    platform = driver.router.platform
    summary = parse(platform, "show ip bgp summary", driver.show(command(platform, "bgp_summary")))
    sas_cmd = command(platform, "sas")
    sas = parse(platform, sas_cmd, driver.show(sas_cmd))
    return summary, sas  # type: ignore[return-value]


def collect_state(driver: PlatformDriver) -> RouterState:
    """Everything verify judges a router by, one command at a time over one session."""
    platform = driver.router.platform
    summary, sas = collect_sessions(driver)
    state = RouterState(summary=summary, sas=sas)
    established = {n["address"] for n in summary["neighbors"] if n["established"]}
    for tunnel in driver.router.tunnels:
        peer = str(tunnel.aws_inside_address)
        if peer not in established:
            continue  # FRR prints nothing for a down peer's tables: nothing to judge there
        questions: list[tuple[str, dict[str, object]]] = [
            ("advertised", state.advertised),  # type: ignore[list-item]
            ("received", state.received),  # type: ignore[list-item]
        ]
        if "neighbor" in COMMANDS[platform]:
            questions.append(("neighbor", state.neighbors))  # type: ignore[arg-type]
        for question, into in questions:
            text = command(platform, question, peer=peer)
            into[peer] = parse(platform, text, driver.show(text))
    state.nat_text = driver.show(command(platform, "nat"))
    return state
