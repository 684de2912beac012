"""What VyOS itself refuses, per ``vyos_syntax``, checked when the inventory loads.

A value the router would answer with "Value validation failed" (or a commit-time error) is
refused at load time, naming host and field, instead of half-way through a diff on the router.
:class:`tasks.model.Router` calls :func:`vyos_problem` for every ``platform: vyos`` host.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tasks.model import Router


def vyos_problem(router: Router) -> str | None:
    """``"field: why"`` for the first value VyOS ``router.vyos_syntax`` would refuse, or None.

    Each rule names the VyOS constraint it mirrors (``../shared/vyos-schema/`` node and
    ``../shared/vyos/BEHAVIOUR.md`` section 1.4); the render sweep in
    ``tests/test_vyos_schema.py`` proves the model and the schema agree.
    """
    v13 = router.vyos_syntax == "1.3"
    for phase in ("ike", "esp"):
        encryption = getattr(router.ipsec, phase).encryption
        if encryption.endswith("gcm16"):
            vyos_name = encryption.replace("gcm16", "gcm128")
            return (
                f"ipsec.{phase}.encryption: VyOS has no {encryption!r} (its name for AES-GCM "
                f"with a 16-octet ICV is {vyos_name!r}; {encryption!r} is strongSwan's)"
            )
    dpd = router.ipsec.dpd
    if dpd.action == "hold" and not v13:
        return "ipsec.dpd.action: VyOS 1.4 renamed 'hold' to 'trap' (T4658) and refuses 'hold'"
    if dpd.interval < 2:
        return "ipsec.dpd.interval: VyOS accepts 2..86400 seconds"
    if dpd.timeout > 86400:
        return "ipsec.dpd.timeout: VyOS accepts 2..86400 seconds"
    if v13 and 0 < router.bgp.holdtime < 4:
        return "bgp.holdtime: VyOS 1.3 accepts 0 or 4..65535 seconds"
    if v13 and router.prepend_count > 24:
        return (
            f"bgp.prepend_per_rank: rank {router.rank} x {router.bgp.prepend_per_rank} = "
            f"{router.prepend_count} prepends; VyOS 1.3's as-path-prepend takes at most 24 ASNs"
        )
    if router.mss_clamp is not None and router.mss_clamp < 536:
        return "mss_clamp: VyOS clamps the MSS to 536..65535"
    health = router.isp_health
    if health and v13:
        return (
            "isp_health: VyOS 1.3 has no `protocols failover` and no BGP conditional "
            "advertisement (both came in 1.4); remove isp_health or move the router to 1.4"
        )
    if health and (health.fall not in (None, 1) or health.rise not in (None, 1)):
        return (
            "isp_health.fall: VyOS 1.4's failover removes its route on the first failed check "
            "and restores it on the first good one (src/helpers/vyos-failover.py); leave fall "
            "and rise out (or 1) on VyOS"
        )
    if health and health.timeout != 1:
        return (
            "isp_health.timeout: VyOS 1.4's failover waits a fixed 1 s per echo request "
            "(`ping -c 2 -W 1`, src/helpers/vyos-failover.py); leave timeout out on VyOS"
        )
    for index, tunnel in enumerate(router.tunnels):
        if not re.fullmatch(r"vti[0-9]+", tunnel.interface):
            return f"tunnels[{index}].interface: VyOS names VTI interfaces vtiN (e.g. vti0)"
    return None
