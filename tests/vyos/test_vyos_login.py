"""The sshd side of a VyOS lab router (:mod:`tasks.lab.vyos.login`): the ForceCommand works as
sshd runs it, through ``sh -c`` with the client's command in ``SSH_ORIGINAL_COMMAND``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from pty_shell import HERE

from tasks import PROJECT_ROOT
from tasks.lab.vyos.cli import FACTORY
from tasks.lab.vyos.login import shell_command, sshd_block


def test_force_command_runs_through_sh_like_sshd(tmp_path: Path) -> None:
    state = tmp_path / "state dir" / "r1"  # a space: the quoting must hold
    command = shell_command("1.3", state, "r1", runner="vyos_fakes:runner")
    env = {**os.environ, "PYTHONPATH": f"{PROJECT_ROOT}:{HERE}",
           "SSH_ORIGINAL_COMMAND": "show configuration commands",
           "VYOS_FAKE_LOG": str(tmp_path / "calls.jsonl")}  # fmt: skip
    proc = subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True,
                          timeout=30, cwd=tmp_path, stdin=subprocess.DEVNULL)  # fmt: skip
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.splitlines() == sorted(FACTORY) and (state / "config.boot").exists()


def test_sshd_block() -> None:
    block = sshd_block("labadmin", "python -m tasks.lab.vyos.shell --version 1.4")
    assert block.splitlines() == [
        "Match User labadmin",
        "    ForceCommand python -m tasks.lab.vyos.shell --version 1.4",
        "    PermitTTY yes",
        "    DisableForwarding yes",
    ]
    command = shell_command("1.4", "/run/vyos/r1", "r1", vici_uris=["unix:///a b"], python="py")
    assert command == ("py -m tasks.lab.vyos.shell --version 1.4 --state /run/vyos/r1 "
                       "--host-name r1 --user vyos --vici-uri 'unix:///a b'")  # fmt: skip
