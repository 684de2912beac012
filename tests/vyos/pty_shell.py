"""The VyOS login shell on a real pty, as sshd gives it one: a small expect for the tests.

The shell runs as ``python -m tasks.lab.vyos.shell`` with the pty's slave as its stdin, stdout
and stderr (what sshd does for ``ssh -t``), its state in a temporary directory and the fake
hooks of :mod:`vyos_fakes`. The test reads the master side, so it sees exactly the bytes an
operator's terminal would.
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

from tasks import PROJECT_ROOT

HERE = Path(__file__).resolve().parent


def shell_env(state: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The shell's environment: this worktree and the fakes importable, fake files in ``state``'s
    parent; nothing from the caller's SSH variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSH_")}
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_ROOT), str(HERE)])
    env["VYOS_FAKE_LOG"] = str(state.parent / "calls.jsonl")
    env["VYOS_FAKE_FAIL"] = str(state.parent / "refuse")
    env["VYOS_FAKE_SAS"] = str(HERE / "fixtures" / "swanctl_list_sas_three_charons.txt")
    env.update(extra or {})
    return env


def shell_argv(version: str, state: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "tasks.lab.vyos.shell", "--version", version,
            "--state", str(state), "--backend", "vyos_fakes:backend",
            "--runner", "vyos_fakes:runner", *extra]  # fmt: skip


class PtyShell:
    """One login: ``expect`` what the shell prints, ``send`` keystrokes."""

    def __init__(self, version: str, state: Path, *extra: str) -> None:
        master, slave = os.openpty()
        self.proc = subprocess.Popen(
            shell_argv(version, state, *extra), stdin=slave, stdout=slave, stderr=slave,
            cwd=PROJECT_ROOT, env=shell_env(state), start_new_session=True,
        )  # fmt: skip
        os.close(slave)
        self.fd = master
        self.seen = b""

    def send(self, data: str | bytes) -> None:
        os.write(self.fd, data.encode() if isinstance(data, str) else data)

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 4096)
        except OSError:  # EIO: the shell has exited and closed the pty
            data = b""
        if not data:
            raise EOFError(f"shell closed the pty; it printed {self.seen!r}")
        self.seen += data
        return True

    def expect(self, pattern: str, timeout: float = 15) -> str:
        """Everything up to and including the first match of the regex ``pattern``; consumed."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern.encode())
        while True:
            match = regex.search(self.seen)
            if match:
                out, self.seen = self.seen[: match.end()], self.seen[match.end() :]
                return out.decode(errors="replace")
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {pattern!r} within {timeout}s; got {self.seen!r}")
            self._read(left)

    def quiet(self, seconds: float) -> str:
        """What the shell prints within ``seconds`` (nothing, when it waits for input)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if not self._read(left):
                break
        out, self.seen = self.seen, b""
        return out.decode(errors="replace")

    def close(self) -> int:
        """The shell's exit status (it is terminated if it still runs after 5 s)."""
        try:
            return self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            return self.proc.wait(timeout=5)
        finally:
            os.close(self.fd)


def run_command(version: str, state: Path, command: str, how: str = "env") -> tuple[int, str]:
    """``ssh r1 '<command>'`` without a terminal: SSH_ORIGINAL_COMMAND (``env``) or ``-c``."""
    extra = ["-c", command] if how == "-c" else []
    env = {"SSH_ORIGINAL_COMMAND": command} if how == "env" else {}
    proc = subprocess.run(
        shell_argv(version, state, *extra), cwd=PROJECT_ROOT, env=shell_env(state, env),
        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stderr == "", proc.stderr
    return proc.returncode, proc.stdout
