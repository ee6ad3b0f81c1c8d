#!/usr/bin/env bash
# Install otgate as a systemd service on Debian / Raspberry Pi OS (arm64, armhf, amd64).
#
#   sudo scripts/install.sh [--gpio] [--capture] [--nftables] [--relay-sim] [--prefix /usr/lib/otgate]
#   sudo scripts/install.sh --uninstall [--purge]
#
# Run from a built checkout (npm ci && npm run build). It installs: runtime packages, the otgate
# system user (sysusers.d), /usr/lib/otgate (dist + production node_modules), /usr/bin/otgate,
# /etc/otgate/policy.yaml (the example policy, only if none exists), the unit and the chosen
# drop-ins. It never starts the service by itself: review the policy first, then
# `systemctl enable --now otgate`.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)

PREFIX=/usr/lib/otgate
GPIO=0 CAPTURE=0 NFT=0 SIM=0 UNINSTALL=0 PURGE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --gpio) GPIO=1 ;;
    --capture) CAPTURE=1 ;;
    --nftables) NFT=1 ;;
    --relay-sim) SIM=1 ;;
    --prefix) PREFIX=$2; shift ;;
    --uninstall) UNINSTALL=1 ;;
    --purge) PURGE=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; exit 64 ;;
  esac
  shift
done

[ "$(id -u)" -eq 0 ] || { echo "install.sh: run as root (sudo)" >&2; exit 1; }

if [ "$UNINSTALL" -eq 1 ]; then
  args=(); [ "$PURGE" -eq 1 ] && args+=(--purge)
  exec "$SRC/scripts/uninstall.sh" --prefix "$PREFIX" "${args[@]}"
fi

arch=$(dpkg --print-architecture)
case "$arch" in
  amd64|arm64|armhf) ;;
  *) echo "install.sh: untested architecture $arch (continuing)" >&2 ;;
esac

# Runtime packages: python3 (sd_notify helper), util-linux (setpriv), gpiod (GPIO relay),
# libpcap0.8 (passive monitor), nftables (bypass blocking).
pkgs=(python3 util-linux)
[ "$GPIO" -eq 1 ] && pkgs+=(gpiod)
[ "$CAPTURE" -eq 1 ] && pkgs+=(libpcap0.8)
[ "$NFT" -eq 1 ] && pkgs+=(nftables)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Node.js >= 20.19 (Debian 12 / RPi OS bookworm ship 18: install Node 20 LTS from your
# distribution's backports or NodeSource's apt repository first).
NODE=$(command -v node || true)
[ -n "$NODE" ] || { echo "install.sh: node not found; install Node.js >= 20.19 first" >&2; exit 1; }
ver=$("$NODE" -p 'process.versions.node')
"$NODE" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
  { echo "install.sh: node $ver is too old; otgate needs >= 20.19" >&2; exit 1; }
[ -f "$SRC/dist/daemon/main.js" ] || { echo "install.sh: dist/ missing; run npm ci && npm run build first" >&2; exit 1; }

# User and directories.
install -D -m 0644 systemd/sysusers.d/otgate.conf /usr/lib/sysusers.d/otgate.conf
systemd-sysusers /usr/lib/sysusers.d/otgate.conf
install -D -m 0644 systemd/tmpfiles.d/otgate.conf /usr/lib/tmpfiles.d/otgate.conf
systemd-tmpfiles --create /usr/lib/tmpfiles.d/otgate.conf

# Application: dist + production dependencies (native addons were built for this machine by npm ci).
install -d -m 0755 "$PREFIX"
rm -rf "$PREFIX/dist"
cp -a dist package.json package-lock.json examples "$PREFIX/"
[ -d docs ] && cp -a docs "$PREFIX/"
( cd "$PREFIX" && cp -a "$SRC/node_modules" . && npm prune --omit=dev --no-audit --no-fund >/dev/null )
ln -sfn "$PREFIX/dist/daemon/main.js" /usr/bin/otgate
chmod 0755 "$PREFIX/dist/daemon/main.js"

# Configuration: never overwrite an operator's policy.
install -d -m 0750 -o root -g otgate /etc/otgate
if [ ! -e /etc/otgate/policy.yaml ]; then
  install -m 0640 -o root -g otgate examples/secluded-fab.yaml /etc/otgate/policy.yaml
  echo "install.sh: example policy installed as /etc/otgate/policy.yaml — edit it before starting"
fi

# Unit and drop-ins.
install -D -m 0644 systemd/otgate.service /etc/systemd/system/otgate.service
if [ "$NODE" != /usr/bin/node ]; then
  install -d /etc/systemd/system/otgate.service.d
  printf '[Service]\nExecStart=\nExecStart=%s %s/dist/daemon/main.js run --policy /etc/otgate/policy.yaml\n' "$NODE" "$PREFIX" > /etc/systemd/system/otgate.service.d/00-node.conf
fi
install -d -m 0755 /usr/share/otgate/dropins
install -m 0644 systemd/otgate.service.d/*.conf /usr/share/otgate/dropins/
enable_dropin() { install -D -m 0644 "systemd/otgate.service.d/$1" "/etc/systemd/system/otgate.service.d/$1"; }
if [ "$GPIO" -eq 1 ]; then
  getent group gpio >/dev/null || { groupadd --system gpio; install -m 0644 systemd/99-otgate-gpio.rules /etc/udev/rules.d/99-otgate-gpio.rules; udevadm control --reload-rules && udevadm trigger --subsystem-match=gpio || true; }
  enable_dropin gpio.conf
fi
[ "$CAPTURE" -eq 1 ] && enable_dropin capture.conf
[ "$NFT" -eq 1 ] && enable_dropin nftables.conf
[ "$SIM" -eq 1 ] && install -m 0644 systemd/otgate-relay-sim.service /etc/systemd/system/otgate-relay-sim.service
systemctl daemon-reload

cat <<MSG
otgate installed in $PREFIX (node $ver, $arch).
  1. review /etc/otgate/policy.yaml   (otgate check -p /etc/otgate/policy.yaml)
  2. add operators to group otgate     (usermod -aG otgate <user>) for 'otgate relay ...'
  3. systemctl enable --now otgate$( [ "$SIM" -eq 1 ] && echo ' otgate-relay-sim' )
MSG
