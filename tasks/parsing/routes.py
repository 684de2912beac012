"""Records from ``show ip route``."""

from __future__ import annotations

import ipaddress
from typing import Any

from tasks.errors import ParseError
from tasks.parsing.units import Builder, as_list
from tasks.records import Route, RouteTable

_PROTOCOLS = {
    "K": "kernel", "C": "connected", "S": "static", "R": "rip", "O": "ospf", "I": "isis",
    "B": "bgp", "E": "eigrp", "N": "nhrp", "T": "table", "A": "babel", "F": "pbr",
}  # fmt: skip


def _route(row: dict[str, str]) -> Route:
    code = row["code"]
    distance = metric = None
    if "distance_metric" in row:
        distance, metric = (int(n) for n in row["distance_metric"].strip("[]").split("/"))
    next_hops = row.get("next_hops", "")
    hops = [h for h in next_hops.split(",") if h] if isinstance(next_hops, str) else []
    for hop in hops:
        ipaddress.ip_address(hop)
    return {
        "prefix": row["prefix"],
        "protocol": _PROTOCOLS.get(code[0], code[0]),
        "selected": ">" in code,
        "fib": "*" in code,
        "distance": distance,
        "metric": metric,
        "next_hops": hops,
        "interface": row.get("interface"),
    }


def route_table(found: dict[str, Any]) -> RouteTable:
    try:
        return {"routes": [_route(row) for row in as_list(found.get("routes"))]}
    except ValueError as exc:
        raise ParseError(f"show ip route: {exc}") from exc


#: This module's builders by the name ``parsers/commands.yaml`` gives them.
BUILDERS: dict[str, Builder] = {"route_table": route_table}
