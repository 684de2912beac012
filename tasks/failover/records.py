"""What a failover test reports: options and bounds in, phases, outcome and exit code out.

Kept apart from the phases (:mod:`tasks.failover.run`) so runbooks, the bench and tests read
one shape. The pre-check judgement is here too: it turns a verify report into "may start" or
the reasons to refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from tasks.failover.observe import Switch
from tasks.failover.policy import FailoverError
from tasks.model import Router
from tasks.report import stderr_progress
from tasks.verify.report import Check, VerifyReport

Mode = Literal["drain", "hard", "isp"]
Hook = Callable[[str], None]
Progress = Callable[[str], None]
PhaseStatus = Literal["pass", "fail", "error", "skipped"]
Outcome = Literal["passed", "bounds_missed", "refused", "aborted", "interrupted", "restore_failed"]

#: Where ``hook`` is called, in order. drain: precheck, drain, drained, maintenance, hold,
#: restore, failback, postcheck; hard and isp: precheck, cut, hold, restore, postcheck.
POINTS = ("precheck", "drain", "drained", "maintenance", "cut", "hold", "restore", "failback",
          "postcheck")  # fmt: skip

EXIT_PASSED, EXIT_BOUNDS, EXIT_BAD_INPUT, EXIT_REFUSED = 0, 1, 2, 3
EXIT_ABORTED, EXIT_RESTORE_FAILED, EXIT_INTERRUPTED = 4, 5, 130
EXIT_CODES = {
    "passed": EXIT_PASSED,
    "bounds_missed": EXIT_BOUNDS,
    "refused": EXIT_REFUSED,
    "aborted": EXIT_ABORTED,
    "interrupted": EXIT_INTERRUPTED,
    "restore_failed": EXIT_RESTORE_FAILED,
}


@dataclass
class Bounds:
    """What a phase must achieve to pass (the lab's targets are the defaults)."""

    max_switch_s: float = 5.0  # drain / fail-back: command to traffic on the new path
    max_lost: int = 0  # probes lost in a drain, maintenance, hold or fail-back
    hard_margin_s: float = 2.0  # hard / isp: converged within the detection time + this
    #: Observers that cannot count lost probes (router counters) judge the longest time no
    #: router carried the VPC's traffic instead.
    max_gap_s: float = 1.0


@dataclass
class FailoverOptions:
    mode: Mode = "drain"
    hold: float = 10.0
    rate: float = 50.0
    bounds: Bounds = field(default_factory=Bounds)
    #: Give up waiting for a drain / fail-back to move traffic (hard mode adds the holdtime).
    switch_timeout: float = 30.0
    #: Keep probing this long after a switch so late losses are counted.
    settle: float = 1.0
    #: How long the post-check may wait for verify to be healthy again.
    restore_timeout: float = 90.0
    #: The drain guard: the router itself ends the drain ``hold + guard_margin`` seconds after
    #: it began unless the run's fail-back disarmed it (the run was killed, its terminal lost).
    guard_margin: float = 120.0
    #: How long to wait for another run's change lock on a router of the VPC.
    lock_wait: float = 0.0
    #: Drain, maintenance and hold: abort and restore the primary when no traffic was seen for
    #: this long (a backup that dies silently while the VGW still sends it the traffic).
    max_silence: float = 2.0
    aws: bool = True
    hook: Hook | None = None
    progress: Progress = stderr_progress


@dataclass
class PhaseResult:
    name: str
    status: PhaseStatus = "skipped"
    seconds: float = 0.0
    bound: str = ""
    detail: str = ""
    switch: Switch | None = None
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class FailoverReport:
    vpc: str
    mode: Mode
    primary: str
    backup: str | None = None
    prepend: int = 0
    #: The observer kind that judged the phases and what its figures are based on.
    observer: str = ""
    basis: str = ""
    #: After-the-fact CloudWatch confirmation (``TunnelDataIn/Out`` per tunnel) or why not.
    cloudwatch: dict[str, Any] = field(default_factory=dict)
    phases: list[PhaseResult] = field(default_factory=list)
    outcome: Outcome = "passed"
    error: str = ""
    changed: bool = False
    undone: list[str] = field(default_factory=list)
    undo_failed: list[str] = field(default_factory=list)
    restored: bool | None = None
    restore_detail: str = ""
    #: The drain guard's story: armed (and when it would fire), disarmed, or left armed.
    guard: str = ""
    failing_checks: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.outcome]

    def phase(self, name: str) -> PhaseResult | None:
        return next((p for p in self.phases if p.name == name), None)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["exit_code"] = self.exit_code
        return data


class Refused(FailoverError):
    """The pre-checks say the test must not start; nothing was changed."""


class PhaseTimeout(FailoverError):
    """A wait ran out: the path did not move (or come back) in time."""


def _of_router(check: Check, name: str) -> bool:
    return check.target == name or check.target.startswith(f"{name}/")


def judge_prechecks(
    report: VerifyReport, primary: Router, backups: list[Router]
) -> tuple[list[Router], list[str]]:
    """Healthy backups (best first) and the reasons to refuse ([] = may start).

    The primary path must be fully healthy (every check of severity ``primary`` passes), no
    check may be unverifiable (``error``), and at least one backup must pass all its checks:
    the test never drains the last healthy path.
    """
    bad = [c for c in report.checks if c.status in ("fail", "error")]
    reasons = [
        f"{c.target} {c.check}: {c.status}: {c.detail}"
        for c in bad
        if c.severity in ("primary", "redundancy") or c.status == "error"
    ]
    healthy = [
        b
        for b in sorted(backups, key=lambda r: r.rank)
        if not any(_of_router(c, b.name) for c in bad)
    ]
    if not backups:
        reasons.append(f"{primary.vpc.id} has no backup router: draining would cut it off")
    elif not healthy:
        why = "; ".join(f"{c.target} {c.check}: {c.detail}" for c in bad if c.severity == "backup")
        reasons.append(f"no healthy backup ({why}): the primary is the last healthy path")
    return healthy, reasons


def new_problems(report: VerifyReport, known_failing: set[tuple[str, str]]) -> list[Check]:
    """What the post-check holds against the test: every check that could not verify, and
    every failure that was not already failing before the test began (a second backup that
    was dead all along is the operator's problem, not a restore that failed)."""
    return [c for c in report.checks if c.status == "error"
            or (c.status == "fail" and (c.check, c.target) not in known_failing)]  # fmt: skip
