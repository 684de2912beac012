"""Timers on an FRR router that outlive the SSH session, and the failover drain guard.

A timer is a ``setsid``'d ``sleep N && sh script`` whose pid is recorded on the router: the
driver's rollback timer (armed by ``apply``, disarmed by ``confirm``) and the drain guard
(a timer that ends a failover drain by itself when the run that made it is gone).
"""

from __future__ import annotations

import shlex
import time

from tasks.errors import DriverError
from tasks.platforms.frr.apply import CONFIG_DIR
from tasks.platforms.frr.shell import FrrShell

#: The failover drain guard: a timer that ends a drain by itself when the run that made it is
#: gone (killed, its terminal dropped). ``.state`` holds "<since> <reverts at> <owner>".
GUARD = f"{CONFIG_DIR}/drain-guard"
GUARD_PID, GUARD_SH, GUARD_LOG, GUARD_STATE = (
    f"{GUARD}.{x}" for x in ("pid", "sh", "log", "state")
)


class FrrTimers(FrrShell):
    """Arm, test and stop timers on the router; the drain guard built on them."""

    def _arm_timer(self, pid_file: str, seconds: int, script: str, log_file: str) -> None:
        """Run ``sh script`` on the router after ``seconds``, whatever happens to this session.

        A subshell keeps bash's job control quiet; setsid puts the timer in its own session
        (its pid is its process group, killed whole by :meth:`_disarm_timer`) and off ours.
        The pid record is written whole or not at all (temp file, then rename): a half-written
        one would make the timer unkillable. ``9>&-``: the timer must not inherit the change
        lock's descriptor, or it would hold the lock after this session is gone.
        """
        timer = f"sleep {int(seconds)} && sh {script} > {log_file} 2>&1; rm -f {pid_file}"
        self.sh(
            f"( setsid sh -c {shlex.quote(timer)} >/dev/null 2>&1 < /dev/null 9>&- & "
            f"echo $! > {pid_file}.new && mv -f {pid_file}.new {pid_file} )"
        )

    def _timer_armed(self, pid_file: str) -> bool:
        rc, _ = self.sh(f"test -f {pid_file} && kill -0 $(cat {pid_file}) 2>/dev/null", check=False)
        return rc == 0

    def _disarm_timer(self, pid_file: str) -> bool:
        """Stop a timer; False when none was armed."""
        rc, _ = self.sh(
            f"if test -s {pid_file} && kill -- -$(cat {pid_file}) 2>/dev/null; "
            f"then rm -f {pid_file}; true; else rm -f {pid_file}; false; fi",
            check=False,
        )
        return rc == 0

    # -- the failover drain guard -----------------------------------------------------------------
    def arm_drain_guard(self, undo_script: str, seconds: int, owner: str) -> None:
        """Arm a timer that runs ``undo_script`` (shell lines ending the drain) in ``seconds``.

        Raises:
            DriverError: a guard is armed already (another drain is in force).
        """
        current = self.drain_guard()
        if current:
            raise DriverError(f"{self.host.name}: {current}; end it first: failover.py --recover")
        self.write(GUARD_SH, f"#!/bin/sh\n# ends a failover drain ({owner})\n{undo_script}\n"
                             f"rm -f {GUARD_STATE}\n", mode=0o700)  # fmt: skip
        now = int(time.time())
        self.write(f"{GUARD_STATE}.new", f"{now} {now + int(seconds)} {owner}\n")
        self.sh(f"mv -f {GUARD_STATE}.new {GUARD_STATE} && rm -f {GUARD_LOG}")
        self._arm_timer(GUARD_PID, seconds, GUARD_SH, GUARD_LOG)

    def disarm_drain_guard(self) -> bool:
        """Stop the drain guard (the drain was undone by its run); False when none was armed."""
        armed = self._disarm_timer(GUARD_PID)
        self.sh(f"rm -f {GUARD_STATE}")
        return armed

    def drain_guard(self) -> str | None:
        """A failover drain in force on this router, as an operator should read it, or None."""
        if not self._timer_armed(GUARD_PID):
            return None
        since, until, owner = [*(self.read(GUARD_STATE) or "").strip().split(" ", 2), "", ""][:3]

        def when(epoch: str) -> str:
            return time.strftime("%H:%M:%SZ", time.gmtime(int(epoch))) if epoch.isdigit() else "?"

        return (f"failover drain in force since {when(since)}, reverts by itself at "
                f"{when(until)} ({owner or 'owner unknown'})")  # fmt: skip
