"""The SSM probe agent on the lab's VPC host, against the lab's "what is my address" service.

The agent is the same script SSM would run (the same ``AWS-RunShellScript`` commands), started
by the lab (:class:`tasks.lab.run_command.LabRunCommand`) instead of SSM; the service runs on
the internet host, started by the lab. The SSM API calls themselves are checked with
botocore's Stubber in tests/aws/test_ssm_cloudwatch_stubbed.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tasks.failover import FailoverOptions, run_failover
from tasks.inventory import load
from tasks.lab import Lab
from tasks.lab.run_command import LabRunCommand
from tasks.observers.ssm import SsmObserver, agent_commands, parse_agent_output

pytestmark = pytest.mark.lab

INSTANCE = "i-0lab0000000000000"


@pytest.fixture
def checkip(configured_lab: Lab) -> Iterator[str]:
    with configured_lab.checkip() as url:
        yield url


@pytest.fixture
def run_command(configured_lab: Lab) -> Iterator[LabRunCommand]:
    client = LabRunCommand(configured_lab.plan.vpc_ns)
    yield client
    client.close()


def run_agent(lab: Lab, url: str, rate: float, count: int, duration: float) -> tuple[str, float]:
    script = "\n".join(agent_commands(url, rate, count, duration, 2))
    started = time.monotonic()
    proc = lab.exec(lab.plan.vpc_ns, ["sh", "-c", script], timeout=duration + 40)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, time.monotonic() - started


def test_agent_on_the_vpc_host_names_the_primarys_nat_address(
    configured_lab: Lab, checkip: str
) -> None:
    output, took = run_agent(configured_lab, checkip, rate=20, count=1000, duration=2)
    records, sent = parse_agent_output(output, time.time() - time.monotonic())
    assert 35 <= sent <= 41 and took < 10  # bounded by time: 2 s at 20/s, then it stops
    assert [r.seq for r in records] == sorted(r.seq for r in records) or len(records) == sent
    assert {r.source for r in records} == {configured_lab.nat_address("r1")}
    assert len(records) == sent  # nothing lost on a healthy lab


def test_agent_stops_by_itself_at_its_count(configured_lab: Lab, checkip: str) -> None:
    output, took = run_agent(configured_lab, checkip, rate=10, count=5, duration=600)
    records, sent = parse_agent_output(output, 0.0)
    assert sent == 5 and len(records) == 5 and took < 5


def ssm_conf(url: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "ssm", "instance_id": INSTANCE, "url": url, "rate": 10, "window": 6,
            "timeout": 1, **extra}  # fmt: skip


def test_verify_data_plane_by_the_ssm_observer(
    configured_lab: Lab, checkip: str, run_command: LabRunCommand
) -> None:
    nr = load(configured_lab.config_file)
    observer = SsmObserver(ssm_conf(checkip), nr.inventory.hosts, client=run_command)
    routers = {n: h.data["router"] for n, h in nr.inventory.hosts.items()}
    [check] = observer.data_plane(routers)
    assert check.status == "pass" and "through r1" in check.detail, check


def test_failover_drain_judged_by_the_ssm_agent(
    configured_lab: Lab, checkip: str, run_command: LabRunCommand, tmp_path: Path
) -> None:
    """failover.py's drain with the ssm observer: switch times and losses from the agent's
    sequence numbers, beside the lab probe stream run at the same time."""
    from tasks.failover.observe import switch_of

    lab = configured_lab
    nr = load(lab.config_file)
    observer = SsmObserver(ssm_conf(checkip), nr.inventory.hosts, client=run_command)
    options = FailoverOptions(hold=1.0, aws=False, progress=lambda _m: None)
    offset = time.time() - time.monotonic()
    with lab.probe_stream(rate=50, duration=300) as stream:
        report = run_failover(nr, options, observer=observer)
    assert report.exit_code == 0, (report.outcome, report.error, report.phases)
    drain = report.phase("drain")
    assert drain is not None and drain.switch is not None
    sw = drain.switch
    assert sw.lost == 0 and sw.sent and sw.traffic_s is not None and "SSM agent" in sw.basis
    t0 = drain.timings["command_at"] - offset
    window = [r for r in stream.records if t0 - 1 <= r.received <= t0 + 10]
    probe = switch_of(window, stream.sent, t0, lab.nat_address("r2"), lab.nat_address("r1"))
    print(f"drain: ssm agent switch {sw.traffic_s}s gap {sw.outage_s}s lost {sw.lost}/{sw.sent}"
          f" | lab probe switch {probe.traffic_s}s max gap {probe.outage_s}s")  # fmt: skip
    assert probe.traffic_s is not None and abs(sw.traffic_s - probe.traffic_s) <= 1.0
