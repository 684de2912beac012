"""A "box": one lab machine = a network namespace plus its own mount and UTS namespaces.

Inside a box ``/etc`` is an overlay on the host's (writes land in the box's upper directory),
``/run`` is the box's own directory, and the hostname is the box's name. So daemons use their
stock paths (``/etc/frr/frr.conf``, ``/run/frr``), ``vtysh`` needs no ``-N``, and an SSH
session on a lab router sees an ordinary Debian router. The mount namespace is held by an
anchor process (``sleep infinity``); everything else joins it with ``nsenter``.

Host-side layout: ``<runtime>/boxes/<ns>/{upper,work,run,log,pid}``. The boxes of a plan
(:func:`router_box`, :func:`aws_box`, :func:`vgw_box`, :func:`all_boxes`) are named here too.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tasks.lab import procs
from tasks.lab.topology import LabError, Plan


class Box:
    def __init__(self, runtime: Path, ns: str, hostname: str) -> None:
        self.ns = ns
        self.hostname = hostname
        self.dir = runtime / "boxes" / ns
        self.upper = self.dir / "upper"
        self.work = self.dir / "work"
        self.run_dir = self.dir / "run"
        self.log_dir = self.dir / "log"
        self.pid_dir = self.dir / "pid"

    # ---- files -------------------------------------------------------------------------------

    def prepare(self) -> None:
        for d in (self.upper, self.work, self.run_dir, self.log_dir, self.pid_dir):
            d.mkdir(parents=True, exist_ok=True)

    def seed(self, path: str, text: str, mode: int = 0o644, owner: str | None = None) -> None:
        """Write a box file before the box starts (``/etc/...`` into the overlay's upper dir)."""
        target = self._host_path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        os.chmod(target, mode)
        if owner:
            shutil.chown(target, owner, owner)

    def _host_path(self, path: str) -> Path:
        if path.startswith("/etc/"):
            return self.upper / path.removeprefix("/etc/")
        if path.startswith("/run/"):
            return self.run_dir / path.removeprefix("/run/")
        raise LabError(f"box files live under /etc or /run, not {path}")

    def path(self, path: str) -> Path:
        """A path as seen inside the running box, reachable from the host (/proc/PID/root)."""
        return Path(f"/proc/{self.anchor_pid()}/root") / path.lstrip("/")

    def write(self, path: str, text: str, mode: int = 0o644) -> None:
        """Write a file inside the running box (through its mount namespace)."""
        target = self.path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(target, mode)

    # ---- processes ---------------------------------------------------------------------------

    def start_anchor(self) -> int:
        script = (
            f"hostname {shlex.quote(self.hostname)} && "
            f"mount -t overlay overlay -o lowerdir=/etc,upperdir={self.upper},"
            f"workdir={self.work} /etc && "
            f"mount --rbind {self.run_dir} /run && exec sleep infinity"
        )
        argv = ["ip", "netns", "exec", self.ns, "unshare", "-m", "-u", "--propagation", "private"]
        return procs.spawn(
            [*argv, "sh", "-c", script], self.log_dir / "anchor.log", self.pid_dir / "anchor.pid"
        )

    def anchor_pid(self) -> int:
        pid = procs.read_pid(self.pid_dir / "anchor.pid")
        if pid is None:
            raise LabError(f"box {self.ns} is not running (no anchor pid)")
        return pid

    def ready(self) -> bool:
        pid = procs.read_pid(self.pid_dir / "anchor.pid")
        return pid is not None and procs.comm(pid) == "sleep"

    def enter(self) -> list[str]:
        return ["nsenter", "-t", str(self.anchor_pid()), "-m", "-u", "-n", "--"]

    def spawn(self, name: str, argv: Sequence[str], env: dict[str, str] | None = None) -> int:
        """Start a daemon in the box (foreground), recorded as ``pid/<name>.pid``."""
        return procs.spawn(
            [*self.enter(), *argv], self.log_dir / f"{name}.log", self.pid_dir / f"{name}.pid", env
        )

    def run(
        self, argv: Sequence[str], input: str | None = None, timeout: float = 30
    ) -> subprocess.CompletedProcess:
        """Run a command in the box and wait; output captured as text, never raises on rc."""
        return subprocess.run(
            [*self.enter(), *argv],
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def sh(self, command: str, timeout: float = 30) -> subprocess.CompletedProcess:
        return self.run(["sh", "-c", command], timeout=timeout)

    def pids(self) -> dict[str, int]:
        """Recorded daemon PIDs by name (anchor included)."""
        if not self.pid_dir.is_dir():
            return {}
        found = {}
        for f in self.pid_dir.glob("*.pid"):
            pid = procs.read_pid(f)
            if pid:
                found[f.stem] = pid
        return found


# ---- boxes of a plan -------------------------------------------------------------------------


def router_box(plan: Plan, name: str) -> Box:
    r = plan.router(name)
    return Box(plan.runtime, r.ns, r.name)


def aws_box(plan: Plan, t: Any) -> Box:
    return Box(plan.runtime, t.aws_ns, f"aws-{t.router}-{t.index + 1}")


def vgw_box(plan: Plan) -> Box:
    return Box(plan.runtime, plan.vgw_ns, "vgw")


def all_boxes(plan: Plan) -> list[Box]:
    return [
        vgw_box(plan),
        *(router_box(plan, r.name) for r in plan.routers),
        *(aws_box(plan, t) for t in plan.tunnels),
    ]
