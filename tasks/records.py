"""Typed records for parsed device state, in one place.

Parsers (:mod:`tasks.parsing`) return these and checks consume them, so both sides agree on one
shape whatever the platform printed. They are ``TypedDict`` so that a record compares equal to
the plain mapping in a fixture's ``.yml`` and serialises to ``--json`` without a converter.

A value the device did not print is ``None``, never a made-up default: a missing metric is not
a metric of 0, and a down SA has no byte count rather than zero bytes.
"""

from __future__ import annotations

from typing import Literal, TypedDict

Origin = Literal["IGP", "EGP", "incomplete"]


class BgpPath(TypedDict):
    """One path of a BGP table row (a continuation row is a path of the prefix above).

    Example (FRR ``*= 10.1.0.0/16  10.255.77.6  0  0 64512 i``)::

        {"prefix": "10.1.0.0/16", "next_hop": "10.255.77.6", "metric": 0,
         "local_pref": None, "weight": 0, "as_path": [64512], "origin": "IGP",
         "valid": True, "best": False, "multipath": True, "internal": False,
         "stale": False, "suppressed": False, "damped": False, "history": False,
         "rib_failure": False, "removed": False}
    """

    prefix: str
    next_hop: str
    metric: int | None
    local_pref: int | None
    weight: int
    as_path: list[int]
    origin: Origin
    valid: bool
    best: bool
    multipath: bool
    internal: bool
    stale: bool
    suppressed: bool
    damped: bool
    history: bool
    rib_failure: bool
    removed: bool


class BgpTable(TypedDict):
    """``show ip bgp`` and the per-neighbor route tables.

    ``local_as`` is ``None`` for Quagga (VyOS 1.1), whose table header does not print it;
    ``router_id`` is ``None`` only for FRR's "No BGP prefixes displayed" answer.

    Example::

        {"router_id": "10.255.77.1", "local_as": 65001, "paths": [<BgpPath>, ...]}
    """

    router_id: str | None
    local_as: int | None
    paths: list[BgpPath]


class BgpNeighbor(TypedDict):
    """One row of ``show ip bgp summary``.

    ``state`` is ``"Established"`` when the device printed a prefix count, else the state it
    printed (``"Active"``, ``"Connect"``, ``"Idle"``, ``"Idle (Admin)"`` ...).
    ``prefixes_received`` is ``None`` unless established; ``prefixes_sent`` is ``None`` where the
    release has no PfxSnt column. ``up_down_s`` is ``None`` for ``never``.

    Example::

        {"address": "10.255.77.2", "remote_as": 64512, "up_down": "00:00:02",
         "up_down_s": 2, "state": "Idle (Admin)", "established": False,
         "prefixes_received": None, "prefixes_sent": 0, "description": None}
    """

    address: str
    remote_as: int
    up_down: str
    up_down_s: int | None
    state: str
    established: bool
    prefixes_received: int | None
    prefixes_sent: int | None
    description: str | None


class BgpSummary(TypedDict):
    """``show ip bgp summary``: the router's identity and one record per neighbor.

    Example::

        {"router_id": "10.255.77.1", "local_as": 65001, "neighbors": [<BgpNeighbor>, ...]}
    """

    router_id: str
    local_as: int
    neighbors: list[BgpNeighbor]


class BgpNeighborDetail(TypedDict):
    """``show ip bgp neighbors <address>``: the timers a session runs with.

    ``hold_time``/``keepalive`` are the negotiated values (``None`` when FRR does not print
    them); ``configured_*`` what the router asks for.

    Example::

        {"address": "169.254.10.9", "remote_as": 64512, "local_as": 65010,
         "state": "Established", "admin_down": False, "hold_time": 30, "keepalive": 10,
         "configured_hold_time": 30, "configured_keepalive": 10}
    """

    address: str
    remote_as: int
    local_as: int
    state: str
    admin_down: bool
    hold_time: int | None
    keepalive: int | None
    configured_hold_time: int | None
    configured_keepalive: int | None


class IpsecSa(TypedDict):
    """One IPsec child SA (one tunnel), whatever printed it: VyOS 1.1/1.2 peer blocks, the VyOS
    1.3/1.4 table, or strongSwan ``swanctl --list-sas``.

    ``connection`` uses the VyOS 1.3 naming for VyOS 1.2 rows (``peer-<remote>-tunnel-<n>``) so
    the same tunnel keeps its name across an upgrade. ``state`` is ``"up"`` or ``"down"``
    and ``up`` says the same as a bool: up only when the SA is installed and carrying traffic
    (swanctl: IKE SA ESTABLISHED and child INSTALLED; VyOS 1.2 ``init`` is down). Byte counts
    printed as human sizes (``7.5M``) are converted with 1024 as the base and so are
    approximate; counters the format lacks or the device printed as ``n/a`` are ``None``.
    ``encryption`` and ``integrity`` are lower-case strongSwan-style names (``aes256``,
    ``aes128gcm16``, ``sha1``, ``sha256``), ``dh_group`` the IANA group number (2, 14, 19 ...).

    Example (VyOS 1.3 ``peer-13.112.28.41-tunnel-vti  up  1m59s  1K/1K  17/25 ...``)::

        {"connection": "peer-13.112.28.41-tunnel-vti", "description": None,
         "remote_address": "13.112.28.41", "local_address": None, "state": "up", "up": True,
         "bytes_in": 1024, "bytes_out": 1024, "packets_in": 17, "packets_out": 25,
         "encryption": "aes128", "integrity": "sha1", "dh_group": 2, "ike_version": None,
         "nat_t": None, "uptime_s": 119, "lifetime_s": None}
    """

    connection: str
    description: str | None
    remote_address: str | None
    local_address: str | None
    state: str
    up: bool
    bytes_in: int | None
    bytes_out: int | None
    packets_in: int | None
    packets_out: int | None
    encryption: str | None
    integrity: str | None
    dh_group: int | None
    ike_version: int | None
    nat_t: bool | None
    uptime_s: int | None
    lifetime_s: int | None


class Route(TypedDict):
    """One route of ``show ip route``, with every ECMP next hop.

    Example (``B>* 10.1.0.0/16 [20/0] via 10.255.77.2, vetha`` plus one continuation)::

        {"prefix": "10.1.0.0/16", "protocol": "bgp", "selected": True, "fib": True,
         "distance": 20, "metric": 0, "next_hops": ["10.255.77.2", "10.255.77.6"],
         "interface": "vetha"}
    """

    prefix: str
    protocol: str
    selected: bool
    fib: bool
    distance: int | None
    metric: int | None
    next_hops: list[str]
    interface: str | None


class RouteTable(TypedDict):
    """``show ip route``; see :func:`active_default_route` for the question checks ask of it."""

    routes: list[Route]


def active_default_route(table: RouteTable) -> Route | None:
    """The default route the router forwards with, or ``None`` when it has none.

    Only a route both selected (``>``) and installed in the FIB (``*``) counts: a BGP default
    that lost to a static one, or one zebra could not install, does not carry traffic.

    >>> active_default_route({"routes": []}) is None
    True
    """
    for route in table["routes"]:
        if route["prefix"] == "0.0.0.0/0" and route["selected"] and route["fib"]:
            return route
    return None
