"""AWS tunnel endpoint maintenance: see what is pending, apply it one tunnel at a time.

AWS replaces a VPN tunnel's endpoint for maintenance one tunnel at a time. With tunnel
endpoint lifecycle control (``EnableTunnelLifecycleControl`` in the tunnel options)
``GetVpnTunnelReplacementStatus`` says whether maintenance is pending and after when AWS applies
it by itself (``MaintenanceAutoAppliedAfter``); ``ReplaceVpnTunnel`` with
``ApplyPendingMaintenance`` applies it when the operator chooses. The tunnel goes down while its
endpoint is replaced; its BGP session with it.

:func:`read_status` asks for every tunnel of a VGW's connections and :func:`text_report`
shows them; applying is :mod:`tasks.aws.maintenance_apply`. Exit codes: :data:`EXIT_CODES`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from tasks.aws.connections import owner_of, telemetry_of, vgw_connections
from tasks.aws.session import describe_error
from tasks.errors import ToolkitError, codes_text
from tasks.model import Router
from tasks.report import table

log = logging.getLogger(__name__)

EXIT_OK, EXIT_PENDING, EXIT_BAD_INPUT, EXIT_UNASKED = 0, 1, 2, 3
EXIT_FAILED_AFTER, EXIT_REFUSED = 1, 4
#: What the codes mean, from the one table (:data:`tasks.errors.RUNBOOK_CODES`).
EXIT_CODES = {
    "status": codes_text("aws.py maintenance status"),
    "apply": codes_text("aws.py maintenance apply"),
}
#: What GetVpnTunnelReplacementStatus says when nothing is pending (the API documents the
#: field only as a string; an absent field or one of these means "no").
NOT_PENDING = ("", "none", "no", "false", "n/a")


class MaintenanceError(ToolkitError):
    """A maintenance step failed; ``exit_code`` says how a scheduler should read it."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def api_error(exc: ClientError | BotoCoreError, what: str) -> MaintenanceError:
    code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""
    if "NotFound" in code or "Malformed" in code or code == "InvalidParameterValue":
        return MaintenanceError(f"{what}: {describe_error(exc)}", EXIT_BAD_INPUT)
    return MaintenanceError(f"could not ask AWS ({what}): {describe_error(exc)}", EXIT_UNASKED)


@dataclass(frozen=True)
class TunnelMaintenance:
    """One tunnel's maintenance state, named after the inventory router and tunnel.

    Example::

        TunnelMaintenance("vpn-0r1...", "203.0.113.10", "router1", "tun1", "primary", True,
                          "Pending maintenance", datetime(2026, 12, 9, 3, 0, tzinfo=UTC),
                          None, True, "UP")
    """

    vpn_connection_id: str
    outside_ip: str
    router: str | None
    tunnel: str | None
    role: str | None
    pending: bool
    pending_text: str
    auto_applied_after: datetime | None
    last_applied: datetime | None
    lifecycle_control: bool | None
    status: str | None

    def as_dict(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "vpn_connection_id": self.vpn_connection_id,
            "outside_ip": self.outside_ip,
            "router": self.router,
            "tunnel": self.tunnel,
            "role": self.role,
            "pending": self.pending,
            "pending_maintenance": self.pending_text,
            "auto_applied_after": iso(self.auto_applied_after),
            "last_applied": iso(self.last_applied),
            "lifecycle_control": self.lifecycle_control,
            "status": self.status,
        }


def is_pending(text: str | None) -> bool:
    return (text or "").strip().lower() not in NOT_PENDING


def tunnel_ips(conn: dict[str, Any]) -> list[str]:
    ips = {t["OutsideIpAddress"] for t in conn.get("VgwTelemetry", []) if "OutsideIpAddress" in t}
    ips |= {
        t["OutsideIpAddress"]
        for t in conn.get("Options", {}).get("TunnelOptions", [])
        if "OutsideIpAddress" in t
    }
    return sorted(ips)


def _lifecycle(conn: dict[str, Any], ip: str) -> bool | None:
    for option in conn.get("Options", {}).get("TunnelOptions", []):
        if option.get("OutsideIpAddress") == ip:
            value = option.get("EnableTunnelLifecycleControl")
            return None if value is None else bool(value)
    return None


def tunnel_status(
    ec2: Any, conn: dict[str, Any], cgw_ip: dict[str, str], ip: str, routers: Sequence[Router]
) -> TunnelMaintenance:
    """Ask ``GetVpnTunnelReplacementStatus`` for one tunnel of ``conn``.

    Raises:
        MaintenanceError: the API refused or failed (exit code 2 for an unknown id, else 3).
    """
    vpn_id = conn["VpnConnectionId"]
    try:
        answer = ec2.get_vpn_tunnel_replacement_status(
            VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress=ip
        )
    except (ClientError, BotoCoreError) as exc:
        raise api_error(exc, f"{vpn_id} {ip}") from exc
    details = answer.get("MaintenanceDetails", {})
    owner = owner_of(conn, cgw_ip, ip, routers)
    telemetry = telemetry_of(conn, ip) or {}
    text = str(details.get("PendingMaintenance", ""))
    return TunnelMaintenance(
        vpn_connection_id=vpn_id,
        outside_ip=ip,
        router=owner.router.name if owner else None,
        tunnel=owner.tunnel if owner else None,
        role=owner.router.role if owner else None,
        pending=is_pending(text),
        pending_text=text,
        auto_applied_after=details.get("MaintenanceAutoAppliedAfter"),
        last_applied=details.get("LastMaintenanceApplied"),
        lifecycle_control=_lifecycle(conn, ip),
        status=telemetry.get("Status"),
    )


def read_status(ec2: Any, vgw_id: str, routers: Sequence[Router]) -> list[TunnelMaintenance]:
    """Maintenance of every tunnel of every available VPN connection on ``vgw_id``, sorted by
    connection and outside address.

    Raises:
        MaintenanceError: listing the connections or asking for one tunnel failed.
    """
    try:
        connections, cgw_ip = vgw_connections(ec2, vgw_id)
    except (ClientError, BotoCoreError) as exc:
        raise api_error(exc, f"VPN connections of {vgw_id}") from exc
    rows = []
    # A connection still "pending" has no tunnel endpoints to maintain yet.
    available = [c for c in connections if c.get("State") == "available"]
    for conn in sorted(available, key=lambda c: c["VpnConnectionId"]):
        for ip in tunnel_ips(conn):
            rows.append(tunnel_status(ec2, conn, cgw_ip, ip, routers))
    return rows


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def text_report(rows: Sequence[TunnelMaintenance]) -> str:
    """The status table, then one line per pending tunnel with what to run."""
    if not rows:
        return "no live VPN connections on this VGW"
    lifecycle = {True: "on", False: "off", None: "?"}
    lines = [
        table(
            (
                "vpn connection",
                "outside ip",
                "router",
                "tunnel",
                "role",
                "state",
                "pending",
                "auto-applied after",
                "last applied",
                "lifecycle ctl",
            ),
            [
                (
                    r.vpn_connection_id,
                    r.outside_ip,
                    r.router or "-",
                    r.tunnel or "-",
                    r.role or "-",
                    r.status or "-",
                    "yes" if r.pending else "no",
                    _when(r.auto_applied_after),
                    _when(r.last_applied),
                    lifecycle[r.lifecycle_control],
                )
                for r in rows
            ],
        )
    ]
    pending = [r for r in rows if r.pending]
    for r in pending:
        how = f"--router {r.router} --tunnel {r.tunnel}" if r.router and r.tunnel else (
            f"--vpn-connection-id {r.vpn_connection_id} --outside-ip {r.outside_ip}"
        )  # fmt: skip
        extra = " --drain" if r.role == "primary" else ""
        lines.append(
            f"pending: {r.vpn_connection_id} {r.outside_ip} ({r.pending_text}); AWS applies it "
            f"after {_when(r.auto_applied_after)}; to apply now: "
            f"aws.py maintenance apply {how}{extra} --yes"
        )
    if any(r.lifecycle_control is False for r in rows):
        lines.append(
            "note: tunnels with lifecycle control off get maintenance when AWS chooses; turn "
            "on EnableTunnelLifecycleControl to see it pending and apply it yourself"
        )
    lines.append(f"{len(pending)} of {len(rows)} tunnel(s) with maintenance pending")
    return "\n".join(lines)


def status_exit_code(rows: Sequence[TunnelMaintenance]) -> int:
    return EXIT_PENDING if any(r.pending for r in rows) else EXIT_OK


def now() -> datetime:
    return datetime.now(UTC)
