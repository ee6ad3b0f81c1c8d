#!/usr/bin/env bash
# Fresh clone → every test. Prints jest's report, then one plain closing line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
exec bash scripts/run-jest.sh "$@"
