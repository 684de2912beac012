"""Turn FRR's own ``json`` output into this project's records, for equivalence tests.

FRR computes ``show ip bgp json`` and ``show ip bgp summary json`` from the same state as the
text tables, so a text parse that disagrees with them is a parser bug. Used by the recorded
fixtures (``test_json_equivalence``) and against the live lab (``test_lab_equivalence``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from tasks.records import BgpSummary, BgpTable


def path_key(path: dict[str, Any]) -> tuple[Any, ...]:
    """The fields both the text and the json carry, as a sortable tuple."""
    return (
        path["prefix"],
        path["next_hop"],
        path["metric"],
        path["local_pref"],
        path["weight"],
        tuple(path["as_path"]),
        path["origin"],
        path["valid"],
        path["best"],
        path["multipath"],
        path["internal"],
    )


def table_from_json(text: str) -> tuple[str, int, list[tuple[Any, ...]]]:
    """(router id, local AS, sorted path keys) from ``show ip bgp json``."""
    data = json.loads(text)
    keys = []
    for network, paths in data.get("routes", {}).items():
        for p in paths:
            keys.append(
                (
                    network,
                    p["nexthops"][0]["ip"],
                    p.get("metric"),
                    p.get("locPrf"),
                    p["weight"],
                    tuple(int(n) for n in re.findall(r"\d+", p.get("path", ""))),
                    p["origin"],
                    bool(p.get("valid")),
                    bool(p.get("bestpath")),
                    bool(p.get("multipath")),
                    p.get("pathFrom") == "internal",
                )
            )
    return data["routerId"], data["localAS"], sorted(keys, key=repr)


def table_from_text(table: BgpTable) -> tuple[str | None, int | None, list[tuple[Any, ...]]]:
    """The same triple from a parsed ``BgpTable``."""
    keys = [path_key(dict(p)) for p in table["paths"]]
    return table["router_id"], table["local_as"], sorted(keys, key=repr)


def summary_from_json(text: str) -> tuple[str, int, list[tuple[Any, ...]]]:
    """(router id, local AS, neighbor tuples) from ``show ip bgp summary json``."""
    data = json.loads(text)["ipv4Unicast"]
    neighbors = []
    for address, peer in data["peers"].items():
        established = peer["state"] == "Established"
        neighbors.append(
            (
                address,
                peer["remoteAs"],
                peer["peerUptime"],
                peer["state"],
                established,
                peer["pfxRcd"] if established else None,
                peer["pfxSnt"],
            )
        )
    return data["routerId"], data["as"], sorted(neighbors)


def summary_from_text(summary: BgpSummary) -> tuple[str, int, list[tuple[Any, ...]]]:
    """The same triple from a parsed ``BgpSummary``."""
    neighbors = [
        (
            n["address"],
            n["remote_as"],
            n["up_down"],
            n["state"],
            n["established"],
            n["prefixes_received"],
            n["prefixes_sent"],
        )
        for n in summary["neighbors"]
    ]
    return summary["router_id"], summary["local_as"], sorted(neighbors)
