"""Per VPC: will the VGW pick the primary? The path decision (:mod:`tasks.path_decision`) over
what every router of the VPC advertises, as checks."""

from __future__ import annotations

from tasks.model import Router, by_vpc
from tasks.path_decision import decide
from tasks.verify.report import Check, HostEvidence


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
