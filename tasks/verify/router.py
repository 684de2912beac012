"""The router side of verify: one router's parsed state judged against its inventory intent.

:func:`router_checks` turns a :class:`~tasks.collect.RouterState` into checks (SAs with the
expected proposal, eBGP sessions to the VGW's ASN with the expected hold time and keepalive,
the default route advertised with the role's prepend and MED, the VPC networks received, the
NAT rule) and the advertisements the path decision (:mod:`tasks.verify.path`) is computed from.
"""

from __future__ import annotations

from collections.abc import Callable

from tasks.aws.prefix_limit import limit_verdict
from tasks.collect import RouterState
from tasks.model import Router
from tasks.path_decision import Advertisement
from tasks.verify.report import Check, HostEvidence, severity_of


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
