"""A VGW's VPN connections, read once, with every key dropped before anything else sees them.

``DescribeVpnConnections`` returns each connection's customer gateway configuration (XML that
holds the pre-shared keys) and, in ``Options.TunnelOptions``, the keys again. Both are removed
here, under :func:`tasks.aws.inventory.scrubbed_botocore_logs` so botocore's DEBUG log cannot
print them either. Only :mod:`tasks.aws.inventory` needs the keys, and reads them itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tasks.aws.inventory import scrubbed_botocore_logs
from tasks.model import Router

LIVE_STATES = ("pending", "available")


@dataclass(frozen=True)
class TunnelOwner:
    """The inventory router and tunnel an AWS tunnel (outside address) belongs to."""

    router: Router
    tunnel: str


def vgw_connections(ec2: Any, vgw_id: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Live (pending/available) VPN connections of ``vgw_id`` without keys, and each customer
    gateway's IP by id.

    Raises:
        botocore.exceptions.ClientError: as the API raised it (callers say what failed).
    """
    with scrubbed_botocore_logs():
        raw = ec2.describe_vpn_connections(
            Filters=[{"Name": "vpn-gateway-id", "Values": [vgw_id]}]
        )["VpnConnections"]
    for conn in raw:
        conn.pop("CustomerGatewayConfiguration", None)
        for option in conn.get("Options", {}).get("TunnelOptions", []):
            option.pop("PreSharedKey", None)
    live = [c for c in raw if c.get("State") in LIVE_STATES]
    ids = sorted({c["CustomerGatewayId"] for c in live})
    gateways = (
        ec2.describe_customer_gateways(CustomerGatewayIds=ids)["CustomerGateways"] if ids else []
    )
    return live, {g["CustomerGatewayId"]: g.get("IpAddress", "") for g in gateways}


def owner_of(
    conn: dict[str, Any], cgw_ip: dict[str, str], outside_ip: str, routers: Sequence[Router]
) -> TunnelOwner | None:
    """The router whose WAN address is the connection's customer gateway, and the name of its
    tunnel with that AWS outside address ("tunnel" when the inventory does not list it)."""
    ip = cgw_ip.get(conn.get("CustomerGatewayId", ""), "")
    router = next((r for r in routers if str(r.wan.address) == ip), None)
    if router is None:
        return None
    name = next((t.name for t in router.tunnels if str(t.outside_address) == outside_ip), "tunnel")
    return TunnelOwner(router, name)


def telemetry_of(conn: dict[str, Any], outside_ip: str) -> dict[str, Any] | None:
    """The ``VgwTelemetry`` entry of one tunnel, or None."""
    return next(
        (t for t in conn.get("VgwTelemetry", []) if t.get("OutsideIpAddress") == outside_ip),
        None,
    )
