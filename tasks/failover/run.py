"""A controlled failover test of one VPC, as an operator runs it in a maintenance window.

Phases (``drain`` mode), each measured from the command that starts it:

1. ``precheck``: verify (:func:`tasks.verify.run_verify`); refuse unless the primary path is
   healthy and at least one backup is, naming the failing checks. Nothing is touched before.
2. ``drain``: prepend on the primary until it is less preferred than the best healthy backup;
   wait until the VGW *and* the probes have moved to the backup (make-before-break).
3. ``maintenance``: only then shut the primary's BGP sessions; traffic must not notice.
4. ``hold``: the backup carries the traffic for ``hold`` seconds; if the backup path is lost the
   test aborts and restores the primary at once.
5. ``restore``: re-enable the sessions (still prepended, so nothing moves), wait until they
   are Established, then remove the prepend: the fail-back, measured like the drain.
6. ``postcheck``: verify is healthy again and the primary's config is back to what it was
   (the rendered-vs-running diff equals the one taken before the test).

``hard`` and ``isp`` modes (lab only) replace 2-3 with ``cut`` and 5 with ``heal``: ``hard``
drops the primary's underlay (BGP notices at hold-time), ``isp`` breaks its internet path beyond
the ISP's first hop with the tunnels up (its ISP health monitor withdraws the default route);
each is bounded by its detection time + a margin (:mod:`tasks.failover.faults`).

This module holds the run's state, the precheck, hold and postcheck and the unwinding; the
modes' phases are :mod:`tasks.failover.drain` and :mod:`tasks.failover.cut`, the measuring
against the bounds :mod:`tasks.failover.measure`, the VPC and verify :mod:`tasks.failover.vpc`.

Safety: every change is pushed on an :class:`~tasks.failover.undo.UndoStack` with its inverse
before it is made; any exception, timeout or Ctrl-C unwinds the stack and the restore is then
proved by verify. ``hook`` is called with a point name at each step so tests can inject a
failure anywhere (see :data:`tasks.failover.records.POINTS`).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from nornir.core import Nornir

from tasks.drivers.base import (
    ConnectError,
    LocalChangeLock,
    LockedError,
    PlatformDriver,
    driver_for,
    run_owner,
)
from tasks.errors import DriverError
from tasks.failover.cut import cut, heal
from tasks.failover.drain import drain, restore
from tasks.failover.faults import FAULTS
from tasks.failover.measure import Meter
from tasks.failover.observe import PathObserver
from tasks.failover.policy import Changer, FailoverError, changer_for
from tasks.failover.records import (
    FailoverOptions,
    FailoverReport,
    PhaseResult,
    Refused,
    judge_prechecks,
)
from tasks.failover.undo import UndoStack, shielded
from tasks.failover.vpc import Verify, default_verify, the_vpc, verify_until
from tasks.inventory import router_of
from tasks.model import Router
from tasks.render import render_router
from tasks.secrets import redact

log = logging.getLogger(__name__)


class FailoverRun:
    """One test run; :func:`run_failover` is the entry point."""

    def __init__(
        self,
        nr: Nornir,
        options: FailoverOptions,
        observer: PathObserver,
        verify: Verify | None = None,
    ) -> None:
        self.nr = nr
        self.opt = options
        self.observer = observer
        self.verify = verify or default_verify(nr, options.aws)
        self.routers = {name: router_of(h) for name, h in nr.inventory.hosts.items()}
        self.primary, self.backups = the_vpc(self.routers)
        vpcs = [self.primary.vpc.id]
        self.fault = FAULTS.get(options.mode)
        if self.fault and not hasattr(observer, self.fault.make):
            raise FailoverError(
                f"--mode {options.mode} breaks a router's {self.fault.what}: only the lab can "
                "do that"
            )
        refusal = self.fault.refusal(self.primary) if self.fault else None
        if refusal:
            raise FailoverError(refusal)
        self.report = FailoverReport(vpcs[0], options.mode, self.primary.name,
                                     observer=observer.kind, basis=observer.basis)  # fmt: skip
        self.stack = UndoStack()
        self.meter = Meter(observer, options, self.hook)
        self.owner = run_owner("failover")
        self._vpc_lock = LocalChangeLock(vpcs[0], key=f"vpc-{vpcs[0]}")
        self._held: list[PlatformDriver] = []  # backups' sessions, holding their change locks
        self.driver: PlatformDriver | None = None
        self.changer: Changer | None = None
        self.baseline_drift: str | None = None
        self.known_failing: set[tuple[str, str]] = set()
        self.backup: Router | None = None
        self._phase_began: dict[str, float] = {}

    # ---- plumbing ----------------------------------------------------------------------------
    def hook(self, point: str) -> None:
        if self.opt.hook:
            self.opt.hook(point)

    def say(self, message: str) -> None:
        self.opt.progress(message)

    def begin_phase(self, name: str) -> PhaseResult:
        phase = PhaseResult(name, status="error")
        self.report.phases.append(phase)
        self._phase_began[name] = time.monotonic()
        self.say(f"{name} ...")
        return phase

    def end_phase(self, phase: PhaseResult, started: float, problems: list[str]) -> None:
        phase.seconds = round(time.monotonic() - started, 3)
        phase.status = "fail" if problems else "pass"
        if problems:
            phase.detail = "; ".join(problems) + (f"; {phase.detail}" if phase.detail else "")
        self.say(f"{phase.name}: {phase.status} in {phase.seconds:.1f}s {phase.detail}".rstrip())

    # ---- phases ------------------------------------------------------------------------------
    def precheck(self) -> None:
        phase, started = self.begin_phase("precheck"), time.monotonic()
        self.hook("precheck")
        self._lock_vpc()
        verdict = self.verify()
        healthy, reasons = judge_prechecks(verdict, self.primary, self.backups)
        if reasons:
            self.report.failing_checks = reasons
            phase.detail = "refused: " + "; ".join(reasons)
            phase.seconds = round(time.monotonic() - started, 3)
            phase.status = "fail"
            raise Refused(phase.detail)
        self.backup = healthy[0]
        self.report.backup = self.backup.name
        # What was already wrong before the test (a second, dead backup): the post-check
        # proves the test changed nothing, not that the VPC became healthier than it was.
        self.known_failing = {(c.check, c.target) for c in verdict.checks
                              if c.status == "fail"}  # fmt: skip
        choice = self.observer.vgw_choice()
        if choice != self.primary.name:
            seen = choice or "no router carrying the VPC's traffic"
            raise Refused(f"the {self.observer.kind} observer sees {seen}, not the primary "
                          f"{self.primary.name} (based on {self.observer.basis})")  # fmt: skip
        assert self.driver is not None
        self.changer = changer_for(self.driver)
        self.baseline_drift = self._drift()
        phase.detail = (
            f"verify exit {verdict.exit_code}; best healthy backup {self.backup.name} "
            f"(rank {self.backup.rank}, prepend {self.backup.prepend_count})"
        )
        self.end_phase(phase, started, [])

    def _lock_vpc(self) -> None:
        """Hold the VPC's lock on this machine and every router's change lock, for the whole
        test: no second failover of this VPC, and no deploy of any of its routers, can run
        meanwhile (deploy waits or refuses, naming this run). A backup that cannot be reached
        is not locked (verify judges it); a primary that cannot be reached refuses the test."""
        try:
            self._vpc_lock.acquire(self.owner, self.opt.lock_wait)
        except LockedError as exc:
            raise Refused(f"another failover test of {self.report.vpc} is running: {exc}") from exc
        for name in [self.primary.name, *(b.name for b in self.backups)]:
            driver = driver_for(self.nr.inventory.hosts[name])
            try:
                driver.open()
                driver.lock(self.owner, wait=self.opt.lock_wait)
            except LockedError as exc:
                driver.close()
                raise Refused(str(exc)) from exc
            except ConnectError:
                driver.close()
                if name == self.primary.name:
                    raise
                log.warning("%s: not reachable, so not locked for the test", name)
                continue
            if name == self.primary.name:
                self.driver = driver
                guard = driver.drain_guard()
                if guard:
                    raise Refused(f"{name}: {guard}; wait for it, or end it now with "
                                  f"failover.py --recover")  # fmt: skip
            else:
                self._held.append(driver)

    def _drift(self) -> str:
        assert self.driver is not None
        return redact(self.driver.diff(render_router(self.primary, reveal_secrets=True)))

    def reconnecting(self, undo: Callable[[Changer], object]) -> None:
        """Run an undo; if the SSH session died during a long hold, reconnect and retry once."""
        assert self.driver is not None and self.changer is not None
        try:
            undo(self.changer)
        except (DriverError, FailoverError) as exc:
            log.warning("%s: undo failed (%s); reconnecting to retry", self.primary.name, exc)
            self.driver.close()
            self.driver.open()
            self.changer = changer_for(self.driver)
            undo(self.changer)

    def hold(self) -> None:
        assert self.backup is not None and self.meter.watch is not None
        backup, meter, watch = self.backup, self.meter, self.meter.watch
        phase, started = self.begin_phase("hold"), time.monotonic()
        phase.bound = f"{backup.name} carries the traffic for {self.opt.hold:g}s, {meter.loss()}"
        self.hook("hold")
        stream = meter.stream(self.opt.hold + 1)
        t0 = time.monotonic()
        deadline = t0 + self.opt.hold
        while time.monotonic() < deadline:
            if watch.current != backup.name:
                raise FailoverError(
                    f"the backup path was lost during the hold (VGW now uses "
                    f"{watch.current}): restoring the primary"
                )
            meter.silence(stream, f"during the hold on {backup.name}")
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
        meter.stop(stream)
        sw = stream.switch(t0, backup.name, backup.name)
        sw.traffic_s = None  # nothing was meant to move
        phase.switch = sw
        problems = meter.switch_problems(sw, None, self.opt.bounds.max_lost)
        if sw.via_other or sw.received == 0:
            problems.append(f"{sw.via_other} of {sw.received} probes (or routers) did not "
                            f"leave via {backup.name}")  # fmt: skip
        self.end_phase(phase, started, problems)

    def postcheck(self) -> None:
        phase, started = self.begin_phase("postcheck"), time.monotonic()
        self.hook("postcheck")
        ok, detail = self._prove_restored()
        phase.detail = detail
        self.end_phase(phase, started, [] if ok else ["primary not proven restored"])

    def _prove_restored(self) -> tuple[bool, str]:
        """Verify healthy again (polled: sessions take seconds) and the config as before."""
        verdict, new = verify_until(self.verify, self.opt.restore_timeout, self.known_failing)
        problems = [f"{c.target} {c.check}: {c.detail}" for c in new]
        before = self.known_failing
        known = sum(
            1 for c in verdict.checks if c.status == "fail" and (c.check, c.target) in before
        )
        drift_ok = True
        if self.driver is not None and self.baseline_drift is not None:
            drift_ok = self._drift() == self.baseline_drift
            if not drift_ok:
                problems.append(f"{self.primary.name}: running config differs from before the test")
        ok = not new and drift_ok
        detail = (
            f"verify exit {verdict.exit_code}"
            + (f": {'; '.join(problems)}" if problems else ", config as before the test")
            + (f" ({known} check(s) failing already before the test)" if known else "")
        )
        self.report.restored = ok
        self.report.restore_detail = detail
        return ok, detail

    # ---- the run -----------------------------------------------------------------------------
    def run(self) -> FailoverReport:
        report = self.report
        try:
            self.precheck()
            self.meter.start_watch()
            if self.opt.mode == "drain":
                drain(self)
                self.hold()
                restore(self)
            else:
                cut(self)
                self.hold()
                heal(self)
            self.postcheck()
        except Refused as exc:
            report.outcome = "refused"
            report.error = redact(str(exc))
        except KeyboardInterrupt:
            report.outcome = "interrupted"
            report.error = "interrupted by the operator"
        except Exception as exc:
            report.outcome = "aborted"
            report.error = redact(f"{type(exc).__name__}: {exc}")
        finally:
            shielded(self._finish, self.say)
        if report.outcome == "passed" and any(p.status != "pass" for p in report.phases):
            report.outcome = "bounds_missed"
        if report.changed and report.restored is not True:
            report.outcome = "restore_failed"
        return report

    def _finish(self) -> None:
        """Stop measuring, undo what is left, prove the primary is back; close the session."""
        report = self.report
        self.meter.stop_all()
        try:
            self.observer.close()
        except Exception:
            log.debug("observer close failed", exc_info=True)
        try:
            for phase in report.phases:
                if phase.status == "error" and not phase.detail:
                    phase.detail = report.error
                if phase.status == "error" and not phase.seconds:  # how long until it failed
                    phase.seconds = round(time.monotonic() - self._phase_began[phase.name], 3)
            if self.stack:
                self.say("restoring the primary ...")
                self.stack.unwind(self.say)
            if report.changed and report.restored is None:  # the postcheck did not run
                ok, detail = self._prove_restored()
                self.say(f"primary {'restored' if ok else 'NOT PROVEN RESTORED'}: {detail}")
        except Exception as exc:
            report.restored = False
            report.restore_detail = redact(f"proving the restore failed: {exc}")
        finally:
            report.undone = list(self.stack.done)
            report.undo_failed = list(self.stack.failed)
            for driver in [self.driver, *self._held]:
                if driver is not None:
                    try:
                        driver.close()
                    except Exception:
                        log.debug("close failed", exc_info=True)
            self._vpc_lock.release()


def run_failover(
    nr: Nornir,
    options: FailoverOptions,
    observer: PathObserver | None = None,
    verify: Verify | None = None,
) -> FailoverReport:
    """Run the failover test on the (one) VPC of ``nr``; never leaves a change behind.

    Raises:
        FailoverError: bad input (several VPCs, no primary, unsupported platform, no observer,
            ``hard`` off the lab), raised before anything is touched.
    """
    if observer is None:
        from tasks.failover.observe import observer_for

        probe = (nr.config.user_defined or {}).get("probe")
        fault = FAULTS.get(options.mode)
        if fault and (probe or {}).get("kind") != "lab":
            raise FailoverError(
                f"--mode {options.mode} breaks the primary's {fault.what} and is for the lab "
                "only (user_defined.probe.kind: lab); use --mode drain on real routers"
            )
        observer = observer_for(probe, nr.inventory.hosts)
    run = FailoverRun(nr, options, observer, verify)
    started = dt.datetime.now(dt.UTC)
    report = run.run()
    report.cloudwatch = _cloudwatch(nr, options, run, started)
    return report


def _cloudwatch(nr: Nornir, options: FailoverOptions, run: FailoverRun, started: dt.datetime
                ) -> dict[str, Any]:  # fmt: skip
    """After-the-fact CloudWatch figures per tunnel (a skip with the reason when no AWS)."""
    from tasks.observers.cloudwatch import confirm

    aws_conf = (nr.config.user_defined or {}).get("aws")
    return confirm(run.routers, run.primary.name, run.report.backup, started,
                   dt.datetime.now(dt.UTC), aws_conf, enabled=options.aws)  # fmt: skip
