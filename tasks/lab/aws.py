"""The AWS side, played by the lab: tunnel endpoints and the VGW that joins them.

- One box per VGW tunnel endpoint (``vha-aws-<router>-<k>``): a charon on the standard ports
  answering the router's tunnel (responder: ``remote_port`` set to the router's IKE port,
  ``start_action = none``), the inside address ``.1`` of the /30 on its TUN device, and an FRR
  speaking eBGP (ASN 64512, holdtime 30, keepalive 10) to the router, passively: the router
  opens the session (both sides connecting at once collided and backed off for seconds). It
  sends the VPC network with MED 100 on tunnel 1 and 200 on tunnel 2, as AWS does, and passes
  what the router advertises to the VGW over iBGP (next-hop-self).
- The VGW box (``vha-vgw``): an FRR that hears every endpoint over iBGP, originates the VPC
  network, and installs exactly one best path to 0.0.0.0/0 (``maximum-paths 1``) for the VPC
  host. FRR's order (longest prefix, AS_PATH length, origin, MED, ..., lowest router-id) is
  the VGW's order; endpoint router-ids rise with (router, tunnel), so ties pick tunnel 1.
"""

from __future__ import annotations

from tasks.lab.topology import Plan, TunnelPlan
from tasks.model import Router
from tasks.render import esp_proposal, ike_proposal


def endpoint_frr(plan: Plan, t: TunnelPlan) -> str:
    topo = plan.topo
    n = t.local_inside
    return f"""frr defaults traditional
hostname aws-{t.router}-{t.index + 1}
service integrated-vtysh-config
!
ip prefix-list VPC seq 10 permit {topo.vpc_network}
!
route-map TO-CGW permit 10
 match ip address prefix-list VPC
 set metric {t.med}
exit
!
route-map FROM-CGW permit 10
exit
!
router bgp {topo.vgw_asn}
 bgp router-id {t.aws_backbone}
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 coalesce-time 50
 neighbor {n} remote-as {topo.customer_asn}
 neighbor {n} description {t.router} {t.name}
 neighbor {n} update-source {t.aws_inside}
 neighbor {n} timers 10 30
 neighbor {n} timers connect 1
 neighbor {n} passive
 neighbor {plan.vgw_backbone} remote-as {topo.vgw_asn}
 neighbor {plan.vgw_backbone} description vgw
 neighbor {plan.vgw_backbone} timers 10 30
 neighbor {plan.vgw_backbone} timers connect 1
 !
 address-family ipv4 unicast
  neighbor {n} activate
  neighbor {n} route-map FROM-CGW in
  neighbor {n} route-map TO-CGW out
  neighbor {plan.vgw_backbone} activate
  neighbor {plan.vgw_backbone} next-hop-self
 exit-address-family
exit
!
"""


def vgw_frr(plan: Plan) -> str:
    topo = plan.topo
    lines = [
        "frr defaults traditional",
        "hostname vgw",
        "service integrated-vtysh-config",
        "!",
        f"router bgp {topo.vgw_asn}",
        f" bgp router-id {plan.vgw_backbone}",
        " no bgp ebgp-requires-policy",
        " no bgp default ipv4-unicast",
        " coalesce-time 50",
        " neighbor ENDPOINTS peer-group",
        f" neighbor ENDPOINTS remote-as {topo.vgw_asn}",
        " neighbor ENDPOINTS timers 10 30",
        " neighbor ENDPOINTS timers connect 1",
    ]
    lines += [f" neighbor {t.aws_backbone} peer-group ENDPOINTS" for t in plan.tunnels]
    lines += [
        " !",
        " address-family ipv4 unicast",
        f"  network {topo.vpc_network}",
        "  neighbor ENDPOINTS activate",
        "  maximum-paths 1",
        "  maximum-paths ibgp 1",
        " exit-address-family",
        "exit",
        "!",
    ]
    return "\n".join(lines) + "\n"


def endpoint_swanctl(t: TunnelPlan, router: Router, psk: str) -> str:
    """The VGW endpoint's side of one tunnel: a responder with the router's proposals."""
    ipsec = router.ipsec
    return f"""connections {{
    aws {{
        version = {ipsec.ike_version}
        local_addrs = {t.aws_outside}
        remote_addrs = {router.wan.address}
        remote_port = {t.ike_local_port}
        proposals = {ike_proposal(ipsec.ike)}
        dpd_delay = {ipsec.dpd.interval}s
        mobike = no
        local {{
            auth = psk
            id = {t.aws_outside}
        }}
        remote {{
            auth = psk
            id = {router.wan.address}
        }}
        children {{
            aws {{
                local_ts = 0.0.0.0/0
                remote_ts = 0.0.0.0/0
                mode = tunnel
                esp_proposals = {esp_proposal(ipsec.esp)}
                dpd_action = clear
                start_action = none
            }}
        }}
    }}
}}
secrets {{
    ike-aws {{
        id-local = {t.aws_outside}
        id-remote = {router.wan.address}
        secret = "{psk}"
    }}
}}
"""
