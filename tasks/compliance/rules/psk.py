"""Pre-shared key rules: default keys, keys reused on one router and across the fleet."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from tasks.compliance.config import DeviceConfig, psk_digest
from tasks.compliance.rules import Hit, Outcome, RuleContext, Unjudged, rule


@rule("psk-default-or-reused", params=("default_keys",))
def psk_default_or_reused(cfg: DeviceConfig, ctx: RuleContext) -> Iterator[Outcome]:
    """Each tunnel needs its own non-default key. Keys are compared as in-memory digests;
    a finding names tunnels, never a key. Reuse across routers is :func:`psk_fleet`."""
    defaults = {psk_digest(k) for k in ctx.params["default_keys"]}
    by_key: dict[str, list[str]] = defaultdict(list)
    for peer in cfg.peers:
        if peer.psk in ("absent", "masked"):
            yield Unjudged(f"peer {peer.name}: key {peer.psk}")
            continue
        if peer.psk in defaults:
            yield Hit(f"peer {peer.name}", "a well-known default key")
        by_key[peer.psk].append(peer.name)
    for names in by_key.values():
        if len(names) > 1:
            yield Hit("peers " + ", ".join(sorted(names)), "same key on several tunnels")


def psk_fleet(configs: Iterable[DeviceConfig]) -> dict[str, list[Hit]]:
    """Keys shared between routers: host to hits naming the other routers' tunnels."""
    owners: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for cfg in configs:
        for peer in cfg.peers:
            if peer.psk not in ("absent", "masked"):
                owners[peer.psk].append((cfg.host, peer.name))
    hits: dict[str, list[Hit]] = defaultdict(list)
    for users in owners.values():
        hosts = {h for h, _ in users}
        if len(hosts) < 2:
            continue
        for host, peer_name in users:
            others = ", ".join(sorted(f"{h}/{p}" for h, p in users if h != host))
            hits[host].append(Hit(f"peer {peer_name}", f"same key as {others}"))
    return hits
