"""commit-confirm's timer on a lab router: a detached process that reboots the router at expiry.

On VyOS 1.3 and 1.4 an unconfirmed commit-confirm **reboots** the router, which comes back with
its saved config (BEHAVIOUR.md finding 6). Each SSH session is its own process, and the timer
must outlive the one that armed it (the deploy that loses its session is the case it exists
for), so the timer is its own process: started with ``setsid`` by a double fork (so no session
is its parent, nor has a zombie to reap), its PID in the store's ``commit-confirm.json``.
``confirm`` kills it by that PID. At expiry it takes the store lock, checks it is still the
pending timer (a ``confirm`` may have won the race), and "reboots": active = saved, then the
commit backend applies the saved config, as the router's boot would.

Run as ``python -m tasks.lab.vyos.timer --state DIR --version V --after SECONDS
[--backend MODULE:CALLABLE]``: it prints the timer's PID and returns at once.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tasks.lab.vyos.hooks import load_backend
from tasks.lab.vyos.store import Pending, Store

MODULE = "tasks.lab.vyos.timer"


class ProcessTimer:
    """The :class:`~tasks.lab.vyos.hooks.ConfirmTimer` of a router on a :class:`Store`.

    ``minute`` is how many seconds a commit-confirm minute lasts: 60 on a router, about one
    in tests."""

    def __init__(
        self, store: Store, version: str, backend: str | None = None, minute: float = 60.0
    ) -> None:
        self.store = store
        self.version = version
        self.backend = backend
        self.minute = minute

    def arm(self, minutes: int) -> None:
        after = minutes * self.minute
        argv = [sys.executable, "-m", MODULE, "--state", str(self.store.root.resolve()),
                "--version", self.version, "--after", str(after)]  # fmt: skip
        if self.backend:
            argv += ["--backend", self.backend]
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=30, check=True, stdin=subprocess.DEVNULL
        )
        pid = int(proc.stdout.strip())
        with self.store.lock():
            self.store.set_pending(Pending(pid, minutes, time.time() + after))

    def cancel(self) -> None:
        with self.store.lock():
            pending = self.store.pending()
            if pending is not None and is_timer(pending.pid, self.store.root):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pending.pid, signal.SIGTERM)
            self.store.set_pending(None)

    def armed(self) -> bool:
        pending = self.store.pending()
        return pending is not None and is_timer(pending.pid, self.store.root)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not: PID 1 may be slow to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def is_timer(pid: int, state: Path) -> bool:
    """Whether ``pid`` is this store's timer (not a recycled PID of something else)."""
    if not alive(pid):
        return False
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:
        return False
    return MODULE.encode() in argv and str(state.resolve()).encode() in argv


def fire(store: Store, version: str, backend_spec: str | None) -> None:
    """Expiry: if still pending, the router reboots to its saved config."""
    from tasks.lab.vyos.cli import VyosCli  # the CLI model loads the schema: only when firing

    with store.lock():
        pending = store.pending()
        if pending is None or pending.pid != os.getpid():
            return  # confirmed (or replaced) meanwhile
        cli = VyosCli.on_store(version, store, backend=load_backend(backend_spec))
        with cli.transaction():
            store.set_pending(None)
            try:
                cli.reboot()
                store.log(f"{time.time():.0f} commit-confirm expired: rebooted to the saved config")
            except Exception as exc:  # the boot goes on without what failed
                store.log(f"{time.time():.0f} commit-confirm expired: reboot apply failed: {exc}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=MODULE, description=__doc__.split("\n")[0])
    parser.add_argument("--state", required=True, type=Path)
    parser.add_argument("--version", required=True, choices=("1.3", "1.4"))
    parser.add_argument("--after", required=True, type=float)
    parser.add_argument("--backend")
    parser.add_argument("--foreground", action="store_true", help="no fork (for debugging)")
    args = parser.parse_args(argv)
    state = args.state.resolve()
    if not args.foreground:
        child = os.fork()
        if child:
            print(child, flush=True)
            return 0  # the caller's child exits now: the timer is reparented, nobody's zombie
        os.setsid()
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
    time.sleep(args.after)
    fire(Store(state), args.version, args.backend)
    return 0


if __name__ == "__main__":
    sys.exit(main())
