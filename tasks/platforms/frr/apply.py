"""The shell commands that make rendered ``frr`` files live on a Linux FRR + strongSwan router.

Pure functions, shared by the SSH driver (:mod:`tasks.platforms.frr.driver`) and the lab's direct
configuration, so a lab configured with ``lab.py up --configured`` and a lab configured by
``deploy.py`` run exactly the same commands. Order matters:

1. ``ip -batch interfaces.ip``: tunnel MTU, up, inside address. Before swanctl, or charon finds
   no local address for the traffic selector.
2. ``nft -f nftables.nft``: replaces table ``ip vpc_ha`` whole (NAT and MSS clamp).
3. ``swanctl --load-all --clear --file <tunnel>.conf --uri <vici>`` per tunnel: connections
   not in the file are unloaded; ``start_action = start`` initiates.
4. ``isp-health.sh``: the ISP health monitor (re)started in its own session, or stopped and its
   token route removed when the file is the empty version. Before frr.conf, so the token is in
   place when the conditional advertisement that depends on it arrives.
5. Install ``frr.conf`` as ``/etc/frr/frr.conf`` and ``frr-reload.py --reload``: a diff against
   the running daemons, so lines removed from the file are removed from the router. Then
   bgpd's pending route-map update is run at once instead of after its 5 s delay timer.
"""

from __future__ import annotations

import shlex

from tasks.model import Router
from tasks.model.isp import HEALTH_TOKEN

CONFIG_DIR = "/etc/vpc-ha"
FRR_CONF = "/etc/frr/frr.conf"
FRR_RELOAD = "/usr/lib/frr/frr-reload.py"
SWANCTL_DEFAULT_URI = "unix:///var/run/charon.vici"
EMPTY_SWANCTL = "connections {\n}\n"
EMPTY_NFT = "table ip vpc_ha\ndelete table ip vpc_ha\n"
#: The table as nft itself lists it (``-s``: no counters) right after each apply: the
#: evidence deploy's diff compares the live table with, so a rule changed out of band is seen.
NFT_APPLIED = f"{CONFIG_DIR}/nftables.applied"
LIST_NFT = "nft -s list table ip vpc_ha"

#: The ISP health monitor: the rendered script runs from a copy (a script being read by sh must
#: never be rewritten in place), in its own session (pid = process group), its state beside it.
HEALTH_SH = "isp-health.sh"
HEALTH_RUN = f"{CONFIG_DIR}/isp-health.run"
HEALTH_PID = f"{CONFIG_DIR}/isp-health.pid"
HEALTH_STATE = f"{CONFIG_DIR}/isp-health.state"
#: Exit status 0 exactly while the monitor runs (its pid record names a live process group).
HEALTH_RUNNING = f"test -s {HEALTH_PID} && kill -0 $(cat {HEALTH_PID}) 2>/dev/null"
#: What templates/frr/isp-health.sh.j2 renders for a router without (or with suspended) checks.
EMPTY_HEALTH = "# no ISP health monitor (isp_health not set, or suspended for maintenance)\n"

#: Leaves the config as it was but runs bgpd's pending route-map update now: after a config
#: change bgpd holds new sessions until its route-map delay timer (5 s) fires.
FLUSH_ROUTE_MAPS = (
    "printf 'bgp route-map delay-timer 0\\nno bgp route-map delay-timer\\n' | vtysh -f /dev/stdin"
)


def vici_uri(router: Router, tunnel_name: str) -> str:
    tunnel = next(t for t in router.tunnels if t.name == tunnel_name)
    return tunnel.vici_uri or SWANCTL_DEFAULT_URI


def frr_reload(path: str) -> list[str]:
    q = shlex.quote(path)
    return [
        f"install -m 640 -o frr -g frr {q} {FRR_CONF}",
        f"{FRR_RELOAD} --reload --stdout {FRR_CONF}",
        FLUSH_ROUTE_MAPS,
    ]


def health_commands(path: str, text: str) -> list[str]:
    """Stop the running monitor; start ``path`` (already written) unless it is the empty one.

    ``9>&-``: the monitor must not inherit the change lock's descriptor (it would hold the
    router's lock forever). Stopping it for good also removes the token, so nothing is left
    that a later config could mistake for a healthy ISP.
    """
    stop = (
        f"if test -s {HEALTH_PID}; then kill -- -$(cat {HEALTH_PID}) 2>/dev/null; fi; "
        f"rm -f {HEALTH_PID}"
    )
    if text == EMPTY_HEALTH:
        return [
            f"{stop}; ip route del blackhole {HEALTH_TOKEN}/32 2>/dev/null; "
            f"rm -f {HEALTH_RUN} {HEALTH_STATE}; true"
        ]
    q = shlex.quote(path)
    return [
        stop,
        f"cp {q} {HEALTH_RUN}.new && mv -f {HEALTH_RUN}.new {HEALTH_RUN}",
        f"( setsid sh {HEALTH_RUN} {HEALTH_STATE} >/dev/null 2>&1 < /dev/null 9>&- & "
        f"echo $! > {HEALTH_PID}.new && mv -f {HEALTH_PID}.new {HEALTH_PID} )",
    ]


def apply_commands(
    router: Router, files: dict[str, str], config_dir: str = CONFIG_DIR
) -> list[str]:
    """Shell commands that apply ``files`` (already written under ``config_dir``), in order."""
    d = config_dir.rstrip("/")
    commands: list[str] = []
    if "interfaces.ip" in files:
        commands.append(f"ip -batch {d}/interfaces.ip")
    if "nftables.nft" in files:
        commands.append(f"nft -f {d}/nftables.nft")
        commands.append(f"{{ {LIST_NFT} 2>/dev/null || true; }} > {NFT_APPLIED}")
    for t in router.tunnels:
        name = f"swanctl/{t.name}.conf"
        if name in files:
            uri = shlex.quote(vici_uri(router, t.name))
            commands.append(f"swanctl --load-all --clear --file {d}/{name} --uri {uri}")
            if files[name] != EMPTY_SWANCTL:
                # Loading an unchanged connection does not start it again (start_action acts
                # on change only): bring up a tunnel that is down, without failing the apply.
                commands.append(
                    f"swanctl --list-sas --ike {t.name} --uri {uri} 2>/dev/null | grep -q "
                    f"ESTABLISHED || swanctl --initiate --child {t.name} --timeout 10 "
                    f"--uri {uri} >/dev/null 2>&1 || true"
                )
            if files[name] == EMPTY_SWANCTL:
                quiet = ">/dev/null 2>&1 || true"
                commands.append(f"swanctl --terminate --ike {t.name} --force --uri {uri} {quiet}")
    if HEALTH_SH in files:
        commands += health_commands(f"{d}/{HEALTH_SH}", files[HEALTH_SH])
    if "frr.conf" in files:
        commands += frr_reload(f"{d}/frr.conf")
    return commands


def empty_files(router: Router) -> dict[str, str]:
    """Files that, applied, remove everything this toolkit configures (but FRR: see caller)."""
    files = {f"swanctl/{t.name}.conf": EMPTY_SWANCTL for t in router.tunnels}
    files["nftables.nft"] = EMPTY_NFT
    files["interfaces.ip"] = "".join(f"address flush dev {t.interface}\n" for t in router.tunnels)
    files[HEALTH_SH] = EMPTY_HEALTH
    return files
