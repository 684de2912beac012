"""Stack plans warn before a change that takes a VPN connection's tunnels down.

botocore's Stubber stands in for CloudFormation's CreateChangeSet / DescribeChangeSet /
DeleteChangeSet (moto has no change-set details for VPN connections); the DescribeChangeSet
answer is built from botocore's ResourceChange / ResourceTargetDefinition shapes.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_fixtures import StubSession
from botocore.stub import ANY

from tasks.aws.change_set import Change, plan
from tasks.aws.stack_warnings import tunnel_warnings
from tasks.aws.template import build_template
from tasks.model import Router

STACK = "vpc-bgp-ha-vpc-prod"
PARAMS: dict[str, str | list[str]] = {"VpcId": "vpc-0123456789abcdef0", "RouteTableIds": []}


def modify(logical: str, *props: str, replacement: str = "False") -> dict[str, Any]:
    """One ``Changes[]`` item of DescribeChangeSet for a VPNConnection update."""
    return {
        "Type": "Resource",
        "ResourceChange": {
            "Action": "Modify", "LogicalResourceId": logical,
            "PhysicalResourceId": "vpn-0r1000000000000001",
            "ResourceType": "AWS::EC2::VPNConnection", "Replacement": replacement,
            "Scope": ["Properties"],
            "Details": [
                {"Target": {"Attribute": "Properties", "Name": p,
                            "RequiresRecreation": "Never"},
                 "Evaluation": "Static", "ChangeSource": "DirectModification"}
                for p in props
            ],
        },
    }  # fmt: skip


def test_plan_reads_the_changed_properties_and_warns(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    """An UPDATE change set whose VpnConnectionRouter1 change touches the local network CIDR:
    the plan carries the property, the warning says both tunnels of router1 go down.
    Stubber stands in for CloudFormation."""
    cfn = stub_session.stub("cloudformation")
    stack = {"StackName": STACK, "StackId": "arn:s", "CreationTime": "2025-05-01T10:00:00Z",
             "StackStatus": "UPDATE_COMPLETE"}  # fmt: skip
    cfn.add_response("describe_stacks", {"Stacks": [stack]}, {"StackName": STACK})
    cfn.add_response("create_change_set", {"Id": "arn:cs", "StackId": "arn:s"},
                     {"StackName": STACK, "ChangeSetName": ANY, "ChangeSetType": "UPDATE",
                      "TemplateBody": ANY, "Parameters": ANY, "Tags": ANY})  # fmt: skip
    described = {"Status": "CREATE_COMPLETE", "ChangeSetName": "x", "StackName": STACK,
                 "Changes": [modify("VpnConnectionRouter1", "LocalIpv4NetworkCidr")]}  # fmt: skip
    cfn.add_response("describe_change_set", described)
    cfn.add_response("delete_change_set", {})
    result = plan(stub_session.client("cloudformation"), STACK, build_template(example_routers),
                  PARAMS, sleep=lambda s: None)  # fmt: skip
    cfn.assert_no_pending_responses()
    assert result.changes[0].properties == ("LocalIpv4NetworkCidr",)
    [warning] = tunnel_warnings(result.changes, example_routers)
    assert warning.startswith("WARNING VpnConnectionRouter1 (router1, primary): changes "
                              "LocalIpv4NetworkCidr (ModifyVpnConnection")  # fmt: skip
    assert "BOTH tunnels" in warning and "drain the primary first" in warning


def change(action: str, *props: str, replacement: str = "False", logical: str = "") -> Change:
    return Change(action, logical or "VpnConnectionRouter2", "AWS::EC2::VPNConnection",
                  "vpn-0r2000000000000002", replacement, props)  # fmt: skip


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (change("Modify", "CustomerGatewayId"), "CustomerGatewayId (ModifyVpnConnection"),
        (change("Modify", "StaticRoutesOnly", replacement="True"), "replaces the VPN connection"),
        (change("Modify", replacement="Conditional"), "replaces the VPN connection"),
        (change("Modify", "VpnTunnelOptionsSpecifications"), "ModifyVpnTunnelOptions"),
        (change("Remove"), "deletes the VPN connection"),
    ],
)  # fmt: skip
def test_each_kind_of_vpn_change_is_named(
    item: Change, expected: str, example_routers: list[Router]
) -> None:
    """Each kind of VPN connection change gets its own words, a backup no "drain" hint.
    No AWS call (pure function over Change records)."""
    [warning] = tunnel_warnings([item], example_routers)
    assert expected in warning and "(router2, backup)" in warning
    assert "drain the primary" not in warning


def test_changes_that_keep_tunnels_up_are_not_warned(example_routers: list[Router]) -> None:
    """Adds, tag-only changes and non-VPN resources take no tunnel down: no warning.
    No AWS call (pure function over Change records)."""
    quiet = [
        change("Add"),
        change("Modify", "Tags"),
        Change("Modify", "VpnGateway", "AWS::EC2::VPNGateway", "vgw-1", "False", ("Tags",)),
    ]
    assert tunnel_warnings(quiet, example_routers) == []
