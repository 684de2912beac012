"""The AWS side a router serves: the VPC, its virtual private gateway, and the eBGP to it.

AWS facts the rules encode (see shared/DESIGN.md): VGW ASN 64512-65534 or
4200000000-4294967294 (default 64512); BGP keepalive at most a third of the hold time, AWS
uses 30/10.
"""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator, model_validator

from tasks.model.base import SAFE_ID, Strict


class Vgw(Strict):
    """The VPC's virtual private gateway, as the router sees it."""

    id: str = Field(default="vgw-unknown", pattern=SAFE_ID)
    asn: int = 64512

    @field_validator("asn")
    @classmethod
    def _vgw_asn_range(cls, value: int) -> int:
        if not (64512 <= value <= 65534 or 4200000000 <= value <= 4294967294):
            raise ValueError("VGW ASN must be 64512-65534 or 4200000000-4294967294")
        return value


class Vpc(Strict):
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


class Bgp(Strict):
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
