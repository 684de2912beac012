"""Bring the lab up and down: the session lock, the lab's state, its secrets and files.

``up`` is idempotent (a healthy lab of the same topology is left as it is; anything else the
lab made is cleaned first). It seeds the boxes, wires them (:mod:`tasks.lab.plumb`), starts
the daemons and waits until the lab is ready (:mod:`tasks.lab.start`); a failed ``up`` keeps
the daemons' logs and tears the lab down. ``down`` removes every namespace, process,
interface, mount and file the lab made: processes by the PIDs it recorded (and any process
left inside one of its own ``<prefix>-*`` namespaces, which only the lab creates), namespaces
by name prefix, the host's management veth, and the runtime directory.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tasks.lab import aws, charon, frr, netns, preflight, procs, sshd
from tasks.lab.box import all_boxes, aws_box, router_box, vgw_box
from tasks.lab.inventory import COMMITTED_DIR, LAB_USER, write_config, write_inventory
from tasks.lab.plumb import plumb
from tasks.lab.start import (
    configure_router,
    parallel,
    router_models,
    start_endpoint,
    start_router,
    twin_models,
    wait_ready,
)
from tasks.lab.topology import DEFAULT_TOPOLOGY, LabError, Plan, Topology, load_topology
from tasks.lab.vyos import router as vyos_router

log = logging.getLogger(__name__)

STATE_FILE = "state.json"
#: Where a failed ``up`` keeps its daemons' logs before it tears the lab down (newest kept).
FAILED_LOGS_DIR = Path("/var/log/vpc-ha-lab")
FAILED_LOGS_KEPT = 5
#: Serialises lab sessions (pytest sessions, runbooks) on this machine; a standard lock file.
LOCK_FILE = Path("/run/lock/vpc-ha-lab.lock")


@contextlib.contextmanager
def session_lock(timeout: float = 900) -> Iterator[None]:
    """Hold the lab for a whole session: another session waiting here cannot tear it down."""
    LOCK_FILE.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LabError(
                        f"the lab is held by another session ({LOCK_FILE}) for {timeout:.0f}s"
                    ) from None
                time.sleep(0.5)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


# ---- state -----------------------------------------------------------------------------------


def read_state(runtime: Path) -> dict[str, Any] | None:
    try:
        return json.loads((runtime / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_state(plan: Plan, **fields: Any) -> None:
    state = {"topology": plan.topo.model_dump(mode="json"), **fields}
    (plan.runtime / STATE_FILE).write_text(json.dumps(state, indent=2), encoding="utf-8")


def healthy(plan: Plan) -> bool:
    """Every namespace exists, every recorded daemon is alive, and the files the lab inventory
    points at (client key, routers' host keys) are there: a lab built by an older checkout
    without them is rebuilt, not trusted."""
    if set(plan.namespaces) - set(netns.existing(plan.topo.prefix)):
        return False
    if not (plan.ssh_key.exists() and plan.known_hosts.exists()):
        return False
    for box in all_boxes(plan):
        pids = box.pids()
        if "anchor" not in pids or not all(procs.alive(p) for p in pids.values()):
            return False
    return True


# ---- secrets and files -----------------------------------------------------------------------


def make_secrets(plan: Plan) -> dict[tuple[str, str], str]:
    """Random PSK per tunnel into ``<runtime>/secrets/`` (mode 0600); never printed."""
    folder = plan.runtime / "secrets"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    psks = {}
    for t in plan.tunnels:
        path = plan.psk_file(t.router, t.name)
        if not path.exists():
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(24) + "\n", encoding="ascii")
        psks[(t.router, t.name)] = path.read_text(encoding="ascii").strip()
    return psks


def config_file_for(plan: Plan) -> Path:
    """Write the lab's Nornir config (absolute paths) and, if needed, its inventory."""
    target = plan.runtime / "nornir.yaml"
    if _is_default(plan.topo):
        return write_config(COMMITTED_DIR, target)
    return write_inventory(plan.topo, plan.runtime)


def _is_default(topo: Topology) -> bool:
    try:
        return load_topology(DEFAULT_TOPOLOGY) == topo
    except LabError:
        return False


def seed_boxes(plan: Plan, psks: dict[tuple[str, str], str], models: dict[str, Any]) -> None:
    """Every box's files before it starts; ``models``: the routers as the ``frr`` hosts they
    are underneath (a VyOS router's twin)."""
    pub = sshd.client_key(plan.ssh_key)
    vgw = vgw_box(plan)
    vgw.prepare()
    frr.seed(vgw, aws.vgw_frr(plan))
    known_hosts = []
    for r in plan.routers:
        box = router_box(plan, r.name)
        box.prepare()
        frr.seed(box, frr.factory_config(r.name))
        match = ""
        if r.spec.platform == "vyos":
            match = vyos_router.seed(box, plan.topo, r, models[r.name], LAB_USER)
        known_hosts.append(sshd.seed(box, str(r.mgmt), pub, match))
        for t in r.tunnels:
            charon.seed(box, t.name, t.index)
        for t in r.tunnels:
            ab = aws_box(plan, t)
            ab.prepare()
            frr.seed(ab, aws.endpoint_frr(plan, t))
            charon.seed(ab, "aws", 0)
            ab.seed(
                "/etc/swanctl/lab.conf",
                aws.endpoint_swanctl(t, models[r.name], psks[(r.name, t.name)]),
                mode=0o600,
            )
    # The lab inventory checks host keys strictly against this file, as production should.
    plan.known_hosts.write_text("".join(known_hosts), encoding="ascii")


def up(
    topo: Topology | None = None,
    configured: bool = False,
    timeout: float = 60,
    euid: int | None = None,
) -> dict[str, Any]:
    """Build the lab (or leave a healthy one as it is); returns timings and what was done."""
    preflight.check(euid=euid)
    topo = topo or load_topology()
    plan = Plan(topo)
    t0 = time.monotonic()
    state = read_state(plan.runtime)
    if state and state.get("topology") == topo.model_dump(mode="json") and healthy(plan):
        models = router_models(plan.runtime / "nornir.yaml")
        if configured and not state.get("configured"):
            parallel([(configure_router, (plan, m)) for m in models.values()])
            wait_ready(plan, configured=True, timeout=timeout)
            write_state(plan, configured=True, started=state.get("started"))
        return {"action": "already up", "seconds": time.monotonic() - t0}
    down(topo.prefix, plan.runtime)
    plan.runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_state(plan, configured=False, started=time.time(), phase="building")
    marks: dict[str, float] = {}

    def mark(name: str) -> None:
        marks[name] = round(time.monotonic() - t0, 3)

    try:
        psks = make_secrets(plan)
        config_file = config_file_for(plan)
        models = router_models(config_file)
        mark("inventory")
        seed_boxes(plan, psks, twin_models(plan, models))
        mark("seeded")
        plumb(plan)
        mark("plumbed")
        boxes = all_boxes(plan)
        for box in boxes:
            box.start_anchor()
        for box in boxes:
            procs.wait_for(box.ready, 10, f"{box.ns} anchor", interval=0.005)
        mark("anchors")
        jobs: list[tuple[Any, tuple[Any, ...]]] = [(frr.start, (vgw_box(plan), frr.AWS_DAEMONS))]
        done = {t.aws_ns: threading.Event() for t in plan.tunnels}
        jobs += [(start_endpoint, (plan, t, done[t.aws_ns])) for t in plan.tunnels]
        jobs += [
            (start_router, (plan, r.name, models[r.name] if configured else None, done))
            for r in plan.routers
        ]
        parallel(jobs)
        mark("daemons" + (" and configured" if configured else ""))
        wait_ready(plan, configured=configured, timeout=timeout)
        mark("ready")
    except BaseException as exc:
        where = keep_logs(plan.runtime)
        down(topo.prefix, plan.runtime)
        note = f"the lab was torn down; logs kept in {where}" if where else "the lab was torn down"
        log.error("lab up failed: %s (%s)", exc, note)
        if isinstance(exc, Exception):
            raise LabError(f"{exc}\n({note})") from exc
        raise
    write_state(plan, configured=configured, started=time.time(), phase="up")
    return {"action": "built", "seconds": time.monotonic() - t0, "phases": marks}


def keep_logs(runtime: Path) -> Path | None:
    """Copy every daemon log of the lab to a new folder under :data:`FAILED_LOGS_DIR`.

    ``down`` removes the runtime directory, so a failed ``up`` saves the evidence first: only
    ``*.log`` files (no keys, no configs). The oldest folders beyond the newest
    :data:`FAILED_LOGS_KEPT` are removed. Returns the folder, or None when there were no logs.
    """
    logs = sorted((runtime / "boxes").glob("**/*.log")) if (runtime / "boxes").is_dir() else []
    if not logs:
        return None
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = FAILED_LOGS_DIR / f"failed-up-{stamp}-{os.getpid()}"
    for source in logs:
        relative = source.relative_to(runtime / "boxes")
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            shutil.copyfile(source, target / relative)
    for old in sorted(FAILED_LOGS_DIR.glob("failed-up-*"))[:-FAILED_LOGS_KEPT]:
        shutil.rmtree(old, ignore_errors=True)
    return target


# ---- down ------------------------------------------------------------------------------------


def _pids_in_namespaces(prefix: str) -> list[int]:
    """Processes inside the lab's own namespaces (only the lab creates ``<prefix>-*``)."""
    inodes = set()
    for ns in netns.existing(prefix):
        with contextlib.suppress(OSError):
            inodes.add(Path(netns.NETNS_DIR / ns).stat().st_ino)
    if not inodes:
        return []
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if (entry / "ns" / "net").stat().st_ino in inodes:
                found.append(int(entry.name))
    return found


def down(prefix: str = "vha", runtime: Path = Path("/run/vpc-ha-lab")) -> dict[str, Any]:
    """Remove everything the lab made; safe to run when nothing is up."""
    t0 = time.monotonic()
    recorded: list[int] = []
    boxes_dir = runtime / "boxes"
    if boxes_dir.is_dir():
        for pid_file in boxes_dir.glob("*/pid/*.pid"):
            pid = procs.read_pid(pid_file)
            if pid and _in_lab_namespace(pid, prefix):
                recorded.append(pid)
    stray = [p for p in _pids_in_namespaces(prefix) if p not in recorded]
    hard = procs.stop(recorded + stray)
    namespaces = netns.existing(prefix)
    if namespaces:
        netns.finish([netns.batch([f"netns del {ns}" for ns in namespaces])], check=False)
    host_if = f"{prefix}-mgmt0"
    if Path(f"/sys/class/net/{host_if}").exists():
        netns.run(["ip", "link", "del", host_if], check=False)
    _unmount_under(runtime)
    if runtime.exists():
        shutil.rmtree(runtime, ignore_errors=True)
    return {
        "stopped": len(recorded) + len(stray),
        "killed": len(hard),
        "namespaces": namespaces,
        "seconds": time.monotonic() - t0,
    }


def _in_lab_namespace(pid: int, prefix: str) -> bool:
    """A recorded PID is only ours if it still runs inside one of the lab's namespaces."""
    try:
        ino = Path(f"/proc/{pid}/ns/net").stat().st_ino
    except OSError:
        return False
    for ns in netns.existing(prefix):
        with contextlib.suppress(OSError):
            if (netns.NETNS_DIR / ns).stat().st_ino == ino:
                return True
    return False


def _unmount_under(path: Path) -> None:
    for mount in reversed(lab_mounts(path)):
        netns.run(["umount", "-l", mount], check=False)


def lab_mounts(runtime: Path, prefix: str = "vha") -> list[str]:
    """Mount points in the host's mount namespace that belong to the lab."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text(encoding="utf-8").splitlines():
        point = line.split()[4]
        if point.startswith(str(runtime)) or point.startswith(f"/run/netns/{prefix}-"):
            found.append(point)
    return found


def leftovers(prefix: str = "vha", runtime: Path = Path("/run/vpc-ha-lab")) -> dict[str, list]:
    """What of the lab still exists (all empty after ``down``)."""
    return {
        "namespaces": netns.existing(prefix),
        "processes": _pids_in_namespaces(prefix),
        "interfaces": [i for i in socket.if_nameindex() if i[1].startswith(f"{prefix}-")],
        "mounts": lab_mounts(runtime, prefix),
        "runtime": [str(runtime)] if runtime.exists() else [],
    }
