.PHONY: demo test lint docs

# Reproduce the incident and show it blocked (sets up its own venv).
demo:
	bash scripts/demo.sh

# Every test: ruff, pytest, ansible-test sanity (sets up its own venv, nginx, curl).
test:
	bash scripts/test.sh

lint:
	.venv/bin/ruff check .

# Regenerate docs/rules/ from the rules' own data.
docs:
	.venv/bin/nginx-preflight docs docs/rules
