"""The router model: what one customer router of a VPC must look like, as typed data.

A Nornir host's merged data (host, then its groups, then defaults, first hit wins per top-level
key) is validated into a :class:`Router`. Rules that span hosts (one primary per VPC, unique
backup ranks, unique inside CIDRs per VGW) live in :mod:`tasks.inventory`.

The parts a router is made of live beside it, one job each:

- :mod:`tasks.model.base`: the strict base model, identifier patterns, platform and role;
- :mod:`tasks.model.vpc`: the VPC, its VGW and the eBGP settings toward it;
- :mod:`tasks.model.tunnel`: one IPsec tunnel and the link-local ranges AWS reserves;
- :mod:`tasks.model.ipsec`: the IKE/ESP proposals and DPD an AWS VPN connection accepts;
- :mod:`tasks.model.isp`: the WAN and the ISP health checks.

AWS facts the router-wide rules encode (see shared/DESIGN.md): tunnel MTU at most 1446 (AWS
documents 1399 for the worst case); MSS below MTU - 40; the customer ASN differs from the VGW's.

What VyOS itself refuses is checked too, per ``vyos_syntax``
(:mod:`tasks.platforms.vyos.limits`, from
VyOS's configuration tree in ``../shared/vyos-schema/`` and ``../shared/vyos/BEHAVIOUR.md``
section 1.4): a value the router would answer with "Value validation failed" is refused at
load time, naming host and field, instead of half-way through a diff on the router.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Literal

from pydantic import Field, field_validator, model_validator

from tasks.model.base import SAFE_ID, Platform, Role, Strict, valid_asn
from tasks.model.ipsec import Ipsec
from tasks.model.isp import IspHealth, Wan
from tasks.model.tunnel import Tunnel
from tasks.model.vpc import Bgp, Vpc

#: BGP MED (and VyOS ``set metric``) is an unsigned 32-bit number.
MAX_MED = 4294967295


class Router(Strict):
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
