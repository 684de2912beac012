"""The two changes a controlled failover makes on the primary, per platform, and their inverses.

1. *Drain*: prepend the router's ASN on the default route it sends to AWS (route-map
   ``TO-AWS`` rule 10, as rendered by ``templates/<platform>/``), then refresh what each VGW peer
   was sent, so AWS prefers the best backup while the primary's tunnels and sessions stay up
   (make-before-break).
2. *Maintenance*: shut every BGP session to the VGW once traffic has moved, so nothing can pull
   it back during the window.

Both are made in the running config only and never saved: a router that reboots mid-test comes
back as rendered. The inverse of each restores exactly what the templates render (the rendered
prepend of the router's rank, usually none for a primary), which the pre-checks proved is what
was live before.

Platform differences are data (:data:`COMMANDS`); how a list of lines reaches a router is the
one behaviour that differs, behind :class:`Changer` with one implementation per platform,
looked up before any device is touched.
"""

from __future__ import annotations

import logging
import math
import shlex
from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from tasks.drivers.base import PlatformDriver
from tasks.errors import DriverError, ToolkitError
from tasks.model import Router

log = logging.getLogger(__name__)

#: Per platform (and VyOS syntax): configuration lines, ``{asn}``, ``{path}`` (ASNs separated
#: by spaces) and ``{peer}`` filled in. ``soft_out`` is an operational command run after the
#: policy changed: FRR otherwise waits for its route-map delay timer (5 s) before re-sending.
COMMANDS: dict[str, dict[str, str]] = {
    "frr": {
        "enter_policy": "route-map TO-AWS permit 10",
        "prepend": "set as-path prepend {path}",
        "no_prepend": "no set as-path prepend",
        "leave_policy": "exit",
        "enter_bgp": "router bgp {asn}",
        "shutdown": "neighbor {peer} shutdown",
        "no_shutdown": "no neighbor {peer} shutdown",
        "leave_bgp": "exit",
        "soft_out": "clear ip bgp {peer} soft out",
    },
    "vyos-1.4": {
        "prepend": "set policy route-map TO-AWS rule 10 set as-path prepend '{path}'",
        "no_prepend": "delete policy route-map TO-AWS rule 10 set as-path prepend",
        "shutdown": "set protocols bgp neighbor {peer} shutdown",
        "no_shutdown": "delete protocols bgp neighbor {peer} shutdown",
        "soft_out": "reset bgp {peer} soft out",
    },
    "vyos-1.3": {
        "prepend": "set policy route-map TO-AWS rule 10 set as-path-prepend '{path}'",
        "no_prepend": "delete policy route-map TO-AWS rule 10 set as-path-prepend",
        "shutdown": "set protocols bgp {asn} neighbor {peer} shutdown",
        "no_shutdown": "delete protocols bgp {asn} neighbor {peer} shutdown",
        "soft_out": "reset ip bgp {peer} soft out",
    },
}


class FailoverError(ToolkitError):
    """A failover step could not be made or undone; the message names the router and step."""


def table_of(router: Router) -> dict[str, str]:
    key = router.platform if router.platform != "vyos" else f"vyos-{router.vyos_syntax}"
    try:
        return COMMANDS[key]
    except KeyError:
        raise FailoverError(f"{router.name}: no failover commands for {key!r}") from None


def peers(router: Router) -> list[str]:
    return [str(t.aws_inside_address) for t in router.tunnels]


def prepend_line(router: Router, count: int) -> str:
    """The policy line that makes the default route carry ``count`` extra copies of the ASN;
    ``count`` 0 removes the prepend."""
    table = table_of(router)
    if count <= 0:
        return table["no_prepend"]
    return table["prepend"].format(path=" ".join([str(router.asn)] * count))


class Changer(Protocol):
    """Makes the failover's policy and session changes on one open driver."""

    platform: ClassVar[str]

    def arm_guard(self, seconds: int, owner: str) -> None:
        """Before the drain: make the router end it by itself (sessions re-enabled, rendered
        prepend back) ``seconds`` from now unless :meth:`disarm_guard` is called first, so a
        run that dies (SIGKILL, a dropped terminal) cannot leave the primary drained."""

    def disarm_guard(self) -> bool:
        """After the fail-back: the run undid the drain itself; False when nothing was armed."""

    def set_prepend(self, count: int) -> None:
        """Send the default route to AWS with ``count`` prepends (0: none) and refresh peers."""

    def set_shutdown(self, down: bool) -> None:
        """Shut (``down``) or re-enable every BGP session of the router to the VGW."""


_REGISTRY: dict[str, Callable[[PlatformDriver], Changer]] = {}


def register(cls: type[Any]) -> type[Any]:
    _REGISTRY[cls.platform] = cls
    return cls


def changer_class(platform: str) -> Callable[[PlatformDriver], Changer]:
    """Refused here, before anything is touched, when a platform has no implementation."""
    try:
        return _REGISTRY[platform]
    except KeyError:
        raise FailoverError(
            f"no failover support for platform {platform!r} (known: {', '.join(sorted(_REGISTRY))})"
        ) from None


def changer_for(driver: PlatformDriver) -> Changer:
    return changer_class(driver.router.platform)(driver)


@register
class FrrChanger:
    """FRR: one ``vtysh`` invocation per change, each line a ``-c`` (no file, no save)."""

    platform: ClassVar[str] = "frr"

    def __init__(self, driver: PlatformDriver) -> None:
        self.driver = driver
        self.router = driver.router
        self.table = table_of(self.router)

    @staticmethod
    def _command(lines: list[str]) -> str:
        return "vtysh " + " ".join(f"-c {shlex.quote(line)}" for line in lines)

    def _prepend_lines(self, count: int) -> list[str]:
        t = self.table
        soft = [t["soft_out"].format(peer=p) for p in peers(self.router)]
        return ["configure terminal", t["enter_policy"], prepend_line(self.router, count),
                t["leave_policy"], "end", *soft]  # fmt: skip

    def _shutdown_lines(self, down: bool) -> list[str]:
        t = self.table
        line = t["shutdown"] if down else t["no_shutdown"]
        enter = t["enter_bgp"].format(asn=self.router.asn)
        return ["configure terminal", enter, *[line.format(peer=p) for p in peers(self.router)],
                t["leave_bgp"], "end"]  # fmt: skip

    def _vtysh(self, lines: list[str]) -> None:
        command = self._command(lines)
        sh = getattr(self.driver, "sh", None)
        if sh is None:
            raise FailoverError(f"{self.router.name}: the frr driver has no shell (sh)")
        rc, out = sh(f"{command} 2>&1", check=False, timeout=30)
        # vtysh exits 0 even for some refused lines; its refusals start with "%".
        refused = [line for line in out.splitlines() if line.lstrip().startswith("%")]
        if rc != 0 or refused:
            raise FailoverError(
                f"{self.router.name}: vtysh refused the change (exit {rc}): "
                f"{'; '.join(refused) or out[-300:]}"
            )

    def set_prepend(self, count: int) -> None:
        self._vtysh(self._prepend_lines(count))

    def set_shutdown(self, down: bool) -> None:
        self._vtysh(self._shutdown_lines(down))

    def arm_guard(self, seconds: int, owner: str) -> None:
        """A timer on the router
        (:meth:`~tasks.platforms.frr.driver.FrrDriver.arm_drain_guard`) runs the same two undos
        the run would: sessions back, then the rendered prepend."""
        sessions = self._command(self._shutdown_lines(False))
        undo = f"{sessions}\n{self._command(self._prepend_lines(self.router.prepend_count))}"
        try:
            self.driver.arm_drain_guard(undo, seconds, owner)  # type: ignore[attr-defined]
        except DriverError as exc:
            raise FailoverError(str(exc)) from exc

    def disarm_guard(self) -> bool:
        return bool(self.driver.disarm_drain_guard())  # type: ignore[attr-defined]


@register
class VyosChanger:
    """VyOS: ``configure``, the set/delete lines, ``commit``, ``exit`` (never ``save``),
    through the driver's :meth:`~tasks.platforms.vyos.driver.VyosDriver.commit_unsaved`. Run against
    the scripted VyOS 1.3 and 1.4 routers (``tests/drivers/test_vyos_scenarios.py``), not yet
    against a real one. Deleting an absent node succeeds on VyOS, so undoing twice is safe."""

    platform: ClassVar[str] = "vyos"

    def __init__(self, driver: PlatformDriver) -> None:
        self.driver: Any = driver
        self.router = driver.router
        self.table = table_of(self.router)
        self._guard_minutes: int | None = None

    def _commit(self, lines: list[str], op_after: list[str]) -> None:
        # The guard rides on the first change's commit: armed atomically with the drain.
        minutes, self._guard_minutes = self._guard_minutes, None
        try:
            self.driver.commit_unsaved(lines, confirm_minutes=minutes)
            for command in op_after:
                self.driver.show(command)
        except DriverError as exc:
            raise FailoverError(f"{self.router.name}: {exc}") from exc

    def set_prepend(self, count: int) -> None:
        soft = [self.table["soft_out"].format(peer=p) for p in peers(self.router)]
        self._commit([prepend_line(self.router, count)], soft)

    def set_shutdown(self, down: bool) -> None:
        line = self.table["shutdown" if down else "no_shutdown"]
        self._commit([line.format(asn=self.router.asn, peer=p) for p in peers(self.router)], [])

    def arm_guard(self, seconds: int, owner: str) -> None:
        """VyOS: the drain's commit is a ``commit-confirm`` of ``seconds`` rounded up to whole
        minutes; if the run is gone when it expires, VyOS 1.3 and 1.4 reboot to the saved
        config (BEHAVIOUR.md 2.2, timer expiry), which has no drain."""
        self._guard_minutes = max(1, math.ceil(seconds / 60))

    def disarm_guard(self) -> bool:
        self._guard_minutes = None
        try:
            return bool(self.driver.confirm_unsaved())
        except DriverError as exc:
            raise FailoverError(f"{self.router.name}: {exc}") from exc
