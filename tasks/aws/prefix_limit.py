"""AWS's limit on what a router may advertise on one VPN BGP session, judged router side.

AWS accepts at most 100 prefixes from a customer gateway on one Site-to-Site VPN BGP session;
more resets the session to Idle (shared/DESIGN.md), so a router that leaks its full table loses
both sessions and the VPC fails over, or worse, it is the last router. The count comes from the
parsed ``show ip bgp neighbors <peer> advertised-routes`` that verify already reads
(:mod:`tasks.collect`). The design advertises only :data:`tasks.aws.design.ADVERTISED`;
more than that, within the limit, is a leak but not yet a reset (a ``warn``).

A session AWS has already reset is Idle, so the router shows nothing advertised to it: that is
``bgp_session``'s failure, and this check does not run for it.
"""

from __future__ import annotations

from typing import Literal

from tasks.aws.design import ADVERTISED, AWS_PREFIX_LIMIT


def limit_verdict(prefixes: set[str], peer: str) -> tuple[Literal["pass", "fail", "warn"], str]:
    """The status and detail for what a router advertises to one VGW peer."""
    count = len(prefixes)
    if count > AWS_PREFIX_LIMIT:
        return "fail", (
            f"{count} prefixes advertised to {peer}: over AWS's limit of {AWS_PREFIX_LIMIT}, "
            "AWS resets the session to Idle; restrict the export to the TO-AWS route-map"
        )
    extra = sorted(prefixes - set(ADVERTISED))
    if extra:
        shown = ", ".join(extra[:5]) + (" ..." if len(extra) > 5 else "")
        return "warn", (
            f"{count} prefixes advertised to {peer} (limit {AWS_PREFIX_LIMIT}); the design "
            f"advertises only {', '.join(ADVERTISED)}: also {shown}"
        )
    return "pass", f"{count} prefix(es) advertised to {peer} (AWS limit {AWS_PREFIX_LIMIT})"
