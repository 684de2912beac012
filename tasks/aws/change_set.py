"""``plan``: a CloudFormation change set created, described, and discarded or kept to execute.

Nothing changes until :func:`tasks.aws.stack.deploy` executes a kept change set.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from typing import Any

from tasks.aws.session import AwsError, aws_call, aws_pages
from tasks.aws.stack_events import IN_PROGRESS, describe_stack
from tasks.aws.template import TAG_PREFIX, template_text

NO_CHANGES = ("didn't contain changes", "No updates are to be performed")


@dataclass(frozen=True)
class Change:
    """One resource change of a change set, as ``plan`` shows it."""

    action: str
    logical_id: str
    resource_type: str
    physical_id: str = ""
    replacement: str = ""
    #: Properties the change touches (``Details[].Target.Name``), for tunnel-impact warnings.
    properties: tuple[str, ...] = ()


@dataclass
class Plan:
    """What a change set would do. ``changes`` empty and ``no_changes`` true: nothing to do."""

    stack_name: str
    change_set_name: str
    change_set_type: str
    changes: list[Change] = field(default_factory=list)
    no_changes: bool = False
    change_set_id: str = ""


def _parameters(values: dict[str, str | list[str]]) -> list[dict[str, str]]:
    return [
        {"ParameterKey": k, "ParameterValue": ",".join(v) if isinstance(v, list) else v}
        for k, v in values.items()
    ]


def plan(
    cfn: Any,
    stack_name: str,
    template: dict[str, Any],
    parameters: dict[str, str | list[str]],
    *,
    keep: bool = False,
    poll_seconds: float = 3.0,
    timeout: float = 600.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Plan:
    """Create a change set and describe it: nothing changes until it is executed.

    With ``keep`` false the change set is deleted afterwards (and the empty stack a first
    plan leaves in REVIEW_IN_PROGRESS), so a plan leaves no trace.

    Raises:
        AwsError: the stack is in a state that cannot be updated, or the change set failed.
    """
    existing = describe_stack(cfn, stack_name)
    if existing and existing["StackStatus"] == "ROLLBACK_COMPLETE":
        raise AwsError(
            f"stack {stack_name} is ROLLBACK_COMPLETE (its creation failed) and cannot be "
            "updated: run 'stack status' to see why, then 'stack delete' and deploy again"
        )
    if existing and existing["StackStatus"].endswith(IN_PROGRESS):
        raise AwsError(f"stack {stack_name} is busy ({existing['StackStatus']}); try later")
    change_type = "UPDATE" if existing else "CREATE"
    name = f"{TAG_PREFIX}-{datetime.now(UTC):%Y%m%d%H%M%S}"
    created = aws_call(
        "create change set",
        cfn.create_change_set,
        StackName=stack_name,
        ChangeSetName=name,
        ChangeSetType=change_type,
        TemplateBody=template_text(template),
        Parameters=_parameters(parameters),
        Tags=[{"Key": f"{TAG_PREFIX}:managed", "Value": "true"}],
    )
    result = Plan(stack_name, name, change_type, change_set_id=created.get("Id", name))
    described = _wait_change_set(cfn, stack_name, name, poll_seconds, timeout, sleep)
    if described["Status"] == "FAILED":
        reason = described.get("StatusReason", "")
        if not any(marker in reason for marker in NO_CHANGES):
            discard(cfn, result)
            raise AwsError(f"change set for {stack_name} failed: {reason}")
        result.no_changes = True
    result.changes = _changes(cfn, stack_name, name, described)
    if result.no_changes or not keep:
        discard(cfn, result)
    return result


def _wait_change_set(
    cfn: Any,
    stack_name: str,
    name: str,
    poll_seconds: float,
    timeout: float,
    sleep: Callable[[float], None],
) -> dict[str, Any]:
    """Poll DescribeChangeSet until the change set is CREATE_COMPLETE or FAILED; its last answer.

    Not botocore's ``change_set_create_complete`` waiter, on purpose. A waiter returns nothing
    on success, so the answer this loop ends on (the first page of ``Changes``, and on FAILED
    the ``StatusReason`` that tells "no changes" from a failure) would cost a second
    DescribeChangeSet for every plan, which the Stubber flows in tests/aws (one describe per
    plan) would refuse; and a waiter sleeps with ``time.sleep`` for a count of attempts, not
    the ``sleep`` and ``timeout`` that callers and tests hand in.
    """
    deadline = time.monotonic() + timeout
    while True:
        described = aws_call(
            "describe change set", cfn.describe_change_set, StackName=stack_name, ChangeSetName=name
        )
        if described["Status"] in ("CREATE_COMPLETE", "FAILED"):
            return dict(described)
        if time.monotonic() > deadline:
            raise AwsError(f"change set {name} still {described['Status']} after {timeout:.0f}s")
        sleep(poll_seconds)


def _changes(cfn: Any, stack_name: str, name: str, first: dict[str, Any]) -> list[Change]:
    """Every change of the change set: ``first`` is the page the wait read, then the paginator's."""
    pages: Iterable[dict[str, Any]] = [first]
    if first.get("NextToken"):
        more = aws_pages(
            "describe change set", cfn, "describe_change_set", StackName=stack_name,
            ChangeSetName=name, PaginationConfig={"StartingToken": first["NextToken"]},
        )  # fmt: skip
        pages = chain(pages, more)
    items = (item for page in pages for item in page.get("Changes", []))
    return [_change(item.get("ResourceChange", {})) for item in items]


def _change(rc: dict[str, Any]) -> Change:
    return Change(
        action=rc.get("Action", ""),
        logical_id=rc.get("LogicalResourceId", ""),
        resource_type=rc.get("ResourceType", ""),
        physical_id=rc.get("PhysicalResourceId", ""),
        replacement=rc.get("Replacement", ""),
        properties=tuple(
            d["Target"]["Name"] for d in rc.get("Details", []) if "Name" in d.get("Target", {})
        ),
    )


def discard(cfn: Any, result: Plan) -> None:
    aws_call(
        "delete change set",
        cfn.delete_change_set,
        StackName=result.stack_name,
        ChangeSetName=result.change_set_name,
    )
    if result.change_set_type == "CREATE":
        # A first change set leaves an empty stack in REVIEW_IN_PROGRESS: remove it too.
        aws_call("delete review stack", cfn.delete_stack, StackName=result.stack_name)
