#!/usr/bin/env bash
# Set up what the demo and the tests need, on a fresh Debian machine too:
# nginx, curl, shellcheck and systemd-analyze from Debian's packages, and a
# Python venv (.venv) from PyPI.
# Source it: it exports VENV and puts the venv first on PATH.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${PREFLIGHT_VENV:-$ROOT/.venv}
export VENV ROOT

missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v curl >/dev/null 2>&1 || missing+=(curl)
# ansible-test sanity runs shellcheck on the scripts only when it is installed.
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
# Debian's own Python, with nothing installed, is the target the modules must run on.
[ -x /usr/bin/python3 ] || missing+=(python3)
# systemd-analyze verifies the monitor role's unit files (Molecule scenario "monitor").
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
# setfacl: the gate tests check that POSIX ACLs survive a deploy and come back with a rollback.
command -v setfacl >/dev/null 2>&1 || missing+=(acl)
# The stream module: the preview test of a stream server runs nginx on a stream {} block.
[ -e /usr/lib/nginx/modules/ngx_stream_module.so ] || missing+=(libnginx-mod-stream)
# The monitor's end-to-end test scrapes its metrics with Debian's node-exporter and prometheus (and
# promtool, in the prometheus package, checks the metrics and the shipped alerting rules).
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-node-exporter >/dev/null 2>&1 || missing+=(prometheus-node-exporter)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "bootstrap: please install: ${missing[*]} (apt-get install ${missing[*]})" >&2
        exit 2
    fi
    echo "bootstrap: installing ${missing[*]} from Debian's packages"
    # Keep the packages from starting a system nginx on port 80, or prometheus and node-exporter on
    # 9090/9100 where init scripts run them: the tests start their own on free ports. (Without systemd
    # running, their postinst only enables the units; policy-rc.d stops the SysV start.)
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    rm -f /usr/sbin/policy-rc.d
    trap - EXIT
fi
case ":$PATH:" in *:/usr/sbin:*) ;; *) export PATH="$PATH:/usr/sbin" ;; esac

# This machine's pip may print a warning per package about missing local mirrors; keep the noise out.
quiet_pip() { "$VENV/bin/python" -m pip --quiet --disable-pip-version-check "$@" 2>&1 | { grep -v "^WARNING: Location" || true; }; }

stamp="$VENV/.preflight-requirements"
wanted=$(cat "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" | sha256sum | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "bootstrap: creating the Python environment in $VENV"
    python3 -m venv "$VENV"
    quiet_pip install --upgrade pip
    quiet_pip install -r "$ROOT/requirements-dev.txt"
    echo "$wanted" > "$stamp"
fi
# The project itself, as a user gets it with `pip install .` (always fresh).
quiet_pip install --no-deps --no-build-isolation --force-reinstall "$ROOT"
export PATH="$VENV/bin:$PATH"

# The checkout as ansible_collections/preflight/nginx, for ansible-playbook, ansible-lint and Molecule.
mkdir -p "$ROOT/.build/collections/ansible_collections/preflight"
ln -sfn "$ROOT" "$ROOT/.build/collections/ansible_collections/preflight/nginx"
