"""The SSH session to a VyOS router and the configure-mode conversation over it.

Netmiko's ``vyos`` driver has no commit-confirm and no save, and its config-mode detection is
``'#' in prompt``: a root login (``root@vyos:~#``) looks like configure mode to it, so its
``config_mode()`` would skip ``configure`` and ``send_config_set`` would type ``set`` lines into
op mode. This driver therefore never asks netmiko about modes. It sends every command itself
with an explicit expected prompt, and knows it is in configure mode only after ``configure``
answered ``[edit]`` and a ``user@host#`` prompt (op-mode prompts carry ``:<dir>`` before the
``$``/``#``, configure-mode prompts do not).

:class:`VyosConversation` holds that conversation's pieces (``configure``, typing lines,
``exit``, one command and its answer); the commit-confirm lifecycle is
:mod:`tasks.platforms.vyos.commit`, the driver :mod:`tasks.platforms.vyos.driver`.
"""

from __future__ import annotations

import logging
import re
import select
import time
from typing import Any, ClassVar

from netmiko.base_connection import BaseConnection
from netmiko.exceptions import NetmikoBaseException
from netmiko.vyos.vyos_ssh import VyOSSSH
from nornir.core.inventory import Host
from paramiko.ssh_exception import SSHException

from tasks.drivers.base import CommitError
from tasks.errors import DriverError
from tasks.secrets import RedactingFilter, redact

log = logging.getLogger(__name__)

# netmiko logs every byte it reads and writes at DEBUG, set lines and their PSKs included: mask
# them at the source, whatever handlers the caller configured.
netmiko_log = logging.getLogger("netmiko")
if not any(isinstance(f, RedactingFilter) for f in netmiko_log.filters):
    netmiko_log.addFilter(RedactingFilter())

#: What VyOS answers a refused ``set``/``delete`` line (vyatta-cfg vyatta-cfg-run).
SET_ERRORS = (
    "Set failed",
    "Delete failed",  # not VyOS's (an absent node is "Nothing to delete", a success): harmless
    "is not valid",
    "is ambiguous",
    "Value validation failed",
    "Invalid command",
    "Incomplete command",
)

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


class VyosConversation:
    """The conversation over one router's session; prompts are learned at connect time."""

    host: Host
    _conn: BaseConnection | None
    #: A command failed in transport or timed out: the session may hold half an answer, so
    #: it is dropped at close, not handed to the run's next task.
    _broken: bool = False
    _in_config: bool
    _op_prompt: str
    _conf_prompt: str
    _any_prompt: str
    command_timeout: ClassVar[float] = 30.0

    def _configure(self) -> None:
        raw = self._run("configure", keep_prompt=True)
        if "[edit]" not in raw or not re.search(self._conf_prompt, raw):
            raise DriverError(
                f"{self.host.name}: 'configure' did not enter configure mode: {error_lines(raw)!r}"
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
                    f"{error_lines(out)}; changes discarded"
                )

    def _exit(self, discard: bool) -> None:
        """Leave configure mode. ``exit`` refused ("Cannot exit: configuration modified.")
        after a commit means the commit did not take: a :class:`CommitError`, still in
        configure mode (the caller discards)."""
        raw = self._run("exit discard" if discard else "exit", keep_prompt=True)
        if not discard and "Cannot exit" in raw:
            raise CommitError(
                f"{self.host.name}: uncommitted changes left after the commit: "
                f"{error_lines(raw.splitlines()[0] if raw else raw)}"
            )
        if not re.search(self._op_prompt, raw):
            raise DriverError(f"{self.host.name}: could not leave configure mode")
        self._in_config = False

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
            self._broken = True
            raise DriverError(
                f"{self.host.name}: no answer to {redact(command).split()[0]!r}: no prompt "
                f"within {wait:g} s"
            ) from None
        except (_SessionLost, NetmikoBaseException, SSHException, OSError, EOFError) as exc:
            self._broken = True
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


def error_lines(output: str) -> str:
    """VyOS's answer squeezed onto one line, secrets masked."""
    return redact(" ".join(part.strip() for part in output.splitlines() if part.strip()))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
