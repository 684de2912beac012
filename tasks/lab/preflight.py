"""Refuse early, with the fix, when the lab cannot run: not root, or a package missing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tasks.lab.topology import LabError

#: What the lab needs on the machine: path (or command) -> Debian package providing it.
REQUIREMENTS: dict[str, str] = {
    "/usr/lib/frr/zebra": "frr",
    "/usr/lib/frr/bgpd": "frr",
    "/usr/lib/frr/staticd": "frr",
    "/usr/lib/frr/frr-reload.py": "frr-pythontools",
    "vtysh": "frr",
    "/usr/lib/ipsec/charon": "strongswan-charon",
    "swanctl": "strongswan-swanctl",
    "/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so": "libcharon-extra-plugins",
    "/usr/sbin/sshd": "openssh-server",
    "ssh-keygen": "openssh-client",
    "ip": "iproute2",
    "nft": "nftables",
    "nsenter": "util-linux",
    "unshare": "util-linux",
    "/dev/net/tun": "(kernel TUN support: modprobe tun)",
}


def missing(requirements: dict[str, str] | None = None) -> dict[str, str]:
    found = {}
    for item, package in (requirements or REQUIREMENTS).items():
        present = Path(item).exists() if item.startswith("/") else shutil.which(item) is not None
        if not present:
            found[item] = package
    return found


def check(euid: int | None = None, requirements: dict[str, str] | None = None) -> None:
    """Raise :class:`LabError` saying how to fix it when not root or something is missing.

    ``euid`` and ``requirements`` exist so tests can simulate an unprivileged user or a
    missing package without dropping privileges.
    """
    euid = os.geteuid() if euid is None else euid
    if euid != 0:
        raise LabError(
            "the lab needs root (network namespaces, mounts, nftables): "
            "run it as root, e.g. `sudo .venv/bin/python runbooks/lab.py up`"
        )
    absent = missing(requirements)
    if absent:
        packages = sorted({p for p in absent.values() if not p.startswith("(")})
        lines = [f"  {item} (from {pkg})" for item, pkg in sorted(absent.items())]
        fix = f"apt-get install -y {' '.join(packages)}" if packages else ""
        raise LabError(
            "the lab cannot run, missing:\n" + "\n".join(lines) + (f"\nfix: {fix}" if fix else "")
        )
