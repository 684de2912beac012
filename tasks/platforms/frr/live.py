"""What is in force on an FRR router now: the managed files as live, ISP health, op commands.

A file on disk that is not in force (connection not loaded in charon, nft table absent,
address not on its device) reads as its empty version, so a reset or drifted router shows as a
change in the driver's ``diff`` and the next deploy repairs it.
"""

from __future__ import annotations

import re
import shlex
import time

from tasks.errors import DriverError
from tasks.isp_health import HealthState
from tasks.model import Router
from tasks.platforms.frr.apply import (
    CONFIG_DIR,
    EMPTY_HEALTH,
    EMPTY_NFT,
    EMPTY_SWANCTL,
    FRR_CONF,
    HEALTH_PID,
    HEALTH_RUN,
    HEALTH_RUNNING,
    HEALTH_SH,
    HEALTH_STATE,
    LIST_NFT,
    NFT_APPLIED,
    vici_uri,
)
from tasks.platforms.frr.timers import FrrTimers
from tasks.secrets import redact

#: What swanctl's own libstrongswan prints (on stderr, merged by the SSH terminal) for each
#: plugin of its built-in list that this machine lacks. Noise, never the answer: left in, an
#: empty ``--list-sas`` (no SA at all) read as "output in no known format".
_PLUGIN_NOISE = re.compile(r"^plugin '[^']+': failed to load - .*(?:\n|$)", re.MULTILINE)
ADDRESS_LINE = re.compile(r"^address replace (\S+) dev (\S+)$", re.MULTILINE)
_LINK_LINE = re.compile(r"^link set dev (\S+) mtu (\d+)(?: up)?$")
#: ``ip -o link show``: "7: ipsec0: <POINTOPOINT,MULTICAST,NOARP,UP,LOWER_UP> mtu 1419 ..."
_LINK = re.compile(r"^\d+: ([^:@\s]+)(?:@\S+)?: <([^>]*)> mtu (\d+)", re.MULTILINE)


class FrrLive(FrrTimers):
    """Reads the router's live state over the shell."""

    router: Router

    def live_files(self) -> dict[str, str]:
        """The toolkit-managed files as they are in force now (empty versions where not).

        A file on disk that is not in force (connection not loaded, table absent, address
        missing) counts as its empty version: a reset router is not "unchanged".
        """
        files: dict[str, str] = {}
        loaded = self.loaded_connections()
        for t in self.router.tunnels:
            name = f"swanctl/{t.name}.conf"
            on_disk = self.read(f"{CONFIG_DIR}/{name}")
            is_loaded = re.search(rf"^{re.escape(t.name)}: ", loaded, re.MULTILINE)
            files[name] = on_disk if (on_disk and is_loaded) else EMPTY_SWANCTL
        files["nftables.nft"] = self._live_nft()
        files["interfaces.ip"] = self._live_interfaces()
        files[HEALTH_SH] = self._live_health()
        files["frr.conf"] = self.read(FRR_CONF) or ""
        return files

    def _live_health(self) -> str:
        """The monitor script in force: its running copy while it runs, else the empty version
        (a monitor that died shows as a change, and the next deploy starts it again)."""
        if not self._timer_armed(HEALTH_PID):
            return EMPTY_HEALTH
        return self.read(HEALTH_RUN) or EMPTY_HEALTH

    def isp_health(self) -> HealthState | None:
        """The ISP health monitor's own account (None: no monitor configured or running).

        One round trip: whether it runs, the router's clock (the state file's times are the
        router's) and the state line.
        """
        _, out = self.sh(
            f"if {HEALTH_RUNNING}; then echo running; else echo stopped; fi; date +%s; "
            f"cat {HEALTH_STATE} 2>/dev/null",
            check=False,
        )
        running, clock, text = [*out.strip().splitlines(), "", "", ""][:3]
        if running != "running" and not text.strip():
            return None
        now = float(clock) if clock.strip().isdigit() else time.time()
        return HealthState.parse(text, running=running == "running", now=now)

    def _live_nft(self) -> str:
        """The staged table when the live one is still what the last apply made; else the live
        table itself (as a file that would restore it), so a drift shows in the diff and the
        next deploy repairs it."""
        rc, live = self.sh(f"{LIST_NFT} 2>/dev/null", check=False)
        if rc != 0:
            return EMPTY_NFT
        applied = self.read(NFT_APPLIED)
        staged = self.read(f"{CONFIG_DIR}/nftables.nft")
        if staged and (applied is None or applied.strip() == live.strip()):
            return staged  # applied is None: configured before this record existed
        return f"{EMPTY_NFT}{live.strip()}\n"

    def _live_interfaces(self) -> str:
        """interfaces.ip as the live links and addresses are: each ``link set`` line with the
        live MTU (and ``up`` only when the link is up), each address only when it is on its
        device. Equal to the staged file exactly when nothing drifted."""
        on_disk = self.read(f"{CONFIG_DIR}/interfaces.ip")
        devices = {t.interface for t in self.router.tunnels}
        if not on_disk:
            return "".join(f"address flush dev {dev}\n" for dev in sorted(devices))
        addrs = self.sh("ip -o -4 addr show", check=False)[1]
        links = {m.group(1): (m.group(2), int(m.group(3)))
                 for m in _LINK.finditer(self.sh("ip -o link show", check=False)[1])}  # fmt: skip
        lines = []
        for line in on_disk.splitlines():
            link = _LINK_LINE.match(line)
            address = ADDRESS_LINE.match(line)
            if link and link.group(1) in links:
                flags, mtu = links[link.group(1)]
                up = " up" if "UP" in flags.split(",") else ""
                lines.append(f"link set dev {link.group(1)} mtu {mtu}{up}")
            elif (
                address
                and re.search(
                    rf"\b{re.escape(address.group(2))}\s+inet {re.escape(address.group(1))}\s",
                    addrs,
                )
            ) or not (link or address):
                lines.append(line)
        return "".join(f"{line}\n" for line in lines)

    def loaded_connections(self) -> str:
        """``swanctl --list-conns`` of every tunnel's charon.

        Raises:
            DriverError: a charon did not answer. "Could not ask" must never read as "nothing
                loaded": the rollback set would then record the working tunnel as absent, and a
                rollback would delete it.
        """
        out = []
        for uri in sorted({vici_uri(self.router, t.name) for t in self.router.tunnels}):
            rc, text = self.sh(f"swanctl --list-conns --uri {shlex.quote(uri)}", check=False)
            if rc != 0:
                raise DriverError(
                    f"{self.host.name}: cannot read the loaded IPsec connections from {uri} "
                    f"(exit {rc}: {redact(text)[-200:]}); nothing was changed"
                )
            out.append(text)
        return "\n".join(out)

    def _all_uris(self, command: str) -> str:
        uris = sorted({vici_uri(self.router, t.name) for t in self.router.tunnels})
        return " ; ".join(f"{command} --uri {shlex.quote(u)}" for u in uris)

    def show(self, command: str) -> str:
        """Op commands: ``show ...`` goes to vtysh, ``swanctl`` to every tunnel's charon."""
        if command.startswith("show "):
            return self.sh(f"vtysh -c {shlex.quote(command)}")[1]
        if command.startswith("swanctl "):
            text = self.sh(self._all_uris(command) if "--uri" not in command else command)[1]
            return _PLUGIN_NOISE.sub("", text)
        return self.sh(command)[1]
