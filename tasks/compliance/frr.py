"""Read an FRR + strongSwan + nftables router into a DeviceConfig.

A Linux router's configuration is several texts, keyed by the names the frr templates render
(and the live command table fetches): ``frr.conf`` (or ``show running-config``), ``swanctl``
(one or more swanctl.conf bodies, concatenated), ``nftables.nft`` (or ``nft list table``),
``interfaces.ip`` (the rendered ``ip`` batch, or ``ip -o link`` / ``ip -o addr`` output), and
on a live router ``sshd``, ``ntp`` and ``syslog`` (see :mod:`tasks.compliance.sources`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from tasks.compliance.config import (
    Bgp,
    DeviceConfig,
    Dpd,
    IpsecPeer,
    NatRule,
    Neighbor,
    Proposal,
    RouteMapEntry,
    TunnelInterface,
    is_masked,
    psk_digest,
)
from tasks.secrets import MASK

#: strongSwan DH names to IANA group numbers (what the crypto floor is written in).
DH_GROUPS = {
    "modp768": "1", "modp1024": "2", "modp1536": "5", "modp2048": "14", "modp3072": "15",
    "modp4096": "16", "modp6144": "17", "modp8192": "18", "ecp256": "19", "ecp384": "20",
    "ecp521": "21", "modp1024s160": "22", "modp2048s224": "23", "modp2048s256": "24",
    "ecp192": "25", "ecp224": "26", "curve25519": "31", "x25519": "31", "curve448": "32",
}  # fmt: skip
_LINK = re.compile(r"link set dev (\S+)(?:.*? mtu (\d+))?")
_ADDR = re.compile(r"address (?:replace|add) (\S+) dev (\S+)")
_IP_O_LINK = re.compile(r"^\d+:\s+([^:@\s]+)[^:]*:\s+<[^>]*>.*?\bmtu (\d+)")
_IP_O_ADDR = re.compile(r"^\d+:\s+(\S+)\s+inet (\S+)")
_MSS = re.compile(r'oifname "?([^"\s]+)"? .*maxseg size set (rt mtu|\d+)')
_SYSLOG = re.compile(r'@@?(?:\(\S*?\))?([\w.:\[\]-]+)|omfwd.*?target="([^"]+)"')
_MASQ = re.compile(r'oifname "?([^"\s]+)"? ip saddr (\{[^}]*\}|\S+) .*?(masquerade|snat to \S+)')


def parse(host: str, files: dict[str, str], complete: bool = True) -> DeviceConfig:
    """Parse the texts of one FRR router (missing texts simply leave their parts empty)."""
    cfg = DeviceConfig(host=host, platform="frr", form="frr", complete=complete)
    frr_conf = files.get("frr.conf", "")
    _frr(frr_conf, cfg)
    _swanctl(files.get("swanctl", ""), cfg)
    mss = _nft(files.get("nftables.nft", ""), cfg)
    ip_text = files.get("interfaces.ip", "") + "\n" + files.get("ip", "")
    _interfaces(ip_text, mss, cfg)
    _management(files, cfg)
    if "isp-health.sh" in files:
        # comment lines only (the empty version) or nothing at all: no monitor in force
        cfg.health_monitor = bool(canonical("isp-health.sh", files["isp-health.sh"]))
    cfg.lines = {name: canonical(name, text) for name, text in sorted(files.items())}
    return cfg


#: Banner lines of ``show running-config`` that are not configuration.
NOISE = ("frr version", "Building configuration", "Current configuration")
_SINGLE_SET = re.compile(r"\{ ([^,{} ]+) \}")
#: The state a running table carries in each rule (``nft list`` without ``-s``): traffic, not
#: configuration, so a router that forwarded packets since the deploy is not "drifted".
_COUNTER_STATE = re.compile(r"\bcounter packets \d+ bytes \d+")


def canonical(name: str, text: str) -> list[str]:
    """Lines drift compares: comments, ``!`` and version banners dropped, blocks qualified.

    ``show running-config`` and the rendered frr.conf order sections differently, so each
    line carries its enclosing block header and the lines are sorted.
    """
    if name == "swanctl":
        # A running swanctl.conf holds the real keys: mask by structure, never by luck.
        return sorted(
            f"{'.'.join(path)} = {MASK if path[-1] == 'secret' else val}"
            for path, val in _swanctl_items(text)
        )
    lines: list[str] = []
    block: list[str] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or stripped.startswith(("!", "#")) or stripped.startswith(NOISE):
            continue
        if name == "nftables.nft":
            if stripped in ("table ip vpc_ha", "delete table ip vpc_ha"):
                continue  # the rendered file's replace-whole-table preamble
            stripped = _SINGLE_SET.sub(r"\1", stripped)  # nft prints { x } as x
            stripped = _COUNTER_STATE.sub("counter", stripped)
        if name == "frr.conf":
            if stripped in ("exit", "exit-address-family", "end"):
                if block:
                    block.pop()
                continue
            indent = len(line) - len(line.lstrip())
            del block[indent:]
            if stripped.startswith(("router ", "route-map ", "address-family ", "interface ")):
                lines.append(" > ".join([*block, stripped]))
                block.append(stripped)
                continue
            lines.append(" > ".join([*block, stripped]))
        else:
            lines.append(stripped)
    return sorted(set(lines))


def _frr(text: str, cfg: DeviceConfig) -> None:
    bgp = Bgp()
    neighbors: dict[str, Neighbor] = {}
    entry: RouteMapEntry | None = None
    for raw in text.splitlines():
        words = raw.split()
        if not words:
            continue
        if words[0] == "router" and words[1:2] == ["bgp"] and len(words) >= 3:
            bgp.asn = words[2]
            entry = None
        elif words[0] == "route-map" and len(words) >= 4:
            entry = RouteMapEntry(name=words[1], seq=words[3], action=words[2])
            cfg.route_maps.append(entry)
        elif words[0] in ("exit", "!"):
            entry = None
        elif words[0] == "set" and entry is not None and len(words) >= 3:
            if words[1] == "weight":
                entry.weight = words[2]
            elif words[1] == "metric":
                entry.metric = words[2]
            elif words[1:3] == ["as-path", "prepend"]:
                entry.prepend = " ".join(words[3:])
        elif words[0] == "neighbor" and len(words) >= 3:
            nbr = neighbors.setdefault(words[1], Neighbor(address=words[1]))
            _neighbor_line(nbr, words[2:])
        elif words[0] in ("network", "redistribute"):
            if "route-map" in words:
                bgp.origin_maps.append(words[words.index("route-map") + 1])
            if words[0] == "redistribute" and "metric" in words:
                bgp.origin_metrics.append(words[words.index("metric") + 1])
        elif words[0] == "log" and len(words) >= 2:
            cfg.syslog_local = True
    bgp.neighbors = [n for n in neighbors.values() if n.remote_as is not None]
    cfg.bgp = bgp


def _neighbor_line(nbr: Neighbor, rest: list[str]) -> None:
    key = rest[0]
    if key == "remote-as" and len(rest) > 1:
        nbr.remote_as = rest[1]
    elif key == "timers" and len(rest) == 3 and rest[1] != "connect":
        nbr.keepalive, nbr.holdtime = rest[1], rest[2]
    elif key == "weight" and len(rest) > 1:
        nbr.weight = rest[1]
    elif key == "route-map" and len(rest) > 2 and rest[2] == "out":
        nbr.export_maps.append(rest[1])
    elif key == "advertise-map" and len(rest) > 3 and rest[2] == "exist-map":
        nbr.advertise_map, nbr.exist_map = rest[1], rest[3]


def _swanctl_items(text: str) -> Iterator[tuple[tuple[str, ...], str]]:
    """``(path, value)`` for every ``key = value`` of swanctl.conf's nested sections."""
    path: list[str] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.endswith("{"):
            path.append(line[:-1].strip())
        elif line == "}":
            if path:
                path.pop()
        elif "=" in line:
            key, _, val = line.partition("=")
            yield (*path, key.strip()), val.strip().strip('"')


def _swanctl(text: str, cfg: DeviceConfig) -> None:
    secrets: list[tuple[str, str]] = []
    conns: dict[str, dict[str, str]] = {}
    for path, val in _swanctl_items(text):
        if path[0] == "secrets" and len(path) == 3 and path[2] == "secret":
            secrets.append((path[1], val))
        elif path[0] == "connections" and len(path) >= 3:
            key = ".".join(path[2:]) if path[2] != "children" else path[-1]
            conns.setdefault(path[1], {})[key] = val
    for name, conn in conns.items():
        for prop in conn.get("proposals", "").split(","):
            if prop.strip():
                cfg.proposals.append(_proposal("ike", name, prop.strip()))
        for prop in conn.get("esp_proposals", "").split(","):
            if prop.strip():
                cfg.proposals.append(_proposal("esp", name, prop.strip()))
        if "dpd_delay" in conn or "dpd_action" in conn:
            cfg.dpd.append(
                Dpd(
                    name,
                    _seconds(conn.get("dpd_delay")),
                    _seconds(conn.get("dpd_timeout")),
                    conn.get("dpd_action"),
                )
            )
        psk = next((s for n, s in secrets if n in (name, f"ike-{name}")), None)
        cfg.peers.append(IpsecPeer(name=name, ike_group=name, esp_group=name, psk=_psk(psk)))


def _psk(secret: str | None) -> str:
    if secret is None:
        return "absent"
    if secret == MASK or is_masked(secret):
        return "masked"
    return psk_digest(secret)


def _seconds(value: str | None) -> str | None:
    return value[:-1] if value and value.endswith("s") else value


def _proposal(kind: str, group: str, text: str) -> Proposal:
    """``aes256-sha256-modp2048`` (or AEAD ``aes256gcm16-prfsha256-ecp384``) as a Proposal."""
    enc = integ = dh = None
    for word in text.split("-"):
        if word in DH_GROUPS:
            dh = DH_GROUPS[word]
        elif word.startswith(("aes", "3des", "chacha", "camellia", "blowfish", "cast")):
            enc = word
        elif word.startswith(("sha", "md5", "aesxcbc", "prf")):
            integ = integ or word.removeprefix("prf")
    if kind == "esp" and dh is None:
        dh = "none"
    return Proposal(kind, group, enc, integ, dh)  # type: ignore[arg-type]


def _nft(text: str, cfg: DeviceConfig) -> dict[str, str]:
    """NAT rules into ``cfg``; returns the MSS clamp per outgoing interface."""
    mss: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        found = _MSS.search(line)
        if found:
            mss.setdefault(found.group(1), found.group(2))
        masq = _MASQ.search(line)
        if masq:
            sources = [s.strip() for s in masq.group(2).strip("{} ").split(",") if s.strip()]
            translation = "masquerade" if masq.group(3) == "masquerade" else masq.group(3)
            cfg.nat.append(
                NatRule(f"nft {masq.group(1)}", sources, masq.group(1), translation.strip())
            )
    return mss


def _interfaces(text: str, mss: dict[str, str], cfg: DeviceConfig) -> None:
    tunnels: dict[str, TunnelInterface] = {}
    mtus: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if found := _LINK.match(line):
            tunnels.setdefault(found.group(1), TunnelInterface(found.group(1)))
            if found.group(2):
                tunnels[found.group(1)].mtu = found.group(2)
        elif found := _ADDR.match(line):
            tunnels.setdefault(found.group(2), TunnelInterface(found.group(2)))
            tunnels[found.group(2)].addresses.append(found.group(1))
        elif found := _IP_O_LINK.match(line):
            mtus[found.group(1)] = found.group(2)
        elif (found := _IP_O_ADDR.match(line)) and _link_local(found.group(2)):
            # Live ``ip -o addr``: only tunnel inside addresses make a tunnel interface.
            tunnels.setdefault(found.group(1), TunnelInterface(found.group(1)))
            tunnels[found.group(1)].addresses.append(found.group(2))
    for name, tunnel in tunnels.items():
        tunnel.mtu = tunnel.mtu or mtus.get(name)
        tunnel.mss = mss.get(name)
    cfg.tunnels = list(tunnels.values())


def _link_local(text: str) -> bool:
    try:
        return ipaddress.IPv4Interface(text).ip in ipaddress.IPv4Network("169.254.0.0/16")
    except ValueError:
        return False


def _management(files: dict[str, str], cfg: DeviceConfig) -> None:
    # Only a live router (or a saved copy of one) carries these; rendered configs do not.
    if "sshd" in files:
        listen = [
            ln.split()[1] for ln in files["sshd"].splitlines() if ln.lower().startswith("listen")
        ]
        cfg.ssh_enabled = True
        cfg.ssh_listen = [a.rsplit(":", 1)[0] if a.count(":") == 1 else a for a in listen]
        if cfg.ssh_listen == ["0.0.0.0"] or "0.0.0.0" in cfg.ssh_listen:
            cfg.ssh_listen = []  # every address: the same as no listen-address on VyOS
    if "ntp" in files:
        cfg.ntp_servers = [
            ln.split()[1]
            for ln in files["ntp"].splitlines()
            if ln.split()[:1] in (["server"], ["pool"]) and len(ln.split()) > 1
        ]
    if "syslog" in files:
        cfg.syslog_remote = [
            m.group(1) or m.group(2)
            for ln in files["syslog"].splitlines()
            if not ln.lstrip().startswith("#")
            for m in [_SYSLOG.search(ln)]
            if m
        ]
