"""Controlled failover tests of a VPC's outbound path (``runbooks/failover.py``).

Modules, one job each: :mod:`policy` (the drain and maintenance changes per platform and their
inverses), :mod:`observe` (where traffic goes, seen from the AWS / VPC side, and the
measurements), :mod:`undo` (every change pushed with its inverse; unwound on any exit),
:mod:`records` (options, bounds, the report, exit codes, the pre-check judgement) and :mod:`run`
(the phases).
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
