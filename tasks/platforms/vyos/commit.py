"""Commit-confirm on VyOS: commit with a timer, confirm and save, roll back to the saved config.

Rollback choice. VyOS's own ``rollback <N>`` reboots the router (1.3 and 1.4); 1.4 also has
``rollback-soft <N>``, which only loads a revision into the session (a ``commit`` is still
needed) and does not exist on 1.3. **An expired commit-confirm timer reboots the router on 1.3
and 1.4** (1.3: the ``at`` job of vyatta-config-mgmt.pl; 1.4: ``config-mgmt revert`` is
``systemctl reboot``; only rolling releases after 2024-10 can reload instead): both tunnels
are down for the boot. Since ``save`` only runs in :meth:`VyosDriver.confirm`,
``/config/config.boot`` still holds the config from before :meth:`~VyosDriver.apply`: loading
and committing it restores that config now, without a reboot, on both versions; ``confirm``
then cancels the pending timer. ``load`` answering "No configuration changes to commit." means
nothing of the candidate is live: nothing to commit, but the timer is cancelled all the same.
Caveat: committed-but-unsaved changes made before the deploy are rolled back too (the saved
config is the baseline, as it is for VyOS's own timer).

Every way out of :meth:`VyosDriver.apply` leaves no armed timer, except a success (the
caller's ``confirm`` or ``rollback`` is still coming) and a lost session, which cannot cancel
it and says so: the router then reboots to its saved config when the window ends.

Version differences the driver handles (BEHAVIOUR.md 2.1): 1.4's ``save`` prints nothing on
success (1.3: ``Done``); 1.3 answers "Another confirm is pending" and commits anyway without a
timer of ours (rolled back here), 1.4 refuses; 1.3 asks ``Proceed? [confirm]`` (one key),
1.4 ``Proceed ? [Y/n]``. VyOS 1.3 refuses ``commit-confirm`` unless ``system config-management
commit-revisions`` is in the active config; that answer becomes a :class:`CommitError`.
"""

from __future__ import annotations

import logging
import re
from typing import ClassVar

from tasks.drivers.base import CommitError, RollbackError
from tasks.errors import DriverError
from tasks.model import Router
from tasks.platforms.vyos.session import VyosConversation, error_lines

log = logging.getLogger(__name__)

CONFIG_BOOT = "/config/config.boot"

# What VyOS answers (vyatta-cfg vyatta-cfg-run, vyatta-config-mgmt.pl for 1.3, vyos-1x
# config_mgmt.py for 1.4): platform data, kept apart from the conversation below.
NOTHING_TO_COMMIT = "No configuration changes to commit"
NO_CONFIRM_PENDING = "No confirm pending"
COMMIT_ERRORS = (
    "Commit failed",
    "] failed",
    "Failed to generate committed config",
    "Configuration system temporarily locked",  # another commit runs: nothing of ours took
)
PENDING = "Another confirm is pending"
#: Refusals of ``commit-confirm`` before anything was committed or armed.
COMMIT_REFUSALS = {
    PENDING: "another commit-confirm is pending on the router: confirm or let it expire (it "
    "reboots the router) before deploying",
    "commit-revisions is not configured": "VyOS needs 'set system config-management "
    "commit-revisions <N>' before commit-confirm can be used",
}
#: ``save``'s success: 1.3 prints "Saving ... Done"; 1.4 prints nothing (vyos-save-config.py).
SAVE_DONE = {"1.3": "Done", "1.4": ""}
#: ``load``'s successes: a changed config, or the saved file equals the running config.
LOAD_DONE = ("Load complete", "No configuration changes to commit")
#: commit-confirm's question: 1.3 ``Proceed? [confirm]``, 1.4 ``Proceed ? [Y/n]``.
CONFIRM_QUESTION = r"(?:Proceed ?\?|\[Y/n\]|\[confirm\])\s*$"
#: What an expired commit-confirm timer does, for messages (1.3 and 1.4 alike).
TIMER_EFFECT = "VyOS reboots the router to its saved config when the confirm window ends"


class VyosCommit(VyosConversation):
    """Commit, confirm and roll back over the conversation; ``_pending_confirm`` is True while
    a commit-confirm of ours may have armed a timer."""

    router: Router
    _pending_confirm: bool
    #: Seconds to wait for a commit or save (BGP and IPsec reconfiguration can be slow).
    commit_timeout: ClassVar[float] = 300.0

    def _commit_confirmed(self, lines: list[str], minutes: int) -> None:
        """``configure``, the lines, ``commit-confirm <minutes>``, ``exit``; see :meth:`apply`."""
        self._configure()
        self._load(lines)
        question = rf"(?:{CONFIRM_QUESTION}|{self._any_prompt})"
        try:
            out = self._run(f"commit-confirm {minutes}", expect=question, keep_prompt=True)
            if re.search(CONFIRM_QUESTION, out):
                self._pending_confirm = True  # from here the router may have armed a timer
                out += "\n" + self._run("y", timeout=self.commit_timeout, keep_prompt=True)
        except DriverError as exc:
            if not self._pending_confirm:
                raise
            raise DriverError(
                f"{exc}; the commit-confirm timer may be armed: {TIMER_EFFECT} "
                f"in {minutes} minute(s) unless confirmed"
            ) from exc
        if NOTHING_TO_COMMIT in out:
            log.info("%s: nothing to commit", self.host.name)
            self._pending_confirm = False
            self._exit(discard=False)
            return
        if PENDING in out and self.router.vyos_syntax == "1.3":
            self._pending_anyway(out)
        for marker, meaning in COMMIT_REFUSALS.items():
            if marker in out:
                self._pending_confirm = False
                self._exit(discard=True)
                raise CommitError(f"{self.host.name}: commit-confirm refused: {meaning}")
        if any(marker in out for marker in COMMIT_ERRORS):
            self._commit_failed(self._commit_output(out))
        try:
            self._exit(discard=False)
        except CommitError as exc:
            self._commit_failed(str(exc))
        log.info("%s: committed, reboots to the saved config in %d minute(s) unless confirmed",
                 self.host.name, minutes)  # fmt: skip

    def _commit_output(self, out: str) -> str:
        """What the commit itself printed: no question, no timer notice, no prompt."""
        noise = re.compile(
            rf"^\s*$|^\[edit\]$|{self._any_prompt}|commit.confirm will|^are confirmed\.|"
            r"Proceed ?\?|^Initialized commit-confirm|^y$"
        )
        return error_lines("\n".join(x for x in out.splitlines() if not noise.search(x.strip())))

    def _commit_failed(self, detail: str) -> None:
        """A commit after commit-confirm failed (maybe partly): restore, cancel the timer."""
        if self._in_config:
            self._exit(discard=True)
        try:
            self._restore()
        except DriverError as exc:
            raise RollbackError(
                f"{self.host.name}: commit failed ({detail}) and restoring {CONFIG_BOOT} "
                f"failed: {exc}"
            ) from exc
        raise CommitError(
            f"{self.host.name}: commit failed, saved config restored, timer cancelled: {detail}",
            rolled_back=True,
        )

    def _pending_anyway(self, out: str) -> None:
        """1.3: "Another confirm is pending" exits 0 and the commit runs anyway, without a
        timer of ours (BEHAVIOUR.md 2.3.4). Undo it now: load + commit the saved config, and
        leave the other session's timer alone (``confirm`` would cancel it)."""
        if self._in_config:
            self._exit(discard=True)
        try:
            self._configure()
            self._reload_saved()
            self._exit(discard=False)
        except DriverError as exc:
            raise RollbackError(
                f"{self.host.name}: VyOS 1.3 committed the candidate although another "
                f"commit-confirm is pending, and undoing it failed: {exc}; the other timer "
                f"still runs: {TIMER_EFFECT}"
            ) from exc
        self._pending_confirm = False
        raise CommitError(
            f"{self.host.name}: another commit-confirm is pending on the router; VyOS 1.3 "
            "committed the candidate anyway and it was undone (saved config restored). The "
            f"other timer still runs: {TIMER_EFFECT}",
            rolled_back=True,
        )

    def confirm(self) -> None:
        """``confirm`` the pending commit and ``save`` it to ``/config/config.boot``.

        Raises:
            CommitError: the commit-confirm timer had already fired (the router rebooted).
            DriverError: ``save`` did not succeed (1.3: no ``Done``; 1.4: any output at all).
        """
        self._configure()
        try:
            answer = self._run("confirm")
            if self._pending_confirm and NO_CONFIRM_PENDING in answer:
                raise CommitError(
                    f"{self.host.name}: too late to confirm: the commit-confirm timer already "
                    "fired and the router rebooted to its saved config; nothing was saved"
                )
            self._pending_confirm = False
            saved = self._run("save", timeout=self.commit_timeout)
        finally:
            if self._in_config:
                self._exit(discard=False)
        done = SAVE_DONE[self.router.vyos_syntax]
        if (done not in saved) if done else saved.strip():
            raise DriverError(f"{self.host.name}: save failed: {error_lines(saved)}")
        log.info("%s: confirmed and saved", self.host.name)

    def rollback(self) -> None:
        """Back to the saved config now (see the module docstring for why not ``rollback N``).

        Raises:
            RollbackError: the router needs an operator; the message says its state.
        """
        try:
            self._configure()
            self._restore_in_config()
            self._exit(discard=False)
        except RollbackError:
            raise
        except DriverError as exc:
            raise RollbackError(
                f"{self.host.name}: rollback failed ({exc}); a pending commit-confirm timer, if "
                f"any, still runs: {TIMER_EFFECT}"
            ) from exc
        self._pending_confirm = False
        log.info("%s: rolled back to %s", self.host.name, CONFIG_BOOT)

    def commit_unsaved(self, lines: list[str], confirm_minutes: int | None = None) -> None:
        """``configure``, the lines, ``commit``, ``exit``: live now, never saved.

        For temporary operational changes (a failover drain) that a reload must forget.
        Raises :class:`CommitError` (changes discarded) when VyOS refuses a line or the commit
        (a failed commit may have committed other subtrees: VyOS commits per subtree).

        With ``confirm_minutes`` the commit is a ``commit-confirm``: unless
        :meth:`confirm_unsaved` is called in time, VyOS reboots to its saved config, which
        ends the change even if the run that made it is gone (the failover drain guard).
        """
        if confirm_minutes is not None:
            self._commit_confirmed(lines, max(1, int(confirm_minutes)))
            return
        self._configure()
        self._load(lines)
        out = self._run("commit", timeout=self.commit_timeout)
        if any(marker in out for marker in COMMIT_ERRORS):
            self._exit(discard=True)
            raise CommitError(f"{self.host.name}: commit failed: {error_lines(out)}")
        try:
            self._exit(discard=False)
        except CommitError:
            self._exit(discard=True)
            raise

    def confirm_unsaved(self) -> bool:
        """``confirm`` without ``save``: stop a commit-confirm timer and keep the running config
        unsaved (a failover drain undone by its run). False when no confirm was pending."""
        self._configure()
        try:
            answer = self._run("confirm")
        finally:
            if self._in_config:
                self._exit(discard=False)
        self._pending_confirm = False
        return NO_CONFIRM_PENDING not in answer

    def _restore(self) -> None:
        """From op mode: the rollback conversation, errors as :class:`DriverError`."""
        self._configure()
        self._restore_in_config()
        self._exit(discard=False)
        self._pending_confirm = False

    def _restore_in_config(self) -> None:
        """Load and commit the saved config, then ``confirm``: the timer is cancelled in every
        branch where the saved config is live again (also when nothing had to change)."""
        self._reload_saved()
        # Cancel the commit-confirm timer: the saved config is live again.
        self._run("confirm")

    def _reload_saved(self) -> None:
        loaded = self._run(f"load {CONFIG_BOOT}", timeout=self.commit_timeout)
        if not any(done in loaded for done in LOAD_DONE):
            self._exit(discard=True)
            raise RollbackError(
                f"{self.host.name}: cannot load {CONFIG_BOOT}: {error_lines(loaded)}; "
                f"the running config is unchanged by the rollback; {TIMER_EFFECT} if a "
                "commit-confirm timer is armed"
            )
        if "Load complete" not in loaded:
            return  # "No configuration changes to commit.": the saved config is live already
        committed = self._run("commit", timeout=self.commit_timeout)
        if any(marker in committed for marker in COMMIT_ERRORS):
            self._exit(discard=True)
            raise RollbackError(
                f"{self.host.name}: committing {CONFIG_BOOT} failed: {error_lines(committed)}; "
                f"a pending commit-confirm timer still runs: {TIMER_EFFECT}"
            )
