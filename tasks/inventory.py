"""Load the Nornir inventory and validate it, every rule and every host, before any device.

:func:`load` is what every runbook calls: it builds Nornir from ``config.yaml``, turns each
host into a :class:`tasks.model.Router`, checks the rules that span hosts, and raises one
:class:`~tasks.errors.InventoryError` carrying all problems at once. Validated routers are kept
on ``host.data["router"]`` so tasks never re-read raw dictionaries.
"""

from __future__ import annotations

import difflib
import logging
import re
import typing
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from nornir import InitNornir
from nornir.core import Nornir
from nornir.core.exceptions import PluginNotRegistered
from nornir.core.inventory import Host
from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAMLError

from tasks.errors import InventoryError, InventoryProblem, ToolkitError
from tasks.model import AWS_ACCEPTS, Router, by_vpc

log = logging.getLogger(__name__)

#: Top-level keys of a host's data that belong to the router model.
MODEL_KEYS = tuple(f for f in Router.model_fields if f not in ("name", "platform"))
ROUTER_KEY = "router"
#: Host data keys outside the router model that are not typos: the validated model itself and
#: the lab's own bookkeeping (namespace, staging folder). Operators' own keys start with ``x_``.
OTHER_KEYS = (ROUTER_KEY, "lab")


def host_payload(host: Host, base: Path | None = None) -> dict[str, Any]:
    """A host's data as the model sees it: its own keys first, then groups, then defaults.

    With ``base``, a relative key ``file:`` path is taken relative to that folder (the Nornir
    config's), not to whatever the working directory of a cron or systemd run happens to be.
    """
    payload: dict[str, Any] = {"name": host.name, "platform": host.platform}
    for key in MODEL_KEYS:
        try:
            value = host[key]
        except KeyError:
            continue
        payload[key] = value
    if base is not None and isinstance(payload.get("tunnels"), list):
        payload["tunnels"] = [_anchored_key(t, base) for t in payload["tunnels"]]
    return payload


def _anchored_key(tunnel: Any, base: Path) -> Any:
    psk = tunnel.get("psk") if isinstance(tunnel, dict) else None
    path = psk.get("file") if isinstance(psk, dict) else None
    if not isinstance(path, str) or Path(path).expanduser().is_absolute():
        return tunnel
    assert isinstance(psk, dict)  # a str path is only read from a dict
    return {**tunnel, "psk": {**psk, "file": str(base / path)}}


def unknown_keys(host: Host) -> list[InventoryProblem]:
    """Top-level data keys the model does not know (``tunnel_mut``, ``bgb``): a typo there
    would otherwise silently fall back to a default or a group's value."""
    problems = []
    for key in sorted(set(host.keys()) - set(MODEL_KEYS) - set(OTHER_KEYS)):
        if key.startswith("x_"):
            continue
        close = difflib.get_close_matches(key, MODEL_KEYS, n=2, cutoff=0.6)
        hint = (f"; did you mean {' or '.join(map(repr, close))}?" if close
                else f" (known: {', '.join(MODEL_KEYS)})")  # fmt: skip
        problems.append(
            InventoryProblem(host.name, key, "<set>", f"unknown field{hint} Own keys: x_<name>")
        )
    return problems


def host_problems(hosts: Iterable[Host]) -> list[InventoryProblem]:
    """Management addresses: every host has one, and no two hosts share it (address and SSH
    port: routers behind one address on their own ports are distinct)."""
    problems = []
    seen: dict[tuple[str, int], str] = {}
    for host in hosts:
        address = host.hostname
        where = (str(address), host.port or 22)
        if not address:
            problems.append(
                InventoryProblem(host.name, "hostname", "<missing>",
                                 "the router's management address is required (without it "
                                 f"the inventory name {host.name!r} would be looked up in DNS)")
            )  # fmt: skip
        elif where in seen:
            problems.append(
                InventoryProblem(host.name, "hostname", address,
                                 f"already the management address of {seen[where]}: each "
                                 "router needs its own (else one router gets another's config)")
            )  # fmt: skip
        else:
            seen[where] = host.name
    return problems


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
        message = _with_fix(err["type"], loc, value, message)
        if isinstance(value, dict):
            value = _short(value)
        problems.append(InventoryProblem(host, _field_path(loc) or "<host>", value, message))
    return problems


def _model_at(loc: list[str | int]) -> type[BaseModel] | None:
    """The model class that holds the field at ``loc`` (``["tunnels", 0, "psk"]`` -> Tunnel)."""
    model: Any = Router
    for item in loc[:-1]:
        if isinstance(item, int):
            continue
        field = getattr(model, "model_fields", {}).get(item)
        if field is None:
            return None
        inner = field.annotation
        for arg in (*typing.get_args(inner), inner):
            args = typing.get_args(arg) or (arg,)
            found = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)),
                         None)  # fmt: skip
            if found is not None:
                model = found
                break
        else:
            return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _with_fix(kind: str, loc: list[str | int], value: object, message: str) -> str:
    """pydantic's wording, plus what to write instead where pydantic does not say it."""
    last = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        model = _model_at(loc)
        known = [f for f in (model.model_fields if model else {}) if f != "memory"]
        close = difflib.get_close_matches(str(last), known, n=2, cutoff=0.6)
        hint = (f"did you mean {' or '.join(map(repr, close))}?" if close
                else f"known: {', '.join(known)}")  # fmt: skip
        return f"unknown field; {hint}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        if last == "psk":
            return ("must be a reference such as {env: VAR}, {file: PATH}, {ssm: /name} or "
                    "{secretsmanager: id}; plain-text keys are not accepted")  # fmt: skip
        model = _model_at([*loc, "x"])
        fields = ", ".join(model.model_fields) if model else "its fields"
        if last == "wan":
            return "must be a mapping of interface and address ({interface: eth0, address: ...})"
        return f"must be a mapping of {fields}, not {type(value).__name__}"
    if kind == "literal_error" and last == "vyos_syntax" and isinstance(value, int | float):
        return f'{message}: quote it: vyos_syntax: "{value}" (YAML reads 1.4 as a number)'
    if kind == "literal_error" and isinstance(last, str) and last in AWS_ACCEPTS:
        what, choices = AWS_ACCEPTS[last]
        *head, tail = [str(c) for c in choices]
        return f"{what} must be one AWS accepts: {', '.join(head)} or {tail}"
    return message


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


def validate_hosts(hosts: Iterable[Host], base: Path | None = None) -> dict[str, Router]:
    """Validate every host and the rules between them; raise with every problem at once."""
    hosts = list(hosts)
    routers: dict[str, Router] = {}
    problems: list[InventoryProblem] = host_problems(hosts)
    for host in hosts:
        problems.extend(unknown_keys(host))
        payload = host_payload(host, base)
        try:
            routers[host.name] = Router.model_validate(payload)
        except ValidationError as exc:
            problems.extend(_problems_from(host.name, payload, exc))
    incomplete = len(routers) < len(hosts)
    problems.extend(cross_host_problems(routers.values(), incomplete=incomplete))
    problems.extend(address_problems(routers.values()))
    if problems:
        raise InventoryError(problems)
    return routers


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


def load(config_file: str | Path = "config.yaml", **overrides: Any) -> Nornir:
    """Initialise Nornir from ``config_file`` and validate the whole inventory.

    Raises:
        InventoryError: one or more hosts break a rule (all problems listed).
        ToolkitError: the config file or inventory files cannot be read.
    """
    path = Path(config_file)
    if not path.is_file():
        raise ToolkitError(f"Nornir config file {path} not found (pass --config PATH)")
    anchored = {} if "inventory" in overrides else _anchored_inventory(path)
    options = ((anchored or overrides).get("inventory") or {}).get("options") or {}
    undefined_groups(options)
    try:
        nr = InitNornir(config_file=str(path), **{**anchored, **overrides})
    except PluginNotRegistered as exc:
        raise ToolkitError(
            f"{path}: {exc}; Nornir's own plugins are SimpleInventory (inventory) and threaded "
            "or serial (runner)"
        ) from exc
    except (YAMLError, yaml.YAMLError) as exc:
        raise ToolkitError(f"cannot read the inventory of {path}: not valid YAML: {exc}") from exc
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ToolkitError(f"cannot load inventory from {path}: {exc}") from exc
    routers = validate_hosts(nr.inventory.hosts.values(), base=path.resolve().parent)
    for name, router in routers.items():
        nr.inventory.hosts[name].data[ROUTER_KEY] = router
    log.debug("inventory %s: %d hosts valid", path, len(routers))
    return nr


def _anchored_inventory(config_file: Path) -> dict[str, Any]:
    """Resolve relative inventory file paths against the config file's folder, not the CWD.

    Nornir opens them relative to the working directory, so a runbook started from elsewhere
    (cron, systemd) would read the wrong files or none.
    """
    try:
        data = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ToolkitError(f"cannot read Nornir config {config_file}: {exc}") from exc
    options = dict((data.get("inventory") or {}).get("options") or {})
    for key in ("host_file", "group_file", "defaults_file"):
        value = options.get(key)
        if isinstance(value, str) and not Path(value).is_absolute():
            options[key] = str((config_file.resolve().parent / value).resolve())
    plugin = (data.get("inventory") or {}).get("plugin", "SimpleInventory")
    return {"inventory": {"plugin": plugin, "options": options}}


#: What a Nornir SimpleInventory host or group entry may hold (anything else is a typo that
#: Nornir would silently ignore: ``hostnme:`` leaves the router without its address).
ENTRY_KEYS = ("hostname", "port", "username", "password", "platform", "groups", "data",
              "connection_options")  # fmt: skip


def undefined_groups(options: dict[str, Any]) -> None:
    """Refuse what Nornir's SimpleInventory would crash on or silently ignore in the host and
    group files, naming host (or group), field and fix: groups that are not defined (Nornir
    raises a bare ``KeyError('vpc-x')``), unknown entry keys, and ports or group lists of the
    wrong type.
    """
    hosts_file, groups_file = options.get("host_file"), options.get("group_file")
    for key in ("host_file", "group_file", "defaults_file"):
        named = options.get(key)
        if isinstance(named, str) and not Path(named).is_file():
            raise ToolkitError(
                f"inventory file {named} (inventory.options.{key}) not found: fix the path "
                "(a relative path is relative to the Nornir config's folder)"
            )
    if not hosts_file:
        return
    hosts = _read_yaml(Path(hosts_file))
    groups = _read_yaml(Path(groups_file)) if groups_file and Path(groups_file).is_file() else {}
    defaults_file = options.get("defaults_file")
    if defaults_file and Path(defaults_file).is_file():
        _read_yaml(Path(defaults_file))
    if not isinstance(hosts, dict) or not isinstance(groups, dict):
        raise ToolkitError(
            f"{hosts_file} and {groups_file} must each map names to entries "
            "(name: {hostname: ..., groups: [...], data: {...}})"
        )
    problems = []
    for kind, entries in (("host", hosts), ("group", groups)):
        for name, entry in entries.items():
            problems.extend(_entry_problems(str(name), kind, entry, groups, groups_file))
    if problems:
        raise InventoryError(problems)


def _read_yaml(path: Path) -> Any:
    """One inventory file's YAML; a syntax error names the file, line and column."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ToolkitError(
            f"cannot read {path}: not valid YAML ({where.strip() or 'syntax'}: {problem}); "
            "fix the YAML syntax there"
        ) from exc
    except OSError as exc:
        raise ToolkitError(f"cannot read {path}: {exc.strerror}") from exc


def _entry_problems(
    name: str, kind: str, entry: Any, groups: dict[str, Any], groups_file: str | None
) -> list[InventoryProblem]:
    if entry is None:
        entry = {}
    if not isinstance(entry, dict):
        return [
            InventoryProblem(
                name,
                "<entry>",
                _short_value(entry),
                f"a {kind} entry must be a mapping (hostname, groups, data ...)",
            )
        ]
    problems = []
    for key in sorted(set(map(str, entry)) - set(ENTRY_KEYS)):
        close = difflib.get_close_matches(key, ENTRY_KEYS, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(ENTRY_KEYS)}"
        where = "host" if kind == "host" else "group"
        problems.append(InventoryProblem(name, key, "<set>",
                                         f"unknown {where} entry field; {hint} (router settings "
                                         "go under data:)"))  # fmt: skip
    port = entry.get("port")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int)
                             or not 1 <= port <= 65535):  # fmt: skip
        rule = (
            "must be a number, not true/false"
            if isinstance(port, bool)
            else "the SSH port must be a number 1..65535 (default 22: leave it out)"
        )
        problems.append(InventoryProblem(name, "port", port, rule))
    member_of = entry.get("groups")
    if member_of is not None and not (
        isinstance(member_of, list) and all(isinstance(g, str) for g in member_of)
    ):
        problems.append(
            InventoryProblem(
                name,
                "groups",
                _short_value(member_of),
                "must be a list of group names, e.g. [vyos, vpc-prod]",
            )
        )
        member_of = []
    for group in member_of or []:
        if group not in groups:
            problems.append(
                InventoryProblem(
                    name, "groups", group,
                    f"group {group!r} is not defined in {groups_file} (defined: "
                    f"{', '.join(sorted(map(str, groups))) or 'none'})",
                )
            )  # fmt: skip
    return problems


def _short_value(value: Any) -> object:
    return _short(value) if isinstance(value, dict) else value


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
