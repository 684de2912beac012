"""How rendered ``frr`` files are applied on a router: pure command lists, and a lab executor.

On a lab router (over SSH as ``labadmin``, or from the host through :meth:`Box.run`) the box is
an ordinary Debian FRR + strongSwan router, and a deploy does exactly this:

1. write each rendered file under ``/etc/vpc-ha/`` (``frr.conf``, ``swanctl/<tunnel>.conf``,
   ``nftables.nft``, ``interfaces.ip``), mode 0600 (the swanctl files hold the PSK);
2. run :func:`tasks.platforms.frr.apply.apply_commands` (the SSH driver runs the same
   list), in order (each must exit 0):

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

from tasks.lab.box import Box
from tasks.lab.frr import factory_config
from tasks.lab.topology import LabError
from tasks.model import Router
from tasks.platforms.frr.apply import CONFIG_DIR, apply_commands, empty_files

__all__ = ["CONFIG_DIR", "apply_commands", "execute", "factory_commands", "factory_files"]

FACTORY_DIR = "factory"


def factory_files(router: Router) -> dict[str, str]:
    """What a factory router runs: no tunnels, no NAT table, FRR without BGP or policy."""
    files = {**empty_files(router), "frr.conf": factory_config(router.name)}
    return {f"{FACTORY_DIR}/{name}": text for name, text in files.items()}


def factory_commands(router: Router, config_dir: str = CONFIG_DIR) -> list[str]:
    """Shell commands that return a router to factory state (``factory_files`` written first).

    The same apply sequence as a deploy, on empty files; then the staged deploy files and any
    armed rollback timer are removed, as on a router fresh from the box.
    """
    d = config_dir.rstrip("/")
    files = {n.removeprefix(f"{FACTORY_DIR}/"): t for n, t in factory_files(router).items()}
    return [
        *apply_commands(router, files, f"{d}/{FACTORY_DIR}"),
        f"test -f {d}/rollback.pid && kill -- -$(cat {d}/rollback.pid) 2>/dev/null; true",
        f"cd {d} && rm -rf swanctl candidate rollback frr.conf nftables.nft interfaces.ip "
        "rollback.sh rollback.pid rollback.log identity",
    ]


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
