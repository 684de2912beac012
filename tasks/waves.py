"""Deploy waves that never change both paths of a VPC at once, and a Ctrl-C that is safe.

Order of work for one VPC (default): its backups, highest rank first, one per wave, then the
primary once every backup came back healthy. Different VPCs proceed in parallel within a wave.
Each router's change is :func:`tasks.deploy.deploy_router`. A failure stops the remaining waves
of that VPC only; every router ends on its old config or a confirmed new one.

Ctrl-C sets an abort flag: hosts not started are skipped, hosts with an unconfirmed change are
rolled back, and the report says so.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from nornir.core import Nornir

from tasks.deploy import (
    DeployOptions,
    DeployReport,
    HostOutcome,
    Progress,
    deploy_router,
    outcome_of,
)
from tasks.inventory import router_of
from tasks.model import Router, by_vpc
from tasks.report import stderr_progress


def plan_waves(routers: dict[str, Router], primary_first: bool = False) -> list[list[str]]:
    """Hosts per wave: at most one router of each VPC in a wave.

    Backups go first (highest rank, the least relied upon, first) and the primary last, unless
    ``primary_first``. Example: two VPCs a (p, b1, b2) and x (p, b1) give
    ``[[a-b2, x-b1], [a-b1, x-p], [a-p]]``.
    """
    sequences = []
    for members in by_vpc(routers.values()).values():
        ordered = sorted(members, key=lambda r: (-r.rank if r.role == "backup" else 1, r.name))
        if primary_first:
            ordered = [r for r in ordered if r.role == "primary"] + [
                r for r in ordered if r.role != "primary"
            ]
        sequences.append([r.name for r in ordered])
    depth = max((len(s) for s in sequences), default=0)
    return [sorted(s[i] for s in sequences if i < len(s)) for i in range(depth)]


def run_deploy(
    nr: Nornir, options: DeployOptions, progress: Progress = stderr_progress
) -> DeployReport:
    """Deploy the selected hosts wave by wave; Ctrl-C rolls back what is unconfirmed."""
    routers = {name: router_of(host) for name, host in nr.inventory.hosts.items()}
    waves = plan_waves(routers, options.primary_first)
    abort = threading.Event()
    outcomes: dict[str, HostOutcome] = {}
    stopped: dict[str, str] = {}
    interrupted = False
    for index, wave in enumerate(waves, start=1):
        todo = [h for h in wave if routers[h].vpc.id not in stopped]
        for host in wave:
            if host not in todo:
                outcomes[host] = _skipped(host, routers[host], index, stopped[routers[host].vpc.id])
        if not todo or abort.is_set():
            continue
        progress(f"wave {index}/{len(waves)}: {', '.join(todo)}")
        subset = nr.filter(filter_func=lambda h, todo=todo: h.name in todo)
        results, was_interrupted = _run_interruptible(
            lambda subset=subset, index=index: subset.run(  # type: ignore[misc]
                task=deploy_router, name="deploy", options=options, abort=abort, wave=index,
                progress=progress, on_failed=True,
            ),
            abort,
            progress,
        )  # fmt: skip
        interrupted = interrupted or was_interrupted
        for host in todo:
            outcome = outcome_of(results, host, routers[host], index)
            outcomes[host] = outcome
            # A dry run changes nothing, so a host that could not be read (secret, connect)
            # stops nothing: every other router's diff is still worth showing.
            if not outcome.healthy and not options.dry_run:
                stopped.setdefault(outcome.vpc, f"{host} {outcome.status} in wave {index}")
    for host, router in routers.items():
        if host not in outcomes:
            reason = stopped.get(router.vpc.id, "interrupted before its wave")
            outcomes[host] = _skipped(host, router, 0, reason)
    ordered = sorted(outcomes.values(), key=lambda o: (o.wave or 99, o.vpc, o.host))
    return DeployReport(ordered, interrupted=interrupted)


def _skipped(host: str, router: Router, wave: int, reason: str) -> HostOutcome:
    return HostOutcome(host, router.vpc.id, router.role, router.rank, wave, "skipped",
                       error=f"not attempted: {reason}")  # fmt: skip


def _run_interruptible(
    work: Callable[[], object], abort: threading.Event, progress: Progress
) -> tuple[object, bool]:
    """Run ``work`` in a thread so Ctrl-C in the main thread only sets ``abort``.

    The hosts' tasks see the flag, skip what has not started and roll back what is
    unconfirmed; we wait for them to finish so nothing is left half-applied.
    """
    box: dict[str, object] = {}
    interrupted = False
    done = threading.Event()

    def target() -> None:
        try:
            box["result"] = work()
        finally:
            done.set()

    # Waiting on an Event, not Thread.join: a KeyboardInterrupt landing inside join() can
    # leave the thread marked finished while it still runs (and still rolls back).
    thread = threading.Thread(target=target, name="deploy-wave", daemon=True)
    thread.start()
    while True:
        try:
            if done.wait(0.2):
                break
        except KeyboardInterrupt:
            interrupted = True
            if not abort.is_set():
                abort.set()
                progress("interrupt: finishing safely, rolling back unconfirmed changes ...")
            else:
                progress("interrupt: still rolling back, please wait")
    thread.join()
    return box.get("result", {}), interrupted
