"""The AWS side of a VPC's stack: deploy, status and delete, and the EC2 facts they need.

The template comes from :mod:`tasks.aws.template`, change sets from
:mod:`tasks.aws.change_set`, events and the wait from :mod:`tasks.aws.stack_events`. Stack
operations (:func:`~tasks.aws.change_set.plan`, :func:`deploy`, :func:`status`, :func:`delete`)
take a CloudFormation client, so tests hand in moto's or a Stubber-activated one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from tasks.aws.change_set import Plan, discard, plan
from tasks.aws.session import AwsError, aws_call, aws_pages, describe_error
from tasks.aws.stack_events import (
    EventSink,
    StackEvent,
    describe_stack,
    explaining_failures,
    latest_event_id,
    stack_events,
    wait_for_stack,
)
from tasks.aws.template import VPC_ID, vpn_logical_ids

SUCCESS = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE")


def resolve_vpc_id(ec2: Any, vpc: str) -> str:
    """A real VPC id for the inventory's ``vpc.id``: itself if it is one, else by ``Name`` tag.

    The example inventory names its VPC ("vpc-prod"); AWS needs ``vpc-0123...``.
    """
    if VPC_ID.match(vpc):
        return vpc
    found = aws_call(
        "describe VPCs",
        ec2.describe_vpcs,
        Filters=[{"Name": "tag:Name", "Values": [vpc]}],
    )["Vpcs"]
    if len(found) != 1:
        raise AwsError(
            f"inventory VPC {vpc!r} is not a VPC id and {len(found)} VPCs carry Name={vpc}; "
            "put the VPC id in the inventory or pass --vpc-id"
        )
    return str(found[0]["VpcId"])


def route_table_ids(ec2: Any, vpc_id: str) -> list[str]:
    """Every route table of the VPC: each one must learn the default route by propagation."""
    pages = aws_pages(
        "describe route tables", ec2, "describe_route_tables",
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}],
    )  # fmt: skip
    tables = [t["RouteTableId"] for page in pages for t in page.get("RouteTables", [])]
    if not tables:
        raise AwsError(f"VPC {vpc_id} has no route tables (does it exist in this region?)")
    return sorted(tables)


@dataclass
class Outcome:
    """How a deploy or delete ended: final status, outputs, and the events that explain it."""

    stack_name: str
    status: str
    ok: bool
    outputs: dict[str, str] = field(default_factory=dict)
    failures: list[StackEvent] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    plan: Plan | None = None


def _outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", [])}


def deploy(
    cfn: Any,
    stack_name: str,
    template: dict[str, Any],
    parameters: dict[str, str | list[str]],
    *,
    on_plan: Callable[[Plan], bool] | None = None,
    on_event: EventSink | None = None,
    poll_seconds: float = 5.0,
    timeout: float = 3600.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Plan, let ``on_plan`` show and approve the change set, execute it and wait.

    ``on_plan`` returning False discards the change set and changes nothing. The outcome's
    ``failures`` are the events that explain a failed or rolled-back deploy.
    """
    planned = plan(
        cfn, stack_name, template, parameters, keep=True,
        poll_seconds=min(poll_seconds, 3.0), sleep=sleep,
    )  # fmt: skip
    if planned.no_changes:
        stack = describe_stack(cfn, stack_name) or {}
        return Outcome(stack_name, stack.get("StackStatus", "NO_CHANGES"), True,
                       _outputs(stack), plan=planned)  # fmt: skip
    if on_plan is not None and not on_plan(planned):
        discard(cfn, planned)
        return Outcome(stack_name, "NOT_EXECUTED", False, plan=planned)
    mark = latest_event_id(cfn, stack_name)
    aws_call(
        "execute change set",
        cfn.execute_change_set,
        StackName=stack_name,
        ChangeSetName=planned.change_set_name,
    )
    stack, history = wait_for_stack(
        cfn, stack_name, mark, on_event=on_event, poll_seconds=poll_seconds,
        timeout=timeout, sleep=sleep,
    )  # fmt: skip
    status = stack["StackStatus"]
    ok = status in SUCCESS
    return Outcome(
        stack_name,
        status,
        ok,
        _outputs(stack),
        failures=[] if ok else explaining_failures(history),
        plan=planned,
    )


def missing_vpn_resources(
    cfn: Any, ec2: Any, stack_name: str, template: dict[str, Any]
) -> list[str]:
    """Template VPN connections and customer gateways that do not exist in EC2.

    A stack status is not proof: moto's stacks reach CREATE_COMPLETE without creating these,
    and a hand-deleted connection leaves the stack looking healthy. Ask EC2 for each one.
    """
    resources = aws_call("list stack resources", cfn.describe_stack_resources, StackName=stack_name)
    physical = {
        r.get("LogicalResourceId", ""): r.get("PhysicalResourceId", "")
        for r in resources.get("StackResources", [])
    }
    missing: list[str] = []
    for logical in vpn_logical_ids(template):
        pid = physical.get(logical, "")
        if not pid:
            missing.append(f"{logical}: not in the stack")
            continue
        is_vpn = template["Resources"][logical]["Type"] == "AWS::EC2::VPNConnection"
        try:
            if is_vpn:
                found = ec2.describe_vpn_connections(VpnConnectionIds=[pid])["VpnConnections"]
            else:
                found = ec2.describe_customer_gateways(CustomerGatewayIds=[pid])["CustomerGateways"]
        except ClientError:
            found = []
        except BotoCoreError as exc:
            raise AwsError(f"cannot look up {pid}: {describe_error(exc)}") from exc
        if not [f for f in found if f.get("State") in ("pending", "available")]:
            missing.append(f"{logical}: {pid} does not exist in EC2")
    return missing


@dataclass
class Status:
    """A stack's status for ``stack status``: outputs, resources, and why it failed if it did."""

    stack_name: str
    exists: bool
    status: str = "DOES_NOT_EXIST"
    reason: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    resources: list[dict[str, str]] = field(default_factory=list)
    failures: list[StackEvent] = field(default_factory=list)


def status(cfn: Any, stack_name: str) -> Status:
    """Where the stack stands; for a failed or rolled-back stack, the events that explain it."""
    stack = describe_stack(cfn, stack_name)
    if stack is None:
        return Status(stack_name, exists=False)
    found = aws_call("list stack resources", cfn.describe_stack_resources, StackName=stack_name)
    resources = [
        {
            "logical_id": r.get("LogicalResourceId", ""),
            "type": r.get("ResourceType", ""),
            "physical_id": r.get("PhysicalResourceId", ""),
            "status": r.get("ResourceStatus", ""),
        }
        for r in found.get("StackResources", [])
    ]
    state = stack["StackStatus"]
    failures = [] if state in SUCCESS else explaining_failures(stack_events(cfn, stack_name))
    return Status(
        stack_name,
        True,
        state,
        stack.get("StackStatusReason", ""),
        _outputs(stack),
        resources,
        failures,
    )


def delete(
    cfn: Any,
    stack_name: str,
    *,
    on_event: EventSink | None = None,
    poll_seconds: float = 5.0,
    timeout: float = 3600.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Delete the stack and wait; a stack that does not exist is already deleted."""
    stack = describe_stack(cfn, stack_name)
    if stack is None:
        return Outcome(stack_name, "DOES_NOT_EXIST", True)
    mark = latest_event_id(cfn, stack["StackId"])
    aws_call("delete stack", cfn.delete_stack, StackName=stack_name)
    # Follow the stack by id: once deleted, its name no longer resolves.
    final, history = wait_for_stack(
        cfn, stack["StackId"], mark, on_event=on_event, poll_seconds=poll_seconds,
        timeout=timeout, sleep=sleep,
    )  # fmt: skip
    ok = final["StackStatus"] == "DELETE_COMPLETE"
    return Outcome(
        stack_name, final["StackStatus"], ok, failures=[] if ok else explaining_failures(history)
    )
