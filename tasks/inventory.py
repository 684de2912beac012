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
from tasks.inventory_files import short_value, undefined_groups
from tasks.model import Router
from tasks.model.ipsec import AWS_ACCEPTS
from tasks.vpc_rules import address_problems, cross_host_problems

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
            value = short_value(value)
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
