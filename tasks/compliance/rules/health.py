"""Rule ``isp-health``: the router's default route to AWS depends on its ISP health exactly as
the inventory says (``isp_health``).

With checks in force, every VGW session must send 0.0.0.0/0 only while the health token is in
the BGP table (``advertise-map TO-AWS exist-map ISP-HEALTHY``) and a monitor must be in
force to hold the token (FRR: the monitor running; VyOS: the token's failover route). Without
checks, or with them suspended for maintenance, no session may be conditional: a leftover
exist-map whose token nobody holds withdraws the router for good.
"""

from __future__ import annotations

from collections.abc import Iterator

from tasks.compliance.config import DeviceConfig
from tasks.compliance.rules import Hit, Outcome, RuleContext, Unjudged, rule
from tasks.compliance.rules.bgp import vgw_neighbors

#: The advertise-map is the export map itself: FRR's scanner applies the advertise-map's set
#: actions and skips the export map, so any other map loses the prepend and MED every scan.
ADVERTISE_MAP, EXIST_MAP = "TO-AWS", "ISP-HEALTHY"


@rule("isp-health")
def isp_health(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """Each VGW session conditional exactly when the inventory's checks are in force."""
    if ctx.router is None:
        yield Unjudged("the host is not in the inventory: its isp_health intent is unknown")
        return
    health = ctx.router.isp_health
    wanted = health is not None and health.active
    for nbr in vgw_neighbors(cfg):
        conditional = (nbr.advertise_map, nbr.exist_map)
        if wanted and conditional != (ADVERTISE_MAP, EXIST_MAP):
            why = "the default route does not follow ISP health (isp_health is set)"
            yield Hit(f"neighbor {nbr.address}", _shown(conditional), why)
        elif not wanted and any(conditional):
            yield Hit(f"neighbor {nbr.address}", _shown(conditional),
                      "conditional advertisement without health checks in force (isp_health "
                      "unset or in maintenance): nothing holds the token")  # fmt: skip
    if wanted and cfg.health_monitor is False:
        yield Hit("ISP health monitor", "not in force",
                  "isp_health is set but no monitor holds the health token")  # fmt: skip


def _shown(conditional: tuple[str | None, str | None]) -> str:
    advertise, exist = conditional
    if not (advertise or exist):
        return "unconditional"
    return f"advertise-map {advertise} exist-map {exist}"
