"""A pure-Python model of the VyOS CLI, per version: config tree + command interpreter.

NOT a real VyOS. It plays what VyOS 1.3 (equuleus) and 1.4 (sagitta) print and do for every
command the toolkit sends, as ``../shared/vyos/BEHAVIOUR.md`` records them from VyOS's own
source. Every answer cites its row there ("B2.1 save" = section 2.1, row ``save``; "B-App" =
the appendix of exact strings; "B3" = section 3, op-mode commands). It has no transport:
:class:`VyosCli` takes one command line and returns the text VyOS would print, so the scripted
SSH device of the tests (``tests/drivers/scripted_vyos.py``) and the lab router's login shell
(:mod:`tasks.lab.vyos.shell`) both sit on it: one VyOS stand-in, not two.

The config is a real tree, not a bag of lines: each ``set`` is walked down VyOS's own schema
(``../shared/vyos-schema``) for the version, so

- a path or value VyOS refuses is refused with VyOS's wording (B2.1 ``set`` bad path / value);
- a single-value leaf is *replaced* by a new ``set``; a multi-value leaf (``address``, ``id``)
  *keeps* every value; setting what exists says "already exists" and succeeds (B2.1);
- ``delete`` removes a node and everything under it; deleting an absent node prints "Nothing
  to delete" and succeeds (B2.1 ``delete`` absent);
- ``compare``/``commit`` work on the net difference of working and active trees, so deleting
  and re-setting the same subtree in one session commits nothing (B2.3.6).

Simplified on purpose (cosmetic, said where it matters): ``compare`` prints flat ``- set`` /
``+ set`` lines instead of VyOS's tree diff (B2.1 ``compare`` changes); ``show configuration
commands`` sorts lines by path.
"""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tasks.lab.vyos.hooks import CommitBackend, CommitFailed, ConfirmTimer, commit_failed_text
from tasks.lab.vyos.personality import (
    CONFIG_BOOT,
    FACTORY,
    PERSONALITIES,
    Entry,
    Personality,
)
from tasks.lab.vyos.schema import INVALID, checker, schema
from tasks.lab.vyos.store import Store

__all__ = ["CONFIG_BOOT", "FACTORY", "PERSONALITIES", "Entry", "Faults", "Personality", "VyosCli"]


@dataclass
class Faults:
    """Failures on demand, each one VyOS really produces (B2.1)."""

    #: ``commit`` fails for changes under this path (``"protocols bgp"``): "[[path]] failed",
    #: "Commit failed"; the other subtrees still commit (PARTIAL, commit-algorithm.cpp).
    commit_fails_under: str | None = None
    #: ``commit`` answers "Configuration system temporarily locked ..." and commits nothing.
    locked: bool = False


@dataclass
class VyosCli:
    """One VyOS router's CLI state: active, saved and working trees, the commit-confirm timer.

    State lives here, not per session, so it survives reconnects as a router's does; the
    per-session parts (configure mode, a pending question) are in
    :class:`~tasks.lab.vyos.session.Session`. Two modes:

    - in memory (the scripted test device): one object shared by every SSH session;
    - on a :class:`~tasks.lab.vyos.store.Store` (a lab router, one process per login): each
      line re-reads the store, each change runs in :meth:`transaction` (store locked,
      re-read, written back), the commit-confirm timer is a :class:`ConfirmTimer`.

    ``backend`` (optional in both) applies every new active config to the router.
    """

    version: str = "1.4"
    active: set[Entry] = field(default_factory=set)
    saved: set[Entry] = field(default_factory=set)
    timer_armed: bool = False
    faults: Faults = field(default_factory=Faults)
    #: Op-mode ``show`` answers: exact command -> text, or a callable of this CLI; key ``"*"``:
    #: a callable ``(cli, line) -> text | None`` asked for any other command.
    show: dict[str, Any] = field(default_factory=dict)
    commits: int = 0
    reboots: int = 0
    store: Store | None = None
    backend: CommitBackend | None = None
    #: None: ``timer_armed`` is the whole timer (in memory); else the process that reboots.
    timer: ConfirmTimer | None = None
    #: Op-mode answers from the router itself ``(cli, line) -> text | None``, asked before
    #: the built-in ones (:class:`~tasks.lab.vyos.live.LiveOpMode`).
    op: Callable[[Any, str], str | None] | None = None
    _loaded: tuple[tuple[str, ...], tuple[str, ...]] = field(
        default=((), ()), init=False, repr=False
    )

    @classmethod
    def with_config(cls, version: str, lines: tuple[str, ...] | list[str] = FACTORY) -> VyosCli:
        """A router whose active and saved config are ``lines`` (checked against the schema)."""
        cli = cls(version=version)
        tree: set[Entry] = set()
        for line in lines:
            error = cli.apply_set(tree, line)
            if "failed" in error:
                raise ValueError(f"{line!r}: {error.strip()}")
        cli.active, cli.saved = set(tree), set(tree)
        return cli

    @classmethod
    def on_store(
        cls,
        version: str,
        store: Store,
        backend: CommitBackend | None = None,
        timer: ConfirmTimer | None = None,
    ) -> VyosCli:
        """A router whose state is ``store`` (factory config on its first boot)."""
        cli = cls(version=version, store=store, backend=backend, timer=timer)
        store.initialise(FACTORY)
        cli.refresh()
        return cli

    @property
    def personality(self) -> Personality:
        return PERSONALITIES[self.version]

    # ---- the tree ------------------------------------------------------------------------
    def kinds(self, words: list[str]) -> list[str] | None:
        """The schema kind of each word (``n`` node, ``t`` tag, ``v`` tag value, ``l``/``m``
        leaf, ``x`` leaf value), or None when the path leaves the tree."""
        node = schema(self.version)["tree"]
        out: list[str] = []
        i = 0
        while i < len(words):
            child = node.get("c", {}).get(words[i])
            if child is None:
                return None
            out.append(child["k"])
            i += 1
            if child["k"] == "t" and i < len(words):
                out.append("v")
                i += 1
            elif child["k"] in ("l", "m"):
                out.extend("x" for _ in words[i:])
                return out
            node = child
        return out

    def known_words(self, words: list[str]) -> int:
        """How many leading words the schema knows (the index of the first unknown one)."""
        node = schema(self.version)["tree"]
        i = 0
        while i < len(words):
            child = node.get("c", {}).get(words[i])
            if child is None:
                return i
            i += 2 if child["k"] == "t" else 1
            if child["k"] in ("l", "m"):
                return min(i, len(words) - 1)
            node = child
        return min(i, len(words) - 1)

    def tree_of(self, lines: list[str] | tuple[str, ...]) -> set[Entry]:
        """The tree ``set`` lines build from nothing (leaves replaced, multi-values kept)."""
        tree: set[Entry] = set()
        for line in lines:
            if line.startswith("set "):
                self.apply_set(tree, line)
            elif line.startswith("delete "):
                self.apply_delete(tree, line)
        return tree

    def apply_set(self, tree: set[Entry], line: str) -> str:
        """``set`` into ``tree``; returns what VyOS prints ("" on a silent success)."""
        words = shlex.split(line)[1:]
        vs = checker()
        finding = vs.check_lines(schema(self.version), ["set " + shlex.join(words)])[0]
        if finding.status == "unknown-path":
            bad = self.known_words(words)
            prefix = " ".join(words[:bad])
            # B2.1 set (bad path): vyatta-cfg-run:394-396
            return f"\n  Configuration path: [{prefix}] [{words[bad]}] is not valid\n  Set failed\n"
        if finding.status in INVALID:
            # B2.1 set (bad value): the constraint's message, then cstore.cpp/cli_new.c
            return f"\n  {finding.detail}\n  Value validation failed\n  Set failed\n"
        kinds = self.kinds(words) or []
        entry = tuple(words)
        if entry in tree:
            # B2.1 set (path exists): cstore.cpp:2689-2695, a success
            return f"\n  Configuration path: [{' '.join(words)}] already exists\n"
        if kinds and kinds[-1] == "x" and kinds[-2] == "l":
            leaf = entry[:-1]  # a single-value leaf: the new value replaces the old one
            tree.difference_update({e for e in tree if e[:-1] == leaf and len(e) == len(entry)})
        tree.difference_update({e for e in tree if entry[: len(e)] == e})  # a bare node grows
        tree.add(entry)
        return ""

    @staticmethod
    def apply_delete(tree: set[Entry], line: str) -> str:
        """``delete``: the node and all under it. Absent: B2.1 delete (absent), a success."""
        words = tuple(shlex.split(line)[1:])
        gone = {e for e in tree if e[: len(words)] == words}
        if not gone:
            return "\n  Nothing to delete (the specified node does not exist)\n"
        tree.difference_update(gone)
        return ""

    def lines(self, tree: set[Entry] | None = None) -> list[str]:
        """``show configuration commands``: leaf values quoted, tags bare (B3), sorted."""
        out = []
        for entry in sorted(self.active if tree is None else tree):
            kinds = self.kinds(list(entry)) or []
            words = [f"'{w}'" if kind == "x" else w for w, kind in zip(entry, kinds, strict=False)]
            out.append("set " + " ".join(words))
        return out

    # ---- the store -----------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read active, saved and the timer from the store (no-op in memory): another
        session may have committed, saved or confirmed since the last line."""
        if self.store is None:
            return
        texts = (tuple(self.store.read_active()), tuple(self.store.read_saved()))
        if texts != self._loaded:
            self.active, self.saved = self.tree_of(texts[0]), self.tree_of(texts[1])
            self._loaded = texts
        if self.timer is not None:
            self.timer_armed = self.timer.armed()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """A change of the router's state: on a store, under its lock, from what it holds
        now, written back at the end (even when the change failed half way: what the
        change left is what the router has)."""
        if self.store is None:
            yield
            return
        with self.store.lock():
            self.refresh()
            try:
                yield
            finally:
                active, saved = self.lines(), self.lines(self.saved)
                self.store.write_active(active)
                self.store.write_saved(saved)
                self._loaded = (tuple(active), tuple(saved))

    # ---- commits -------------------------------------------------------------------------
    def activate(self, entries: set[Entry]) -> str:
        """Make ``entries`` the active config: the backend applies them first; if it fails,
        the active config stays as it was and VyOS's commit-failed text is returned."""
        if self.backend is not None:
            try:
                self.backend(self.version, frozenset(entries))
            except CommitFailed as exc:
                return commit_failed_text(exc.path, exc.detail)
            except Exception as exc:  # the router's own error, whatever raised it
                return commit_failed_text(self._changed_path(entries), str(exc) or repr(exc))
        self.active = set(entries)
        self.commits += 1
        if self.store is not None:
            keep = self._value("system", "config-management", "commit-revisions")
            self.store.add_revision(self.lines(), int(keep) if keep else 100)
        return ""

    def _changed_path(self, entries: set[Entry]) -> str:
        changed = sorted(entries ^ self.active)
        return " ".join(changed[0][:2]) if changed else "system"

    def _value(self, *path: str) -> str | None:
        return next((e[len(path)] for e in self.active if e[: len(path)] == path), None)

    # ---- timer ---------------------------------------------------------------------------
    def arm(self, minutes: int) -> None:
        """commit-confirm's timer starts (before the commit runs: B2.3.2)."""
        self.timer_armed = True
        if self.timer is not None:
            self.timer.arm(minutes)

    def disarm(self) -> None:
        """``confirm``: the timer stops."""
        self.timer_armed = False
        if self.timer is not None:
            self.timer.cancel()

    def expire_timer(self) -> None:
        """The commit-confirm timer fires: 1.3 and 1.4 **reboot** to the saved config (B2.1
        timer expiry: vyatta-config-mgmt.pl:476-483; config_mgmt.py:230-240)."""
        if self.timer_armed:
            self.timer_armed = False
            self.reboot()

    def reboot(self) -> None:
        """The router comes back with its saved config, applied by the backend.

        A backend failure at boot does not stop the boot (VyOS boots with what failed left
        out); it is raised after the state is set, for the caller to log."""
        self.active = set(self.saved)
        self.reboots += 1
        if self.backend is not None:
            self.backend(self.version, frozenset(self.saved))
