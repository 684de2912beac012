"""One normalised shape for a router's configuration, whatever form it was read from.

VyOS hierarchical (``show configuration`` / config.boot), VyOS ``set`` commands and FRR's
frr.conf + swanctl + nftables text all parse into a :class:`DeviceConfig`, so each policy rule
is written once. Values are kept as the strings the device printed: a masked address
(``xxx.xxx.247.2/30``) or ASN (``XXXXXX``) stays a string that a rule cannot judge, instead of
becoming a crash or a made-up default. ``None`` means "not configured", which rules *can* judge.

A pre-shared key is never stored: only a keyed digest (:func:`psk_digest`) that lets a rule say
"these tunnels share a key" without the key itself ever reaching a finding, a log or SQLite.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
from dataclasses import dataclass, field
from typing import Literal

Form = Literal["vyos-set", "vyos-hierarchical", "frr"]

#: Per-process key for PSK digests: digests compare within one run and mean nothing outside it.
_PSK_KEY = os.urandom(32)
_MASKED = re.compile(r"^(?:[xX*]+|<[^>]*>)$")


def psk_digest(value: str) -> str:
    """Keyed digest of a pre-shared key, comparable within this process only."""
    return hmac.new(_PSK_KEY, value.encode(), hashlib.sha256).hexdigest()


def is_masked(value: str | None) -> bool:
    """True for values an author or this toolkit blanked out (``xxxx``, ``********``)."""
    if value is None:
        return False
    return bool(_MASKED.match(value)) or "xxx" in value.lower()


def as_int(value: str | None) -> int | None:
    """The integer a config string holds, or None when absent, masked or not a number."""
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def as_interface(value: str | None) -> ipaddress.IPv4Interface | None:
    """``169.254.11.2/30`` as an interface, or None when masked or not IPv4."""
    if value is None:
        return None
    try:
        return ipaddress.IPv4Interface(value)
    except ValueError:
        return None


@dataclass
class TunnelInterface:
    """A route-based tunnel interface (VyOS vti, Linux ipsec/xfrm device)."""

    name: str
    addresses: list[str] = field(default_factory=list)
    mtu: str | None = None
    mss: str | None = None


@dataclass
class Neighbor:
    """One BGP neighbor and what shapes the routes sent to it."""

    address: str
    remote_as: str | None = None
    holdtime: str | None = None
    keepalive: str | None = None
    weight: str | None = None
    export_maps: list[str] = field(default_factory=list)
    #: Conditional advertisement (ISP health): what is sent only while the exist-map matches.
    advertise_map: str | None = None
    exist_map: str | None = None


@dataclass
class RouteMapEntry:
    """One rule (sequence) of a route-map: what it sets on matching routes."""

    name: str
    seq: str
    action: str | None = None
    weight: str | None = None
    metric: str | None = None
    prepend: str | None = None


@dataclass
class Bgp:
    """The BGP process: neighbors and the route-maps on routes it originates."""

    asn: str | None = None
    neighbors: list[Neighbor] = field(default_factory=list)
    #: Route-maps on ``network`` / ``redistribute`` statements: they shape what every peer gets.
    origin_maps: list[str] = field(default_factory=list)
    #: ``redistribute ... metric N`` values: a MED set at origination.
    origin_metrics: list[str] = field(default_factory=list)


@dataclass
class Proposal:
    """One IKE or ESP proposal; ``dh_group`` for ESP is the PFS group ("none" if disabled)."""

    kind: Literal["ike", "esp"]
    group: str
    encryption: str | None = None
    integrity: str | None = None
    dh_group: str | None = None


@dataclass
class Dpd:
    """Dead peer detection of one IKE group / connection."""

    group: str
    interval: str | None = None
    timeout: str | None = None
    action: str | None = None


@dataclass
class IpsecPeer:
    """One IPsec peer (tunnel). ``psk`` is ``"absent"``, ``"masked"`` or a :func:`psk_digest`."""

    name: str
    ike_group: str | None = None
    esp_group: str | None = None
    interface: str | None = None
    psk: str = "absent"


@dataclass
class NatRule:
    """A source-NAT rule: which networks leave through which interface, translated how."""

    name: str
    sources: list[str] = field(default_factory=list)
    outbound: str | None = None
    translation: str | None = None


@dataclass
class DeviceConfig:
    """A router's configuration in one shape for every rule.

    ``complete`` is False for a rendered intended config: it holds only what this toolkit
    manages (tunnels, IPsec, BGP, NAT), so rules about the management plane (SSH, NTP,
    syslog, commit revisions) cannot judge it. ``lines`` are the canonical lines drift compares.
    """

    host: str
    platform: Literal["vyos", "frr"]
    form: Form
    complete: bool = True
    tunnels: list[TunnelInterface] = field(default_factory=list)
    bgp: Bgp = field(default_factory=Bgp)
    route_maps: list[RouteMapEntry] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    dpd: list[Dpd] = field(default_factory=list)
    peers: list[IpsecPeer] = field(default_factory=list)
    nat: list[NatRule] = field(default_factory=list)
    ssh_enabled: bool | None = None
    ssh_listen: list[str] = field(default_factory=list)
    ntp_servers: list[str] = field(default_factory=list)
    syslog_local: bool = False
    syslog_remote: list[str] = field(default_factory=list)
    commit_revisions: str | None = None
    #: An ISP health monitor in force (FRR: the monitor running; VyOS: the token's failover
    #: route configured); None when the texts do not tell.
    health_monitor: bool | None = None
    lines: dict[str, list[str]] = field(default_factory=dict)

    def route_map(self, name: str) -> list[RouteMapEntry]:
        """The entries of a named route-map, in sequence order as printed."""
        return [e for e in self.route_maps if e.name == name]
