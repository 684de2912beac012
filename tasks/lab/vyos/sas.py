"""``show vpn ipsec sa`` from a lab router's live SAs: strongSwan's ``swanctl --list-sas`` text
rendered in the table VyOS 1.3 or 1.4 prints.

The input is swanctl's plain listing, whose layout is the ``printf`` calls of strongSwan's
``src/swanctl/commands/list_sas.c`` (``ike_sa`` / ``child_sas``): per IKE SA a line
``<name>: #<id>, <STATE>, IKEv<n>, <spi>_i[*] <spi>_r[*]``, ``  local  '<id>' @ <host>[<port>]``,
``  remote '<id>' @ <host>[<port>]``, the proposal, ``  established <n>s ago, ...``; per child SA
``  <name>: #<id>, reqid <n>, <STATE>, <MODE>[-in-UDP], <PROTO>:<proposal>``, ``    installed
<n>s ago, ...``, ``    in  <spi>, <n> bytes, <n> packets[, <n>s ago]``, ``    out ...``,
``    local  <ts>``, ``    remote <ts>``. VyOS itself reads the same facts from vici.

The output follows vyos-1x (BEHAVIOUR.md section 3): 1.4 ``src/op_mode/ipsec.py``
``_get_formatted_output_sas`` (one row per child SA present, ``up`` when INSTALLED, uptime by
``seconds_to_human``, bytes by ``hurry.filesize.size`` (1024, ``7M``), packets by the same with
the SI system and the ``B`` removed, proposal ``<encr>_<keysize>/<integ>/<dh>``, rows sorted
naturally); 1.3 ``show_ipsec_sa.py`` the same columns, but ``down`` rows print ``N/A`` for the
counters and the Remote ID is ``N/A`` when it equals the address. Layout: :func:`sa_table`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tasks.lab.vyos.opmode import sa_table

_IKE = re.compile(r"^(?P<name>\S+): #(?P<id>\d+), (?P<state>[A-Z_]+), IKEv(?P<version>\d)")
_PEER = re.compile(r"^  (?P<side>local|remote) +'(?P<id>[^']*)' @ (?P<host>[^\[\s]+)\[")
_CHILD = re.compile(
    r"^  (?P<name>\S+): #(?P<id>\d+), reqid \d+, (?P<state>[A-Z_]+), [A-Z]+(?:-in-UDP)?, "
    r"(?P<proto>[A-Z]+):(?P<proposal>\S*)"
)
_INSTALLED = re.compile(r"^    installed (?P<s>\d+)s ago")
_TRAFFIC = re.compile(
    r"^    (?P<dir>in|out) +\S+.*?, +(?P<bytes>\d+) bytes, +(?P<packets>\d+) packets"
)


@dataclass
class ChildSa:
    name: str
    state: str
    proposal: str = ""
    installed_s: int | None = None
    bytes_in: int = 0
    bytes_out: int = 0
    packets_in: int = 0
    packets_out: int = 0


@dataclass
class IkeSa:
    name: str
    state: str
    remote_host: str = ""
    remote_id: str = ""
    children: list[ChildSa] = field(default_factory=list)


def parse_list_sas(text: str) -> list[IkeSa]:
    """The IKE SAs (and their child SAs) of one or more ``swanctl --list-sas`` listings."""
    sas: list[IkeSa] = []
    child: ChildSa | None = None
    for line in text.splitlines():
        ike_match = _IKE.match(line)
        if ike_match:
            sas.append(IkeSa(ike_match["name"], ike_match["state"]))
            child = None
            continue
        if not sas:
            continue
        peer = _PEER.match(line)
        if peer and child is None:
            if peer["side"] == "remote":
                sas[-1].remote_host, sas[-1].remote_id = peer["host"], peer["id"]
            continue
        child_match = _CHILD.match(line)
        if child_match:
            child = ChildSa(child_match["name"], child_match["state"], child_match["proposal"])
            sas[-1].children.append(child)
            continue
        if child is None:
            continue
        installed = _INSTALLED.match(line)
        if installed:
            child.installed_s = int(installed["s"])
        traffic = _TRAFFIC.match(line)
        if traffic:
            count, packets = int(traffic["bytes"]), int(traffic["packets"])
            if traffic["dir"] == "in":
                child.bytes_in, child.packets_in = count, packets
            else:
                child.bytes_out, child.packets_out = count, packets
    return sas


def seconds_to_human(seconds: int) -> str:
    """vyos ``seconds_to_human``: ``1h2m3s``, units of zero left out."""
    out = ""
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            out += f"{seconds // size}{unit}"
            seconds %= size
    return out + (f"{seconds}s" if seconds else "")


def filesize(count: int, base: int = 1024) -> str:
    """``hurry.filesize.size``: the largest unit the number reaches, truncated (``7M``)."""
    for power, suffix in ((5, "P"), (4, "T"), (3, "G"), (2, "M"), (1, "K")):
        if count >= base**power:
            return f"{count // base**power}{suffix}"
    return f"{count}B"


def vyos_proposal(swanctl: str) -> str:
    """swanctl's ``AES_CBC-256/HMAC_SHA2_256_128/MODP_2048`` as VyOS joins the vici fields:
    ``AES_CBC_256/HMAC_SHA2_256_128/MODP_2048`` (key size after ``_``)."""
    first, sep, rest = swanctl.partition("/")
    first = re.sub(r"-(\d+)$", r"_\1", first)
    return first + sep + rest


def rows(version: str, sas: list[IkeSa]) -> list[tuple[str, ...]]:
    """One row per child SA of each IKE SA, in ``version``'s wording (module docstring)."""
    out: list[tuple[str, ...]] = []
    for ike in sas:
        remote_id = ike.remote_id
        if version == "1.3" and remote_id == ike.remote_host:
            remote_id = "N/A"
        for child in ike.children:
            up = child.state == "INSTALLED"
            if version == "1.3" and not up:
                out.append((child.name, "down", "N/A", "N/A", "N/A", ike.remote_host, remote_id,
                            "N/A"))  # fmt: skip
                continue
            packets = f"{filesize(child.packets_in, 1000)}/{filesize(child.packets_out, 1000)}"
            out.append((
                child.name,
                "up" if up else "down",
                seconds_to_human(child.installed_s) if child.installed_s is not None else "N/A",
                f"{filesize(child.bytes_in)}/{filesize(child.bytes_out)}",
                packets.replace("B", ""),
                ike.remote_host or "N/A",
                remote_id or "N/A",
                vyos_proposal(child.proposal) or "N/A",
            ))  # fmt: skip
    return sorted(out, key=_natural)


def _natural(row: tuple[str, ...]) -> list[int | str]:
    """vyos-1x ``_alphanum_key`` on the row: numbers compare as numbers (``tun2`` < ``tun10``)."""
    text = str(list(row))
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"([0-9]+)", text)]


def show_vpn_ipsec_sa(version: str, list_sas_text: str) -> str:
    """``show vpn ipsec sa`` as VyOS ``version`` prints it, from swanctl's listing."""
    return sa_table(rows(version, parse_list_sas(list_sas_text)))
