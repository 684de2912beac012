"""One IPsec tunnel to a VGW endpoint, and the link-local ranges its inside CIDR comes from.

AWS facts the rules encode (see shared/DESIGN.md): tunnel inside CIDRs are /30s in
169.254.0.0/16, not 169.254.0.0/30-169.254.5.0/30 nor 169.254.169.252/30; AWS takes the first
usable address, the customer the second.
"""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator

from tasks.model.base import IFNAME, Strict
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


class Tunnel(Strict):
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
