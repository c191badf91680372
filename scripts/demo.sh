#!/usr/bin/env bash
# The incident in one command: nginx -t accepts the config that took the site
# down, nginx-preflight rejects it at the right lines, and the fix passes.
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh" >/dev/null
cd "$ROOT/examples/incident"
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. The change that caused the outage (conf.d/storefront.conf)"
grep -n "0:" broken/conf.d/storefront.conf

step "2. nginx -t accepts it"
"$nginx_bin" -t -c "$PWD/broken/nginx.conf" -p "$PWD/broken/" 2>&1 | sed 's/^/   /'

step "3. nginx-preflight blocks it, at the right lines"
set +e
nginx-preflight check broken
status=$?
set -e
echo "   exit code: $status (1 = blocked)"
[ "$status" -eq 1 ] || { echo "demo: expected nginx-preflight to block the broken config" >&2; exit 1; }

step "4. The fixed config passes both"
"$nginx_bin" -t -q -c "$PWD/fixed/nginx.conf" -p "$PWD/fixed/"
nginx-preflight check --nginx-t --prefix fixed fixed
echo
echo "Demo done: the outage config is blocked before deploy; the fix goes through."
