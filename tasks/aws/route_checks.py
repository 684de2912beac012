"""verify's AWS-side judgement of routes: what shadows the propagated default, and whether each
tunnel accepted exactly what the design advertises.

- **Shadowing static routes** (``route_table.static_override``): in a VPC route table a static
  route (``Origin: CreateRoute``) wins over a propagated one (``EnableVgwRoutePropagation``) for
  the same prefix. A static 0.0.0.0/0 (or any prefix the design advertises) to a NAT gateway,
  an internet gateway, an instance or an ENI takes the VPC's outbound traffic away from the VGW
  whatever BGP says: a ``fail`` for the primary path, naming the table and the fix. The same
  static route *to the VGW* still delivers the traffic to the VGW, which still chooses among the
  routers by BGP, so failover between routers keeps working: a ``warn`` (the table no longer
  follows BGP: when every router withdraws, the route stays).
- **Accepted routes** (``vpn.accepted_routes``): each UP tunnel's ``AcceptedRouteCount`` in
  ``VgwTelemetry`` should be exactly the number of prefixes the design advertises
  (:data:`ADVERTISED`: 1, the default route). More means the router leaks other prefixes to
  AWS (they propagate into the VPC's route tables and pull traffic for them to that router);
  0 on an UP tunnel means the router advertises nothing, which ``vpn.tunnel`` already judges
  (its severity accounts for the connection's other tunnel), so it is not judged twice here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tasks.aws.checks import CheckResult, Severity
from tasks.aws.design import ADVERTISED
from tasks.model import Router

STATIC = "CreateRoute"
PROPAGATED = "EnableVgwRoutePropagation"
TARGET_KEYS = (
    "GatewayId", "NatGatewayId", "NetworkInterfaceId", "InstanceId", "TransitGatewayId",
    "VpcPeeringConnectionId", "LocalGatewayId", "CarrierGatewayId", "CoreNetworkArn",
)  # fmt: skip


def route_target(route: dict[str, Any]) -> str:
    """What a route table route points at (its first target field)."""
    return next((str(route[k]) for k in TARGET_KEYS if route.get(k)), "?")


def _fix(rtb: str, dest: str) -> str:
    return (
        f"fix: aws ec2 delete-route --route-table-id {rtb} --destination-cidr-block {dest} "
        "(and keep route propagation from the VGW on); if something needs that route, give "
        "it a more specific prefix"
    )


def static_shadow_checks(table: dict[str, Any], vgw_id: str) -> list[CheckResult]:
    """Static routes in one route table for a prefix the VGW propagates (or the design
    advertises): ``fail`` when they point elsewhere, ``warn`` when at the VGW itself."""
    rtb = table["RouteTableId"]
    routes = table.get("Routes", [])
    shadowed = set(ADVERTISED) | {
        r.get("DestinationCidrBlock")
        for r in routes
        if r.get("Origin") == PROPAGATED and r.get("GatewayId") == vgw_id
    }
    results = []
    for route in routes:
        dest = route.get("DestinationCidrBlock")
        if route.get("Origin") != STATIC or dest not in shadowed:
            continue
        target = route_target(route)
        if target == vgw_id:
            results.append(
                CheckResult(
                    "route_table.static_override", rtb, "warn", "info",
                    f"static {dest} via {vgw_id}: traffic still reaches the VGW, which still "
                    "picks the router by BGP, but the table no longer follows BGP (the route "
                    f"stays when every router withdraws); {_fix(rtb, dest)}",
                )
            )  # fmt: skip
        else:
            results.append(
                CheckResult(
                    "route_table.static_override", rtb, "fail", "primary",
                    f"static {dest} via {target} shadows the route the VGW propagates (a "
                    "static route wins over a propagated one), so BGP failover cannot move "
                    f"this table's traffic; {_fix(rtb, dest)}",
                )
            )  # fmt: skip
    return results


def accepted_route_checks(
    router: Router, vpn_id: str, telemetry: Sequence[dict[str, Any]], severity: Severity
) -> list[CheckResult]:
    """``AcceptedRouteCount`` of each UP tunnel with routes against :data:`ADVERTISED`."""
    names = {str(t.outside_address): t.name for t in router.tunnels}
    want = len(ADVERTISED)
    results = []
    for entry in telemetry:
        count = int(entry.get("AcceptedRouteCount", 0))
        if entry.get("Status") != "UP" or count == 0:
            continue  # DOWN or nothing accepted: vpn.tunnel's verdict
        outside = entry.get("OutsideIpAddress", "?")
        label = f"{router.name} {names.get(outside, 'tunnel')} ({outside})"
        target = f"{vpn_id}/{outside}"
        if count == want:
            results.append(
                CheckResult("vpn.accepted_routes", target, "pass", severity,
                            f"{label}: {count} accepted route(s), as the design advertises")
            )  # fmt: skip
            continue
        results.append(
            CheckResult(
                "vpn.accepted_routes", target, "fail", severity,
                f"{label}: AWS accepted {count} routes, the design advertises {want} "
                f"({', '.join(ADVERTISED)}): the router leaks other prefixes to AWS, which "
                "propagate into the VPC's route tables and pull that traffic to it; restrict "
                "its export to the TO-AWS route-map / DEFAULT-ONLY prefix-list (compliance "
                "rule bgp-export-filter); more than 100 resets the session",
            )
        )  # fmt: skip
    return results
