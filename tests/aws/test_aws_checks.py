"""AWS-side verify checks: Stubber scenarios from the real API shapes, moto where it suffices."""

from __future__ import annotations

import copy
from typing import Any

import boto3
import pytest
from aws_fixtures import FIXTURES, REGION, VGW_ID, VPC_ID, StubSession, fixture_json
from moto import mock_aws

from tasks.aws.checks import CheckResult, aws_credentials_available, check_vpc
from tasks.model import Router


def stub_ec2(session: StubSession, responses: dict[str, Any], gateways: list[str]) -> None:
    """Queue the four describe calls check_vpc makes, with the parameters it must send."""
    ec2 = session.stub("ec2")
    ec2.add_response("describe_vpn_gateways", responses["describe_vpn_gateways"],
                     {"VpnGatewayIds": [VGW_ID]})  # fmt: skip
    ec2.add_response(
        "describe_vpn_connections",
        responses["describe_vpn_connections"],
        {"Filters": [{"Name": "vpn-gateway-id", "Values": [VGW_ID]}]},
    )
    ec2.add_response("describe_customer_gateways", responses["describe_customer_gateways"],
                     {"CustomerGatewayIds": gateways})  # fmt: skip
    ec2.add_response(
        "describe_route_tables",
        responses["describe_route_tables"],
        {"Filters": [{"Name": "vpc-id", "Values": [VPC_ID]}]},
    )


GATEWAYS = ["cgw-0r1000000000000001", "cgw-0r2000000000000002"]
R1_VPN, R2_VPN = "vpn-0r1000000000000001", "vpn-0r2000000000000002"
MAIN_RTB, SUBNET_RTB = "rtb-0aaaaaaaaaaaaaaa1", "rtb-0bbbbbbbbbbbbbbb2"


def run(session: StubSession, scenario: str, routers: list[Router]) -> list[CheckResult]:
    stub_ec2(session, fixture_json(f"checks/{scenario}.json"), GATEWAYS)
    results = check_vpc(session, VPC_ID, VGW_ID, routers)
    session.stub("ec2").assert_no_pending_responses()
    return results


def not_passed(results: list[CheckResult]) -> set[tuple[str, str, str, str]]:
    return {(r.check, r.target, r.status, r.severity) for r in results if r.status != "pass"}


def test_healthy_vpc_passes_every_check(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    results = run(stub_session, "healthy", example_routers)
    assert not_passed(results) == set()
    by_check: dict[str, int] = {}
    for r in results:
        by_check[r.check] = by_check.get(r.check, 0) + 1
    assert by_check == {
        "vgw.attached": 1,
        "vpn.connection": 2,
        "vpn.tunnel": 4,
        "vpn.accepted_routes": 4,
        "vpn.static_routes": 2,
        "route_table.propagation": 2,
        "route_table.default_route": 2,
    }
    tunnels = {r.target: r for r in results if r.check == "vpn.tunnel"}
    # Each tunnel is named after the inventory tunnel with that AWS outside address.
    assert "router1 tun2 (203.0.113.20)" in tunnels[f"{R1_VPN}/203.0.113.20"].detail
    assert tunnels[f"{R2_VPN}/203.0.113.30"].severity == "backup"
    assert tunnels[f"{R1_VPN}/203.0.113.10"].severity == "primary"


SCENARIOS = {
    # One tunnel of the primary still carries traffic: lost redundancy, not a broken path.
    "primary_one_tunnel_down": {("vpn.tunnel", f"{R1_VPN}/203.0.113.20", "warn", "backup")},
    "primary_both_tunnels_down": {
        ("vpn.tunnel", f"{R1_VPN}/203.0.113.10", "fail", "primary"),
        ("vpn.tunnel", f"{R1_VPN}/203.0.113.20", "fail", "primary"),
    },
    "backup_no_routes": {
        ("vpn.tunnel", f"{R2_VPN}/203.0.113.30", "fail", "backup"),
        ("vpn.tunnel", f"{R2_VPN}/203.0.113.40", "fail", "backup"),
    },
    "propagation_off": {
        ("route_table.propagation", SUBNET_RTB, "fail", "primary"),
        ("route_table.default_route", SUBNET_RTB, "fail", "primary"),
    },
    "static_override": {
        ("route_table.static_override", SUBNET_RTB, "fail", "primary"),
        ("route_table.default_route", SUBNET_RTB, "fail", "primary"),
    },
    "vpn_static_route": {("vpn.static_routes", R2_VPN, "fail", "primary")},
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_scenario_findings(
    scenario: str, stub_session: StubSession, example_routers: list[Router]
) -> None:
    results = run(stub_session, scenario, example_routers)
    assert not_passed(results) == SCENARIOS[scenario]


def test_every_scenario_fixture_is_tested() -> None:
    files = {p.stem for p in (FIXTURES / "checks").glob("*.json")}
    assert files == set(SCENARIOS) | {"healthy"}


def test_down_tunnel_detail_says_why(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    results = run(stub_session, "primary_one_tunnel_down", example_routers)
    (warn,) = [r for r in results if r.status == "warn"]
    assert "router1 tun2" in warn.detail and "IPSEC IS DOWN" in warn.detail
    assert "other tunnel carries traffic" in warn.detail


def test_static_route_via_the_vgw_is_only_a_warning(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    responses = fixture_json("checks/healthy.json")
    table = responses["describe_route_tables"]["RouteTables"][1]
    table["Routes"][1].update(Origin="CreateRoute")
    stub_ec2(stub_session, responses, GATEWAYS)
    results = check_vpc(stub_session, VPC_ID, VGW_ID, example_routers)
    assert not_passed(results) == {("route_table.static_override", SUBNET_RTB, "warn", "info")}


def test_router_without_a_connection_fails_at_its_role(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    extra = example_routers[1].model_copy(
        update={"name": "router3", "rank": 2, "wan": example_routers[1].wan.model_copy(
            update={"address": "198.51.100.30"})}
    )  # fmt: skip
    results = run(stub_session, "healthy", [*example_routers, extra])
    assert not_passed(results) == {("vpn.connection", "router3", "fail", "backup")}


def test_vgw_detached_is_a_primary_failure(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    responses = fixture_json("checks/healthy.json")
    responses["describe_vpn_gateways"]["VpnGateways"][0]["VpcAttachments"][0]["State"] = "detached"
    stub_ec2(stub_session, responses, GATEWAYS)
    results = check_vpc(stub_session, VPC_ID, VGW_ID, example_routers)
    assert not_passed(results) == {("vgw.attached", VGW_ID, "fail", "primary")}


def test_access_denied_is_skip_and_the_rest_still_runs(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    responses = fixture_json("checks/healthy.json")
    ec2 = stub_session.stub("ec2")
    ec2.add_client_error("describe_vpn_gateways", "UnauthorizedOperation", "not allowed")
    ec2.add_response("describe_vpn_connections", responses["describe_vpn_connections"])
    ec2.add_response("describe_customer_gateways", responses["describe_customer_gateways"])
    ec2.add_response("describe_route_tables", responses["describe_route_tables"])
    results = check_vpc(stub_session, VPC_ID, VGW_ID, example_routers)
    skipped = [r for r in results if r.status == "skip"]
    assert len(skipped) == 1 and "UnauthorizedOperation" in skipped[0].detail
    assert skipped[0].severity == "info"
    assert sum(r.status == "pass" for r in results) == 16  # 12 + 4 vpn.accepted_routes


def test_unknown_vgw_is_a_finding_not_a_skip(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    responses = fixture_json("checks/healthy.json")
    ec2 = stub_session.stub("ec2")
    ec2.add_client_error("describe_vpn_gateways", "InvalidVpnGatewayID.NotFound", "no such")
    ec2.add_response("describe_vpn_connections", responses["describe_vpn_connections"])
    ec2.add_response("describe_customer_gateways", responses["describe_customer_gateways"])
    ec2.add_response("describe_route_tables", responses["describe_route_tables"])
    results = check_vpc(stub_session, VPC_ID, VGW_ID, example_routers)
    assert ("aws.not_found", VGW_ID, "fail", "primary") in not_passed(results)


def test_keys_in_the_response_never_reach_the_results(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    responses = fixture_json("checks/healthy.json")
    conn = responses["describe_vpn_connections"]["VpnConnections"][0]
    conn["CustomerGatewayConfiguration"] = (
        FIXTURES / "cgw-config" / "vpn-0r1000000000000001.xml"
    ).read_text()
    conn["Options"]["TunnelOptions"][0]["PreSharedKey"] = "R1t1_StubKey.x7Qp2mZa9LwV4nE"
    stub_ec2(stub_session, copy.deepcopy(responses), GATEWAYS)
    results = check_vpc(stub_session, VPC_ID, VGW_ID, example_routers)
    assert "StubKey" not in repr(results)
    assert not_passed(results) == set()


def test_without_credentials_checks_are_skipped_not_failed(
    no_aws_env: None, example_routers: list[Router]
) -> None:
    session = boto3.session.Session(region_name=REGION)
    assert aws_credentials_available(session) is False
    results = check_vpc(session, VPC_ID, VGW_ID, example_routers)
    assert [(r.check, r.status, r.severity) for r in results] == [
        ("aws.credentials", "skip", "info")
    ]
    assert "AWS_PROFILE" in results[0].detail


def test_credentials_from_the_environment_are_found(aws_env: None) -> None:
    assert aws_credentials_available(boto3.session.Session(region_name=REGION)) is True


def test_profile_from_the_shared_files_is_found(
    no_aws_env: None, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    creds = tmp_path / "credentials"
    creds.write_text("[ops]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = x\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    assert aws_credentials_available(boto3.session.Session(profile_name="ops")) is True
    assert aws_credentials_available(boto3.session.Session()) is False


# ----------------------------------------------------------------------------- moto
# moto implements VGWs, attachments, customer gateways, VPN connections and route tables,
# but not VgwTelemetry nor route propagation: only the attachment and the connection
# mapping are meaningful here; the rest is asserted as the gap it is.


@mock_aws
def test_moto_attached_vgw_and_connection_mapping(
    aws_env: None, example_routers: list[Router]
) -> None:
    session = boto3.session.Session(region_name=REGION)
    ec2 = session.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/24")["Vpc"]["VpcId"]
    vgw_id = ec2.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=64512)["VpnGateway"][
        "VpnGatewayId"
    ]
    ec2.attach_vpn_gateway(VpcId=vpc_id, VpnGatewayId=vgw_id)
    cgw = ec2.create_customer_gateway(Type="ipsec.1", BgpAsn=65010, PublicIp="198.51.100.10")
    ec2.create_vpn_connection(
        Type="ipsec.1",
        CustomerGatewayId=cgw["CustomerGateway"]["CustomerGatewayId"],
        VpnGatewayId=vgw_id,
        Options={"StaticRoutesOnly": False},
    )
    results = check_vpc(session, vpc_id, vgw_id, example_routers)
    status = {(r.check, r.target): r.status for r in results}
    assert status[("vgw.attached", vgw_id)] == "pass"
    connections = [r for r in results if r.check == "vpn.connection"]
    # router1's gateway IP maps to the connection; router2 has none in this account.
    assert [(r.status, r.severity) for r in connections if r.target.startswith("vpn-")] == [
        ("pass", "primary")
    ]
    assert ("vpn.connection", "router2") in status and status[
        ("vpn.connection", "router2")
    ] == "fail"
    # moto has no telemetry and no propagation: those checks must not pass on moto's say-so.
    assert all(
        r.status != "pass" for r in results if r.check in ("vpn.tunnel", "route_table.propagation")
    )


@mock_aws
def test_moto_detached_vgw_fails(aws_env: None, example_routers: list[Router]) -> None:
    session = boto3.session.Session(region_name=REGION)
    ec2 = session.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/24")["Vpc"]["VpcId"]
    vgw_id = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    results = check_vpc(session, vpc_id, vgw_id, example_routers)
    assert ("vgw.attached", vgw_id, "fail", "primary") in not_passed(results)
