#!/usr/bin/env bash
# Fixture capture lab for the parser tests: three FRR routers in network namespaces (pcap-r1..3).
# Not run by pytest. Run as root: `lab_frr.sh up`, then `lab_frr.sh down`. Only addresses inside
# 10.255.77.0/24 on veths between these namespaces are used; nothing is routed off the machine.
#   r1 (AS 65001) --veth a-- r2 (AS 64512): 10.255.77.0/30, r2 sends MED 100
#   r1            --veth b-- r2           : 10.255.77.4/30, r2 sends MED 200 (a VGW's two tunnels)
#   r1            --veth c-- r3 (AS 65001): 10.255.77.8/30, iBGP, local-pref 50
#   r1 also has neighbor 10.255.77.14 (AS 65099) on veth d whose far end runs no BGP: Active/Connect.
set -euo pipefail
BASE=/tmp/pcap-lab
cmd=${1:-up}

conf_r1() { cat <<C
frr defaults traditional
hostname pcap-r1
log file $BASE/pcap-r1/frr.log
ip route 10.99.0.0/24 blackhole
ip route 0.0.0.0/0 10.255.77.14
router bgp 65001
 bgp router-id 10.255.77.1
 no bgp ebgp-requires-policy
 no bgp network import-check
 timers bgp 10 30
 neighbor 10.255.77.2 remote-as 64512
 neighbor 10.255.77.2 timers connect 5
 neighbor 10.255.77.6 remote-as 64512
 neighbor 10.255.77.6 timers connect 5
 neighbor 10.255.77.10 remote-as 65001
 neighbor 10.255.77.10 timers connect 5
 neighbor 10.255.77.14 remote-as 65099
 neighbor 10.255.77.14 timers connect 5
 neighbor 10.255.78.1 remote-as 65098
 address-family ipv4 unicast
  network 0.0.0.0/0
  network 10.99.0.0/24
  redistribute static
  maximum-paths 4
  neighbor 10.255.77.2 soft-reconfiguration inbound
  neighbor 10.255.77.6 soft-reconfiguration inbound
  neighbor 10.255.77.6 route-map PREPEND out
 exit-address-family
route-map PREPEND permit 10
 set as-path prepend 65001 65001
 set metric 200
C
}
conf_r2() { cat <<C
frr defaults traditional
hostname pcap-r2
log file $BASE/pcap-r2/frr.log
router bgp 64512
 bgp router-id 10.255.77.2
 no bgp ebgp-requires-policy
 no bgp network import-check
 timers bgp 10 30
 neighbor 10.255.77.1 remote-as 65001
 neighbor 10.255.77.1 timers connect 5
 neighbor 10.255.77.5 remote-as 65001
 neighbor 10.255.77.5 timers connect 5
 address-family ipv4 unicast
  network 10.0.0.0/16
  network 10.1.0.0/16
  network 172.16.0.0/12
  neighbor 10.255.77.1 route-map MED100 out
  neighbor 10.255.77.5 route-map MED200 out
 exit-address-family
ip prefix-list VPC seq 5 permit 10.0.0.0/16
route-map MED100 permit 10
 match ip address prefix-list VPC
 set metric 100
route-map MED100 permit 20
route-map MED200 permit 10
 match ip address prefix-list VPC
 set metric 200
route-map MED200 permit 20
C
}
conf_r3() { cat <<C
frr defaults traditional
hostname pcap-r3
log file $BASE/pcap-r3/frr.log
router bgp 65001
 bgp router-id 10.255.77.10
 no bgp network import-check
 timers bgp 10 30
 neighbor 10.255.77.9 remote-as 65001
 neighbor 10.255.77.9 timers connect 5
 address-family ipv4 unicast
  network 0.0.0.0/0
  network 10.0.0.0/16
  network 192.168.50.0/24
  neighbor 10.255.77.9 route-map LP50 out
 exit-address-family
route-map LP50 permit 10
 set local-preference 50
 set as-path prepend 65010 65010
C
}

start_frr() {  # namespace
  local ns=$1 run=/var/run/frr/$1
  mkdir -p "$run" "$BASE/$ns/vtysh/$ns"
  chown -R frr:frr "$run" "$BASE/$ns"
  echo "hostname $ns" >"$BASE/$ns/vtysh/$ns/vtysh.conf"
  "conf_${ns#pcap-}" >"$BASE/$ns/frr.conf"
  chown frr:frr "$BASE/$ns/frr.conf"
  for d in zebra staticd bgpd; do
    ip netns exec "$ns" /usr/lib/frr/$d -d -N "$ns" -f "$BASE/$ns/frr.conf" \
      -i "$run/$d.pid" -z "$run/zserv.api" --vty_socket "$run" -A 127.0.0.1 -P 0
  done
}

veth() {  # nsA ifA addrA nsB ifB addrB
  ip link add name "$2" netns "$1" type veth peer name "$5" netns "$4"
  ip -n "$1" addr add "$3" dev "$2"; ip -n "$1" link set dev "$2" up
  ip -n "$4" addr add "$6" dev "$5"; ip -n "$4" link set dev "$5" up
}

vty() { vtysh --config_dir "$BASE/$1/vtysh" -N "$1" -c "$2"; }

snap() {  # router case dir-of-fixtures: one .raw (+ .json where FRR has one) per command
  local r=$1 case=$2 out=$3 c slug
  for c in "show ip bgp" "show ip bgp summary"; do
    slug=${c// /_}
    mkdir -p "$out/frr/$slug"
    vty "$r" "$c" >"$out/frr/$slug/$case.raw"
    vty "$r" "$c json" >"$out/frr/$slug/$case.json"
  done
}

case $cmd in
up)
  mkdir -p "$BASE"
  for n in r1 r2 r3; do ip netns add "pcap-$n"; ip -n "pcap-$n" link set lo up; done
  veth pcap-r1 vetha 10.255.77.1/30 pcap-r2 vetha 10.255.77.2/30
  veth pcap-r1 vethb 10.255.77.5/30 pcap-r2 vethb 10.255.77.6/30
  veth pcap-r1 vethc 10.255.77.9/30 pcap-r3 vethc 10.255.77.10/30
  veth pcap-r1 vethd 10.255.77.13/30 pcap-r3 vethd 10.255.77.14/30
  for n in r1 r2 r3; do start_frr "pcap-$n"; done
  ;;
capture)  # capture DIR: walks the states the tests need, writing DIR/frr/<command>/<case>.raw
  out=$2
  snap pcap-r1 r1_established "$out"
  snap pcap-r2 r2_established "$out"
  mkdir -p "$out/frr/show_ip_route" "$out/frr/show_ip_bgp_neighbors_advertised_routes" \
    "$out/frr/show_ip_bgp_neighbors_received_routes"
  vty pcap-r1 "show ip route" >"$out/frr/show_ip_route/r1_static_default.raw"
  vty pcap-r2 "show ip route" >"$out/frr/show_ip_route/r2_bgp_default.raw"
  vty pcap-r1 "show ip bgp neighbors 10.255.77.6 advertised-routes" \
    >"$out/frr/show_ip_bgp_neighbors_advertised_routes/r1_prepend_med.raw"
  vty pcap-r1 "show ip bgp neighbors 10.255.77.6 received-routes" \
    >"$out/frr/show_ip_bgp_neighbors_received_routes/r1_received.raw"
  vty pcap-r1 "show ip bgp neighbors 10.255.77.6 routes" \
    >"$out/frr/show_ip_bgp_neighbors_received_routes/r1_routes.raw"
  # admin down on the MED 100 session: Idle (Admin), the MED 200 path becomes best
  vtysh --config_dir "$BASE/pcap-r1/vtysh" -N pcap-r1 -c "conf t" -c "router bgp 65001" \
    -c "neighbor 10.255.77.2 shutdown" >/dev/null
  sleep 2
  snap pcap-r1 r1_admin_down "$out"
  vty pcap-r2 "show ip route" >"$out/frr/show_ip_route/r2_bgp_default_backup.raw"
  # iBGP peer's bgpd stopped: its session falls to Active/Connect, its paths go away
  kill "$(cat /var/run/frr/pcap-r3/bgpd.pid)"
  sleep 3
  snap pcap-r1 r1_ibgp_peer_down "$out"
  vty pcap-r1 "show ip route" >"$out/frr/show_ip_route/r1_bgp_withdrawn.raw"
  ;;
down)
  for n in r1 r2 r3; do
    for d in bgpd staticd zebra; do
      f=/var/run/frr/pcap-$n/$d.pid
      [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
    done
  done
  sleep 1
  for n in r1 r2 r3; do ip netns del "pcap-$n" 2>/dev/null || true; rm -rf "/var/run/frr/pcap-$n"; done
  rm -rf "$BASE"
  ;;
esac
