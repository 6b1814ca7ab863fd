#!/usr/bin/env bash
# Install what xapi-ovn's tests and lab need on Debian 12, as root: system packages (real Open
# vSwitch and OVN, graphviz (show --format svg), rpm, rpmlint for the RPM's lint test, iproute2, ethtool, ping, iptables (dom0's firewall in lab hosts), python3 for codec
# interop, busybox for its udhcpc: the lab guests' DHCP client, isc-dhcp-client for dhclient -6: their
# DHCPv6 client, Debian's busybox having no udhcpc6) and the npm packages.
# Idempotent: does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(openvswitch-switch openvswitch-common ovn-central ovn-host ovn-common graphviz rpm rpmlint iproute2 ethtool iputils-ping iputils-arping iptables openssl python3 procps busybox isc-dhcp-client)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
need_node=0
if ! command -v node >/dev/null 2>&1 || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 18 ]; then
  need_node=1
  missing+=(nodejs npm)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "xapi-ovn: installing system packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
# The Debian packages start their services where systemd runs; the lab runs its own daemons in
# namespaces, so stop any host-wide ones that would hold the default sockets (harmless if absent).
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl stop ovn-controller ovn-central openvswitch-switch >/dev/null 2>&1 || true
fi
if [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ] || { [ -f package-lock.json ] && [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  echo "xapi-ovn: installing npm packages" >&2
  if [ -f package-lock.json ]; then npm ci --no-fund --no-audit >&2; else npm install --no-fund --no-audit >&2; fi
fi
