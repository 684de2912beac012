"""Controlled failover tests of a VPC's outbound path (``runbooks/failover.py``).

Modules, one job each: :mod:`policy` (the drain and maintenance changes per platform and their
inverses), :mod:`observe` (where traffic goes, seen from the AWS / VPC side, and the
measurements), :mod:`undo` (every change pushed with its inverse; unwound on any exit) and
:mod:`run` (the phases, their bounds and the report).
"""

from __future__ import annotations

from tasks.failover.policy import FailoverError
from tasks.failover.run import (
    Bounds,
    FailoverOptions,
    FailoverReport,
    PhaseResult,
    run_failover,
)

__all__ = [
    "Bounds",
    "FailoverError",
    "FailoverOptions",
    "FailoverReport",
    "PhaseResult",
    "run_failover",
]
