"""How rendered ``frr`` files are applied on a router: pure command lists, and a lab executor.

On a lab router (over SSH as ``labadmin``, or from the host through :meth:`Box.run`) the box is
an ordinary Debian FRR + strongSwan router, and a deploy does exactly this:

1. write each rendered file under ``/etc/vpc-ha/`` (``frr.conf``, ``swanctl/<tunnel>.conf``,
   ``nftables.nft``, ``interfaces.ip``), mode 0600 (the swanctl files hold the PSK);
2. run :func:`apply_commands`, in order (each must exit 0):

   - ``ip -batch /etc/vpc-ha/interfaces.ip`` (tunnel MTU, up, inside address: before swanctl,
     or charon finds no local address for the traffic selector)
   - ``nft -f /etc/vpc-ha/nftables.nft`` (replaces table ``ip vpc_ha`` whole)
   - ``swanctl --load-all --clear --file /etc/vpc-ha/swanctl/<t>.conf --uri <vici_uri>`` per
     tunnel (connections not in the file are unloaded; ``start_action = start`` initiates)
   - ``install -m 640 -o frr -g frr /etc/vpc-ha/frr.conf /etc/frr/frr.conf`` then
     ``/usr/lib/frr/frr-reload.py --reload --stdout /etc/frr/frr.conf`` (a diff against the
     running config: lines removed from the file are removed from the daemons), then
     ``vtysh -c 'configure terminal' -c 'bgp route-map delay-timer 0' -c 'no bgp route-map
     delay-timer'``: config unchanged, but bgpd runs its pending route-map update at once
     instead of holding new sessions for its 5 s route-map delay (saves ~4 s per deploy)

:func:`factory_commands` takes a router back to factory state the same way (terminates and
unloads the tunnels, deletes the nft table, flushes the tunnel addresses, reloads an FRR
config without BGP or policy). Useful checks on a router: ``vtysh -c 'show bgp summary json'``,
``swanctl --list-sas --uri <vici_uri>``, ``nft list table ip vpc_ha``, ``ip -br addr``.
"""

from __future__ import annotations

import shlex

from tasks.lab.box import Box
from tasks.lab.frr import factory_config
from tasks.lab.topology import LabError
from tasks.model import Router

CONFIG_DIR = "/etc/vpc-ha"
FRR_RELOAD = "/usr/lib/frr/frr-reload.py"
SWANCTL_DEFAULT_URI = "unix:///var/run/charon.vici"


def _uri(router: Router, tunnel_name: str) -> str:
    tunnel = next(t for t in router.tunnels if t.name == tunnel_name)
    return tunnel.vici_uri or SWANCTL_DEFAULT_URI


#: Leaves the config as it was but runs bgpd's pending route-map update now: after a config
#: change bgpd holds new sessions until its route-map delay timer (5 s) fires.
FLUSH_ROUTE_MAPS = (
    "printf 'bgp route-map delay-timer 0\\nno bgp route-map delay-timer\\n' | vtysh -f /dev/stdin"
)


def frr_reload(path: str) -> list[str]:
    q = shlex.quote(path)
    return [
        f"install -m 640 -o frr -g frr {q} /etc/frr/frr.conf",
        f"{FRR_RELOAD} --reload --stdout /etc/frr/frr.conf",
        FLUSH_ROUTE_MAPS,
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
    for t in router.tunnels:
        name = f"swanctl/{t.name}.conf"
        if name in files:
            commands.append(
                f"swanctl --load-all --clear --file {d}/{name} --uri {_uri(router, t.name)}"
            )
    if "frr.conf" in files:
        commands += frr_reload(f"{d}/frr.conf")
    return commands


def factory_commands(router: Router, config_dir: str = CONFIG_DIR) -> list[str]:
    """Shell commands that return a router to factory state (needs ``factory.conf`` written)."""
    d = config_dir.rstrip("/")
    commands = []
    for t in router.tunnels:
        uri = _uri(router, t.name)
        commands += [
            f"swanctl --load-all --clear --file {d}/empty.conf --uri {uri}",
            f"swanctl --terminate --ike {t.name} --force --uri {uri} >/dev/null 2>&1 || true",
        ]
    commands.append("nft delete table ip vpc_ha >/dev/null 2>&1 || true")
    commands += [f"ip address flush dev {t.interface}" for t in router.tunnels]
    commands += frr_reload(f"{d}/factory.conf")
    return commands


def factory_files(router: Router) -> dict[str, str]:
    return {"factory.conf": factory_config(router.name), "empty.conf": "connections {\n}\n"}


def write_files(box: Box, files: dict[str, str], config_dir: str = CONFIG_DIR) -> None:
    for name, text in files.items():
        box.write(f"{config_dir}/{name}", text, mode=0o600)


def execute(box: Box, commands: list[str]) -> None:
    """Run apply commands in a lab box, stopping at the first failure."""
    for command in commands:
        proc = box.sh(command, timeout=60)
        if proc.returncode != 0:
            raise LabError(
                f"{box.ns}: `{command}` failed ({proc.returncode}): "
                f"{(proc.stderr or proc.stdout).strip()[:800]}"
            )
