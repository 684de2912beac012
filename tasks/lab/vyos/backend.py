"""What a commit on a lab VyOS router does to the router underneath: its real FRR, strongSwan
and nftables take the committed tree's meaning.

The tree becomes the FRR platform's files (:func:`tasks.lab.vyos.translate.translate`, from
VyOS's own templates and conf scripts), fitted to the lab's plumbing, and goes live through
the FRR platform's own apply commands (:func:`tasks.platforms.frr.apply.apply_commands`), the
same ones a deploy to an ``frr`` lab router runs. The fitting is the lab's, not VyOS's: VyOS
names its tunnel interfaces ``vtiN`` and runs one charon on port 500; a lab router's tunnels are
charon's userspace ``ipsecN`` devices, one charon per tunnel, each on its own IKE port and
control socket. The router's *twin* (the ``frr`` host it is underneath, written by the lab at
``up``) says which.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from tasks.lab.vyos.hooks import CommitFailed
from tasks.lab.vyos.names import to_swanctl
from tasks.lab.vyos.translate import TranslationError, translate
from tasks.model import Router
from tasks.platforms.frr.apply import CONFIG_DIR, apply_commands

#: Where the box keeps its twin (the Router model as JSON) and the applied files.
TWIN = f"{CONFIG_DIR}/vyos/twin.json"
APPLIED_DIR = f"{CONFIG_DIR}/vyos/applied"

_VTI = re.compile(r"\bvti(\d+)\b")
_REMOTE_ADDRS = re.compile(r"^(\s*)remote_addrs = (\S+)$", re.MULTILINE)

Runner = Callable[[str], "subprocess.CompletedProcess[str]"]


def run_sh(command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", "-c", command], capture_output=True, text=True, timeout=120, check=False
    )


def fit_to_lab(files: dict[str, str], twin: Router) -> dict[str, str]:
    """VyOS's ``vtiN`` as the lab's devices; each tunnel's IKE port where it is not 500; 1.3's
    connection names as swanctl.conf can hold them (:mod:`tasks.lab.vyos.names`)."""
    devices = {f"vti{k}": t.interface for k, t in enumerate(twin.tunnels)}
    ports = {str(t.outside_address): t.ike_local_port for t in twin.tunnels}

    def device(found: re.Match[str]) -> str:
        return devices.get(found.group(0), found.group(0))

    def port(found: re.Match[str]) -> str:
        line = found.group(0)
        local = ports.get(found.group(2), 500)
        return line if local == 500 else f"{line}\n{found.group(1)}local_port = {local}"

    fitted = {}
    for name, text in files.items():
        if name.startswith("swanctl/"):
            fitted[name] = to_swanctl(_REMOTE_ADDRS.sub(port, text))
        else:
            fitted[name] = _VTI.sub(device, text)
    return fitted


@dataclass
class LabCommit:
    """The commit backend of a lab VyOS router: ``commit(version, active_entries)``."""

    twin: Router
    run: Runner = run_sh
    directory: str = APPLIED_DIR

    @classmethod
    def from_file(cls, path: str | Path = TWIN) -> LabCommit:
        return cls(Router.model_validate_json(Path(path).read_text(encoding="utf-8")))

    def files(self, version: str, entries: Iterable[tuple[str, ...]]) -> dict[str, str]:
        names = {str(t.outside_address): t.name for t in self.twin.tunnels}
        return fit_to_lab(translate(entries, version, file_names=names), self.twin)

    def __call__(self, version: str, entries: Iterable[tuple[str, ...]]) -> None:
        """Make ``entries`` live; raises :class:`CommitFailed` with VyOS's path and why."""
        try:
            files = self.files(version, entries)
        except TranslationError as exc:
            raise CommitFailed(_path_of(str(exc)), str(exc)) from exc
        root = Path(self.directory)
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.touch(mode=0o600)  # the swanctl files hold the PSK
            path.write_text(text, encoding="utf-8")
        for command in apply_commands(self.twin, files, self.directory):
            done = self.run(command)
            if done.returncode != 0:
                tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
                program = command.split()[0]
                raise CommitFailed(_PATHS.get(program, program), f"{program} failed: "
                                   f"{' / '.join(tail)}")  # fmt: skip


#: The VyOS subtree whose commit a failing apply command stands for (the ``[ path ]`` line).
_PATHS = {"ip": "interfaces vti", "nft": "nat", "swanctl": "vpn ipsec", "install": "protocols bgp",
          "/usr/lib/frr/frr-reload.py": "protocols bgp", "printf": "protocols bgp",
          "sh": "protocols failover", "cp": "protocols failover"}  # fmt: skip


def _path_of(message: str) -> str:
    """The path a refusal names in backquotes (``translate_tree`` says it), else the root."""
    found = re.search(r"`([^`]+)`", message)
    return found.group(1) if found else "system"


def lab_commit(version: str, entries: Iterable[tuple[str, ...]]) -> None:
    """The backend the lab's sshd names (``--backend tasks.lab.vyos.backend:lab_commit``): the
    router's twin from its box, read at each commit."""
    LabCommit.from_file()(version, entries)
