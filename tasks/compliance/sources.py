"""Where configs come from: saved files (offline), rendered intended configs, or live routers.

Offline (``--from-dir DIR``) reads, per host, either one file ``DIR/<host>[.boot|.conf|.set|
.cfg|.txt]`` (a VyOS config in either form) or a directory ``DIR/<host>/`` holding what the
platform renders (``config.set`` for VyOS; ``frr.conf``, ``swanctl/*.conf``, ``nftables.nft``,
``interfaces.ip`` for FRR) -- the layout ``deploy.py --render-only --output-dir`` writes -- plus,
for a saved FRR router, the ``sshd``, ``ntp`` and ``syslog`` texts the live table collects.

Live mode fetches the running config through the platform driver with the commands in
:data:`RUNNING_CONFIG_COMMANDS` (platform data, not code), in parallel via Nornir.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from nornir.core.task import Result, Task

from tasks.compliance import frr, vyos
from tasks.compliance.config import DeviceConfig
from tasks.compliance.drift import group_frr_files
from tasks.drivers.base import driver_for
from tasks.errors import BadInput, ParseError, ToolkitError
from tasks.platforms.frr.apply import HEALTH_RUN, HEALTH_RUNNING, LIST_NFT

log = logging.getLogger(__name__)

#: Per platform: name of a text the parser reads -> the command that fetches it on the router.
#: VyOS's ``show configuration commands`` prints ``set`` lines (op mode). FRR routers are Linux:
#: the driver's ``show`` must run these as shell commands (vtysh for the routing part).
RUNNING_CONFIG_COMMANDS: dict[str, dict[str, str]] = {
    "vyos": {"config": "show configuration commands"},
    "frr": {
        "frr.conf": "vtysh -c 'show running-config'",
        "swanctl": "cat /etc/vpc-ha/swanctl/*.conf",
        "nftables.nft": LIST_NFT,
        "ip": "ip -o link show; ip -o -4 addr show",
        # What sshd really listens on (its config may live anywhere), in sshd -T's words.
        "sshd": "ss -Hltn 'sport = :22' | awk '{print \"listenaddress \" $4}'",
        # Absent files mean "not configured", which the rules judge: never a failed read.
        "ntp": "cat /etc/chrony/chrony.conf /etc/ntpsec/ntp.conf /etc/ntp.conf 2>/dev/null; true",
        "syslog": "cat /etc/rsyslog.conf /etc/rsyslog.d/*.conf 2>/dev/null; true",
        # The ISP health monitor's script while it runs (nothing when it does not).
        "isp-health.sh": f"{HEALTH_RUNNING} && cat {HEALTH_RUN}; true",
    },
}
VYOS_SUFFIXES = (".boot", ".conf", ".set", ".cfg", ".txt", "")
_FRR_MARKERS = ("frr.conf", "nftables.nft", "interfaces.ip")


@dataclass(frozen=True)
class Saved:
    """One router's saved texts, read from disk."""

    host: str
    platform: str
    files: dict[str, str]
    origin: Path


def read_dir(directory: Path) -> list[Saved]:
    """Every router saved under ``directory``, sorted by host name.

    Raises:
        BadInput: the directory does not exist or holds no configs.
    """
    if not directory.is_dir():
        raise BadInput(f"--from-dir {directory}: not a directory")
    saved: list[Saved] = []
    for entry in sorted(directory.iterdir()):
        if entry.name.startswith(".") or entry.name.lower().startswith("readme"):
            continue
        if entry.is_dir():
            files = {
                str(p.relative_to(entry)): p.read_text(encoding="utf-8", errors="replace")
                for p in sorted(entry.rglob("*"))
                if p.is_file()
            }
            platform = "frr" if any(m in files for m in _FRR_MARKERS) else "vyos"
            saved.append(Saved(entry.name, platform, files, entry))
        elif entry.suffix in VYOS_SUFFIXES:
            text = entry.read_text(encoding="utf-8", errors="replace")
            platform = "frr" if _looks_like_frr(text) else "vyos"
            files = {"frr.conf": text} if platform == "frr" else {"config": text}
            saved.append(Saved(entry.stem, platform, files, entry))
    if not saved:
        raise BadInput(f"--from-dir {directory}: no saved configs found")
    return saved


def _looks_like_frr(text: str) -> bool:
    return "\nrouter bgp " in f"\n{text}" and "protocols" not in text


def parse_texts(
    host: str, platform: str, files: dict[str, str], complete: bool = True
) -> DeviceConfig:
    """Parse one router's texts into a DeviceConfig.

    Raises:
        ParseError: unknown platform, or the texts could not be read as that platform.
    """
    try:
        if platform == "vyos":
            return vyos.parse(host, "\n".join(files.values()), complete=complete)
        if platform == "frr":
            return frr.parse(host, group_frr_files(files), complete=complete)
    except (ValueError, IndexError, KeyError) as exc:
        raise ParseError(f"{host}: cannot parse {platform} config: {exc}") from exc
    raise ParseError(f"{host}: no parser for platform {platform!r}")


def fetch_running(task: Task) -> Result:
    """Nornir task: fetch the running config texts of ``task.host`` through its driver."""
    driver = driver_for(task.host)
    commands = RUNNING_CONFIG_COMMANDS.get(driver.platform)
    if commands is None:
        raise ToolkitError(f"{task.host.name}: no running-config commands for {driver.platform}")
    driver.open()
    try:
        texts = {name: driver.show(command) for name, command in commands.items()}
    finally:
        driver.close()
    log.debug("%s: fetched %d running-config text(s)", task.host.name, len(texts))
    return Result(host=task.host, result=texts, changed=False)
