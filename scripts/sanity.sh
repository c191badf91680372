#!/usr/bin/env bash
# Run `ansible-test sanity` (every test, no ignore file) on a copy of the
# collection laid out as ansible_collections/preflight/nginx, offline.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python}
# Outside the checkout: inside it, ansible-test would ask the enclosing git repo for files.
sanity_root=${PREFLIGHT_SANITY_DIR:-${TMPDIR:-/tmp}/preflight-nginx-sanity}
tree="$sanity_root/ansible_collections/preflight/nginx"

# ansible-test fetches a pip bootstrap script from the internet; give it the stand-in.
pip_version=$("$python" - <<'PY'
import inspect, re
from ansible_test._internal import python_requirements as pr
print(re.search(r"pip='([0-9.]+)'", inspect.getsource(pr.get_venv_packages)).group(1))
PY
)
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
cp "$root/scripts/get_pip_standin.py" "$cache/get_pip_${pip_version//./_}.py"

rm -rf "$sanity_root"
mkdir -p "$tree"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$tree")
cd "$tree"
ansible-test sanity --color no --python "$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" "$@"
