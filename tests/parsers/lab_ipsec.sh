#!/usr/bin/env bash
# Fixture capture lab for `swanctl --list-sas`: two charons (userspace ESP via kernel-libipsec) in
# namespaces pcap-ike1 / pcap-ike2 joined by a veth on 10.255.77.16/30, each in a private mount
# namespace so the fixed /run/charon.pid does not clash. Not run by pytest. Run as root:
# `lab_ipsec.sh up`, `lab_ipsec.sh capture DIR`, `lab_ipsec.sh down`.
set -euo pipefail
BASE=/tmp/pcap-ipsec
cmd=${1:-up}

conf() {  # side local remote inside-local inside-remote
  local d=$BASE/$1
  mkdir -p "$d/run"
  cat >"$d/strongswan.conf" <<C
charon {
  load_modular = no
  load = random nonce aes sha1 sha2 hmac kdf pem pkcs1 x509 pubkey openssl gmp curve25519 kernel-libipsec kernel-netlink socket-default updown vici
  routing_table = 220
  routing_table_prio = 32800
  install_virtual_ip = no
  plugins { vici { socket = unix://$d/charon.vici } }
  filelog { log { path = $d/charon.log
    default = 1 } }
}
C
  cat >"$d/swanctl.conf" <<C
connections {
  vgw-tunnel-1 {
    version = $6
    local_addrs = $2
    remote_addrs = $3
    proposals = $7
    rekey_time = 28800s
    local { auth = psk
      id = $2 }
    remote { auth = psk
      id = $3 }
    children {
      vgw-tunnel-1 {
        local_ts = 0.0.0.0/0
        remote_ts = 0.0.0.0/0
        esp_proposals = $8
        rekey_time = 3600s
        start_action = $9
        dpd_action = restart
      }
    }
    dpd_delay = 10s
  }
}
secrets { ike-1 { id-1 = $2
    id-2 = $3
    secret = pcap-lab-only-not-a-secret } }
C
}

start() {  # side
  local d=$BASE/$1
  ip netns exec "pcap-$1" unshare -m --propagation private \
    sh -c "mount --bind $d/run /run && STRONGSWAN_CONF=$d/strongswan.conf exec /usr/lib/ipsec/charon" \
    >>"$d/stdout.log" 2>&1 &
  echo $! >"$d/launcher.pid"
  for _ in $(seq 50); do [ -S "$d/charon.vici" ] && break; sleep 0.1; done
}

sw() { local side=$1; shift; ip netns exec "pcap-$side" swanctl "$@" --uri "unix://$BASE/$side/charon.vici" 2>/dev/null; }

case $cmd in
up)  # up VERSION IKE-PROPOSAL ESP-PROPOSAL
  ver=${2:-2}; ike=${3:-aes256-sha256-modp2048}; esp=${4:-aes256-sha256-modp2048}
  for s in ike1 ike2; do ip netns add "pcap-$s"; ip -n "pcap-$s" link set lo up; done
  ip link add name vike netns pcap-ike1 type veth peer name vike netns pcap-ike2
  ip -n pcap-ike1 addr add 10.255.77.17/30 dev vike; ip -n pcap-ike1 link set dev vike up
  ip -n pcap-ike2 addr add 10.255.77.18/30 dev vike; ip -n pcap-ike2 link set dev vike up
  conf ike1 10.255.77.17 10.255.77.18 x x "$ver" "$ike" "$esp" start
  conf ike2 10.255.77.18 10.255.77.17 x x "$ver" "$ike" "$esp" none
  for s in ike2 ike1; do
    start "$s"
    sleep 1
    ip -n "pcap-$s" link set dev ipsec0 up 2>/dev/null || true
  done
  ip -n pcap-ike1 addr add 169.254.77.2/30 dev ipsec0
  ip -n pcap-ike2 addr add 169.254.77.1/30 dev ipsec0
  sw ike2 --load-all --file "$BASE/ike2/swanctl.conf" >/dev/null
  sw ike1 --load-all --file "$BASE/ike1/swanctl.conf" >/dev/null
  ;;
sas)  # sas SIDE: print swanctl --list-sas
  sw "$2" --list-sas
  ;;
sw)
  shift; sw "$@"
  ;;
down)
  for s in ike1 ike2; do
    f=$BASE/$s/launcher.pid
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  sleep 1
  for s in ike1 ike2; do ip netns del "pcap-$s" 2>/dev/null || true; done
  rm -rf "$BASE"
  ;;
esac
