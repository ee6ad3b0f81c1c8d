#!/usr/bin/env bash
# One-time (idempotent) set-up on Debian / Raspberry Pi OS: system packages, then npm ci, then build.
# Used by scripts/demo.sh, scripts/test.sh and CI.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: libpcap-dev (the pcap addon), build tools for better-sqlite3, and the real
# peers the tests talk to (mosquitto for MQTT 5, mbpoll, tcpdump/tshark for captures,
# nftables/iproute2 for the namespace testbed, gpiod for the GPIO relay driver, systemd for
# systemd-analyze, util-linux for chrt: the audit writer thread sets itself to SCHED_IDLE).
PKGS=(libpcap-dev build-essential python3 mosquitto mosquitto-clients mbpoll tcpdump tshark nftables iproute2 socat gpiod libgpiod-dev systemd util-linux)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node packages exactly as locked. Re-run only when the lockfile changed.
stamp=node_modules/.otgate-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi

npm run -s build
