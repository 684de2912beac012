"""The ``vyos`` driver: VyOS 1.3 / 1.4 over SSH (netmiko ``vyos``), with commit-confirm.

The command conversation, per method (what VyOS answers: ``../shared/vyos/BEHAVIOUR.md``)::

    diff     show configuration commands, configure, delete ... (owned nodes), set ...,
             compare, exit discard
    apply    show configuration commands, configure, delete ..., set ...,
             commit-confirm <minutes>, y, exit
             (a refused line: exit discard, CommitError, no timer was armed; a failed or
             locked commit: exit discard, then the rollback conversation, which also cancels
             the timer the commit-confirm armed, CommitError)
    confirm  configure, confirm, save, exit
    rollback configure, load /config/config.boot, commit, confirm, exit
    show     <op-mode command>

Replace semantics. ``set`` only adds, so the candidate starts with a ``delete`` of every node
the toolkit owns that is on the router (:mod:`tasks.platforms.vyos.owned`); VyOS commits the net
difference of the session, so an unchanged router commits nothing and ``compare`` shows the
deletions of what the intent no longer holds. Nothing outside the owned nodes is touched.

The modules: :mod:`~tasks.platforms.vyos.session` (the SSH session and the configure-mode
conversation, and why netmiko's mode handling is not used), :mod:`~tasks.platforms.vyos.commit`
(commit-confirm, confirm, rollback, and why rollback loads the saved config) and this one (the
driver: connect, identity, op-mode reading, diff, apply).
"""

from __future__ import annotations

import logging
import math
import re
from typing import ClassVar

from netmiko.base_connection import BaseConnection
from nornir.core.inventory import Host

from tasks.drivers.base import LocalChangeLock, check_identity, register
from tasks.errors import DriverError
from tasks.isp_health import HealthState
from tasks.model import Router
from tasks.model.isp import HEALTH_TOKEN
from tasks.platforms.connection import VpcHaConnection, discard, own_session, session
from tasks.platforms.vyos.commit import VyosCommit
from tasks.platforms.vyos.owned import deletions
from tasks.platforms.vyos.session import VyosSession, error_lines, netmiko_log
from tasks.secrets import remember_secret

log = logging.getLogger(__name__)

#: Where deploy records the router's identity (templates/vyos/config.set.j2).
IDENTITY_NODE = "policy route-map TO-AWS description"
#: Leaves whose value is a key (``vpn ipsec authentication psk X secret``, 1.3's
#: ``peer X authentication pre-shared-secret``).
SECRET_LEAVES = frozenset({"secret", "pre-shared-secret"})
NO_CHANGES = "No changes between working and active configurations"


@register
class VyosDriver(VyosCommit):
    """One VyOS router. Not thread-safe: one driver per host, as Nornir runs them."""

    platform: ClassVar[str] = "vyos"
    device_type: ClassVar[str] = "vyos"

    def __init__(self, host: Host, router: Router) -> None:
        self.host = host
        self.router = router
        self._conn: BaseConnection | None = None
        self._in_config = False
        self._pending_confirm = False
        self._op_prompt = self._conf_prompt = self._any_prompt = ""
        self._lock = LocalChangeLock(host.name, key=f"{host.hostname}-{host.port or 22}")
        self._own: VpcHaConnection | None = None
        self.adopt = False

    # ---- connection ------------------------------------------------------------------------
    def open(self, dedicated: bool = False) -> None:
        """Take the run's session to the router (one login per run; ``dedicated``: one of its
        own, for a poller in another thread); prompts are learned from the device, never
        assumed. Raises ConnectError."""
        if dedicated:
            self._own = own_session(self.host, self.device_type, VyosSession)
            self._conn = self._own.connection
        else:
            self._conn = session(self.host, self.device_type, VyosSession)
        assert self._conn is not None
        # A session handed on by the run's previous task: drop what it left unread (1.3's
        # one-keystroke question leaves an extra prompt behind a "y\n"). read_channel takes
        # what has arrived without waiting; clear_buffer would sleep on every open.
        self._conn.read_channel()
        base = re.escape(self._conn.base_prompt)
        # op mode "vyos@vyos:~$ " or, for root, "root@vyos:~# "; configure mode "vyos@vyos# "
        self._op_prompt = rf"{base}:[^\n]*[$#]\s*$"
        self._conf_prompt = rf"{base}#\s*$"
        self._any_prompt = rf"{base}(?::[^\n]*)?[$#]\s*$"
        self._in_config = False
        log.debug("%s: connected, prompt base %r", self.host.name, self._conn.base_prompt)
        try:
            check_identity(self.host, self.identity(), self.adopt)
        except DriverError:
            self.close()
            raise

    def identity(self) -> str | None:
        """The inventory host this device was deployed as (the description deploy renders on
        route-map TO-AWS), or None when it never was."""
        out = self.show(f"show configuration commands | match '{IDENTITY_NODE}'")
        found = re.search(rf"{IDENTITY_NODE} '?vpc-ha router ([A-Za-z0-9._-]+)", out)
        return found.group(1) if found else None

    def pending_change(self) -> str | None:
        """None: VyOS tells whether a commit-confirm is pending only by ``confirm``, which would
        also cancel it (another run's timer included), so it is not asked."""
        return None

    def drain_guard(self) -> str | None:
        """None: a VyOS drain guard is a commit-confirm (see :meth:`commit_unsaved`), which
        VyOS reveals only to ``confirm``, and that would cancel it."""
        return None

    def isp_health(self) -> HealthState | None:
        """VyOS 1.4's failover service holds the token route (``proto failover``) exactly while
        its check passes (src/helpers/vyos-failover.py): zebra lists it as a kernel route. The
        service itself is not visible from op mode, so ``running`` is unknown."""
        if self.router.isp_health is None:
            return None
        out = self.show(f"show ip route {HEALTH_TOKEN}/32")
        return HealthState(path_up=f"Routing entry for {HEALTH_TOKEN}/32" in out, running=None)

    def lock(self, owner: str, wait: float = 0) -> None:
        """This machine's change lock for the router (see :class:`LocalChangeLock`): a VyOS
        op-mode session cannot hold a lock on the router itself."""
        self._lock.acquire(owner, wait)

    def close(self) -> None:
        """Leave configure mode (discarding) if a failure left us there and let go of this
        machine's change lock; the session stays for the run's next task (Nornir closes it at
        the end of the run) unless it failed in transport or is this driver's own."""
        self._lock.release()
        if self._conn is None:
            return
        if self._in_config and not self._broken:
            try:
                self._exit(discard=True)
            except DriverError as exc:
                log.warning("%s: could not leave configure mode: %s", self.host.name, exc)
        if self._own is not None:
            self._own.close()
        elif self._broken or self._in_config:
            discard(self.host)  # VyOS drops a closed session's uncommitted changes itself
        self._conn = self._own = None
        self._in_config = self._broken = False

    # ---- the contract ----------------------------------------------------------------------
    def diff(self, candidate: dict[str, str]) -> str:
        """``compare`` after loading the candidate; ``""`` when VyOS reports no changes.

        The candidate is loaded as :meth:`apply` would (owned nodes deleted, then set), so the
        diff shows what would be removed as well as added.

        Raises:
            CommitError: the device refused a line (named, secrets masked); nothing changed.
        """
        lines = self.session_lines(candidate)
        self._configure()
        try:
            self._load(lines)
            text = self._run("compare")
        finally:
            if self._in_config:
                self._exit(discard=True)
        if NO_CHANGES in text:
            return ""
        return text.strip("\n") + "\n"

    def session_lines(self, candidate: dict[str, str]) -> list[str]:
        """What a config session types: ``delete`` of the owned nodes on the router, then the
        candidate's lines (from op mode: reads ``show configuration commands`` first)."""
        lines = config_lines(candidate)
        # The running config holds keys the intent may no longer name (a replaced tunnel's
        # PSK): keep netmiko's byte log off for this read, and mask them in diffs and errors.
        netmiko_log.disabled = True
        try:
            running = self.show("show configuration commands").splitlines()
        finally:
            netmiko_log.disabled = False
        for line in running:
            words = line.split()
            if len(words) > 2 and words[-2] in SECRET_LEAVES:
                remember_secret(words[-1].strip("'\""))
        return deletions(running, lines) + lines

    def apply(self, candidate: dict[str, str], confirm_timeout: int) -> None:
        """Load the candidate and ``commit-confirm`` it; back in op mode afterwards.

        ``confirm_timeout`` seconds are rounded up to whole minutes (VyOS counts minutes).
        On success the timer is armed: the caller must :meth:`confirm` or :meth:`rollback`
        (an expired timer reboots the router). On every error the timer is not armed, or was
        cancelled, unless the session itself was lost (a :class:`DriverError` that says so).

        Raises:
            CommitError: a line or the commit was refused; nothing of the candidate is active.
            RollbackError: the commit failed and restoring the saved config failed too.
            DriverError: the session was lost; the message says whether a timer may be armed.
        """
        minutes = max(1, math.ceil(confirm_timeout / 60))
        self._commit_confirmed(self.session_lines(candidate), minutes)

    def show(self, command: str) -> str:
        """Run an op-mode command (e.g. ``show ip bgp summary``) and return its text."""
        if self._in_config:
            raise DriverError(f"{self.host.name}: show called in configure mode")
        out = self._run(command, expect=self._op_prompt)
        if "Invalid command" in out or "Incomplete command" in out:
            raise DriverError(f"{self.host.name}: {command!r}: {error_lines(out)}")
        return out


def config_lines(candidate: dict[str, str]) -> list[str]:
    """The ``set``/``delete`` commands of a rendered VyOS candidate, comments dropped.

    Raises:
        DriverError: the candidate has no ``config.set`` or a line that is not a command.
    """
    try:
        text = candidate["config.set"]
    except KeyError:
        raise DriverError(f"vyos candidate has no 'config.set' (got {sorted(candidate)})") from None
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not line.startswith(("set ", "delete ")):
            raise DriverError(f"config.set line {number} is not a set/delete command")
        lines.append(line)
    return lines
