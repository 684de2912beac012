"""The ``ssm`` observer: a probe agent inside the VPC, started through SSM Run Command.

An instance in the VPC (SSM agent running, instance profile allowing SSM) runs
:mod:`tasks.observers.agent.whatismyip` through ``AWS-RunShellScript``: a bounded stream of
requests to a "what is my address" URL (``checkip.amazonaws.com`` by default), each answer
naming the NAT address the request left with, with sequence numbers. The output is collected
with ``get_command_invocation`` once the agent has stopped by itself; ``cancel_command`` stops
it early. The figures are then as exact as the lab probe's, on the instance's clock (the
records' times are placed on this machine's clock by the agent's start time: both clocks NTP
synced).

Settings (``user_defined.probe`` with ``kind: ssm``): ``instance_id`` (required), ``region``,
``url``, ``rate`` (requests/s, default 5, at most 20), ``window`` (s a verify or failover phase
runs the agent, default 20), ``timeout`` (s per request, default 2), ``endpoint_url`` (SSM
endpoint, e.g. a VPC endpoint), ``profile``.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tasks.inventory import router_of
from tasks.model import Router, by_vpc
from tasks.observers import ObserverError, register
from tasks.observers.base import ProbeMeasurement, source_checks
from tasks.verify.report import Check

AGENT = Path(__file__).parent / "agent" / "whatismyip.py"
DOCUMENT = "AWS-RunShellScript"
DONE = {"Success", "Failed", "Cancelled", "TimedOut", "Cancelling"}
MAX_COUNT = 900


@dataclass(frozen=True)
class AgentRecord:
    seq: int
    source: str
    sent: float  # this machine's time.monotonic()
    received: float


def agent_commands(url: str, rate: float, count: int, duration: float, timeout: float) -> list[str]:
    """The shell lines SSM runs: write the agent to a temporary file, run it, remove it."""
    script = AGENT.read_text(encoding="utf-8")
    args = " ".join(shlex.quote(str(a)) for a in (url, rate, count, duration, timeout))
    return [
        "f=$(mktemp) && cat > \"$f\" <<'VPCHA_AGENT'",
        *script.splitlines(),
        "VPCHA_AGENT",
        f'timeout {int(duration + timeout + 30)} python3 "$f" {args}; rc=$?; rm -f "$f"; exit $rc',
    ]


def parse_agent_output(text: str, clock_offset: float) -> tuple[list[AgentRecord], int]:
    """Records (answered requests only) and how many were sent, from the agent's output.

    ``clock_offset`` is ``time.time() - time.monotonic()`` on this machine: the agent prints
    epoch-based times, the failover measures in monotonic time.
    """
    start: float | None = None
    rate = 1.0
    sent = 0
    records = []
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 4 and words[0] == "start":
            start, rate = float(words[1]), float(words[3])
        elif len(words) == 3 and words[0] == "end":
            sent = int(words[2])
        elif len(words) == 3 and words[0].isdigit() and start is not None:
            seq, ms, source = int(words[0]), int(words[1]), words[2]
            sent = max(sent, seq + 1)
            if source != "-":
                base = start - clock_offset
                records.append(AgentRecord(seq, source, base + seq / rate, base + ms / 1000))
    records.sort(key=lambda r: r.received)
    return records, sent


class AgentRun:
    """One agent invocation through SSM: ``start()`` sends it, ``stop()`` collects it."""

    def __init__(self, client: Any, instance_id: str, commands: list[str], limit: float) -> None:
        self.client, self.instance_id, self.commands, self.limit = (
            client,
            instance_id,
            commands,
            limit,
        )
        self.command_id: str | None = None
        self.records: list[AgentRecord] = []
        self.sent = 0
        self.status = "NotStarted"
        self._done = False

    def start(self) -> AgentRun:
        reply = self.client.send_command(
            InstanceIds=[self.instance_id],
            DocumentName=DOCUMENT,
            Parameters={"commands": self.commands, "executionTimeout": [str(int(self.limit))]},
            TimeoutSeconds=60,
            Comment="vpc-ha path probe (bounded; stops by itself)",
        )
        self.command_id = reply["Command"]["CommandId"]
        return self

    def poll(self) -> bool:
        """Ask SSM once; True when the agent has finished and its output is collected."""
        if self._done:
            return True
        try:
            reply = self.client.get_command_invocation(
                CommandId=self.command_id, InstanceId=self.instance_id
            )
        except self.client.exceptions.InvocationDoesNotExist:
            return False  # not registered yet, seconds after send_command
        self.status = reply["Status"]
        if self.status not in DONE:
            return False
        self.records, self.sent = parse_agent_output(
            reply.get("StandardOutputContent", ""), time.time() - time.monotonic()
        )
        self._done = True
        return True

    def wait(self, timeout: float, every: float = 2.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.poll():
            if time.monotonic() > deadline:
                self.cancel()
                raise ObserverError(
                    f"SSM command {self.command_id} still {self.status} after "
                    f"{timeout:.0f}s: cancelled"
                )
            time.sleep(every)

    def cancel(self) -> None:
        if self.command_id and not self._done:
            self.client.cancel_command(CommandId=self.command_id, InstanceIds=[self.instance_id])

    def stop(self) -> list[AgentRecord]:
        """Wait for the agent to end by itself (it is bounded) and return its records."""
        self.wait(self.limit + 60)
        return self.records


class SsmObserver:
    kind = "ssm"
    sees_vgw = False
    watch_interval = 0.5  # reads the cached answer of the latest agent run, never SSM

    def __init__(
        self, conf: Mapping[str, Any], hosts: Mapping[str, Any], client: Any = None
    ) -> None:
        self.instance_id = str(conf.get("instance_id") or "")
        if not self.instance_id.startswith("i-"):
            raise ObserverError("user_defined.probe (ssm): instance_id (i-...) is required")
        try:
            self.rate = float(conf.get("rate", 5))
            self.window = float(conf.get("window", 20))
            self.timeout = float(conf.get("timeout", 2))
        except (TypeError, ValueError) as exc:
            raise ObserverError(f"user_defined.probe (ssm): {exc}") from exc
        if not (0 < self.rate <= 20 and 0 < self.window <= 900 and 0 < self.timeout <= 10):
            raise ObserverError(
                "user_defined.probe (ssm): rate in (0, 20], window in (0, 900] "
                "s, timeout in (0, 10] s"
            )
        self.url = str(conf.get("url", "https://checkip.amazonaws.com/"))
        self.conf = dict(conf)
        self.routers: dict[str, Router] = {n: router_of(h) for n, h in hosts.items()}
        self.basis = (
            f"SSM agent on {self.instance_id}: {self.rate:g} requests/s to {self.url}, "
            "sequence numbers and the NAT address each answer names"
        )
        self._client = client
        self._last: str | None = None

    @property
    def client(self) -> Any:
        if self._client is None:
            from tasks.aws.session import boto_session, require_credentials

            session = boto_session(profile=self.conf.get("profile"), region=self.conf.get("region"))
            require_credentials(session)
            if not session.region_name:
                raise ObserverError("user_defined.probe (ssm): region is required")
            self._client = session.client("ssm", endpoint_url=self.conf.get("endpoint_url"))
        return self._client

    def run(self, duration: float, rate: float | None = None) -> AgentRun:
        rate = min(rate or self.rate, self.rate)
        count = min(MAX_COUNT, int(rate * duration) + 1)
        commands = agent_commands(self.url, rate, count, duration, self.timeout)
        return AgentRun(self.client, self.instance_id, commands, duration + self.timeout + 30)

    def nat_address(self, router: str) -> str:
        return str(self.routers[router].wan.address)

    def _router_of(self, source: str | None) -> str | None:
        return next((n for n in self.routers if self.nat_address(n) == source), None)

    def data_plane(self, routers: dict[str, Router]) -> list[Check]:
        """Run the agent for up to 10 s; every answer must name the same NAT address."""
        run = self.run(min(self.window, 10)).start()
        records = run.stop()
        sources = sorted({r.source for r in records})
        what = f"SSM agent's requests ({len(records)}/{run.sent} answered)"
        if len(sources) > 1:
            named = ", ".join(f"{self._router_of(s) or 'unknown'} ({s})" for s in sources)
            return [
                Check(
                    "data_plane",
                    vpc,
                    "fail",
                    "primary",
                    f"{what} named {named}: the path moved during the check",
                )
                for vpc in by_vpc(routers.values())
            ]
        source = sources[0] if sources else None
        self._last = self._router_of(source) or self._last
        return source_checks(routers, source, what)

    def vgw_choice(self) -> str | None:
        """The router the latest agent answers named (a short run when there was none)."""
        if self._last is None:
            records = self.run(3).start().stop()
            self._last = self._router_of(records[-1].source) if records else None
        return self._last

    def measure(self, rate: float, duration: float) -> SsmMeasurement:
        return SsmMeasurement(self, self.run(min(duration, self.window), rate))

    def close(self) -> None:
        """Nothing stays running: every agent run is bounded and collected or cancelled."""


class SsmMeasurement(ProbeMeasurement):
    """The agent's records as a probe stream; ``on`` is answered once the agent has ended."""

    def __init__(self, observer: SsmObserver, run: AgentRun) -> None:
        nat = {n: observer.nat_address(n) for n in observer.routers}
        super().__init__(run, nat, observer.basis)
        self.observer = observer
        self._asked = 0.0

    def ready(self, baseline: float = 2.0) -> None:
        """Wait until SSM says the agent runs, then for a baseline of answers."""
        run: AgentRun = self.stream
        deadline = time.monotonic() + 60
        while not run.poll() and run.status != "InProgress":
            if time.monotonic() > deadline:
                run.cancel()
                raise ObserverError(f"SSM agent on {run.instance_id} did not start: {run.status}")
            time.sleep(1)
        time.sleep(baseline)

    def last_traffic(self) -> float | None:
        """None: the agent's answers are collected after its run ends, not while it runs."""
        return None

    def on(self, router: str, since: float, count: int = 3) -> bool:
        if time.monotonic() - self._asked < 2:
            return False
        self._asked = time.monotonic()
        if not self.stream.poll():
            return False
        found = super().on(router, since, count)
        if self.records:
            self.observer._last = self.observer._router_of(self.records[-1].source)
        return found


register("ssm", SsmObserver)
