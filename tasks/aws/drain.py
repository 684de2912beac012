"""Make-before-break around a tunnel replacement on the primary: drain, then restore.

The drain is failover's (:mod:`tasks.failover.policy`): the primary sends its default route to
AWS with more prepends than the best backup (its prepends + 2, so MED never decides), in the
running config only (never saved: a reboot comes back as rendered), and the peers are refreshed.
The VGW then prefers the backup while the primary's tunnels stay up. The restore sends the
rendered prepend again, on every exit from the ``with`` block (error and Ctrl-C included).

The VGW's choice cannot be read from AWS (no API says which tunnel a VGW forwards on), so the
drain waits ``settle`` seconds for BGP to converge; ``failover.py`` is the tool that measures.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager

from nornir.core.inventory import Host

from tasks.aws.maintenance import EXIT_REFUSED, MaintenanceError
from tasks.drivers.base import driver_for
from tasks.failover.policy import changer_for
from tasks.model import Router

log = logging.getLogger(__name__)

#: A drain for one router: enter drains it, exit restores it.
Drain = Callable[[Router], AbstractContextManager[None]]


def drain_count(primary: Router, routers: Sequence[Router]) -> int:
    """Prepends that make every backup of the primary's VPC win by AS_PATH length."""
    backups = [r for r in routers if r.vpc.id == primary.vpc.id and r.role == "backup"]
    if not backups:
        raise MaintenanceError(
            f"{primary.name}: no backup in {primary.vpc.id} to take the traffic; draining "
            "would move it nowhere",
            EXIT_REFUSED,
        )
    return max(b.prepend_count for b in backups) + 2


def prepend_drain(
    hosts: dict[str, Host],
    routers: Sequence[Router],
    settle: float = 30.0,
    say: Callable[[str], None] = log.info,
    sleep: Callable[[float], None] = time.sleep,
) -> Drain:
    """A :data:`Drain` over SSH (the router's driver) for the inventory's hosts."""

    @contextmanager
    def drain(router: Router) -> Iterator[None]:
        count = drain_count(router, routers)
        driver = driver_for(hosts[router.name])
        driver.open()
        try:
            changer = changer_for(driver)
            say(f"{router.name}: drain: prepend {count}x {router.asn} toward AWS")
            changer.set_prepend(count)
            try:
                say(f"{router.name}: waiting {settle:.0f} s for the VGW to prefer a backup")
                sleep(settle)
                yield
            finally:
                say(f"{router.name}: restore: prepend {router.prepend_count} (as rendered)")
                changer.set_prepend(router.prepend_count)
        finally:
            driver.close()

    return drain
