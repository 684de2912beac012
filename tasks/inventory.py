"""Load the Nornir inventory and validate it, every rule and every host, before any device.

:func:`load` is what every runbook calls: it builds Nornir from ``config.yaml``, turns each
host into a :class:`tasks.model.Router`, checks the rules that span hosts, and raises one
:class:`~tasks.errors.InventoryError` carrying all problems at once. Validated routers are kept
on ``host.data["router"]`` so tasks never re-read raw dictionaries.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nornir import InitNornir
from nornir.core import Nornir
from nornir.core.inventory import Host
from pydantic import ValidationError

from tasks.errors import InventoryError, InventoryProblem, ToolkitError
from tasks.model import Router, by_vpc

log = logging.getLogger(__name__)

#: Top-level keys of a host's data that belong to the router model.
MODEL_KEYS = tuple(f for f in Router.model_fields if f not in ("name", "platform"))
ROUTER_KEY = "router"


def host_payload(host: Host) -> dict[str, Any]:
    """A host's data as the model sees it: its own keys first, then groups, then defaults."""
    payload: dict[str, Any] = {"name": host.name, "platform": host.platform}
    for key in MODEL_KEYS:
        try:
            value = host[key]
        except KeyError:
            continue
        payload[key] = value
    return payload


#: Model validators that judge several fields name the one at fault as "field: message".
_FIELD_PREFIX = re.compile(r"^([a-z_]+(?:\[\d+\]|\.[a-z_]+)*): (.+)$", re.DOTALL)


def _problems_from(
    host: str, payload: dict[str, Any], exc: ValidationError
) -> list[InventoryProblem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc: list[str | int] = list(err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        value: object = err.get("input")
        named = _FIELD_PREFIX.match(message)
        if named and err["type"] == "value_error":
            loc.extend(
                int(part) if part.isdigit() else part
                for part in re.split(r"[.\[\]]+", named.group(1))
                if part
            )
            message = named.group(2)
            value = _lookup(payload, loc)
        if err["type"] == "missing":
            value = "<missing>"
        elif isinstance(value, dict):
            value = _short(value)
        problems.append(InventoryProblem(host, _field_path(loc) or "<host>", value, message))
    return problems


def _lookup(payload: Any, loc: list[str | int]) -> object:
    for item in loc:
        try:
            payload = payload[item]
        except (KeyError, IndexError, TypeError):
            return "<default>"
    return payload


def _field_path(loc: list[str | int]) -> str:
    """Turn pydantic's location into ``tunnels[0].inside_cidr``-style paths."""
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int) and parts:
            parts[-1] += f"[{item}]"
        else:
            parts.append(str(item))
    return ".".join(parts)


def _short(value: dict[str, Any]) -> str:
    # Sub-dicts are shown by their keys only: terse, and a reference never echoes a value.
    return "{" + ", ".join(sorted(value)) + "}"


def validate_hosts(hosts: Iterable[Host]) -> dict[str, Router]:
    """Validate every host and the rules between them; raise with every problem at once."""
    routers: dict[str, Router] = {}
    problems: list[InventoryProblem] = []
    for host in hosts:
        payload = host_payload(host)
        try:
            routers[host.name] = Router.model_validate(payload)
        except ValidationError as exc:
            problems.extend(_problems_from(host.name, payload, exc))
    problems.extend(cross_host_problems(routers.values()))
    if problems:
        raise InventoryError(problems)
    return routers


def cross_host_problems(routers: Iterable[Router]) -> list[InventoryProblem]:
    """Rules over a VPC's routers: one primary, unique ranks, unique inside CIDRs per VGW."""
    problems: list[InventoryProblem] = []
    routers = list(routers)
    by_vgw: dict[str, list[tuple[Router, int]]] = defaultdict(list)
    for router in routers:
        for index, _tunnel in enumerate(router.tunnels):
            by_vgw[router.vpc.vgw.id].append((router, index))

    for vpc_id, members in by_vpc(routers).items():
        primaries = [r for r in members if r.role == "primary"]
        if len(primaries) != 1:
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


def load(config_file: str | Path = "config.yaml", **overrides: Any) -> Nornir:
    """Initialise Nornir from ``config_file`` and validate the whole inventory.

    Raises:
        InventoryError: one or more hosts break a rule (all problems listed).
        ToolkitError: the config file or inventory files cannot be read.
    """
    path = Path(config_file)
    if not path.is_file():
        raise ToolkitError(f"Nornir config file {path} not found (pass --config PATH)")
    try:
        anchored = {} if "inventory" in overrides else _anchored_inventory(path)
        nr = InitNornir(config_file=str(path), **{**anchored, **overrides})
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ToolkitError(f"cannot load inventory from {path}: {exc}") from exc
    routers = validate_hosts(nr.inventory.hosts.values())
    for name, router in routers.items():
        nr.inventory.hosts[name].data[ROUTER_KEY] = router
    log.debug("inventory %s: %d hosts valid", path, len(routers))
    return nr


def _anchored_inventory(config_file: Path) -> dict[str, Any]:
    """Resolve relative inventory file paths against the config file's folder, not the CWD.

    Nornir opens them relative to the working directory, so a runbook started from elsewhere
    (cron, systemd) would read the wrong files or none.
    """
    import yaml

    try:
        data = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ToolkitError(f"cannot read Nornir config {config_file}: {exc}") from exc
    options = dict((data.get("inventory") or {}).get("options") or {})
    changed = False
    for key in ("host_file", "group_file", "defaults_file"):
        value = options.get(key)
        if isinstance(value, str) and not Path(value).is_absolute():
            options[key] = str((config_file.resolve().parent / value).resolve())
            changed = True
    if not changed:
        return {}
    plugin = (data.get("inventory") or {}).get("plugin", "SimpleInventory")
    return {"inventory": {"plugin": plugin, "options": options}}


def router_of(host: Host) -> Router:
    """The validated model of a host loaded through :func:`load`."""
    router = host.data.get(ROUTER_KEY)
    if not isinstance(router, Router):
        raise ToolkitError(f"{host.name}: inventory was not validated (use tasks.inventory.load)")
    return router


def select(
    nr: Nornir,
    hosts: Iterable[str] | None = None,
    role: str | None = None,
    vpc: str | None = None,
) -> Nornir:
    """Filter by host names, role and VPC; unknown host names are an error, not a no-op."""
    if hosts:
        wanted = set(hosts)
        unknown = sorted(wanted - set(nr.inventory.hosts))
        if unknown:
            raise ToolkitError(
                f"unknown host(s) {', '.join(unknown)}; inventory has "
                f"{', '.join(sorted(nr.inventory.hosts))}"
            )
        nr = nr.filter(filter_func=lambda h: h.name in wanted)
    if role:
        nr = nr.filter(filter_func=lambda h: router_of(h).role == role)
    if vpc:
        nr = nr.filter(filter_func=lambda h: router_of(h).vpc.id == vpc)
    return nr
