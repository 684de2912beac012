"""A lock against overlapping runs: an hourly job that runs long must not pile up.

``fcntl.flock`` on a lock file: the kernel drops it when the process dies, so a crashed run
never leaves a stale lock behind. The holder writes its pid and start time into the file so the
refused run can say who holds it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from tasks.compliance.history import now
from tasks.errors import ExitCode, ToolkitError


class AlreadyRunning(ToolkitError):
    """Another run holds the lock; this one must refuse, not wait."""

    exit_code = ExitCode.BUSY


class RunLock:
    """Non-blocking exclusive lock; use as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def __enter__(self) -> RunLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a+", encoding="utf-8")
        except OSError as exc:
            raise ToolkitError(f"cannot open lock file {self.path}: {exc}") from exc
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise AlreadyRunning(
                f"another compliance run holds {self.path} ({holder}); refusing to overlap"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {now()}\n")
        handle.flush()
        self._file = handle
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.truncate(0)
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
