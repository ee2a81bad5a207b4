#!/usr/bin/env bash
# Installs every Debian 12 package lqd needs to build, test, benchmark and demo.
# Idempotent: packages already present are skipped, so a second run costs seconds.
set -euo pipefail

PACKAGES=(
  # build
  build-essential pkg-config meson ninja-build clang lld
  libclang-rt-14-dev   # ASan/UBSan/TSan/libFuzzer runtimes for clang builds
  # libraries (dpdk-dev: dpdk-dumpcap, dpdk-proc-info, dpdk-telemetry.py, dpdk-testpmd)
  libdpdk-dev dpdk dpdk-dev libabsl-dev libtbb-dev libbenchmark-dev libgtest-dev libgmock-dev
  libssl-dev nlohmann-json3-dev
  # tests, demo and tools
  python3 python3-scapy tshark iproute2 procps
  iptables             # kea_outage_test drops packets to Kea silently (a partition)
  openssl              # the TLS tests make their certificates with the openssl CLI
  python3-matplotlib   # plots for docs/performance.md (scripts/bench.sh)
  kea-dhcp4-server kea-ctrl-agent isc-dhcp-server
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Debian enables the Kea/dhcpd system services on install; lqd's tests start their own instances.
for svc in kea-dhcp4-server kea-ctrl-agent isc-dhcp-server kea-dhcp-ddns-server kea-dhcp6-server; do
  $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
done
echo "install-deps: done"
