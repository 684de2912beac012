"""Starting the lab's daemons, configuring its routers, and waiting until it is ready.

A router's FRR, sshd and charons; an AWS endpoint's charon, TUN address and FRR; a router
configured the way a deploy would (:mod:`tasks.lab.apply`); readiness: daemons answering and,
when configured, every BGP session Established and the VGW's best path installed.
"""

from __future__ import annotations

import functools
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tasks.lab import apply, charon, frr, procs, sshd
from tasks.lab.box import aws_box, router_box, vgw_box
from tasks.lab.inventory import write_inventory
from tasks.lab.topology import LabError, Plan
from tasks.lab.vyos import router as vyos_router


def start_router(
    plan: Plan,
    name: str,
    model: Any = None,
    endpoints: dict[str, threading.Event] | None = None,
    timeout: float = 20,
) -> None:
    """Start a router's daemons; with ``model``, configure it once its VGW endpoints answer."""
    r = plan.router(name)
    box = router_box(plan, name)
    frr.start(box, frr.ROUTER_DAEMONS)
    sshd.start(box)
    charon.start_in_order(box, [t.name for t in r.tunnels])
    if model is None:
        return
    for t in r.tunnels:
        procs.wait_for(functools.partial(charon.vici_ready, box, t.name), timeout, f"{r.ns} vici")
        if endpoints is not None and not endpoints[t.aws_ns].wait(timeout):
            raise LabError(f"{t.aws_ns}: VGW endpoint not ready after {timeout:.0f}s")
    procs.wait_for(lambda: frr.ready(box, frr.ROUTER_DAEMONS), timeout, f"{r.ns} FRR")
    configure_router(plan, model)


def start_endpoint(plan: Plan, t: Any, done: threading.Event | None = None) -> None:
    box = aws_box(plan, t)
    # The TUN device and its address first, FRR after: zebra was seen to miss an address
    # added to a fresh TUN device while it was starting.
    charon.start_in_order(box, ["aws"])
    proc = box.run(
        ["ip", "-batch", "-"],
        input=(f"link set dev ipsec0 mtu 1399 up\naddress replace {t.aws_inside}/30 dev ipsec0\n"),
    )
    if proc.returncode != 0:
        raise LabError(f"{box.ns}: inside address: {proc.stderr.strip()}")
    frr.start(box, frr.AWS_DAEMONS)
    procs.wait_for(lambda: charon.vici_ready(box, "aws"), 10, f"{box.ns} vici")
    charon.swanctl(box, "aws", "--load-all", "--file", "/etc/swanctl/lab.conf")
    if done is not None:
        done.set()


def _ssh_listening(address: str) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((address, 22)) == 0


def parallel(jobs: list[tuple[Any, tuple[Any, ...]]]) -> None:
    with ThreadPoolExecutor(max_workers=max(1, len(jobs))) as pool:
        futures = [pool.submit(fn, *args) for fn, args in jobs]
        errors = []
        for f in futures:
            try:
                f.result()
            except Exception as exc:
                errors.append(exc)
    if errors:
        raise LabError("; ".join(str(e) for e in errors)) from errors[0]


def router_models(config_file: Path) -> dict[str, Any]:
    from tasks.inventory import load, router_of

    nr = load(config_file)
    return {name: router_of(host) for name, host in nr.inventory.hosts.items()}


def twin_models(plan: Plan, models: dict[str, Any]) -> dict[str, Any]:
    """Each router as the ``frr`` host it is underneath: itself, or a VyOS router's twin
    (its inventory written beside the lab's, under ``twins/``)."""
    if all(m.platform == "frr" for m in models.values()):
        return models
    return router_models(write_inventory(plan.topo, plan.runtime / "twins", twins=True))


def configure_router(plan: Plan, model: Any) -> None:
    """Render the router's templates and apply them the way a deploy would (a VyOS router:
    committed and saved, then their effect applied, see :mod:`tasks.lab.vyos.router`)."""
    from tasks.render import render_router

    if model.platform == "vyos":
        vyos_router.configure(plan, model)
        return
    box = router_box(plan, model.name)
    files = render_router(model, reveal_secrets=True)
    apply.write_files(box, files)
    apply.execute(box, apply.apply_commands(model, files))
    # The identity the frr driver records at apply (tasks/platforms/frr/driver.py IDENTITY_FILE).
    apply.write_files(box, {"identity": f"{model.name}\n"})


def factory_reset_router(plan: Plan, model: Any) -> None:
    if model.platform == "vyos":
        vyos_router.factory_reset(plan, model)
        return
    box = router_box(plan, model.name)
    apply.write_files(box, apply.factory_files(model))
    apply.execute(box, apply.factory_commands(model))


def wait_ready(plan: Plan, configured: bool, timeout: float = 60) -> None:
    """Factory: sshd, FRR and charons answer. Configured: also every BGP session Established
    and the VGW holding every tunnel's path to 0.0.0.0/0 and its one best path installed."""

    def daemons_up() -> bool:
        for r in plan.routers:
            box = router_box(plan, r.name)
            if not frr.ready(box, frr.ROUTER_DAEMONS) or not _ssh_listening(str(r.mgmt)):
                return False
            if not all(charon.vici_ready(box, t.name) for t in r.tunnels):
                return False
        return frr.ready(vgw_box(plan), frr.AWS_DAEMONS)

    procs.wait_for(daemons_up, timeout, "daemons (FRR, sshd, charon)")
    if not configured:
        return

    def established() -> bool:
        for r in plan.routers:
            peers = frr.bgp_peers(router_box(plan, r.name))
            if len(peers) != len(r.tunnels) or any(
                p.get("state") != "Established" for p in peers.values()
            ):
                return False
        # Every tunnel's path at the VGW, so its choice is the settled one, and that choice
        # installed: zebra's route can lag bgpd's best path for a moment (a probe then left
        # through the backup right after up --configured).
        data = frr.vtysh_json(vgw_box(plan), "show ip bgp 0.0.0.0/0 json")
        paths = data.get("paths", [])
        best = [h.get("ip") for p in paths if (p.get("bestpath") or {}).get("overall")
                for h in p.get("nexthops", [])[:1]]  # fmt: skip
        installed = vgw_best(plan)
        return (
            len(paths) == len(plan.tunnels)
            and installed is not None
            and [installed["nexthop"]] == best
        )

    procs.wait_for(established, timeout, "BGP sessions Established", interval=0.05)


def vgw_best(plan: Plan) -> dict[str, str] | None:
    """Which router and tunnel the VGW's one best path to 0.0.0.0/0 goes through."""
    data = frr.vtysh_json(vgw_box(plan), "show ip route 0.0.0.0/0 json")
    for route in data.get("0.0.0.0/0", []):
        if route.get("protocol") != "bgp" or not route.get("selected"):
            continue
        for hop in route.get("nexthops", []):
            if hop.get("active"):
                for t in plan.tunnels:
                    if str(t.aws_backbone) == hop.get("ip"):
                        return {"router": t.router, "tunnel": t.name, "nexthop": hop["ip"]}
    return None
