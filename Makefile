# Two commands on a fresh machine: `make run` and `make test`.
# Each installs what is missing first (uv, then the locked environment).
SHELL := /bin/bash
# uv from PATH, else the one pip installs into this Python (`python3 -m uv`).
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")

.PHONY: install run demo test lint typecheck unit bench images format docs

# Bytecode compiled once here: with PYTHONDONTWRITEBYTECODE set (as on our CI
# machines) Python would otherwise compile every module again in every process,
# and each service start-up took twice as long (bench/RESULTS.md).
install:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --all-packages --frozen --quiet --compile-bytecode
	@$(UV) run --no-sync python -m compileall -q shared/src services/intake/src services/triage/src services/notifier/src

run: install
	$(UV) run python scripts/run_stack.py

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .

typecheck: install
	$(UV) run mypy shared/src services/intake/src services/triage/src services/notifier/src

test: lint typecheck
	@bash scripts/ensure_chromium.sh
	$(UV) run pytest -q

unit: install
	$(UV) run pytest -q tests/unit

bench: install
	$(UV) run python bench/run_all.py

# Builds the three images and runs them against the local broker, database,
# SMTP server and phone stand-in; needs a Docker daemon (tests/images).
images: install
	$(UV) run pytest -q -m images tests/images

format: install
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

demo: install
	$(UV) run python scripts/demo.py

docs: install
	$(UV) run python scripts/update_readme.py
