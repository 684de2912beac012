"""The three ways to run compliance, each ending in the same list of HostResults.

- :func:`check_saved`: offline, on saved configs (``--from-dir``); no device is contacted.
- :func:`check_intended`: CI, on configs rendered from the inventory before a change merges.
- :func:`check_live`: the hourly job, fetching running configs over SSH in parallel (Nornir).

Where the inventory knows a host (by name), its role and VPC networks inform the rules and its
rendered config is the intended side of drift; an unknown host is still judged on what its
config alone shows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from nornir.core import Nornir

from tasks.compliance.drift import compare, intended_lines
from tasks.compliance.engine import HostInput, HostResult, evaluate_all
from tasks.compliance.policy import Policy
from tasks.compliance.sources import Saved, fetch_running, parse_texts
from tasks.errors import ToolkitError
from tasks.inventory import router_of
from tasks.model import Router
from tasks.render import render_router
from tasks.report import failures as nornir_failures

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Known:
    """What the inventory says about a host: its model and management address."""

    router: Router
    mgmt_address: str | None


def known_hosts(nr: Nornir) -> dict[str, Known]:
    """The validated routers of an (already filtered) inventory, by host name."""
    return {
        name: Known(router_of(host), host.hostname) for name, host in nr.inventory.hosts.items()
    }


def _inputs(
    texts: Iterable[tuple[str, str, dict[str, str]]], known: Mapping[str, Known]
) -> tuple[list[HostInput], dict[str, str]]:
    items: list[HostInput] = []
    failed: dict[str, str] = {}
    for host, platform, files in texts:
        info = known.get(host)
        try:
            cfg = parse_texts(host, platform, files)
            drift = None
            if info is not None and info.router.platform == platform:
                drift = compare(cfg, intended_lines(platform, render_router(info.router)))
        except ToolkitError as exc:
            failed[host] = str(exc)
            continue
        items.append(
            HostInput(
                cfg,
                router=info.router if info else None,
                mgmt_address=info.mgmt_address if info else None,
                drift=drift,
            )
        )
    return items, failed


def check_saved(
    saved: Iterable[Saved], policy: Policy, known: Mapping[str, Known] | None = None
) -> list[HostResult]:
    """Judge saved configs offline; hosts in ``known`` also get role-aware rules and drift."""
    items, failed = _inputs(((s.host, s.platform, s.files) for s in saved), known or {})
    return evaluate_all(items, policy, failed)


def check_intended(known: Mapping[str, Known], policy: Policy) -> list[HostResult]:
    """Judge the configs the inventory renders (secrets masked, never resolved).

    Rendered configs hold only what the toolkit manages, so device-only rules are skipped.
    """
    items: list[HostInput] = []
    failed: dict[str, str] = {}
    for host, info in sorted(known.items()):
        try:
            files = render_router(info.router)
            cfg = parse_texts(host, info.router.platform, files, complete=False)
        except ToolkitError as exc:
            failed[host] = str(exc)
            continue
        items.append(HostInput(cfg, router=info.router, mgmt_address=info.mgmt_address))
    return evaluate_all(items, policy, failed)


def check_live(nr: Nornir, policy: Policy) -> list[HostResult]:
    """Fetch every selected router's running config in parallel, then judge it with drift."""
    results = nr.run(task=fetch_running, name="fetch running config")
    failed = nornir_failures(results)
    known = known_hosts(nr)
    texts = [
        (host, known[host].router.platform, multi[0].result)
        for host, multi in results.items()
        if host not in failed
    ]
    items, parse_failed = _inputs(texts, known)
    return evaluate_all(items, policy, {**failed, **parse_failed})
