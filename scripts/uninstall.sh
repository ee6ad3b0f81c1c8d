#!/usr/bin/env bash
# Remove otgate's service and files. Keeps /etc/otgate (policy) and /var/lib/otgate (audit
# store, relay latch) unless --purge: the audit trail is evidence.
#
#   sudo scripts/uninstall.sh [--purge] [--prefix /usr/lib/otgate]
set -euo pipefail
PREFIX=/usr/lib/otgate PURGE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --purge) PURGE=1 ;;
    --prefix) PREFIX=$2; shift ;;
    *) echo "uninstall.sh: unknown option $1" >&2; exit 64 ;;
  esac
  shift
done
[ "$(id -u)" -eq 0 ] || { echo "uninstall.sh: run as root (sudo)" >&2; exit 1; }

# Stopping otgate releases the relay: the OT side is isolated from here on.
for u in otgate.service otgate-relay-sim.service; do
  systemctl disable --now "$u" 2>/dev/null || true
done
rm -f /etc/systemd/system/otgate.service /etc/systemd/system/otgate-relay-sim.service
rm -rf /etc/systemd/system/otgate.service.d /usr/share/otgate
rm -f /etc/udev/rules.d/99-otgate-gpio.rules
systemctl daemon-reload || true
[ -L /usr/bin/otgate ] && rm -f /usr/bin/otgate
case "$PREFIX" in /usr/lib/otgate|/opt/otgate) rm -rf "$PREFIX" ;; *) echo "uninstall.sh: leaving $PREFIX (not a standard prefix)" ;; esac
rm -f /usr/lib/tmpfiles.d/otgate.conf
if [ "$PURGE" -eq 1 ]; then
  rm -rf /etc/otgate /var/lib/otgate /var/lib/otgate-relay-sim /run/otgate
  rm -f /usr/lib/sysusers.d/otgate.conf
  userdel otgate 2>/dev/null || true
  groupdel otgate 2>/dev/null || true
  echo "otgate removed, including policy, audit store and user"
else
  echo "otgate removed; kept /etc/otgate, /var/lib/otgate and user otgate (use --purge to remove them)"
fi
