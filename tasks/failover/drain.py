"""The ``drain`` mode's phases: drain and maintenance on the way out, restore on the way back.

:func:`drain` prepends on the primary until it is less preferred than the best healthy backup
and waits until the traffic has moved (make-before-break), then shuts the primary's BGP
sessions; :func:`restore` re-enables them, waits until they are Established and removes the
prepend: the fail-back. Every change is pushed on the run's undo stack before it is made.
"""

from __future__ import annotations

import math
import time
from functools import partial
from typing import TYPE_CHECKING

from tasks.failover.measure import wait_for
from tasks.failover.policy import peers
from tasks.health import read_health

if TYPE_CHECKING:
    from tasks.failover.run import FailoverRun


def drain(run: FailoverRun) -> None:
    assert run.changer is not None and run.backup is not None
    changer, backup, primary, meter = run.changer, run.backup, run.primary, run.meter
    # Longer AS_PATH than the best backup's (its prepends + 1) plus one: MED never decides.
    count = backup.prepend_count + 2
    run.report.prepend = count
    phase, started = run.begin_phase("drain"), time.monotonic()
    phase.bound = f"traffic on {backup.name} <= {run.opt.bounds.max_switch_s}s, {meter.loss()}"
    run.hook("drain")

    guard_s = math.ceil(run.opt.hold + run.opt.guard_margin)

    def prepend() -> None:
        run.report.changed = True
        changer.arm_guard(guard_s, run.owner)
        run.report.guard = f"armed: {primary.name} ends the drain by itself after {guard_s}s"
        run.stack.push(f"disarm the drain guard on {primary.name}", lambda: disarm_guard(run))
        run.stack.push(
            f"remove the prepend on {primary.name}",
            lambda: run.reconnecting(lambda c: c.set_prepend(primary.prepend_count)),
        )
        changer.set_prepend(count)

    sw = meter.measured(phase, prepend, backup, primary, "drained", run.opt.switch_timeout,
                        silence=True)  # fmt: skip
    phase.detail = f"prepend {count}x {primary.asn}"
    run.end_phase(phase, started, meter.switch_problems(sw, run.opt.bounds.max_switch_s,
                                                        run.opt.bounds.max_lost))  # fmt: skip

    phase, started = run.begin_phase("maintenance"), time.monotonic()
    phase.bound = meter.loss()

    def shutdown() -> None:
        run.stack.push(
            f"re-enable the BGP sessions of {primary.name}",
            lambda: run.reconnecting(lambda c: c.set_shutdown(False)),
        )
        changer.set_shutdown(True)

    sw = meter.measured(phase, shutdown, backup, backup, "maintenance",
                        run.opt.switch_timeout, silence=True)  # fmt: skip
    down = wait_for("the primary's sessions to go down", lambda: not established(run), 10)
    phase.detail = f"neighbors {', '.join(peers(primary))} shut"
    phase.timings["sessions_down_s"] = round(down, 3)
    run.end_phase(phase, started, meter.switch_problems(sw, None, run.opt.bounds.max_lost))


def disarm_guard(run: FailoverRun) -> None:
    """The run undid the drain itself: stop the router's guard. Not when an undo failed:
    then the guard is what still ends the drain, at the time it was armed for."""
    if run.stack.failed:
        run.report.guard = f"left armed on {run.primary.name}: an undo failed, so the " \
                           "router ends the drain by itself when the guard fires"  # fmt: skip
        return
    run.reconnecting(lambda c: c.disarm_guard())
    run.report.guard = "disarmed after the fail-back"


def established(run: FailoverRun) -> set[str]:
    """The primary's BGP sessions to its VPC peers that are Established now."""
    assert run.driver is not None
    return set(read_health(run.driver).established) & set(peers(run.primary))


def restore(run: FailoverRun) -> None:
    assert run.changer is not None and run.backup is not None
    primary, backup, meter, bounds = run.primary, run.backup, run.meter, run.opt.bounds
    phase, started = run.begin_phase("restore"), time.monotonic()
    phase.bound = f"traffic on {primary.name} <= {bounds.max_switch_s}s, {meter.loss()}"
    run.hook("restore")
    run.stack.run_planned(run.stack.pop(f"re-enable the BGP sessions of {primary.name}"))
    up = wait_for("the primary's sessions to be Established again",
                  lambda: established(run) == set(peers(primary)), 60)  # fmt: skip
    phase.timings["sessions_up_s"] = round(up, 3)
    unprepend = partial(
        run.stack.run_planned, run.stack.pop(f"remove the prepend on {primary.name}")
    )
    sw = meter.measured(phase, unprepend, primary, backup, "failback", run.opt.switch_timeout)
    run.stack.pop(f"disarm the drain guard on {primary.name}").action()
    phase.detail = f"sessions up after {up:.1f}s, prepend removed, drain guard disarmed"
    run.end_phase(phase, started, meter.switch_problems(sw, bounds.max_switch_s,
                                                        bounds.max_lost))  # fmt: skip
