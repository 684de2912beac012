"""Refuse early, with the fix, when the lab cannot run: not root, a file or package missing, or
a daemon that would not start.

Checks, in about half a second: every file in :func:`tasks.lab.packages.runtime_files` exists;
each daemon binary runs (``-v``); charon, started once in a throwaway network and mount
namespace with the lab's plugin list, loads every plugin. A missing plugin would otherwise
surface 10 s later as a timeout on a TUN device, after half the lab was built.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tasks.lab import charon
from tasks.lab.topology import LabError


def runtime_files() -> dict[str, str]:
    # Imported here, not at the top: ``python -m tasks.lab.packages`` (the installer) must not
    # find its own module already imported through tasks.lab -> control -> preflight.
    from tasks.lab.packages import runtime_files as files

    return files()


#: Daemons that must start: a version run proves the binary and its libraries load.
SMOKE: dict[str, list[str]] = {
    "zebra": ["/usr/lib/frr/zebra", "-v"],
    "bgpd": ["/usr/lib/frr/bgpd", "-v"],
    "staticd": ["/usr/lib/frr/staticd", "-v"],
    "sshd": ["/usr/sbin/sshd", "-V"],
}


def missing(requirements: dict[str, str] | None = None) -> dict[str, str]:
    """Files or commands (of ``requirements``, default every runtime file) that are absent."""
    found = {}
    for item, package in (requirements or runtime_files()).items():
        present = Path(item).exists() if item.startswith("/") else shutil.which(item) is not None
        if not present:
            found[item] = package
    return found


def _fix(packages: set[str]) -> str:
    known = sorted(p for p in packages if not p.startswith("("))
    return f"apt-get install -y {' '.join(known)}" if known else ""


def smoke_problems(requirements: dict[str, str]) -> list[str]:
    """Each daemon that does not run: '<name>: <its error>'."""
    problems = []
    for name, argv in SMOKE.items():
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=5, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            problems.append(f"{name}: {exc}")
            continue
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            problems.append(f"{name}: exit {proc.returncode}: {detail[0] if detail else ''}")
    return problems


def root_problem(what: str, euid: int | None = None) -> str | None:
    """``"<what> needs root ...: run as root"`` when this process is not root, else None."""
    euid = os.geteuid() if euid is None else euid
    if euid == 0:
        return None
    return f"{what} needs root (network namespaces, mounts, nftables): run it as root"


def rerun_as_root() -> str:
    """The command line of this process, as root: the fix to name."""
    return "sudo " + " ".join([sys.executable, *sys.argv])


def check(
    euid: int | None = None,
    requirements: dict[str, str] | None = None,
    plugins: str | None = None,
) -> None:
    """Raise :class:`LabError` saying how to fix it when the lab cannot run here.

    ``euid``, ``requirements`` and ``plugins`` exist so tests can simulate an unprivileged
    user, a missing package or a broken plugin list without changing the machine.
    """
    problem = root_problem("the lab", euid)
    if problem:
        raise LabError(problem + ", e.g. `sudo .venv/bin/python runbooks/lab.py up`")
    requirements = requirements or runtime_files()
    absent = missing(requirements)
    if not Path("/dev/net/tun").exists():
        absent["/dev/net/tun"] = "(kernel TUN support: modprobe tun)"
    if absent:
        lines = [f"  {item} (from {pkg})" for item, pkg in sorted(absent.items())]
        fix = _fix(set(absent.values()))
        raise LabError(
            "the lab cannot run, missing:\n" + "\n".join(lines) + (f"\nfix: {fix}" if fix else "")
        )
    problems = smoke_problems(requirements)
    unloaded = charon.unloadable_plugins(plugins or charon.PLUGINS)
    if unloaded:
        files = {charon.plugin_file(p): p for p in unloaded}
        packages = {requirements.get(f, "(unknown package)") for f in files}
        problems += [
            f"charon cannot load plugin {p!r} ({f}, from {requirements.get(f, 'no known package')})"
            for f, p in files.items()
        ]
        fix = _fix(packages)
        raise LabError(
            "the lab cannot run:\n  " + "\n  ".join(problems) + (f"\nfix: {fix}" if fix else "")
        )
    if problems:
        raise LabError("the lab cannot run, a daemon does not start:\n  " + "\n  ".join(problems))
