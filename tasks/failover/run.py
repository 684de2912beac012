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

Safety: every change is pushed on an :class:`~tasks.failover.undo.UndoStack` with its inverse
before it is made; any exception, timeout or Ctrl-C unwinds the stack and the restore is then
proved by verify. ``hook`` is called with a point name at each step so tests can inject a
failure anywhere (see :data:`tasks.failover.records.POINTS`).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
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
from tasks.failover.faults import FAULTS
from tasks.failover.observe import PathObserver, Switch, VgwWatch
from tasks.failover.policy import Changer, FailoverError, changer_class, changer_for, peers
from tasks.failover.records import (
    FailoverOptions,
    FailoverReport,
    PhaseResult,
    PhaseTimeout,
    Refused,
    judge_prechecks,
    new_problems,
)
from tasks.failover.undo import UndoStack, shielded
from tasks.health import read_health
from tasks.inventory import router_of
from tasks.model import Router
from tasks.render import render_router
from tasks.secrets import redact
from tasks.verify import Check, VerifyReport

log = logging.getLogger(__name__)

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
        self.owner = run_owner("failover")
        self._vpc_lock = LocalChangeLock(vpcs[0], key=f"vpc-{vpcs[0]}")
        self._held: list[PlatformDriver] = []  # backups' sessions, holding their change locks
        self.driver: PlatformDriver | None = None
        self.changer: Changer | None = None
        self.baseline_drift: str | None = None
        self.known_failing: set[tuple[str, str]] = set()
        self.backup: Router | None = None
        self._streams: list[Any] = []
        self._phase_began: dict[str, float] = {}
        self._watch: VgwWatch | None = None

    # ---- plumbing ----------------------------------------------------------------------------
    def _hook(self, point: str) -> None:
        if self.opt.hook:
            self.opt.hook(point)

    def _say(self, message: str) -> None:
        self.opt.progress(message)

    def _phase(self, name: str) -> PhaseResult:
        phase = PhaseResult(name, status="error")
        self.report.phases.append(phase)
        self._phase_began[name] = time.monotonic()
        self._say(f"{name} ...")
        return phase

    def _done(self, phase: PhaseResult, started: float, problems: list[str]) -> None:
        phase.seconds = round(time.monotonic() - started, 3)
        phase.status = "fail" if problems else "pass"
        if problems:
            phase.detail = "; ".join(problems) + (f"; {phase.detail}" if phase.detail else "")
        self._say(f"{phase.name}: {phase.status} in {phase.seconds:.1f}s {phase.detail}".rstrip())

    def _wait(self, what: str, ready: Callable[[], bool], timeout: float) -> float:
        start = time.monotonic()
        while not ready():
            if time.monotonic() - start > timeout:
                raise PhaseTimeout(f"timed out after {timeout:.0f}s waiting for {what}")
            time.sleep(0.02)
        return time.monotonic() - start

    def _stream(self, duration: float) -> Any:
        """A started :class:`~tasks.observers.base.Measurement` that has its baseline."""
        stream = self.observer.measure(self.opt.rate, duration).start()
        self._streams.append(stream)
        stream.ready()
        return stream

    def _stop(self, stream: Any) -> None:
        if stream in self._streams:
            self._streams.remove(stream)
        stream.stop()

    def _silence(self, stream: Any, where: str) -> None:
        """Raise when the measurement has seen no traffic for longer than allowed: the path the
        traffic should be on is dead (the VGW's choice alone would notice only at hold time)."""
        last = stream.last_traffic()
        if last is None:
            return
        # Router counters see traffic once per read interval: allow three of them.
        limit = max(self.opt.max_silence, 3 * float(getattr(self.observer, "interval", 0.0)))
        gap = time.monotonic() - last
        if gap > limit:
            raise FailoverError(f"no traffic seen for {gap:.1f}s {where} (limit {limit:g}s): "
                                "restoring the primary")  # fmt: skip

    def _measured(
        self, phase: PhaseResult, action: Callable[[], None], to: Router, frm: Router,
        point: str | None, timeout: float, silence: bool = False,
    ) -> Switch:  # fmt: skip
        """Probe, run ``action`` (t0), wait until the VGW and the probes are on ``to``, settle."""
        assert self._watch is not None
        stream = self._stream(timeout + self.opt.settle + 2)
        t0 = time.monotonic()
        phase.timings["command_at"] = round(time.time(), 3)  # wall clock: compare with others
        action()
        phase.timings["command_s"] = round(time.monotonic() - t0, 3)
        if point:
            self._hook(point)
        sees_vgw = getattr(self.observer, "sees_vgw", False)

        def arrived() -> bool:
            if silence:
                self._silence(stream, f"while moving the traffic to {to.name}")
            return (
                self._watch is not None
                and (not sees_vgw or self._watch.current == to.name)
                and stream.on(to.name, t0)
            )

        self._wait(f"the {'VGW and the ' if sees_vgw else ''}traffic to be on {to.name}",
                   arrived, timeout)  # fmt: skip
        time.sleep(self.opt.settle)
        self._stop(stream)
        switch = stream.switch(t0, to.name, frm.name)
        if to.name != frm.name:
            vgw = self._watch.first(to.name, t0) if sees_vgw else None
            switch.vgw_s = round(vgw - t0, 3) if vgw is not None else None
        else:
            switch.traffic_s = None  # nothing was meant to move
        phase.switch = switch
        return switch

    def _loss(self) -> str:
        """The loss bound as the observer can judge it (counters cannot count lost packets)."""
        if getattr(self.observer, "counts_loss", True):
            return f"lost <= {self.opt.bounds.max_lost}"
        return f"no-traffic gap <= {self.opt.bounds.max_gap_s:g}s"

    def _switch_problems(
        self, switch: Switch, max_s: float | None, max_lost: int | None
    ) -> list[str]:
        problems = []
        if max_s is not None and (switch.traffic_s is None or switch.traffic_s > max_s):
            problems.append(f"traffic moved after {switch.traffic_s}s (bound {max_s}s)")
        if max_lost is not None and switch.lost is not None and switch.lost > max_lost:
            problems.append(f"{switch.lost} probes lost (bound {max_lost})")
        gap = self.opt.bounds.max_gap_s
        if max_lost is not None and switch.lost is None and switch.outage_s is not None \
                and switch.outage_s > gap:  # fmt: skip
            # No probes to count (router counters): how long no router carried traffic.
            problems.append(f"no router carried traffic for {switch.outage_s}s (bound {gap}s)")
        return problems

    # ---- phases ------------------------------------------------------------------------------
    def precheck(self) -> None:
        phase, started = self._phase("precheck"), time.monotonic()
        self._hook("precheck")
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
        self._done(phase, started, [])

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

    def drain(self) -> None:
        assert self.changer is not None and self.backup is not None
        changer, backup, primary = self.changer, self.backup, self.primary
        # Longer AS_PATH than the best backup's (its prepends + 1) plus one: MED never decides.
        count = backup.prepend_count + 2
        self.report.prepend = count
        phase, started = self._phase("drain"), time.monotonic()
        phase.bound = f"traffic on {backup.name} <= {self.opt.bounds.max_switch_s}s, {self._loss()}"
        self._hook("drain")

        guard_s = math.ceil(self.opt.hold + self.opt.guard_margin)

        def prepend() -> None:
            self.report.changed = True
            changer.arm_guard(guard_s, self.owner)
            self.report.guard = f"armed: {primary.name} ends the drain by itself after {guard_s}s"
            self.stack.push(f"disarm the drain guard on {primary.name}", self._disarm_guard)
            self.stack.push(
                f"remove the prepend on {primary.name}",
                lambda: self._reconnecting(lambda c: c.set_prepend(primary.prepend_count)),
            )
            changer.set_prepend(count)

        sw = self._measured(phase, prepend, backup, primary, "drained", self.opt.switch_timeout,
                            silence=True)  # fmt: skip
        phase.detail = f"prepend {count}x {primary.asn}"
        self._done(phase, started, self._switch_problems(sw, self.opt.bounds.max_switch_s,
                                                         self.opt.bounds.max_lost))  # fmt: skip

        phase, started = self._phase("maintenance"), time.monotonic()
        phase.bound = self._loss()

        def shutdown() -> None:
            self.stack.push(
                f"re-enable the BGP sessions of {primary.name}",
                lambda: self._reconnecting(lambda c: c.set_shutdown(False)),
            )
            changer.set_shutdown(True)

        sw = self._measured(phase, shutdown, backup, backup, "maintenance",
                            self.opt.switch_timeout, silence=True)  # fmt: skip
        down = self._wait("the primary's sessions to go down", lambda: not self._established(),
                          10)  # fmt: skip
        phase.detail = f"neighbors {', '.join(peers(primary))} shut"
        phase.timings["sessions_down_s"] = round(down, 3)
        self._done(phase, started, self._switch_problems(sw, None, self.opt.bounds.max_lost))

    def _disarm_guard(self) -> None:
        """The run undid the drain itself: stop the router's guard. Not when an undo failed:
        then the guard is what still ends the drain, at the time it was armed for."""
        if self.stack.failed:
            self.report.guard = f"left armed on {self.primary.name}: an undo failed, so the " \
                                "router ends the drain by itself when the guard fires"  # fmt: skip
            return
        self._reconnecting(lambda c: c.disarm_guard())
        self.report.guard = "disarmed after the fail-back"

    def _reconnecting(self, undo: Callable[[Changer], object]) -> None:
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

    def _established(self) -> set[str]:
        assert self.driver is not None
        return set(read_health(self.driver).established) & set(peers(self.primary))

    def cut(self) -> None:
        """Inject the mode's fault on the primary (:mod:`tasks.failover.faults`) and measure
        until the traffic leaves through the backup."""
        assert self.backup is not None and self.fault is not None
        observer: Any = self.observer
        primary, backup, fault = self.primary, self.backup, self.fault
        margin = self.opt.bounds.hard_margin_s
        limit = fault.break_bound(primary, margin)
        phase, started = self._phase("cut"), time.monotonic()
        phase.bound = f"traffic on {backup.name} <= {limit:g}s ({fault.basis(primary)} + " \
                      f"{margin:g}s)"  # fmt: skip
        self._hook("cut")

        def cut() -> None:
            self.report.changed = True
            self.stack.push(
                f"restore the {fault.what} of {primary.name}",
                lambda: getattr(observer, fault.heal)(primary.name),
            )
            getattr(observer, fault.make)(primary.name)

        sw = self._measured(phase, cut, backup, primary, None, limit + self.opt.switch_timeout)
        phase.detail = f"{fault.what} of {primary.name} broken; {sw.lost} probes lost (expected)"
        self._done(phase, started, self._switch_problems(sw, limit, None))

    def hold(self) -> None:
        assert self.backup is not None and self._watch is not None
        backup = self.backup
        phase, started = self._phase("hold"), time.monotonic()
        phase.bound = f"{backup.name} carries the traffic for {self.opt.hold:g}s, {self._loss()}"
        self._hook("hold")
        stream = self._stream(self.opt.hold + 1)
        t0 = time.monotonic()
        deadline = t0 + self.opt.hold
        while time.monotonic() < deadline:
            if self._watch.current != backup.name:
                raise FailoverError(
                    f"the backup path was lost during the hold (VGW now uses "
                    f"{self._watch.current}): restoring the primary"
                )
            self._silence(stream, f"during the hold on {backup.name}")
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
        self._stop(stream)
        sw = stream.switch(t0, backup.name, backup.name)
        sw.traffic_s = None  # nothing was meant to move
        phase.switch = sw
        problems = self._switch_problems(sw, None, self.opt.bounds.max_lost)
        if sw.via_other or sw.received == 0:
            problems.append(f"{sw.via_other} of {sw.received} probes (or routers) did not "
                            f"leave via {backup.name}")  # fmt: skip
        self._done(phase, started, problems)

    def restore(self) -> None:
        assert self.changer is not None and self.backup is not None
        primary, backup = self.primary, self.backup
        phase, started = self._phase("restore"), time.monotonic()
        phase.bound = (
            f"traffic on {primary.name} <= {self.opt.bounds.max_switch_s}s, {self._loss()}"
        )
        self._hook("restore")
        undo = self.stack.pop(f"re-enable the BGP sessions of {primary.name}")
        try:
            undo.action()
        except BaseException:
            self.stack.items.append(undo)
            raise
        up = self._wait("the primary's sessions to be Established again",
                        lambda: self._established() == set(peers(primary)), 60)  # fmt: skip
        phase.timings["sessions_up_s"] = round(up, 3)
        undo = self.stack.pop(f"remove the prepend on {primary.name}")

        def unprepend() -> None:
            try:
                undo.action()
            except BaseException:
                self.stack.items.append(undo)
                raise

        sw = self._measured(phase, unprepend, primary, backup, "failback", self.opt.switch_timeout)
        self.stack.pop(f"disarm the drain guard on {primary.name}").action()
        phase.detail = f"sessions up after {up:.1f}s, prepend removed, drain guard disarmed"
        self._done(phase, started, self._switch_problems(sw, self.opt.bounds.max_switch_s,
                                                         self.opt.bounds.max_lost))  # fmt: skip

    def heal(self) -> None:
        assert self.backup is not None and self.fault is not None
        primary, backup, fault = self.primary, self.backup, self.fault
        limit = fault.heal_bound(primary, self.opt.bounds.hard_margin_s)
        phase, started = self._phase("restore"), time.monotonic()
        phase.bound = f"traffic on {primary.name} <= {limit:g}s, {self._loss()}"
        self._hook("restore")
        undo = self.stack.pop(f"restore the {fault.what} of {primary.name}")

        def heal() -> None:
            try:
                undo.action()
            except BaseException:
                self.stack.items.append(undo)
                raise

        sw = self._measured(phase, heal, primary, backup, None, limit + self.opt.switch_timeout)
        phase.detail = f"{fault.what} of {primary.name} restored"
        self._done(phase, started, self._switch_problems(sw, limit, self.opt.bounds.max_lost))

    def postcheck(self) -> None:
        phase, started = self._phase("postcheck"), time.monotonic()
        self._hook("postcheck")
        ok, detail = self._prove_restored()
        phase.detail = detail
        self._done(phase, started, [] if ok else ["primary not proven restored"])

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
            every = getattr(self.observer, "watch_interval", 0.02)
            self._watch = VgwWatch(self.observer, every).start()
            if self.opt.mode == "drain":
                self.drain()
                self.hold()
                self.restore()
            else:
                self.cut()
                self.hold()
                self.heal()
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
            shielded(self._finish, self._say)
        if report.outcome == "passed" and any(p.status != "pass" for p in report.phases):
            report.outcome = "bounds_missed"
        if report.changed and report.restored is not True:
            report.outcome = "restore_failed"
        return report

    def _finish(self) -> None:
        """Stop measuring, undo what is left, prove the primary is back; close the session."""
        report = self.report
        for stream in list(self._streams):
            self._stop(stream)
        if self._watch is not None:
            self._watch.stop()
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
                self._say("restoring the primary ...")
                self.stack.unwind(self._say)
            if report.changed and report.restored is None:  # the postcheck did not run
                ok, detail = self._prove_restored()
                self._say(f"primary {'restored' if ok else 'NOT PROVEN RESTORED'}: {detail}")
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
