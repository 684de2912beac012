"""The ``vyos`` driver: VyOS 1.3 / 1.4 over SSH (netmiko ``vyos``), with commit-confirm.

Netmiko's ``vyos`` driver has no commit-confirm and no save, and its config-mode detection is
``'#' in prompt``: a root login (``root@vyos:~#``) looks like configure mode to it, so its
``config_mode()`` would skip ``configure`` and ``send_config_set`` would type ``set`` lines into
op mode. This driver therefore never asks netmiko about modes. It sends every command itself
with an explicit expected prompt, and knows it is in configure mode only after ``configure``
answered ``[edit]`` and a ``user@host#`` prompt (op-mode prompts carry ``:<dir>`` before the
``$``/``#``, configure-mode prompts do not).

The command conversation, per method::

    diff     configure, set ... (each line), compare, exit discard
    apply    configure, set ... (each line), commit-confirm <minutes>, y, exit
             (a refused set line: exit discard, CommitError; a failed commit: exit discard,
             then the rollback conversation, CommitError)
    confirm  configure, confirm, save, exit
    rollback configure, load /config/config.boot, commit, confirm, exit
    show     <op-mode command>

Rollback choice. VyOS's own ``rollback <N>`` reboots the router (1.3 and 1.4; ``rollback-soft``
exists only in later rolling releases), and letting the commit-confirm timer fire reboots
(1.3) or reloads (1.4) the saved config minutes later. Since ``save`` only runs in
:meth:`VyosDriver.confirm`, ``/config/config.boot`` still holds the config from before
:meth:`~VyosDriver.apply`: loading and committing it restores that config now, without a
reboot, on both versions; ``confirm`` then cancels the pending timer, which would otherwise
reboot a 1.3 router for nothing. Caveat: committed-but-unsaved changes made before the deploy
are rolled back too (the saved config is the baseline, as it is for VyOS's own timer).

VyOS 1.3 refuses ``commit-confirm`` unless ``system config-management commit-revisions`` is set;
that answer becomes a :class:`CommitError` saying so.
"""

from __future__ import annotations

import logging
import math
import re
from typing import ClassVar

from netmiko.base_connection import BaseConnection
from netmiko.exceptions import NetmikoTimeoutException, ReadTimeout
from nornir.core.inventory import Host
from paramiko.ssh_exception import SSHException

from tasks.drivers.base import CommitError, LocalChangeLock, RollbackError, register
from tasks.drivers.ssh import connect
from tasks.errors import DriverError
from tasks.model import Router
from tasks.secrets import RedactingFilter, redact

log = logging.getLogger(__name__)

# netmiko logs every byte it reads and writes at DEBUG, set lines and their PSKs included: mask
# them at the source, whatever handlers the caller configured.
_netmiko_log = logging.getLogger("netmiko")
if not any(isinstance(f, RedactingFilter) for f in _netmiko_log.filters):
    _netmiko_log.addFilter(RedactingFilter())

CONFIG_BOOT = "/config/config.boot"

# What VyOS answers (vyatta-cfg vyatta-cfg-run, vyatta-config-mgmt.pl for 1.3, vyos-1x
# config_mgmt.py for 1.4): platform data, kept apart from the conversation below.
NO_CHANGES = "No changes between working and active configurations"
NOTHING_TO_COMMIT = "No configuration changes to commit"
NO_CONFIRM_PENDING = "No confirm pending"
SET_ERRORS = (
    "Set failed",
    "Delete failed",
    "is not valid",
    "is ambiguous",
    "Value validation failed",
    "Invalid command",
    "Incomplete command",
)
COMMIT_ERRORS = ("Commit failed", "] failed", "Failed to generate committed config")
COMMIT_REFUSALS = {
    "Another confirm is pending": "another commit-confirm is pending on the router: confirm or "
    "let it revert before deploying",
    "commit-revisions is not configured": "VyOS needs 'set system config-management "
    "commit-revisions <N>' before commit-confirm can be used",
    "commit-confirm canceled": "the router cancelled commit-confirm",
}
SAVE_DONE = "Done"
#: commit-confirm's question: 1.3 ``Proceed? [Y/n]``, 1.4 ``Proceed ? [Y/n]``, older ``[confirm]``.
CONFIRM_QUESTION = r"(?:Proceed ?\?|\[Y/n\]|\[confirm\])\s*$"


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
        self._lock = LocalChangeLock(host.name)

    # ---- connection ------------------------------------------------------------------------
    def open(self) -> None:
        """Connect; prompts are learned from the device, never assumed. Raises ConnectError."""
        self._conn = connect(self.host, self.device_type)
        base = re.escape(self._conn.base_prompt)
        # op mode "vyos@vyos:~$ " or, for root, "root@vyos:~# "; configure mode "vyos@vyos# "
        self._op_prompt = rf"{base}:[^\n]*[$#]\s*$"
        self._conf_prompt = rf"{base}#\s*$"
        self._any_prompt = rf"{base}(?::[^\n]*)?[$#]\s*$"
        self._in_config = False
        log.debug("%s: connected, prompt base %r", self.host.name, self._conn.base_prompt)

    def pending_change(self) -> str | None:
        """None: VyOS tells whether a commit-confirm is pending only by ``confirm``, which would
        also cancel it (another run's timer included), so it is not asked."""
        return None

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
        except (OSError, SSHException) as exc:
            log.debug("%s: logout: %s", self.host.name, exc)
        finally:
            self._conn.paramiko_cleanup()
            self._conn = None
            self._in_config = False

    # ---- the contract ----------------------------------------------------------------------
    def diff(self, candidate: dict[str, str]) -> str:
        """``compare`` after loading the candidate; ``""`` when VyOS reports no changes.

        Raises:
            CommitError: the device refused a line (named, secrets masked); nothing changed.
        """
        lines = config_lines(candidate)
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

    def apply(self, candidate: dict[str, str], confirm_timeout: int) -> None:
        """Load the candidate and ``commit-confirm`` it; back in op mode afterwards.

        ``confirm_timeout`` seconds are rounded up to whole minutes (VyOS counts minutes).

        Raises:
            CommitError: a line or the commit was refused; nothing of the candidate is active.
            RollbackError: the commit failed and restoring the saved config failed too.
        """
        minutes = max(1, math.ceil(confirm_timeout / 60))
        lines = config_lines(candidate)
        self._configure()
        self._load(lines)
        question = rf"(?:{CONFIRM_QUESTION}|{self._any_prompt})"
        out = self._run(f"commit-confirm {minutes}", expect=question, keep_prompt=True)
        if re.search(CONFIRM_QUESTION, out):
            out += "\n" + self._run("y", timeout=self.commit_timeout, keep_prompt=True)
        if NOTHING_TO_COMMIT in out:
            log.info("%s: nothing to commit", self.host.name)
            self._exit(discard=False)
            return
        for marker, meaning in COMMIT_REFUSALS.items():
            if marker in out:
                self._exit(discard=True)
                raise CommitError(f"{self.host.name}: commit-confirm refused: {meaning}")
        if any(marker in out for marker in COMMIT_ERRORS):
            self._exit(discard=True)
            detail = _error_lines(out)
            try:
                self._restore()
            except DriverError as exc:
                raise RollbackError(
                    f"{self.host.name}: commit failed ({detail}) and restoring "
                    f"{CONFIG_BOOT} failed: {exc}"
                ) from exc
            raise CommitError(
                f"{self.host.name}: commit failed, saved config restored: {detail}",
                rolled_back=True,
            )
        self._pending_confirm = True
        self._exit(discard=False)
        log.info("%s: committed, reverts in %d minute(s) unless confirmed", self.host.name,
                 minutes)  # fmt: skip

    def confirm(self) -> None:
        """``confirm`` the pending commit and ``save`` it to ``/config/config.boot``.

        Raises:
            CommitError: the commit-confirm timer had already fired (the router reverted).
            DriverError: ``save`` did not report ``Done``.
        """
        self._configure()
        try:
            answer = self._run("confirm")
            if self._pending_confirm and NO_CONFIRM_PENDING in answer:
                raise CommitError(
                    f"{self.host.name}: too late to confirm: the commit-confirm timer already "
                    "fired and the router reverted to its saved config; nothing was saved"
                )
            self._pending_confirm = False
            saved = self._run("save", timeout=self.commit_timeout)
        finally:
            if self._in_config:
                self._exit(discard=False)
        if SAVE_DONE not in saved:
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
                "any, will still revert the router by itself"
            ) from exc
        self._pending_confirm = False
        log.info("%s: rolled back to %s", self.host.name, CONFIG_BOOT)

    def commit_unsaved(self, lines: list[str]) -> None:
        """``configure``, the lines, ``commit``, ``exit``: live now, never saved.

        For temporary operational changes (a failover drain) that a reload must forget.
        Raises :class:`CommitError` (changes discarded) when VyOS refuses a line or the commit.
        """
        self._configure()
        self._load(lines)
        out = self._run("commit", timeout=self.commit_timeout)
        if any(marker in out for marker in COMMIT_ERRORS):
            self._exit(discard=True)
            raise CommitError(f"{self.host.name}: commit failed: {_error_lines(out)}")
        self._exit(discard=False)

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
        raw = self._run("exit discard" if discard else "exit", keep_prompt=True)
        if not discard and "Cannot exit" in raw:
            log.warning("%s: uncommitted changes left after commit; discarding", self.host.name)
            raw = self._run("exit discard", keep_prompt=True)
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
        loaded = self._run(f"load {CONFIG_BOOT}", timeout=self.commit_timeout)
        if "Load complete" not in loaded:
            self._exit(discard=True)
            raise RollbackError(
                f"{self.host.name}: cannot load {CONFIG_BOOT}: {_error_lines(loaded)}; "
                "the running config is unchanged by the rollback"
            )
        committed = self._run("commit", timeout=self.commit_timeout)
        if any(marker in committed for marker in COMMIT_ERRORS):
            self._exit(discard=True)
            raise RollbackError(
                f"{self.host.name}: committing {CONFIG_BOOT} failed: {_error_lines(committed)}; "
                "a pending commit-confirm timer will still revert the router (VyOS 1.3 "
                "reboots)"
            )
        # Cancel the commit-confirm timer: the saved config is already live again.
        self._run("confirm")

    def _run(
        self,
        command: str,
        expect: str | None = None,
        timeout: float | None = None,
        keep_prompt: bool = False,
    ) -> str:
        """Send one line and read until ``expect`` (default: any VyOS prompt).

        Returns the output without the echoed command; without the trailing prompt and
        ``[edit]`` lines unless ``keep_prompt``. Transport failures become DriverError.
        """
        if self._conn is None:
            raise DriverError(f"{self.host.name}: not connected (call open() first)")
        log.debug("%s: > %s", self.host.name, redact(command))
        try:
            raw = str(
                self._conn.send_command(
                    command,
                    expect_string=expect or self._any_prompt,
                    read_timeout=timeout or self.command_timeout,
                    strip_prompt=False,
                    strip_command=True,
                )
            )
        except (ReadTimeout, NetmikoTimeoutException, SSHException, OSError) as exc:
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
