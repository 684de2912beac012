"""NAT and management-plane rules: source NAT, SSH listeners, NTP, syslog, commit revisions."""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Iterator

from tasks.compliance.config import DeviceConfig, as_int, is_masked
from tasks.compliance.rules import Hit, Outcome, RuleContext, Unjudged, rule


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
