"""Parsers of the counter commands in ``parsers/counters.yaml``: raw text -> one integer.

Each parser takes the command's raw output and the router (its tunnel interfaces, WAN
interface and tunnel peers say which rows count) and returns the sum over the router's tunnels,
or None when the output does not hold the counter (then nothing is decided from it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tasks.errors import ParseError
from tasks.model import Router
from tasks.parsing import parse

CounterParser = Callable[[str, Router], int | None]

#: The comment the frr template puts on the rule that counts the VPC's packets to the ISP.
NFT_OUT_COMMENT = "vpc-ha: vpc outbound"


def _json(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def ip_link_rx_packets(raw: str, router: Router) -> int | None:
    """Sum of RX packets of the router's tunnel interfaces (``ip -s -j link show``)."""
    links = _json(raw)
    if not isinstance(links, list):
        return None
    wanted = {t.interface for t in router.tunnels}
    found = [
        link["stats64"]["rx"]["packets"]
        for link in links
        if isinstance(link, dict) and link.get("ifname") in wanted and "stats64" in link
    ]
    return sum(found) if found else None


def nft_vpc_out_packets(raw: str, router: Router) -> int | None:
    """Packets of the toolkit's ``vpc outbound`` rule (``nft -j list table ip vpc_ha``)."""
    data = _json(raw)
    if not isinstance(data, dict):
        return None
    for item in data.get("nftables", []):
        rule = item.get("rule") if isinstance(item, dict) else None
        if not rule or rule.get("comment") != NFT_OUT_COMMENT:
            continue
        for expr in rule.get("expr", []):
            if isinstance(expr, dict) and "counter" in expr:
                return int(expr["counter"]["packets"])
    return None


def _sas(raw: str, router: Router) -> list[dict[str, Any]] | None:
    command = "show vpn ipsec sa" if router.platform == "vyos" else "swanctl --list-sas"
    try:
        sas = parse(router.platform, command, raw)
    except ParseError:
        return None
    peers = {str(t.outside_address) for t in router.tunnels}
    return [dict(sa) for sa in sas if isinstance(sa, dict) and sa.get("remote_address") in peers]


def _sa_sum(key: str) -> CounterParser:
    def total(raw: str, router: Router) -> int | None:
        sas = _sas(raw, router)
        values = [sa[key] for sa in sas or [] if sa.get(key) is not None]
        return sum(values) if values else None

    total.__doc__ = f"Sum of ``{key}`` over the router's tunnels' SAs."
    return total


sa_bytes_in = _sa_sum("bytes_in")
sa_packets_in = _sa_sum("packets_in")

PARSERS: dict[str, CounterParser] = {
    "ip_link_rx_packets": ip_link_rx_packets,
    "nft_vpc_out_packets": nft_vpc_out_packets,
    "sa_bytes_in": sa_bytes_in,
    "sa_packets_in": sa_packets_in,
}
