"""The ISP-facing side of a router: its WAN, and the health checks that can withdraw it.

How verify judges a monitor's state is :mod:`tasks.isp_health`; this module is only what the
inventory says.
"""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator

from tasks.model.base import IFNAME, SAFE_ID, Strict


class Wan(Strict):
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


class IspHealth(Strict):
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
