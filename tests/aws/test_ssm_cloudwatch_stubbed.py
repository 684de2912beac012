"""The SSM observer's and the CloudWatch confirmation's API calls, checked by botocore's
Stubber against the real API model (no request leaves this machine)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from aws_fixtures import REGION
from botocore.stub import ANY, Stubber
from inventory_factory import base_hosts, write_inventory

from tasks.aws.session import boto_session
from tasks.inventory import load
from tasks.observers import ObserverError
from tasks.observers.cloudwatch import confirm
from tasks.observers.ssm import DOCUMENT, SsmObserver, agent_commands, parse_agent_output

INSTANCE = "i-0123456789abcdef0"
COMMAND_ID = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"


@pytest.fixture
def hosts(tmp_path: Path) -> dict[str, Any]:
    return dict(load(write_inventory(tmp_path, base_hosts())).inventory.hosts)


def client(service: str) -> tuple[Any, Stubber]:
    c = boto_session(region=REGION, instance_metadata=False).client(service)
    return c, Stubber(c)


def agent_output(sources: list[str], start: float = 1_700_000_000.0, rate: float = 5) -> str:
    lines = [f"start {start:.3f} rate {rate:g} count {len(sources)} duration 10"]
    lines += [f"{i} {int(i / rate * 1000) + 40} {s}" for i, s in enumerate(sources)]
    return "\n".join([*lines, f"end sent {len(sources)}", ""])


def invocation(status: str, output: str = "") -> dict[str, Any]:
    return {"CommandId": COMMAND_ID, "InstanceId": INSTANCE, "Status": status,
            "StandardOutputContent": output}  # fmt: skip


def test_ssm_verify_starts_the_bounded_agent_and_reads_its_answers(
    aws_env: None, hosts: dict[str, Any]
) -> None:
    ssm, stub = client("ssm")
    primary_nat = str(hosts["r1"].data["router"].wan.address)
    stub.add_response(
        "send_command",
        {"Command": {"CommandId": COMMAND_ID}},
        {"InstanceIds": [INSTANCE], "DocumentName": DOCUMENT, "TimeoutSeconds": 60,
         "Parameters": {"commands": ANY, "executionTimeout": ["42"]}, "Comment": ANY},
    )  # fmt: skip
    stub.add_client_error("get_command_invocation", "InvocationDoesNotExist")
    stub.add_response("get_command_invocation", invocation("InProgress"),
                      {"CommandId": COMMAND_ID, "InstanceId": INSTANCE})  # fmt: skip
    stub.add_response("get_command_invocation",
                      invocation("Success", agent_output([primary_nat] * 50)),
                      {"CommandId": COMMAND_ID, "InstanceId": INSTANCE})  # fmt: skip
    observer = SsmObserver({"kind": "ssm", "instance_id": INSTANCE, "window": 10}, hosts, ssm)
    with stub, pytest.MonkeyPatch.context() as mp:
        mp.setattr("tasks.observers.ssm.time.sleep", lambda _s: None)
        [check] = observer.data_plane({n: h.data["router"] for n, h in hosts.items()})
    stub.assert_no_pending_responses()
    assert check.status == "pass" and "through r1" in check.detail and "50/50" in check.detail


def test_ssm_agent_cancelled_when_it_overruns(aws_env: None, hosts: dict[str, Any]) -> None:
    ssm, stub = client("ssm")
    stub.add_response("send_command", {"Command": {"CommandId": COMMAND_ID}})
    stub.add_response("get_command_invocation", invocation("InProgress"))
    stub.add_response("cancel_command", {},
                      {"CommandId": COMMAND_ID, "InstanceIds": [INSTANCE]})  # fmt: skip
    observer = SsmObserver({"instance_id": INSTANCE}, hosts, ssm)
    run = observer.run(duration=1)
    with stub:
        run.start()
        with pytest.raises(ObserverError, match="cancelled"):
            run.wait(timeout=0, every=0)
    stub.assert_no_pending_responses()


def test_agent_script_is_bounded_and_parsed_with_sequence_numbers() -> None:
    commands = agent_commands("https://checkip.amazonaws.com/", 5, 100, 20, 2)
    assert commands[0].startswith("f=$(mktemp)") and commands[-1].startswith("timeout 52 ")
    text = agent_output(["198.51.100.10", "-", "198.51.100.11"])
    records, sent = parse_agent_output(text, clock_offset=1_700_000_000.0)
    assert sent == 3 and [r.seq for r in records] == [0, 2]  # seq 1 unanswered: lost
    assert [r.source for r in records] == ["198.51.100.10", "198.51.100.11"]
    assert records[1].received == pytest.approx(0.44)  # 400 ms + 40 ms after the start


def test_ssm_settings_refused_before_any_call(hosts: dict[str, Any]) -> None:
    with pytest.raises(ObserverError, match="instance_id"):
        SsmObserver({"kind": "ssm"}, hosts)
    with pytest.raises(ObserverError, match="rate"):
        SsmObserver({"instance_id": INSTANCE, "rate": 500}, hosts)


START = dt.datetime(2026, 12, 1, 22, 0, 30, tzinfo=dt.UTC)
END = dt.datetime(2026, 12, 1, 22, 2, 10, tzinfo=dt.UTC)


def metric_reply(values: dict[str, float]) -> dict[str, Any]:
    """One result per query id; ``values`` gives the bytes of the ids that have data."""
    results = []
    for i in range(8):  # 2 routers x 2 tunnels x 2 metrics
        qid = f"q{i}"
        data = [values[qid]] if qid in values else []
        stamps = [dt.datetime(2026, 12, 1, 22, 1, tzinfo=dt.UTC)] if data else []
        results.append({"Id": qid, "Label": qid, "Timestamps": stamps, "Values": data,
                        "StatusCode": "Complete"})  # fmt: skip
    return {"MetricDataResults": results, "Messages": []}


@pytest.mark.parametrize(
    ("values", "status"),
    [({"q5": 120000.0, "q1": 300.0}, "confirms"), ({"q1": 90000.0}, "contradicts"),
     ({}, "pending")],
)  # fmt: skip
def test_cloudwatch_tunnel_data_per_tunnel(
    aws_env: None, tmp_path: Path, values: dict[str, float], status: str
) -> None:
    routers = {n: h.data["router"] for n, h in
               load(write_inventory(tmp_path, base_hosts())).inventory.hosts.items()
               if n in ("r1", "r2")}  # fmt: skip
    cw, stub = client("cloudwatch")
    stub.add_response("get_metric_data", metric_reply(values), {
        "MetricDataQueries": ANY, "ScanBy": "TimestampAscending",
        "StartTime": dt.datetime(2026, 12, 1, 22, 0, tzinfo=dt.UTC),
        "EndTime": dt.datetime(2026, 12, 1, 22, 3, tzinfo=dt.UTC)})  # fmt: skip
    with stub:
        result = confirm(routers, "r1", "r2", START, END, {}, client=cw)
    stub.assert_no_pending_responses()
    assert result["status"] == status, result
    assert any("r2/tun1 TunnelDataOut" in row for row in result["rows"])


def test_cloudwatch_queries_name_each_tunnels_aws_address(tmp_path: Path) -> None:
    from tasks.observers.cloudwatch import metric_queries

    routers = {n: h.data["router"] for n, h in
               load(write_inventory(tmp_path, base_hosts())).inventory.hosts.items()}  # fmt: skip
    queries, ids = metric_queries(routers)
    assert len(queries) == 12 and ids["q1"] == ("r1", "tun1", "TunnelDataOut")
    dim = queries[1]["MetricStat"]["Metric"]["Dimensions"][0]
    assert dim == {"Name": "TunnelIpAddress", "Value": "203.0.113.10"}


def test_cloudwatch_skips_with_the_reason(no_aws_env: None, hosts: dict[str, Any]) -> None:
    routers = {n: h.data["router"] for n, h in hosts.items()}
    assert confirm(routers, "r1", "r2", START, END, {}, enabled=False)["status"] == "skip"
    off = confirm(routers, "r1", "r2", START, END, {"enabled": False})
    assert off["status"] == "skip" and "Nornir config" in off["detail"]
    none = confirm(routers, "r1", "r2", START, END, {"region": REGION})
    assert none["status"] == "skip" and "no AWS credentials" in none["detail"]


def test_ssm_verify_answers_naming_two_routers_are_no_pass(
    aws_env: None, hosts: dict[str, Any]
) -> None:
    ssm, stub = client("ssm")
    nat = [str(hosts[r].data["router"].wan.address) for r in ("r1", "r2")]
    stub.add_response("send_command", {"Command": {"CommandId": COMMAND_ID}})
    stub.add_response("get_command_invocation",
                      invocation("Success", agent_output([nat[0]] * 5 + [nat[1]] * 5)))  # fmt: skip
    observer = SsmObserver({"instance_id": INSTANCE}, hosts, ssm)
    with stub:
        [check] = observer.data_plane({n: h.data["router"] for n, h in hosts.items()})
    assert check.status == "fail" and "r1" in check.detail and "r2" in check.detail
