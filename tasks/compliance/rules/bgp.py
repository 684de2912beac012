"""BGP rules: weight, the backup's preference to AWS, tunnel redundancy, prepends, timers."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from tasks.compliance.config import DeviceConfig, Neighbor, RouteMapEntry, as_int
from tasks.compliance.rules import Hit, Outcome, RuleContext, Unjudged, rule
from tasks.model.tunnel import LINK_LOCAL


@rule("bgp-weight-as-preference")
def weight_as_preference(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """Weight is local to the router that sets it: AWS never sees it, so it cannot make a
    router a backup. Any weight on a route-map or neighbor is flagged."""
    for entry in cfg.route_maps:
        if entry.weight is not None:
            yield Hit(f"route-map {entry.name} rule {entry.seq}", f"set weight {entry.weight}")
    for nbr in cfg.bgp.neighbors:
        if nbr.weight is not None:
            yield Hit(f"neighbor {nbr.address}", f"weight {nbr.weight}")


@rule("bgp-weight-range")
def weight_range(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """BGP weight is 0..65535; a device rejects or truncates anything else (65536 in the
    reference design)."""
    found = [(f"route-map {e.name} rule {e.seq}", e.weight) for e in cfg.route_maps]
    found += [(f"neighbor {n.address}", n.weight) for n in cfg.bgp.neighbors]
    for where, weight in found:
        if weight is None:
            continue
        number = as_int(weight)
        if number is None:
            yield Unjudged(f"{where}: weight {weight!r} is not a number")
        elif not 0 <= number <= 65535:
            yield Hit(where, f"weight {weight}")


def _export_entries(cfg: DeviceConfig) -> list[RouteMapEntry]:
    names = set(cfg.bgp.origin_maps)
    for nbr in cfg.bgp.neighbors:
        names.update(nbr.export_maps)
    return [e for e in cfg.route_maps if e.name in names and e.action != "deny"]


@rule("bgp-backup-preference", params=("require_prepend",))
def backup_preference(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """A backup must be less preferred *to AWS*: AS-path prepend (decisive on a VGW) and/or
    MED on the routes it advertises; a primary must not be. Needs the inventory's role."""
    if ctx.router is None:
        yield Unjudged("role unknown: host is not in the inventory")
        return
    entries = _export_entries(cfg)
    prepends = [len(e.prepend.split()) for e in entries if e.prepend]
    meds = [as_int(m) for m in [e.metric for e in entries] + cfg.bgp.origin_metrics if m]
    prepend = max(prepends, default=0)
    med = max((m for m in meds if m is not None), default=0)
    value = f"prepend x{prepend}, MED {med}"
    if ctx.router.role == "primary":
        if prepend:
            yield Hit("routes to AWS", value, "a primary must not prepend")
        return
    if prepend == 0 and (med == 0 or ctx.params["require_prepend"]):
        yield Hit("routes to AWS", value, f"backup rank {ctx.router.rank} is not less preferred")
    elif prepend and prepend < ctx.router.prepend_count:
        yield Hit(
            "routes to AWS",
            value,
            f"rank {ctx.router.rank} expects {ctx.router.prepend_count} prepends: "
            "N+k ordering may be wrong",
        )


def vgw_neighbors(cfg: DeviceConfig) -> list[Neighbor]:
    """The BGP sessions over VPN tunnels: inside addresses are in 169.254.0.0/16."""
    found = []
    for nbr in cfg.bgp.neighbors:
        try:
            if ipaddress.ip_address(nbr.address) in LINK_LOCAL:
                found.append(nbr)
        except ValueError:
            continue
    return found


@rule("vpn-tunnel-redundancy")
def tunnel_redundancy(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """An AWS Site-to-Site VPN connection has two tunnels, and AWS replaces their endpoints one
    at a time for maintenance: a router with only one of them configured loses its path to
    the VGW at every such replacement. One eBGP session runs per tunnel, so an odd number of
    VGW sessions (or an inventory entry with one tunnel) means a connection is half built."""
    sessions = vgw_neighbors(cfg)
    if ctx.router is not None and len(ctx.router.tunnels) == 1:
        yield Hit("inventory", "1 tunnel", "the VPN connection's second tunnel is not configured")
    elif len(sessions) % 2:
        yield Hit(
            "VGW sessions",
            f"{len(sessions)} tunnel session(s): {', '.join(n.address for n in sessions)}",
            "a VPN connection has only one of its two tunnels configured",
        )


@rule("bgp-prepend-per-tunnel")
def prepend_per_tunnel(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """AWS asks that both tunnels of a connection advertise the same AS_PATH, so its own MED
    steering between them still works during tunnel maintenance: prepend per router, never
    per tunnel. Flags VGW sessions whose export route-maps prepend differently."""
    maps: dict[str, list[RouteMapEntry]] = {}
    for entry in cfg.route_maps:
        if entry.action != "deny":
            maps.setdefault(entry.name, []).append(entry)
    prepends: dict[str, str] = {}
    for nbr in vgw_neighbors(cfg):
        found = [e.prepend for name in nbr.export_maps for e in maps.get(name, []) if e.prepend]
        prepends[nbr.address] = " ".join(found) or "none"
    if len(set(prepends.values())) > 1:
        yield Hit(
            "VGW sessions",
            "; ".join(f"{peer}: {value}" for peer, value in sorted(prepends.items())),
            "the tunnels advertise different AS-path prepends",
        )


@rule("bgp-keepalive-holdtime")
def keepalive_holdtime(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """Keepalive at most a third of the hold time, or one lost keepalive drops the session
    (the reference sets keepalive 30 with holdtime 30)."""
    for nbr in cfg.bgp.neighbors:
        if nbr.keepalive is None and nbr.holdtime is None:
            continue
        keepalive, holdtime = as_int(nbr.keepalive), as_int(nbr.holdtime)
        if keepalive is None or holdtime is None:
            yield Unjudged(f"neighbor {nbr.address}: timers not both set or not numbers")
        elif holdtime != 0 and keepalive * 3 > holdtime:
            yield Hit(f"neighbor {nbr.address}", f"keepalive {keepalive}, holdtime {holdtime}")


@rule("bgp-holdtime-aws", params=("holdtime", "default_holdtime"))
def holdtime_aws(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """AWS's generated configs use holdtime 30: a longer one only slows failover, since
    BGP settles on the lower of the two."""
    expected = int(ctx.params["holdtime"])
    for nbr in cfg.bgp.neighbors:
        holdtime = as_int(nbr.holdtime)
        if nbr.holdtime is None:
            holdtime = int(ctx.params["default_holdtime"])
            shown = f"not set (default {holdtime})"
        elif holdtime is None:
            yield Unjudged(f"neighbor {nbr.address}: holdtime {nbr.holdtime!r}")
            continue
        else:
            shown = f"holdtime {holdtime}"
        if holdtime != expected:
            yield Hit(f"neighbor {nbr.address}", shown)
