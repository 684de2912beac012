"""The lab's wiring: namespaces, veths, bridges, addresses and routes, in two ``ip -batch`` runs.

One run in the host's namespace creates the namespaces and the veth pairs between them; one
run per namespace brings its links up and gives them their addresses and routes (the address
plan is :class:`~tasks.lab.topology.Plan`'s). Forwarding is enabled where routing happens.
"""

from __future__ import annotations

from tasks.lab import netns
from tasks.lab.topology import Plan


def plumb(plan: Plan) -> None:
    """Namespaces, veths, bridges, addresses and routes; forwarding where routing happens."""
    p = plan
    topo = p.topo
    under, inet, bb, vpc, mgmt = (
        topo.underlay.prefixlen,
        topo.internet.prefixlen,
        topo.backbone.prefixlen,
        topo.vpc_network.prefixlen,
        topo.management.prefixlen,
    )
    root = [f"netns add {ns}" for ns in p.namespaces]
    root += [
        f"link add {p.host_mgmt_if} type veth peer name uplink netns {p.mgmt_ns}",
        f"link add eth0 netns {p.inet_ns} type veth peer name inet0 netns {p.isp_ns}",
        f"link add eth0 netns {p.vpc_ns} type veth peer name vpc0 netns {p.vgw_ns}",
        f"address add {p.host_mgmt}/{mgmt} dev {p.host_mgmt_if}",
        f"link set {p.host_mgmt_if} up",
    ]
    per_ns: dict[str, list[str]] = {ns: ["link set lo up"] for ns in p.namespaces}
    per_ns[p.mgmt_ns] += [
        "link add br0 type bridge",
        "link set br0 up",
        "link set uplink master br0 up",
    ]
    per_ns[p.isp_ns] += [
        "link add br0 type bridge",
        f"address add {p.isp_underlay}/{under} dev br0",
        "link set br0 up",
        f"address add {p.isp_internet}/{inet} dev inet0",
        "link set inet0 up",
    ]
    per_ns[p.inet_ns] += [
        f"address add {p.inet_host}/{inet} dev eth0",
        "link set eth0 up",
        f"route add default via {p.isp_internet}",
    ]
    per_ns[p.vgw_ns] += [
        "link add bb0 type bridge",
        f"address add {p.vgw_backbone}/{bb} dev bb0",
        "link set bb0 up",
        f"address add {p.vgw_vpc}/{vpc} dev vpc0",
        "link set vpc0 up",
    ]
    per_ns[p.vpc_ns] += [
        f"address add {p.vpc_host}/{vpc} dev eth0",
        "link set eth0 up",
        f"route add default via {p.vgw_vpc}",
    ]
    for r in p.routers:
        root += [
            f"link add mgmt0 netns {r.ns} type veth peer name {r.name} netns {p.mgmt_ns}",
            f"link add eth0 netns {r.ns} type veth peer name {r.name} netns {p.isp_ns}",
        ]
        per_ns[p.mgmt_ns].append(f"link set {r.name} master br0 up")
        per_ns[p.isp_ns].append(f"link set {r.name} master br0 up")
        per_ns[r.ns] += [
            f"address add {r.mgmt}/{mgmt} dev mgmt0",
            "link set mgmt0 up",
            f"address add {r.wan}/{under} dev eth0",
            "link set eth0 up",
            f"route add default via {p.isp_underlay}",
        ]
        for t in r.tunnels:
            port = f"a-{r.name}-{t.index + 1}"
            root += [
                f"link add eth0 netns {t.aws_ns} type veth peer name {port} netns {p.isp_ns}",
                f"link add bb0 netns {t.aws_ns} type veth peer name {port} netns {p.vgw_ns}",
            ]
            per_ns[p.isp_ns].append(f"link set {port} master br0 up")
            per_ns[p.vgw_ns].append(f"link set {port} master bb0 up")
            per_ns[t.aws_ns] += [
                f"address add {t.aws_outside}/{under} dev eth0",
                "link set eth0 up",
                f"address add {t.aws_backbone}/{bb} dev bb0",
                "link set bb0 up",
            ]
    netns.finish([netns.batch(root)])
    netns.finish([netns.batch(lines, ns) for ns, lines in per_ns.items()])
    forwarding = [p.isp_ns, p.vgw_ns, *(r.ns for r in p.routers), *(t.aws_ns for t in p.tunnels)]
    for ns in forwarding:
        netns.sysctl(ns, {"net.ipv4.ip_forward": "1"})
