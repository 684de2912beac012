"""The ``hard`` and ``isp`` modes' phases: cut the primary, and heal it on the way back.

Each injects or removes the mode's fault (:mod:`tasks.failover.faults`) through the lab
observer and is bounded by the fault's detection time plus a margin. The fault's healing is
pushed on the run's undo stack before the fault is made.
"""

from __future__ import annotations

import time
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tasks.failover.run import FailoverRun


def cut(run: FailoverRun) -> None:
    """Inject the mode's fault on the primary and measure until the traffic leaves through the
    backup."""
    assert run.backup is not None and run.fault is not None
    observer: Any = run.observer
    primary, backup, fault, meter = run.primary, run.backup, run.fault, run.meter
    margin = run.opt.bounds.hard_margin_s
    limit = fault.break_bound(primary, margin)
    phase, started = run.begin_phase("cut"), time.monotonic()
    phase.bound = f"traffic on {backup.name} <= {limit:g}s ({fault.basis(primary)} + " \
                  f"{margin:g}s)"  # fmt: skip
    run.hook("cut")

    def make() -> None:
        run.report.changed = True
        run.stack.push(
            f"restore the {fault.what} of {primary.name}",
            lambda: getattr(observer, fault.heal)(primary.name),
        )
        getattr(observer, fault.make)(primary.name)

    sw = meter.measured(phase, make, backup, primary, None, limit + run.opt.switch_timeout)
    phase.detail = f"{fault.what} of {primary.name} broken; {sw.lost} probes lost (expected)"
    run.end_phase(phase, started, meter.switch_problems(sw, limit, None))


def heal(run: FailoverRun) -> None:
    """Remove the fault (the undo :func:`cut` pushed) and measure the fail-back."""
    assert run.backup is not None and run.fault is not None
    primary, backup, fault, meter = run.primary, run.backup, run.fault, run.meter
    limit = fault.heal_bound(primary, run.opt.bounds.hard_margin_s)
    phase, started = run.begin_phase("restore"), time.monotonic()
    phase.bound = f"traffic on {primary.name} <= {limit:g}s, {meter.loss()}"
    run.hook("restore")
    heal_it = partial(
        run.stack.run_planned, run.stack.pop(f"restore the {fault.what} of {primary.name}")
    )
    sw = meter.measured(phase, heal_it, primary, backup, None, limit + run.opt.switch_timeout)
    phase.detail = f"{fault.what} of {primary.name} restored"
    run.end_phase(phase, started, meter.switch_problems(sw, limit, run.opt.bounds.max_lost))
