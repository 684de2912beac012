"""An sshd stand-in on 127.0.0.1 for the VyOS login shell: each SSH session gets a pty with
``python -m tasks.lab.vyos.shell`` on it, as OpenSSH's ``ForceCommand`` would give it.

Not OpenSSH (the lab owns that): a paramiko server, password auth, that only joins the SSH
channel to the pty's master side, so netmiko and the project's VyOS driver talk to the very
shell process a lab router runs, raw pty and all.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import subprocess
import threading
from pathlib import Path

import paramiko
from pty_shell import shell_argv, shell_env

from tasks import PROJECT_ROOT

USER, PASSWORD = "vyos", "vyos-test-pass"
_KEY: list[paramiko.RSAKey] = []


class _Server(paramiko.ServerInterface):
    def __init__(self) -> None:
        self.shell = threading.Event()

    def get_allowed_auths(self, username: str) -> str:
        return "password"

    def check_auth_password(self, username: str, password: str) -> int:
        ok = (username, password) == (USER, PASSWORD)
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_pty_request(self, *args: object) -> bool:
        return True

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:
        self.shell.set()
        return True


class PtyBridge:
    """Listens on 127.0.0.1:<ephemeral>; every login runs the shell of ``version`` on
    ``state``. Use as a context manager."""

    def __init__(self, version: str, state: Path, *shell_args: str) -> None:
        self.version, self.state, self.shell_args = version, state, shell_args
        if not _KEY:
            _KEY.append(paramiko.RSAKey.generate(2048))
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(4)
        self.port: int = self._sock.getsockname()[1]
        self.shells: list[subprocess.Popen[bytes]] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> PtyBridge:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        for proc in self.shells:  # only the shells this bridge started, by their own handle
            if proc.poll() is None:
                proc.terminate()
            proc.wait(timeout=5)
        self._thread.join(timeout=2)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        transport = paramiko.Transport(client)
        transport.add_server_key(_KEY[0])
        server = _Server()
        try:
            transport.start_server(server=server)
            channel = transport.accept(timeout=10)
            if channel is None or not server.shell.wait(10):
                return
            self._pump(channel)
        except (paramiko.SSHException, EOFError, OSError):
            return
        finally:
            transport.close()

    def _pump(self, channel: paramiko.Channel) -> None:
        master, slave = os.openpty()
        proc = subprocess.Popen(
            shell_argv(self.version, self.state, *self.shell_args), stdin=slave, stdout=slave,
            stderr=slave, cwd=PROJECT_ROOT, env=shell_env(self.state), start_new_session=True,
        )  # fmt: skip
        self.shells.append(proc)
        os.close(slave)
        try:
            while True:
                ready, _, _ = select.select([channel, master], [], [], 30)
                if channel in ready:
                    data = channel.recv(4096)
                    if not data:
                        return
                    os.write(master, data)
                if master in ready:
                    try:
                        data = os.read(master, 4096)
                    except OSError:  # EIO: the shell exited (logout)
                        data = b""
                    if not data:
                        return
                    channel.sendall(data)
        finally:
            os.close(master)
            channel.close()
