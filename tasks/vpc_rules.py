"""Rules over the routers of one inventory that no single host can break alone: one primary
per VPC, unique backup ranks, one VGW per VPC, a router that never withdraws on ISP health,
unique inside CIDRs per VGW, and no outside address used twice.

:func:`tasks.inventory.validate_hosts` runs them after every host validated on its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from tasks.errors import InventoryProblem
from tasks.model import Router, by_vpc


def address_problems(routers: Iterable[Router]) -> list[InventoryProblem]:
    """Outside addresses: a router's two tunnels go to two AWS endpoints, no two routers share
    a WAN (customer gateway) address, and no AWS endpoint address serves two tunnels."""
    problems = []
    wan: dict[str, str] = {}
    outside: dict[str, str] = {}
    for router in sorted(routers, key=lambda r: r.name):
        address = str(router.wan.address)
        if address in wan:
            problems.append(
                InventoryProblem(router.name, "wan.address", address,
                                 f"already the WAN address of {wan[address]}: each router is "
                                 "its own customer gateway with its own address")
            )  # fmt: skip
        wan.setdefault(address, router.name)
        for index, tunnel in enumerate(router.tunnels):
            address = str(tunnel.outside_address)
            where = f"{router.name} tunnels[{index}]"
            if address in outside:
                problems.append(
                    InventoryProblem(router.name, f"tunnels[{index}].outside_address", address,
                                     f"already the outside address of {outside[address]}: each "
                                     "tunnel goes to its own AWS endpoint (two per connection)")
                )  # fmt: skip
            outside.setdefault(address, where)
    return problems


def cross_host_problems(
    routers: Iterable[Router], incomplete: bool = False
) -> list[InventoryProblem]:
    """Rules over a VPC's routers: one primary, unique ranks, unique inside CIDRs per VGW.

    ``incomplete``: some hosts failed validation, so a VPC may lack its primary only because
    that host is already reported; "has none" is then not said (it would blame the others).
    """
    problems: list[InventoryProblem] = []
    routers = list(routers)
    by_vgw: dict[str, list[tuple[Router, int]]] = defaultdict(list)
    for router in routers:
        for index, _tunnel in enumerate(router.tunnels):
            by_vgw[router.vpc.vgw.id].append((router, index))

    for vpc_id, members in by_vpc(routers).items():
        primaries = [r for r in members if r.role == "primary"]
        if len(primaries) > 1 or (not primaries and not incomplete):
            names = ", ".join(sorted(r.name for r in primaries)) or "none"
            for router in primaries or members:
                problems.append(
                    InventoryProblem(
                        router.name,
                        "role",
                        router.role,
                        f"VPC {vpc_id} needs exactly one primary router (has {names})",
                    )
                )
        seen_rank: dict[int, str] = {}
        for router in sorted(members, key=lambda r: r.name):
            if router.role != "backup":
                continue
            if router.rank in seen_rank:
                problems.append(
                    InventoryProblem(
                        router.name,
                        "rank",
                        router.rank,
                        f"backup rank {router.rank} is already used by {seen_rank[router.rank]} "
                        f"in VPC {vpc_id}; ranks must be unique (N+1, N+2 ...)",
                    )
                )
            else:
                seen_rank[router.rank] = router.name
        guarded = [r for r in members if r.isp_health is not None]
        if members and len(guarded) == len(members) and not incomplete:
            for router in guarded:
                problems.append(
                    InventoryProblem(
                        router.name,
                        "isp_health",
                        "set",
                        f"every router of VPC {vpc_id} withdraws on ISP health: if all their "
                        "checks fail at once (a shared target down) the VPC has no route out; "
                        "leave isp_health off at least one router (the last resort, usually "
                        "the last backup)",
                    )
                )
        vgws = {r.vpc.vgw for r in members}
        if len(vgws) > 1:
            for router in members:
                problems.append(
                    InventoryProblem(
                        router.name,
                        "vpc.vgw",
                        f"{router.vpc.vgw.id}/{router.vpc.vgw.asn}",
                        f"all routers of VPC {vpc_id} must name the same VGW id and ASN",
                    )
                )

    for vgw_id, tunnels in sorted(by_vgw.items()):
        owner: dict[str, str] = {}
        for router, index in tunnels:
            cidr = str(router.tunnels[index].inside_cidr)
            where = f"{router.name} tunnels[{index}]"
            if cidr in owner:
                problems.append(
                    InventoryProblem(
                        router.name,
                        f"tunnels[{index}].inside_cidr",
                        cidr,
                        f"inside CIDR already used on VGW {vgw_id} by {owner[cidr]}; "
                        "each tunnel of a VGW needs its own /30",
                    )
                )
            else:
                owner[cidr] = where
    return problems
