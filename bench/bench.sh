#!/usr/bin/env bash
# make bench: measure the engine and the gate, write docs/performance.md and its plot.
#   bash bench/bench.sh            the full run (sizes 100-20,000, 5 repetitions, 1/5/20 hosts)
#   bash bench/bench.sh --smoke    the smallest size, one repetition, into a scratch folder (CI)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../scripts/bootstrap.sh" >/dev/null
cd "$ROOT"

bench_venv=${PREFLIGHT_BENCH_VENV:-$ROOT/bench/.venv}
if [ ! -x "$bench_venv/bin/gixy" ]; then
    echo "bench: creating $bench_venv (gixy-next, matplotlib)"
    python3 -m venv "$bench_venv"
    "$bench_venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.txt \
        "ansible-core>=2.17,<2.20" gixy-next matplotlib 2>&1 | { grep -v "^WARNING: Location" || true; }
fi
python="$bench_venv/bin/python"

if [ "${1:-}" = "--smoke" ]; then
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
    "$python" bench/engine_bench.py --sizes 100 --repeat 1 --profile-size 100 --work "$out" \
        --gixy "$bench_venv/bin/gixy" --output "$out/engine.json"
    "$python" bench/playbook_bench.py --hosts 1 --repeat 1 --rollbacks 1 --work "$out/playbooks" \
        --output "$out/playbooks.json"
    "$python" bench/gate_files_bench.py --sizes 20 --work "$out/gate-files" --output "$out/gate-files.json"
    "$python" bench/endpoints_bench.py --sizes 100 --repeat 1 --work "$out/endpoints" --output "$out/endpoints.json"
    "$python" bench/report.py --engine "$out/engine.json" --playbooks "$out/playbooks.json" \
        --gate-files "$out/gate-files.json" --endpoints "$out/endpoints.json" --markdown "$out/performance.md" --plot "$out/performance.png"
    grep -q "## Targets" "$out/performance.md"
    echo "bench smoke: ok"
    exit 0
fi

mkdir -p bench/out
"$python" bench/engine_bench.py --gixy "$bench_venv/bin/gixy" --output bench/out/engine.json
"$python" bench/playbook_bench.py --output bench/out/playbooks.json
"$python" bench/gate_files_bench.py --output bench/out/gate-files.json
"$python" bench/endpoints_bench.py --output bench/out/endpoints.json
"$python" bench/report.py --engine bench/out/engine.json --playbooks bench/out/playbooks.json \
    --gate-files bench/out/gate-files.json --endpoints bench/out/endpoints.json --markdown docs/performance.md --plot docs/performance.png \
    --notes bench/notes.md
echo "wrote docs/performance.md and docs/performance.png"
