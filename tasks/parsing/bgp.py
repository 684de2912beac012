"""Records from FRR/Quagga BGP output: the BGP table, the summary and one neighbor's detail."""

from __future__ import annotations

import re
from typing import Any

from tasks.errors import ParseError
from tasks.parsing.units import Builder, as_list, duration_s
from tasks.records import BgpNeighbor, BgpNeighborDetail, BgpPath, BgpSummary, BgpTable, Origin

#: The BGP table's column header; its indent is the width of the status lead of every row.
_TABLE_HEADER = re.compile(r"^( *)Network +Next Hop +Metric +LocPrf +Weight +Path *$", re.M)
_NOT_ROWS = ("Displayed", "Total number of prefixes", "No BGP prefixes")


def three_column_status(raw: str) -> str:
    """Rewrite a BGP table's rows to the 3-character status lead of FRR 7.5 / 8.4.

    FRR's ``route_vty_short_status_out`` (bgpd/bgp_route.c) prints, before the prefix:
    FRR 7.5 status, best, internal (3 characters; header indented 3); FRR 8.4 the same, plus an
    RPKI state ``V``/``I``/``N`` in front only when RPKI is in use (header still 3); FRR 9.x
    always an RPKI state or a space first (4; header indented 4); FRR 10.x that, then a space
    (5; header indented 5). VyOS 1.3 ships FRR 7.5, 1.4 FRR 9.x, 1.5 FRR 10.x. The RPKI state
    is dropped: nothing here judges it.
    """
    header = _TABLE_HEADER.search(raw)
    if header is None:
        return raw
    width = len(header[1])
    if width == 3 and not re.search(r"^[VIN]", raw[header.end() :], re.M):
        return raw
    head, rows = raw[: header.end()], raw[header.end() :].splitlines(keepends=True)
    out = [head]
    for line in rows:
        if not line.strip() or line.startswith(_NOT_ROWS):
            out.append(line)
        elif width == 3:
            out.append(line[1:] if line[:1] in "VIN" else line)
        else:
            out.append(line[1:4] + line[width:])
    return "".join(out)


_ORIGIN: dict[str, Origin] = {"i": "IGP", "e": "EGP", "?": "incomplete"}


def _int_or_none(text: str) -> int | None:
    text = text.strip()
    return int(text) if text else None


def _classful(prefix: str) -> str:
    """Add the mask Quagga leaves off a prefix on a classful boundary (``0.0.0.0`` is /0)."""
    if "/" in prefix:
        return prefix
    first = int(prefix.split(".")[0])
    if prefix == "0.0.0.0":
        length = 0
    elif first < 128:
        length = 8
    elif first < 192:
        length = 16
    else:
        length = 24
    return f"{prefix}/{length}"


def _path(row: dict[str, str], prefix: str) -> BgpPath:
    """Build one path; ``columns`` starts right after the next hop, whose field is 16 wide."""
    status = row["status"]
    cols = row["columns"]
    pad = max(16 - len(row["next_hop"]), 1)
    metric_end = pad + 10
    metric, local_pref = cols[:metric_end], cols[metric_end : metric_end + 7]
    weight_and_path = cols[metric_end + 7 :].split()
    if not weight_and_path or not all(tok.strip("{}(),").isdigit() for tok in weight_and_path):
        raise ValueError(f"unreadable columns {cols!r}")
    return {
        "prefix": prefix,
        "next_hop": row["next_hop"],
        "metric": _int_or_none(metric),
        "local_pref": _int_or_none(local_pref),
        "weight": int(weight_and_path[0]),
        "as_path": [int(n) for n in re.findall(r"\d+", " ".join(weight_and_path[1:]))],
        "origin": _ORIGIN[row["origin"]],
        "valid": "*" in status,
        "best": ">" in status,
        "multipath": "=" in status,
        "internal": status[2:] == "i",
        "stale": "S" in status,
        "suppressed": "s" in status,
        "damped": "d" in status,
        "history": "h" in status,
        "rib_failure": "r" in status,
        "removed": "R" in status,
    }


def bgp_table(found: dict[str, Any]) -> BgpTable:
    header = found.get("header") or {}
    footer = found.get("footer") or {}
    if isinstance(footer, list):
        raise ParseError("show ip bgp: more than one table footer")
    if not footer:
        raise ParseError("show ip bgp: no footer, the table is truncated")
    paths: list[BgpPath] = []
    prefix: str | None = None
    for row in as_list(found.get("paths")):
        if "prefix" in row:
            prefix = _classful(row["prefix"])
        if prefix is None:
            raise ParseError("show ip bgp: continuation row before any prefix")
        try:
            paths.append(_path(row, prefix))
        except ValueError as exc:
            raise ParseError(f"show ip bgp: {exc}") from exc
    if footer.get("empty"):
        if paths or int(footer["routes"]):
            raise ParseError("show ip bgp: 'No BGP prefixes displayed' beside rows")
        return {"router_id": None, "local_as": None, "paths": []}
    if not isinstance(header, dict) or "router_id" not in header:
        raise ParseError("show ip bgp: no table header")
    if int(footer["routes"]) != len({p["prefix"] for p in paths}):
        raise ParseError(
            f"show ip bgp: footer says {footer['routes']} prefixes, "
            f"{len({p['prefix'] for p in paths})} parsed"
        )
    local_as = header.get("local_as")
    return {
        "router_id": header["router_id"],
        "local_as": int(local_as) if local_as else None,
        "paths": paths,
    }


def _neighbor(row: dict[str, str]) -> BgpNeighbor:
    state_pfx = row["state_pfx"]
    established = state_pfx.isdigit()
    description = row.get("description")
    return {
        "address": row["address"],
        "remote_as": int(row["remote_as"]),
        "up_down": row["up_down"],
        "up_down_s": duration_s(row["up_down"]),
        "state": "Established" if established else state_pfx,
        "established": established,
        "prefixes_received": int(state_pfx) if established else None,
        "prefixes_sent": int(row["pfx_sent"]) if "pfx_sent" in row else None,
        "description": None if description in (None, "N/A") else description,
    }


def bgp_summary(found: dict[str, Any]) -> BgpSummary:
    header = found.get("header")
    footer = found.get("footer")
    if not isinstance(header, dict) or "router_id" not in header:
        raise ParseError("show ip bgp summary: no header")
    if not isinstance(footer, dict):
        raise ParseError("show ip bgp summary: no footer, the table is truncated")
    try:
        neighbors = [_neighbor(row) for row in as_list(found.get("neighbors"))]
    except ValueError as exc:
        raise ParseError(f"show ip bgp summary: {exc}") from exc
    if int(footer["neighbors"]) != len(neighbors):
        raise ParseError(
            f"show ip bgp summary: footer says {footer['neighbors']} neighbors, "
            f"{len(neighbors)} parsed"
        )
    return {
        "router_id": header["router_id"],
        "local_as": int(header["local_as"]),
        "neighbors": neighbors,
    }


def bgp_neighbor(found: dict[str, Any]) -> BgpNeighborDetail:
    rows = as_list(found.get("neighbor"))
    if len(rows) != 1:
        raise ParseError(f"show ip bgp neighbors: expected one neighbor, found {len(rows)}")
    row = rows[0]

    def number(key: str) -> int | None:
        return int(row[key]) if key in row else None

    return {
        "address": row["address"],
        "remote_as": int(row["remote_as"]),
        "local_as": int(row["local_as"]),
        "state": row["state"],
        "admin_down": bool(row.get("admin_down", False)),
        "hold_time": number("hold_time"),
        "keepalive": number("keepalive"),
        "configured_hold_time": number("configured_hold_time"),
        "configured_keepalive": number("configured_keepalive"),
    }


#: This module's builders by the name ``parsers/commands.yaml`` gives them.
BUILDERS: dict[str, Builder] = {
    "bgp_table": bgp_table,
    "bgp_summary": bgp_summary,
    "bgp_neighbor": bgp_neighbor,
}
