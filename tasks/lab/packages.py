"""The lab's Debian packages: the one install list, where each file the lab runs comes from, and
an audit that proves the list is complete on a machine where more happens to be installed.

Why an audit: ``apt-get install --no-install-recommends`` installs only hard dependencies, so a
file the lab loads from a package that is merely *recommended* (charon's ``openssl`` plugin, in
``libstrongswan-standard-plugins``) is present on a developer's machine and missing on a fresh
one. The audit asks dpkg which package owns each file in :data:`RUNTIME_FILES` and fails unless
that package is in :data:`PACKAGES`, is pulled in by them without recommends (``apt-cache depends
--recurse --no-recommends``), or is Essential (on every Debian system by policy). ``.ci/run``
runs it after the install, so a package present only by accident fails CI.

``python -m tasks.lab.packages install`` installs what is missing (root, apt-get);
``... audit`` checks the list; ``... list`` prints it (one name a line).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

#: What the lab needs installed, and why. ``--no-install-recommends`` is used, so a package
#: that provides a file the lab loads must be named here even when another one recommends it.
LAB_PACKAGES: dict[str, str] = {
    "frr": "zebra, bgpd, staticd, vtysh: every router, VGW endpoint and the VGW",
    "frr-pythontools": "frr-reload.py: the frr driver's diff and apply",
    "strongswan-charon": "charon: one IKE daemon per tunnel",
    "strongswan-swanctl": "swanctl and the vici plugin",
    "libstrongswan-standard-plugins": "charon's openssl plugin (SHA1/SHA2, AES, DH): only "
    "recommended by strongswan-charon",
    "libcharon-extra-plugins": "charon's kernel-libipsec plugin (userspace ESP, TUN devices)",
    "openssh-server": "sshd: each router's management plane",
    "iproute2": "ip: namespaces, links, addresses, routes",
    "nftables": "nft: NAT, MSS clamp, the underlay cut",
    "iputils-ping": "ping: each router's ISP health monitor (isp_health)",
}
#: What the test suite needs beyond the lab (the no-traffic-outside-the-lab test traces
#: connects with strace).
TEST_PACKAGES: dict[str, str] = {
    "strace": "tests: record every connect a runbook makes",
}
PACKAGES: tuple[str, ...] = (*LAB_PACKAGES, *TEST_PACKAGES)

PLUGIN_DIR = "/usr/lib/ipsec/plugins"
#: charon plugin -> the package that ships ``libstrongswan-<plugin>.so`` (checked by the audit).
PLUGIN_PACKAGES: dict[str, str] = {
    "random": "libstrongswan",
    "nonce": "libstrongswan",
    "openssl": "libstrongswan-standard-plugins",
    "hmac": "libstrongswan",
    "kdf": "libstrongswan",
    "kernel-libipsec": "libcharon-extra-plugins",
    "kernel-netlink": "libstrongswan",
    "socket-default": "strongswan-libcharon",
    "vici": "strongswan-swanctl",
}

#: Every program the lab (and a deploy to a lab router over SSH) runs: path or command -> the
#: Debian package that provides it. Essential packages (coreutils, dash, bash, util-linux,
#: mount) are on every Debian system; they are listed where preflight must name them anyway.
PROGRAMS: dict[str, str] = {
    "/usr/lib/frr/zebra": "frr",
    "/usr/lib/frr/bgpd": "frr",
    "/usr/lib/frr/staticd": "frr",
    "/usr/bin/vtysh": "frr",
    "/usr/lib/frr/frr-reload.py": "frr-pythontools",
    "/usr/bin/python3": "python3-minimal",  # frr-reload.py's interpreter
    "/usr/lib/ipsec/charon": "strongswan-charon",
    "/usr/sbin/swanctl": "strongswan-swanctl",
    "/usr/sbin/sshd": "openssh-server",
    "/usr/bin/ssh-keygen": "openssh-client",
    "/usr/sbin/ip": "iproute2",
    "/usr/sbin/nft": "nftables",
    "/usr/bin/ping": "iputils-ping",
    "/usr/bin/nsenter": "util-linux",
    "/usr/bin/unshare": "util-linux",
    "/usr/bin/setsid": "util-linux",
    "/usr/bin/mount": "mount",
    "/usr/bin/umount": "mount",
    "/usr/bin/sh": "dash",
    "/usr/bin/bash": "bash",
    "/usr/bin/sleep": "coreutils",
    "/usr/bin/strace": "strace",
}


def plugin_files(plugins: Iterable[str]) -> dict[str, str]:
    """``libstrongswan-<name>.so`` path -> package, for the plugins charon is configured with."""
    return {
        f"{PLUGIN_DIR}/libstrongswan-{name}.so": PLUGIN_PACKAGES.get(name, "(unknown package)")
        for name in plugins
    }


def runtime_files() -> dict[str, str]:
    """Every file the lab runs or loads -> its package: programs and charon's plugins."""
    from tasks.lab.charon import PLUGINS

    return {**PROGRAMS, **plugin_files(PLUGINS.split())}


# ---- dpkg and apt ------------------------------------------------------------------------------


def _query(argv: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LC_ALL": "C"}
    return subprocess.run(argv, capture_output=True, text=True, check=False, env=env, timeout=60)


def _candidates(path: str) -> list[str]:
    """The names dpkg may know a file by: as given, resolved, and its pre-usrmerge twin."""
    names = [path, os.path.realpath(path)]
    for name in list(names):
        if name.startswith("/usr/") and name.split("/")[2] in ("bin", "sbin", "lib"):
            names.append(name[len("/usr") :])
    return list(dict.fromkeys(names))


def owners(paths: Iterable[str]) -> dict[str, str]:
    """Path -> the installed package that owns it (one ``dpkg -S`` for all); absent: not owned."""
    names = {path: _candidates(path) for path in paths}
    proc = _query(["dpkg-query", "-S", *dict.fromkeys(n for ns in names.values() for n in ns)])
    by_name: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        package, _, listed = line.partition(": ")
        if "diversion" not in package:
            for name in listed.split(", "):
                by_name[name.strip()] = package.split(",")[0].split(":")[0].strip()
    found: dict[str, str] = {}
    for path, candidates in names.items():
        owner = next((by_name[n] for n in candidates if n in by_name), None)
        if owner:
            found[path] = owner
    return found


def closure(packages: Iterable[str]) -> set[str]:
    """``packages`` and everything they pull in without recommends (apt-cache, recursively)."""
    proc = _query(
        ["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
         "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", *packages]
    )  # fmt: skip
    # With --recurse every package reached is printed once as an unindented header line.
    found = set(packages)
    for line in proc.stdout.splitlines():
        if line and not line.startswith((" ", "<")):
            found.add(line.strip().split(":")[0])
    return found


def essential() -> set[str]:
    """Packages marked Essential: present on every Debian system by policy."""
    proc = _query(["dpkg-query", "-W", "-f", "${Package} ${Essential}\n"])
    return {p for p, _, flag in (line.partition(" ") for line in proc.stdout.splitlines())
            if flag.strip() == "yes"}  # fmt: skip


def installed(package: str) -> bool:
    proc = _query(["dpkg-query", "-W", "-f", "${Status}", package])
    return "install ok installed" in proc.stdout


def audit(packages: Iterable[str] = PACKAGES, files: dict[str, str] | None = None) -> list[str]:
    """Problems with the install list: each names the file, the owning package and the fix.

    Empty when every file in ``files`` (default :func:`runtime_files`) is on this machine, is
    owned by the package the table says, and that package is installed by ``packages``
    without recommends or is Essential.
    """
    files = runtime_files() if files is None else files
    wanted = list(packages)
    covered = closure(wanted) | essential()
    owned = owners(files)
    problems = []
    for path, expected in sorted(files.items()):
        package = owned.get(path)
        if package is None:
            problems.append(
                f"{path}: not on this machine (expected from {expected}); "
                f"install the list first: python -m tasks.lab.packages install"
            )
            continue
        if package != expected:
            problems.append(
                f"{path}: owned by {package}, but tasks/lab/packages.py says {expected}: fix "
                f"the table"
            )
        if package not in covered:
            problems.append(
                f"{path}: from {package}, which the install list neither names nor pulls in "
                f"without recommends: add {package!r} to LAB_PACKAGES in tasks/lab/packages.py"
            )
    return problems


def install(packages: Iterable[str] = PACKAGES) -> list[str]:
    """Install the missing packages with apt-get (root), then stop the daemons Debian starts.

    Returns what was installed (empty when nothing was missing).
    """
    missing = [p for p in packages if not installed(p)]
    if not missing:
        return []
    if os.geteuid() != 0:
        raise SystemExit(
            f"missing Debian packages: {' '.join(missing)}; run as root: "
            f"apt-get install -y --no-install-recommends {' '.join(missing)}"
        )
    print(f"installing Debian packages: {' '.join(missing)}", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    # Debian starts the packaged daemons; the lab runs its own instances in namespaces.
    if shutil.which("systemctl") and Path("/run/systemd/system").is_dir():
        for unit in ("frr", "strongswan-starter", "ssh"):
            subprocess.run(["systemctl", "disable", "--now", unit], check=False,
                           capture_output=True)  # fmt: skip
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tasks.lab.packages", description=__doc__.split("\n")[0]
    )
    parser.add_argument("action", choices=("install", "audit", "list"))
    args = parser.parse_args(argv)
    if args.action == "list":
        print("\n".join(PACKAGES))
        return 0
    if args.action == "install":
        install()
        return 0
    problems = audit()
    for problem in problems:
        print(f"package audit: {problem}", file=sys.stderr)
    files = len(runtime_files())
    print(f"package audit: {files} files checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
