.PHONY: demo test lint docs bench

# Reproduce the incident and show it blocked (sets up its own venv).
demo:
	bash scripts/demo.sh

# Every test: ruff, pytest, ansible-test sanity, ansible-lint, Molecule, a bench smoke run
# (sets up its own venv, nginx, curl).
test:
	bash scripts/test.sh

lint:
	.venv/bin/ruff check .

# Regenerate docs/rules/ from the rules' own data.
docs:
	.venv/bin/nginx-preflight docs docs/rules

# Measure the engine and the gate; rewrites docs/performance.md and its plot.
bench:
	bash bench/bench.sh
