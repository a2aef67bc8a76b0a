# Tablero DPD — the two commands of the README (`make run`, `make test`) and the benchmarks.
# Works on a fresh machine: creates .venv, installs the project, builds the demo store.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DB     ?= data/tablero.duckdb
PORT   ?= 8501
SRC    := src tests app.py pages bench setup.py

.PHONY: install run test lint bench demo clean lock wheel

$(STAMP): pyproject.toml requirements-dev.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# requirements-dev.lock: every package and its hashes, the versions tested together, so
	@# that an install next year is this one (pip refuses a file whose hash differs). The
	@# project itself goes in after, without its dependencies and without an isolated build
	@# environment (setuptools and wheel come from the lock). `make lock` writes the locks.
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@# An editable install leaves our modules uncompiled; where PYTHONDONTWRITEBYTECODE is set
	@# (containers, CI) Python would compile them again at every start of `tablero`.
	$(BIN)/python -m compileall -q src
	@touch $(STAMP)

install: $(STAMP)

$(DB): | $(STAMP)
	$(BIN)/tablero demo --db $(DB)

demo: $(DB)

run: $(STAMP) $(DB)
	TABLERO_DEMO=1 TABLERO_DB=$(DB) $(BIN)/streamlit run app.py --server.port $(PORT) --server.address localhost

lint: $(STAMP)
	$(BIN)/ruff format --check $(SRC)
	$(BIN)/ruff check $(SRC)
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

# Both locks with hashes for every platform (Linux, macOS, Windows), from pyproject.toml, keeping
# the versions of the current requirements-dev.lock (to move a package: delete its lines first).
# requirements.lock is what the dashboard needs (the README's install); -dev.lock adds the tools.
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command 'make lock' -c requirements-dev.lock
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet 'uv>=0.9'
	$(UV_COMPILE) --extra dev -o requirements-dev.lock.new && mv requirements-dev.lock.new requirements-dev.lock
	$(UV_COMPILE) -o requirements.lock.new && mv requirements.lock.new requirements.lock

wheel: $(STAMP)
	$(BIN)/python -m pip wheel --no-deps -w dist .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tests/artifacts
