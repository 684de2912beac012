"""AWS-side checks for verify: is the VGW's view of the routers what failover needs?

Read-only describe calls answer four questions:

1. Is the VGW attached to the VPC? (``vgw.attached``)
2. Does each router have an available VPN connection (found by customer gateway IP ==
   ``router.wan.address``) whose tunnels are UP in ``VgwTelemetry`` with accepted routes?
   (``vpn.connection``, ``vpn.tunnel``; ``vpn.inventory`` when the inventory's outside
   addresses differ from AWS's)
3. Does any VPN connection hold a static route? The VGW prefers static over BGP, so one would
   pin traffic regardless of withdrawal. (``vpn.static_routes``)
4. Does every route table of the VPC propagate the VGW and send 0.0.0.0/0 to it, without a
   static route overriding the propagated one? (``route_table.propagation``,
   ``route_table.default_route``, ``route_table.static_override``: see
   :mod:`tasks.aws.route_checks`, which also judges ``vpn.accepted_routes``: each UP tunnel
   accepted exactly the prefixes the design advertises)

Severity, so verify can map to its exit codes (2 primary path broken, 1 a backup not ready,
3 could not verify):

============================================  ==========  ==========
finding                                       status      severity
============================================  ==========  ==========
primary's connection: both tunnels unusable   fail        primary
primary's connection: one tunnel unusable     warn        backup
backup's connection: all tunnels unusable     fail        backup
backup's connection: one tunnel unusable      warn        backup
a router has no (available) connection        fail        its role
VGW detached, propagation off, no default
route via the VGW, a static override, a
static route on a VPN connection              fail        primary
static 0.0.0.0/0 pointing at the VGW itself   warn        info
UP tunnel accepted more routes than designed  fail        its role
inventory outside address differs from AWS    warn        info
no credentials, an API error                  skip        info
============================================  ==========  ==========

"Unusable" is DOWN, or UP with zero accepted routes (IPsec up but the router advertises
nothing). One usable tunnel still carries the primary's traffic, so a single tunnel down is a
lost redundancy, not a broken path. Passing results carry the router's role as severity (or
"primary" for VPC-wide checks) so a report can group them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from tasks.aws.connections import vgw_connections
from tasks.aws.session import (
    CREDENTIAL_HELP,
    ClientFactory,
    aws_credentials_available,
    describe_error,
)
from tasks.model import Router

log = logging.getLogger(__name__)

Status = Literal["pass", "fail", "warn", "skip"]
Severity = Literal["primary", "backup", "info"]
DEFAULT_ROUTE = "0.0.0.0/0"
PROPAGATED = "EnableVgwRoutePropagation"
STATIC = "CreateRoute"

__all__ = ["CheckResult", "aws_credentials_available", "check_vpc"]


@dataclass(frozen=True)
class CheckResult:
    """One finding.

    Example::

        CheckResult(check="vpn.tunnel", target="vpn-0a1b.../203.0.113.10", status="fail",
                    severity="primary", detail="router1 tun1: DOWN (IPSEC IS DOWN)")
    """

    check: str
    target: str
    status: Status
    severity: Severity
    detail: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _role_severity(router: Router) -> Severity:
    return "primary" if router.role == "primary" else "backup"


def _skip(target: str, detail: str) -> CheckResult:
    return CheckResult("aws.api", target, "skip", "info", f"could not verify: {detail}")


class _NotFoundError(Exception):
    """An id the inventory names does not exist in AWS: a finding, not an API failure."""


def _call(func: Any, **kwargs: Any) -> Any:
    try:
        return func(**kwargs)
    except ClientError as exc:
        if "NotFound" in str(exc.response.get("Error", {}).get("Code", "")):
            raise _NotFoundError(describe_error(exc)) from exc
        raise


def check_vpc(
    session: ClientFactory, vpc_id: str, vgw_id: str, routers: Sequence[Router]
) -> list[CheckResult]:
    """Run every AWS-side check for one VPC and its VGW.

    Args:
        session: a boto3 session (or anything with ``client(name)`` and, for the credential
            test, ``get_credentials()``).
        vpc_id: the VPC id (``vpc-...``).
        vgw_id: the VGW id (``vgw-...``).
        routers: the VPC's routers from the inventory.

    Returns:
        Findings in a stable order. Without credentials, a single ``skip``; an API failure part
        way adds a ``skip`` for what could not be read and keeps what was.
    """
    if hasattr(session, "get_credentials") and not aws_credentials_available(session):
        return [CheckResult("aws.credentials", "aws", "skip", "info", CREDENTIAL_HELP)]
    ec2 = session.client("ec2")
    results: list[CheckResult] = []
    for part in (_vgw_checks, _vpn_checks, _route_table_checks):
        try:
            results.extend(part(ec2, vpc_id, vgw_id, routers))
        except _NotFoundError as exc:
            results.append(CheckResult("aws.not_found", vgw_id, "fail", "primary", str(exc)))
        except (ClientError, BotoCoreError) as exc:
            results.append(_skip(vpc_id, describe_error(exc)))
    return results


def _vgw_checks(ec2: Any, vpc_id: str, vgw_id: str, routers: Sequence[Router]) -> list[CheckResult]:
    gateways = _call(ec2.describe_vpn_gateways, VpnGatewayIds=[vgw_id])["VpnGateways"]
    attached = any(
        a.get("VpcId") == vpc_id and a.get("State") == "attached"
        for g in gateways
        for a in g.get("VpcAttachments", [])
    )
    if attached:
        return [CheckResult("vgw.attached", vgw_id, "pass", "primary", f"attached to {vpc_id}")]
    states = [
        f"{a.get('VpcId')}:{a.get('State')}" for g in gateways for a in g.get("VpcAttachments", [])
    ]
    return [
        CheckResult(
            "vgw.attached",
            vgw_id,
            "fail",
            "primary",
            f"not attached to {vpc_id} (attachments: {', '.join(states) or 'none'})",
        )
    ]


def _vpn_checks(ec2: Any, vpc_id: str, vgw_id: str, routers: Sequence[Router]) -> list[CheckResult]:
    connections, cgw_ip = vgw_connections(ec2, vgw_id)
    by_ip: dict[str, list[dict[str, Any]]] = {}
    for conn in connections:
        by_ip.setdefault(cgw_ip.get(conn["CustomerGatewayId"], ""), []).append(conn)
    results: list[CheckResult] = []
    for router in sorted(routers, key=lambda r: (r.rank, r.name)):
        severity = _role_severity(router)
        found = by_ip.get(str(router.wan.address), [])
        if not found:
            results.append(
                CheckResult(
                    "vpn.connection",
                    router.name,
                    "fail",
                    severity,
                    f"no VPN connection on {vgw_id} for customer gateway {router.wan.address}",
                )
            )
            continue
        if len(found) > 1:
            ids = ", ".join(sorted(c["VpnConnectionId"] for c in found))
            results.append(
                CheckResult(
                    "vpn.connection",
                    router.name,
                    "warn",
                    "info",
                    f"several VPN connections for {router.wan.address}: {ids}",
                )
            )
        for conn in found:
            results.extend(_connection_checks(router, conn))
    for conn in connections:
        results.extend(_static_route_checks(conn))
    return results


def _connection_checks(router: Router, conn: dict[str, Any]) -> list[CheckResult]:
    severity = _role_severity(router)
    vpn_id = conn["VpnConnectionId"]
    if conn.get("State") != "available":
        return [
            CheckResult(
                "vpn.connection",
                vpn_id,
                "fail",
                severity,
                f"{router.name}: connection is {conn.get('State')}, not available",
            )
        ]
    results = [CheckResult("vpn.connection", vpn_id, "pass", severity, f"{router.name}: available")]
    telemetry = sorted(conn.get("VgwTelemetry", []), key=lambda t: t.get("OutsideIpAddress", ""))
    names = {str(t.outside_address): t.name for t in router.tunnels}

    def usable(t: dict[str, Any]) -> bool:
        return t.get("Status") == "UP" and int(t.get("AcceptedRouteCount", 0)) > 0

    up = sum(1 for t in telemetry if usable(t))
    if not telemetry:
        results.append(
            CheckResult(
                "vpn.tunnel",
                vpn_id,
                "fail",
                severity,
                f"{router.name}: AWS reports no tunnel telemetry",
            )
        )
    for t in telemetry:
        outside = t.get("OutsideIpAddress", "?")
        label = f"{router.name} {names.get(outside, 'tunnel')} ({outside})"
        target = f"{vpn_id}/{outside}"
        routes = int(t.get("AcceptedRouteCount", 0))
        if usable(t):
            results.append(
                CheckResult(
                    "vpn.tunnel",
                    target,
                    "pass",
                    severity,
                    f"{label}: UP, {routes} accepted route(s)",
                )
            )
            continue
        why = (
            f"DOWN ({t.get('StatusMessage') or 'no status message'})"
            if t.get("Status") != "UP"
            else "UP but 0 accepted routes (the router advertises nothing to AWS)"
        )
        if up == 0:
            status: Status = "fail"
            level: Severity = severity
            impact = "no tunnel of this connection carries traffic"
        else:
            status, level = "warn", "backup"
            impact = "the other tunnel carries traffic; redundancy is lost"
        results.append(
            CheckResult("vpn.tunnel", target, status, level, f"{label}: {why}; {impact}")
        )
    from tasks.aws.route_checks import accepted_route_checks  # it imports CheckResult

    results.extend(accepted_route_checks(router, vpn_id, telemetry, severity))
    unknown = sorted(set(names) - {t.get("OutsideIpAddress", "") for t in telemetry})
    if telemetry and unknown:
        aws = ", ".join(sorted(t.get("OutsideIpAddress", "") for t in telemetry))
        results.append(
            CheckResult(
                "vpn.inventory",
                vpn_id,
                "warn",
                "info",
                f"{router.name}: inventory outside address(es) {', '.join(unknown)} are "
                f"not this connection's ({aws}); refresh the inventory from AWS",
            )
        )
    return results


def _static_route_checks(conn: dict[str, Any]) -> list[CheckResult]:
    vpn_id = conn["VpnConnectionId"]
    static_only = bool(conn.get("Options", {}).get("StaticRoutesOnly"))
    statics = [
        r.get("DestinationCidrBlock", "?")
        for r in conn.get("Routes", [])
        if r.get("Source", "").lower() == "static" and r.get("State") != "deleted"
    ]
    if static_only or statics:
        what = "static routing only" if static_only else f"static route(s) {', '.join(statics)}"
        return [
            CheckResult(
                "vpn.static_routes",
                vpn_id,
                "fail",
                "primary",
                f"{what}: the VGW prefers static over BGP, so withdrawal cannot fail over",
            )
        ]
    return [CheckResult("vpn.static_routes", vpn_id, "pass", "primary", "BGP only")]


def _route_tables(ec2: Any, vpc_id: str) -> list[dict[str, Any]]:
    pages = ec2.get_paginator("describe_route_tables").paginate(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]
    )
    return [table for page in pages for table in page.get("RouteTables", [])]


def _route_table_checks(
    ec2: Any, vpc_id: str, vgw_id: str, routers: Sequence[Router]
) -> list[CheckResult]:
    tables = _route_tables(ec2, vpc_id)
    if not tables:
        return [
            CheckResult(
                "route_table.propagation",
                vpc_id,
                "fail",
                "primary",
                f"no route tables found for {vpc_id}",
            )
        ]
    results: list[CheckResult] = []
    for table in sorted(tables, key=lambda t: t["RouteTableId"]):
        results.extend(_one_table(table, vgw_id))
    return results


def _one_table(table: dict[str, Any], vgw_id: str) -> list[CheckResult]:
    from tasks.aws.route_checks import route_target, static_shadow_checks  # (a cycle)

    rtb = table["RouteTableId"]
    results: list[CheckResult] = []
    propagating = {p.get("GatewayId") for p in table.get("PropagatingVgws", [])}
    if vgw_id in propagating:
        results.append(
            CheckResult("route_table.propagation", rtb, "pass", "primary", f"propagates {vgw_id}")
        )
    else:
        results.append(
            CheckResult(
                "route_table.propagation",
                rtb,
                "fail",
                "primary",
                f"does not propagate {vgw_id}: BGP routes never reach this table",
            )
        )
    routes = table.get("Routes", [])
    results.extend(static_shadow_checks(table, vgw_id))  # tasks.aws.route_checks
    default = [r for r in routes if r.get("DestinationCidrBlock") == DEFAULT_ROUTE]
    via_vgw = [r for r in default if r.get("GatewayId") == vgw_id and r.get("State") == "active"]
    if via_vgw and not [
        r for r in default if r.get("Origin") == STATIC and route_target(r) != vgw_id
    ]:
        how = "propagated" if via_vgw[0].get("Origin") == PROPAGATED else "static"
        results.append(
            CheckResult(
                "route_table.default_route",
                rtb,
                "pass",
                "primary",
                f"{DEFAULT_ROUTE} via {vgw_id} ({how}, active)",
            )
        )
    else:
        seen = ", ".join(f"{route_target(r)} {r.get('State')}" for r in default) or "none"
        results.append(
            CheckResult(
                "route_table.default_route",
                rtb,
                "fail",
                "primary",
                f"{DEFAULT_ROUTE} is not active via {vgw_id} (found: {seen}); no router "
                "advertises it, or propagation is off, or a static route overrides it",
            )
        )
    return results
