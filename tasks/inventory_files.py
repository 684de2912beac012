"""The inventory's files as Nornir's SimpleInventory reads them, checked before it does.

SimpleInventory crashes on a group that is not defined (a bare ``KeyError``) and silently
ignores a misspelt entry key (``hostnme:`` leaves a router without its address): these checks
name the file, host or group, field and fix first, so :func:`tasks.inventory.load` never
hands a broken file to Nornir.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml

from tasks.errors import InventoryError, InventoryProblem, ToolkitError

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
                short_value(entry),
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
                short_value(member_of),
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


def short_value(value: Any) -> object:
    """A value as a problem shows it: a mapping by its keys only (terse, and a reference
    never echoes a secret's value)."""
    return "{" + ", ".join(sorted(value)) + "}" if isinstance(value, dict) else value
