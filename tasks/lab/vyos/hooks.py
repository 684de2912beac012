"""Where the VyOS stand-in meets a real router: the interfaces it is given, never imports.

The CLI model decides what VyOS would print; what a commit *does* to the router, and what the
router's daemons report, come through these hooks, so tests pass fakes and the lab passes the
real thing (translate the tree into FRR/strongSwan/nftables files and apply them; ask vtysh and
swanctl):

- :class:`CommitBackend`: called with (version, active entries) after every change of the
  active config (commit, a commit after ``load``, the reboot of an expired commit-confirm). It
  applies them to the router or raises; :class:`CommitFailed` carries VyOS's path and message.
- :data:`Runner`: runs one command on the router (``["vtysh", "-c", "show ip bgp summary"]``)
  and returns its standard output, raising :class:`RunnerError` when it fails.

A hook crosses a process boundary (sshd starts the shell; the shell starts the timer) as a
``module:attribute`` spec, resolved by :func:`load`.
"""

from __future__ import annotations

import importlib
import subprocess
from collections.abc import Callable, Sequence
from typing import Protocol, cast

from tasks.lab.vyos.personality import Entry


class CommitFailed(Exception):
    """The router refused the config: VyOS prints ``[ path ]``, the message, ``[[path]] failed``
    and ``Commit failed`` (BEHAVIOUR.md B2.1 ``commit (error)``)."""

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"{path}: {detail}")
        self.path = path
        self.detail = detail


class CommitBackend(Protocol):
    def __call__(self, version: str, entries: frozenset[Entry]) -> None: ...


class ConfirmTimer(Protocol):
    """commit-confirm's timer: at expiry the router reboots to its saved config."""

    def arm(self, minutes: int) -> None: ...

    def cancel(self) -> None: ...

    def armed(self) -> bool: ...


class RunnerError(Exception):
    """A router command failed; the text is what it printed."""


Runner = Callable[[Sequence[str]], str]


def commit_failed_text(path: str, detail: str) -> str:
    """What VyOS prints when a priority subtree's commit fails (commit-algorithm.cpp)."""
    return f"\n[ {path} ]\n{detail}\n\n[[{path}]] failed\nCommit failed"


def subprocess_runner(argv: Sequence[str], timeout: float = 30) -> str:
    """The default :data:`Runner`: the command on this machine (inside the router's box)."""
    try:
        proc = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RunnerError(f"{argv[0]}: {exc}") from exc
    if proc.returncode != 0:
        raise RunnerError(
            (proc.stderr or proc.stdout).strip() or f"{argv[0]}: exit {proc.returncode}"
        )
    return proc.stdout


def load(spec: str) -> Callable[..., object]:
    """The callable named by ``package.module:attribute``."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"hook spec {spec!r} is not module:attribute")
    target = getattr(importlib.import_module(module_name), attribute)
    if not callable(target):
        raise ValueError(f"hook spec {spec!r} does not name a callable")
    return cast(Callable[..., object], target)


def load_backend(spec: str | None) -> CommitBackend | None:
    return cast(CommitBackend, load(spec)) if spec else None


def load_runner(spec: str | None) -> Runner:
    return cast(Runner, load(spec)) if spec else subprocess_runner
