"""The VPC a failover acts on, and the verify it asks: shared by a run and ``--recover``.

:func:`the_vpc` refuses what no failover can act on before any router is contacted;
:func:`verify_until` polls verify until only what failed before is still failing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from nornir.core import Nornir

from tasks.failover.policy import FailoverError, changer_class
from tasks.failover.records import new_problems
from tasks.model import Router
from tasks.verify.report import Check, VerifyReport

Verify = Callable[[], VerifyReport]


def default_verify(nr: Nornir, aws: bool) -> Verify:
    from tasks.verify import run_verify
    from tasks.verify_extra import extra_checks

    return lambda: run_verify(nr, extra_checks(nr, aws=aws, probe=True))


def the_vpc(routers: dict[str, Router]) -> tuple[Router, list[Router]]:
    """The one VPC's primary and backups; a platform without failover support is refused here.

    Raises:
        FailoverError: several VPCs, not exactly one primary, an unsupported platform.
    """
    vpcs = sorted({r.vpc.id for r in routers.values()})
    if len(vpcs) != 1:
        raise FailoverError(f"a failover test runs on one VPC; select one of {vpcs} (--vpc)")
    primaries = [r for r in routers.values() if r.role == "primary"]
    if len(primaries) != 1:
        raise FailoverError(f"{vpcs[0]}: expected one primary, found {len(primaries)}")
    changer_class(primaries[0].platform)  # refuse unsupported platforms before any contact
    return primaries[0], [r for r in routers.values() if r.role == "backup"]


def verify_until(
    verify: Verify, timeout: float, known_failing: set[tuple[str, str]] | None = None
) -> tuple[VerifyReport, list[Check]]:
    """Poll verify once a second (sessions take seconds to come back) until it shows no
    problem beyond ``known_failing``, or ``timeout``; the last report and its new problems."""
    deadline = time.monotonic() + timeout
    while True:
        verdict = verify()
        new = new_problems(verdict, known_failing or set())
        if not new or time.monotonic() > deadline:
            return verdict, new
        time.sleep(1)
