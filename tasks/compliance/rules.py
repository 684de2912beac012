"""The policy rules: one function per rule id, judging a :class:`DeviceConfig`.

A rule yields a :class:`Hit` per offending object (a neighbor, a proposal, a tunnel) with the
offending value, or an :class:`Unjudged` when the config does not let it decide (a masked
address, a host missing from the inventory). It never yields a secret: the PSK rule compares
digests and names tunnels. Messages, severities, fix hints and parameters come from the
policy file, so tuning never needs a code change.

AWS facts behind the rules are in shared/DESIGN.md and :mod:`tasks.model`.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from tasks.compliance.config import (
    DeviceConfig,
    Neighbor,
    RouteMapEntry,
    as_int,
    as_interface,
    is_masked,
    psk_digest,
)
from tasks.model import AWS_RESERVED_INSIDE, LINK_LOCAL, Router

#: Symmetric key bits of a cipher (AEAD modes keep the key size of their cipher).
ENCRYPTION_BITS = {
    "des": 56, "3des": 112, "blowfish128": 128, "cast128": 128, "aes128": 128, "aes192": 192,
    "aes256": 256, "aes128gcm16": 128, "aes128gcm128": 128, "aes192gcm16": 192,
    "aes256gcm16": 256, "aes256gcm128": 256, "aes128ccm16": 128, "aes256ccm16": 256,
    "chacha20poly1305": 256, "camellia128": 128, "camellia256": 256,
}  # fmt: skip
#: Strength order of integrity / PRF algorithms.
INTEGRITY_RANK = {"md5": 0, "sha1": 1, "aesxcbc": 1, "sha256": 2, "sha384": 3, "sha512": 4}
#: Security strength in bits of each DH group (NIST SP 800-57 equivalents).
DH_BITS = {
    1: 64, 2: 80, 5: 96, 14: 112, 15: 128, 16: 152, 17: 176, 18: 192, 19: 128, 20: 192,
    21: 256, 22: 80, 23: 112, 24: 112, 25: 96, 26: 112, 31: 128, 32: 224,
}  # fmt: skip
AEAD = ("gcm", "ccm", "poly1305")


@dataclass(frozen=True)
class Hit:
    """One offending object: where it is and the value that offends (never a secret)."""

    where: str
    value: str
    detail: str = ""


@dataclass(frozen=True)
class Unjudged:
    """The rule could not decide for this config, and why (a masked value, missing data)."""

    reason: str


@dataclass
class RuleContext:
    """What a rule may know beside the config: its parameters and the inventory's view."""

    host: str
    params: Mapping[str, Any]
    router: Router | None = None
    mgmt_address: str | None = None
    #: (intended lines missing, extra running lines); None when there is no intended config.
    drift: tuple[int, int] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


Outcome = Hit | Unjudged
RuleFn = Callable[[DeviceConfig, RuleContext], Iterable[Outcome]]


@dataclass(frozen=True)
class Rule:
    """A rule implementation and what it needs to run."""

    id: str
    fn: RuleFn
    params: tuple[str, ...] = ()
    #: Needs a whole device config: rendered intended configs lack the management plane.
    needs_device: bool = False
    platforms: tuple[str, ...] = ("vyos", "frr")


REGISTRY: dict[str, Rule] = {}


def rule(
    rule_id: str,
    params: tuple[str, ...] = (),
    needs_device: bool = False,
    platforms: tuple[str, ...] = ("vyos", "frr"),
) -> Callable[[RuleFn], RuleFn]:
    """Register a rule function under its id."""

    def register(fn: RuleFn) -> RuleFn:
        REGISTRY[rule_id] = Rule(rule_id, fn, params, needs_device, platforms)
        return fn

    return register


# --- BGP -------------------------------------------------------------------------------------


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


# --- IPsec -----------------------------------------------------------------------------------


@rule("ipsec-weak-crypto", params=("encryption_floor", "integrity_floor", "dh_group_floor"))
def weak_crypto(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """IKE/ESP below the floor. AWS still accepts AES128, SHA1 and DH group 2, but AES256,
    SHA2-256 and DH 14+ are the strong choices; ESP without PFS is flagged too."""
    enc_floor = ENCRYPTION_BITS[ctx.params["encryption_floor"]]
    int_floor = INTEGRITY_RANK[ctx.params["integrity_floor"]]
    dh_floor = DH_BITS[int(ctx.params["dh_group_floor"])]
    for prop in cfg.proposals:
        weak: list[str] = []
        where = f"{prop.kind} {prop.group}"
        enc = (prop.encryption or "").lower()
        if enc in ENCRYPTION_BITS:
            if ENCRYPTION_BITS[enc] < enc_floor:
                weak.append(f"encryption {enc}")
        elif enc:
            yield Unjudged(f"{where}: unknown encryption {enc!r}")
        integ = (prop.integrity or "").lower()
        if integ in INTEGRITY_RANK:
            if INTEGRITY_RANK[integ] < int_floor:
                weak.append(f"integrity {integ}")
        elif integ:
            yield Unjudged(f"{where}: unknown integrity {integ!r}")
        elif not any(mode in enc for mode in AEAD):
            weak.append("integrity not set")
        if prop.dh_group == "none":
            weak.append("no PFS")
        elif prop.dh_group is None:
            weak.append("dh-group not set (platform default)")
        else:
            group = as_int(prop.dh_group)
            if group is None or group not in DH_BITS:
                yield Unjudged(f"{where}: unknown DH group {prop.dh_group!r}")
            elif DH_BITS[group] < dh_floor:
                weak.append(f"dh-group {group}")
        if weak:
            yield Hit(where, ", ".join(weak))


@rule("ipsec-dpd", params=("timeout_min", "actions"))
def dpd(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """Every IKE group needs DPD, or a dead tunnel keeps its BGP session until hold time and
    never re-establishes; AWS refuses a DPD timeout under 30 s."""
    groups = {p.group for p in cfg.proposals if p.kind == "ike"}
    groups.update(p.ike_group for p in cfg.peers if p.ike_group)
    by_group = {d.group: d for d in cfg.dpd}
    for group in sorted(groups):
        item = by_group.get(group)
        if item is None:
            yield Hit(f"ike {group}", "dead-peer-detection not configured")
            continue
        timeout = as_int(item.timeout)
        if timeout is not None and timeout < int(ctx.params["timeout_min"]):
            yield Hit(f"ike {group}", f"timeout {timeout}")
        if item.action is not None and item.action not in ctx.params["actions"]:
            yield Hit(f"ike {group}", f"action {item.action}")


# --- Tunnels ---------------------------------------------------------------------------------


@rule("tunnel-mtu", params=("mtu_max",))
def tunnel_mtu(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """AWS documents a tunnel MTU of 1399 for the worst case; larger packets fragment after
    encryption (the reference uses 1436)."""
    limit = int(ctx.params["mtu_max"])
    for tunnel in cfg.tunnels:
        mtu = as_int(tunnel.mtu)
        if tunnel.mtu is None:
            yield Hit(tunnel.name, "mtu not set (1500 default)")
        elif mtu is None:
            yield Unjudged(f"{tunnel.name}: mtu {tunnel.mtu!r}")
        elif mtu > limit:
            yield Hit(tunnel.name, f"mtu {mtu}")


@rule("tunnel-mss-clamp", params=("headroom",))
def mss_clamp(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """TCP MSS must be clamped below the tunnel MTU (MTU - 40 for IPv4 + TCP headers), or
    hosts that ignore ICMP black-hole large segments."""
    headroom = int(ctx.params["headroom"])
    for tunnel in cfg.tunnels:
        if tunnel.mss is None:
            yield Hit(tunnel.name, "no MSS clamp")
            continue
        if tunnel.mss == "rt mtu":
            continue  # clamped to the path MTU: always below the tunnel MTU
        mss, mtu = as_int(tunnel.mss), as_int(tunnel.mtu) or 1500
        if mss is None:
            yield Unjudged(f"{tunnel.name}: mss {tunnel.mss!r}")
        elif mss > mtu - headroom:
            yield Hit(tunnel.name, f"mss {mss} with mtu {mtu}")


@rule("tunnel-inside-cidr")
def inside_cidr(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """Inside addresses are /30s in 169.254.0.0/16, not AWS-reserved (169.254.0.0/30 to
    169.254.5.0/30, 169.254.169.252/30), one per tunnel."""
    seen: dict[ipaddress.IPv4Network, str] = {}
    for tunnel in cfg.tunnels:
        for text in tunnel.addresses:
            address = as_interface(text)
            if address is None:
                yield Unjudged(f"{tunnel.name}: address {text!r} cannot be read")
                continue
            net = address.network
            problem = ""
            if net.prefixlen != 30:
                problem = "not a /30"
            elif not net.subnet_of(LINK_LOCAL):
                problem = "outside 169.254.0.0/16"
            elif net in AWS_RESERVED_INSIDE:
                problem = "reserved by AWS"
            elif net in seen:
                problem = f"also used on {seen[net]}"
            seen.setdefault(net, tunnel.name)
            if problem:
                yield Hit(tunnel.name, text, problem)


# --- NAT and management plane ------------------------------------------------------------------


@rule("nat-covers-vpc", params=("vpc_networks",))
def nat_covers_vpc(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """Every VPC network must be source-NATed to the ISP, or its outbound traffic leaves with
    private addresses and is dropped. Networks come from the inventory, else the policy."""
    expected = [str(n) for n in ctx.router.vpc.networks] if ctx.router else []
    expected = expected or list(ctx.params["vpc_networks"])
    translating = [r for r in cfg.nat if r.translation]
    if not translating:
        yield Hit("nat source", "no source NAT rule")
        return
    if not expected:
        yield Unjudged("VPC networks unknown: host not in the inventory, vpc_networks empty")
        return
    sources, masked = [], False
    for rule_ in translating:
        for text in rule_.sources:
            try:
                sources.append(ipaddress.IPv4Network(text, strict=False))
            except ValueError:
                masked = True
    for text in expected:
        net = ipaddress.IPv4Network(text)
        if any(net.subnet_of(s) for s in sources):
            continue
        if masked:
            yield Unjudged(f"{text}: some NAT sources cannot be read")
        else:
            yield Hit("nat source", text, "VPC network not NATed")


def _in_prefixes(
    address: str, prefixes: list[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> bool:
    return any(ipaddress.ip_address(address) in p for p in prefixes)


@rule("ssh-management-only", params=("management_prefixes",), needs_device=True)
def ssh_management_only(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """SSH must listen only on management addresses (the inventory's host address or the
    policy's management prefixes), never on the ISP-facing or tunnel side."""
    if cfg.ssh_enabled is None:
        yield Unjudged("SSH configuration not collected")
        return
    if not cfg.ssh_enabled:
        return
    if not cfg.ssh_listen:
        yield Hit("service ssh", "listens on every address")
        return
    prefixes = [ipaddress.ip_network(p) for p in ctx.params["management_prefixes"]]
    if ctx.mgmt_address:
        with contextlib.suppress(ValueError):  # a DNS name: only the policy prefixes judge
            prefixes.append(ipaddress.ip_network(ctx.mgmt_address))
    for address in cfg.ssh_listen:
        if is_masked(address):
            yield Unjudged(f"listen-address {address!r} is masked")
            continue
        try:
            ok = _in_prefixes(address, prefixes)
        except ValueError:
            yield Unjudged(f"listen-address {address!r} is not an address")
            continue
        if not prefixes:
            yield Unjudged("no management prefixes known to judge listen addresses")
        elif not ok:
            yield Hit("service ssh", f"listen-address {address}")


@rule("ntp-configured", params=("min_servers",), needs_device=True)
def ntp_configured(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """Clocks must agree for logs, IKE certificate checks and incident timelines."""
    if cfg.platform == "frr" and not cfg.ntp_servers and "ntp" not in cfg.lines:
        yield Unjudged("NTP configuration not collected")
        return
    if len(cfg.ntp_servers) < int(ctx.params["min_servers"]):
        yield Hit("ntp", f"{len(cfg.ntp_servers)} server(s)")


@rule("syslog-configured", params=("require_remote",), needs_device=True)
def syslog_configured(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """Logs must leave the router (a failed router takes local logs with it)."""
    if cfg.platform == "frr" and "syslog" not in cfg.lines:
        yield Unjudged("syslog configuration not collected")
        return
    if cfg.syslog_remote:
        return
    if ctx.params["require_remote"]:
        yield Hit("syslog", "local only" if cfg.syslog_local else "not configured")
    elif not cfg.syslog_local:
        yield Hit("syslog", "not configured")


@rule("commit-revisions", params=("min_revisions",), platforms=("vyos",))
def commit_revisions(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """VyOS keeps old commits only when asked; without them there is nothing to roll back to."""
    kept = as_int(cfg.commit_revisions)
    if cfg.commit_revisions is None:
        yield Hit("system config-management", "commit-revisions not set")
    elif kept is None:
        yield Unjudged(f"commit-revisions {cfg.commit_revisions!r}")
    elif kept < int(ctx.params["min_revisions"]):
        yield Hit("system config-management", f"commit-revisions {kept}")


# --- Secrets ---------------------------------------------------------------------------------


@rule("psk-default-or-reused", params=("default_keys",))
def psk_default_or_reused(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """Each tunnel needs its own non-default key. Keys are compared as in-memory digests;
    a finding names tunnels, never a key. Reuse across routers is :func:`psk_fleet`."""
    defaults = {psk_digest(k) for k in ctx.params["default_keys"]}
    by_key: dict[str, list[str]] = defaultdict(list)
    for peer in cfg.peers:
        if peer.psk in ("absent", "masked"):
            yield Unjudged(f"peer {peer.name}: key {peer.psk}")
            continue
        if peer.psk in defaults:
            yield Hit(f"peer {peer.name}", "a well-known default key")
        by_key[peer.psk].append(peer.name)
    for names in by_key.values():
        if len(names) > 1:
            yield Hit("peers " + ", ".join(sorted(names)), "same key on several tunnels")


def psk_fleet(configs: Iterable[DeviceConfig]) -> dict[str, list[Hit]]:
    """Keys shared between routers: host to hits naming the other routers' tunnels."""
    owners: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for cfg in configs:
        for peer in cfg.peers:
            if peer.psk not in ("absent", "masked"):
                owners[peer.psk].append((cfg.host, peer.name))
    hits: dict[str, list[Hit]] = defaultdict(list)
    for users in owners.values():
        hosts = {h for h, _ in users}
        if len(hosts) < 2:
            continue
        for host, peer_name in users:
            others = ", ".join(sorted(f"{h}/{p}" for h, p in users if h != host))
            hits[host].append(Hit(f"peer {peer_name}", f"same key as {others}"))
    return hits


# --- Drift and checks that could not run --------------------------------------------------------


@rule("config-drift")
def config_drift(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """The running config differs from the rendered intended config inside what this toolkit
    manages: someone changed the router by hand, or a deploy did not finish."""
    if ctx.drift is None:
        yield Unjudged("nothing to compare: host not in the inventory, or no running config")
        return
    missing, extra = ctx.drift
    if missing or extra:
        yield Hit("config", f"{missing} intended line(s) missing, {extra} extra")


@rule("check-failed")
def check_failed(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """Placeholder: the engine raises this finding itself when a host cannot be fetched or
    parsed, so an unreachable router is never reported as compliant."""
    return iter(())


# Rules kept in modules of their own register when this registry is imported (last, so the
# names they import from here exist).
from tasks.compliance import export_filter as _export_filter  # noqa: E402, F401
from tasks.compliance import health as _health  # noqa: E402, F401
