"""SCRIPTED DEVICE, not a real VyOS: an SSH server on 127.0.0.1 in front of the VyOS CLI model
(:mod:`tasks.lab.vyos.cli`).

A thin transport: a paramiko server (threaded, ephemeral port, a fixed host key per server,
password and/or public-key auth) whose shell is the shared VyOS terminal
(:class:`tasks.lab.vyos.terminal.Terminal`: echo, VyOS's prompts, 1.3's one-keystroke and
1.4's line answers to commit-confirm) in front of :class:`tasks.lab.vyos.session.Session`, the
pure-Python model of the VyOS 1.3 / 1.4 CLI written from ``../shared/vyos/BEHAVIOUR.md``
(every answer cites its row there). The lab router's login shell runs the same two on a pty.
What is particular to this device lives here:

- host name ``vyos`` in the prompts (``vyos@vyos:~$ ``; ``root@vyos:~# `` with
  ``root_prompt=True``: the prompt that fools netmiko's ``check_config_mode``);
- faults of the transport and of the test: refuse a line containing some text with VyOS's
  "is not valid / Set failed", drop the connection on a command.

Every command line received is recorded, in order, in :attr:`ScriptedVyos.commands`.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

import paramiko

from tasks.lab.vyos.cli import VyosCli
from tasks.lab.vyos.personality import Question
from tasks.lab.vyos.session import Session
from tasks.lab.vyos.terminal import Terminal

_HOST_KEY: paramiko.RSAKey | None = None
_KEY_LOCK = threading.Lock()


def fixed_host_key() -> paramiko.RSAKey:
    """The scripted device's host key: generated once per test process, then fixed."""
    global _HOST_KEY
    with _KEY_LOCK:
        if _HOST_KEY is None:
            _HOST_KEY = paramiko.RSAKey.generate(2048)
        return _HOST_KEY


@dataclass
class Script:
    """Who may log in, which VyOS it plays, and how it misbehaves.

    Attributes:
        username / password: the only credentials accepted (password auth).
        authorized_key: a public key accepted for ``username`` (key auth), if any.
        version: ``"1.3"`` or ``"1.4"``: the :mod:`tasks.lab.vyos.cli` personality.
        root_prompt: op-mode prompt ``<user>@vyos:~# `` (a root login) instead of ``:~$``.
        running: the active (and saved) config, as ``set`` lines (checked by VyOS's schema).
        show: op-mode command to its output (text, or a callable of the :class:`VyosCli`).
        fail_set_on: a ``set`` line containing this text is refused (``Set failed``).
        fail_commit: ``commit`` fails for changes under ``protocols bgp`` (the rest commits:
            VyOS's PARTIAL commit, BEHAVIOUR.md 2.1 ``commit (error)``).
        drop_on: close the connection when a command starting with this text arrives.
    """

    username: str = "vyos"
    password: str | None = "vyos-test-pass"
    authorized_key: paramiko.PKey | None = None
    version: str = "1.4"
    root_prompt: bool = False
    running: set[str] | list[str] | tuple[str, ...] = field(default_factory=set)
    show: dict[str, Any] = field(default_factory=dict)
    fail_set_on: str | None = None
    fail_commit: bool = False
    drop_on: str | None = None


class _Auth(paramiko.ServerInterface):
    def __init__(self, script: Script) -> None:
        self.script = script

    def get_allowed_auths(self, username: str) -> str:
        kinds = []
        if self.script.password is not None:
            kinds.append("password")
        if self.script.authorized_key is not None:
            kinds.append("publickey")
        return ",".join(kinds) or "none"

    def check_auth_password(self, username: str, password: str) -> int:
        ok = (
            self.script.password is not None
            and username == self.script.username
            and password == self.script.password
        )
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        ok = (
            self.script.authorized_key is not None
            and username == self.script.username
            and key == self.script.authorized_key
        )
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_pty_request(self, *args: object) -> bool:
        return True

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:
        return True


class _Dropped(Exception):
    """The script said to drop the connection here."""


class ScriptedVyos:
    """A scripted VyOS device listening on 127.0.0.1:<ephemeral port>. Use as a context manager.

    The router's state is a :class:`tasks.lab.vyos.cli.VyosCli` (:attr:`cli`), shared by every
    session, so it survives reconnects like a real router's. ``active`` / ``saved`` read (and, for
    tests that simulate an event, write) its configs as VyOS's ``show configuration commands``
    lines.
    """

    def __init__(self, script: Script | None = None, host_key: paramiko.PKey | None = None):
        self.script = script or Script()
        self.host_key = host_key or fixed_host_key()
        self.commands: list[str] = []
        self.cli = self._new_cli(self.script.running)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self.port: int = self._sock.getsockname()[1]
        self._transports: list[paramiko.Transport] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="scripted-vyos", daemon=True)

    def _new_cli(self, running: set[str] | list[str] | tuple[str, ...] | None) -> VyosCli:
        cli = VyosCli.with_config(self.script.version, sorted(running or ()))
        cli.show = self.script.show
        cli.faults.commit_fails_under = "protocols bgp" if self.script.fail_commit else None
        return cli

    def reset(self, running: set[str] | list[str] | tuple[str, ...] | None = None) -> None:
        """Forget commands and faults; active = saved = ``running``; no timer."""
        self.commands.clear()
        self.script.fail_set_on = None
        self.script.fail_commit = False
        self.script.drop_on = None
        self.cli = self._new_cli(running)

    # ---- the router's state as lines -------------------------------------------------------
    @property
    def active(self) -> set[str]:
        return set(self.cli.lines())

    @active.setter
    def active(self, lines: set[str]) -> None:
        self.cli.active = self.cli.tree_of(sorted(lines))

    @property
    def saved(self) -> set[str]:
        return set(self.cli.lines(self.cli.saved))

    @property
    def timer_pending(self) -> bool:
        return self.cli.timer_armed

    @timer_pending.setter
    def timer_pending(self, armed: bool) -> None:
        self.cli.timer_armed = armed

    @property
    def commits(self) -> int:
        return self.cli.commits

    def config_equals(self, lines: list[str] | set[str], which: str = "active") -> bool:
        """Whether the router's ``which`` tree is the one ``lines`` build (VyOS semantics)."""
        tree = self.cli.active if which == "active" else self.cli.saved
        return tree == self.cli.tree_of(sorted(lines) if isinstance(lines, set) else lines)

    # ---- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> ScriptedVyos:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() below on Linux
        with contextlib.suppress(OSError):
            self._sock.close()
        for transport in self._transports:
            transport.close()
        self._thread.join(timeout=2)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport = paramiko.Transport(client)
        self._transports.append(transport)
        transport.add_server_key(self.host_key)
        try:
            transport.start_server(server=_Auth(self.script))
        except (paramiko.SSHException, EOFError, OSError):
            return
        channel = transport.accept(timeout=10)
        if channel is None:
            transport.close()
            return
        try:
            _Terminal(self, channel).run()
        except (_Dropped, OSError, EOFError):
            pass
        finally:  # the test may have stopped the server (and its transports) already
            with contextlib.suppress(Exception):
                channel.close()
            with contextlib.suppress(Exception):
                transport.close()


class _Terminal(Terminal):
    """One SSH shell: the shared VyOS terminal on a paramiko channel, plus the script's faults
    and the record of every command."""

    def __init__(self, device: ScriptedVyos, channel: paramiko.Channel) -> None:
        super().__init__(
            Session(device.cli),
            read=lambda: channel.recv(4096),
            write=channel.sendall,
            user=device.script.username,
            root_prompt=device.script.root_prompt,
            banner="Welcome to VyOS (scripted test device)\n",
        )
        self.device = device

    def intercept(self, line: str, question: Question | None) -> str | None:
        device = self.device
        if line.strip() or question is not None:  # an answer is recorded even if empty
            device.commands.append(line.strip())
        if device.script.drop_on and line.strip().startswith(device.script.drop_on):
            raise _Dropped(line)
        if self.session.cli is not device.cli:  # the test reset the router
            self.session = Session(device.cli)
        device.cli.faults.commit_fails_under = (
            "protocols bgp" if device.script.fail_commit else None
        )
        fail = device.script.fail_set_on
        if fail and question is None and line.startswith("set ") and fail in line:
            path = " ".join(line.split()[1:3])
            return f"\n  Configuration path: [{path}] is not valid\n  Set failed\n"
        return None
