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

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tasks.lab.vyos.schema import INVALID, checker, schema

CONFIG_BOOT = "/config/config.boot"

#: One configured fact: the words after ``set``, unquoted (``("system", "host-name", "r1")``).
Entry = tuple[str, ...]

#: What a VyOS image ships with (its default config.boot has ``system config-management
#: commit-revisions 100``, which 1.3's commit-confirm needs: B2.1 ``commit-confirm``).
FACTORY = (
    "set interfaces ethernet eth0 address '198.51.100.10/24'",
    "set interfaces loopback lo",
    "set service ssh",
    "set system config-management commit-revisions '100'",
    "set system host-name 'vyos'",
    "set system syslog global facility all level 'info'",
)


@dataclass(frozen=True)
class Personality:
    """The wording and behaviour that differ between 1.3 and 1.4 (each field cites its row)."""

    version: str
    #: B2.1 ``compare`` no change: 1.3 without the period (vyatta-config-mgmt.pl:298), 1.4 with.
    no_changes: str
    #: B-App: 1.3 asks one keystroke ``[confirm]``; 1.4 reads a line ``[Y/n]``.
    confirm_question: str
    one_keystroke: bool
    #: B-App 1.4: printed once the timer is armed; 1.3 prints nothing more.
    armed: str
    #: B2.1 ``commit-confirm``: on 1.3 "Another confirm is pending" exits 0 and the commit
    #: runs anyway with no new timer; on 1.4 it exits 1 and nothing is committed.
    pending_commits_anyway: bool
    #: B2.1 ``confirm``: 1.3 prints nothing, 1.4 "Reboot timer stopped".
    timer_stopped: str
    #: B2.1 ``save``: 1.3 "Saving ... Done", 1.4 nothing at all on success.
    save_done: str
    #: B3: ``reset bgp`` exists only in 1.4; ``reset ip bgp`` in both.
    op_commands: tuple[str, ...]


V13 = Personality(
    version="1.3",
    no_changes="No changes between working and active configurations",
    confirm_question=(
        "commit confirm will be automatically reboot in {minutes} minutes unless confirmed\n"
        "Proceed? [confirm]"
    ),
    one_keystroke=True,
    armed="",
    pending_commits_anyway=True,
    timer_stopped="",
    save_done=f"Saving configuration to '{CONFIG_BOOT}'...\nDone",
    op_commands=(r"reset ip bgp \S+ soft out",),
)
V14 = Personality(
    version="1.4",
    no_changes="No changes between working and active configurations.",
    confirm_question=(
        "\ncommit-confirm will automatically reboot in {minutes} minutes unless changes\n"
        "are confirmed.\n\nProceed ? [Y/n] "
    ),
    one_keystroke=False,
    armed="Initialized commit-confirm; {minutes} minutes to confirm before reboot",
    pending_commits_anyway=False,
    timer_stopped="Reboot timer stopped",
    save_done="",
    op_commands=(r"reset ip bgp \S+ soft out", r"reset bgp \S+ soft out"),
)
PERSONALITIES = {"1.3": V13, "1.4": V14}


class Question:
    """An interactive question the CLI is waiting on: the next input answers it."""

    def __init__(self, text: str, one_keystroke: bool, then: Callable[[str], str]) -> None:
        self.text = text
        self.one_keystroke = one_keystroke
        self.then = then


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
    per-session parts (configure mode, a pending question) are in :class:`Session`.
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

    # ---- timer ---------------------------------------------------------------------------
    def expire_timer(self) -> None:
        """The commit-confirm timer fires: 1.3 and 1.4 **reboot** to the saved config (B2.1
        timer expiry: vyatta-config-mgmt.pl:476-483; config_mgmt.py:230-240)."""
        if self.timer_armed:
            self.timer_armed = False
            self.active = set(self.saved)
            self.reboots += 1


class Session:
    """One login: op or configure mode, the working tree, a question waiting for its answer."""

    def __init__(self, cli: VyosCli) -> None:
        self.cli = cli
        self.in_config = False
        self.working: set[Entry] = set(cli.active)
        self.question: Question | None = None

    @property
    def p(self) -> Personality:
        return self.cli.personality

    def answer(self, line: str) -> tuple[str, bool]:
        """What VyOS prints for one input line, and whether the session ends."""
        if self.question is not None:
            question, self.question = self.question, None
            return question.then(line), False
        line = line.strip()
        if not line:
            return "", False
        if not self.in_config:
            return self._op(line)
        return self._conf(line), False

    # ---- op mode -------------------------------------------------------------------------
    def _op(self, line: str) -> tuple[str, bool]:
        if line in ("exit", "logout"):
            return "logout", True
        if line.startswith("set terminal"):
            return "", False  # B3: terminal.xml.in
        if line == "configure":
            self.working = set(self.cli.active)  # a session starts from the active config
            self.in_config = True
            return "", False  # "[edit]" comes with every configure-mode prompt
        if line == "show configuration commands":
            return "\n".join(self.cli.lines()), False
        match = re.fullmatch(r"show configuration commands \| match '([^']*)'", line)
        if match:  # B3: `match` is grep -E
            pattern = re.compile(match[1])
            return "\n".join(x for x in self.cli.lines() if pattern.search(x)), False
        if any(re.fullmatch(p, line) for p in self.p.op_commands):
            return "", False  # B3: vtysh clear ... soft out prints nothing
        answer = self.cli.show.get(line)
        if answer is not None:
            return (answer(self.cli) if callable(answer) else answer), False
        fallback = self.cli.show.get("*")  # a callable (cli, line) -> text | None
        text = fallback(self.cli, line) if callable(fallback) else None
        if text is not None:
            return text, False
        return f"\n  Invalid command: [{line}]\n", False

    # ---- configure mode ------------------------------------------------------------------
    def _conf(self, line: str) -> str:
        word = line.split()[0]
        if word == "set":
            return self.cli.apply_set(self.working, line)
        if word == "delete":
            return self.cli.apply_delete(self.working, line)
        if line == "compare":
            return self._compare()
        if line == "commit":
            return self._commit()
        if word == "commit-confirm":
            return self._commit_confirm(line)
        if line == "confirm":
            return self._confirm()
        if line == "save":
            return self._save()
        if line == f"load {CONFIG_BOOT}":
            return self._load()
        if line == "exit":
            return self._exit()
        if line == "exit discard":
            self.working = set(self.cli.active)
            self.in_config = False
            return "exit"
        if word == "run":
            return self._op(line.removeprefix("run ").strip())[0]
        return f"\n  Invalid command: [{line}]\n"

    def _compare(self) -> str:
        """B2.1 compare; flat lines (simplified: VyOS prints a tree diff)."""
        removed = self.cli.lines(self.cli.active - self.working)
        added = self.cli.lines(self.working - self.cli.active)
        if not added and not removed:
            return self.p.no_changes
        return "\n".join([f"- {s}" for s in removed] + [f"+ {s}" for s in added])

    def _commit(self) -> str:
        cli = self.cli
        if self.working == cli.active:
            return "No configuration changes to commit"  # B2.1 commit (nothing)
        if cli.faults.locked:
            # B2.1 commit (locked): commit-algorithm.cpp:1209-1212
            return "Configuration system temporarily locked due to another commit in progress"
        failing = cli.faults.commit_fails_under
        if failing:
            prefix = tuple(failing.split())
            changed = self.working ^ cli.active
            if any(e[: len(prefix)] == prefix for e in changed):
                # B2.1 commit (error): PARTIAL, the failing subtree stays uncommitted
                keep_old = {e for e in cli.active if e[: len(prefix)] == prefix}
                new_rest = {e for e in self.working if e[: len(prefix)] != prefix}
                cli.active = keep_old | new_rest
                cli.commits += 1
                return (
                    f"\n[ {failing} ]\nBGP neighbor 169.254.10.1 requires remote-as\n\n"
                    f"[[{failing}]] failed\nCommit failed"
                )
        cli.active = set(self.working)
        cli.commits += 1
        return ""

    def _commit_confirm(self, line: str) -> str:
        cli, p = self.cli, self.p
        parts = line.split()
        minutes = parts[1] if len(parts) > 1 else "10"
        if self.working == cli.active:
            return "No configuration changes to commit"
        revisions = ("system", "config-management", "commit-revisions")
        if p.version == "1.3" and not any(e[:3] == revisions for e in cli.active):
            return "commit-revisions is not configured."  # B2.1 commit-confirm (1.3: exit 1)
        if cli.timer_armed:
            if p.pending_commits_anyway:  # B2.1 commit-confirm 1.3: exit 0, commit still runs
                result = self._commit()
                return "Another confirm is pending" + ("\n" + result if result else "")
            return "Another confirm is pending"  # 1.4: exit 1, nothing committed

        def proceed(reply: str) -> str:
            if reply.strip().lower() not in ("", "y", "yes"):
                return ""  # answered no: nothing armed, nothing committed
            cli.timer_armed = True  # armed before the commit runs (B2.3.2)
            armed = p.armed.format(minutes=minutes)
            result = self._commit()
            return "\n".join(x for x in (armed, result) if x)

        self.question = Question(
            p.confirm_question.format(minutes=minutes), p.one_keystroke, proceed
        )
        return ""

    def _confirm(self) -> str:
        if not self.cli.timer_armed:
            return "No confirm pending"  # B2.1 confirm
        self.cli.timer_armed = False
        return self.p.timer_stopped

    def _save(self) -> str:
        self.cli.saved = set(self.cli.active)
        if self.working != self.cli.active:
            return (
                "Warning: you have uncommitted changes that will not be saved.\n" + self.p.save_done
            ).rstrip("\n")
        return self.p.save_done

    def _load(self) -> str:
        """B2.1 load: refused with uncommitted changes; else the saved tree becomes working."""
        if self.working != self.cli.active:
            return (
                "Cannot load: configuration modified.\n"
                "Commit or discard the changes before loading a config file."
            )
        self.working = set(self.cli.saved)
        done = (
            "No configuration changes to commit."
            if self.working == self.cli.active
            else "Load complete. Use 'commit' to make changes effective."
        )  # vyos-load-config.py:101-104
        return f"Loading configuration from '{CONFIG_BOOT}'\n{done}"

    def _exit(self) -> str:
        if self.working != self.cli.active:
            return (  # B2.1 exit with uncommitted changes: vyatta-cfg-run:306-307
                "Cannot exit: configuration modified.\n"
                "Use 'exit discard' to discard the changes and exit."
            )
        self.in_config = False
        if self.cli.active != self.cli.saved:
            # B2.1 exit after a commit (really_exit)
            return "Warning: configuration changes have not been saved.\nexit"
        return "exit"
