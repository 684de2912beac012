"""One VyOS login: op or configure mode, the working tree, a question waiting for its answer.

The command interpreter of the VyOS stand-in (answers cite ``../shared/vyos/BEHAVIOUR.md``
rows, as in :mod:`tasks.lab.vyos.cli`). The router's state (active, saved, timer, hooks) is
the :class:`~tasks.lab.vyos.cli.VyosCli` it is given; the working tree is the session's own,
as a VyOS configure session's is.
"""

from __future__ import annotations

import re

from tasks.lab.vyos.cli import Entry, VyosCli
from tasks.lab.vyos.hooks import commit_failed_text
from tasks.lab.vyos.personality import CONFIG_BOOT, Personality, Question


class Session:
    """One login: op or configure mode, the working tree, a question waiting for its answer."""

    def __init__(self, cli: VyosCli) -> None:
        self.cli = cli
        self.in_config = False
        self.working: set[Entry] = set(cli.active)
        #: The active config the working tree was taken from. VyOS's working copy is a layer
        #: over the active config, so what other sessions commit shows through it: when the
        #: active config moves, this session's own changes are replayed on the new one.
        self.base: set[Entry] = set(cli.active)
        self.question: Question | None = None

    @property
    def p(self) -> Personality:
        return self.cli.personality

    def answer(self, line: str) -> tuple[str, bool]:
        """What VyOS prints for one input line, and whether the session ends."""
        self.cli.refresh()
        self._rebase()
        if self.question is not None:
            question, self.question = self.question, None
            return question.then(line), False
        line = line.strip()
        if not line:
            return "", False
        if not self.in_config:
            return self._op(line)
        return self._conf(line), False

    def _rebase(self) -> None:
        """The active config moved (another session committed, the router rebooted): keep
        this session's own additions and removals on top of it (simplified: a single-value
        leaf both changed may end with two values)."""
        active = self.cli.active
        if active == self.base:
            return
        added, removed = self.working - self.base, self.base - self.working
        self.working = (active - removed) | added
        self.base = set(active)

    # ---- op mode -------------------------------------------------------------------------
    def _op(self, line: str) -> tuple[str, bool]:
        if line in ("exit", "logout"):
            return "logout", True
        if line.startswith("set terminal"):
            return "", False  # B3: terminal.xml.in
        if line == "configure":
            self.working = set(self.cli.active)  # a session starts from the active config
            self.base = set(self.cli.active)
            self.in_config = True
            return "", False  # "[edit]" comes with every configure-mode prompt
        if line == "show configuration commands":
            return "\n".join(self.cli.lines()), False
        match = re.fullmatch(r"show configuration commands \| match '([^']*)'", line)
        if match:  # B3: `match` is grep -E
            pattern = re.compile(match[1])
            return "\n".join(x for x in self.cli.lines() if pattern.search(x)), False
        if self.cli.op is not None:  # the router's own daemons (a lab router)
            live = self.cli.op(self.cli, line)
            if live is not None:
                return live, False
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
            self.base = set(self.cli.active)
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
        with self.cli.transaction():
            self._rebase()  # another session may have committed while this one waited
            result = self._commit_locked()
            if "Commit failed" not in result:
                self.base = set(self.cli.active)
            return result

    def _commit_locked(self) -> str:
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
                failed = cli.activate(keep_old | new_rest)
                return failed or commit_failed_text(
                    failing, "BGP neighbor 169.254.10.1 requires remote-as"
                )
        return cli.activate(set(self.working))

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
            return self._another_confirm()

        def proceed(reply: str) -> str:
            if reply.strip().lower() not in ("", "y", "yes"):
                return ""  # answered no: nothing armed, nothing committed
            with cli.transaction():
                if cli.timer_armed:  # another session armed one while the question waited
                    return self._another_confirm()
                cli.arm(int(minutes) if minutes.isdigit() else 10)  # before the commit (B2.3.2)
                armed = p.armed.format(minutes=minutes)
                result = self._commit()
            return "\n".join(x for x in (armed, result) if x)

        self.question = Question(
            p.confirm_question.format(minutes=minutes), p.one_keystroke, proceed
        )
        return ""

    def _another_confirm(self) -> str:
        """B2.1 commit-confirm with a confirm pending: 1.3 exits 0 and the commit still runs
        (no new timer); 1.4 exits 1 and nothing is committed."""
        if self.p.pending_commits_anyway:
            result = self._commit()
            return "Another confirm is pending" + ("\n" + result if result else "")
        return "Another confirm is pending"

    def _confirm(self) -> str:
        with self.cli.transaction():
            if not self.cli.timer_armed:
                return "No confirm pending"  # B2.1 confirm
            self.cli.disarm()
            return self.p.timer_stopped

    def _save(self) -> str:
        with self.cli.transaction():
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
