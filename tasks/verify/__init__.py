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

Exit codes (for schedulers): 0 healthy; 1 degraded (a backup not ready); 2 primary path broken
or not guaranteed; 3 could not verify. A proven primary failure (2) outranks an unverifiable
check (3), which outranks a backup problem (1): unparsable output is never "healthy".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Literal

from nornir.core import Nornir
from nornir.core.task import Result, Task

from tasks.aws.prefix_limit import limit_verdict
from tasks.collect import RouterState, collect_state
from tasks.drivers.base import driver_for
from tasks.inventory import router_of
from tasks.isp_health import health_checks
from tasks.model import Router, by_vpc
from tasks.path_decision import Advertisement, decide
from tasks.secrets import redact

log = logging.getLogger(__name__)

Status = Literal["pass", "fail", "warn", "skip", "error"]
#: Whose path a check concerns: ``primary`` (the path the traffic takes: a failure is exit 2),
#: ``redundancy`` (one of the primary's tunnels while another carries the traffic: the path
#: works and has lost its spare, exit 1), ``backup`` (exit 1), ``info``.
Severity = Literal["primary", "redundancy", "backup", "info"]

EXIT_HEALTHY, EXIT_DEGRADED, EXIT_PRIMARY, EXIT_UNVERIFIED = 0, 1, 2, 3


@dataclass
class Check:
    """One judged fact. ``severity`` says whose path it concerns, for the exit code."""

    check: str
    target: str
    status: Status
    severity: Severity
    detail: str = ""


@dataclass
class HostEvidence:
    """A router's checks plus what it advertises to AWS (input to the path decision)."""

    host: str
    checks: list[Check] = field(default_factory=list)
    advertisements: list[Advertisement] = field(default_factory=list)


def severity_of(router: Router) -> Severity:
    return "primary" if router.role == "primary" else "backup"


def router_checks(router: Router, state: RouterState) -> HostEvidence:
    """Judge one router's parsed state against its inventory intent."""
    sev = severity_of(router)
    evidence = HostEvidence(router.name)
    add = evidence.checks.append
    neighbors = {n["address"]: n for n in (state.summary or {"neighbors": []})["neighbors"]}
    for tunnel in router.tunnels:
        target = f"{router.name}/{tunnel.name}"
        peer = str(tunnel.aws_inside_address)
        sa = next(
            (
                s
                for s in state.sas
                if s["remote_address"] == str(tunnel.outside_address)
                or s["connection"] == tunnel.name
            ),
            None,
        )
        if sa is None or not sa["up"]:
            add(
                Check(
                    "ipsec_sa",
                    target,
                    "fail",
                    sev,
                    f"no installed SA to {tunnel.outside_address}"
                    + (f" (state {sa['state']})" if sa else ""),
                )
            )
        else:
            wanted = router.ipsec.esp
            got = (sa["encryption"], sa["integrity"])
            mismatch = (sa["encryption"] not in (None, wanted.encryption)) or (
                sa["integrity"] not in (None, wanted.integrity)
                and not wanted.encryption.endswith("gcm16")
            )
            add(
                Check(
                    "ipsec_sa",
                    target,
                    "fail" if mismatch else "pass",
                    sev,
                    f"SA up, proposal {got[0]}/{got[1]}"
                    + (f", expected {wanted.encryption}/{wanted.integrity}" if mismatch else ""),
                )
            )
        neighbor = neighbors.get(peer)
        if neighbor is None:
            add(Check("bgp_session", target, "fail", sev, f"no BGP neighbor {peer} configured"))
            continue
        if not neighbor["established"]:
            add(Check("bgp_session", target, "fail", sev, f"{peer} is {neighbor['state']}"))
            continue
        if neighbor["remote_as"] != router.vpc.vgw.asn:
            add(
                Check(
                    "bgp_session",
                    target,
                    "fail",
                    sev,
                    f"{peer} remote AS {neighbor['remote_as']}, expected {router.vpc.vgw.asn}",
                )
            )
            continue
        add(
            Check(
                "bgp_session",
                target,
                "pass",
                sev,
                f"{peer} Established, AS {neighbor['remote_as']}, up {neighbor['up_down']}",
            )
        )
        _timers(router, target, peer, state, add)
        evidence.advertisements.extend(_advertised_default(router, tunnel.name, peer, state, add))
        _advertised_count(router, target, peer, state, add)
        _received_vpc(router, target, peer, state, add)
    _nat(router, state, add)
    _sa_without_session(evidence.checks)
    if router.role == "primary":
        _spare_tunnels(router, evidence.checks)
    return evidence


def _sa_without_session(checks: list[Check]) -> None:
    """An SA that reads "up" while the BGP session over it is down carries nothing: the far
    end is gone and charon keeps the SA until DPD ends (up to the DPD timeout). Judge the
    tunnel by what crosses it, not by the SA's bookkeeping."""
    down = {c.target for c in checks if c.check == "bgp_session" and c.status == "fail"}
    for c in checks:
        if c.check == "ipsec_sa" and c.status == "pass" and c.target in down:
            c.status = "fail"
            c.detail += "; but the BGP session over it is down: nothing crosses this tunnel " \
                        "(the SA stays listed until DPD ends)"  # fmt: skip


def _spare_tunnels(router: Router, checks: list[Check]) -> None:
    """A primary with at least one fully healthy tunnel still carries the traffic: failures
    on its other tunnels are lost redundancy (degraded), not a broken primary path."""
    targets = {f"{router.name}/{t.name}" for t in router.tunnels}
    bad = {c.target for c in checks if c.status in ("fail", "error")}
    healthy = targets - bad
    if not healthy:
        return
    for c in checks:
        if c.target in targets - healthy and c.severity == "primary" and c.status == "fail":
            c.severity = "redundancy"
            c.detail += f" (the primary carries the traffic on {', '.join(sorted(healthy))})"


def _timers(
    router: Router, target: str, peer: str, state: RouterState, add: Callable[[Check], None]
) -> None:
    """The session runs with the hold time and keepalive the inventory (and AWS) expect."""
    sev = severity_of(router)
    detail = state.neighbors.get(peer)
    if detail is None:
        add(Check("bgp_timers", target, "skip", "info", f"timers not read on {router.platform}"))
        return
    got = (detail["hold_time"], detail["keepalive"])
    want = (router.bgp.holdtime, router.bgp.keepalive)
    if None in got:
        add(Check("bgp_timers", target, "error", sev, f"{peer}: negotiated timers not shown"))
    elif got != want:
        add(
            Check(
                "bgp_timers",
                target,
                "fail",
                sev,
                f"{peer}: hold {got[0]} s / keepalive {got[1]} s, expected {want[0]} / {want[1]}",
            )
        )
    else:
        add(
            Check(
                "bgp_timers", target, "pass", sev, f"{peer}: hold {got[0]} s, keepalive {got[1]} s"
            )
        )


def _advertised_default(
    router: Router, tunnel: str, peer: str, state: RouterState, add: Callable[[Check], None]
) -> list[Advertisement]:
    sev = severity_of(router)
    target = f"{router.name}/{tunnel}"
    table = state.advertised.get(peer)
    path = next((p for p in (table or {"paths": []})["paths"] if p["prefix"] == "0.0.0.0/0"), None)
    if path is None:
        add(Check("advertise_default", target, "fail", sev, f"0.0.0.0/0 not advertised to {peer}"))
        return []
    # FRR shows the path after the outbound route-map, without the ASN added on eBGP export.
    sent_path = (router.asn, *path["as_path"])
    prepends = sum(1 for asn in path["as_path"] if asn == router.asn)
    med = path["metric"]
    problems = []
    if prepends != router.prepend_count:
        problems.append(f"prepends {prepends}, expected {router.prepend_count}")
    if (med or 0) != router.med:
        problems.append(f"MED {med}, expected {router.med}")
    add(
        Check(
            "advertise_default",
            target,
            "fail" if problems else "pass",
            sev,
            f"0.0.0.0/0 AS_PATH {' '.join(map(str, sent_path))} MED {med}"
            + (": " + ", ".join(problems) if problems else ""),
        )
    )
    return [Advertisement(router.name, tunnel, "0.0.0.0/0", sent_path, med)]


def _advertised_count(
    router: Router, target: str, peer: str, state: RouterState, add: Callable[[Check], None]
) -> None:
    """At most 100 prefixes to an AWS peer (:mod:`tasks.aws.prefix_limit`)."""
    table = state.advertised.get(peer)
    if table is not None:
        status, detail = limit_verdict({p["prefix"] for p in table["paths"]}, peer)
        add(Check("advertise_limit", target, status, severity_of(router), detail))


def _received_vpc(
    router: Router, target: str, peer: str, state: RouterState, add: Callable[[Check], None]
) -> None:
    table = state.received.get(peer)
    prefixes = {p["prefix"] for p in (table or {"paths": []})["paths"]}
    missing = [str(n) for n in router.vpc.networks if str(n) not in prefixes]
    add(
        Check(
            "received_vpc",
            target,
            "fail" if missing else "pass",
            severity_of(router),
            f"missing {', '.join(missing)} from {peer}"
            if missing
            else f"{', '.join(map(str, router.vpc.networks))} received",
        )
    )


def _nat(router: Router, state: RouterState, add: Callable[[Check], None]) -> None:
    text = state.nat_text
    missing = [str(n) for n in router.vpc.networks if str(n) not in text]
    ok = "masquerade" in text and not missing
    add(
        Check(
            "nat",
            router.name,
            "pass" if ok else "fail",
            severity_of(router),
            "masquerade of the VPC networks present"
            if ok
            else f"no masquerade for {', '.join(missing) or 'the VPC networks'}",
        )
    )


def path_checks(routers: dict[str, Router], evidence: dict[str, HostEvidence]) -> list[Check]:
    """Per VPC: will the VGW pick the primary? A backup or a tie fails with severity primary."""
    checks = []
    for vpc, members in by_vpc(routers.values()).items():
        if any(r.name not in evidence for r in members):
            unknown = sorted(r.name for r in members if r.name not in evidence)
            checks.append(
                Check(
                    "path_decision",
                    vpc,
                    "error",
                    "primary",
                    f"cannot decide without the state of {', '.join(unknown)}",
                )
            )
            continue
        ads = [a for r in members for a in evidence[r.name].advertisements]
        decision = decide(ads)
        primary = next((r.name for r in members if r.role == "primary"), None)
        if decision.router and decision.router == primary:
            checks.append(Check("path_decision", vpc, "pass", "primary", decision.reason))
        else:
            why = decision.reason
            if decision.router is not None:
                why = f"VGW will prefer {decision.router}, not the primary {primary}: {why}"
            checks.append(Check("path_decision", vpc, "fail", "primary", why))
    return checks


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
        detail = redact(f"{type(exc).__name__}: {exc}".splitlines()[0])
        evidence = HostEvidence(
            router.name, [Check("collect", router.name, "error", severity_of(router), detail)]
        )
        return Result(host=task.host, result=evidence)
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


def exit_code(checks: Iterable[Check]) -> int:
    """0 healthy, 1 degraded, 2 primary broken or not guaranteed, 3 could not verify."""
    checks = list(checks)
    if not checks:
        return EXIT_UNVERIFIED  # no evidence is not health
    if any(c.status == "fail" and c.severity == "primary" for c in checks):
        return EXIT_PRIMARY
    if any(c.status == "error" for c in checks):
        return EXIT_UNVERIFIED
    if any(c.status == "fail" for c in checks):
        return EXIT_DEGRADED
    return EXIT_HEALTHY


@dataclass
class VerifyReport:
    checks: list[Check]

    @property
    def exit_code(self) -> int:
        return exit_code(self.checks)

    def as_dict(self) -> dict[str, object]:
        return {"exit_code": self.exit_code, "checks": [asdict(c) for c in self.checks]}


ExtraChecks = Callable[[dict[str, Router]], list[Check]]


def run_verify(nr: Nornir, extra: Iterable[ExtraChecks] = ()) -> VerifyReport:
    """Router side in parallel, then the path decision, then AWS and data-plane checks."""
    routers = {name: router_of(host) for name, host in nr.inventory.hosts.items()}
    results = nr.run(task=verify_router, name="verify", on_failed=True)
    evidence: dict[str, HostEvidence] = {}
    checks: list[Check] = []
    for host, multi in results.items():
        value = multi[0].result if len(multi) else None
        if isinstance(value, HostEvidence):
            checks.extend(value.checks)
            if not any(c.check == "collect" for c in value.checks):
                evidence[host] = value
        else:
            error = multi[0].exception if len(multi) else None
            checks.append(
                Check(
                    "collect",
                    host,
                    "error",
                    severity_of(routers[host]),
                    redact(str(error or "no result")),
                )
            )
    checks.extend(path_checks(routers, evidence))
    for more in extra:
        checks.extend(more(routers))
    return VerifyReport(checks)
