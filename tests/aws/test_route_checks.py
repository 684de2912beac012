"""verify's AWS-side route checks (tasks.aws.route_checks) through check_vpc.

botocore's Stubber stands in for EC2's DescribeVpnGateways, DescribeVpnConnections (with
VgwTelemetry, which moto lacks), DescribeCustomerGateways and DescribeRouteTables (routes with
their Origin, which moto does not model for propagation); the answers are the healthy fixture's,
edited, and every one is validated against botocore's EC2 model.
"""

from __future__ import annotations

import copy
from typing import Any

from aws_fixtures import VGW_ID, VPC_ID, StubSession, fixture_json
from test_aws_checks import GATEWAYS, R1_VPN, R2_VPN, SUBNET_RTB, not_passed, stub_ec2

from tasks.aws.checks import CheckResult, check_vpc
from tasks.aws.route_checks import accepted_route_checks, static_shadow_checks
from tasks.model import Router


def healthy() -> dict[str, Any]:
    return copy.deepcopy(fixture_json("checks/healthy.json"))


def run(
    session: StubSession, responses: dict[str, Any], routers: list[Router]
) -> list[CheckResult]:
    stub_ec2(session, responses, GATEWAYS)
    results = check_vpc(session, VPC_ID, VGW_ID, routers)
    session.stub("ec2").assert_no_pending_responses()
    return results


def subnet_table(responses: dict[str, Any]) -> dict[str, Any]:
    return next(t for t in responses["describe_route_tables"]["RouteTables"]
                if t["RouteTableId"] == SUBNET_RTB)  # fmt: skip


def test_static_default_to_a_nat_gateway_fails_naming_the_table_and_the_fix(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    """A static 0.0.0.0/0 to a NAT gateway replaces the propagated one (AWS lists only the
    winning route): fail, primary, with the delete-route command for that table.
    Stubber stands in for EC2's describe calls."""
    responses = healthy()
    routes = subnet_table(responses)["Routes"]
    routes[:] = [r for r in routes if r["DestinationCidrBlock"] != "0.0.0.0/0"]
    routes.append({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0123456789abcdef0",
                   "Origin": "CreateRoute", "State": "active"})  # fmt: skip
    results = run(stub_session, responses, example_routers)
    [override] = [r for r in results if r.check == "route_table.static_override"]
    assert (override.target, override.status, override.severity) == (SUBNET_RTB, "fail", "primary")
    assert "via nat-0123456789abcdef0 shadows the route the VGW propagates" in override.detail
    assert (f"fix: aws ec2 delete-route --route-table-id {SUBNET_RTB} "
            "--destination-cidr-block 0.0.0.0/0") in override.detail  # fmt: skip


def test_static_default_to_the_vgw_is_a_warning_with_the_fix() -> None:
    """Traffic still reaches the VGW, which still chooses the router by BGP: warn, not fail.
    No AWS call (pure function)."""
    table = {"RouteTableId": "rtb-1", "Routes": [
        {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": VGW_ID, "Origin": "CreateRoute",
         "State": "active"}]}  # fmt: skip
    [result] = static_shadow_checks(table, VGW_ID)
    assert (result.status, result.severity) == ("warn", "info")
    assert "delete-route --route-table-id rtb-1" in result.detail


def test_static_route_for_another_propagated_prefix_is_a_shadow_too() -> None:
    """A static route for a non-default prefix the VGW propagates shadows it too.
    No AWS call (pure function)."""
    table = {"RouteTableId": "rtb-1", "Routes": [
        {"DestinationCidrBlock": "192.0.2.0/24", "GatewayId": VGW_ID,
         "Origin": "EnableVgwRoutePropagation", "State": "active"},
        {"DestinationCidrBlock": "192.0.2.0/24", "TransitGatewayId": "tgw-0123456789abcdef0",
         "Origin": "CreateRoute", "State": "active"},
        {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local",
         "Origin": "CreateRouteTable", "State": "active"}]}  # fmt: skip
    [result] = static_shadow_checks(table, VGW_ID)
    assert result.status == "fail" and "192.0.2.0/24 via tgw-0123456789abcdef0" in result.detail


def test_tunnel_accepting_more_routes_than_designed_fails(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    """router2's tun1 has 3 accepted routes (the design advertises only 0.0.0.0/0): fail at
    the backup's severity; its other tunnel (1 route) passes.
    Stubber stands in for EC2's describe calls."""
    responses = healthy()
    conn = next(c for c in responses["describe_vpn_connections"]["VpnConnections"]
                if c["VpnConnectionId"] == R2_VPN)  # fmt: skip
    conn["VgwTelemetry"][0].update(AcceptedRouteCount=3, StatusMessage="3 BGP ROUTES")
    results = run(stub_session, responses, example_routers)
    assert not_passed(results) == {("vpn.accepted_routes", f"{R2_VPN}/203.0.113.30", "fail",
                                    "backup")}  # fmt: skip
    [leak] = [r for r in results if r.status == "fail"]
    assert "accepted 3 routes, the design advertises 1 (0.0.0.0/0)" in leak.detail
    assert "bgp-export-filter" in leak.detail
    ok = {r.target for r in results if r.check == "vpn.accepted_routes" and r.status == "pass"}
    assert ok == {f"{R1_VPN}/203.0.113.10", f"{R1_VPN}/203.0.113.20", f"{R2_VPN}/203.0.113.40"}


def test_zero_accepted_or_down_is_left_to_the_tunnel_check(example_routers: list[Router]) -> None:
    """0 routes on an UP tunnel (router not advertising) is vpn.tunnel's finding, whose
    severity knows about the other tunnel: not judged twice.
    No AWS call (pure function)."""
    telemetry = [
        {"OutsideIpAddress": "203.0.113.10", "Status": "UP", "AcceptedRouteCount": 0},
        {"OutsideIpAddress": "203.0.113.20", "Status": "DOWN", "AcceptedRouteCount": 0},
    ]
    assert accepted_route_checks(example_routers[0], R1_VPN, telemetry, "primary") == []
