"""Read VyOS configs, hierarchical or ``set`` form, into one tree and then a DeviceConfig.

Both forms become the same list of paths (``protocols bgp 65010 neighbor X timers holdtime
30`` is one path either way), so one tree walker serves VyOS 1.2 to 1.4, and the canonical
``set`` lines double as what drift compares.

The hierarchical reader is lenient on purpose: configs pasted into blogs and tickets lose
braces when an author masks a value (the reference design prints ``login xxxxxx`` with its
``{`` gone). A line whose next line is indented deeper opens a block even without its brace,
and a stray ``}`` at the top level is ignored rather than fatal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from tasks.compliance.config import (
    Bgp,
    DeviceConfig,
    Dpd,
    IpsecPeer,
    NatRule,
    Neighbor,
    Proposal,
    RouteMapEntry,
    TunnelInterface,
    is_masked,
    psk_digest,
)
from tasks.model.isp import HEALTH_TOKEN
from tasks.secrets import MASK

Path_ = tuple[str, ...]
Tree = dict[str, "Tree"]

#: Leaves whose value is a secret: masked in canonical lines, digested for the PSK rule.
SECRET_LEAVES = frozenset(
    {"pre-shared-secret", "secret", "password", "encrypted-password", "plaintext-password", "key"}
)
#: Subtrees this toolkit renders; drift reports extra running lines only inside them.
MANAGED = (
    ("interfaces", "vti"),
    ("vpn", "ipsec"),
    ("policy", "route-map"),
    ("policy", "prefix-list"),
    ("protocols", "bgp"),
    ("protocols", "failover"),
    ("nat", "source"),
)
#: Words that may follow ``protocols bgp`` in 1.4 syntax; anything else there is a 1.3 ASN.
_BGP_KEYWORDS = frozenset(
    {"system-as", "neighbor", "parameters", "address-family", "peer-group", "timers", "network"}
)


_TOKEN = re.compile(r"""'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)""")
_BARE = re.compile(r"[\w./:@*-]+")


def _split(line: str) -> list[str]:
    """Words of a line; single or double quotes group words (VyOS prints both)."""
    if '"' not in line and "'" not in line:
        return line.split()
    return [a or b.replace('\\"', '"') or c for a, b, c in _TOKEN.findall(line)]


def looks_like_set_form(text: str) -> bool:
    """True when the text is ``set`` commands rather than the braced hierarchy."""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "//", "/*")):
            continue
        return line.startswith("set ")
    return False


def set_paths(text: str) -> Iterator[Path_]:
    """Paths of ``set`` commands (``show configuration commands``); other lines are ignored."""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("set "):
            tokens = _split(line[4:])
            if tokens:
                yield tuple(tokens)


def hierarchical_paths(text: str) -> Iterator[Path_]:
    """Paths of the braced form, tolerant of lost braces (see module docstring)."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not _is_comment(ln.strip())]
    stack: list[int] = []  # how many words each open block pushed
    path: list[str] = []
    opened: dict[Path_, int] = {}
    for index, raw in enumerate(lines):
        line = raw.strip()
        indent = len(raw) - len(raw.lstrip())
        if line.startswith("}"):
            if stack:
                count = stack.pop()
                del path[len(path) - count :]
            continue
        opens = line.endswith("{")
        body = line[:-1].strip() if opens else line
        tokens = _split(body)
        if not opens and index + 1 < len(lines):
            nxt = lines[index + 1]
            deeper = len(nxt) - len(nxt.lstrip()) > indent
            opens = deeper and not nxt.strip().startswith("}")
        if opens:
            if tokens and is_masked(tokens[-1]):
                # Masked names collide (two ``peer xxxxx.tld`` blocks): keep them apart.
                seen = opened.get((*path, *tokens), 0)
                opened[(*path, *tokens)] = seen + 1
                if seen:
                    tokens[-1] += f"#{seen + 1}"
            stack.append(len(tokens))
            path.extend(tokens)
            if not tokens:
                continue
            # An empty block (``loopback lo { }``) is still a configured node.
            yield tuple(path)
        elif tokens:
            yield (*path, *tokens)


def _is_comment(line: str) -> bool:
    return line.startswith(("/*", "//", "#", "*"))


def build_tree(paths: Iterable[Path_]) -> Tree:
    """Nest paths: every word a key, a leaf value a key with an empty subtree."""
    root: Tree = {}
    for path in paths:
        node = root
        for word in path:
            node = node.setdefault(word, {})
    return root


def node(tree: Tree, *keys: str) -> Tree:
    """The subtree at ``keys``, or an empty one."""
    for key in keys:
        tree = tree.get(key) or {}
    return tree


def has(tree: Tree, *keys: str) -> bool:
    """True when the path exists (a valueless leaf like ``log-neighbor-changes`` counts)."""
    for key in keys:
        if key not in tree:
            return False
        tree = tree[key]
    return True


def value(tree: Tree, *keys: str) -> str | None:
    """The single value under ``keys`` (the first if several), or None."""
    children = node(tree, *keys)
    return next(iter(children), None)


def values(tree: Tree, *keys: str) -> list[str]:
    """Every value (child key) under ``keys``."""
    return list(node(tree, *keys))


def canonical_lines(paths: Iterable[Path_]) -> list[str]:
    """``set`` lines with secrets masked, one per path, in a stable order.

    A path is a leaf path when it is not a prefix of another path; only leaves are kept so a
    hierarchical read (which also yields block openings) and a ``set`` read agree.
    """
    unique = sorted(set(paths))
    leaves = [p for i, p in enumerate(unique) if not _is_prefix(p, unique[i + 1 : i + 2])]
    lines = []
    for path in leaves:
        words = list(path)
        if len(words) >= 2 and words[-2] in SECRET_LEAVES:
            words[-1] = MASK
        lines.append("set " + " ".join(_quote(w) for w in words))
    return lines


def _is_prefix(path: Path_, following: list[Path_]) -> bool:
    return bool(following) and following[0][: len(path)] == path


def _quote(word: str) -> str:
    return word if _BARE.fullmatch(word) else f"'{word}'"


def managed(line: str) -> bool:
    """True for canonical lines inside a subtree this toolkit renders."""
    words = line.split()[1:3]
    return tuple(w.strip("'") for w in words) in MANAGED


def parse(host: str, text: str, complete: bool = True) -> DeviceConfig:
    """Parse either VyOS form into a :class:`DeviceConfig`."""
    is_set = looks_like_set_form(text)
    paths = list(set_paths(text) if is_set else hierarchical_paths(text))
    tree = build_tree(paths)
    cfg = DeviceConfig(
        host=host,
        platform="vyos",
        form="vyos-set" if is_set else "vyos-hierarchical",
        # Every VyOS device has a host-name and a login; a config without both is a rendered
        # or partial config that cannot speak for the management plane.
        complete=complete and has(tree, "system", "host-name") and has(tree, "system", "login"),
    )
    cfg.lines = {"config": canonical_lines(paths)}
    _interfaces(tree, cfg)
    _bgp(tree, cfg)
    _policy(tree, cfg)
    _ipsec(tree, cfg)
    _nat(tree, cfg)
    _system(tree, cfg)
    return cfg


def _interfaces(tree: Tree, cfg: DeviceConfig) -> None:
    fw_mss = node(tree, "firewall", "options", "interface")
    for name, vti in node(tree, "interfaces", "vti").items():
        mss = value(vti, "ip", "adjust-mss") or value(fw_mss, name, "adjust-mss")
        cfg.tunnels.append(
            TunnelInterface(name, addresses=values(vti, "address"), mtu=value(vti, "mtu"), mss=mss)
        )


def _bgp_body(tree: Tree) -> tuple[str | None, Tree]:
    bgp = node(tree, "protocols", "bgp")
    if not bgp:
        return None, {}
    if any(key in _BGP_KEYWORDS for key in bgp):
        return value(bgp, "system-as"), bgp
    asn = next(iter(bgp))
    return asn, bgp[asn]


def _bgp(tree: Tree, cfg: DeviceConfig) -> None:
    asn, body = _bgp_body(tree)
    cfg.bgp = Bgp(asn=asn)
    for family in (body, node(body, "address-family", "ipv4-unicast")):
        for _prefix, net in node(family, "network").items():
            cfg.bgp.origin_maps.extend(values(net, "route-map"))
        for _proto, redist in node(family, "redistribute").items():
            cfg.bgp.origin_maps.extend(values(redist, "route-map"))
            cfg.bgp.origin_metrics.extend(values(redist, "metric"))
    for address, nbr in node(body, "neighbor").items():
        af = node(nbr, "address-family", "ipv4-unicast")
        exports = values(af, "route-map", "export") + values(nbr, "route-map", "export")
        conditional = node(af, "conditionally-advertise")
        cfg.bgp.neighbors.append(
            Neighbor(
                address=address,
                remote_as=value(nbr, "remote-as"),
                holdtime=value(nbr, "timers", "holdtime") or value(body, "timers", "holdtime"),
                keepalive=value(nbr, "timers", "keepalive") or value(body, "timers", "keepalive"),
                weight=value(af, "weight") or value(nbr, "weight"),
                export_maps=exports,
                advertise_map=value(conditional, "advertise-map"),
                exist_map=value(conditional, "exist-map"),
            )
        )
    cfg.health_monitor = bool(node(tree, "protocols", "failover", "route", f"{HEALTH_TOKEN}/32"))


def _policy(tree: Tree, cfg: DeviceConfig) -> None:
    for name, rmap in node(tree, "policy", "route-map").items():
        for seq, rule in node(rmap, "rule").items():
            sets = node(rule, "set")
            prepend = value(sets, "as-path-prepend") or value(sets, "as-path", "prepend")
            cfg.route_maps.append(
                RouteMapEntry(
                    name=name,
                    seq=seq,
                    action=value(rule, "action"),
                    weight=value(sets, "weight"),
                    metric=value(sets, "metric"),
                    prepend=prepend,
                )
            )


def _ipsec(tree: Tree, cfg: DeviceConfig) -> None:
    ipsec = node(tree, "vpn", "ipsec")
    ike_dh: dict[str, str | None] = {}
    for group, ike in node(ipsec, "ike-group").items():
        for _n, prop in node(ike, "proposal").items():
            dh = value(prop, "dh-group")
            ike_dh.setdefault(group, dh)
            cfg.proposals.append(
                Proposal("ike", group, value(prop, "encryption"), value(prop, "hash"), dh)
            )
        dpd = node(ike, "dead-peer-detection")
        if dpd:
            cfg.dpd.append(
                Dpd(group, value(dpd, "interval"), value(dpd, "timeout"), value(dpd, "action"))
            )
    psks = _psk_by_peer(ipsec)
    esp_to_ike: dict[str, str] = {}
    for name, peer in node(ipsec, "site-to-site", "peer").items():
        ike_group = value(peer, "ike-group")
        esp_group = value(peer, "vti", "esp-group") or value(peer, "default-esp-group")
        if esp_group and ike_group:
            esp_to_ike.setdefault(esp_group, ike_group)
        cfg.peers.append(
            IpsecPeer(
                name=name,
                ike_group=ike_group,
                esp_group=esp_group,
                interface=value(peer, "vti", "bind"),
                psk=psks.get(name)
                or _psk_state(value(peer, "authentication", "pre-shared-secret")),
            )
        )
    for group, esp in node(ipsec, "esp-group").items():
        pfs = value(esp, "pfs") or "enable"
        esp_dh: str | None
        if pfs == "disable":
            esp_dh = "none"
        elif pfs.startswith("dh-group"):
            esp_dh = pfs.removeprefix("dh-group")
        else:  # "enable": VyOS uses the IKE group's DH group
            ike_name = esp_to_ike.get(group) or next(iter(ike_dh), "")
            esp_dh = ike_dh.get(ike_name)
        for _n, prop in node(esp, "proposal").items():
            cfg.proposals.append(
                Proposal("esp", group, value(prop, "encryption"), value(prop, "hash"), esp_dh)
            )


def _psk_by_peer(ipsec: Tree) -> dict[str, str]:
    # VyOS 1.4: ``authentication psk <name> secret`` names the peer it serves as <name>.
    return {
        name: _psk_state(value(entry, "secret"))
        for name, entry in node(ipsec, "authentication", "psk").items()
    }


def _psk_state(secret: str | None) -> str:
    if secret is None:
        return "absent"
    if secret == MASK or is_masked(secret):
        return "masked"
    return psk_digest(secret)


def _nat(tree: Tree, cfg: DeviceConfig) -> None:
    for number, rule in node(tree, "nat", "source", "rule").items():
        oif = node(rule, "outbound-interface")
        outbound = value(oif, "name") if "name" in oif else next(iter(oif), None)
        cfg.nat.append(
            NatRule(
                name=f"rule {number}",
                sources=values(rule, "source", "address"),
                outbound=outbound,
                translation=value(rule, "translation", "address"),
            )
        )


def _system(tree: Tree, cfg: DeviceConfig) -> None:
    ssh = node(tree, "service", "ssh")
    cfg.ssh_enabled = has(tree, "service", "ssh")
    cfg.ssh_listen = values(ssh, "listen-address")
    cfg.ntp_servers = values(tree, "system", "ntp", "server") + values(
        tree, "service", "ntp", "server"
    )
    syslog = node(tree, "system", "syslog")
    cfg.syslog_local = bool(node(syslog, "global")) or bool(node(syslog, "file"))
    cfg.syslog_remote = values(syslog, "host") + values(syslog, "remote")
    cfg.commit_revisions = value(tree, "system", "config-management", "commit-revisions")
