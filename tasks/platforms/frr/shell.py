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
from tasks.platforms.frr.apply import CONFIG_DIR
from tasks.secrets import redact

log = logging.getLogger(__name__)

_RC = re.compile(r"__RC=(\d+)\s*$")


class FrrShell:
    """Shell commands and files over the session in ``_conn`` (set by the driver's ``open``)."""

    host: Host
    _conn: Any
    _sftp: Any

    def close(self) -> None:
        # netmiko's disconnect() sends `exit` and then idles for ~10 s on a Linux shell;
        # closing the channel and the transport ends the session at once.
        conn = self._conn
        things = [self._sftp]
        if conn is not None:
            things += [getattr(conn, "remote_conn", None), getattr(conn, "remote_conn_pre", None)]
        for thing in things:
            if thing is not None:
                try:
                    thing.close()
                except Exception:  # closing twice or a dead link is fine
                    log.debug("%s: close failed", self.host.name, exc_info=True)
        self._sftp = self._conn = None

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
