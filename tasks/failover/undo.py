"""The undo stack: every change the failover test makes is pushed with its inverse first.

Whatever ends a run (the normal restore phase, an exception, a timeout, Ctrl-C), the changes
still on the stack are undone newest first. An undo that fails is recorded and the others are
still tried: a half-restored router is better than one left drained because an earlier undo
raised. Unwinding runs in a worker thread so a second Ctrl-C cannot cut it short.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tasks.secrets import redact

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class Undo:
    name: str
    action: Callable[[], None]


@dataclass
class UndoStack:
    """Changes made, newest last; ``done`` and ``failed`` say what unwinding did."""

    items: list[Undo] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def push(self, name: str, action: Callable[[], None]) -> None:
        self.items.append(Undo(name, action))

    def __bool__(self) -> bool:
        return bool(self.items)

    def pop(self, name: str) -> Undo:
        """Take the newest item out to run it as a planned step (the restore phase).

        Raises:
            LookupError: the newest change is not ``name``: undoing out of order is refused.
        """
        if not self.items or self.items[-1].name != name:
            top = self.items[-1].name if self.items else "nothing"
            raise LookupError(f"undo out of order: wanted {name!r}, newest is {top!r}")
        return self.items.pop()

    def run_planned(self, undo: Undo) -> None:
        """Run an undo taken with :meth:`pop`; when it raises it goes back on the stack, so
        unwinding tries it again."""
        try:
            undo.action()
        except BaseException:
            self.items.append(undo)
            raise

    def run_one(self, undo: Undo) -> bool:
        try:
            undo.action()
        except Exception as exc:
            text = redact(f"{undo.name}: {type(exc).__name__}: {exc}")
            log.error("undo failed: %s", text)
            self.failed.append(text)
            return False
        self.done.append(undo.name)
        return True

    def unwind(self, progress: Callable[[str], None] = lambda _m: None) -> bool:
        """Undo everything still on the stack, newest first; True when all undos succeeded."""
        ok = True

        def work() -> None:
            nonlocal ok
            while self.items:
                undo = self.items.pop()
                progress(f"  undo: {undo.name}")
                ok = self.run_one(undo) and ok

        shielded(work, progress)
        return ok


def shielded(work: Callable[[], T], progress: Callable[[str], None] = lambda _m: None) -> T:
    """Run ``work`` in a thread and wait for it through any number of Ctrl-C.

    Restoring a router must not be cut short by the operator pressing Ctrl-C again; its own
    exceptions are re-raised here.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="failover-restore", daemon=True)
    thread.start()
    while thread.is_alive():
        try:
            thread.join(0.2)
        except KeyboardInterrupt:
            progress("interrupt: still restoring the primary, please wait")
    if "error" in box:
        raise box["error"]
    return box.get("value")  # type: ignore[return-value]
