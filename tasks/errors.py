"""One exception family for the toolkit, and the one exit-code table every runbook follows.

Every error a runbook can meet derives from :class:`ToolkitError`, so a runbook catches one
type, reports it and exits; third-party errors are re-raised as one of these ``from`` the
original so the cause stays visible in logs. Each error carries the ``exit_code`` it ends a run
with (:class:`ExitCode`); :func:`tasks.cli.run_main` does the mapping, once, for every runbook.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """The exit codes that mean the same in every runbook (``label``: a few words; ``meaning``).

    Codes 3..69 are a runbook's own verdict scale (verify's, failover's, compliance's,
    maintenance's); :data:`RUNBOOK_CODES` says what each runbook's codes mean. The README's
    exit-code table is generated from both (:func:`tasks.cli.exit_code_table`), and
    ``tests/test_exit_codes.py`` fails when they differ or a runbook does otherwise.
    """

    label: str
    meaning: str

    def __new__(cls, code: int, label: str, meaning: str) -> ExitCode:
        member = int.__new__(cls, code)
        member._value_ = code
        member.label = label
        member.meaning = meaning
        return member

    OK = 0, "ok", "success: the run did what was asked and found nothing wrong"
    FAILED = (
        1,
        "failed",
        "the run did its work and the result is not good (a host failed, a check degraded, "
        "an operation failed); its report says which",
    )
    BAD_INPUT = (
        2,
        "bad input; nothing touched",
        "bad input (options, inventory, policy, credentials or region, a machine that cannot "
        "run what was asked): refused before any device or AWS resource is touched; "
        "argparse's usage errors too",
    )
    INTERNAL = (
        70,
        "internal error",
        "internal error (EX_SOFTWARE): an exception nobody expected, i.e. a bug; the traceback "
        "is printed. Not 1, which a scheduler reads as a problem the run found",
    )
    BUSY = (
        75,
        "busy: another run holds the lock",
        "busy (EX_TEMPFAIL): another run holds this runbook's lock; nothing was done; try "
        "again at the next slot",
    )
    INTERRUPTED = (
        130,
        "interrupted",
        "interrupted (Ctrl-C, SIGTERM, SIGHUP): the run stopped safely, undoing what it had "
        "left unconfirmed, as its report says",
    )


#: The shared codes by number.
SHARED: dict[int, ExitCode] = {int(member): member for member in ExitCode}

OK, FAILED, BAD_INPUT = ExitCode.OK, ExitCode.FAILED, ExitCode.BAD_INPUT
INTERNAL, BUSY, INTERRUPTED = ExitCode.INTERNAL, ExitCode.BUSY, ExitCode.INTERRUPTED

#: Every code each runbook can exit with, and what it means there ("": the shared meaning, as
#: :class:`ExitCode` says). Codes 3..69 are the runbook's own verdicts. Verify's 0..3 is the
#: Nagios plugin scale (OK, WARNING, CRITICAL, UNKNOWN) that monitoring reads, so its 2 also
#: means "primary path broken": the one shared code a runbook gives a second meaning (both say
#: "act now"; the message says which).
RUNBOOK_CODES: dict[str, dict[int, str]] = {
    "deploy.py": {
        OK: "every selected host ended healthy",
        FAILED: "a host failed, was rolled back or skipped (an unreachable router included)",
        BAD_INPUT: "",
        INTERNAL: "",
        INTERRUPTED: "interrupted; unconfirmed changes rolled back",
    },
    "verify.py": {
        OK: "healthy: traffic leaves through the primary; every backup is ready",
        FAILED: "degraded: a backup not ready, or one of the primary's tunnels down while "
        "another carries the traffic",
        BAD_INPUT: "primary path broken or not guaranteed; also: bad input, nothing touched",
        3: "could not verify (an unreachable router, unparsable output, an AWS API error)",
        INTERNAL: "",
        INTERRUPTED: "interrupted; nothing verified",
    },
    "failover.py": {
        OK: "every phase passed its bounds; the primary is restored and verified",
        FAILED: "a bound (time or loss) missed; the primary is restored",
        BAD_INPUT: "bad input (also --mode hard|isp off the lab, an observer this machine cannot "
        "run); nothing touched",
        3: "refused: the pre-checks failed, a drain is already in force, or another run holds "
        "a router's change lock; nothing changed",
        4: 'aborted by an error or timeout: before any change ("nothing was changed"), or '
        "after one, with the primary restored and verified (the report says which); an "
        "unreachable router included",
        5: "RESTORE NOT PROVEN: an undo failed or verify is not healthy afterwards",
        INTERNAL: "",
        INTERRUPTED: 'interrupted: before any change ("nothing was changed"), or after one, '
        "with the primary restored and verified (the report says which)",
    },
    "failover.py --recover": {
        OK: "the primary path is verified healthy",
        BAD_INPUT: "",
        3: "another run holds the primary's change lock",
        5: "not proven (the primary unreachable included); see the report",
        INTERNAL: "",
        INTERRUPTED: "",
    },
    "compliance.py": {
        OK: "compliant (no findings, or info only)",
        FAILED: "the run failed (e.g. the history database cannot be written)",
        BAD_INPUT: "bad input (options, inventory, policy, --from-dir); nothing touched",
        3: "worst finding is low",
        4: "worst finding is medium",
        5: "worst finding is high (a router that cannot be fetched or parsed is a "
        "'check-failed' finding, high by default)",
        6: "worst finding is critical",
        INTERNAL: "",
        BUSY: "another run holds the lock (refused)",
        INTERRUPTED: "",
    },
    "aws.py": {
        OK: "ok (plan: whether or not there are changes)",
        FAILED: "the AWS operation failed (an AWS API error included) or a resource is missing",
        BAD_INPUT: "bad input (inventory, options, no credentials or region); nothing asked of AWS",
        INTERNAL: "",
        INTERRUPTED: "",
    },
    "aws.py maintenance status": {
        OK: "nothing pending",
        FAILED: "maintenance pending on at least one tunnel",
        BAD_INPUT: "bad input (inventory, options, no credentials or region, no such VPN "
        "connection)",
        3: "could not ask AWS (access denied, throttled, endpoint unreachable)",
        INTERNAL: "",
        INTERRUPTED: "",
    },
    "aws.py maintenance apply": {
        OK: "applied, tunnel back UP and verify healthy (or: nothing pending, dry run shown)",
        FAILED: "applied but the tunnel did not come back in time or verify is not healthy",
        BAD_INPUT: "bad input",
        3: "could not ask AWS or AWS refused the replacement",
        4: "refused for safety (the tunnel is the primary's, which carries the traffic, and "
        "neither --drain nor --drained was given), nothing changed",
        INTERNAL: "",
        INTERRUPTED: "",
    },
    "lab.py": {
        OK: "",
        FAILED: "the lab failed (up did not converge, status not all up)",
        BAD_INPUT: "refused (not root, a package missing, bad topology, the lab held by "
        "another session)",
        INTERNAL: "",
        INTERRUPTED: "",
    },
    "demo.py": {
        OK: "every step succeeded",
        FAILED: "a step failed: the demo exits with that step's own code (1, 3, 4, 5, 6, 130: "
        "see deploy.py, verify.py, failover.py, compliance.py; compliance's findings on what "
        "the lab lacks, NTP, a log host, are accepted)",
        BAD_INPUT: "the lab could not come up (not root, packages missing, held by another "
        "session for too long), or that step's bad input",
        INTERNAL: "",
        INTERRUPTED: "",
    },
}


def codes_text(runbook: str) -> str:
    """``runbook``'s exit codes on one line ("0 ...; 1 ..."), from :data:`RUNBOOK_CODES`."""
    return "; ".join(
        f"{code} {text or SHARED[code].label}"
        for code, text in sorted(RUNBOOK_CODES[runbook].items())
    )


class ToolkitError(Exception):
    """Root of every error raised on purpose by this toolkit.

    ``exit_code`` is what a run that stops on it exits with: :attr:`ExitCode.FAILED` unless a
    subclass (or the instance) says otherwise.
    """

    exit_code: int = ExitCode.FAILED


class BadInput(ToolkitError):
    """Bad input (options, inventory, policy, credentials), refused before anything is touched."""

    exit_code = ExitCode.BAD_INPUT


@dataclass(frozen=True)
class InventoryProblem:
    """One broken rule in the inventory: where it is, what it holds, and what is wrong."""

    host: str
    field: str
    value: object
    rule: str

    def __str__(self) -> str:
        return f"{self.host}: {self.field} = {self.value!r}: {self.rule}"


class InventoryError(BadInput):
    """The inventory breaks one or more rules; raised before any device is touched.

    Carries every problem found, not just the first, so an operator fixes them in one pass.
    """

    def __init__(self, problems: list[InventoryProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"inventory has {len(problems)} problem(s):\n{lines}")


class SecretError(ToolkitError):
    """A secret reference could not be resolved (missing variable, file, or parameter)."""


class RenderError(ToolkitError):
    """A template could not be rendered for a host."""


class ParseError(ToolkitError):
    """Device output could not be parsed into records: the caller must treat it as unknown."""


class DriverError(ToolkitError):
    """A platform driver failed to talk to or change a device."""
