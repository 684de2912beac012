"""Post-change health of one router: its sessions and SAs up, nothing that was up went down.

Deploy captures :func:`snapshot` before applying and polls :func:`post_check` after; a change
is confirmed only when the post-check returns no problems. Output that cannot be parsed is a
problem too (never taken as healthy).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from tasks.collect import collect_sessions
from tasks.drivers.base import PlatformDriver
from tasks.errors import ParseError
from tasks.model.tunnel import LINK_LOCAL


@dataclass(frozen=True)
class Health:
    """What is up on a router: BGP neighbors Established and SAs installed, by name."""

    established: frozenset[str] = field(default_factory=frozenset)
    sas_up: frozenset[str] = field(default_factory=frozenset)
    advertising: frozenset[str] = field(default_factory=frozenset)


def read_health(driver: PlatformDriver) -> Health:
    summary, sas = collect_sessions(driver)
    up = [n for n in summary["neighbors"] if n["established"]]
    return Health(
        frozenset(n["address"] for n in up),
        frozenset(s["remote_address"] or s["connection"] for s in sas if s["up"]),
        # A release without the PfxSnt column cannot tell: count those as advertising.
        frozenset(n["address"] for n in up if n["prefixes_sent"] is None or n["prefixes_sent"]),
    )


def snapshot(driver: PlatformDriver) -> Health:
    """State before a change; a router with no BGP yet (factory state) has nothing up."""
    try:
        return read_health(driver)
    except ParseError:
        return Health()


def post_check(driver: PlatformDriver, before: object) -> list[str]:
    """Problems after a change ([] = healthy): every tunnel's SA and session, and no loss."""
    try:
        now = read_health(driver)
    except ParseError as exc:
        return [f"cannot read state: {exc}"]
    router = driver.router
    problems = []
    for tunnel in router.tunnels:
        if str(tunnel.outside_address) not in now.sas_up:
            problems.append(f"{tunnel.name}: no SA to {tunnel.outside_address}")
        peer = str(tunnel.aws_inside_address)
        if peer not in now.established:
            problems.append(f"{tunnel.name}: BGP {peer} not Established")
        elif peer not in now.advertising:
            # Established is not enough: AWS moves only once the default route was sent.
            problems.append(f"{tunnel.name}: nothing advertised to {peer} yet")
    if isinstance(before, Health):
        # A tunnel session the new intent no longer holds (its inside CIDR changed) was meant
        # to go: the toolkit removed it. Any other session that went down is a loss.
        peers = {str(t.aws_inside_address) for t in router.tunnels}
        dropped = {p for p in before.established if _aws_inside(p) and p not in peers}
        lost = sorted(
            (before.established - now.established - dropped) | (before.sas_up - now.sas_up)
        )
        problems.extend(f"was up before the change, now down: {item}" for item in lost)
    return sorted(set(problems))


def _aws_inside(address: str) -> bool:
    """A tunnel inside address (169.254.0.0/16): only the toolkit's VGW sessions live there."""
    try:
        return ipaddress.ip_address(address) in LINK_LOCAL
    except ValueError:
        return False
