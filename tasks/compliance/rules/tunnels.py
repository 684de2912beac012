"""Tunnel interface rules: MTU, TCP MSS clamp, inside addresses."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from tasks.compliance.config import DeviceConfig, as_int, as_interface
from tasks.compliance.rules import Hit, Outcome, RuleContext, Unjudged, rule
from tasks.model.tunnel import AWS_RESERVED_INSIDE, LINK_LOCAL


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
