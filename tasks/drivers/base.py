"""The platform driver interface and its registry (the NAPALM pattern, Nornir's plugin shape).

A driver speaks to one router. Its contract, in the order deploy uses it::

    drv = driver_for(host)            # refused here, before any connection, if unknown
    drv.open()
    diff = drv.diff(candidate)        # candidate: rendered files (secrets revealed); "" = no change
    drv.apply(candidate, confirm_timeout=120)   # live now, reverts by itself unless confirmed
    ... post-checks through drv.show(...) ...
    drv.confirm()                     # make permanent and save
    # or drv.rollback()               # back to the config before apply, now
    drv.close()                       # lets go of locks; the session stays for the run

``diff`` returns unified-diff or device ``compare`` text that may hold secrets: callers pass it
through :func:`tasks.secrets.redact` before showing it. Every method raises
:class:`~tasks.errors.DriverError` (or a subclass) for device-side failures, chained ``from``
the transport's own exception.
"""

from __future__ import annotations

import fcntl
import getpass
import os
import re
import socket
import time
from pathlib import Path
from typing import ClassVar, Protocol, runtime_checkable

from nornir.core.inventory import Host

from tasks.errors import DriverError
from tasks.inventory import router_of
from tasks.isp_health import HealthState
from tasks.model import Router


class ConnectError(DriverError):
    """The device could not be reached or refused our credentials or host key."""


class CommitError(DriverError):
    """The device rejected the candidate; nothing of it is active.

    ``rolled_back`` is True when part of the candidate had been made live and the driver has
    already restored the previous config (the caller must not roll back a second time).
    """

    def __init__(self, message: str, rolled_back: bool = False) -> None:
        super().__init__(message)
        self.rolled_back = rolled_back


class IdentityError(ConnectError):
    """The device that answered is not the router the inventory names; nothing was read or
    changed on it."""


#: Where each platform records which inventory host a device is (written by deploy).
IDENTITY_RECORD = {
    "frr": "/etc/vpc-ha/identity",
    "vyos": "policy route-map TO-AWS description 'vpc-ha router <host>'",
}


def check_identity(host: Host, says: str | None, adopt: bool = False) -> None:
    """Refuse a device whose recorded identity is another router's.

    ``says`` is the host name the device recorded at its last deploy (None: never deployed,
    a factory router, accepted; deploy records it). ``adopt`` accepts any identity: the
    operator re-purposed the device and deploy records the new one.

    Raises:
        IdentityError: naming the inventory host, what the device says it is, and the fix.
    """
    if says is None or says == host.name or adopt:
        return
    where = f"{host.hostname}:{host.port or 22}"
    raise IdentityError(
        f"{host.name}: the device at {where} says it is {says!r}, not {host.name!r}; nothing was "
        f"read or changed. Fix the inventory's hostname/port for {host.name} if they point at "
        f"{says}; if this device really is {host.name} now (re-purposed), run deploy.py "
        f"--hosts {host.name} --adopt to record its new identity"
    )


class LockedError(DriverError):
    """Another run holds the router's change lock: nothing was changed."""


class RollbackError(DriverError):
    """Rolling back failed: the device needs an operator. The message says what state it is in."""


@runtime_checkable
class PlatformDriver(Protocol):
    """What deploy, verify and failover need from a router, whatever its platform."""

    platform: ClassVar[str]
    host: Host
    router: Router
    #: Accept a device whatever identity it recorded (deploy.py --adopt).
    adopt: bool

    def open(self, dedicated: bool = False) -> None:
        """Take the run's SSH session to the router (:mod:`tasks.platforms.connection`: one
        login per host per run; ``dedicated``: a session of the driver's own, for a poller in
        another thread) and check that the device is this router (:func:`check_identity`),
        before anything is read or changed. Raises :class:`ConnectError`
        (:class:`IdentityError`)."""

    def close(self) -> None:
        """Let go of what this driver holds (change lock, configure mode); the run's session
        stays open for its next task and Nornir closes it. Safe to call twice."""

    def diff(self, candidate: dict[str, str]) -> str:
        """What applying ``candidate`` would change; empty when nothing would. Changes nothing."""

    def apply(self, candidate: dict[str, str], confirm_timeout: int) -> None:
        """Make ``candidate`` live with an automatic rollback after ``confirm_timeout`` seconds
        unless :meth:`confirm` is called. Raises :class:`CommitError` (nothing left applied)."""

    def lock(self, owner: str, wait: float = 0) -> None:
        """Hold the router's change lock until :meth:`close` (``owner`` names this run to a
        second one). Raises :class:`LockedError` when another run holds it after ``wait`` s."""

    def pending_change(self) -> str | None:
        """A change left unconfirmed on the router (a killed run's), described with when it
        reverts by itself; None when there is none or the platform cannot tell."""

    def drain_guard(self) -> str | None:
        """A failover drain left in force on the router with the time it reverts by itself
        (see :mod:`tasks.failover.policy`); None when there is none or the platform cannot
        tell without changing something."""

    def confirm(self) -> None:
        """Cancel the pending automatic rollback and save the config as the startup config."""

    def rollback(self) -> None:
        """Return to the config from before :meth:`apply` now. Raises :class:`RollbackError`."""

    def show(self, command: str) -> str:
        """Run an operational command and return its raw text."""

    def isp_health(self) -> HealthState | None:
        """What the router's ISP health monitor says now (None: no monitor on the router)."""


def run_owner(runbook: str) -> str:
    """Who holds a router's change lock (or armed its drain guard), as a second operator will
    read it: the runbook, user, machine, pid and start time of this process."""
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(_STARTED))
    return (
        f"{runbook} by {getpass.getuser()}@{socket.gethostname()} pid {os.getpid()} since {started}"
    )


_STARTED = time.time()


class LocalChangeLock:
    """A router's change lock on this machine (a ``flock`` on ``/run/lock/vpc-ha/<key>``),
    for platforms whose CLI cannot hold one on the router itself.

    It serialises the runs of one machine; across machines such a platform relies on its own
    refusal of a second pending commit-confirm. ``key`` names the device (its management
    address and port), not the inventory's name for it: two inventories that both call a
    router "r1" are not one router, and two names for one address are.
    """

    DIRECTORY = Path("/run/lock/vpc-ha")

    def __init__(self, host: str, key: str | None = None) -> None:
        self.host = host
        safe = re.sub(r"[^A-Za-z0-9_.:-]", "_", key or host)
        self.path = self.DIRECTORY / f"{safe}.lock"
        self._fd: int | None = None

    def acquire(self, owner: str, wait: float = 0) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + max(0.0, wait)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 500, 0).decode(errors="replace").strip() or "unknown"
                    os.close(fd)
                    raise LockedError(
                        f"{self.host}: another run on this machine is changing this router "
                        f"({holder}); wait for it to finish"
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{owner}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


_REGISTRY: dict[str, type[PlatformDriver]] = {}


def register(cls: type[PlatformDriver]) -> type[PlatformDriver]:
    """Class decorator: make a driver available under its ``platform`` name."""
    _REGISTRY[cls.platform] = cls
    return cls


def _load_builtin() -> None:
    # Imported for their @register side effect; late so a missing extra never breaks import.
    import tasks.platforms.frr.driver
    import tasks.platforms.vyos.driver  # noqa: F401


def driver_class(platform: str | None) -> type[PlatformDriver]:
    """The driver class for a platform name; raises :class:`DriverError` when there is none."""
    _load_builtin()  # idempotent; a test that imported one driver must not hide the other
    try:
        return _REGISTRY[platform or ""]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise DriverError(f"no driver for platform {platform!r} (known: {known})") from None


def driver_for(host: Host) -> PlatformDriver:
    """Build (not connect) the driver of a validated host."""
    router = router_of(host)
    return driver_class(router.platform)(host, router)  # type: ignore[call-arg]
