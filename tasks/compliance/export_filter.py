"""Rule ``bgp-export-filter``: what a router may send AWS is filtered to the design's routes.

The design advertises only :data:`tasks.aws.design.ADVERTISED` (0.0.0.0/0) to the VGW. Without
an export filter a router sends whatever its BGP table holds (``redistribute static``, routes
learned elsewhere): they propagate into the VPC's route tables and pull that traffic to the
router, and more than 100 prefixes on one VPN session makes AWS reset it to Idle
(shared/DESIGN.md). So every VGW session (inside address in 169.254.0.0/16) must have an export
route-map (``TO-AWS`` as rendered) whose every permit rule matches a prefix-list that permits
only the design's prefixes, exactly (``0.0.0.0/0 le 32`` permits every route).

Read from the config's canonical lines (:attr:`DeviceConfig.lines`), one reader per form:
VyOS ``set policy route-map|prefix-list ...`` (both VyOS forms canonicalise to these) and
FRR's ``ip prefix-list`` / ``route-map ... > match ...`` lines.
"""

from __future__ import annotations

import ipaddress
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field

from tasks.aws.design import ADVERTISED
from tasks.compliance.config import DeviceConfig, Neighbor, is_masked
from tasks.compliance.rules import Hit, Outcome, RuleContext, Unjudged, rule
from tasks.compliance.rules.bgp import vgw_neighbors


@dataclass
class PrefixRule:
    action: str = "permit"
    prefix: str | None = None
    ge: str | None = None
    le: str | None = None


@dataclass
class MapRule:
    action: str | None = None
    prefix_lists: list[str] = field(default_factory=list)
    other_matches: list[str] = field(default_factory=list)


@dataclass
class Policy:
    prefix_lists: dict[str, dict[str, PrefixRule]] = field(default_factory=dict)
    route_maps: dict[str, dict[str, MapRule]] = field(default_factory=dict)


def _words(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError:
        return line.split()


def _vyos(lines: list[str], policy: Policy) -> None:
    for line in lines:
        w = _words(line)
        if w[:3] == ["set", "policy", "prefix-list"] and len(w) >= 8 and w[4] == "rule":
            entry = policy.prefix_lists.setdefault(w[3], {}).setdefault(w[5], PrefixRule())
            if w[6] in ("action", "prefix", "ge", "le"):
                setattr(entry, w[6], w[7])
        elif w[:3] == ["set", "policy", "route-map"] and len(w) >= 8 and w[4] == "rule":
            item = policy.route_maps.setdefault(w[3], {}).setdefault(w[5], MapRule())
            if w[6] == "action":
                item.action = w[7]
            elif w[6] == "match":
                if w[7:10] == ["ip", "address", "prefix-list"] and len(w) > 10:
                    item.prefix_lists.append(w[10])
                else:
                    item.other_matches.append(" ".join(w[7:]))


def _frr(lines: list[str], policy: Policy) -> None:
    for line in lines:
        head, _, inner = line.partition(" > ")
        w = head.split()
        if w[:2] == ["ip", "prefix-list"] and len(w) >= 4:
            seq = (
                w[4]
                if w[3] == "seq" and len(w) > 4
                else str(len(policy.prefix_lists.get(w[2], {})))
            )
            rest = w[5:] if w[3] == "seq" else w[3:]
            if len(rest) >= 2:
                entry = PrefixRule(rest[0], rest[1])
                for key, value in zip(rest[2::2], rest[3::2], strict=False):
                    if key in ("ge", "le"):
                        setattr(entry, key, value)
                policy.prefix_lists.setdefault(w[2], {})[seq] = entry
        elif w[:1] == ["route-map"] and len(w) >= 4:
            item = policy.route_maps.setdefault(w[1], {}).setdefault(w[3], MapRule(action=w[2]))
            m = inner.split()
            if m[:1] == ["match"]:
                if m[1:4] == ["ip", "address", "prefix-list"] and len(m) > 4:
                    item.prefix_lists.append(m[4])
                else:
                    item.other_matches.append(" ".join(m[1:]))


def read_policy(cfg: DeviceConfig) -> Policy:
    """The prefix-lists and route-maps of a config, from its canonical lines."""
    policy = Policy()
    for name, lines in cfg.lines.items():
        if cfg.platform == "vyos":
            _vyos(lines, policy)
        elif name == "frr.conf":
            _frr(lines, policy)
    return policy


def _seq(key: str) -> int:
    return int(key) if key.isdigit() else 0


def _too_wide(name: str, policy: Policy) -> str | None:
    """Why prefix-list ``name`` permits more than the design's prefixes; None when it does not."""
    rules = policy.prefix_lists.get(name)
    if not rules:
        return f"prefix-list {name} is not defined"
    for seq in sorted(rules, key=_seq):
        entry = rules[seq]
        if entry.action != "permit":
            continue
        if entry.prefix not in ADVERTISED:
            return f"prefix-list {name} rule {seq} permits {entry.prefix}"
        length = str(ipaddress.ip_network(entry.prefix).prefixlen)
        if entry.ge or (entry.le and entry.le != length):
            extra = " ".join(f"{k} {v}" for k, v in (("ge", entry.ge), ("le", entry.le)) if v)
            return f"prefix-list {name} rule {seq} permits {entry.prefix} {extra} (every route)"
    return None


def _vgw_sessions(cfg: DeviceConfig) -> tuple[list[Neighbor], bool]:
    """VGW neighbors (link-local), and whether masked neighbors stood in for them."""
    found = vgw_neighbors(cfg)
    if found:
        return found, False
    masked = [n for n in cfg.bgp.neighbors if is_masked(n.address)]
    return masked, bool(masked)


@rule("bgp-export-filter")
def export_filter(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """Every VGW session has an export route-map whose permit rules match only prefix-lists
    that permit only the design's prefixes (0.0.0.0/0, exactly); anything else may send AWS
    more than the design (over 100 prefixes resets the session)."""
    sessions, masked = _vgw_sessions(cfg)
    if not sessions:
        if cfg.bgp.neighbors:
            yield Unjudged("no VGW session (169.254.0.0/16 neighbor) to judge")
        return
    policy = read_policy(cfg)
    note = " (address masked: judged as a VGW session)" if masked else ""
    for nbr in sessions:
        where = f"neighbor {nbr.address}{note}"
        if not nbr.export_maps:
            yield Hit(where, "no export route-map",
                      "every route in the BGP table may be sent to AWS")  # fmt: skip
            continue
        for name in nbr.export_maps:
            rules = policy.route_maps.get(name)
            if not rules:
                yield Hit(where, f"route-map {name} is not defined", "")
                continue
            for seq in sorted(rules, key=_seq):
                item = rules[seq]
                if item.action != "permit":
                    continue
                if item.other_matches or not item.prefix_lists:
                    matches = "; ".join(item.other_matches) or "everything"
                    yield Hit(where, f"route-map {name} rule {seq} permits {matches}",
                              f"not a prefix-list of {', '.join(ADVERTISED)} only")  # fmt: skip
                    continue
                for plist in item.prefix_lists:
                    why = _too_wide(plist, policy)
                    if why:
                        yield Hit(where, f"route-map {name} rule {seq}: {why}", "")
