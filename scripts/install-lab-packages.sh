#!/usr/bin/env bash
# Install the Debian packages the lab needs, only those missing. Needs root (apt-get).
set -euo pipefail
packages=(frr frr-pythontools strongswan-charon strongswan-swanctl libcharon-extra-plugins openssh-server
          iproute2 iptables nftables iputils-ping procps)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]}; run as root: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts the packaged daemons; the lab runs its own instances in namespaces instead.
for unit in frr strongswan-starter ssh; do
  systemctl disable --now "$unit" >/dev/null 2>&1 || true
done
