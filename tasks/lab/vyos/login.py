"""How a lab router's OpenSSH starts the VyOS shell: the ``ForceCommand`` and its sshd block.

sshd runs a ``ForceCommand`` through the login user's shell (``$SHELL -c '<command>'``) for
every session, with a pty when the client asked for one, and keeps the client's own command in
``SSH_ORIGINAL_COMMAND``: exactly the two ways :mod:`tasks.lab.vyos.shell` serves a login. So a
lab router becomes a VyOS router by adding :func:`sshd_block` to its ``sshd_config``
(:mod:`tasks.lab.sshd` writes that file); nothing else in sshd changes. Pure text, no I/O.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

SHELL_MODULE = "tasks.lab.vyos.shell"


def shell_command(
    version: str,
    state: Path | str,
    host_name: str,
    backend: str | None = None,
    runner: str | None = None,
    vici_uris: Sequence[str] = (),
    user: str = "vyos",
    python: str = sys.executable,
    confirm_minute: float = 60.0,
) -> str:
    """The shell's command line, quoted for ``sh -c`` (how sshd runs a ForceCommand).

    ``python`` must import this project (the venv's interpreter, whose editable install
    does); ``backend`` / ``runner`` are ``module:callable`` specs (:mod:`tasks.lab.vyos.hooks`).
    """
    argv = [python, "-m", SHELL_MODULE, "--version", version, "--state", str(state),
            "--host-name", host_name, "--user", user]  # fmt: skip
    if backend:
        argv += ["--backend", backend]
    if runner:
        argv += ["--runner", runner]
    for uri in vici_uris:
        argv += ["--vici-uri", uri]
    if confirm_minute != 60.0:
        argv += ["--confirm-minute", f"{confirm_minute:g}"]
    return shlex.join(argv)


def sshd_block(login_user: str, command: str) -> str:
    """The ``sshd_config`` lines that give ``login_user`` the VyOS shell (a ``Match`` block:
    it must come after every global option)."""
    return (
        f"Match User {login_user}\n"
        f"    ForceCommand {command}\n"
        "    PermitTTY yes\n"
        "    DisableForwarding yes\n"
    )
