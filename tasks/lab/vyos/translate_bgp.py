"""``policy`` and ``protocols bgp`` of a VyOS tree as the ``frr.conf`` VyOS would give bgpd.

What each node becomes follows VyOS's own generation, not the toolkit's FRR template:

- 1.4: ``data/templates/frr/bgpd.frr.j2`` and ``policy.frr.j2`` (vyos-1x sagitta), driven by
  ``src/conf_mode/protocols_bgp.py``. Every instance gets ``no bgp ebgp-requires-policy``,
  ``no bgp default ipv4-unicast`` and ``no bgp network import-check`` (so ``network
  0.0.0.0/0`` is sent without a default route in the RIB); a neighbor's ``timers K H`` line is
  written only when both keepalive and holdtime are set; each address family a neighbor has
  gets ``activate``.
- 1.3: vyatta-cfg-quagga (equuleus) node.defs, which run the same vtysh commands: the ASN is in
  the path (``protocols bgp 65010``), the prepend is ``set as-path-prepend``; the ``protocols
  bgp`` node.def end action switches off ebgp-requires-policy and network import-check.

The output has the FRR platform's file shape (``frr defaults traditional``, hostname, one
``router bgp``) so the lab applies it with ``frr-reload.py`` as it applies the FRR platform's.
"""

from __future__ import annotations

from tasks.lab.vyos.translate_tree import PREFIX, TranslationError, Tree

RMAP_DIRECTION = {"import": "in", "export": "out"}


def bgp_root(tree: Tree, version: str) -> tuple[tuple[str, ...], str | None]:
    """The path of the BGP instance and its ASN (None: no BGP configured)."""
    if version == "1.4":
        asn = tree.value("protocols", "bgp", "system-as")
        if asn is None and tree.has("protocols", "bgp"):
            # protocols_bgp.py verify(): "System AS number must be defined!"
            raise TranslationError(f"{PREFIX}: `protocols bgp system-as` is not set; VyOS refuses")
        return ("protocols", "bgp"), asn
    asns = tree.tags("protocols", "bgp")
    if len(asns) > 1:
        raise TranslationError(f"{PREFIX}: `protocols bgp` has {len(asns)} instances; VyOS has one")
    return ("protocols", "bgp", *asns[:1]), (asns[0] if asns else None)


def prefix_lists(tree: Tree) -> list[str]:
    lines = []
    for name in tree.tags("policy", "prefix-list"):
        for rule in tree.tags("policy", "prefix-list", name, "rule"):
            path = ("policy", "prefix-list", name, "rule", rule)
            action = tree.need(*path, "action")
            prefix = tree.need(*path, "prefix")
            line = f"ip prefix-list {name} seq {rule} {action} {prefix}"
            for bound in ("ge", "le"):
                value = tree.value(*path, bound)
                if value is not None:
                    line += f" {bound} {value}"
            lines.append(line)
    return lines


def route_maps(tree: Tree, version: str) -> list[str]:
    lines: list[str] = []
    prepend = ("set", "as-path", "prepend") if version == "1.4" else ("set", "as-path-prepend")
    for name in tree.tags("policy", "route-map"):
        # The route-map's own description stays in the VyOS config (policy.frr.j2 writes only
        # a rule's); the toolkit's identity marker never reaches bgpd.
        for rule in tree.tags("policy", "route-map", name, "rule"):
            path = ("policy", "route-map", name, "rule", rule)
            lines.append(f"route-map {name} {tree.need(*path, 'action')} {rule}")
            plist = tree.value(*path, "match", "ip", "address", "prefix-list")
            if plist is not None:
                # policy.py verify(): a match on a missing list is refused at commit
                _configured(tree, ("prefix-list", plist), f"route-map {name} rule {rule} matches")
                lines.append(f" match ip address prefix-list {plist}")
            path_prepend = tree.value(*path, *prepend)
            if path_prepend is not None:
                lines.append(f" set as-path prepend {path_prepend}")
            for word, frr in (("local-preference", "local-preference"), ("metric", "metric")):
                value = tree.value(*path, "set", word)
                if value is not None:
                    lines.append(f" set {frr} {value}")
            lines.append("exit")
            lines.append("!")
    return lines


def _neighbor(
    tree: Tree, root: tuple[str, ...], peer: str, version: str
) -> tuple[list[str], list[str]]:
    """(lines in ``router bgp``, lines in ``address-family ipv4 unicast``) of one neighbor."""
    path = (*root, "neighbor", peer)
    top: list[str] = []
    remote_as = tree.value(*path, "remote-as")
    if remote_as is None:
        # protocols_bgp.py verify(): a neighbor needs remote-as (or a peer-group)
        raise TranslationError(f"{PREFIX}: BGP neighbor {peer} has no remote-as; VyOS refuses")
    top.append(f" neighbor {peer} remote-as {remote_as}")
    description = tree.value(*path, "description")
    if description is not None:
        top.append(f" neighbor {peer} description {description}")
    if tree.has(*path, "shutdown"):
        top.append(f" neighbor {peer} shutdown")
    connect = tree.value(*path, "timers", "connect")
    if connect is not None:
        top.append(f" neighbor {peer} timers connect {connect}")
    # 1.3 (vyatta-cfg-quagga neighbor/timers node.defs): keepalive and holdtime have defaults
    # 60 / 180 once `timers` exists; 1.4 (bgpd.frr.j2) writes the line only with both set.
    timers = version == "1.3" and tree.has(*path, "timers")
    keepalive = tree.value(*path, "timers", "keepalive", default="60" if timers else None)
    holdtime = tree.value(*path, "timers", "holdtime", default="180" if timers else None)
    if keepalive is not None and holdtime is not None:
        top.append(f" neighbor {peer} timers {keepalive} {holdtime}")
    source = tree.value(*path, "update-source")
    if source is not None:
        top.append(f" neighbor {peer} update-source {source}")
    af: list[str] = []
    afp = (*path, "address-family", "ipv4-unicast")
    if tree.has(*afp):
        advertise = tree.value(*afp, "conditionally-advertise", "advertise-map")
        exist = tree.value(*afp, "conditionally-advertise", "exist-map")
        if (advertise is None) != (exist is None):
            raise TranslationError(
                f"{PREFIX}: neighbor {peer} conditionally-advertise needs both advertise-map and "
                "exist-map here (the toolkit renders both; non-exist-map is refused)"
            )
        if advertise is not None:
            af.append(f"  neighbor {peer} advertise-map {advertise} exist-map {exist}")
        for word in ("export", "import"):
            rmap = tree.value(*afp, "route-map", word)
            if rmap is not None:
                _configured(tree, ("route-map", rmap), f"neighbor {peer} uses")
                af.append(f"  neighbor {peer} route-map {rmap} {RMAP_DIRECTION[word]}")
        if tree.has(*afp, "soft-reconfiguration", "inbound"):
            af.append(f"  neighbor {peer} soft-reconfiguration inbound")
        af.append(f"  neighbor {peer} activate")
    return top, af


def router_bgp(tree: Tree, version: str) -> list[str]:
    root, asn = bgp_root(tree, version)
    if asn is None:
        return []
    lines = [f"router bgp {asn}"]
    router_id = tree.value(*root, "parameters", "router-id")
    if router_id is not None:
        lines.append(f" bgp router-id {router_id}")
    if tree.has(*root, "parameters", "log-neighbor-changes"):
        lines.append(" bgp log-neighbor-changes")
    lines += [" no bgp ebgp-requires-policy", " no bgp default ipv4-unicast"]
    lines.append(" no bgp network import-check")
    timer = tree.value(*root, "parameters", "conditional-advertisement", "timer")
    if timer is not None:
        lines.append(f" bgp conditional-advertisement timer {timer}")
    af: list[str] = []
    for peer in tree.tags(*root, "neighbor"):
        top, peer_af = _neighbor(tree, root, peer, version)
        lines += top
        af += peer_af
    afp = (*root, "address-family", "ipv4-unicast")
    networks = [f"  network {n}" for n in tree.values(*afp, "network")]
    redistribute = tree.value(*afp, "redistribute", "kernel", "route-map")
    if redistribute is not None:
        networks.append(f"  redistribute kernel route-map {redistribute}")
    if networks or af:
        lines += [" !", " address-family ipv4 unicast", *networks, *af, " exit-address-family"]
    return [*lines, "exit", "!"]


def frr_conf(tree: Tree, version: str) -> str:
    """The whole ``frr.conf``: header, prefix-lists, route-maps, the BGP instance."""
    host = tree.value("system", "host-name", default="vyos")
    lines = [
        "frr defaults traditional",
        f"hostname {host}",
        "log syslog informational",
        "service integrated-vtysh-config",
        "!",
        *prefix_lists(tree),
        "!",
        *route_maps(tree, version),
        *router_bgp(tree, version),
    ]
    return "\n".join(lines) + "\n"


def _configured(tree: Tree, policy: tuple[str, str], who: str) -> None:
    """VyOS refuses a commit whose reference names a policy that is not configured."""
    if not tree.has("policy", *policy):
        raise TranslationError(
            f"{PREFIX}: {who} {' '.join(policy)}, which is not configured; VyOS refuses"
        )
