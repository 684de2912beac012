"""What the lab is doing: each BGP session and IPsec SA, and the VGW's chosen path."""

from __future__ import annotations

import re
from typing import Any, TypedDict

from tasks.lab import charon, frr
from tasks.lab.topology import LabError, Plan

_IKE = re.compile(r"^(?P<name>\S+): #\d+, (?P<state>[A-Z_]+), IKEv(?P<version>\d)", re.M)
_CHILD = re.compile(r"^\s+(?P<name>\S+): #\d+, reqid \d+, (?P<state>[A-Z_]+)", re.M)


class TunnelStatus(TypedDict):
    """One tunnel as both ends see it, e.g.::

    {"router": "r1", "tunnel": "tun1", "interface": "ipsec0", "ike": "ESTABLISHED",
     "child": "INSTALLED", "bgp_router": "Established", "bgp_vgw": "Established",
     "prefixes_received": 1}
    """

    router: str
    tunnel: str
    interface: str
    ike: str
    child: str
    bgp_router: str
    bgp_vgw: str
    prefixes_received: int


def sa_state(text: str) -> tuple[str, str]:
    """(IKE state, CHILD state) from ``swanctl --list-sas`` output; "none" when absent."""
    ike = _IKE.search(text)
    child = _CHILD.search(text)
    return (ike["state"] if ike else "none", child["state"] if child else "none")


def collect(plan: Plan) -> dict[str, Any]:
    from tasks.lab.box import aws_box, router_box, vgw_box
    from tasks.lab.start import vgw_best

    tunnels: list[TunnelStatus] = []
    for r in plan.routers:
        box = router_box(plan, r.name)
        try:
            peers = frr.bgp_peers(box)
        except LabError:
            peers = {}
        for t in r.tunnels:
            try:
                ike, child = sa_state(charon.swanctl(box, t.name, "--list-sas"))
            except LabError:
                ike, child = "unreachable", "unreachable"
            try:
                aws_peers = frr.bgp_peers(aws_box(plan, t))
            except LabError:
                aws_peers = {}
            mine = peers.get(str(t.aws_inside), {})
            theirs = aws_peers.get(str(t.local_inside), {})
            tunnels.append(
                TunnelStatus(
                    router=r.name,
                    tunnel=t.name,
                    interface=t.interface,
                    ike=ike,
                    child=child,
                    bgp_router=mine.get("state", "not configured"),
                    bgp_vgw=theirs.get("state", "none"),
                    prefixes_received=int(mine.get("pfxRcd", 0) or 0),
                )
            )
    try:
        best = vgw_best(plan)
        vgw_peers = {k: v.get("state") for k, v in frr.bgp_peers(vgw_box(plan)).items()}
    except LabError:
        best, vgw_peers = None, {}
    return {"tunnels": tunnels, "vgw_best": best, "vgw_ibgp": vgw_peers}


def report(data: dict[str, Any]) -> str:
    lines = [f"{'router':8}{'tunnel':8}{'if':8}{'IKE':13}{'CHILD':11}{'BGP (router)':15}BGP (VGW)"]
    for t in data["tunnels"]:
        lines.append(
            f"{t['router']:8}{t['tunnel']:8}{t['interface']:8}{t['ike']:13}{t['child']:11}"
            f"{t['bgp_router']:15}{t['bgp_vgw']}"
        )
    best = data.get("vgw_best")
    lines.append(
        f"VGW best path to 0.0.0.0/0: {best['router']} {best['tunnel']} (via {best['nexthop']})"
        if best
        else "VGW best path to 0.0.0.0/0: none"
    )
    return "\n".join(lines)
