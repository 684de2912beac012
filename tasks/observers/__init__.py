"""Path observers by kind: who says which router carries a VPC's outbound traffic.

verify's data-plane check and failover's drain are judged by an observer that the Nornir
config names (``user_defined.probe.kind``). The product registers its own kinds here:

- ``counters`` (the default off the lab): the routers' own counters, read over SSH
  (:mod:`tasks.observers.counters`); needs nothing but the SSH access deploy already has;
- ``ssm``: an agent on an instance inside the VPC, started through SSM Run Command, polling a
  "what is my address" endpoint (:mod:`tasks.observers.ssm`).

Other kinds register themselves with :func:`register`: the lab registers ``lab`` when
``tasks.lab`` is imported, and through the ``vpc_ha.observers`` entry point for processes
that never import it (a runbook run against the lab's config). Product code never imports the
lab. An unknown kind is refused by :func:`check_kind` before any device is touched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any

from tasks.errors import BadInput

log = logging.getLogger(__name__)

DEFAULT_KIND = "counters"
ENTRY_POINT_GROUP = "vpc_ha.observers"

#: kind -> factory(probe config, Nornir hosts by name) -> observer
Factory = Callable[[Mapping[str, Any], Mapping[str, Any]], Any]
#: kind -> what this machine lacks to run that observer (probe config -> problem or None)
Requires = Callable[[Mapping[str, Any]], "str | None"]
_REGISTRY: dict[str, Factory] = {}
_REQUIRES: dict[str, Requires] = {}
_loaded = False


class ObserverError(BadInput):
    """The probe config names no known observer, or its settings are wrong (bad input)."""


def register(kind: str, factory: Factory, requires: Requires | None = None) -> None:
    """Make ``factory`` the observer of ``kind`` (a later registration replaces it).

    ``requires`` says what this machine lacks to run it (e.g. root), or None; it is asked by
    :func:`check_kind`, before any router is touched.
    """
    _REGISTRY[kind] = factory
    if requires is None:
        _REQUIRES.pop(kind, None)
    else:
        _REQUIRES[kind] = requires


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    from tasks.observers import counters, ssm  # noqa: F401  (register on import)

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            ep.load()
        except Exception as exc:  # a broken plugin must not hide the built-in kinds
            log.warning("observer plugin %s failed to load: %s", ep.name, exc)


def known_kinds() -> list[str]:
    _load()
    return sorted(_REGISTRY)


def kind_of(probe: Mapping[str, Any] | None) -> str:
    """The configured kind; ``counters`` when the config names none."""
    return str((probe or {}).get("kind") or DEFAULT_KIND)


def check_kind(probe: Mapping[str, Any] | None) -> str:
    """The configured kind, refused (:class:`ObserverError`) when nothing registered it or
    this machine lacks what it needs (the lab observer without root)."""
    kind = kind_of(probe)
    if kind not in known_kinds():
        raise ObserverError(
            f"unknown probe kind {kind!r} in user_defined.probe (known kinds: "
            f"{', '.join(known_kinds())})"
        )
    requires = _REQUIRES.get(kind)
    problem = requires(dict(probe or {})) if requires else None
    if problem:
        raise ObserverError(f"the {kind} observer (user_defined.probe.kind: {kind}) {problem}")
    return kind


def observer_for(probe: Mapping[str, Any] | None, hosts: Mapping[str, Any]) -> Any:
    """Build (not start) the observer the config names, for the routers ``hosts``."""
    kind = check_kind(probe)
    return _REGISTRY[kind](dict(probe or {}), hosts)
