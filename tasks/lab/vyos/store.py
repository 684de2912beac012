"""A VyOS router's persistent state, one directory per router: what outlives an SSH session.

A real VyOS keeps its active config, ``/config/config.boot``, its commit revisions and a pending
commit-confirm across logins and processes; only the working config belongs to one configure
session. On a lab router each SSH login is its own process (sshd runs
:mod:`tasks.lab.vyos.shell` per session) and the commit-confirm timer is another one, so that
state lives in files:

- ``active.commands`` and ``config.boot``: the active and saved trees as ``show configuration
  commands`` lines (simplified: the real config.boot is VyOS's curly-brace format);
- ``revisions/<N>``: the config after commit N, newest ``commit-revisions`` kept;
- ``commit-confirm.json``: the pending timer (its PID, minutes, deadline), absent when none;
- ``lock``: taken (``flock``) around every change, so two sessions cannot interleave a commit
  and the timer cannot reboot the router in the middle of one.

Every file is replaced atomically (a temporary file in the same directory, fsync, rename), so a
reader never sees half a config.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

ACTIVE = "active.commands"
SAVED = "config.boot"
REVISIONS = "revisions"
PENDING = "commit-confirm.json"
LOCK = "lock"
LOG = "events.log"


@dataclass(frozen=True)
class Pending:
    """An armed commit-confirm: the timer process and when it fires (epoch seconds)."""

    pid: int
    minutes: int
    deadline: float


class Store:
    """The state directory of one router (created on first use)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock_fd: int | None = None
        self._depth = 0

    # ---- set-up ----------------------------------------------------------------------------
    def initialise(self, lines: Sequence[str]) -> bool:
        """First boot: active and saved become ``lines`` unless the router has state already.

        Returns whether it did (a router that has booted before keeps what it had)."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self.lock():
            if (self.root / SAVED).exists():
                return False
            self.write_saved(lines)
            self.write_active(lines)
            return True

    # ---- the lock --------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive across processes; re-entrant in this object (a commit inside
        commit-confirm takes it twice)."""
        if self._depth == 0:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._lock_fd = fd
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0 and self._lock_fd is not None:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                os.close(self._lock_fd)
                self._lock_fd = None

    # ---- configs ---------------------------------------------------------------------------
    def read_active(self) -> list[str]:
        return self._read_lines(ACTIVE)

    def write_active(self, lines: Sequence[str]) -> None:
        self._write(ACTIVE, _text(lines))

    def read_saved(self) -> list[str]:
        return self._read_lines(SAVED)

    def write_saved(self, lines: Sequence[str]) -> None:
        self._write(SAVED, _text(lines))

    def add_revision(self, lines: Sequence[str], keep: int = 100) -> int:
        """Record the config a commit made; returns its number. Only ``keep`` are kept, as
        ``system config-management commit-revisions`` says."""
        folder = self.root / REVISIONS
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        numbers = self.revisions()
        number = (numbers[-1] + 1) if numbers else 1
        self._write(f"{REVISIONS}/{number}", _text(lines))
        for old in [*numbers, number][: -max(keep, 1)]:
            (folder / str(old)).unlink(missing_ok=True)
        return number

    def revisions(self) -> list[int]:
        folder = self.root / REVISIONS
        if not folder.is_dir():
            return []
        return sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit())

    def revision(self, number: int) -> list[str]:
        return self._read_lines(f"{REVISIONS}/{number}")

    # ---- the commit-confirm timer ----------------------------------------------------------
    def pending(self) -> Pending | None:
        path = self.root / PENDING
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return Pending(int(data["pid"]), int(data["minutes"]), float(data["deadline"]))

    def set_pending(self, pending: Pending | None) -> None:
        if pending is None:
            (self.root / PENDING).unlink(missing_ok=True)
        else:
            self._write(PENDING, json.dumps(asdict(pending)) + "\n")

    def log(self, text: str) -> None:
        """One line in the router's event log (reboots, backend failures of the timer)."""
        with (self.root / LOG).open("a", encoding="utf-8") as handle:
            handle.write(text.rstrip("\n") + "\n")

    # ---- files -----------------------------------------------------------------------------
    def _read_lines(self, name: str) -> list[str]:
        try:
            text = (self.root / name).read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [line for line in text.splitlines() if line.strip()]

    def _write(self, name: str, text: str) -> None:
        target = self.root / name
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _text(lines: Sequence[str]) -> str:
    return "".join(f"{line}\n" for line in lines)
