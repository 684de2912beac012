"""Source NAT, TCP MSS clamping, VTI addresses and the ISP health route of a VyOS tree, as the
FRR platform's ``nftables.nft``, ``interfaces.ip`` and ``isp-health.sh``.

- NAT (vyos-1x ``src/conf_mode/nat.py``, ``data/templates/firewall/nftables-nat.j2`` and
  ``python/vyos/nat.py`` in 1.4; ``nftables-nat.tmpl`` in 1.3): each ``nat source rule N``,
  in rule order, is ``oifname "<if>" ip saddr <net> counter masquerade comment "SRC-NAT-N"``
  in a srcnat postrouting chain.
- MSS clamp: 1.4 ``interfaces vti X ip adjust-mss N`` (``python/vyos/ifconfig/interface.py``
  ``set_tcp_ipv4_mss``) is ``oifname "X" tcp flags & (syn|rst) == syn tcp option maxseg size
  N+1-65535 tcp option maxseg size set N``: SYNs *leaving* the VTI, lowered only. 1.3
  ``firewall options interface X adjust-mss N`` (vyos-1x equuleus
  ``src/conf_mode/firewall_options.py``) is iptables ``-o X ... --tcp-flags SYN,RST SYN -j
  TCPMSS --set-mss N``, which also never raises an MSS: the same nft rule.
- VTI (1.4 ``interfaces_vti.xml.in``, mtu default 1500; 1.3 vyatta-cfg-system): each address,
  the MTU, link up: ``interfaces.ip`` lines as the FRR template writes them.
- ISP health (1.4 ``protocols failover`` + ``src/helpers/vyos-failover.py``): the FRR
  platform's monitor script, with VyOS's parameters: act on the first failed / good check,
  ``check timeout`` seconds between checks, any target answering is good. Approximated: VyOS
  sends two echo requests per target (``ping -c 2 -W 1``), the script one; VyOS's token is a
  route via the gateway (``proto failover``), the script's a blackhole route.
"""

from __future__ import annotations

from types import SimpleNamespace

from tasks.lab.vyos.translate_bgp import bgp_root
from tasks.lab.vyos.translate_tree import PREFIX, TranslationError, Tree
from tasks.model.isp import HEALTH_TOKEN
from tasks.platforms.frr.apply import EMPTY_HEALTH
from tasks.render import _environment

VTI_MTU_DEFAULT = "1500"


def mss_of(tree: Tree, version: str) -> dict[str, str]:
    """VTI interface to the MSS it clamps to."""
    out = {}
    for name in tree.tags("interfaces", "vti"):
        if version == "1.4":
            mss = tree.value("interfaces", "vti", name, "ip", "adjust-mss")
        else:
            mss = tree.value("firewall", "options", "interface", name, "adjust-mss")
        if mss is not None:
            out[name] = mss
    if version == "1.3":
        for name in tree.tags("firewall", "options", "interface"):
            out.setdefault(name, tree.need("firewall", "options", "interface", name, "adjust-mss"))
    return out


def _clamp(interface: str, mss: str) -> str:
    if mss == "clamp-mss-to-pmtu":
        size = "rt mtu"
        match = ""
    else:
        size, match = mss, f" tcp option maxseg size {int(mss) + 1}-65535"
    syn = "tcp flags & (syn|rst) == syn"
    return f'        oifname "{interface}" {syn}{match} tcp option maxseg size set {size}'


def nftables(tree: Tree, version: str) -> str:
    """The ``ip vpc_ha`` table: masquerade rules, the outbound counter, the clamps."""
    masquerade, outbound = [], []
    for rule in tree.tags("nat", "source", "rule"):
        path = ("nat", "source", "rule", rule)
        oif = tree.value(
            *path,
            *(("outbound-interface", "name") if version == "1.4" else ("outbound-interface",)),
        )
        source = tree.value(*path, "source", "address")
        if oif is None or source is None or not tree.has(*path, "translation", "address"):
            # nat.py verify(): a source rule needs outbound-interface and translation address
            raise TranslationError(
                f"{PREFIX}: `nat source rule {rule}` needs outbound-interface, source address "
                "and translation address (the toolkit renders all three)"
            )
        masquerade.append(
            f'        oifname "{oif}" ip saddr {source} counter masquerade comment "SRC-NAT-{rule}"'
        )
        # The lab's observation point (parsers/counters.yaml): counts, never decides.
        outbound.append(
            f'        oifname "{oif}" ip saddr {source} counter comment "vpc-ha: vpc outbound"'
        )
    clamps = [_clamp(i, m) for i, m in mss_of(tree, version).items()]
    lines = [
        "# NAT and TCP MSS clamping as VyOS gives them effect (tasks/lab/vyos/translate_nat.py).",
        "table ip vpc_ha",
        "delete table ip vpc_ha",
        "table ip vpc_ha {",
        "    chain postrouting {",
        "        type nat hook postrouting priority srcnat; policy accept;",
        *masquerade,
        "    }",
        "    chain forward {",
        "        type filter hook forward priority mangle; policy accept;",
        *outbound,
        *clamps,
        "    }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def interfaces_ip(tree: Tree) -> str:
    lines = []
    for name in tree.tags("interfaces", "vti"):
        mtu = tree.value("interfaces", "vti", name, "mtu", default=VTI_MTU_DEFAULT)
        lines.append(f"link set dev {name} mtu {mtu} up")
        lines += [
            f"address replace {a} dev {name}"
            for a in tree.values("interfaces", "vti", name, "address")
        ]
    return "".join(f"{line}\n" for line in lines)


def isp_health(tree: Tree, version: str) -> str:
    """The monitor script, or the FRR platform's "no monitor" file when nothing is set."""
    routes = tree.tags("protocols", "failover", "route")
    if not routes:
        if tree.has("service", "event-handler"):
            raise TranslationError(
                f"{PREFIX}: `service event-handler` without `protocols failover` is refused"
            )
        return EMPTY_HEALTH
    if routes != [f"{HEALTH_TOKEN}/32"]:
        raise TranslationError(
            f"{PREFIX}: `protocols failover route` other than the health token {HEALTH_TOKEN}/32 "
            "is outside what the toolkit renders; refused"
        )
    path = ("protocols", "failover", "route", routes[0], "next-hop")
    hops = tree.tags(*path)
    if len(hops) != 1:
        raise TranslationError(f"{PREFIX}: the failover route needs exactly one next-hop here")
    hop = (*path, hops[0])
    if not tree.has("service", "event-handler"):
        # Without it FRR never re-reads the exist-map on a token change (the template's reason).
        raise TranslationError(
            f"{PREFIX}: `protocols failover` without the toolkit's soft-clear event handler "
            "is refused"
        )
    root, _ = bgp_root(tree, version)
    health = SimpleNamespace(
        active=True,
        interval=int(tree.need(*hop, "check", "timeout")),
        falls=1,
        rises=1,
        timeout=1,
        targets=tree.values(*hop, "check", "target"),
    )
    router = SimpleNamespace(
        name=tree.value("system", "host-name", default="vyos"),
        isp_health=health,
        wan=SimpleNamespace(interface=tree.need(*hop, "interface")),
        tunnels=[SimpleNamespace(aws_inside_address=p) for p in tree.tags(*root, "neighbor")],
    )
    return _environment("frr").get_template("isp-health.sh.j2").render(r=router)
