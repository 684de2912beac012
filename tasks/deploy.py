"""Safe deployment of one router: render, diff, commit-confirm, post-check, confirm or roll back.

For each router: render (keys resolved now) -> diff -> apply with automatic rollback pending ->
post-check (its sessions and SAs up, nothing that was up before went down) -> confirm and save,
or roll back; it ends on its old config or a confirmed new one. A set abort flag (Ctrl-C) skips
a router not started and rolls back an unconfirmed change. Which routers go when (waves that
never change both paths of a VPC at once) is :mod:`tasks.waves`.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Literal

from nornir.core import Nornir
from nornir.core.task import Result, Task

from tasks.drivers.base import CommitError, PlatformDriver, driver_for, run_owner
from tasks.errors import ToolkitError
from tasks.inventory import router_of
from tasks.model import Router
from tasks.render import render_router
from tasks.secrets import mask_key_positions, redact

log = logging.getLogger(__name__)

Status = Literal["unchanged", "changed", "would_change", "failed", "rolled_back", "skipped"]
HEALTHY: frozenset[str] = frozenset({"unchanged", "changed", "would_change"})

#: A post-check: given the driver and the state captured before apply, return problems ([] ok).
PostCheck = Callable[[PlatformDriver, object], list[str]]
#: Captures the state a post-check compares against (sessions and SAs up before the change).
Snapshot = Callable[[PlatformDriver], object]


#: Seconds the rollback timer must outlast the post-check wait: apply, connect, confirm.
APPLY_MARGIN = 30
#: The longest confirm window: a run that dies leaves its router half-changed that long.
MAX_CONFIRM_TIMEOUT = 3600


class BadOptions(ToolkitError):
    """Options that would make a deploy unsafe; refused before any router is touched."""


@dataclass
class DeployOptions:
    """How careful to be. Defaults fit a change window; tests shorten the timers.

    ``confirm_timeout`` must outlast the post-check (``settle_timeout``) by
    :data:`APPLY_MARGIN`: a timer shorter than that fires while the run still checks, and the
    run would report "changed and confirmed" over a router that was reverted half-way.
    """

    dry_run: bool = False
    confirm_timeout: int = 300
    settle_timeout: float = 90.0
    primary_first: bool = False
    snapshot: Snapshot | None = None
    post_check: PostCheck | None = None
    #: Seconds to wait for another run's change lock on a router before giving up on it.
    lock_wait: float = 0.0
    #: Accept devices whose recorded identity is another router's (re-purposed), and record
    #: the inventory's name on them (``deploy.py --adopt``).
    adopt: bool = False

    def __post_init__(self) -> None:
        least = math.ceil(self.settle_timeout) + APPLY_MARGIN
        if isinstance(self.confirm_timeout, bool) or not isinstance(self.confirm_timeout, int):
            raise BadOptions(
                f"--confirm-timeout must be whole seconds, not {self.confirm_timeout!r}"
            )
        if self.settle_timeout <= 0:
            raise BadOptions(f"--settle-timeout must be positive, not {self.settle_timeout}")
        if not least <= self.confirm_timeout <= MAX_CONFIRM_TIMEOUT:
            raise BadOptions(
                f"--confirm-timeout {self.confirm_timeout}: must be "
                f"{least}..{MAX_CONFIRM_TIMEOUT} s (at least --settle-timeout "
                f"{self.settle_timeout:g} + {APPLY_MARGIN} s, so the rollback timer cannot fire "
                "while the change is still being checked)"
            )


@dataclass
class HostOutcome:
    """What happened to one router; the JSON report is a list of these."""

    host: str
    vpc: str
    role: str
    rank: int
    wave: int
    status: Status = "skipped"
    diff: str = ""
    error: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def healthy(self) -> bool:
        return self.status in HEALTHY


@dataclass
class DeployReport:
    outcomes: list[HostOutcome]
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return not self.interrupted and all(o.healthy for o in self.outcomes)

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "interrupted": self.interrupted,
            "hosts": [asdict(o) for o in self.outcomes],
        }


Progress = Callable[[str], None]


class Aborted(ToolkitError):
    """The operator interrupted the run."""


def _check_abort(abort: threading.Event) -> None:
    if abort.is_set():
        raise Aborted("interrupted by the operator")


def deploy_router(
    task: Task,
    options: DeployOptions,
    abort: threading.Event,
    wave: int,
    progress: Progress,
) -> Result:
    """Nornir task: bring one router to its rendered config, safely. Never raises."""
    router = router_of(task.host)
    outcome = HostOutcome(task.host.name, router.vpc.id, router.role, router.rank, wave)
    started = time.monotonic()
    driver: PlatformDriver | None = None
    applied = False

    def step(name: str, begun: float) -> None:
        outcome.timings[name] = round(time.monotonic() - begun, 3)

    try:
        _check_abort(abort)
        begun = time.monotonic()
        candidate = render_router(router, reveal_secrets=True)
        driver = driver_for(task.host)
        driver.adopt = options.adopt
        driver.open()
        if not options.dry_run:
            # Before the diff: what is diffed, applied and confirmed is this run's alone.
            driver.lock(run_owner("deploy"), wait=options.lock_wait)
        pending = driver.pending_change()
        if pending:
            advice = (f"{pending}; keep it with deploy.py --confirm --hosts {outcome.host}, or "
                      f"undo it now with deploy.py --rollback --hosts {outcome.host}")  # fmt: skip
            if not options.dry_run:
                raise PendingChange(advice)
            outcome.error = advice
        step("connect", begun)
        begun = time.monotonic()
        outcome.diff = mask_key_positions(redact(driver.diff(candidate)))
        step("diff", begun)
        if not outcome.diff.strip():
            outcome.status = "unchanged"
            progress(f"  {outcome.host}: no changes")
            return Result(host=task.host, result=outcome, changed=False)
        if options.dry_run:
            outcome.status = "would_change"
            progress(f"  {outcome.host}: would change ({_count(outcome.diff)} diff lines)")
            return Result(host=task.host, result=outcome, changed=False)
        _check_abort(abort)
        before = options.snapshot(driver) if options.snapshot else None
        progress(
            f"  {outcome.host}: applying (rollback in {options.confirm_timeout}s unless confirmed)"
        )
        begun = time.monotonic()
        try:
            applied = True
            driver.apply(candidate, confirm_timeout=options.confirm_timeout)
        except CommitError as exc:
            applied = False  # the driver restored (or never changed) the device itself
            if exc.rolled_back:
                outcome.status = "rolled_back"
            raise
        step("apply", begun)
        begun = time.monotonic()
        problems = _wait_healthy(driver, before, options, abort)
        step("post_check", begun)
        if problems:
            raise PostCheckFailed("; ".join(problems))
        _check_abort(abort)
        begun = time.monotonic()
        driver.confirm()
        applied = False
        step("confirm", begun)
        outcome.status = "changed"
        progress(f"  {outcome.host}: changed and confirmed")
        return Result(host=task.host, result=outcome, changed=True)
    except Exception as exc:
        outcome.error = redact(_one_line(exc))
        if outcome.status != "rolled_back":
            outcome.status = "failed"
        if applied and driver is not None:
            outcome.status = _roll_back(driver, outcome, progress)
        elif isinstance(exc, Aborted):
            outcome.status = "skipped"
        log.warning("%s: %s", outcome.host, outcome.error)
        progress(f"  {outcome.host}: {outcome.status}: {outcome.error}")
        return Result(host=task.host, result=outcome, failed=outcome.status != "skipped")
    finally:
        _close(driver, outcome.host)
        outcome.timings["total"] = round(time.monotonic() - started, 3)


def _close(driver: PlatformDriver | None, host: str) -> None:
    """Close a session at the end of a task; a failing close must not change its outcome."""
    if driver is not None:
        try:
            driver.close()
        except Exception:
            log.debug("%s: close failed", host, exc_info=True)


class PendingChange(ToolkitError):
    """The router holds an unconfirmed change of an earlier run: deploy does not stack on it."""


class PostCheckFailed(ToolkitError):
    """The router did not come back healthy after the change."""


def settle_pending(task: Task, action: Literal["confirm", "rollback"]) -> Result:
    """Nornir task: keep (``confirm``) or undo (``rollback``) a change an earlier run left
    waiting for confirmation on this router. Never raises."""
    router = router_of(task.host)
    outcome = HostOutcome(task.host.name, router.vpc.id, router.role, router.rank, 1)
    driver: PlatformDriver | None = None
    try:
        driver = driver_for(task.host)
        driver.open()
        driver.lock(run_owner("deploy"))
        if not driver.pending_change():
            outcome.status = "unchanged"
            outcome.error = "no unconfirmed change on this router"
            return Result(host=task.host, result=outcome, changed=False)
        if action == "confirm":
            driver.confirm()
            outcome.status = "changed"
            outcome.error = "the pending change is confirmed"
        else:
            driver.rollback()
            outcome.status = "rolled_back"
            outcome.error = "the pending change is rolled back"
        return Result(host=task.host, result=outcome, changed=True)
    except Exception as exc:
        outcome.status = "failed"
        outcome.error = redact(_one_line(exc))
        return Result(host=task.host, result=outcome, failed=True)
    finally:
        _close(driver, outcome.host)


def run_settle(nr: Nornir, action: Literal["confirm", "rollback"]) -> DeployReport:
    """Confirm or roll back what earlier runs left pending on the selected routers."""
    results = nr.run(task=settle_pending, name=action, action=action, on_failed=True)
    routers = {name: router_of(host) for name, host in nr.inventory.hosts.items()}
    outcomes = [outcome_of(results, h, r, 1) for h, r in sorted(routers.items())]
    return DeployReport(outcomes)


def _roll_back(driver: PlatformDriver, outcome: HostOutcome, progress: Progress) -> Status:
    progress(f"  {outcome.host}: rolling back")
    try:
        driver.rollback()
    except Exception as exc:
        outcome.error += redact(f"; ROLLBACK FAILED: {_one_line(exc)} (check the router; "
                                "its automatic rollback timer may still be armed)")  # fmt: skip
        return "failed"
    return "rolled_back"


def _wait_healthy(
    driver: PlatformDriver, before: object, options: DeployOptions, abort: threading.Event
) -> list[str]:
    """Poll the post-check until it passes or the settle time runs out."""
    if options.post_check is None:
        return []
    deadline = time.monotonic() + options.settle_timeout
    problems = options.post_check(driver, before)
    while problems and time.monotonic() < deadline:
        _check_abort(abort)
        time.sleep(0.5)
        problems = options.post_check(driver, before)
    return problems


def _one_line(exc: BaseException) -> str:
    """An exception as one line: transports put advice paragraphs after the first."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _count(diff: str) -> int:
    return sum(
        1 for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")
    )


def outcome_of(results: object, host: str, router: Router, wave: int) -> HostOutcome:
    """The outcome a host's task returned, or a failed one when the task crashed."""
    try:
        value = results[host][0].result  # type: ignore[index]
    except (KeyError, IndexError, TypeError):
        value = None
    if isinstance(value, HostOutcome):
        return value
    outcome = HostOutcome(host, router.vpc.id, router.role, router.rank, wave, "failed")
    outcome.error = "no result (task crashed)"
    return outcome
