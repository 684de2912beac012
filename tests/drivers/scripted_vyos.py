"""SCRIPTED DEVICE, not a real VyOS: an SSH server on 127.0.0.1 that replays VyOS prompts.

It stands in for a VyOS 1.3 / 1.4 router so the ``vyos`` driver's exact command conversation
can be tested without a router: a paramiko server (threaded, ephemeral port, a fixed host key
per server, password and/or public-key auth) behind which a small state machine plays the
VyOS CLI:

- op mode, prompt ``vyos@vyos:~$ `` (``root@vyos:~# `` with ``root_prompt=True``: the prompt
  that fools netmiko's ``check_config_mode``);
- ``configure`` prints ``[edit]`` and switches to ``vyos@vyos# ``;
- ``set`` / ``delete`` edit a working config (a set of ``set`` lines); ``compare`` prints
  ``+``/``-`` lines or ``No changes between working and active configurations.``;
- ``commit`` / ``commit-confirm N`` (its ``Proceed? [Y/n]`` question is answered on its own
  line), ``confirm``, ``save``, ``load /config/config.boot``, ``exit`` / ``exit discard``;
- op-mode ``show ...`` answers come from a table.

Answers are written from VyOS's own sources (vyatta-cfg ``vyatta-cfg-run``,
``vyatta-config-mgmt.pl`` for 1.3, vyos-1x ``config_mgmt.py`` for 1.4); ``compare`` output is
simplified (flat ``+ set ...`` lines rather than VyOS's tree diff). Every command line received
is recorded, in order, in :attr:`ScriptedVyos.commands`. Faults on demand: a set error on a
given line, a commit failure, a drop of the connection on a given command; wrong passwords are
refused like any SSH server does.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field

import paramiko

CONFIG_BOOT = "/config/config.boot"

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
    """What the scripted device answers and how it misbehaves.

    Attributes:
        username / password: the only credentials accepted (password auth).
        authorized_key: a public key accepted for ``username`` (key auth), if any.
        version: ``"1.3"`` or ``"1.4"``: which ``commit-confirm`` / ``confirm`` wording to use.
        root_prompt: op-mode prompt ``<user>@vyos:~# `` (a root login) instead of ``:~$``.
        running: the active (and saved) config, as ``set`` lines.
        show: op-mode command to its output.
        fail_set_on: a ``set`` line containing this text is refused (``Set failed``).
        fail_commit: ``commit`` / ``commit-confirm`` fail (``Commit failed``).
        drop_on: close the connection when a command starting with this text arrives.
    """

    username: str = "vyos"
    password: str | None = "vyos-test-pass"
    authorized_key: paramiko.PKey | None = None
    version: str = "1.4"
    root_prompt: bool = False
    running: set[str] = field(default_factory=set)
    show: dict[str, str] = field(default_factory=dict)
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

    State (active, working and saved configs; a pending commit-confirm timer) lives on the
    server, so it survives reconnects like a real router's.
    """

    def __init__(self, script: Script | None = None, host_key: paramiko.PKey | None = None):
        self.script = script or Script()
        self.host_key = host_key or fixed_host_key()
        self.commands: list[str] = []
        self.active: set[str] = set(self.script.running)
        self.saved: set[str] = set(self.script.running)
        self.working: set[str] = set(self.active)
        self.timer_pending = False
        self.commits = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self.port: int = self._sock.getsockname()[1]
        self._transports: list[paramiko.Transport] = []
        self._session = threading.local()  # per connection: mode and unread input
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="scripted-vyos", daemon=True)

    def reset(self, running: set[str] | None = None) -> None:
        """Forget commands and faults; active = saved = working = ``running``; no timer."""
        self.commands.clear()
        self.active = set(running or ())
        self.saved = set(self.active)
        self.working = set(self.active)
        self.timer_pending = False
        self.commits = 0
        self.script.fail_set_on = None
        self.script.fail_commit = False
        self.script.drop_on = None

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
            self._shell(channel)
        except (_Dropped, OSError, EOFError):
            pass
        finally:
            channel.close()
            transport.close()

    # ---- the CLI ---------------------------------------------------------------------------
    @property
    def op_prompt(self) -> str:
        mark = "#" if self.script.root_prompt else "$"
        return f"{self.script.username}@vyos:~{mark} "

    @property
    def config_prompt(self) -> str:
        return f"[edit]\r\n{self.script.username}@vyos# "

    def _shell(self, channel: paramiko.Channel) -> None:
        self._session.in_config = False
        self._session.pending = b""
        self._session.skip_lf = False
        channel.sendall(b"Welcome to VyOS (scripted test device)\r\n" + self._prompt().encode())
        while True:
            line = self._readline(channel)
            if line is None:
                return
            if line.strip():
                self.commands.append(line.strip())
            if self.script.drop_on and line.strip().startswith(self.script.drop_on):
                raise _Dropped(line)
            answer, close = self._answer(line.strip(), channel)
            if answer:
                channel.sendall((answer.replace("\n", "\r\n") + "\r\n").encode())
            if close:
                return
            channel.sendall(self._prompt().encode())

    def _prompt(self) -> str:
        return self.config_prompt if self._session.in_config else self.op_prompt

    def _readline(self, channel: paramiko.Channel) -> str | None:
        """Read one line, echoing it like a terminal; ``\\r``, ``\\n`` and ``\\r\\n`` end it."""
        session = self._session
        while True:
            if session.skip_lf and session.pending:
                session.pending = session.pending.removeprefix(b"\n")
                session.skip_lf = False
            ends = [i for i in (session.pending.find(b"\r"), session.pending.find(b"\n")) if i >= 0]
            if ends:
                end = min(ends)
                line = session.pending[:end]
                session.skip_lf = session.pending[end : end + 1] == b"\r"
                session.pending = session.pending[end + 1 :]
                channel.sendall(line + b"\r\n")
                return line.decode(errors="replace")
            data = channel.recv(4096)
            if not data:
                return None
            session.pending += data

    def _answer(self, line: str, channel: paramiko.Channel) -> tuple[str, bool]:
        """The device's output for one command line, and whether the session ends."""
        if not line:
            return "", False
        if not self._session.in_config:
            return self._op(line)
        return self._conf(line, channel), False

    def _op(self, line: str) -> tuple[str, bool]:
        if line in ("exit", "logout"):
            return "logout", True
        if line.startswith("set terminal"):
            return "", False
        if line == "configure":
            self.working = set(self.active)  # a new config session starts from the active one
            self._session.in_config = True
            return "", False
        if line in self.script.show:
            return self.script.show[line], False
        return f"\n  Invalid command: [{line}]\n", False

    def _conf(self, line: str, channel: paramiko.Channel) -> str:
        word = line.split()[0]
        if word == "set":
            if self.script.fail_set_on and self.script.fail_set_on in line:
                path = line.split()[1]
                return f"\n  Configuration path: [{path}] is not valid\n  Set failed\n"
            self.working.add(line)
            return ""
        if word == "delete":
            target = "set" + line[len("delete") :]
            gone = {s for s in self.working if s == target or s.startswith(target + " ")}
            if not gone:
                return (
                    "\n  Nothing to delete (the specified node does not exist)\n  Delete failed\n"
                )
            self.working -= gone
            return ""
        if line == "compare":
            return self._compare()
        if line == "commit":
            return self._commit()
        if word == "commit-confirm":
            return self._commit_confirm(line, channel)
        if line == "confirm":
            return self._confirm()
        if line == "save":
            self.saved = set(self.active)
            warn = ""
            if self.working != self.active:
                warn = "Warning: you have uncommitted changes that will not be saved.\n\n"
            return f"{warn}Saving configuration to '{CONFIG_BOOT}'...\nDone"
        if line == f"load {CONFIG_BOOT}":
            if self.working != self.active:
                return (
                    "Cannot load: configuration modified.\n"
                    "Commit or discard the changes before loading a config file."
                )
            self.working = set(self.saved)
            return (
                f"Loading configuration from '{CONFIG_BOOT}'\n"
                "Load complete. Use 'commit' to make changes active."
            )
        if line == "exit":
            if self.working != self.active:
                return (
                    "Cannot exit: configuration modified.\n"
                    "Use 'exit discard' to discard the changes and exit."
                )
            self._session.in_config = False
            return "exit"
        if line == "exit discard":
            self.working = set(self.active)
            self._session.in_config = False
            return "exit"
        return f"\n  Invalid command: [{line}]\n"

    def _compare(self) -> str:
        added = sorted(self.working - self.active)
        removed = sorted(self.active - self.working)
        if not added and not removed:
            return "No changes between working and active configurations.\n"
        return "\n".join([f"- {s}" for s in removed] + [f"+ {s}" for s in added]) + "\n"

    def _commit(self) -> str:
        if self.working == self.active:
            return "No configuration changes to commit"
        if self.script.fail_commit:
            return (
                "\n[ protocols bgp ]\nBGP neighbor 169.254.10.1 requires remote-as\n\n"
                "[[protocols bgp]] failed\nCommit failed"
            )
        self.active = set(self.working)
        self.commits += 1
        return ""

    def _commit_confirm(self, line: str, channel: paramiko.Channel) -> str:
        if self.working == self.active:
            return "No configuration changes to commit"
        parts = line.split()
        minutes = parts[1] if len(parts) > 1 else "10"
        if self.timer_pending:
            return "Another confirm is pending"
        if self.script.version == "1.3":
            question = (
                f"commit-confirm will automatically reboot in {minutes} minutes unless changes "
                "are confirmed.\nProceed? [Y/n] "
            )
            done = "Reboot scheduled for commit-confirm. Confirm your changes to cancel the reboot."
        else:
            question = (
                f"commit-confirm will automatically reload previous config in {minutes} "
                "minutes\nProceed ? [Y/n] "
            )
            done = f"Initialized commit-confirm; {minutes} minutes to confirm before reload"
        channel.sendall(question.replace("\n", "\r\n").encode())
        reply = self._readline(channel)
        if reply is None:
            raise _Dropped("no answer")
        self.commands.append(reply.strip())
        if reply.strip().lower() not in ("y", "yes", ""):
            return "commit-confirm canceled"
        self.timer_pending = True
        result = self._commit()
        return done + ("\n" + result if result else "")

    def _confirm(self) -> str:
        if not self.timer_pending:
            return "No confirm pending"
        self.timer_pending = False
        return "Reboot timer stopped." if self.script.version == "1.3" else "Reload timer stopped"
