"""Op-mode answers of a healthy VyOS router, made from its active config (a :class:`VyosCli`).

NOT recorded output: text in the layouts of the programs VyOS runs, so a scripted router's
``show`` answers follow its config (a failover drain shows up in ``advertised-routes``):

- BGP tables and summaries: FRR's ``bgpd/bgp_route.c`` / ``bgp_vty.c`` at the release each VyOS
  ships (``FRR``: 7.5 in 1.3, 9.1 in 1.4, 10.1 in 1.5): the status lead of
  ``route_vty_short_status_out`` (3, 4 or 5 characters), ``BGP_SHOW_*_HEADER`` lines, the
  prefix column of 17 and next hop of 16 (``route_vty_out_route`` / ``route_vty_out``), metric
  ``%10u``, LocPrf ``%7u``, Weight ``%7u``; footers "Total number of prefixes N" (adj-rib-out)
  and "Displayed  N routes and M total paths" (one space from FRR 10).
- ``show vpn ipsec sa``: vyos-1x ``show_ipsec_sa.py`` (1.3) / ``ipsec.py show_sa`` (1.4), tabulate
  "simple" with 8 columns (BEHAVIOUR.md section 3); 1.3 names VTI children
  ``peer-<ip>-tunnel-vti`` and prints Remote ID ``N/A`` when it equals the address, 1.4 names
  them ``<peer>-vti`` and prints the ID as is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tasks.lab.vyos.cli import Entry, VyosCli

FRR = {"1.3": "7.5", "1.4": "9.1", "1.5": "10.1"}

SCODE = (
    "Status codes:  s suppressed, d damped, h history, * valid, > best, = multipath,\n"
    "               i internal, r RIB-failure, S Stale, R Removed\n"
)
SCODE_10 = (
    "Status codes:  s suppressed, d damped, h history, u unsorted, * valid, > best, = multipath,\n"
    "               i internal, r RIB-failure, S Stale, R Removed\n"
)
NCODE = "Nexthop codes: @NNN nexthop's vrf id, < announce-nh-self\n"
RPKI = "RPKI validation codes: V valid, I invalid, N Not found\n\n"
COLUMNS = "Network          Next Hop            Metric LocPrf Weight Path\n"


def lead(frr: str, status: str, rpki: str = " ") -> str:
    """The status lead before the prefix (``status`` is FRR 7.5's 3 characters)."""
    if frr == "7.5":
        return status
    if frr == "8.4":
        return (rpki.strip() or "") + status
    if frr.startswith("9."):
        return rpki + status
    return rpki + status + " "


def header(frr: str, router_id: str, asn: int, version: int = 3) -> str:
    """``BGP table version ...`` down to the column header, as that FRR prints it."""
    head = (
        f"BGP table version is {version}, local router ID is {router_id}, vrf id 0\n"
        f"Default local pref 100, local AS {asn}\n"
    )
    if frr == "7.5":
        return (
            head
            + SCODE
            + NCODE
            + "Origin codes:  i - IGP, e - EGP, ? - incomplete\n\n"
            + ("   " + COLUMNS)
        )
    indent = {"8.4": 3}.get(frr, 4 if frr.startswith("9.") else 5)
    scode = SCODE_10 if frr.startswith("10.") else SCODE
    origin = "Origin codes:  i - IGP, e - EGP, ? - incomplete\n"
    return head + scode + NCODE + origin + RPKI + " " * indent + COLUMNS


def row(
    frr: str,
    status: str,
    prefix: str | None,
    next_hop: str,
    metric: int | None,
    local_pref: int | None,
    weight: int,
    path: str,
    origin: str = "i",
    rpki: str = " ",
) -> str:
    """One path, in route_vty_out's columns; ``prefix`` None continues the prefix above."""
    network = (prefix or "").ljust(17)
    cols = (
        next_hop.ljust(16)
        + (f"{metric:10d}" if metric is not None else " " * 10)
        + (f"{local_pref:7d}" if local_pref is not None else " " * 7)
        + f"{weight:7d} "
        + (f"{path} " if path else "")
        + origin
    )
    return lead(frr, status, rpki) + network + cols + "\n"


def displayed(frr: str, routes: int, paths: int) -> str:
    gap = " " if frr.startswith("10.") else "  "
    return f"\nDisplayed{gap}{routes} routes and {paths} total paths\n"


# ---- from a router's config -------------------------------------------------------------
def _bgp_base(cli: VyosCli) -> Entry:
    bases = {
        e[:3] if e[2].isdigit() else e[:2] for e in cli.active if e[:2] == ("protocols", "bgp")
    }
    return sorted(bases, key=len)[-1] if bases else ("protocols", "bgp")


def _value(cli: VyosCli, *path: str) -> str | None:
    return next(
        (e[len(path)] for e in cli.active if e[: len(path)] == path and len(e) > len(path)), None
    )


def _asn(cli: VyosCli) -> int:
    base = _bgp_base(cli)
    return (
        int(base[2]) if len(base) == 3 else int(_value(cli, "protocols", "bgp", "system-as") or 0)
    )


def neighbors(cli: VyosCli) -> dict[str, dict[str, str | bool]]:
    """The BGP neighbors of the active config: address -> remote AS, shut down or not."""
    base = (*_bgp_base(cli), "neighbor")
    out: dict[str, dict[str, str | bool]] = {}
    for e in sorted(cli.active):
        if e[: len(base)] == base and len(e) > len(base) + 1:
            n = out.setdefault(e[len(base)], {"remote_as": "", "shutdown": False})
            if e[len(base) + 1] == "remote-as":
                n["remote_as"] = e[len(base) + 2]
            if e[len(base) + 1] == "shutdown":
                n["shutdown"] = True
    return out


def summary(cli: VyosCli, uptime: str = "00:19:02") -> str:
    """``show ip bgp summary`` (FRR 7.5 has PfxSnt but no Desc; 9.x and 10.x both)."""
    frr = FRR[cli.version]
    if not any(e[:2] == ("protocols", "bgp") for e in cli.active):
        return "% No BGP process is configured"  # bgp_vty.c: no BGP instance (factory state)
    router_id = _value(cli, *_bgp_base(cli), "parameters", "router-id") or "0.0.0.0"
    asn = _asn(cli)
    vrf = " VRF default" if frr.startswith("10.") else ""
    lines = [
        "",
        "IPv4 Unicast Summary:",
        f"BGP router identifier {router_id}, local AS number {asn}{vrf} vrf-id 0",
        "BGP table version 3",
        "RIB entries 3, using 576 bytes of memory",
        "Peers 2, using 43 KiB of memory",
        "",
        "Neighbor        V         AS   MsgRcvd   MsgSent   TblVer  InQ OutQ  Up/Down State/PfxRcd"
        "   PfxSnt" + ("" if frr == "7.5" else " Desc"),
    ]
    found = neighbors(cli)
    for address, n in found.items():
        state = "Idle (Admin)" if n["shutdown"] else "1"
        up = "00:00:05" if n["shutdown"] else uptime
        sent = "0" if n["shutdown"] else "1"
        line = (
            f"{address:<16}4 {n['remote_as']:>10} {120:>9} {118:>9} {0:>8} {0:>4} {0:>4} "
            f"{up:>8} {state:>12} {sent:>8}"
        )
        lines.append(line + ("" if frr == "7.5" else " N/A"))
    lines += ["", f"Total number of neighbors {len(found)}"]
    return "\n".join(lines)


def advertised(cli: VyosCli, peer: str) -> str:
    """``show ip bgp neighbors X advertised-routes``: 0.0.0.0/0 after route-map TO-AWS."""
    frr = FRR[cli.version]
    if neighbors(cli).get(peer, {}).get("shutdown"):
        return ""
    base = ("policy", "route-map", "TO-AWS", "rule", "10", "set")
    prepend = _value(cli, *base, "as-path", "prepend") or _value(cli, *base, "as-path-prepend")
    metric = int(_value(cli, *base, "metric") or 0)
    router_id = _value(cli, *_bgp_base(cli), "parameters", "router-id") or "0.0.0.0"
    body = row(frr, "*> ", "0.0.0.0/0", "0.0.0.0", metric, None, 32768, prepend or "")
    return header(frr, router_id, _asn(cli)) + body + "\nTotal number of prefixes 1\n"


def received(cli: VyosCli, peer: str, networks: list[str], vgw_asn: int = 64512) -> str:
    """``show ip bgp neighbors X routes``: the VPC networks, as a VGW sends them (MED 100)."""
    frr = FRR[cli.version]
    if neighbors(cli).get(peer, {}).get("shutdown"):
        return ""
    router_id = _value(cli, *_bgp_base(cli), "parameters", "router-id") or "0.0.0.0"
    rows = "".join(row(frr, "*> ", net, peer, 100, None, 0, str(vgw_asn)) for net in networks)
    return header(frr, router_id, _asn(cli)) + rows + displayed(frr, len(networks), len(networks))


def ipsec_sa(cli: VyosCli) -> str:
    """``show vpn ipsec sa``: every configured peer up, in that version's naming."""
    peers = sorted({e[4] for e in cli.active if e[:4] == ("vpn", "ipsec", "site-to-site", "peer")})
    rows = []
    for peer in peers:
        remote = _value(cli, "vpn", "ipsec", "site-to-site", "peer", peer, "remote-address") or peer
        if cli.version == "1.3":
            name, remote_id = f"peer-{peer}-tunnel-vti", "N/A"
        else:
            name, remote_id = f"{peer}-vti", remote
        rows.append(
            (name, "up", "1h2m3s", "7M/9M", "12K/15K", remote, remote_id,
             "AES_CBC_256/HMAC_SHA2_256_128/MODP_2048")
        )  # fmt: skip
    return sa_table(rows)


#: ``show vpn ipsec sa``'s columns, 1.3 and 1.4 alike (BEHAVIOUR.md section 3).
SA_HEADS = ("Connection", "State", "Uptime", "Bytes In/Out", "Packets In/Out", "Remote address",
            "Remote ID", "Proposal")  # fmt: skip


def sa_table(rows: Sequence[tuple[str, ...]]) -> str:
    """The rows in tabulate's "simple" layout, as both versions print them (all text columns,
    left aligned; a table without rows is its header)."""
    heads = SA_HEADS
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(heads)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*heads).rstrip(), "  ".join("-" * w for w in widths)]
    lines += [fmt.format(*r).rstrip() for r in rows]
    return "\n".join(lines)


def neighbor_detail(cli: VyosCli, peer: str) -> str:
    """``show ip bgp neighbors X``: the lines verify reads (bgp_vty.c; 7.5 omits "seconds"
    after the hold time)."""
    frr = FRR[cli.version]
    n = neighbors(cli)[peer]
    base = (*_bgp_base(cli), "neighbor", peer, "timers")
    hold = _value(cli, *base, "holdtime") or "180"
    keep = _value(cli, *base, "keepalive") or "60"
    unit = "" if frr == "7.5" else " seconds"
    lines = [f"BGP neighbor is {peer}, remote AS {n['remote_as']}, local AS {_asn(cli)}, "
             "external link"]  # fmt: skip
    if n["shutdown"]:
        lines += [" Administratively shut down", "  BGP state = Idle"]
    else:
        lines += ["  BGP version 4, remote router ID 10.255.0.1, local router ID 198.51.100.10",
                  "  BGP state = Established, up for 00:19:02",
                  f"  Hold time is {hold}{unit}, keepalive interval is {keep} seconds"]  # fmt: skip
    lines.append(f"  Configured hold time is {hold}{unit}, keepalive interval is {keep} seconds")
    return "\n".join(lines) + "\n"


def answer(cli: VyosCli, line: str, networks: list[str]) -> str | None:
    """The op-mode answer verify's commands get from a healthy router of ``cli``'s config."""
    if line == "show ip bgp summary":
        return summary(cli)
    if line == "show vpn ipsec sa":
        return ipsec_sa(cli)
    single = re.fullmatch(r"show ip bgp neighbors (\S+)", line)
    if single and single[1] in neighbors(cli):
        return neighbor_detail(cli, single[1])
    match = re.fullmatch(r"show ip bgp neighbors (\S+) (advertised-routes|routes)", line)
    if match and match[1] in neighbors(cli):
        if match[2] == "advertised-routes":
            return advertised(cli, match[1])
        return received(cli, match[1], networks)
    return None


def healthy_router(cli: VyosCli, networks: list[str]) -> None:
    """Make ``cli`` answer verify's show commands like a healthy router of its config."""
    cli.show["*"] = lambda c, line: answer(c, line, networks)
