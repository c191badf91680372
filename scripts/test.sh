#!/usr/bin/env bash
# Every test: ruff, pytest (unit, corpus, fuzz, real nginx and ansible-playbook), ansible-test
# sanity, ansible-lint, Molecule and a bench smoke run. Installs what it needs (scripts/bootstrap.sh).
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh"
cd "$ROOT"

echo "== ruff"
ruff check .

echo "== changelog (antsibull-changelog: fragments, changelog.yaml, CHANGELOG.rst up to date)"
antsibull-changelog lint
antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
changelog_check=$(mktemp)
antsibull-changelog generate --output "$changelog_check"
if ! cmp -s "$changelog_check" CHANGELOG.rst; then
    echo "CHANGELOG.rst is not what changelogs/changelog.yaml gives: run antsibull-changelog generate" >&2
    rm -f "$changelog_check"
    exit 1
fi
rm -f "$changelog_check"

echo "== pytest"
# nginx is installed by bootstrap: a test that needs it must not be skipped.
export PREFLIGHT_REQUIRE_NGINX=1 PREFLIGHT_REQUIRE_INSTALLED=1 PREFLIGHT_REQUIRE_PROMETHEUS=1
set +e
python -m pytest -n 2 "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests: that is a failure" >&2
    exit 1
fi
[ "$status" -eq 0 ] || exit "$status"

echo "== ansible-test sanity"
PYTHON="$VENV/bin/python" bash scripts/sanity.sh

export ANSIBLE_COLLECTIONS_PATH="$ROOT/.build/collections"
echo "== ansible-lint (production profile, offline)"
ansible-lint roles extensions/molecule

echo "== molecule (every scenario under extensions/molecule, real nginx on loopback)"
# A fresh start: Molecule keeps "prepared" state between runs of the same checkout path.
# "default" is the scenario Molecule reads for shared create/destroy steps; ours runs nothing.
molecule reset --all --exclude default
molecule test --all --exclude default
echo "== benchmark smoke run (smallest size, one repetition)"
bash bench/bench.sh --smoke

echo "== all tests passed"
