"""Does the VPC's outbound traffic leave through the primary, with every backup ready?

Evidence comes from four places, each a list of :class:`Check` records:
- router side (parallel, parsed show output): SAs up with the expected proposal, eBGP sessions
  Established to the VGW's ASN, the default route advertised with the role's prepend and MED,
  the VPC networks received, the NAT rule present;
- path decision: what the VGW will choose, computed from what the routers advertise
  (:mod:`tasks.path_decision`); a backup winning, or a tie, means the primary is not guaranteed;
- AWS side (boto3, :mod:`tasks.aws.checks`) when credentials exist, else skipped with a reason;
- data plane: which router carries the VPC's outbound traffic, by the observer the config
  names (:mod:`tasks.observers`: the routers' counters by default, an SSM agent, the lab's
  probe); too little traffic to tell is a skip with the rate seen.

The modules: :mod:`~tasks.verify.router` (the router side), :mod:`~tasks.verify.path` (the
path decision as checks), :mod:`~tasks.verify.report` (:class:`~tasks.verify.report.Check`,
the exit code: 0 healthy, 1 degraded, 2 primary path broken or not guaranteed, 3 could not
verify) and this one: the Nornir task per router and :func:`run_verify`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from nornir.core import Nornir
from nornir.core.task import Result, Task

from tasks.collect import collect_state
from tasks.drivers.base import driver_for
from tasks.inventory import router_of
from tasks.isp_health import health_checks
from tasks.model import Router
from tasks.secrets import redact
from tasks.verify.path import path_checks
from tasks.verify.report import Check, HostEvidence, VerifyReport, severity_of
from tasks.verify.router import router_checks

log = logging.getLogger(__name__)


def verify_router(task: Task) -> Result:
    """Nornir task: collect and judge one router; could-not-verify is a check, not a crash."""
    router = router_of(task.host)
    driver = driver_for(task.host)
    try:
        driver.open()
        state = collect_state(driver)
        guard = driver.drain_guard()
        pending = driver.pending_change()
        health = driver.isp_health() if router.isp_health is not None else None
    except Exception as exc:
        # Nornir's own field says it: the host is in ``failed_hosts``; run_verify turns it into
        # the "could not verify" check.
        return Result(host=task.host, failed=True, exception=exc)
    finally:
        driver.close()
    evidence = router_checks(router, state)
    evidence.checks.extend(health_checks(router, health))
    if guard:
        # Not a failure by itself: while the drain is really in force the path decision fails.
        evidence.checks.append(Check("drain_guard", router.name, "warn", "info", guard))
    if pending:
        # A killed deploy's change: what verify sees now reverts by itself (issue 17, item 3).
        evidence.checks.append(
            Check("pending_change", router.name, "fail", severity_of(router),
                  f"{pending}; keep it with deploy.py --confirm --hosts {router.name}, or undo "
                  f"it now with deploy.py --rollback --hosts {router.name}")
        )  # fmt: skip
    return Result(host=task.host, result=evidence)


ExtraChecks = Callable[[dict[str, Router]], list[Check]]


def run_verify(nr: Nornir, extra: Iterable[ExtraChecks] = ()) -> VerifyReport:
    """Router side in parallel, then the path decision, then AWS and data-plane checks."""
    routers = {name: router_of(host) for name, host in nr.inventory.hosts.items()}
    results = nr.run(task=verify_router, name="verify", on_failed=True)
    evidence: dict[str, HostEvidence] = {}
    checks: list[Check] = []
    for host, multi in results.items():
        if host in results.failed_hosts or not len(multi):
            error = multi[0].exception if len(multi) else None
            detail = f"{type(error).__name__}: {error}" if error else "no result"
            checks.append(Check("collect", host, "error", severity_of(routers[host]),
                                redact(detail.splitlines()[0])))  # fmt: skip
            continue
        value = multi[0].result
        assert isinstance(value, HostEvidence)
        checks.extend(value.checks)
        evidence[host] = value
    checks.extend(path_checks(routers, evidence))
    for more in extra:
        checks.extend(more(routers))
    return VerifyReport(checks)
