"""The root shell and SFTP of one FRR router's SSH session (netmiko ``linux``).

Commands run in the login shell and report their exit status; files travel over SFTP, never
on a command line, so keys do not show up in shell history or process lists.
"""

from __future__ import annotations

import logging
import re
import shlex
import stat
from typing import Any

from nornir.core.inventory import Host

from tasks.errors import DriverError
from tasks.platforms.connection import VpcHaConnection, discard
from tasks.platforms.frr.apply import CONFIG_DIR
from tasks.secrets import redact

log = logging.getLogger(__name__)

_RC = re.compile(r"__RC=(\d+)\s*$")


class FrrShell:
    """Shell commands and files over the session in ``_conn`` (set by the driver's ``open``)."""

    host: Host
    _conn: Any
    _sftp: Any

    #: The session has shown a transport error: it may hold half an answer, so it is dropped
    #: at close instead of being handed to the run's next task.
    _broken: bool = False
    #: This driver took the change lock in the session's shell (fd 9) and must let it go.
    _locked: bool = False
    #: A session of this driver's own (a poller in another thread), closed with the driver.
    _own: VpcHaConnection | None = None

    def close(self) -> None:
        """Let go of what this driver holds on the run's session; the session itself stays
        for the run's next task (Nornir closes it at the end of the run)."""
        if self._locked and not self._broken:
            try:
                self.sh("exec 9>&-", timeout=10)  # flock's lock dies with its descriptor
            except DriverError:
                log.debug("%s: lock release failed", self.host.name, exc_info=True)
        self._locked = False
        if self._sftp is not None:
            try:
                self._sftp.close()  # a channel of the session, not a login
            except Exception:  # closing twice or a dead link is fine
                log.debug("%s: sftp close failed", self.host.name, exc_info=True)
        if self._own is not None:
            self._own.close()
        elif self._broken and self._conn is not None:
            discard(self.host)
        self._sftp = self._conn = self._own = None
        self._broken = False

    def _session(self) -> Any:
        if self._conn is None:
            raise DriverError(f"{self.host.name}: not connected (call open() first)")
        return self._conn

    def sh(self, command: str, check: bool = True, timeout: float = 60.0) -> tuple[int, str]:
        """Run a shell command on the router; returns (exit status, output)."""
        conn = self._session()
        try:
            raw = conn.send_command(
                f"{command}; echo __RC=$?", read_timeout=timeout, expect_string=self._prompt()
            )
        except Exception as exc:  # netmiko/paramiko raise many types
            self._broken = True
            raise DriverError(
                f"{self.host.name}: `{redact(command)[:80]}` failed: {redact(str(exc))}"
            ) from exc
        text = str(raw).rstrip()
        found = _RC.search(text)
        if not found:
            raise DriverError(f"{self.host.name}: no exit status from `{redact(command)[:80]}`")
        rc = int(found.group(1))
        out = text[: found.start()].rstrip("\n")
        if check and rc != 0:
            raise DriverError(
                f"{self.host.name}: `{redact(command)[:120]}` exited {rc}: {redact(out)[-600:]}"
            )
        return rc, out

    def _prompt(self) -> str:
        """The shell prompt as a pattern: waiting for it beats netmiko's timed guessing."""
        return rf"{re.escape(self._session().base_prompt)}[#$]\s*$"

    def _sftp_client(self) -> Any:
        if self._sftp is None:
            self._sftp = self._session().remote_conn_pre.open_sftp()
        return self._sftp

    def read(self, path: str) -> str | None:
        try:
            with self._sftp_client().open(path, "r") as handle:
                return handle.read().decode("utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise DriverError(f"{self.host.name}: cannot read {path}: {exc}") from exc

    def write(self, path: str, text: str, mode: int = 0o600) -> None:
        sftp = self._sftp_client()
        directory = path.rsplit("/", 1)[0]
        self.sh(f"mkdir -p {shlex.quote(directory)} && chmod 700 {shlex.quote(CONFIG_DIR)}")
        try:
            with sftp.open(path, "w") as handle:
                handle.chmod(mode)
                handle.write(text.encode("utf-8"))
        except OSError as exc:
            raise DriverError(f"{self.host.name}: cannot write {path}: {exc}") from exc

    def _write_all(self, files: dict[str, str], directory: str) -> None:
        for name, text in files.items():
            self.write(f"{directory}/{name}", text)

    def file_mode(self, path: str) -> int | None:
        """Permission bits of a file on the router (tests check keys are not world-readable)."""
        try:
            return stat.S_IMODE(self._sftp_client().stat(path).st_mode)
        except FileNotFoundError:
            return None
