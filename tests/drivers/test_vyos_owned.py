"""Replace semantics: which nodes the VyOS driver deletes before the candidate's set lines."""

from __future__ import annotations

from tasks.platforms.vyos.owned import deletions

OURS_14 = [
    "set interfaces vti vti0 address '169.254.10.2/30'",
    "set interfaces vti vti5 address '169.254.50.2/30'",
    "set policy route-map TO-AWS rule 10 set as-path prepend '65010 65010'",
    "set policy prefix-list VPC-NETWORKS rule 30 prefix '10.9.0.0/16'",
    "set protocols bgp neighbor 169.254.10.1 address-family ipv4-unicast route-map export 'TO-AWS'",
    "set protocols bgp neighbor 169.254.50.1 address-family ipv4-unicast route-map export 'TO-AWS'",
    "set vpn ipsec authentication psk tun-old secret 'x'",
    "set vpn ipsec site-to-site peer tun-old ike-group 'AWS-IKE'",
    "set vpn ipsec site-to-site peer tun-old vti bind 'vti5'",
    "set nat source rule 30 description 'vpc-ha vpc-a'",
]
FOREIGN_14 = [
    "set interfaces vti vti9 address '10.99.0.1/30'",
    "set policy route-map ISP-OUT rule 10 action 'permit'",
    "set protocols bgp neighbor 10.255.0.2 remote-as '65010'",
    "set protocols bgp parameters router-id '198.51.100.10'",
    "set vpn ipsec site-to-site peer branch ike-group 'BRANCH-IKE'",
    "set vpn ipsec authentication psk branch secret 'y'",
    "set nat source rule 500 translation address 'masquerade'",
    "set protocols static route 10.9.0.0/16 next-hop 198.51.100.1",
]
CANDIDATE_14 = [
    "set interfaces vti vti0 address '169.254.10.2/30'",
    "set protocols bgp neighbor 169.254.10.1 remote-as '64512'",
    "set vpn ipsec site-to-site peer tun1 ike-group 'AWS-IKE'",
    "set vpn ipsec authentication psk tun1 secret 'z'",
    "set nat source rule 10 description 'vpc-ha vpc-a'",
]


def test_owned_nodes_are_deleted_and_nothing_else() -> None:
    got = deletions(OURS_14 + FOREIGN_14, CANDIDATE_14)
    assert got == [
        "delete interfaces vti vti0",
        "delete interfaces vti vti5",  # bound by an AWS-IKE peer that the intent dropped
        "delete nat source rule 30",
        "delete policy prefix-list VPC-NETWORKS",
        "delete policy route-map TO-AWS",
        "delete protocols bgp neighbor 169.254.10.1",
        "delete protocols bgp neighbor 169.254.50.1",
        "delete vpn ipsec authentication psk tun-old",
        "delete vpn ipsec site-to-site peer tun-old",
    ]
    assert not any(word in line for line in got for word in ("vti9", "ISP-OUT", "10.255.0.2",
                   "branch", "rule 500", "static", "router-id"))  # fmt: skip


def test_factory_router_has_nothing_to_delete() -> None:
    assert deletions(FOREIGN_14, CANDIDATE_14) == []


def test_13_peers_by_address_and_mss_clamp() -> None:
    running = [
        "set protocols bgp 65010 neighbor 169.254.10.1 address-family ipv4-unicast route-map "
        "export 'TO-AWS'",
        "set protocols bgp 65010 neighbor 10.255.0.2 remote-as '65010'",
        "set vpn ipsec site-to-site peer 203.0.113.10 ike-group 'AWS-IKE'",
        "set vpn ipsec site-to-site peer 203.0.113.10 vti bind 'vti0'",
        "set interfaces vti vti0 address '169.254.10.2/30'",
        "set firewall options interface vti0 adjust-mss '1359'",
    ]
    assert deletions(running, []) == [
        "delete firewall options interface vti0",
        "delete interfaces vti vti0",
        "delete protocols bgp 65010 neighbor 169.254.10.1",
        "delete vpn ipsec site-to-site peer 203.0.113.10",
    ]
