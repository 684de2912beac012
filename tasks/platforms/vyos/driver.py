"""The ``vyos`` driver: VyOS 1.3 / 1.4 over SSH (netmiko ``vyos``), with commit-confirm.

Netmiko's ``vyos`` driver has no commit-confirm and no save, and its config-mode detection is
``'#' in prompt``: a root login (``root@vyos:~#``) looks like configure mode to it, so its
``config_mode()`` would skip ``configure`` and ``send_config_set`` would type ``set`` lines into
op mode. This driver therefore never asks netmiko about modes. It sends every command itself
with an explicit expected prompt, and knows it is in configure mode only after ``configure``
answered ``[edit]`` and a ``user@host#`` prompt (op-mode prompts carry ``:<dir>`` before the
``$``/``#``, configure-mode prompts do not).

The command conversation, per method (what VyOS answers: ``../shared/vyos/BEHAVIOUR.md``)::

    diff     show configuration commands, configure, delete ... (owned nodes), set ...,
             compare, exit discard
    apply    show configuration commands, configure, delete ..., set ...,
             commit-confirm <minutes>, y, exit
             (a refused line: exit discard, CommitError, no timer was armed; a failed or
             locked commit: exit discard, then the rollback conversation, which also cancels
             the timer the commit-confirm armed, CommitError)
    confirm  configure, confirm, save, exit
    rollback configure, load /config/config.boot, commit, confirm, exit
    show     <op-mode command>

Replace semantics. ``set`` only adds, so the candidate starts with a ``delete`` of every node
the toolkit owns that is on the router (:mod:`tasks.platforms.vyos.owned`); VyOS commits the net
difference of the session, so an unchanged router commits nothing and ``compare`` shows the
deletions of what the intent no longer holds. Nothing outside the owned nodes is touched.

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
import math
import re
import select
import time
from typing import Any, ClassVar

from netmiko.base_connection import BaseConnection
from netmiko.exceptions import NetmikoBaseException
from netmiko.vyos.vyos_ssh import VyOSSSH
from nornir.core.inventory import Host
from paramiko.ssh_exception import SSHException

from tasks.drivers.base import (
    CommitError,
    LocalChangeLock,
    RollbackError,
    check_identity,
    register,
)
from tasks.drivers.ssh import connect
from tasks.errors import DriverError
from tasks.isp_health import HealthState
from tasks.model import HEALTH_TOKEN, Router
from tasks.platforms.vyos.owned import deletions
from tasks.secrets import RedactingFilter, redact, remember_secret

log = logging.getLogger(__name__)

# netmiko logs every byte it reads and writes at DEBUG, set lines and their PSKs included: mask
# them at the source, whatever handlers the caller configured.
_netmiko_log = logging.getLogger("netmiko")
if not any(isinstance(f, RedactingFilter) for f in _netmiko_log.filters):
    _netmiko_log.addFilter(RedactingFilter())

CONFIG_BOOT = "/config/config.boot"
#: Where deploy records the router's identity (templates/vyos/config.set.j2).
IDENTITY_NODE = "policy route-map TO-AWS description"
#: Leaves whose value is a key (``vpn ipsec authentication psk X secret``, 1.3's
#: ``peer X authentication pre-shared-secret``).
SECRET_LEAVES = frozenset({"secret", "pre-shared-secret"})

# What VyOS answers (vyatta-cfg vyatta-cfg-run, vyatta-config-mgmt.pl for 1.3, vyos-1x
# config_mgmt.py for 1.4): platform data, kept apart from the conversation below.
NO_CHANGES = "No changes between working and active configurations"
NOTHING_TO_COMMIT = "No configuration changes to commit"
NO_CONFIRM_PENDING = "No confirm pending"
SET_ERRORS = (
    "Set failed",
    "Delete failed",  # not VyOS's (an absent node is "Nothing to delete", a success): harmless
    "is not valid",
    "is ambiguous",
    "Value validation failed",
    "Invalid command",
    "Incomplete command",
)
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


#: The end of a VyOS login: the op-mode prompt ``user@host:~$ `` (``root@host:~# ``) last in
#: what was read. Not just a final ``$``/``#``: a login banner of ``####`` lines must not pass.
LOGIN_PROMPT = r"@[^\s@]+:[^\n]*[$#] ?\Z"


class VyosSession(VyOSSSH):
    """netmiko's ``vyos`` session, set up by waiting for the login prompt.

    netmiko's own set-up reads the channel until it has been quiet for 2 s, on every
    connection; this one reads until the op-mode prompt, as netmiko's base class recommends
    (``_test_channel_read(pattern=...)``). The rest of the set-up is netmiko's: base prompt,
    ``set terminal width 512``, ``set terminal length 0``.
    """

    def _test_channel_read(self, count: int = 40, pattern: str = "") -> str:
        return super()._test_channel_read(count=count, pattern=pattern or LOGIN_PROMPT)


class _SessionLost(Exception):
    """The router closed the SSH session (or the transport died) while we waited."""


@register
class VyosDriver:
    """One VyOS router. Not thread-safe: one driver per host, as Nornir runs them."""

    platform: ClassVar[str] = "vyos"
    device_type: ClassVar[str] = "vyos"
    #: Seconds to wait for a commit or save (BGP and IPsec reconfiguration can be slow).
    commit_timeout: ClassVar[float] = 300.0
    command_timeout: ClassVar[float] = 30.0

    def __init__(self, host: Host, router: Router) -> None:
        self.host = host
        self.router = router
        self._conn: BaseConnection | None = None
        self._in_config = False
        self._pending_confirm = False
        self._op_prompt = self._conf_prompt = self._any_prompt = ""
        self._lock = LocalChangeLock(host.name, key=f"{host.hostname}-{host.port or 22}")
        self.adopt = False

    # ---- connection ------------------------------------------------------------------------
    def open(self) -> None:
        """Connect; prompts are learned from the device, never assumed. Raises ConnectError."""
        self._conn = connect(self.host, self.device_type, VyosSession)
        base = re.escape(self._conn.base_prompt)
        # op mode "vyos@vyos:~$ " or, for root, "root@vyos:~# "; configure mode "vyos@vyos# "
        self._op_prompt = rf"{base}:[^\n]*[$#]\s*$"
        self._conf_prompt = rf"{base}#\s*$"
        self._any_prompt = rf"{base}(?::[^\n]*)?[$#]\s*$"
        self._in_config = False
        log.debug("%s: connected, prompt base %r", self.host.name, self._conn.base_prompt)
        try:
            check_identity(self.host, self.identity(), self.adopt)
        except DriverError:
            self.close()
            raise

    def identity(self) -> str | None:
        """The inventory host this device was deployed as (the description deploy renders on
        route-map TO-AWS), or None when it never was."""
        out = self.show(f"show configuration commands | match '{IDENTITY_NODE}'")
        found = re.search(rf"{IDENTITY_NODE} '?vpc-ha router ([A-Za-z0-9._-]+)", out)
        return found.group(1) if found else None

    def pending_change(self) -> str | None:
        """None: VyOS tells whether a commit-confirm is pending only by ``confirm``, which would
        also cancel it (another run's timer included), so it is not asked."""
        return None

    def drain_guard(self) -> str | None:
        """None: a VyOS drain guard is a commit-confirm (see :meth:`commit_unsaved`), which
        VyOS reveals only to ``confirm``, and that would cancel it."""
        return None

    def isp_health(self) -> HealthState | None:
        """VyOS 1.4's failover service holds the token route (``proto failover``) exactly while
        its check passes (src/helpers/vyos-failover.py): zebra lists it as a kernel route. The
        service itself is not visible from op mode, so ``running`` is unknown."""
        if self.router.isp_health is None:
            return None
        out = self.show(f"show ip route {HEALTH_TOKEN}/32")
        return HealthState(path_up=f"Routing entry for {HEALTH_TOKEN}/32" in out, running=None)

    def lock(self, owner: str, wait: float = 0) -> None:
        """This machine's change lock for the router (see :class:`LocalChangeLock`): a VyOS
        op-mode session cannot hold a lock on the router itself."""
        self._lock.acquire(owner, wait)

    def close(self) -> None:
        """Leave configure mode (discarding) if a failure left us there, then disconnect."""
        self._lock.release()
        if self._conn is None:
            return
        if self._in_config:
            try:
                self._exit(discard=True)
            except DriverError as exc:
                log.warning("%s: could not leave configure mode: %s", self.host.name, exc)
        # Not netmiko's disconnect(): its cleanup asks check_config_mode(), which a root
        # prompt fools into sending an extra "exit", and which idles 2 s reading the channel.
        try:
            self._conn.write_channel("exit" + self._conn.RETURN)
        except (OSError, EOFError, SSHException) as exc:  # a dying transport raises EOFError
            log.debug("%s: logout: %s", self.host.name, exc)
        finally:
            try:  # the router may close its end on "exit" first: closing ours then raises
                self._conn.paramiko_cleanup()
            except (OSError, EOFError, SSHException) as exc:
                log.debug("%s: close after logout: %s", self.host.name, exc)
            self._conn = None
            self._in_config = False

    # ---- the contract ----------------------------------------------------------------------
    def diff(self, candidate: dict[str, str]) -> str:
        """``compare`` after loading the candidate; ``""`` when VyOS reports no changes.

        The candidate is loaded as :meth:`apply` would (owned nodes deleted, then set), so the
        diff shows what would be removed as well as added.

        Raises:
            CommitError: the device refused a line (named, secrets masked); nothing changed.
        """
        lines = self.session_lines(candidate)
        self._configure()
        try:
            self._load(lines)
            text = self._run("compare")
        finally:
            if self._in_config:
                self._exit(discard=True)
        if NO_CHANGES in text:
            return ""
        return text.strip("\n") + "\n"

    def session_lines(self, candidate: dict[str, str]) -> list[str]:
        """What a config session types: ``delete`` of the owned nodes on the router, then the
        candidate's lines (from op mode: reads ``show configuration commands`` first)."""
        lines = config_lines(candidate)
        # The running config holds keys the intent may no longer name (a replaced tunnel's
        # PSK): keep netmiko's byte log off for this read, and mask them in diffs and errors.
        _netmiko_log.disabled = True
        try:
            running = self.show("show configuration commands").splitlines()
        finally:
            _netmiko_log.disabled = False
        for line in running:
            words = line.split()
            if len(words) > 2 and words[-2] in SECRET_LEAVES:
                remember_secret(words[-1].strip("'\""))
        return deletions(running, lines) + lines

    def apply(self, candidate: dict[str, str], confirm_timeout: int) -> None:
        """Load the candidate and ``commit-confirm`` it; back in op mode afterwards.

        ``confirm_timeout`` seconds are rounded up to whole minutes (VyOS counts minutes).
        On success the timer is armed: the caller must :meth:`confirm` or :meth:`rollback`
        (an expired timer reboots the router). On every error the timer is not armed, or was
        cancelled, unless the session itself was lost (a :class:`DriverError` that says so).

        Raises:
            CommitError: a line or the commit was refused; nothing of the candidate is active.
            RollbackError: the commit failed and restoring the saved config failed too.
            DriverError: the session was lost; the message says whether a timer may be armed.
        """
        minutes = max(1, math.ceil(confirm_timeout / 60))
        self._commit_confirmed(self.session_lines(candidate), minutes)

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
        return _error_lines("\n".join(x for x in out.splitlines() if not noise.search(x.strip())))

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
            raise DriverError(f"{self.host.name}: save failed: {_error_lines(saved)}")
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
            raise CommitError(f"{self.host.name}: commit failed: {_error_lines(out)}")
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

    def show(self, command: str) -> str:
        """Run an op-mode command (e.g. ``show ip bgp summary``) and return its text."""
        if self._in_config:
            raise DriverError(f"{self.host.name}: show called in configure mode")
        out = self._run(command, expect=self._op_prompt)
        if "Invalid command" in out or "Incomplete command" in out:
            raise DriverError(f"{self.host.name}: {command!r}: {_error_lines(out)}")
        return out

    # ---- the conversation's pieces ---------------------------------------------------------
    def _configure(self) -> None:
        raw = self._run("configure", keep_prompt=True)
        if "[edit]" not in raw or not re.search(self._conf_prompt, raw):
            raise DriverError(
                f"{self.host.name}: 'configure' did not enter configure mode: {_error_lines(raw)!r}"
            )
        self._in_config = True

    def _load(self, lines: list[str]) -> None:
        """Type the candidate's lines; on a refused line: exit discard, CommitError."""
        for line in lines:
            out = self._run(line)
            if any(marker in out for marker in SET_ERRORS):
                self._exit(discard=True)
                raise CommitError(
                    f"{self.host.name}: the router refused {redact(line)!r}: "
                    f"{_error_lines(out)}; changes discarded"
                )

    def _exit(self, discard: bool) -> None:
        """Leave configure mode. ``exit`` refused ("Cannot exit: configuration modified.")
        after a commit means the commit did not take: a :class:`CommitError`, still in
        configure mode (the caller discards)."""
        raw = self._run("exit discard" if discard else "exit", keep_prompt=True)
        if not discard and "Cannot exit" in raw:
            raise CommitError(
                f"{self.host.name}: uncommitted changes left after the commit: "
                f"{_error_lines(raw.splitlines()[0] if raw else raw)}"
            )
        if not re.search(self._op_prompt, raw):
            raise DriverError(f"{self.host.name}: could not leave configure mode")
        self._in_config = False

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
                f"{self.host.name}: cannot load {CONFIG_BOOT}: {_error_lines(loaded)}; "
                f"the running config is unchanged by the rollback; {TIMER_EFFECT} if a "
                "commit-confirm timer is armed"
            )
        if "Load complete" not in loaded:
            return  # "No configuration changes to commit.": the saved config is live already
        committed = self._run("commit", timeout=self.commit_timeout)
        if any(marker in committed for marker in COMMIT_ERRORS):
            self._exit(discard=True)
            raise RollbackError(
                f"{self.host.name}: committing {CONFIG_BOOT} failed: {_error_lines(committed)}; "
                f"a pending commit-confirm timer still runs: {TIMER_EFFECT}"
            )

    def _run(
        self,
        command: str,
        expect: str | None = None,
        timeout: float | None = None,
        keep_prompt: bool = False,
    ) -> str:
        """Send one line and read until ``expect`` (default: any VyOS prompt).

        Returns the output without the echoed command; without the trailing prompt and
        ``[edit]`` lines unless ``keep_prompt``. Transport failures, a closed session and no
        prompt within ``timeout`` (default :attr:`command_timeout`) become DriverError.
        """
        if self._conn is None:
            raise DriverError(f"{self.host.name}: not connected (call open() first)")
        log.debug("%s: > %s", self.host.name, redact(command))
        wait = timeout or self.command_timeout
        try:
            raw = self._converse(command, expect or self._any_prompt, wait)
        except TimeoutError:
            raise DriverError(
                f"{self.host.name}: no answer to {redact(command).split()[0]!r}: no prompt "
                f"within {wait:g} s"
            ) from None
        except (_SessionLost, NetmikoBaseException, SSHException, OSError, EOFError) as exc:
            raise DriverError(
                f"{self.host.name}: no answer to {redact(command).split()[0]!r}: "
                f"{redact(_first_line(exc))}"
            ) from exc
        if keep_prompt:
            return raw
        prompt_line = re.compile(self._any_prompt.removesuffix(r"\s*$") + r"\s*$")
        kept = [
            line
            for line in raw.splitlines()
            if line.strip() != "[edit]" and not prompt_line.fullmatch(line.strip())
        ]
        return "\n".join(kept)

    def _converse(self, command: str, expect: str, wait: float) -> str:
        """Type ``command``, read its echo, then read until ``expect`` matches; the output
        without the echo line.

        What netmiko's ``send_command`` does with ``cmd_verify`` and ``expect_string`` (anything
        before the echo, such as the extra prompt after 1.3's one-key ``[confirm]``, answered
        an earlier line and is dropped), but woken by the channel as soon as data arrives,
        instead of polling it every 10-25 ms, and ended as soon as the session closes instead
        of at the timeout.
        """
        assert self._conn is not None
        conn = self._conn
        deadline = time.monotonic() + wait
        echo = command.strip()
        conn.write_channel(conn.normalize_cmd(command))
        out = ""
        if echo:
            while (at := out.find(echo)) < 0:
                out += self._read_more(deadline)
            out = out[at:]
        while not re.search(expect, out):
            out += self._read_more(deadline)
        return str(conn.strip_command(command, out))

    def _read_more(self, deadline: float) -> str:
        """What the channel has (netmiko's read: line feeds normalised, logged); waits for
        data until ``deadline``. Raises TimeoutError, or _SessionLost once the router closed
        the session."""
        assert self._conn is not None
        conn = self._conn
        while not (data := conn.read_channel()):
            channel: Any = conn.remote_conn  # a paramiko Channel once connected
            transport = channel.get_transport()
            if channel.closed or channel.eof_received or not transport or not transport.is_active():
                raise _SessionLost("the router closed the SSH session")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            select.select([channel], [], [], remaining)  # a paramiko Channel is selectable
            if channel.recv_stderr_ready():  # never with a PTY (netmiko ignores it too): drained
                channel.recv_stderr(65536)  # so that select() does not return at once again
        return str(data)


def config_lines(candidate: dict[str, str]) -> list[str]:
    """The ``set``/``delete`` commands of a rendered VyOS candidate, comments dropped.

    Raises:
        DriverError: the candidate has no ``config.set`` or a line that is not a command.
    """
    try:
        text = candidate["config.set"]
    except KeyError:
        raise DriverError(f"vyos candidate has no 'config.set' (got {sorted(candidate)})") from None
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not line.startswith(("set ", "delete ")):
            raise DriverError(f"config.set line {number} is not a set/delete command")
        lines.append(line)
    return lines


def _error_lines(output: str) -> str:
    """VyOS's answer squeezed onto one line, secrets masked."""
    return redact(" ".join(part.strip() for part in output.splitlines() if part.strip()))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
