"""Which router will the VGW send the VPC's outbound traffic through? Compute it, don't hope.

A virtual private gateway chooses among the routes it learns for a destination by, in order
(AWS Site-to-Site VPN route priority): longest prefix; static routes over BGP-propagated ones;
shortest AS_PATH; lowest MED, compared only between paths whose first AS is the same. AWS
documents nothing after that, so anything still tied may go either way, and a VGW uses one
tunnel across all connections (no ECMP). This module applies those rules to what each router
actually advertises and says who wins, or that the choice is not guaranteed.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Advertisement:
    """One route as the VGW receives it from one tunnel of one router.

    ``as_path`` is the path as the VGW sees it: the router's own ASN first (eBGP adds it on
    export), followed by any prepends and what the router learned. ``med`` None means the
    router sent none (the VGW treats a missing MED as 0).
    """

    router: str
    tunnel: str
    prefix: str
    as_path: tuple[int, ...]
    med: int | None = None
    static: bool = False

    @property
    def network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.prefix)


@dataclass
class PathDecision:
    """The VGW's choice for one destination, with the reason in words."""

    destination: str
    winners: list[Advertisement] = field(default_factory=list)
    reason: str = ""

    @property
    def routers(self) -> list[str]:
        return sorted({a.router for a in self.winners})

    @property
    def router(self) -> str | None:
        """The router that carries the traffic, or None when none or more than one may."""
        routers = self.routers
        return routers[0] if len(routers) == 1 else None

    @property
    def tie(self) -> bool:
        return len(self.routers) > 1


def decide(advertisements: list[Advertisement], destination: str = "0.0.0.0/0") -> PathDecision:
    """Apply the VGW's route priority for ``destination`` (a prefix the traffic goes to).

    Example: the primary sends ``0.0.0.0/0`` with AS_PATH (65010,), the backup with
    (65010, 65010, 65010): the primary wins on AS_PATH length. With equal paths and MEDs the
    decision is a tie between routers, which verify must treat as not guaranteed.
    """
    target = ipaddress.IPv4Network(destination)
    candidates = [a for a in advertisements if target.subnet_of(a.network)]
    decision = PathDecision(destination)
    if not candidates:
        decision.reason = f"no router advertises a route covering {destination}"
        return decision
    longest = max(a.network.prefixlen for a in candidates)
    candidates = [a for a in candidates if a.network.prefixlen == longest]
    steps = [f"longest prefix /{longest}"]
    if any(a.static for a in candidates):
        candidates = [a for a in candidates if a.static]
        steps.append("static over BGP")
    shortest = min(len(a.as_path) for a in candidates)
    if any(len(a.as_path) != shortest for a in candidates):
        steps.append(f"shortest AS_PATH ({shortest})")
    candidates = [a for a in candidates if len(a.as_path) == shortest]
    candidates, med_step = _lowest_med(candidates)
    if med_step:
        steps.append(med_step)
    decision.winners = sorted(candidates, key=lambda a: (a.router, a.tunnel))
    if decision.tie:
        decision.reason = (
            f"tie between {', '.join(decision.routers)} after {', '.join(steps)}: the VGW may "
            "pick either (weight and local preference never reach AWS)"
        )
    else:
        decision.reason = f"{decision.routers[0]} wins on {', '.join(steps)}"
    return decision


def _lowest_med(candidates: list[Advertisement]) -> tuple[list[Advertisement], str]:
    """MED is compared only among paths whose first AS is the same (per neighbour AS)."""
    by_first_as: dict[int | None, list[Advertisement]] = {}
    for adv in candidates:
        by_first_as.setdefault(adv.as_path[0] if adv.as_path else None, []).append(adv)
    if len(by_first_as) != 1:
        return candidates, ""
    lowest = min(a.med or 0 for a in candidates)
    kept = [a for a in candidates if (a.med or 0) == lowest]
    return kept, (f"lowest MED ({lowest})" if len(kept) != len(candidates) else "")
