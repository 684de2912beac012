"""Namespace and link plumbing: ``ip -batch`` files, and Python code run inside a namespace.

The lab owns every network namespace whose name starts with its prefix (``vha-``) and the one
host-side management veth; nothing else is created or removed here.
"""

from __future__ import annotations

import ctypes
import os
import socket
import subprocess
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from tasks.lab.topology import LabError

NETNS_DIR = Path("/run/netns")
CLONE_NEWNET = 0x40000000
T = TypeVar("T")
_libc = ctypes.CDLL(None, use_errno=True)


def run(
    argv: list[str], input: str | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    """Run a command, capture text output; raise :class:`LabError` on failure if ``check``."""
    proc = subprocess.run(argv, input=input, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise LabError(
            f"{' '.join(argv[:8])} failed ({proc.returncode}): "
            f"{(proc.stderr or proc.stdout).strip()[:800]}"
        )
    return proc


def existing(prefix: str) -> list[str]:
    """Namespaces named ``<prefix>-*``."""
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(f"{prefix}-"))


def batch(lines: Iterable[str], ns: str | None = None) -> subprocess.Popen:
    """Start ``ip [-n ns] -batch -`` on ``lines``; the caller waits with :func:`finish`."""
    argv = ["ip", *(["-n", ns] if ns else []), "-force", "-batch", "-"]
    proc = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    proc._lab_input = "\n".join(lines) + "\n"  # type: ignore[attr-defined]
    return proc


def finish(procs: Iterable[subprocess.Popen], check: bool = True) -> None:
    errors = []
    for proc in procs:
        _out, err = proc.communicate(proc._lab_input)  # type: ignore[attr-defined]
        if check and proc.returncode != 0:
            args = [str(a) for a in proc.args[:3]]  # type: ignore[index]
            errors.append(f"{' '.join(args)}: {err.strip()[:600]}")
    if errors:
        raise LabError("ip -batch failed:\n" + "\n".join(errors))


def in_netns(ns: str, fn: Callable[[], T]) -> T:
    """Call ``fn`` in a thread that has joined namespace ``ns`` (sockets made there stay there)."""
    box: dict[str, object] = {}

    def target() -> None:
        try:
            fd = os.open(NETNS_DIR / ns, os.O_RDONLY)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"setns {ns}: {os.strerror(err)}")
            finally:
                os.close(fd)
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller
            box["error"] = exc

    thread = threading.Thread(target=target, name=f"netns-{ns}", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def netns_socket(ns: str, kind: int = socket.SOCK_DGRAM) -> socket.socket:
    """A socket living in namespace ``ns``."""
    return in_netns(ns, lambda: socket.socket(socket.AF_INET, kind))


def has_link(ns: str, name: str) -> bool:
    def check() -> bool:
        try:
            socket.if_nametoindex(name)
        except OSError:
            return False
        return True

    return in_netns(ns, check)


def sysctl(ns: str, settings: dict[str, str]) -> None:
    """Write /proc/sys values inside ``ns`` (net.* keys are per namespace)."""

    def write() -> None:
        for key, value in settings.items():
            Path("/proc/sys", *key.split(".")).write_text(value, encoding="ascii")

    in_netns(ns, write)
