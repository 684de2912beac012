"""A lab router's VyOS login shell: what an operator (or netmiko) gets over real OpenSSH.

``python -m tasks.lab.vyos.shell --version 1.4 --state DIR [--host-name r1] [--backend M:F]
[--runner M:F] [--vici-uri URI ...] [--confirm-minute SECONDS] [-c COMMAND]``

sshd runs it per login (as the login user's ``ForceCommand``, or as the shell of a wrapper that
passes these options). Each login is its own process, so the router's state is the store in
``--state`` (:mod:`tasks.lab.vyos.store`), shared by every session and by the commit-confirm
timer process (:mod:`tasks.lab.vyos.timer`); only the working config is this session's.

- On a terminal (``ssh -t``, netmiko): the pty goes to raw mode and the shared VyOS terminal
  (:class:`~tasks.lab.vyos.terminal.Terminal`) does echo, prompts and questions itself, as on
  the scripted device. netmiko's set-up lines (``set terminal length 0``, ``set terminal width
  512``) are answered as VyOS does: silently (B3, terminal.xml.in).
- One command (``ssh r1 'show ip bgp summary'``): sshd gives it in ``SSH_ORIGINAL_COMMAND``
  (ForceCommand) or as ``-c COMMAND`` (login shell); it runs in op mode, its answer is printed
  and the exit status is 1 for a command VyOS does not know.
- Without a terminal and without a command (``ssh -T r1 < script``): lines from standard
  input, no raw mode.

The hooks (``--backend``: applies each new active config, default none; ``--runner``: runs
``vtysh`` / ``swanctl`` for op-mode answers, default :func:`~tasks.lab.vyos.hooks.
subprocess_runner`) are ``module:attribute`` specs, so the lab and the tests choose them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import termios
import tty
from collections.abc import Iterator
from pathlib import Path

from tasks.lab.vyos.cli import VyosCli
from tasks.lab.vyos.hooks import load_backend, load_runner
from tasks.lab.vyos.live import LiveOpMode
from tasks.lab.vyos.session import Session
from tasks.lab.vyos.store import Store
from tasks.lab.vyos.terminal import Terminal
from tasks.lab.vyos.timer import ProcessTimer

BANNER = "Welcome to VyOS (lab router, VyOS {version} personality)\n"


def build_cli(args: argparse.Namespace) -> VyosCli:
    """The router: its store, its commit backend, its timer process, its live op-mode."""
    store = Store(args.state)
    cli = VyosCli.on_store(
        args.version,
        store,
        backend=load_backend(args.backend),
        timer=ProcessTimer(store, args.version, args.backend, args.confirm_minute),
    )
    cli.op = LiveOpMode(load_runner(args.runner), args.vici_uri)
    return cli


def host_name(cli: VyosCli, given: str | None) -> str:
    """The prompt's host: ``--host-name``, else the active ``system host-name`` (VyOS sets the
    hostname from it), else ``vyos``."""
    if given:
        return given
    found = [e[2] for e in cli.active if e[:2] == ("system", "host-name") and len(e) == 3]
    return found[0] if found else "vyos"


def run_command(cli: VyosCli, command: str) -> int:
    """One op-mode command, non-interactive; exit status 1 when VyOS does not know it."""
    session = Session(cli)
    status = 0
    for line in command.splitlines() or [""]:
        text, _ = session.answer(line)
        if "Invalid command:" in text:
            status = 1
        if text:
            sys.stdout.write(text.rstrip("\n") + "\n")
    sys.stdout.flush()
    return status


@contextlib.contextmanager
def raw_mode(fd: int) -> Iterator[None]:
    """The pty without its line discipline (no echo, no line editing, no ``\\n`` -> ``\\r\\n``):
    the terminal class does all that, as VyOS's readline does."""
    saved = termios.tcgetattr(fd)
    # TCSANOW, not setraw's default TCSAFLUSH: what was typed before the shell started (a
    # script piping its commands in) is kept, as a login shell keeps typeahead.
    tty.setraw(fd, termios.TCSANOW)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def interactive(cli: VyosCli, user: str, host: str | None) -> int:
    """The login on standard input/output (raw already, when it is a terminal)."""
    fd_in, fd_out = sys.stdin.fileno(), sys.stdout.fileno()

    def write(data: bytes) -> None:
        while data:
            data = data[os.write(fd_out, data) :]

    def read() -> bytes:
        try:
            return os.read(fd_in, 4096)
        except OSError:  # the pty's other side closed
            return b""

    terminal = Terminal(
        Session(cli), read, write, user=user, host=host_name(cli, host),
        banner=BANNER.format(version=cli.version),
    )  # fmt: skip
    terminal.run()
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tasks.lab.vyos.shell", description=__doc__.split("\n")[0])
    p.add_argument("--version", required=True, choices=("1.3", "1.4"))
    p.add_argument("--state", required=True, type=Path, help="the router's state directory")
    p.add_argument("--host-name", help="prompt host (default: the active system host-name)")
    p.add_argument("--user", help="prompt user (default: $USER, else vyos)")
    p.add_argument("--backend", help="module:callable applying (version, entries)")
    p.add_argument("--runner", help="module:callable running argv -> stdout (vtysh, swanctl)")
    p.add_argument("--vici-uri", action="append", default=[], help="a charon's vici socket")
    p.add_argument("--confirm-minute", type=float, default=60.0, help="seconds per minute")
    p.add_argument("-c", dest="command", help="one command, as a login shell gets it")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = args.command if args.command is not None else os.environ.get("SSH_ORIGINAL_COMMAND")
    if command:
        return run_command(build_cli(args), command)
    user = args.user or os.environ.get("USER") or os.environ.get("LOGNAME") or "vyos"
    if not os.isatty(sys.stdin.fileno()):
        return interactive(build_cli(args), user, args.host_name)
    # Raw before the model loads its schema: keystrokes typed meanwhile (netmiko's first
    # Enter) must not be echoed by the pty as well as by the terminal.
    with raw_mode(sys.stdin.fileno()):
        return interactive(build_cli(args), user, args.host_name)


if __name__ == "__main__":
    sys.exit(main())
