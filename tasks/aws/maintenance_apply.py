"""``aws.py maintenance apply``: one tunnel, make-before-break, proved afterwards.

1. Find the tunnel (connection id + outside address, or inventory router + tunnel) and ask
   whether maintenance is pending; nothing pending: nothing to do.
2. Refuse when applying would break traffic (:func:`refusal`: the primary, undrained); warn
   when the router would be left without a tunnel (:func:`caution`).
3. Without ``yes``: say what would be done and stop (a dry run, exit 0).
4. Drain the primary if asked (:mod:`tasks.aws.drain`), ``ReplaceVpnTunnel`` with
   ``ApplyPendingMaintenance``, wait (bounded) until ``VgwTelemetry`` says the tunnel is UP
   again, restore the drain, then run verify for the router's VPC (injected, so tests stay off
   the network). Exit codes: :data:`tasks.aws.maintenance.EXIT_CODES`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from tasks.aws import maintenance as m
from tasks.aws.connections import owner_of, telemetry_of, vgw_connections
from tasks.aws.drain import Drain
from tasks.aws.session import describe_error
from tasks.model import Router

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """The tunnel an apply acts on, with its connection (keys dropped) and owner."""

    conn: dict[str, Any]
    outside_ip: str
    router: Router | None
    tunnel: str | None

    @property
    def vpn_connection_id(self) -> str:
        return str(self.conn["VpnConnectionId"])

    @property
    def label(self) -> str:
        who = f"{self.router.name} {self.tunnel}" if self.router else "no inventory router"
        return f"{self.vpn_connection_id} {self.outside_ip} ({who})"

    def other_tunnels_up(self) -> bool:
        others = [
            t
            for t in self.conn.get("VgwTelemetry", [])
            if t.get("OutsideIpAddress") != self.outside_ip
        ]
        return bool(others) and all(t.get("Status") == "UP" for t in others)


def find_target(
    ec2: Any,
    vgw_id: str,
    routers: Sequence[Router],
    *,
    vpn_connection_id: str | None = None,
    outside_ip: str | None = None,
    router: str | None = None,
    tunnel: str | None = None,
) -> Target:
    """The tunnel named by connection id + outside address, or by inventory router + tunnel.

    Raises:
        m.MaintenanceError: the names match nothing (exit 2), or AWS could not be asked (3).
    """
    if router:
        found = next((r for r in routers if r.name == router), None)
        if found is None:
            names = ", ".join(sorted(r.name for r in routers))
            raise m.MaintenanceError(
                f"no router {router!r} in the inventory ({names})", m.EXIT_BAD_INPUT
            )
        match = next((t for t in found.tunnels if t.name == tunnel), None)
        if match is None:
            names = ", ".join(t.name for t in found.tunnels)
            raise m.MaintenanceError(
                f"{router} has no tunnel {tunnel!r} ({names})", m.EXIT_BAD_INPUT
            )
        outside_ip = str(match.outside_address)
    try:
        connections, cgw_ip = vgw_connections(ec2, vgw_id)
    except (ClientError, BotoCoreError) as exc:
        raise m.api_error(exc, f"VPN connections of {vgw_id}") from exc
    for conn in connections:
        if vpn_connection_id and conn["VpnConnectionId"] != vpn_connection_id:
            continue
        if outside_ip in m.tunnel_ips(conn):
            owner = owner_of(conn, cgw_ip, outside_ip, routers)
            return Target(conn, outside_ip, owner.router if owner else None,
                          owner.tunnel if owner else None)  # fmt: skip
    where = f"VPN connection {vpn_connection_id}" if vpn_connection_id else f"VGW {vgw_id}"
    raise m.MaintenanceError(
        f"no tunnel with outside address {outside_ip} on {where} (live connections: "
        f"{', '.join(sorted(c['VpnConnectionId'] for c in connections)) or 'none'}); "
        "run 'aws.py maintenance status' to list them",
        m.EXIT_BAD_INPUT,
    )


def refusal(target: Target, drain: bool, drained: bool) -> str | None:
    """Why applying now would break the VPC's traffic, with what to run instead; None if it
    would not. The primary's tunnels carry the traffic, so it must be drained first."""
    router = target.router
    if router is None or router.role != "primary" or drain or drained:
        return None
    alone = (
        " Its other tunnel is not UP either: the primary would lose AWS entirely."
        if not target.other_tunnels_up()
        else ""
    )
    return (
        f"{target.label}: {router.name} is the primary, whose tunnels carry the VPC's "
        f"traffic; replacing its tunnel endpoint moves traffic without warning.{alone} Drain "
        "it first: rerun with --drain (the toolkit prepends on the primary, as failover.py's "
        "drain does, until the apply, the wait and the restore are done), or move the traffic "
        "off it yourself and rerun with --drained"
    )


def caution(target: Target) -> str | None:
    """A warning worth a line before replacing a tunnel that is not the traffic's."""
    if target.other_tunnels_up():
        return None
    who = target.router.name if target.router else "the router"
    return (
        f"caution: {target.label}: the connection's other tunnel is not UP, so {who} has no "
        "tunnel to AWS until this one is back (no failover to it meanwhile)"
    )


def replace(ec2: Any, target: Target) -> None:
    """``ReplaceVpnTunnel`` with ``ApplyPendingMaintenance``.

    Raises:
        m.MaintenanceError: AWS refused (exit 2 for an unknown id, else 3).
    """
    try:
        answer = ec2.replace_vpn_tunnel(
            VpnConnectionId=target.vpn_connection_id,
            VpnTunnelOutsideIpAddress=target.outside_ip,
            ApplyPendingMaintenance=True,
        )
    except (ClientError, BotoCoreError) as exc:
        raise m.api_error(exc, f"replace {target.label}") from exc
    if not answer.get("Return", False):
        raise m.MaintenanceError(
            f"AWS did not accept the replacement of {target.label}", m.EXIT_UNASKED
        )


def wait_until_up(
    ec2: Any,
    target: Target,
    since: datetime,
    *,
    timeout: float,
    poll: float,
    say: Callable[[str], None] = log.info,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[bool, str]:
    """Poll ``VgwTelemetry`` until the tunnel is UP again after ``since``.

    "Again" means it was seen not UP, or its ``LastStatusChange`` is after ``since``: right
    after the call the old endpoint can still report UP. One progress line per poll.

    Returns:
        (back, last status line).
    """
    deadline, seen_down, line = clock() + timeout, False, "no telemetry yet"
    while True:
        try:
            conns = ec2.describe_vpn_connections(VpnConnectionIds=[target.vpn_connection_id])
            entry = telemetry_of(conns["VpnConnections"][0], target.outside_ip) or {}
        except (ClientError, BotoCoreError, IndexError) as exc:
            entry, line = {}, f"telemetry not read: {describe_error(exc)}"
        if entry:
            state, changed = entry.get("Status", "?"), entry.get("LastStatusChange")
            seen_down = seen_down or state != "UP"
            fresh = isinstance(changed, datetime) and changed >= since
            line = f"{target.outside_ip}: {state} ({entry.get('StatusMessage') or '-'})"
            if state == "UP" and (seen_down or fresh):
                say(f"{line}: back")
                return True, line
        left = deadline - clock()
        if left <= 0:
            return False, line
        say(f"{line}; waiting ({left:.0f} s left)")
        sleep(min(poll, left))


@dataclass
class ApplyOptions:
    vpn_connection_id: str | None = None
    outside_ip: str | None = None
    router: str | None = None
    tunnel: str | None = None
    yes: bool = False
    drain: bool = False
    drained: bool = False
    timeout: float = 900.0
    poll: float = 15.0


@dataclass
class ApplyReport:
    """What an apply did; ``exit_code`` per :data:`tasks.aws.maintenance.EXIT_CODES`."""

    target: str = ""
    exit_code: int = m.EXIT_OK
    outcome: str = ""
    applied: bool = False
    back_up: bool | None = None
    verify_exit: int | None = None
    steps: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def apply_maintenance(
    ec2: Any,
    vgw_id: str,
    routers: Sequence[Router],
    options: ApplyOptions,
    *,
    drain: Drain | None = None,
    verify: Callable[[Router], int] | None = None,
    say: Callable[[str], None] = log.info,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> ApplyReport:
    """Apply pending maintenance to one tunnel (see the module docstring).

    Args:
        drain: used when the tunnel is the primary's and ``options.drain`` is set.
        verify: the router's verify, returning verify's exit code (0 healthy).

    Raises:
        MaintenanceError: bad input, AWS could not be asked, or refused (``exit_code``).
    """
    report = ApplyReport()

    def step(line: str) -> None:
        report.steps.append(line)
        say(line)

    target = find_target(
        ec2, vgw_id, routers, vpn_connection_id=options.vpn_connection_id,
        outside_ip=options.outside_ip, router=options.router, tunnel=options.tunnel,
    )  # fmt: skip
    report.target = target.label
    state = m.tunnel_status(ec2, target.conn, {}, target.outside_ip, routers)
    if not state.pending:
        report.outcome = f"{target.label}: no maintenance pending; nothing to do"
        return report
    after = state.auto_applied_after.isoformat() if state.auto_applied_after else "not given"
    step(
        f"{target.label}: maintenance pending ({state.pending_text}); AWS applies it after {after}"
    )
    why = refusal(target, options.drain, options.drained)
    if why:
        raise m.MaintenanceError(why, m.EXIT_REFUSED)
    warning = caution(target)
    if warning:
        step(warning)
    draining = bool(options.drain and target.router and target.router.role == "primary")
    if not options.yes:
        plan = "drain the primary, " if draining else ""
        report.outcome = (
            f"dry run: would {plan}replace {target.label} (ReplaceVpnTunnel, "
            f"ApplyPendingMaintenance), wait up to {options.timeout:.0f} s for it to be UP, "
            "then verify; rerun with --yes to do it"
        )
        return report
    if draining and drain is None:
        raise m.MaintenanceError(
            "--drain needs a drain (the runbook provides it)", m.EXIT_BAD_INPUT
        )
    guard = drain(target.router) if draining and drain and target.router else nullcontext()
    with guard:
        since = m.now()
        replace(ec2, target)
        report.applied = True
        step(f"{target.label}: replacement requested; waiting for the tunnel to be UP again")
        report.back_up, last = wait_until_up(
            ec2, target, since, timeout=options.timeout, poll=options.poll, say=step,
            sleep=sleep, clock=clock,
        )  # fmt: skip
    if not report.back_up:
        report.exit_code = m.EXIT_FAILED_AFTER
        report.outcome = (
            f"{target.label}: not UP again within {options.timeout:.0f} s (last: {last}); "
            "check 'aws.py maintenance status' and the router's IPsec/BGP"
        )
        return report
    if verify is not None and target.router is not None:
        report.verify_exit = verify(target.router)
        step(f"verify {target.router.vpc.id}: exit {report.verify_exit}")
        if report.verify_exit != 0:
            report.exit_code = m.EXIT_FAILED_AFTER
            report.outcome = f"{target.label}: back UP, but verify exit {report.verify_exit}"
            return report
    report.outcome = f"{target.label}: maintenance applied, tunnel UP" + (
        ", verify healthy" if report.verify_exit == 0 else ""
    )
    return report
