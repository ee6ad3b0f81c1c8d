#!/usr/bin/env bash
# Fresh clone → the gateway demo on the embedded loopback testbed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node dist/daemon/main.js demo "$@"
