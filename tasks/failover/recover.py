"""``failover.py --recover``: end a drain that a failover run left on the primary, now.

A run that dies (SIGKILL, a lost machine) leaves its drain to the router's guard, which ends it
by itself when it fires (see :meth:`tasks.failover.policy.Changer.arm_guard`). An operator who
will not wait runs this: it takes the primary's change lock, re-enables its BGP sessions, puts
the rendered prepend back and stops the guard, then proves the primary path with verify. Every
step is idempotent, so it is safe on a primary that is not drained at all.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from nornir.core import Nornir

from tasks.drivers.base import driver_for, run_owner
from tasks.failover.policy import changer_for
from tasks.failover.records import EXIT_PASSED, EXIT_RESTORE_FAILED, Progress
from tasks.failover.vpc import Verify, default_verify, the_vpc, verify_until
from tasks.inventory import router_of
from tasks.report import stderr_progress
from tasks.secrets import redact

log = logging.getLogger(__name__)


@dataclass
class Recovery:
    """What ``--recover`` found and did, and whether verify proved the primary path after."""

    vpc: str
    primary: str
    guard: str = ""  # the drain guard found on the primary ("" when none was armed)
    done: list[str] = field(default_factory=list)
    restored: bool = False
    detail: str = ""

    @property
    def exit_code(self) -> int:
        return EXIT_PASSED if self.restored else EXIT_RESTORE_FAILED

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "exit_code": self.exit_code}


def recover(
    nr: Nornir,
    verify: Verify | None = None,
    lock_wait: float = 0.0,
    restore_timeout: float = 90.0,
    aws: bool = True,
    progress: Progress = stderr_progress,
) -> Recovery:
    """Undo any failover drain on the VPC's primary and prove the primary path.

    Raises:
        FailoverError: bad input (several VPCs, no primary, unsupported platform).
        DriverError: the primary cannot be reached or its change lock is held (LockedError).
    """
    routers = {name: router_of(h) for name, h in nr.inventory.hosts.items()}
    primary, _backups = the_vpc(routers)
    report = Recovery(primary.vpc.id, primary.name)
    driver = driver_for(nr.inventory.hosts[primary.name])
    driver.open()
    try:
        driver.lock(run_owner("failover --recover"), wait=lock_wait)
        report.guard = driver.drain_guard() or ""
        progress(f"{primary.name}: {report.guard or 'no drain guard armed'}")
        changer = changer_for(driver)
        changer.set_shutdown(False)
        report.done.append("BGP sessions to the VGW enabled")
        changer.set_prepend(primary.prepend_count)
        report.done.append(f"rendered prepend ({primary.prepend_count}x) in force")
        if changer.disarm_guard():
            report.done.append("drain guard disarmed")
        for step in report.done:
            progress(f"  {step}")
    finally:
        driver.close()
    verdict, new = verify_until(verify or default_verify(nr, aws=aws), restore_timeout)
    problems = [f"{c.target} {c.check}: {c.detail}" for c in new]
    report.restored = verdict.exit_code == 0
    report.detail = redact(f"verify exit {verdict.exit_code}"
                           + (f": {'; '.join(problems)}" if problems else ""))  # fmt: skip
    return report
