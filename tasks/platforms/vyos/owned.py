"""Replace semantics on VyOS: ``delete`` what the toolkit owns and the intent no longer holds.

VyOS ``set`` only adds (BEHAVIOUR.md 2.3.6): a backup promoted to primary keeps its AS-path
prepend, a changed tunnel keeps its old vti address (a multi-value leaf), BGP neighbor, peer
and key. So before the candidate's ``set`` lines the driver sends a ``delete`` for every node
the toolkit owns that is on the router now; the ``set`` lines then rebuild what the intent
holds, and VyOS commits only the net difference (an unchanged router commits nothing, and
``compare`` shows exactly what goes).

What the toolkit owns, and nothing else is touched:

- by name: route-maps ``TO-AWS``/``FROM-AWS``, prefix-lists ``DEFAULT-ONLY``/``VPC-NETWORKS``,
  IKE group ``AWS-IKE``, ESP group ``AWS-ESP``; for ISP health, route-map ``ISP-HEALTHY``,
  prefix-list ``ISP-HEALTH-TOKEN``, the token's ``protocols failover`` route,
  event handler ``VPC-HA-ISP-HEALTH``, and under BGP the token's ``redistribute kernel`` and
  the conditional-advertisement timer;
- BGP neighbors exporting through ``TO-AWS``, or named by the candidate;
- site-to-site peers using ``AWS-IKE``, or named by the candidate; on 1.4 their PSK entries
  (``vpn ipsec authentication psk <peer>``);
- vti interfaces bound by an owned peer or named by the candidate, and on 1.3 their MSS clamp
  (``firewall options interface <vti>``);
- source NAT rules whose description starts with :data:`NAT_MARK`, or numbered by the candidate.

Not covered (stay as they are): the IPsec listen interface (a list other VPNs may share), a
1.3 BGP instance under a different ASN, BGP ``parameters`` (single leaves, replaced by ``set``).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable

from tasks.model.isp import HEALTH_TOKEN

#: Description prefix of the source NAT rules the template renders (``templates/vyos``).
NAT_MARK = "vpc-ha"
OWNED_BY_NAME = (
    ("policy", "route-map", "TO-AWS"),
    ("policy", "route-map", "FROM-AWS"),
    ("policy", "prefix-list", "DEFAULT-ONLY"),
    ("policy", "prefix-list", "VPC-NETWORKS"),
    ("vpn", "ipsec", "ike-group", "AWS-IKE"),
    ("vpn", "ipsec", "esp-group", "AWS-ESP"),
    # ISP health (templates/vyos: isp_health)
    ("policy", "route-map", "ISP-HEALTHY"),
    ("policy", "prefix-list", "ISP-HEALTH-TOKEN"),
    ("protocols", "failover", "route", f"{HEALTH_TOKEN}/32"),
    ("service", "event-handler", "event", "VPC-HA-ISP-HEALTH"),
)
#: Under the BGP instance, owned while they serve the health checks: the token's
#: redistribution (with its route-map) and the conditional-advertisement scan timer.
HEALTH_BGP = (
    ("address-family", "ipv4-unicast", "redistribute", "kernel", "route-map", "ISP-HEALTHY"),
    ("parameters", "conditional-advertisement"),
)
PEER = ("vpn", "ipsec", "site-to-site", "peer")
PSK = ("vpn", "ipsec", "authentication", "psk")
VTI = ("interfaces", "vti")
MSS_13 = ("firewall", "options", "interface")
NAT = ("nat", "source", "rule")

Words = tuple[str, ...]


def _words(lines: Iterable[str]) -> list[Words]:
    out = []
    for line in lines:
        parts = shlex.split(line)
        if parts and parts[0] == "set":
            out.append(tuple(parts[1:]))
    return out


def _tags(config: list[Words], prefix: Words) -> set[str]:
    """The tag values directly under ``prefix`` (``neighbor`` -> its addresses)."""
    n = len(prefix)
    return {w[n] for w in config if len(w) > n and w[:n] == prefix}


def _having(config: list[Words], prefix: Words, rest: Words) -> set[str]:
    """Tags ``T`` under ``prefix`` with ``prefix T *rest`` configured."""
    n = len(prefix)
    return {w[n] for w in config if w[:n] == prefix and w[n + 1 : n + 1 + len(rest)] == rest}


def _bgp(config: list[Words]) -> list[Words]:
    """The BGP instance paths in ``config``: ``protocols bgp`` (1.4) or ``protocols bgp <asn>``."""
    bases = set()
    for w in config:
        if w[:2] == ("protocols", "bgp") and len(w) > 2:
            bases.add(w[:3] if w[2].isdigit() else w[:2])
    return sorted(bases)


def owned_nodes(running: list[Words], candidate: list[Words]) -> list[Words]:
    """The nodes of ``running`` the toolkit owns (see the module docstring), sorted."""
    nodes: set[Words] = set()
    present = {w[:n] for w in running for n in range(1, len(w) + 1)}
    nodes.update(node for node in OWNED_BY_NAME if node in present)
    for base in _bgp(running):
        neighbors = (*base, "neighbor")
        ours = _having(running, neighbors, ("address-family", "ipv4-unicast", "route-map",
                                            "export", "TO-AWS"))  # fmt: skip
        ours |= _tags(candidate, neighbors) & _tags(running, neighbors)
        nodes.update((*neighbors, n) for n in ours)
        for node in HEALTH_BGP:
            if (*base, *node) in present:
                nodes.add((*base, *node[:4]) if node[0] == "address-family" else (*base, *node))
    peers = _having(running, PEER, ("ike-group", "AWS-IKE"))
    peers |= _tags(candidate, PEER) & _tags(running, PEER)
    nodes.update((*PEER, p) for p in peers)
    nodes.update((*PSK, p) for p in (peers | _tags(candidate, PSK)) & _tags(running, PSK))
    vtis = {
        w[7] for w in running if len(w) == 8 and w[:4] == PEER and w[4] in peers and
        w[5:7] == ("vti", "bind")
    }  # fmt: skip
    vtis |= _tags(candidate, VTI)
    nodes.update((*VTI, v) for v in vtis & _tags(running, VTI))
    nodes.update((*MSS_13, v) for v in vtis & _tags(running, MSS_13))
    rules = {
        w[3] for w in running if len(w) == 6 and w[:3] == NAT and w[4] == "description" and
        w[5].startswith(NAT_MARK)
    }  # fmt: skip
    rules |= _tags(candidate, NAT) & _tags(running, NAT)
    nodes.update((*NAT, r) for r in rules)
    return sorted(nodes)


def deletions(running_lines: Iterable[str], candidate_lines: Iterable[str]) -> list[str]:
    """``delete`` commands for every owned node on the router, to send before the candidate.

    ``running_lines`` is the router's ``show configuration commands``; ``candidate_lines`` the
    rendered ``set`` lines. Deleting a node the candidate sets again is harmless: VyOS commits
    the net difference of the whole session.
    """
    running = _words(running_lines)
    candidate = _words(candidate_lines)
    return ["delete " + shlex.join(node) for node in owned_nodes(running, candidate)]
