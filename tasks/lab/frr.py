"""An FRR instance in a box: zebra, bgpd (and staticd on routers) on the stock paths.

Each daemon runs in the foreground with ``-f /etc/frr/frr.conf`` (the integrated config, in the
box's /etc overlay) and its vty sockets in the box's ``/run/frr``; ``vtysh`` inside the box
reaches them with no options.
"""

from __future__ import annotations

import json
from typing import Any

from tasks.lab import procs
from tasks.lab.box import Box
from tasks.lab.topology import LabError

FRR_DIR = "/usr/lib/frr"
ROUTER_DAEMONS = ("zebra", "bgpd", "staticd")
AWS_DAEMONS = ("zebra", "bgpd")


def factory_config(hostname: str) -> str:
    """What a router's FRR holds in factory state: no BGP, no policy."""
    return f"frr defaults traditional\nhostname {hostname}\nservice integrated-vtysh-config\n!\n"


def seed(box: Box, config: str) -> None:
    """Write /etc/frr/frr.conf and make /run/frr before the box starts."""
    box.seed("/etc/frr/frr.conf", config, mode=0o640, owner="frr")
    frr_etc = box.upper / "frr"
    import shutil

    shutil.chown(frr_etc, "frr", "frr")
    frr_etc.chmod(0o750)
    run = box.run_dir / "frr"
    run.mkdir(parents=True, exist_ok=True)
    shutil.chown(run, "frr", "frr")


def start(box: Box, daemons: tuple[str, ...], timeout: float = 10) -> None:
    """Start zebra, wait until it has read the kernel's interfaces, then the others.

    An interface or address that appears while zebra is still starting can be missed (seen:
    bgpd then fails "nexthop_set" on a tunnel forever), so nothing else starts before it.
    """
    for daemon in daemons:
        if daemon != "zebra" and "zebra" in daemons:
            procs.wait_for(lambda: ready(box, ("zebra",)), timeout, f"{box.ns} zebra", 0.005)
        box.spawn(
            daemon,
            [f"{FRR_DIR}/{daemon}", "-f", "/etc/frr/frr.conf", "-A", "127.0.0.1", "-P", "0",
             "--log", f"file:/run/frr/{daemon}.log"],
        )  # fmt: skip


def ready(box: Box, daemons: tuple[str, ...]) -> bool:
    return all(box.path(f"/run/frr/{d}.vty").exists() for d in daemons)


def vtysh(box: Box, *commands: str, timeout: float = 20) -> str:
    argv = ["vtysh"]
    for command in commands:
        argv += ["-c", command]
    proc = box.run(argv, timeout=timeout)
    if proc.returncode != 0:
        raise LabError(f"{box.ns}: vtysh {commands}: {(proc.stderr or proc.stdout).strip()}")
    return proc.stdout


def vtysh_json(box: Box, command: str) -> Any:
    out = vtysh(box, command)
    try:
        return json.loads(out) if out.strip() else {}
    except json.JSONDecodeError as exc:
        raise LabError(f"{box.ns}: {command}: not JSON: {out[:200]}") from exc


def bgp_peers(box: Box) -> dict[str, dict[str, Any]]:
    """Neighbor address to FRR's summary record (``state``, ``peerUptime`` ...)."""
    data = vtysh_json(box, "show bgp ipv4 unicast summary json")
    return dict(data.get("peers", {}))
