# Two commands on a fresh machine: `make run` and `make test`.
# Each installs what is missing first (uv, then the locked environment).
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")

.PHONY: install run demo test lint typecheck unit bench format docs

$(UV):
	python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv

install: $(UV)
	@$(UV) sync --all-packages --frozen --quiet

run: install
	$(UV) run python scripts/run_stack.py

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .

typecheck: install
	$(UV) run mypy shared/src services/intake/src services/triage/src services/notifier/src

test: lint typecheck
	$(UV) run pytest -q

unit: install
	$(UV) run pytest -q tests/unit

format: install
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

demo: install
	$(UV) run python scripts/demo.py

docs: install
	$(UV) run python scripts/update_readme.py
