"""The router model: what one customer router of a VPC must look like, as typed data.

A Nornir host's merged data (host, then its groups, then defaults, first hit wins per top-level
key) is validated into a :class:`Router`. Rules that span hosts (one primary per VPC, unique
backup ranks, unique inside CIDRs per VGW) live in :mod:`tasks.inventory`.

AWS facts the rules encode (see shared/DESIGN.md):
- VGW ASN: 64512-65534 or 4200000000-4294967294 (default 64512).
- Tunnel inside CIDRs: /30 in 169.254.0.0/16, not 169.254.0.0/30-169.254.5.0/30 nor
  169.254.169.252/30; AWS takes the first usable address, the customer the second.
- BGP keepalive at most a third of the hold time; AWS uses 30/10.
- IKE/ESP algorithms among those a VPN connection accepts; DPD timeout at least 30 s.
- Tunnel MTU at most 1446 (AWS documents 1399 for the worst case); MSS below MTU - 40.

What VyOS itself refuses is checked too, per ``vyos_syntax``
(:mod:`tasks.platforms.vyos.limits`, from
VyOS's configuration tree in ``../shared/vyos-schema/`` and ``../shared/vyos/BEHAVIOUR.md``
section 1.4): a value the router would answer with "Value validation failed" is refused at
load time, naming host and field, instead of half-way through a diff on the router.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from tasks.secrets import SecretRef

AWS_RESERVED_INSIDE = tuple(
    ipaddress.ip_network(n)
    for n in (
        "169.254.0.0/30",
        "169.254.1.0/30",
        "169.254.2.0/30",
        "169.254.3.0/30",
        "169.254.4.0/30",
        "169.254.5.0/30",
        "169.254.169.252/30",
    )
)
LINK_LOCAL = ipaddress.IPv4Network("169.254.0.0/16")

# What an AWS Site-to-Site VPN tunnel accepts (Phase 1 and Phase 2 options), as the types.
Encryption = Literal["aes128", "aes256", "aes128gcm16", "aes256gcm16"]
Integrity = Literal["sha1", "sha256", "sha384", "sha512"]
DhGroup = Literal[2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]
IkeVersion = Literal[1, 2]
AWS_ENCRYPTION: tuple[str, ...] = get_args(Encryption)
AWS_INTEGRITY: tuple[str, ...] = get_args(Integrity)
AWS_DH_GROUPS: tuple[int, ...] = get_args(DhGroup)
AWS_IKE_VERSIONS: tuple[int, ...] = get_args(IkeVersion)
#: Field name -> (what to call it, its choices): pydantic says "Input should be ...";
#: tasks.inventory's formatter says "<what> must be one AWS accepts: ..." for these.
AWS_ACCEPTS: dict[str, tuple[str, tuple[object, ...]]] = {
    "encryption": ("encryption", AWS_ENCRYPTION),
    "integrity": ("integrity", AWS_INTEGRITY),
    "dh_group": ("DH group", AWS_DH_GROUPS),
    "ike_version": ("IKE version", AWS_IKE_VERSIONS),
}

#: Identifiers rendered inside quoted descriptions: no quotes, spaces or shell metacharacters.
SAFE_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
#: Interface names: Linux's 15 characters; what both platforms' templates render verbatim.
IFNAME = r"^[A-Za-z][A-Za-z0-9_.-]{0,14}$"
#: BGP MED (and VyOS ``set metric``) is an unsigned 32-bit number.
MAX_MED = 4294967295

Platform = Literal["vyos", "frr"]
Role = Literal["primary", "backup"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: object, info: ValidationInfo) -> object:
        # YAML's `asn: true` would become ASN 1 under pydantic's lax int: refuse it instead.
        if isinstance(value, bool) and info.field_name:
            annotation = cls.model_fields[info.field_name].annotation
            if annotation in (int, int | None, float) or _int_literal(annotation):
                raise ValueError("must be a number, not true/false")
        return value


def _int_literal(annotation: object) -> bool:
    """A ``Literal`` of numbers (pydantic would take ``true`` for its 1)."""
    return get_origin(annotation) is Literal and any(
        isinstance(arg, int) and not isinstance(arg, bool) for arg in get_args(annotation)
    )


def valid_asn(value: int) -> bool:
    """A usable BGP ASN: 1..4294967294 without the reserved 0, 23456 (AS_TRANS) and 65535."""
    return 1 <= value <= 4294967294 and value not in (23456, 65535)


class Vgw(_Strict):
    """The VPC's virtual private gateway, as the router sees it."""

    id: str = Field(default="vgw-unknown", pattern=SAFE_ID)
    asn: int = 64512

    @field_validator("asn")
    @classmethod
    def _vgw_asn_range(cls, value: int) -> int:
        if not (64512 <= value <= 65534 or 4200000000 <= value <= 4294967294):
            raise ValueError("VGW ASN must be 64512-65534 or 4200000000-4294967294")
        return value


class Vpc(_Strict):
    """The VPC whose outbound traffic this router carries."""

    id: str = Field(pattern=SAFE_ID)
    networks: list[ipaddress.IPv4Network] = Field(min_length=1)
    vgw: Vgw = Vgw()

    @field_validator("networks", mode="before")
    @classmethod
    def _network_addresses(cls, value: object) -> object:
        # 10.0.0.1/24 is an address in a network, not the network: name the one meant.
        for item in value if isinstance(value, list) else []:
            if isinstance(item, str):
                try:
                    ipaddress.IPv4Network(item, strict=True)
                except ValueError as exc:
                    try:
                        meant = ipaddress.IPv4Network(item, strict=False)
                    except ValueError:
                        raise ValueError(f"{item!r} is not an IPv4 network ({exc})") from exc
                    raise ValueError(f"{item!r} has host bits set; write {meant}") from exc
        return value


class Bgp(_Strict):
    """eBGP timers and how a backup is made less preferred to AWS."""

    holdtime: int = 30
    keepalive: int = Field(default=10, le=65535)
    connect_retry: int = Field(default=5, ge=1, le=65535)
    prepend_per_rank: int = Field(default=2, ge=1, le=10)
    med_per_rank: int = Field(default=100, ge=0, le=4294967295)

    @model_validator(mode="after")
    def _timers(self) -> Bgp:
        if not 3 <= self.holdtime <= 65535:
            # 0 would switch BGP's failure detection off: a dead router kept as best path.
            raise ValueError(
                "holdtime: must be 3..65535 seconds (AWS uses 30; 0 would turn "
                "off the failure detection failover relies on)"
            )
        if self.keepalive < 1:
            raise ValueError("keepalive: must be at least 1 second")
        if self.keepalive * 3 > self.holdtime:
            raise ValueError(
                f"keepalive: must be at most holdtime/3 "
                f"({self.holdtime // 3}); AWS uses holdtime 30, keepalive 10"
            )
        return self


class Proposal(_Strict):
    """One IKE or ESP proposal."""

    encryption: Encryption = "aes256"
    integrity: Integrity = "sha256"
    dh_group: DhGroup = 14


class Dpd(_Strict):
    """Dead peer detection; AWS's own default timeout is 40 s and it refuses under 30 s."""

    interval: int = Field(default=10, ge=1, le=3600)
    timeout: int = 40
    action: Literal["restart", "clear", "hold"] = "restart"

    @model_validator(mode="after")
    def _timeout(self) -> Dpd:
        if self.timeout < 30:
            raise ValueError("timeout: DPD timeout must be at least 30 seconds (AWS minimum)")
        if self.interval >= self.timeout:
            raise ValueError("interval: DPD interval must be shorter than the DPD timeout")
        return self


class Ipsec(_Strict):
    """IKE and ESP settings shared by a router's tunnels."""

    ike_version: IkeVersion = 2
    ike: Proposal = Proposal()
    esp: Proposal = Proposal()
    ike_lifetime: int = Field(default=28800, ge=900, le=28800)
    esp_lifetime: int = Field(default=3600, ge=900, le=3600)
    dpd: Dpd = Dpd()

    @field_validator("ike")
    @classmethod
    def _phase1_dh(cls, value: Proposal) -> Proposal:
        # AWS accepts DH group 5 in phase 2 only.
        if value.dh_group == 5:
            raise ValueError("AWS accepts DH group 5 for ESP (phase 2) only, not for IKE")
        return value


class Tunnel(_Strict):
    """One IPsec tunnel to a VGW endpoint, carrying one eBGP session.

    ``ike_local_port``/``ike_remote_port`` exist for Linux routers that run one charon per
    tunnel (userspace ESP): each charon needs its own IKE port. AWS itself always uses 500.
    """

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,30}$")
    interface: str = Field(pattern=IFNAME)
    outside_address: ipaddress.IPv4Address
    inside_cidr: ipaddress.IPv4Network
    psk: SecretRef
    ike_local_port: int = Field(default=500, ge=1, le=65535)
    ike_remote_port: int = Field(default=500, ge=1, le=65535)
    #: charon's control socket for this tunnel (Linux routers with one charon per tunnel). It
    #: reaches a root shell on the router, so only a plain socket path or host:port is taken.
    vici_uri: str | None = Field(
        default=None, pattern=r"^(unix://(/[A-Za-z0-9._-]+)+|tcp://[A-Za-z0-9.-]+:[0-9]{1,5})$"
    )

    @field_validator("inside_cidr", mode="before")
    @classmethod
    def _strict_network(cls, value: object) -> object:
        # 169.254.10.1/30 is a host address, not a network: say so instead of guessing.
        if isinstance(value, str):
            try:
                ipaddress.ip_network(value, strict=True)
            except ValueError as exc:
                raise ValueError(f"not a network address ({exc})") from exc
        return value

    @field_validator("inside_cidr")
    @classmethod
    def _inside_cidr(cls, value: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        if value.prefixlen != 30:
            raise ValueError("tunnel inside CIDR must be a /30")
        if not value.subnet_of(LINK_LOCAL):
            raise ValueError("tunnel inside CIDR must be inside 169.254.0.0/16")
        if any(value == reserved for reserved in AWS_RESERVED_INSIDE):
            raise ValueError(
                "tunnel inside CIDR is reserved by AWS (169.254.0.0/30-169.254.5.0/30, "
                "169.254.169.252/30)"
            )
        return value

    @property
    def aws_inside_address(self) -> ipaddress.IPv4Address:
        """AWS's end of the tunnel: the first usable address of the /30."""
        return self.inside_cidr.network_address + 1

    @property
    def local_inside_address(self) -> ipaddress.IPv4Address:
        """The router's end of the tunnel: the second usable address of the /30."""
        return self.inside_cidr.network_address + 2


class Wan(_Strict):
    """The ISP-facing side: the customer gateway address and where NAT sends traffic."""

    interface: str = Field(pattern=IFNAME)
    address: ipaddress.IPv4Address
    #: The ISP's name, for reports ("ISP isp-a (eth0) down").
    isp: str | None = Field(default=None, pattern=SAFE_ID)


#: The marker route a health monitor holds while the ISP path is good. A TEST-NET-1 host route
#: (RFC 5737): never used for traffic, and never sent to AWS (TO-AWS permits only 0.0.0.0/0).
HEALTH_TOKEN = ipaddress.IPv4Address("192.0.2.1")
#: BGP's conditional-advertisement scan (seconds): how often the token's presence is re-read;
#: 5 is the least both FRR and VyOS 1.4 accept (``timer (5-240)``).
HEALTH_SCAN_S = 5


class IspHealth(_Strict):
    """Health-driven advertisement: stop attracting the VPC's traffic when the ISP is down.

    A monitor on the router checks ``targets`` (beyond the ISP's first hop) every ``interval``
    seconds through the WAN; it holds the :data:`HEALTH_TOKEN` route while the path is good,
    and BGP conditional advertisement sends the default route to AWS only while the token is
    there. ``maintenance`` suspends the checks: the router advertises as if none were set.
    """

    targets: list[ipaddress.IPv4Address] = Field(min_length=1, max_length=8)
    #: The ISP's first hop (VyOS's failover route needs it as next-hop; FRR pings via the WAN).
    gateway: ipaddress.IPv4Address | None = None
    interval: int = Field(default=5, ge=1, le=255)
    #: Consecutive failed / good checks before withdrawing / returning (None: the platform's
    #: own; VyOS's failover acts on the first check, FRR's monitor defaults to 3 and 3).
    fall: int | None = Field(default=None, ge=1, le=20)
    rise: int | None = Field(default=None, ge=1, le=20)
    #: Seconds one echo request waits for its reply.
    timeout: int = Field(default=1, ge=1, le=10)
    action: str = "withdraw"
    maintenance: bool = False

    @field_validator("action")
    @classmethod
    def _action(cls, value: str) -> str:
        if value == "demote":
            raise ValueError(
                "'demote' is not available: BGP conditional advertisement (what both platforms "
                "have) can only advertise or withdraw a route, not change its prepend; use "
                "action: withdraw"
            )
        if value != "withdraw":
            raise ValueError(f"{value!r} is not an action; use withdraw")
        return value

    @property
    def falls(self) -> int:
        return self.fall or 3

    @property
    def rises(self) -> int:
        return self.rise or 3

    @property
    def active(self) -> bool:
        """Checks in force (configured and not suspended for maintenance)."""
        return not self.maintenance

    @property
    def detection_s(self) -> int:
        """Worst-case seconds from the break to the token gone (BGP's scan comes on top): a
        check starts every ``interval`` (a failed one has waited ``timeout`` already)."""
        return self.falls * max(self.interval, self.timeout) + self.interval

    @property
    def return_s(self) -> int:
        """Worst-case seconds from the path back to the token back (scan on top)."""
        return self.rises * max(self.interval, self.timeout) + self.interval


class Router(_Strict):
    """Everything the templates and checks need to know about one customer router."""

    #: The inventory host name: recorded on the router as its identity (quoted in VyOS set
    #: lines, written to a file on Linux), so only a plain identifier is taken.
    name: str = Field(pattern=SAFE_ID)
    platform: Platform
    role: Role
    rank: int = Field(default=0, ge=0, le=16)
    asn: int
    router_id: ipaddress.IPv4Address | None = None
    vyos_syntax: Literal["1.3", "1.4"] = "1.4"
    vpc: Vpc
    wan: Wan
    tunnels: list[Tunnel] = Field(min_length=1, max_length=2)
    bgp: Bgp = Bgp()
    ipsec: Ipsec = Ipsec()
    tunnel_mtu: int = Field(default=1399, ge=1200, le=1446)
    mss_clamp: int | None = None
    isp_health: IspHealth | None = None

    @field_validator("asn")
    @classmethod
    def _asn(cls, value: int) -> int:
        if not valid_asn(value):
            raise ValueError("customer ASN must be 1-4294967294, not 23456 or 65535")
        return value

    @model_validator(mode="after")
    def _role_rank_and_mss(self) -> Router:
        if self.role == "primary" and self.rank != 0:
            raise ValueError("rank: a primary has rank 0 (leave it out)")
        if self.role == "backup" and self.rank < 1:
            raise ValueError("rank: a backup needs rank 1 (N+1), 2 (N+2) ...")
        if self.asn == self.vpc.vgw.asn:
            raise ValueError("asn: the customer ASN must differ from the VGW ASN (eBGP)")
        if self.mss_clamp is not None and self.mss_clamp > self.tunnel_mtu - 40:
            raise ValueError(f"mss_clamp: must be at most tunnel_mtu - 40 ({self.tunnel_mtu - 40})")
        names = [t.name for t in self.tunnels]
        if len(set(names)) != len(names):
            raise ValueError("tunnels: tunnel names must be unique on a router")
        for index, tunnel in enumerate(self.tunnels[1:], start=1):
            first = next(i for i, t in enumerate(self.tunnels) if t.interface == tunnel.interface)
            if first != index:
                raise ValueError(
                    f"tunnels[{index}].interface: already the interface of tunnels[{first}]: "
                    "each tunnel needs its own interface (e.g. vti0 and vti1)"
                )
        health = self.isp_health
        if health and health.gateway is None and self.platform == "vyos":
            raise ValueError(
                "isp_health.gateway: VyOS's failover route needs the ISP's first hop as its "
                "next-hop (e.g. gateway: 203.0.113.1)"
            )
        if self.med > MAX_MED:
            raise ValueError(
                f"bgp.med_per_rank: rank {self.rank} x {self.bgp.med_per_rank} = MED {self.med}, "
                f"more than BGP's maximum {MAX_MED}"
            )
        return self

    @model_validator(mode="after")
    def _vyos_accepts(self) -> Router:
        """Refuse what this router's VyOS version would refuse (first problem only)."""
        if self.platform == "vyos":
            # What one platform refuses lives with that platform (imported late: it reads this
            # module's models).
            from tasks.platforms.vyos.limits import vyos_problem

            problem = vyos_problem(self)
            if problem:
                raise ValueError(problem)
        return self

    @property
    def mss(self) -> int:
        """TCP MSS to clamp to: configured, or tunnel MTU less IPv4 and TCP headers."""
        return self.mss_clamp if self.mss_clamp is not None else self.tunnel_mtu - 40

    @property
    def prepend_count(self) -> int:
        """How many times a backup prepends its ASN toward AWS: grows with the rank."""
        return self.rank * self.bgp.prepend_per_rank

    @property
    def med(self) -> int:
        """MED sent to AWS: 0 for the primary, rising with the backup rank."""
        return self.rank * self.bgp.med_per_rank

    @property
    def effective_router_id(self) -> ipaddress.IPv4Address:
        return self.router_id or self.wan.address


def by_vpc(routers: Iterable[Router]) -> dict[str, list[Router]]:
    """Routers grouped by VPC id, VPCs sorted: deploy waves, path decisions and checks all
    reason about one VPC's routers together."""
    groups: dict[str, list[Router]] = {}
    for router in routers:
        groups.setdefault(router.vpc.id, []).append(router)
    return dict(sorted(groups.items()))
