"""Verify's records and verdict: :class:`Check`, a router's evidence, the exit code, the report.

Exit codes (for schedulers): 0 healthy; 1 degraded (a backup not ready); 2 primary path broken
or not guaranteed; 3 could not verify. A proven primary failure (2) outranks an unverifiable
check (3), which outranks a backup problem (1): unparsable output is never "healthy".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Literal

from tasks.model import Router
from tasks.path_decision import Advertisement

Status = Literal["pass", "fail", "warn", "skip", "error"]
#: Whose path a check concerns: ``primary`` (the path the traffic takes: a failure is exit 2),
#: ``redundancy`` (one of the primary's tunnels while another carries the traffic: the path
#: works and has lost its spare, exit 1), ``backup`` (exit 1), ``info``.
Severity = Literal["primary", "redundancy", "backup", "info"]

EXIT_HEALTHY, EXIT_DEGRADED, EXIT_PRIMARY, EXIT_UNVERIFIED = 0, 1, 2, 3


@dataclass
class Check:
    """One judged fact. ``severity`` says whose path it concerns, for the exit code."""

    check: str
    target: str
    status: Status
    severity: Severity
    detail: str = ""


@dataclass
class HostEvidence:
    """A router's checks plus what it advertises to AWS (input to the path decision)."""

    host: str
    checks: list[Check] = field(default_factory=list)
    advertisements: list[Advertisement] = field(default_factory=list)


def severity_of(router: Router) -> Severity:
    return "primary" if router.role == "primary" else "backup"


def exit_code(checks: Iterable[Check]) -> int:
    """0 healthy, 1 degraded, 2 primary broken or not guaranteed, 3 could not verify."""
    checks = list(checks)
    if not checks:
        return EXIT_UNVERIFIED  # no evidence is not health
    if any(c.status == "fail" and c.severity == "primary" for c in checks):
        return EXIT_PRIMARY
    if any(c.status == "error" for c in checks):
        return EXIT_UNVERIFIED
    if any(c.status == "fail" for c in checks):
        return EXIT_DEGRADED
    return EXIT_HEALTHY


@dataclass
class VerifyReport:
    checks: list[Check]

    @property
    def exit_code(self) -> int:
        return exit_code(self.checks)

    def as_dict(self) -> dict[str, object]:
        return {"exit_code": self.exit_code, "checks": [asdict(c) for c in self.checks]}
