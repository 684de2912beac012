"""The ``frr`` driver: a Linux router with FRR and strongSwan, reached over SSH.

The same apply-then-confirm contract as VyOS's ``commit-confirm``, built on Linux:

- ``diff`` compares the candidate with what is live: ``frr-reload.py --test`` against the
  running daemons for ``frr.conf``, and for the other files both their content and whether they
  are in force (connection loaded in charon, nft table present, inside address on the tunnel).
- ``apply`` first writes a rollback set under ``/etc/vpc-ha/rollback/`` (what is in force now)
  and a ``rollback.sh`` that re-applies it, arms a timer (``setsid sleep N && rollback.sh``,
  surviving our SSH session), then writes and applies the candidate.
- ``confirm`` disarms the timer; the candidate's frr.conf already is ``/etc/frr/frr.conf``.

Identity: ``confirm`` records the inventory host name in ``/etc/vpc-ha/identity``; ``open``
refuses a router that recorded another name (:func:`tasks.drivers.base.check_identity`), and
``diff`` shows a router that recorded none (or, with ``--adopt``, another) as a change.
- ``rollback`` disarms the timer and runs ``rollback.sh`` now.

Files travel over SFTP, never on a command line, so keys do not show up in shell history or
process lists. The modules: :mod:`~tasks.platforms.frr.shell` (commands and files over the
session), :mod:`~tasks.platforms.frr.timers` (timers that outlive it, the drain guard),
:mod:`~tasks.platforms.frr.live` (what is in force now), :mod:`~tasks.platforms.frr.apply`
(the apply commands) and this one (the diff/apply/confirm/rollback contract).
"""

from __future__ import annotations

import difflib
import logging
import shlex
import time
from typing import Any, ClassVar

from nornir.core.inventory import Host

from tasks.drivers.base import (
    CommitError,
    LockedError,
    RollbackError,
    check_identity,
    register,
)
from tasks.errors import DriverError
from tasks.model import Router
from tasks.platforms.connection import own_session, session
from tasks.platforms.frr.apply import CONFIG_DIR, FRR_RELOAD, apply_commands
from tasks.platforms.frr.live import ADDRESS_LINE, FrrLive
from tasks.secrets import redact

log = logging.getLogger(__name__)

ROLLBACK_DIR = f"{CONFIG_DIR}/rollback"
CANDIDATE_DIR = f"{CONFIG_DIR}/candidate"
TIMER_PID = f"{CONFIG_DIR}/rollback.pid"
ROLLBACK_SH = f"{CONFIG_DIR}/rollback.sh"
ROLLBACK_LOG = f"{CONFIG_DIR}/rollback.log"
ROLLBACK_DEADLINE = f"{CONFIG_DIR}/rollback.deadline"  # epoch seconds the timer fires at
#: The inventory host name this router was deployed as (written by confirm, checked by open).
IDENTITY_FILE = f"{CONFIG_DIR}/identity"
#: The change lock: held (flock on fd 9) by the login shell of the session that changes the
#: router, so it is the router's own lock, shared by every operator's machine, and it ends with
#: the session (a killed run's sshd session closes, its shell exits, the lock is free).
LOCK_FILE = "/run/vpc-ha-change.lock"
LOCK_OWNER = "/run/vpc-ha-change.owner"


def added_addresses_undo(previous: dict[str, str], candidate: dict[str, str]) -> str:
    """``ip -batch`` lines deleting the addresses ``candidate`` adds that ``previous`` lacks."""

    def addresses(files: dict[str, str]) -> set[tuple[str, str]]:
        return set(ADDRESS_LINE.findall(files.get("interfaces.ip", "")))

    added = sorted(addresses(candidate) - addresses(previous))
    return "".join(f"address del {addr} dev {dev}\n" for addr, dev in added)


@register
class FrrDriver(FrrLive):
    """Driver for ``platform: frr`` hosts (netmiko ``linux`` session, a root shell)."""

    platform: ClassVar[str] = "frr"

    def __init__(self, host: Host, router: Router) -> None:
        self.host = host
        self.router = router
        self._conn: Any = None
        self._sftp: Any = None
        self.adopt = False
        self._identity: str | None = None

    # -- session -----------------------------------------------------------------------------
    def open(self, dedicated: bool = False) -> None:
        """Take the run's session to the router (one login per run), or, with ``dedicated``,
        a session of its own for a poller in another thread."""
        if dedicated:
            self._own = own_session(self.host, "linux")
            self._conn = self._own.connection
        else:
            self._conn = session(self.host, "linux")
        try:
            self._identity = self.identity()
            check_identity(self.host, self._identity, self.adopt)
        except DriverError:
            self.close()
            raise

    def identity(self) -> str | None:
        """The inventory host this router was deployed as (:data:`IDENTITY_FILE`), or None."""
        _, out = self.sh(f"cat {IDENTITY_FILE} 2>/dev/null", check=False)
        name = out.strip()
        return name or None

    # -- contract -------------------------------------------------------------------------------
    def diff(self, candidate: dict[str, str]) -> str:
        live = self.live_files()
        chunks = []
        for name in sorted(candidate):
            if name == "frr.conf":
                chunks.append(self._frr_diff(candidate[name]))
                continue
            before, after = live.get(name, ""), candidate[name]
            if before != after:
                chunks.append(
                    "".join(
                        difflib.unified_diff(
                            before.splitlines(keepends=True),
                            after.splitlines(keepends=True),
                            f"running/{name}",
                            f"candidate/{name}",
                        )
                    )
                )
        if self._identity != self.host.name:
            # Not yet recorded (a factory router, or --adopt): applying records it.
            chunks.append(f"--- running/identity\n+++ candidate/identity\n+{self.host.name}\n")
        return "".join(c if c.endswith("\n") or not c else c + "\n" for c in chunks if c)

    def _frr_diff(self, text: str) -> str:
        path = f"{CANDIDATE_DIR}/frr.conf"
        self.write(path, text)
        _, out = self.sh(f"{FRR_RELOAD} --test --stdout {path} 2>&1", timeout=60)
        lines: list[str] = []
        section = ""
        for line in out.splitlines():
            if line.startswith("Lines To Delete"):
                section = "-"
            elif line.startswith("Lines To Add"):
                section = "+"
            elif section and line.strip() and not line.startswith("="):
                lines.append(f"{section} {line}")
        if not lines:
            return ""
        return "--- running/frr.conf\n+++ candidate/frr.conf\n" + "\n".join(lines) + "\n"

    def lock(self, owner: str, wait: float = 0) -> None:
        """Take the router's change lock for this session (until :meth:`close`).

        Raises:
            LockedError: another session holds it (its owner line is in the message).
        """
        rc, _ = self.sh(f"exec 9>>{LOCK_FILE}; flock -w {max(0.0, wait):g} 9", check=False,
                        timeout=wait + 30)  # fmt: skip
        if rc != 0:
            holder = (self.read(LOCK_OWNER) or "unknown").strip()
            raise LockedError(
                f"{self.host.name}: another run is changing this router ({holder}); wait for it "
                "to finish, or stop it: its automatic rollback restores the router"
            )
        self._locked = True
        self.sh(f"printf '%s\\n' {shlex.quote(owner)} > {LOCK_OWNER}")

    def pending(self) -> bool:
        """Is a rollback timer armed (an unconfirmed change on this router)?"""
        return self._timer_armed(TIMER_PID)

    def pending_change(self) -> str | None:
        """An unconfirmed change waiting on this router, as an operator should read it (when it
        reverts by itself), or None."""
        if not self.pending():
            return None
        deadline = (self.read(ROLLBACK_DEADLINE) or "").strip()
        when = (
            time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(int(deadline)))
            if deadline.isdigit()
            else "an unknown time"
        )
        return f"an unconfirmed change is pending: it rolls back by itself at {when}"

    def apply(self, candidate: dict[str, str], confirm_timeout: int) -> None:
        if self.pending():
            raise CommitError(
                f"{self.host.name}: another change is waiting for confirmation (rollback timer "
                f"armed, {TIMER_PID}); confirm or roll it back first"
            )
        previous = self.live_files()
        self.sh(f"rm -rf {ROLLBACK_DIR} && mkdir -p {ROLLBACK_DIR}")
        self._write_all(previous, ROLLBACK_DIR)
        # Addresses the candidate adds are not in the previous file: delete exactly those
        # (flushing all would also drop the routes charon installed for its SAs).
        self.write(f"{ROLLBACK_DIR}/undo.ip", added_addresses_undo(previous, candidate))
        restore = apply_commands(self.router, previous, ROLLBACK_DIR)
        copy_back = [f"cp {ROLLBACK_DIR}/{n} {CONFIG_DIR}/{n}" for n in previous]
        script = "\n".join([
            "#!/bin/sh",
            "# restores the config in force before the last apply",
            # best effort: an address the candidate never got to add is no failure
            f"ip -force -batch {ROLLBACK_DIR}/undo.ip >/dev/null 2>&1",
            *[f"{c} || echo FAILED: {shlex.quote(c)}" for c in restore + copy_back],
            "",
        ])  # fmt: skip
        self.write(ROLLBACK_SH, script, mode=0o700)
        self.sh(f"rm -f {ROLLBACK_LOG}")
        self.sh(f"echo $(( $(date +%s) + {int(confirm_timeout)} )) > {ROLLBACK_DEADLINE}")
        self._arm_timer(TIMER_PID, confirm_timeout, ROLLBACK_SH, ROLLBACK_LOG)
        self._write_all(candidate, CONFIG_DIR)
        for command in apply_commands(self.router, candidate, CONFIG_DIR):
            rc, out = self.sh(command, check=False, timeout=90)
            if rc != 0:
                detail = redact(f"`{command}` exited {rc}: {out[-400:]}")
                try:
                    self.rollback()
                except RollbackError as exc:
                    raise CommitError(f"{self.host.name}: {detail}; {exc}") from exc
                raise CommitError(f"{self.host.name}: {detail}; rolled back", rolled_back=True)

    def _disarm(self) -> bool:
        """Stop the rollback timer; False when none was armed."""
        return self._disarm_timer(TIMER_PID)

    def confirm(self) -> None:
        if not self._disarm():
            fired = self.read(ROLLBACK_LOG) is not None
            raise CommitError(
                f"{self.host.name}: nothing to confirm"
                + (
                    ": the rollback timer already fired and restored the old config"
                    if fired
                    else ""
                )
            )
        # The change is kept: from now on this router is the inventory's host (a rolled-back
        # change, e.g. a failed --adopt, records nothing).
        self.write(IDENTITY_FILE, f"{self.host.name}\n", mode=0o644)
        self._identity = self.host.name

    def rollback(self) -> None:
        self._disarm()
        rc, out = self.sh(f"sh {ROLLBACK_SH} 2>&1", check=False, timeout=120)
        if rc != 0 or "FAILED:" in out:
            raise RollbackError(
                f"{self.host.name}: rollback did not complete cleanly: {redact(out)[-600:]}; "
                f"inspect {ROLLBACK_DIR} on the router"
            )
