"""The stack template (cfn-lint), and plan/deploy/status/delete against Stubber and moto."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from aws_fixtures import FIXTURES, REGION, StubSession, fixture_json
from botocore.stub import ANY
from cfnlint.api import lint_all
from moto import mock_aws
from script_loader import load_runbook

from tasks import PROJECT_ROOT
from tasks.aws.change_set import plan
from tasks.aws.session import AwsError
from tasks.aws.stack import deploy, status
from tasks.aws.stack_events import StackEvent
from tasks.aws.template import build_template, template_text
from tasks.model import Router

EXAMPLE = PROJECT_ROOT / "templates" / "aws" / "vpn-stack.example.yaml"
STACK = "vpc-bgp-ha-vpc-prod"
PARAMS: dict[str, str | list[str]] = {
    "VpcId": "vpc-0123456789abcdef0",
    "RouteTableIds": ["rtb-0aaaaaaaaaaaaaaa1", "rtb-0bbbbbbbbbbbbbbb2"],
}


def lint(template: dict[str, Any]) -> list[str]:
    """cfn-lint errors and warnings (informational I-rules are advice, not defects)."""
    found = lint_all(template_text(template))
    return [f"{m.rule.id} {m.message}" for m in found if m.rule.id[0] in "EW"]


def with_router(routers: list[Router], name: str, address: str, octet: int) -> list[Router]:
    """A copy of the backup under a new name, gateway IP and inside /30s."""
    base = routers[1].model_dump(mode="python")
    base.update(name=name, rank=2)
    base["wan"]["address"] = address
    for i, tunnel in enumerate(base["tunnels"]):
        tunnel["inside_cidr"] = f"169.254.{octet}.{4 * i}/30"
    return [*routers, Router.model_validate(base)]


# ----------------------------------------------------------------------------- template


def test_example_template_is_lint_clean_and_committed(example_routers: list[Router]) -> None:
    template = build_template(example_routers)
    assert lint(template) == []
    committed = yaml.safe_load(EXAMPLE.read_text())
    assert committed == template, "regenerate: python runbooks/aws.py template -o " + str(EXAMPLE)


def test_lint_catches_a_broken_tunnel_option(example_routers: list[Router]) -> None:
    # The lint step must be able to fail, or a clean result proves nothing.
    template = build_template(example_routers)
    spec = template["Resources"]["VpnConnectionRouter1"]["Properties"]
    spec["VpnTunnelOptionsSpecifications"][0]["DPDTimeoutSeconds"] = 10
    assert any("E3034" in m or "minimum" in m for m in lint(template))


def test_each_router_gets_a_gateway_and_a_bgp_connection(example_routers: list[Router]) -> None:
    resources = build_template(example_routers)["Resources"]
    for router in example_routers:
        part = router.name.capitalize()
        cgw = resources[f"CustomerGateway{part}"]["Properties"]
        assert (cgw["IpAddress"], cgw["BgpAsn"]) == (str(router.wan.address), router.asn)
        vpn = resources[f"VpnConnection{part}"]["Properties"]
        assert vpn["StaticRoutesOnly"] is False
        assert vpn["CustomerGatewayId"] == {"Ref": f"CustomerGateway{part}"}
        specs = vpn["VpnTunnelOptionsSpecifications"]
        assert [s["TunnelInsideCidr"] for s in specs] == [
            str(t.inside_cidr) for t in router.tunnels
        ]
        assert all(
            "PreSharedKey" not in s for s in specs
        )  # AWS generates keys; none in the template
    assert resources["VpnGateway"]["Properties"]["AmazonSideAsn"] == 64512
    propagation = resources["VpnGatewayRoutePropagation"]
    assert propagation["Properties"]["RouteTableIds"] == {"Ref": "RouteTableIds"}
    assert propagation["DependsOn"] == "VpnGatewayAttachment"
    # No static route resource: a static 0.0.0.0/0 would override BGP.
    assert not [r for r in resources.values() if r["Type"] == "AWS::EC2::Route"]


def test_adding_a_router_adds_its_gateway_and_connection(example_routers: list[Router]) -> None:
    before = build_template(example_routers)
    after = build_template(with_router(example_routers, "router-3", "198.51.100.30", 248))
    added = sorted(set(after["Resources"]) - set(before["Resources"]))
    assert added == ["CustomerGatewayRouter3", "VpnConnectionRouter3"]
    assert (
        after["Resources"]["CustomerGatewayRouter3"]["Properties"]["IpAddress"] == "198.51.100.30"
    )
    assert "VpnConnectionRouter3Id" in after["Outputs"]
    assert {k: v for k, v in after["Resources"].items() if k in before["Resources"]} == before[
        "Resources"
    ]
    assert lint(after) == []


def test_tunnel_options_follow_the_inventory(example_routers: list[Router]) -> None:
    data = example_routers[0].model_dump(mode="python")
    # AES-GCM-16 and DPD 'hold' map to AWS options on any platform; VyOS itself refuses those
    # names (issue 13), so this mapping is shown on an FRR router.
    data["platform"] = "frr"
    data["ipsec"].update(
        ike_version=1,
        ike={"encryption": "aes256gcm16", "integrity": "sha384", "dh_group": 19},
        esp={"encryption": "aes128", "integrity": "sha1", "dh_group": 5},
        dpd={"interval": 10, "timeout": 45, "action": "hold"},
        ike_lifetime=14400,
        esp_lifetime=1800,
    )
    router = Router.model_validate(data)
    spec = build_template([router])["Resources"]["VpnConnectionRouter1"]["Properties"][
        "VpnTunnelOptionsSpecifications"
    ][0]
    assert spec["IKEVersions"] == [{"Value": "ikev1"}]
    assert spec["Phase1EncryptionAlgorithms"] == [{"Value": "AES256-GCM-16"}]
    assert spec["Phase1IntegrityAlgorithms"] == [{"Value": "SHA2-384"}]
    assert spec["Phase1DHGroupNumbers"] == [{"Value": 19}]
    assert spec["Phase2DHGroupNumbers"] == [{"Value": 5}]
    assert spec["Phase2IntegrityAlgorithms"] == [{"Value": "SHA1"}]
    assert (spec["Phase1LifetimeSeconds"], spec["Phase2LifetimeSeconds"]) == (14400, 1800)
    assert (spec["DPDTimeoutSeconds"], spec["DPDTimeoutAction"]) == (45, "none")


def test_settings_aws_refuses_are_refused_before_aws(example_routers: list[Router]) -> None:
    data = example_routers[0].model_dump(mode="python")
    data["ipsec"]["ike"]["dh_group"] = 5  # valid for phase 2, not phase 1: the model refuses it
    with pytest.raises(ValueError, match=r"\(phase 2\) only"):
        Router.model_validate(data)
    data = example_routers[0].model_dump(mode="python")
    data["vpc"]["id"] = "vpc-other"
    with pytest.raises(AwsError, match="2 VPCs"):
        build_template([example_routers[1], Router.model_validate(data)])


def test_four_byte_asn_uses_bgp_asn_extended(example_routers: list[Router]) -> None:
    data = example_routers[0].model_dump(mode="python")
    data["asn"] = 4200000100
    props = build_template([Router.model_validate(data)])["Resources"]["CustomerGatewayRouter1"]
    assert props["Properties"]["BgpAsnExtended"] == 4200000100
    assert "BgpAsn" not in props["Properties"]


# ----------------------------------------------------------------------------- Stubber flows
# moto's CloudFormation skips VPNConnection and CustomerGateway; these flows use the Stubber,
# which checks each request and response against CloudFormation's real API model.


def not_found(cfn: Any) -> None:
    cfn.add_client_error(
        "describe_stacks", "ValidationError", f"Stack with id {STACK} does not exist", 400,
        expected_params={"StackName": STACK},
    )  # fmt: skip


def created(cfn: Any, change_type: str) -> None:
    cfn.add_response(
        "create_change_set",
        {"Id": "arn:aws:cloudformation:us-east-1:123456789012:changeSet/x/1", "StackId": "s"},
        {"StackName": STACK, "ChangeSetName": ANY, "ChangeSetType": change_type,
         "TemplateBody": ANY, "Parameters": [
             {"ParameterKey": "VpcId", "ParameterValue": "vpc-0123456789abcdef0"},
             {"ParameterKey": "RouteTableIds",
              "ParameterValue": "rtb-0aaaaaaaaaaaaaaa1,rtb-0bbbbbbbbbbbbbbb2"}],
         "Tags": ANY},
    )  # fmt: skip


def test_plan_shows_the_change_set_and_leaves_nothing_behind(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    cfn = stub_session.stub("cloudformation")
    not_found(cfn)
    created(cfn, "CREATE")
    cfn.add_response("describe_change_set", fixture_json("stack/describe_change_set_create.json"),
                     {"StackName": STACK, "ChangeSetName": ANY})  # fmt: skip
    cfn.add_response("delete_change_set", {}, {"StackName": STACK, "ChangeSetName": ANY})
    cfn.add_response("delete_stack", {}, {"StackName": STACK})  # the REVIEW_IN_PROGRESS shell
    client = stub_session.client("cloudformation")
    result = plan(client, STACK, build_template(example_routers), PARAMS, sleep=lambda s: None)
    cfn.assert_no_pending_responses()  # and no execute_change_set was made
    assert result.change_set_type == "CREATE" and not result.no_changes
    assert [(c.action, c.logical_id) for c in result.changes if "VPN" in c.resource_type] == [
        ("Add", "VpnGateway"),
        ("Add", "VpnGatewayRoutePropagation"),
        ("Add", "VpnConnectionRouter1"),
        ("Add", "VpnConnectionRouter2"),
    ]


def test_plan_reads_every_page_of_a_long_change_set(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    """The wait's answer is page one; the paginator fetches the rest from its NextToken."""
    described = fixture_json("stack/describe_change_set_create.json")
    first = {**described, "Changes": described["Changes"][:2], "NextToken": "page-2"}
    rest = {**described, "Changes": described["Changes"][2:]}
    cfn = stub_session.stub("cloudformation")
    not_found(cfn)
    created(cfn, "CREATE")
    cfn.add_response("describe_change_set", first, {"StackName": STACK, "ChangeSetName": ANY})
    cfn.add_response("describe_change_set", rest,
                     {"StackName": STACK, "ChangeSetName": ANY, "NextToken": "page-2"})  # fmt: skip
    cfn.add_response("delete_change_set", {})
    cfn.add_response("delete_stack", {})
    client = stub_session.client("cloudformation")
    result = plan(client, STACK, build_template(example_routers), PARAMS, sleep=lambda s: None)
    cfn.assert_no_pending_responses()
    expected = [c["ResourceChange"]["LogicalResourceId"] for c in described["Changes"]]
    assert [c.logical_id for c in result.changes] == expected


def test_plan_with_no_changes(stub_session: StubSession, example_routers: list[Router]) -> None:
    cfn = stub_session.stub("cloudformation")
    stack = {"StackName": STACK, "StackId": "arn:s", "CreationTime": "2025-05-01T10:00:00Z",
             "StackStatus": "UPDATE_COMPLETE"}  # fmt: skip
    cfn.add_response("describe_stacks", {"Stacks": [stack]}, {"StackName": STACK})
    created(cfn, "UPDATE")
    described = {"Status": "FAILED", "ChangeSetName": "x", "StackName": STACK, "Changes": [],
                 "StatusReason": "The submitted information didn't contain changes. Submit "
                 "different information to create a change set."}  # fmt: skip
    cfn.add_response("describe_change_set", described)
    cfn.add_response("delete_change_set", {})
    client = stub_session.client("cloudformation")
    result = plan(client, STACK, build_template(example_routers), PARAMS, sleep=lambda s: None)
    cfn.assert_no_pending_responses()
    assert result.no_changes and result.changes == []


def test_plan_refuses_a_stack_that_failed_to_create(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    cfn = stub_session.stub("cloudformation")
    stack = {"StackName": STACK, "StackId": "arn:s", "CreationTime": "2025-05-01T10:00:00Z",
             "StackStatus": "ROLLBACK_COMPLETE"}  # fmt: skip
    cfn.add_response("describe_stacks", {"Stacks": [stack]})
    with pytest.raises(AwsError, match=r"ROLLBACK_COMPLETE.*stack delete"):
        plan(stub_session.client("cloudformation"), STACK, build_template(example_routers), PARAMS)


def test_failed_deploy_reports_the_events_that_explain_it(
    stub_session: StubSession, example_routers: list[Router]
) -> None:
    events = fixture_json("stack/describe_stack_events_failed.json")["StackEvents"]
    review = fixture_json("stack/describe_stack_events_review.json")
    cfn = stub_session.stub("cloudformation")
    not_found(cfn)
    created(cfn, "CREATE")
    cfn.add_response("describe_change_set", fixture_json("stack/describe_change_set_create.json"))
    cfn.add_response("describe_stack_events", review, {"StackName": STACK})  # the mark
    cfn.add_response("execute_change_set", {}, {"StackName": STACK, "ChangeSetName": ANY})
    # First poll: half way; second: rolled back.
    cfn.add_response("describe_stack_events", {"StackEvents": events[-5:]})
    in_progress = {"StackName": STACK, "StackId": "arn:s", "CreationTime": "2025-05-01T10:00:00Z",
                   "StackStatus": "CREATE_IN_PROGRESS"}  # fmt: skip
    cfn.add_response("describe_stacks", {"Stacks": [in_progress]})
    cfn.add_response("describe_stack_events", {"StackEvents": events})
    cfn.add_response(
        "describe_stacks", {"Stacks": [{**in_progress, "StackStatus": "ROLLBACK_COMPLETE"}]}
    )
    seen: list[StackEvent] = []
    outcome = deploy(
        stub_session.client("cloudformation"), STACK, build_template(example_routers), PARAMS,
        on_event=seen.append, poll_seconds=0, sleep=lambda s: None,
    )  # fmt: skip
    cfn.assert_no_pending_responses()
    assert not outcome.ok and outcome.status == "ROLLBACK_COMPLETE"
    assert [(e.logical_id, e.status) for e in outcome.failures] == [
        ("VpnConnectionRouter1", "CREATE_FAILED")
    ]
    assert "169.254.247.0/30 is being used" in outcome.failures[0].reason
    # Progress: each event of this run once, oldest first, none from before the run.
    assert [e.event_id for e in seen] == [e["EventId"] for e in reversed(events[:-1])]
    assert seen[-1].status == "ROLLBACK_COMPLETE"


def test_status_of_a_failed_stack_explains_it(stub_session: StubSession) -> None:
    cfn = stub_session.stub("cloudformation")
    stack = {"StackName": STACK, "StackId": "arn:s", "CreationTime": "2025-05-01T10:00:00Z",
             "StackStatus": "ROLLBACK_COMPLETE"}  # fmt: skip
    cfn.add_response("describe_stacks", {"Stacks": [stack]})
    cfn.add_response("describe_stack_resources", {"StackResources": []}, {"StackName": STACK})
    cfn.add_response("describe_stack_events",
                     fixture_json("stack/describe_stack_events_failed.json"))  # fmt: skip
    state = status(stub_session.client("cloudformation"), STACK)
    assert state.exists and state.status == "ROLLBACK_COMPLETE"
    assert [e.logical_id for e in state.failures] == ["VpnConnectionRouter1"]


# ----------------------------------------------------------------------------- moto, end to end
# moto runs the runbook's whole flow (change set, execute, events, outputs, delete) for the
# resource types it knows. It reaches CREATE_COMPLETE without creating the VPN connections
# and customer gateways, so the assertions are on the resources themselves, and the deploy
# must say the connections are missing instead of trusting the stack status.


def moto_cloudformation_available() -> bool:
    """moto's CloudFormation backend imports the ``moto[cloudformation]`` extra's packages."""
    try:
        import moto.cloudformation.models  # noqa: F401
    except ImportError:
        return False
    return True


def aws_runbook() -> Any:
    return load_runbook("aws")


@pytest.mark.skipif(
    not moto_cloudformation_available(),
    reason="moto's CloudFormation needs the moto[cloudformation] extra (openapi-spec-validator, "
    "docker, joserfc, graphql-core, pyparsing, py-partiql-parser, aws-xray-sdk)",
)
@mock_aws
def test_moto_plan_deploy_status_delete(
    aws_env: None,
    example_nornir_config: Path,
    capsys: pytest.CaptureFixture[str],
    restore_logging: None,
) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(
        CidrBlock="10.0.0.0/24",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "vpc-prod"}]}],
    )["Vpc"]["VpcId"]
    runbook = aws_runbook()
    base = ["-c", str(example_nornir_config), "--poll", "0"]

    assert runbook.main([*base, "stack", "plan"]) == 0
    out = capsys.readouterr().out
    assert "VpnConnectionRouter1" in out and "Add" in out
    assert ec2.describe_vpn_gateways()["VpnGateways"] == []  # plan changed nothing

    code = runbook.main([*base, "--yes", "stack", "deploy"])
    result = capsys.readouterr()
    assert "CREATE_COMPLETE" in result.out + result.err
    # The stack says CREATE_COMPLETE; EC2 has no VPN connection: deploy must not pass.
    assert code == 1
    assert "MISSING VpnConnectionRouter1" in result.err
    assert ec2.describe_vpn_connections()["VpnConnections"] == []
    gateways = ec2.describe_vpn_gateways()["VpnGateways"]
    assert [(g["AmazonSideAsn"], g["VpcAttachments"][0]["VpcId"]) for g in gateways] == [
        (64512, vpc)
    ]

    assert runbook.main([*base, "--json", "stack", "status"]) == 0
    assert '"CREATE_COMPLETE"' in capsys.readouterr().out

    assert runbook.main([*base, "--yes", "stack", "delete"]) == 0
    assert "DELETE_COMPLETE" in capsys.readouterr().out
    assert runbook.main([*base, "stack", "status"]) == 1


def test_runbook_without_credentials_says_how(
    no_aws_env: None,
    example_nornir_config: Path,
    capsys: pytest.CaptureFixture[str],
    restore_logging: None,
) -> None:
    with pytest.raises(SystemExit) as exit_:
        aws_runbook().main(["-c", str(example_nornir_config), "stack", "status"])
    assert exit_.value.code == 2
    assert "no AWS credentials found" in capsys.readouterr().err


def test_runbook_refuses_a_partial_stack(
    aws_env: None, example_nornir_config: Path, restore_logging: None
) -> None:
    with pytest.raises(SystemExit) as exit_:
        aws_runbook().main(
            ["-c", str(example_nornir_config), "--hosts", "router1", "stack", "plan"]
        )
    assert exit_.value.code == 2


def test_template_command_writes_what_the_generator_builds(
    example_nornir_config: Path, tmp_path: Path, example_routers: list[Router],
    restore_logging: None,
) -> None:  # fmt: skip
    out = tmp_path / "stack.yaml"
    assert aws_runbook().main(["-c", str(example_nornir_config), "template", "-o", str(out)]) == 0
    assert yaml.safe_load(out.read_text()) == build_template(example_routers)
    assert copy.deepcopy(yaml.safe_load(out.read_text())) == yaml.safe_load(EXAMPLE.read_text())
    assert (FIXTURES / "stack").is_dir()
