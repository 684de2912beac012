"""Controlled failover tests of a VPC's outbound path (``runbooks/failover.py``).

Modules, one job each: :mod:`policy` (the drain and maintenance changes per platform and their
inverses), :mod:`observe` (where traffic goes, seen from the AWS / VPC side, and the
measurements), :mod:`undo` (every change pushed with its inverse; unwound on any exit),
:mod:`records` (options, bounds, the report, exit codes, the pre-check judgement), :mod:`vpc`
(the VPC under test and polling verify), :mod:`measure` (a switch timed against the bounds),
:mod:`drain` and :mod:`cut` (each mode's phases) and :mod:`run` (the run: precheck, hold,
postcheck, unwinding).
"""

from __future__ import annotations

from tasks.failover.policy import FailoverError
from tasks.failover.records import Bounds, FailoverOptions, FailoverReport, PhaseResult
from tasks.failover.run import run_failover

__all__ = [
    "Bounds",
    "FailoverError",
    "FailoverOptions",
    "FailoverReport",
    "PhaseResult",
    "run_failover",
]
