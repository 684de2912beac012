"""Reading a CloudFormation stack: its description, its events oldest first, the wait for an end."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from tasks.aws.session import AwsError, aws_call, aws_pages, describe_error

IN_PROGRESS = "_IN_PROGRESS"


@dataclass(frozen=True)
class StackEvent:
    """One stack event; ``reason`` is what explains a failure."""

    event_id: str
    timestamp: datetime
    logical_id: str
    resource_type: str
    status: str
    reason: str = ""

    @property
    def failed(self) -> bool:
        return self.status.endswith("_FAILED")

    def line(self) -> str:
        stamp = self.timestamp.strftime("%H:%M:%S")
        text = f"{stamp}  {self.status:<28} {self.resource_type:<36} {self.logical_id}"
        return f"{text}  {self.reason}" if self.reason else text


EventSink = Callable[[StackEvent], None]


def _event(raw: dict[str, Any]) -> StackEvent:
    return StackEvent(
        event_id=raw["EventId"],
        timestamp=raw["Timestamp"],
        logical_id=raw.get("LogicalResourceId", ""),
        resource_type=raw.get("ResourceType", ""),
        status=raw.get("ResourceStatus", ""),
        reason=raw.get("ResourceStatusReason", ""),
    )


def explaining_failures(events: Iterable[StackEvent]) -> list[StackEvent]:
    """The failed events that say why, without the "cancelled" echoes a rollback produces."""
    return [e for e in events if e.failed and e.reason and "cancelled" not in e.reason.lower()]


def describe_stack(cfn: Any, stack_name: str) -> dict[str, Any] | None:
    """The stack, or None when it does not exist (or only holds a change set under review)."""
    try:
        stacks = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc.response.get("Error", {}).get("Message", "")):
            return None
        raise AwsError(f"describe stack {stack_name} failed: {describe_error(exc)}") from exc
    except BotoCoreError as exc:
        raise AwsError(f"describe stack {stack_name} failed: {describe_error(exc)}") from exc
    if not stacks or stacks[0]["StackStatus"] in ("REVIEW_IN_PROGRESS", "DELETE_COMPLETE"):
        return None
    return dict(stacks[0])


def stack_events(cfn: Any, stack_id: str, after: str | None = None) -> list[StackEvent]:
    """Events oldest first; with ``after`` (an event id) only the newer ones.

    Marking by event id instead of by time keeps a previous run's events out of this run's
    report without trusting the local clock against CloudFormation's.
    """
    events: list[StackEvent] = []
    for page in aws_pages(
        "describe stack events", cfn, "describe_stack_events", StackName=stack_id
    ):
        for raw in page.get("StackEvents", []):  # newest first
            if after is not None and raw["EventId"] == after:
                return list(reversed(events))
            events.append(_event(raw))
    return list(reversed(events))


def latest_event_id(cfn: Any, stack_id: str) -> str | None:
    """The newest event's id: the mark after which a run's own events begin."""
    page = aws_call("describe stack events", cfn.describe_stack_events, StackName=stack_id)
    events = page.get("StackEvents", [])
    return str(events[0]["EventId"]) if events else None


def wait_for_stack(
    cfn: Any,
    stack_id: str,
    after: str | None,
    *,
    on_event: EventSink | None = None,
    poll_seconds: float = 5.0,
    timeout: float = 3600.0,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[dict[str, Any], list[StackEvent]]:
    """Poll until the stack leaves ``*_IN_PROGRESS``, reporting each new event once.

    Not botocore's ``stack_create_complete`` / ``stack_update_complete`` /
    ``stack_delete_complete`` waiters, on purpose: a waiter only polls DescribeStacks, so it
    cannot stream each new event to ``on_event`` while the stack works (the runbook's progress
    lines) nor collect the events that explain a failure; it ends a rollback with a generic
    "terminal failure state" error where the caller wants the final status and the events; and
    one waiter per operation would not fit this one wait for create, update and delete.
    """
    deadline = time.monotonic() + timeout
    seen: set[str] = set()
    history: list[StackEvent] = []
    while True:
        for event in stack_events(cfn, stack_id, after):
            if event.event_id in seen:
                continue
            seen.add(event.event_id)
            history.append(event)
            if on_event:
                on_event(event)
        stacks = aws_call("describe stack", cfn.describe_stacks, StackName=stack_id)["Stacks"]
        stack = dict(stacks[0])
        if not stack["StackStatus"].endswith(IN_PROGRESS):
            return stack, history
        if time.monotonic() > deadline:
            raise AwsError(f"stack {stack_id} still {stack['StackStatus']} after {timeout:.0f}s")
        sleep(poll_seconds)
